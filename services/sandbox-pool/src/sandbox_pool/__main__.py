"""Run the sandbox pool: ``python -m sandbox_pool``."""

import asyncio
import os
import secrets
import socket

from paynto_common.bus import ConsumerOptions
from paynto_common.messages import SANDBOX_POOL
from paynto_common.service import Worker
from sandbox_pool.deps import DepsCache
from sandbox_pool.handler import SandboxHandler
from sandbox_pool.local import LocalProvider
from sandbox_pool.manager import PoolOptions, SandboxManager
from sandbox_pool.providers import make_provider
from sandbox_pool.registry import Registry
from sandbox_pool.settings import SandboxPoolSettings


async def main() -> None:
    settings = SandboxPoolSettings()
    worker = Worker(
        settings,
        SANDBOX_POOL,
        ConsumerOptions(
            ack_wait=settings.ack_wait_seconds,
            max_deliver=settings.max_deliver,
            concurrency=settings.concurrency,
        ),
    )
    bus, db = await worker.start()
    deps = DepsCache(settings.deps_dir())
    provider = make_provider(settings, deps)
    # Refuse to start rather than take jobs no sandbox can run (no bwrap, no credentials).
    await provider.check()
    # Unique per process, readable in logs: which host, which process.
    replica_id = f"{socket.gethostname()[:20]}-{os.getpid()}-{secrets.token_hex(2)}"
    registry = Registry(bus.js, bus.subjects.sandbox_bucket, _key_safe(replica_id),
                        settings.sandbox_lease_ttl, settings.jetstream_replicas)
    await registry.open()
    manager = SandboxManager(db, provider, registry, PoolOptions(
        pool_size=settings.sandbox_pool_size,
        idle_timeout=settings.sandbox_idle_timeout,
        max_active=settings.sandbox_max_active,
        keep_alive=settings.sandbox_keep_alive,
    ))
    handler = SandboxHandler(bus, db, manager)
    if provider.name == "local":
        # Prepare the shared node_modules before the first job needs it.
        await deps.ensure()
    await handler.forwarder.serve()
    if isinstance(provider, LocalProvider):
        provider.owner_id = registry.replica_id
    await manager.start()
    try:
        await worker.run(handler)
    finally:
        await handler.forwarder.close()
        await manager.close()
        await provider.aclose()


def _key_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


asyncio.run(main())
