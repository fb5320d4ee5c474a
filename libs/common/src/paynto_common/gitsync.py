"""Asking git-sync to push a linked project's new versions: a ``git-sync`` job (its row, its
stream's ``job`` event, the message on ``subjects.git_commit``), started by whoever stored a
version (the sandbox pool) or by the person ("sync now"). A project without a link starts
nothing. Quick versions are debounced: while a sync job of the project waits to start, a new
version joins it instead of making another (it pushes what is unpushed when it starts, in
order). A version made while a sync runs starts a new job, which finds only what is left."""

from __future__ import annotations

from sqlmodel import select

from paynto_common.bus import Bus
from paynto_common.db import Database, GitLink, Job, JobStatus, Version, new_id
from paynto_common.messages import GitSyncRequest, JobStarted


async def request_sync(db: Database, bus: Bus, project_id: str) -> str | None:
    """Start a sync job for ``project_id`` if it is linked; its job id (None: not linked)."""
    async with db.session() as s:
        link = await s.get(GitLink, project_id)
        if link is None:
            return None
        waiting = (await s.exec(select(Job.id).where(
            Job.project_id == project_id, Job.kind == "git-sync",
            Job.status == JobStatus.QUEUED))).first()
        if waiting is not None:
            # Not started yet: when it starts it pushes this version too.
            return waiting
        job = Job(id=new_id(), project_id=project_id, kind="git-sync", user_id=link.user_id)
        s.add(job)
        await s.commit()
    await bus.publish_event(job.id, JobStarted(job_id=job.id), msg_id=f"job:{job.id}")
    await bus.publish_job(bus.subjects.git_commit,
                          GitSyncRequest(job_id=job.id, project_id=project_id,
                                         user_id=link.user_id), msg_id=job.id)
    return job.id


async def commit_message(db: Database, version: Version, trailer: str) -> str:
    """A version's commit message: the request that made it (its first line the title, cut to
    72 characters), then ``trailer`` (which Paynto version this is) as the last line."""
    request = None
    if version.job_id:
        async with db.session() as s:
            made = await s.get(Job, version.job_id.split(":", 1)[0])
        request = made.prompt if made else None
    title = (request or f"Version {version.number}").strip().splitlines()[0][:72]
    body = (request or "").strip()
    text = f"{title}\n\n{body}\n" if body and body != title else f"{title}\n"
    return f"{text}\n{trailer}\n"
