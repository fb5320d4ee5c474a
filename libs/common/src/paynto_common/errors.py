"""Errors every service's job code may raise."""


class PermanentJobError(Exception):
    """The job can never succeed (bad input, unsafe output, unknown id): fail it now, do not
    retry."""
