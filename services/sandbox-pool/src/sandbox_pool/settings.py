"""Sandbox-pool settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from paynto_common.settings import CommonSettings


class SandboxPoolSettings(CommonSettings):
    service_name: str = "sandbox-pool"
    health_port: int = 9102
    sandbox_provider: Literal["local", "e2b", "vercel"] = "local"
    # Warm sandboxes (template running) kept ready per provider, across all replicas, however
    # quiet it is: the pool grows past it with demand (bursts of claims), up to the maximum.
    sandbox_pool_size: int = Field(default=1, ge=0, le=100)
    # The most warm sandboxes demand may ask for; unset, by this machine's memory (see
    # pool_max()).
    sandbox_pool_max: int | None = Field(default=None, ge=0, le=100)
    # How long a burst of claims keeps the pool above its minimum.
    sandbox_pool_demand_window: float = Field(default=300.0, gt=0)
    # A project sandbox no job touched for this long is stopped; its files stay in the database.
    sandbox_idle_timeout: float = Field(default=900.0, gt=0)
    # Project sandboxes per replica; past it the least recently used idle one is stopped.
    sandbox_max_active: int = Field(default=20, ge=1)
    # Leases and warm offers expire this long after their replica stops renewing them.
    sandbox_lease_ttl: float = Field(default=15.0, ge=1.0)
    # How long a hosted sandbox lives past each keep-alive beat.
    sandbox_keep_alive: float = Field(default=600.0, ge=60.0)
    # Local sandboxes: processes and memory (cgroups), one file, /tmp, the whole workspace.
    sandbox_max_processes: int = Field(default=256, ge=16)
    sandbox_memory_mb: int = Field(default=1024, ge=128)
    sandbox_file_mb: int = Field(default=64, ge=1)
    sandbox_tmp_mb: int = Field(default=256, ge=16)
    sandbox_disk_mb: int = Field(default=512, ge=16)
    # E2B (SANDBOX_PROVIDER=e2b). The template needs Node 20.19+; one that already holds the
    # site template's node_modules (E2B_TEMPLATE_HAS_DEPS) skips npm install on create.
    e2b_api_key: SecretStr | None = None
    e2b_template: str = "base"
    e2b_template_has_deps: bool = False
    e2b_domain: str | None = None
    e2b_api_url: str | None = None
    e2b_sandbox_url: str | None = None
    e2b_preview_url: str = "https://{host}"
    # Vercel Sandbox (SANDBOX_PROVIDER=vercel).
    vercel_token: SecretStr | None = None
    vercel_team_id: str | None = None
    vercel_project_id: str | None = None
    vercel_sandbox_api_url: str | None = None
    # The CPU niceness of this service and every sandbox it starts (inherited): on a machine
    # shared with the gateway and the generator, a site's dev server and the apply work give
    # way to the requests and streams people are waiting on. 0 leaves them as started.
    sandbox_pool_nice: int = Field(default=10, ge=0, le=19)
    # Shared node_modules cache; defaults to <data_dir>/deps.
    deps_cache_dir: Path | None = None
    # The longest a build check's `vite build` may run before it is stopped (and fails).
    build_timeout_seconds: float = Field(default=120.0, gt=0)
    concurrency: int = 4
    ack_wait_seconds: float = 60.0
    max_deliver: int = 5

    def pool_max(self) -> int:
        """``SANDBOX_POOL_MAX``, else 8, fewer when idle local sandboxes (about 300 MB each)
        would take more than a quarter of this machine's memory; never under
        ``SANDBOX_POOL_SIZE``. Unset with a minimum of 0, it is 0: a pool turned off stays off
        (as ``SANDBOX_POOL_SIZE=0`` meant before the pool followed demand)."""
        if self.sandbox_pool_max is not None:
            return max(self.sandbox_pool_max, self.sandbox_pool_size)
        if self.sandbox_pool_size == 0:
            return 0
        cap = 8
        if self.sandbox_provider == "local":
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            cap = min(cap, memory // 4 // (300 * 2**20))
        return max(cap, self.sandbox_pool_size)

    def deps_dir(self) -> Path:
        return self.deps_cache_dir or self.data_dir / "deps"

    def sandboxes_dir(self) -> Path:
        return self.data_dir / "sandboxes"
