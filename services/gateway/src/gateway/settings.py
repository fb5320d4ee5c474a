"""Gateway settings."""

from __future__ import annotations

from pydantic import Field, SecretStr

from paynto_common.settings import CommonSettings


class GatewaySettings(CommonSettings):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # Requests larger than this are refused with 413 before the body is read in full.
    max_body_bytes: int = 1_000_000
    max_prompt_chars: int = 20_000
    # How long create-ai-sandbox-v2 waits for the sandbox pool to answer.
    sandbox_wait_seconds: float = 120.0
    # Jobs (generate, apply, sandbox) one client may start a minute; 0 turns the limit off.
    rate_limit_jobs_per_minute: int = 60
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
