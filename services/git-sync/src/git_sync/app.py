"""Wiring of git-sync: sync jobs on ``subjects.git_commit`` push a linked project's new
versions to its git remote (:mod:`git_sync.sync`, through :mod:`git_sync.remote`); deploy jobs
on ``subjects.deploy`` send a published build to Vercel or Netlify (:mod:`git_sync.publish`,
through :mod:`git_sync.deploys`)."""

from __future__ import annotations

from typing import Any

from git_sync.publish import DeployJob
from git_sync.settings import GitSyncSettings
from git_sync.sync import SyncJob
from paynto_common.bus import Bus, ConsumerOptions, Route
from paynto_common.db import Database
from paynto_common.messages import GIT_SYNC, DeployRequest, GitSyncRequest
from paynto_common.service import Worker
from paynto_common.vault import Vault, load_vault


def routes(settings: GitSyncSettings, bus: Bus, db: Database,
           vault: Vault) -> dict[str, Route[Any]]:
    return {
        bus.subjects.git_commit: Route(GitSyncRequest, SyncJob(settings, bus, db, vault).handle),
        bus.subjects.deploy: Route(DeployRequest, DeployJob(settings, bus, db, vault).handle),
    }


async def run(settings: GitSyncSettings) -> None:
    """Take sync jobs until a signal arrives."""
    worker = Worker(settings, GIT_SYNC, ConsumerOptions(
        ack_wait=max(settings.git_push_timeout_seconds, settings.deploy_timeout_seconds) * 2,
        max_deliver=6,
        backoff=(2.0, 5.0, 15.0, 30.0, 60.0), concurrency=4))
    bus, db = await worker.start()
    vault = load_vault(settings.secrets_key, settings.data_dir, required=False)
    await worker.run(routes(settings, bus, db, vault))
