"""The scraper's routes in-process, on real NATS and SQLite: until its jobs arrive, a job sent
here fails at once with a reason, visibly, instead of waiting forever."""

from __future__ import annotations

from paynto_common.bus import Bus
from paynto_common.db import Database, JobStatus
from paynto_common.messages import SCRAPER, JobMessage
from paynto_common.testing.worker import new_job, run_jobs
from scraper.app import router


async def test_a_job_sent_here_fails_at_once_saying_why(bus: Bus, db: Database) -> None:
    job = await new_job(db, "scrape")
    message = JobMessage(job_id=job.id, project_id=job.project_id)
    [events] = await run_jobs(bus, db, SCRAPER, router(), [(bus.subjects.scrape, message)])
    assert events[-1].event == "error"
    reason = events[-1].data["message"]
    assert reason.startswith("website scraping and cloning is not available yet")
    row = await db.job(job.id)
    assert row is not None and (row.status, row.error) == (JobStatus.ERROR, reason)
