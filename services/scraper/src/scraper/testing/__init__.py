"""Test doubles of the outside services the scraper talks to, as real loopback servers.

Test-only: nothing in the service imports this package. It lives under ``src`` so other
services' tests and the benchmarks can use the same doubles.
"""
