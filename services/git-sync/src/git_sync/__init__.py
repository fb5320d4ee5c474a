"""git_sync"""
