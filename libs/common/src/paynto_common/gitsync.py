"""Asking git-sync to push a linked project's new versions: a ``git-sync`` job (its row, its
stream's ``job`` event, the message on ``subjects.git_commit``), started by whoever stored a
version (the sandbox pool) or by the person ("sync now"). A project without a link starts
nothing. Many quick versions make many jobs; each pushes what is still unpushed, in order,
so the later ones find little or nothing left to do."""

from __future__ import annotations

from paynto_common.bus import Bus
from paynto_common.db import Database, GitLink, Job, new_id
from paynto_common.messages import GitSyncRequest, JobStarted


async def request_sync(db: Database, bus: Bus, project_id: str) -> str | None:
    """Start a sync job for ``project_id`` if it is linked; its job id (None: not linked)."""
    async with db.session() as s:
        link = await s.get(GitLink, project_id)
        if link is None:
            return None
        job = Job(id=new_id(), project_id=project_id, kind="git-sync", user_id=link.user_id)
        s.add(job)
        await s.commit()
    await bus.publish_event(job.id, JobStarted(job_id=job.id), msg_id=f"job:{job.id}")
    await bus.publish_job(bus.subjects.git_commit,
                          GitSyncRequest(job_id=job.id, project_id=project_id,
                                         user_id=link.user_id), msg_id=job.id)
    return job.id
