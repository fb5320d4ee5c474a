"""Safety helpers shared by services: path confinement for untrusted file names, and the SSRF
guard for outbound fetches made for a user."""

from paynto_common.safety.paths import UnsafePathError, confine, is_forbidden
from paynto_common.safety.urls import (
    Fetched,
    FetchPolicy,
    UrlRefused,
    check_url,
    fetch,
    guarded_client,
)

__all__ = [
    "FetchPolicy",
    "Fetched",
    "UnsafePathError",
    "UrlRefused",
    "check_url",
    "confine",
    "fetch",
    "guarded_client",
    "is_forbidden",
]
