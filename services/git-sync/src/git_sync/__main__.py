"""Run the git-sync service: ``python -m git_sync``."""

import asyncio

from git_sync.app import run
from git_sync.settings import GitSyncSettings

asyncio.run(run(GitSyncSettings()))
