"""Sandbox-pool settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from paynto_common.settings import CommonSettings


class SandboxPoolSettings(CommonSettings):
    service_name: str = "sandbox-pool"
    health_port: int = 9102
    sandbox_provider: Literal["local", "e2b", "vercel"] = "local"
    # Warm sandboxes (template running) kept ready per provider, across all replicas.
    sandbox_pool_size: int = Field(default=1, ge=0, le=100)
    # A project sandbox no job touched for this long is stopped; its files stay in the database.
    sandbox_idle_timeout: float = Field(default=900.0, gt=0)
    # Project sandboxes per replica; past it the least recently used idle one is stopped.
    sandbox_max_active: int = Field(default=20, ge=1)
    # Leases and warm offers expire this long after their replica stops renewing them.
    sandbox_lease_ttl: float = Field(default=15.0, ge=1.0)
    # Shared node_modules cache; defaults to <data_dir>/deps.
    deps_cache_dir: Path | None = None
    concurrency: int = 4
    ack_wait_seconds: float = 60.0
    max_deliver: int = 5

    def deps_dir(self) -> Path:
        return self.deps_cache_dir or self.data_dir / "deps"

    def sandboxes_dir(self) -> Path:
        return self.data_dir / "sandboxes"
