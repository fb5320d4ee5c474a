"""Wiring of git-sync: the worker and its routes.

It joins the bus and answers health checks now; its jobs (GitHub export, commits, sync)
arrive in a later release. Until then a job sent here fails at once with a clear reason
instead of waiting forever.
"""

from __future__ import annotations

from git_sync.settings import GitSyncSettings
from paynto_common.bus import Router
from paynto_common.messages import GIT_SYNC
from paynto_common.service import Worker


def router() -> Router:
    return Router({}, unrouted="GitHub export and sync is not available yet:")


async def run(settings: GitSyncSettings) -> None:
    await Worker(settings, GIT_SYNC).run(router())
