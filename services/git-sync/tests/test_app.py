"""git-sync's routes in-process, on real NATS and SQLite: until its jobs arrive, a job sent
here fails at once with a reason, visibly, instead of waiting forever."""

from __future__ import annotations

from git_sync.app import router
from paynto_common.bus import Bus
from paynto_common.db import Database
from paynto_common.messages import GIT_SYNC, JobMessage
from paynto_common.testing.worker import new_job, run_jobs


async def test_a_commit_job_fails_at_once_saying_why(bus: Bus, db: Database) -> None:
    job = await new_job(db, "git-commit")
    message = JobMessage(job_id=job.id, project_id=job.project_id)
    [events] = await run_jobs(bus, db, GIT_SYNC, router(), [(bus.subjects.git_commit, message)])
    assert [e.event for e in events] == ["error"]
    assert events[0].data["message"] == (
        f"GitHub export and sync is not available yet: {bus.subjects.git_commit}")
