"""Sandboxes of projects: one per project, created on demand, rebuilt from the database.

A sandbox is only a cache of the project's latest version: if its process died or this
service restarted, the next job creates a new one and writes the whole version into it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlmodel import col, update

from paynto_common.db import Database, Sandbox, new_id, utcnow
from paynto_common.messages import preview_path
from sandbox_pool.local import LocalProvider, LocalSandbox

log = logging.getLogger(__name__)


@dataclass
class Live:
    sandbox_id: str
    sandbox: LocalSandbox

    @property
    def preview_url(self) -> str:
        return preview_path(self.sandbox_id)


class SandboxManager:
    def __init__(self, db: Database, provider: LocalProvider) -> None:
        self.db = db
        self.provider = provider
        self._live: dict[str, Live] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, project_id: str) -> asyncio.Lock:
        """Jobs of one project touch its sandbox one at a time."""
        return self._locks.setdefault(project_id, asyncio.Lock())

    async def forget_stale(self) -> None:
        """Sandboxes recorded by an earlier run of this service died with it."""
        async with self.db.session() as s:
            await s.exec(
                update(Sandbox)
                .where(col(Sandbox.provider) == "local", col(Sandbox.status) == "running")
                .values(status="stopped", updated_at=utcnow())
            )
            await s.commit()

    async def current(self, project_id: str) -> Live | None:
        """The project's running sandbox, or None if it has none or it died."""
        live = self._live.get(project_id)
        if live is None:
            return None
        if await live.sandbox.alive():
            return live
        log.warning(
            "sandbox %s of project %s died; it will be rebuilt", live.sandbox_id, project_id
        )
        await self._drop(project_id, live)
        return None

    async def create(self, project_id: str, files: dict[str, str], version: int | None) -> Live:
        """A new sandbox holding ``files``, started and answering."""
        sandbox_id = new_id()[:16]
        sandbox = await self.provider.create(sandbox_id, preview_path(sandbox_id))
        try:
            if files:
                await sandbox.write_files(files)
            await sandbox.start()
        except BaseException:
            await sandbox.stop()
            raise
        live = Live(sandbox_id, sandbox)
        self._live[project_id] = live
        async with self.db.session() as s:
            s.add(
                Sandbox(
                    id=sandbox_id,
                    project_id=project_id,
                    provider="local",
                    status="running",
                    endpoint=f"unix:{sandbox.socket_path}",
                    version=version,
                )
            )
            await s.commit()
        return live

    async def record_version(self, live: Live, version: int) -> None:
        async with self.db.session() as s:
            row = await s.get(Sandbox, live.sandbox_id)
            if row is not None:
                row.version = version
                row.updated_at = utcnow()
                s.add(row)
                await s.commit()

    async def stop(self, project_id: str) -> bool:
        """Stop the project's sandbox; False when it had none running."""
        live = self._live.get(project_id)
        if live is None:
            return False
        await self._drop(project_id, live)
        return True

    async def _drop(self, project_id: str, live: Live) -> None:
        self._live.pop(project_id, None)
        await live.sandbox.stop()
        async with self.db.session() as s:
            row = await s.get(Sandbox, live.sandbox_id)
            if row is not None:
                row.status = "stopped"
                row.updated_at = utcnow()
                s.add(row)
                await s.commit()

    async def close(self) -> None:
        for project_id, live in list(self._live.items()):
            await self._drop(project_id, live)
