"""Sync jobs: push a linked project's versions not yet on its remote, one commit each, in
order (``GitLink``, ``GitPush``).

Each version's commit carries the request that made it as its message and a marker line
(``Paynto-Version: <project>/<n>``). A job killed after a push but before its record finds
the commit at the branch's head and records it instead of pushing again; a branch that moved
on the remote is never overwritten (the commit goes to a new branch, and later versions
follow it there). A push that may pass (the remote failed, the network) is retried by the
bus with backoff; one that cannot (the token, no repository) fails the job and marks the link
``failed`` with the reason. Tokens are read from the user's sealed secrets, never logged. A
site that publishes on every sync (``Site.auto_publish``) gets the newest pushed version
published.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from opentelemetry import trace
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from git_sync.remote import Pushed, Remote, RemoteError, push_files
from git_sync.settings import GitSyncSettings
from paynto_common.bus import Bus
from paynto_common.db import (
    Database,
    GitLink,
    GitPush,
    JobStatus,
    Project,
    Site,
    Version,
    utcnow,
)
from paynto_common.errors import PermanentJobError
from paynto_common.gitsync import commit_message
from paynto_common.messages import GitPushed, GitSyncEnded, GitSyncRequest, project_channel, stored
from paynto_common.metrics import GIT_PUSH_SECONDS, GIT_PUSHES
from paynto_common.publishing import request_publish
from paynto_common.safety.urls import UrlRefused
from paynto_common.service import end_stream
from paynto_common.vault import Vault, get_secret

log = logging.getLogger(__name__)
tracer = trace.get_tracer("paynto.git_sync")


def marker(project_id: str, version: int) -> str:
    return f"Paynto-Version: {project_id}/{version}"


def push_outcome(done: Pushed) -> str:
    """How a push went, as ``paynto_git_pushes_total`` counts it: already (the branch held
    the version), moved (pushed to a new branch), else pushed."""
    return "already" if done.already else "moved" if done.moved else "pushed"


class SyncJob:
    def __init__(self, settings: GitSyncSettings, bus: Bus, db: Database, vault: Vault) -> None:
        self.settings = settings
        self.bus = bus
        self.db = db
        self.vault = vault

    async def handle(self, req: GitSyncRequest, attempt: int) -> None:
        job = await self.db.claim_job(req.job_id, attempt, user_id=req.user_id)
        if job is None:
            await end_stream(self.bus, self.db, req.job_id, GitSyncEnded)
            return
        async with self.db.session() as s:
            link = await s.get(GitLink, req.project_id)
        if link is None:
            raise PermanentJobError(f"project {req.project_id} is not linked to a git remote")
        token = await get_secret(self.db, self.vault, link.user_id, link.secret) \
            if link.secret else None
        remote = Remote(link.remote_url, token, link.username)
        pushed: list[int] = []
        for version in await self._unpushed(link):
            started = time.perf_counter()
            try:
                with tracer.start_as_current_span("git push", attributes={
                        "paynto.version": version.number, "paynto.git.branch": link.branch,
                        "server.address": urlsplit(link.remote_url).hostname or ""}) as span:
                    done = await push_files(
                        remote, link.branch, version.files, await self._message(version),
                        author=self.settings.git_author, expected=link.head,
                        policy=self.settings.fetch_policy(),
                        marker=marker(link.project_id, version.number),
                        timeout=self.settings.git_push_timeout_seconds)
                    span.set_attributes({"paynto.git.already": done.already,
                                         "paynto.git.moved": done.moved})
                GIT_PUSHES.labels(push_outcome(done)).inc()
            except (RemoteError, UrlRefused) as exc:
                GIT_PUSHES.labels("failed").inc()
                reason = exc.message if isinstance(exc, RemoteError) else \
                    f"{link.remote_url} may not be reached: {exc.reason}"
                permanent = isinstance(exc, UrlRefused) or exc.status in (401, 404, 422)
                await self._set(link, status="failed", error=reason)
                if permanent:
                    raise PermanentJobError(reason) from None
                raise RuntimeError(reason) from None  # redelivered with backoff
            finally:
                GIT_PUSH_SECONDS.observe(time.perf_counter() - started)
            link = await self._record(link, version.number, done, req.job_id)
            pushed.append(version.number)
        if pushed:
            await self._publish_if_asked(link, pushed[-1])
        result = GitSyncEnded(pushed=pushed, branch=link.branch, head=link.head,
                              status=link.status)
        await self.db.set_job_status(req.job_id, JobStatus.COMPLETE, result=stored(result))
        await self.bus.publish_event(req.job_id, result, msg_id=f"complete:{req.job_id}")

    async def _publish_if_asked(self, link: GitLink, version: int) -> None:
        """A site that publishes on every sync gets the newest version pushed (a redelivered
        sync finds nothing new to push, so it publishes nothing twice)."""
        async with self.db.session() as s:
            site = await s.get(Site, link.project_id)
            project = await s.get(Project, link.project_id)
        if site is None or not site.auto_publish or project is None:
            return
        job, _, _ = await request_publish(self.db, self.bus, project, version, link.user_id)
        log.info("project %s version %d: publishing on sync (job %s)", link.project_id,
                 version, job.id)

    async def _unpushed(self, link: GitLink) -> list[Version]:
        async with self.db.session() as s:
            return list((await s.exec(
                select(Version).where(Version.project_id == link.project_id,
                                      col(Version.number) > link.pushed_version)
                .order_by(col(Version.number)))).all())

    async def _message(self, version: Version) -> str:
        """The request that made the version, then the marker line."""
        return await commit_message(self.db, version,
                                    marker(version.project_id, version.number))

    async def _record(self, link: GitLink, version: int, done: Pushed, job_id: str
                      ) -> GitLink:
        status = "moved" if done.moved or link.status == "moved" else "synced"
        error = (f"the remote's {link.branch} had moved: pushed to {done.branch} instead"
                 if done.moved else None if status == "synced" else link.error)
        async with self.db.session() as s:
            s.add(GitPush(project_id=link.project_id, version=version, branch=done.branch,
                          commit=done.commit, moved=done.moved))
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()  # recorded by an earlier delivery
        link = await self._set(link, head=done.commit, branch=done.branch,
                               pushed_version=version, status=status, error=error)
        event = GitPushed(version=version, commit=done.commit, branch=done.branch,
                          moved=done.moved, already=done.already)
        await self.bus.publish_event(job_id, event, msg_id=f"git:{job_id}:{version}")
        await self.bus.publish_event(project_channel(link.project_id), event)
        log.info("project %s version %d pushed as %s to %s%s", link.project_id, version,
                 done.commit[:12], done.branch, " (already there)" if done.already else "")
        return link

    async def _set(self, link: GitLink, **changes: object) -> GitLink:
        async with self.db.session() as s:
            row = await s.get(GitLink, link.project_id)
            if row is None:
                raise PermanentJobError(f"project {link.project_id} was unlinked")
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            s.add(row)
            await s.commit()
            await s.refresh(row)
            return row
