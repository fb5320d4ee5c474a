"""Run a batch worker: ``python -m batch_worker``."""

import asyncio

from batch_worker.app import run
from batch_worker.settings import BatchSettings

asyncio.run(run(BatchSettings()))
