"""Starting jobs and relaying their events as Server-Sent Events.

The gateway keeps no job state in memory: the job row is in the database, the job itself in
JetStream, and its events in the events stream, so a restarted gateway (or another replica)
serves a reconnecting client from ``Last-Event-ID`` with nothing lost and nothing repeated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException
from sqlalchemy.exc import IntegrityError
from sse_starlette import EventSourceResponse

from paynto_common.bus import Bus
from paynto_common.db import Database, Job, JobStatus
from paynto_common.messages import TERMINAL_EVENTS, JobMessage

log = logging.getLogger(__name__)


async def start_job(
    bus: Bus, db: Database, *, kind: str, subject: str, message: JobMessage,
    prompt: str | None = None, model: str | None = None,
) -> Job:
    """Store the job row, open its event stream with ``job``, then publish the job.

    An unknown project answers 404 through the row's foreign key, with no lookup before it.
    """
    job = Job(id=message.job_id, project_id=message.project_id, kind=kind, prompt=prompt,
              model=model)
    try:
        async with db.session() as s:
            s.add(job)
            await s.commit()
    except IntegrityError:
        raise HTTPException(404, f"unknown project {message.project_id}") from None
    await bus.publish_event(job.id, "job", {"job_id": job.id}, msg_id=f"job:{job.id}")
    try:
        await bus.publish_job(subject, message, msg_id=job.id)
    except Exception as exc:
        log.error("could not publish job %s: %s", job.id, exc)
        await db.set_job_status(job.id, JobStatus.ERROR, error="the job bus is unavailable")
        await bus.publish_event(job.id, "error", {"message": "the job bus is unavailable"},
                                msg_id=f"error:{job.id}")
        raise HTTPException(503, "the job bus is unavailable; try again") from exc
    return job


def parse_last_event_id(value: str | None) -> int:
    if value is None or value == "":
        return 0
    try:
        seq = int(value)
    except ValueError:
        raise HTTPException(400, "Last-Event-ID must be an event id from this stream") from None
    if seq < 0:
        raise HTTPException(400, "Last-Event-ID must not be negative")
    return seq


async def _sse(bus: Bus, job_id: str, after_seq: int) -> AsyncIterator[dict[str, Any]]:
    async for seq, event in bus.job_events(job_id, after_seq):
        yield {"id": str(seq), "event": event.event, "data": json.dumps(event.data)}
        if event.event in TERMINAL_EVENTS:
            return


def event_stream(bus: Bus, job_id: str, after_seq: int = 0) -> EventSourceResponse:
    """The job's events from after ``after_seq`` until ``complete`` or ``error``."""
    return EventSourceResponse(
        _sse(bus, job_id, after_seq),
        ping=15,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
