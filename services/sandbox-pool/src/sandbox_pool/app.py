"""The sandbox pool's wiring: settings → worker, provider, registry, manager → the job routes.

A job is placed first (:mod:`.placement`: here, or forwarded to the replica owning its
project's sandbox), then run by the handler of its kind in :mod:`.jobs`.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket

from paynto_common import kanban
from paynto_common.bus import Bus, ConsumerOptions, Route, Router
from paynto_common.db import Database
from paynto_common.messages import (
    SANDBOX_POOL,
    ApplyRequest,
    BuildRequest,
    CreateSandboxRequest,
    InstallPackagesRequest,
    PublishRequest,
    SandboxCommandRequest,
)
from paynto_common.service import Worker
from sandbox_pool.factory import make_provider
from sandbox_pool.jobs.apply import ApplyJob
from sandbox_pool.jobs.build import BuildJob
from sandbox_pool.jobs.install import InstallPackagesJob
from sandbox_pool.jobs.publish import PublishJob
from sandbox_pool.jobs.sandbox import CreateSandboxJob, SandboxCommandJob
from sandbox_pool.jobs.steps import Context
from sandbox_pool.manager import PoolOptions, SandboxManager
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.placement import Placement
from sandbox_pool.registry import Registry
from sandbox_pool.relay import PreviewErrorRelay
from sandbox_pool.settings import SandboxPoolSettings

log = logging.getLogger(__name__)


def consumer(bus: Bus, db: Database, manager: SandboxManager,
             build_timeout: float = 120.0) -> Placement:
    """What takes the pool's jobs: each placed on its project's replica, then handled by its
    kind's handler."""
    ctx = Context(bus, db, manager)
    subjects = bus.subjects
    build = BuildJob(ctx, build_timeout)
    router = Router({
        subjects.apply: Route(ApplyRequest, ApplyJob(ctx)),
        subjects.sandbox_create: Route(CreateSandboxRequest, CreateSandboxJob(ctx)),
        subjects.install: Route(InstallPackagesRequest, InstallPackagesJob(ctx)),
        subjects.sandbox_command: Route(SandboxCommandRequest, SandboxCommandJob(ctx)),
        subjects.build: Route(BuildRequest, build),
        subjects.publish: Route(PublishRequest, PublishJob(ctx, build.builder)),
    })
    manager.on_preview_error = PreviewErrorRelay(bus)
    return Placement(bus, manager, router)


def give_way(nice: int) -> int:
    """Lower this process's CPU priority to ``nice`` (never raise it) and return the niceness
    it now has. Called before any thread starts: on Linux niceness is a thread's, inherited by
    the threads and processes started after, so every sandbox started here has it too."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if nice > current:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    return os.getpriority(os.PRIO_PROCESS, 0)


async def run(settings: SandboxPoolSettings) -> None:
    """Run the sandbox pool until SIGINT/SIGTERM."""
    nice = give_way(settings.sandbox_pool_nice)
    worker = Worker(
        settings,
        SANDBOX_POOL,
        ConsumerOptions(
            ack_wait=settings.ack_wait_seconds,
            max_deliver=settings.max_deliver,
            concurrency=settings.concurrency,
        ),
        # A ticket's job failing fails the ticket on its plan's board.
        on_failure=[kanban.job_failed],
    )
    bus, db = await worker.start()
    log.info("running at niceness %d (SANDBOX_POOL_NICE): sandboxes give way to the "
             "gateway's and the generator's work", nice)
    replica_id = _replica_id()
    provider = make_provider(settings, NodeModulesCache(settings.deps_dir()), replica_id)
    # Refuse to start rather than take jobs no sandbox can run (no bwrap, no credentials).
    await provider.check()
    registry = Registry(bus.js, bus.subjects.sandbox_bucket, replica_id,
                        settings.sandbox_lease_ttl, settings.jetstream_replicas)
    await registry.open()
    manager = SandboxManager(db, provider, registry, PoolOptions(
        pool_size=settings.sandbox_pool_size,
        pool_max=settings.pool_max(),
        demand_window=settings.sandbox_pool_demand_window,
        idle_timeout=settings.sandbox_idle_timeout,
        max_active=settings.sandbox_max_active,
        keep_alive=settings.sandbox_keep_alive,
    ))
    jobs = consumer(bus, db, manager, settings.build_timeout_seconds)
    await provider.prepare()
    await jobs.serve()
    await manager.start()
    # Sandboxes are handed back (leases released, hosted ones destroyed) while the bus is
    # still open.
    await worker.run(jobs, on_stop=[jobs.close, manager.close, provider.aclose])


def _replica_id() -> str:
    """Unique per process, readable in logs (which host, which process), and usable in a KV
    key and a subject."""
    name = f"{socket.gethostname()[:20]}-{os.getpid()}-{secrets.token_hex(2)}"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
