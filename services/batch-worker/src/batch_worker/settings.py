"""batch-worker settings."""

from __future__ import annotations

from pydantic import Field

from paynto_common.settings import CommonSettings


class BatchSettings(CommonSettings):
    service_name: str = "batch-worker"
    health_port: int = 9105
    # Items one worker process works on at once (each mostly waits on its jobs).
    batch_concurrency: int = Field(default=4, ge=1)
    # Clones of one URL before it fails for good (a site that answers 5xx, a model error);
    # a refused URL, robots.txt or a 4xx page fails at once.
    batch_max_attempts: int = Field(default=3, ge=1)
    batch_retry_min_backoff_ms: int = Field(default=2_000, ge=0)
    batch_retry_max_backoff_ms: int = Field(default=60_000, ge=0)
    # Items of one site (host) worked at once, and started a minute, across all workers.
    batch_domain_concurrency: int = Field(default=2, ge=1)
    batch_domain_per_minute: int = Field(default=30, ge=1)
    # The longest one job of a pipeline (a clone, a build) may take before it is given up.
    batch_job_timeout_seconds: float = Field(default=600.0, gt=0)
    # How soon another worker takes over the items of a worker that died (dramatiq's Redis
    # heartbeat), and how often queue maintenance runs (per million Redis commands).
    batch_heartbeat_timeout_ms: int = Field(default=60_000, ge=1_000)
    batch_maintenance_chance: int = Field(default=1_000, ge=1, le=1_000_000)
