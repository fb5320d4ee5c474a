"""Test doubles of the outside world git-sync talks to."""
