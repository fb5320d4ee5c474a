"""Run the sandbox pool: ``python -m sandbox_pool``."""

import asyncio
from pathlib import Path

from paynto_common.bus import ConsumerOptions
from paynto_common.messages import SANDBOX_POOL
from paynto_common.service import Worker
from sandbox_pool.deps import DepsCache
from sandbox_pool.handler import SandboxHandler
from sandbox_pool.local import LocalProvider
from sandbox_pool.manager import SandboxManager
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
    # Besides the data folder, home and /run, hide the folder we run from: a checkout keeps
    # its .env (provider keys) there.
    provider = LocalProvider(
        settings.sandboxes_dir(), deps,
        hidden_paths=[settings.data_dir, Path.home(), Path("/run"), Path.cwd()],
    )
    manager = SandboxManager(db, provider)
    await manager.forget_stale()
    # Prepare the shared node_modules before the first job needs it.
    await deps.ensure()
    try:
        await worker.run(SandboxHandler(bus, db, manager))
    finally:
        await manager.close()


asyncio.run(main())
