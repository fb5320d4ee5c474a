"""Sandbox-pool settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from paynto_common.settings import CommonSettings


class SandboxPoolSettings(CommonSettings):
    service_name: str = "sandbox-pool"
    health_port: int = 9102
    sandbox_provider: Literal["local"] = "local"
    # Shared node_modules cache; defaults to <data_dir>/deps.
    deps_cache_dir: Path | None = None
    concurrency: int = 4
    ack_wait_seconds: float = 60.0
    max_deliver: int = 5

    def deps_dir(self) -> Path:
        return self.deps_cache_dir or self.data_dir / "deps"

    def sandboxes_dir(self) -> Path:
        return self.data_dir / "sandboxes"
