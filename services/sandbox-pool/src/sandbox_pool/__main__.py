"""Run the sandbox pool: ``python -m sandbox_pool``."""

import asyncio

from sandbox_pool.app import run
from sandbox_pool.settings import SandboxPoolSettings

asyncio.run(run(SandboxPoolSettings()))
