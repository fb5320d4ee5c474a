"""Run the git-sync service: ``python -m git_sync``."""

import asyncio

from git_sync.handler import handle
from git_sync.settings import GitSyncSettings
from paynto_common.messages import GIT_SYNC
from paynto_common.service import Worker


async def main() -> None:
    await Worker(GitSyncSettings(), GIT_SYNC).run(handle)


asyncio.run(main())
