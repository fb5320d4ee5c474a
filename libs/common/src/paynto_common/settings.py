"""Typed settings shared by every service.

Each service subclasses :class:`CommonSettings` with its own fields. Settings are built in
``__main__`` (or by a test) and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from paynto_common.logs import log_handler

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

log = logging.getLogger(__name__)


class CommonSettings(BaseSettings):
    """Settings every service reads: where the bus, database and data directory are."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    service_name: str = "paynto"
    nats_url: str = DEFAULT_NATS_URL
    redis_url: str = DEFAULT_REDIS_URL
    # Empty means the SQLite file under data_dir; a postgresql:// URL selects Postgres.
    database_url: str = ""
    data_dir: Path = Field(default=Path(".data"), validation_alias="PAYNTO_DATA_DIR")
    # Isolates streams and subjects, so tests (or two deployments) can share one NATS server.
    bus_namespace: str = Field(default="", validation_alias="PAYNTO_BUS_NAMESPACE")
    # Copies of each stream on a JetStream cluster (3 in production, 1 on one machine).
    jetstream_replicas: int = 1
    log_level: str = "INFO"
    # text: one readable line per record (``make run``); json: one JSON object per line, with
    # trace, job and project ids (production: compose and Kubernetes set it).
    log_format: Literal["text", "json"] = "text"
    # The standard OpenTelemetry variables, read here too so a .env file can set them: an
    # OTLP/HTTP collector's base URL (``/v1/traces`` is added), or the full traces URL.
    otel_exporter_otlp_endpoint: str | None = None
    otel_exporter_otlp_traces_endpoint: str | None = None
    # Names every span of this process; unset, each service names itself.
    otel_service_name: str | None = None
    otel_traces_sampler: Literal[
        "always_on", "always_off", "traceidratio", "parentbased_always_on",
        "parentbased_always_off", "parentbased_traceidratio",
    ] = "parentbased_always_on"
    otel_traces_sampler_arg: float = Field(default=1.0, ge=0.0, le=1.0)
    # Finished spans appended as JSON lines under data_dir/traces, for `paynto traces`
    # (`make run` turns this on; no collector needed).
    traces_file: bool = Field(default=False, validation_alias="PAYNTO_TRACES_FILE")
    health_host: str = "127.0.0.1"
    health_port: int = 0
    # Fernet key(s) that encrypt users' secrets (GitHub tokens) at rest; comma-separated to
    # rotate: the first encrypts, all decrypt (see paynto_common.vault).
    secrets_key: SecretStr | None = None

    @field_validator("log_format", "otel_traces_sampler", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("bus_namespace")
    @classmethod
    def _namespace_is_a_token(cls, value: str) -> str:
        if value and not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError("PAYNTO_BUS_NAMESPACE may hold only letters, digits, '-' and '_'")
        return value

    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: Postgres via psycopg 3, else the SQLite file in data_dir."""
        return async_database_url(self.database_url, self.data_dir)

    def log_summary(self) -> None:
        """Log the resolved settings once at start, secrets masked."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(getattr(self, name), SecretStr):
                shown[name] = "**********" if value else None
            elif name == "database_url" and value:
                shown[name] = _mask_url_password(str(value))
            else:
                shown[name] = value
        log.info("settings %s", shown)


def async_database_url(url: str, data_dir: Path) -> str:
    """Turn a user-facing ``DATABASE_URL`` into the async driver URL SQLAlchemy needs."""
    if not url:
        return f"sqlite+aiosqlite:///{(data_dir / 'paynto.db').resolve()}"
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def _mask_url_password(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def configure_logging(level: str, fmt: str = "text", service: str = "paynto") -> None:
    """One line per record for every service: readable text, or JSON (``LOG_FORMAT=json``)
    carrying the service, the trace and span ids, and the job and project being handled
    (:mod:`paynto_common.logs`). Like ``logging.basicConfig``, it leaves a root logger that
    already has handlers (a test runner's) as it is."""
    root = logging.getLogger()
    if not root.handlers:
        root.setLevel(level.upper())
        root.addHandler(log_handler(fmt, service))
    # HTTP clients log every URL they fetch at INFO, query (tokens, OAuth codes) and all.
    for noisy in ("httpx", "httpx2", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
