"""Gateway settings."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from gateway.client_address import IPNetwork, parse_networks
from paynto_common.settings import CommonSettings

LOOPBACK_HOSTS = frozenset({"localhost"})
# Unset RATE_LIMIT_ADDRESS_PER_MINUTE: this many users' worth of jobs from one address.
ADDRESS_LIMIT_FACTOR = 4


class GatewaySettings(CommonSettings):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # Requests larger than this are refused with 413 before the body is read in full.
    max_body_bytes: int = 1_000_000
    max_prompt_chars: int = 20_000
    # The scraper's allowlist (SCRAPER_ALLOW_HOSTS): the gateway refuses a URL to clone or
    # scrape with the same guard before any job starts, so a refused one is a clear 422.
    scraper_allow_hosts: str = ""
    # How long a scrape asked for over HTTP may take (reading, stylesheets, a screenshot).
    scrape_wait_seconds: float = 90.0
    # git-sync's allowlist (GIT_ALLOW_HOSTS): a remote on an internal address (a private
    # Gitea) is linked only when named here; the gateway checks a link's URL with it.
    git_allow_hosts: str = ""
    # How long create-ai-sandbox-v2 waits for the sandbox pool to answer.
    sandbox_wait_seconds: float = 120.0
    # Jobs (generate, apply, sandbox) one user may start a minute; 0 turns the limit off.
    rate_limit_jobs_per_minute: int = Field(default=60, ge=0)
    # Jobs one client address may start a minute, all its users together (an office or a
    # carrier's NAT puts many people behind one address); unset: ADDRESS_LIMIT_FACTOR times the
    # per-user limit. 0 turns it off.
    rate_limit_address_per_minute: int | None = Field(default=None, ge=0)
    # Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For names the client; empty:
    # the header is ignored and the TCP peer is the client (see gateway.client_address).
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(default_factory=list)
    # Origins (comma-separated, exact: scheme://host[:port]) whose pages may call the API from
    # the browser, with credentials; "*" alone lets any origin call it without credentials.
    # Empty: no CORS headers at all (the studio is same-origin and needs none).
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Model spend (USD, from the cost ledger) after which a project starts no more generations;
    # 0 means no limit.
    project_budget_usd: float = Field(default=0.0, ge=0)
    # The request header naming the person (set by the auth proxy in front of the gateway,
    # e.g. X-Forwarded-User from oauth2-proxy; never trust it from the open internet). Empty:
    # there are no users, only projects.
    user_header: str = ""
    # Model spend (USD) over all of a person's projects after which they start no more model
    # jobs; 0 means no limit. Needs USER_HEADER.
    user_budget_usd: float = Field(default=0.0, ge=0)
    public_url: str = "http://127.0.0.1:8000"
    session_secret: SecretStr | None = None
    # local: one local user, no sign-in, the gateway on loopback only (what `make run` does).
    # required: every API, SSE and preview request needs a session or a token (401 without).
    auth_mode: Literal["local", "required"] = "local"
    # Lets AUTH_MODE=local listen on a non-loopback address: only for a container whose port
    # is published on the host's loopback alone (docker-compose.yml does so).
    auth_local_any_host: bool = False
    # How long a browser stays signed in.
    session_ttl_hours: float = Field(default=24 * 14, gt=0)
    # How long a preview link (its signed token, and the cookie it leaves) lets a browser load
    # the preview document (AUTH_MODE=required).
    preview_token_ttl_seconds: int = Field(default=4 * 3600, gt=0)
    # GitHub OAuth app (sign-in). The URLs change only for GitHub Enterprise or a test double.
    github_client_id: str = ""
    github_client_secret: SecretStr | None = None
    github_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"
    # What sign-in asks GitHub for: who the person is, and "repo" to commit to their
    # repositories (GITHUB_SCOPES; "read:user" alone signs in without GitHub export).
    github_scopes: str = "read:user repo"

    @property
    def is_https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def address_jobs_per_minute(self) -> int:
        """The per-address job limit, RATE_LIMIT_ADDRESS_PER_MINUTE resolved (0: off)."""
        if self.rate_limit_address_per_minute is not None:
            return self.rate_limit_address_per_minute
        return ADDRESS_LIMIT_FACTOR * self.rate_limit_jobs_per_minute

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            try:
                return parse_networks(value)
            except ValueError as exc:
                raise ValueError(f"TRUSTED_PROXIES: {exc}") from None
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            return value
        origins = [_origin(str(v)) for v in value if str(v).strip()]
        if "*" in origins and len(origins) > 1:
            raise ValueError("CORS_ORIGINS: '*' stands alone (any origin, no credentials), "
                             "or list exact origins")
        return origins

    @model_validator(mode="after")
    def _local_mode_stays_local(self) -> GatewaySettings:
        if (self.auth_mode == "local" and not self.auth_local_any_host
                and not _is_loopback(self.gateway_host)):
            raise ValueError(
                f"AUTH_MODE=local serves everyone as one user, so the gateway may only listen "
                f"on loopback, not GATEWAY_HOST={self.gateway_host}; set AUTH_MODE=required to "
                "serve a network (or AUTH_LOCAL_ANY_HOST=true in a container whose port is "
                "published on loopback only)")
        return self


def _origin(text: str) -> str:
    """An origin as browsers send it in ``Origin``: lower-case ``scheme://host[:port]``."""
    text = text.strip()
    if text == "*":
        return text
    parts = urlsplit(text)
    if (parts.scheme not in ("http", "https") or not parts.hostname
            or parts.path not in ("", "/") or parts.query or parts.fragment
            or parts.username or parts.password):
        raise ValueError(f"CORS_ORIGINS: {text!r} is not an origin (scheme://host[:port])")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
