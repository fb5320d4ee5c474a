"""Starting jobs and relaying their events as Server-Sent Events.

The gateway keeps no job state in memory: the job row is in the database, the job itself in
JetStream, and its events in the events stream, so a restarted gateway (or another replica)
serves a reconnecting client from ``Last-Event-ID`` with nothing lost and nothing repeated.

A route starts a job with :func:`start_job` (the job's kind names its subject, from
``JOB_KINDS``), then relays its events with :func:`event_stream`; a job that calls a model is
checked first (:func:`check_model_job`: the prompt's length, the budgets), and
:func:`start_model_job` does all three.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

from fastapi import HTTPException
from opentelemetry import trace
from sqlalchemy import exists
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sse_starlette import EventSourceResponse

from gateway.auth import PreviewLinks
from gateway.metrics import counted_stream, stream_kind
from gateway.settings import GatewaySettings
from paynto_common import kanban, ledger
from paynto_common.bus import Bus
from paynto_common.db import COMMIT_NOW, Database, Job, JobStatus, Project, User, insert_of
from paynto_common.messages import (
    JOB_KINDS,
    TERMINAL_EVENTS,
    GenerateRequest,
    JobCancelled,
    JobFailed,
    JobMessage,
    JobStarted,
    PlanRequest,
)
from paynto_common.telemetry import job_attributes

log = logging.getLogger(__name__)
tracer = trace.get_tracer("paynto.gateway")


async def check_model_job(db: Database, settings: GatewaySettings, project_id: str,
                          prompt: str, user: str | None) -> None:
    """Refuse a model job whose prompt is too long (422), or one the project's or the
    person's budget cannot pay (402)."""
    if len(prompt) > settings.max_prompt_chars:
        raise HTTPException(
            422, f"prompt is {len(prompt)} characters; the limit is "
                 f"{settings.max_prompt_chars}",
        )
    refusal = await ledger.over_budget(db, project_id, settings.project_budget_usd, user,
                                       settings.user_budget_usd)
    if refusal is not None:
        raise HTTPException(402, refusal)


async def start_job(
    bus: Bus, db: Database, user: User, *, kind: str, message: JobMessage,
    prompt: str | None = None, model: str | None = None,
) -> Job:
    """Store the job row, open its event stream with ``job``, then publish the job to the
    subject of its ``kind``; the job acts for ``user``, who must own its project (else 404,
    as for a project that does not exist)."""
    message.user_id = user.id
    job = Job(id=message.job_id, project_id=message.project_id, kind=kind, prompt=prompt,
              model=model, user_id=user.id)
    unknown = HTTPException(404, f"unknown project {message.project_id}")
    # Stored only if the user owns the project: the check is part of the insert (one trip).
    owned = exists().where(col(Project.id) == message.project_id,
                           col(Project.owner_id) == user.id)
    try:
        async with db.session() as s:
            stored = (await s.exec(insert_of(job, only_if=owned).returning(col(Job.id)),
                                   execution_options=COMMIT_NOW)).first()
            await s.commit()
    except IntegrityError:
        raise unknown from None  # deleted as the row went in (the key is checked after)
    if stored is None:
        raise unknown
    try:
        # Inside the try too: a row left "queued" by a bus that failed here would be a job
        # nobody runs and every studio shows as active for ever.
        # The stream's first event is on its way before the job (so stored first), and the
        # two round trips overlap.
        started = await bus.send_event(job.id, JobStarted(job_id=job.id),
                                       msg_id=f"job:{job.id}")
        await bus.publish_job(JOB_KINDS[kind].subject(bus.subjects), message, msg_id=job.id)
        await started
    except Exception as exc:
        log.error("could not publish job %s: %s", job.id, exc)
        await db.set_job_status(job.id, JobStatus.ERROR, error="the job bus is unavailable")
        # Best effort: the bus that just failed may fail this too; the row says it already.
        with contextlib.suppress(Exception):
            await bus.publish_event(job.id, JobFailed(message="the job bus is unavailable"),
                                    msg_id=f"error:{job.id}")
        raise HTTPException(503, "the job bus is unavailable; try again") from exc
    # The request's span names the job, so the job's trace is found by its id.
    trace.get_current_span().set_attributes(job_attributes(job.id, job.project_id, kind))
    return job


async def cancel_job(bus: Bus, db: Database, job_id: str, *, by: str) -> bool:
    """Stop a job: its row ends ``cancelled`` (so no worker starts it and a late delivery does
    nothing), its stream ends with ``cancelled``, a worker running it stops, and a ticket it
    was building fails (so its board's run stops). False when it had ended already."""
    before = await db.job(job_id)
    if before is None or before.status in JobStatus.TERMINAL:
        return False
    job = await db.set_job_status(job_id, JobStatus.CANCELLED, error=f"cancelled by {by}")
    if job is None or job.status != JobStatus.CANCELLED:
        return False  # it ended while we looked
    await bus.publish_event(job_id, JobCancelled(by=by), msg_id=f"cancelled:{job_id}")
    await bus.cancel(job_id)
    if job.kind == "ticket":
        await kanban.job_failed(db, bus, job_id, f"cancelled by {by}")
    log.info("job %s cancelled by %s", job_id, by)
    return True


async def start_model_job(bus: Bus, db: Database, settings: GatewaySettings, user: User,
                          links: PreviewLinks, *, kind: str,
                          message: GenerateRequest | PlanRequest) -> EventSourceResponse:
    """Check, start and follow a job that asks a model about ``message.prompt``."""
    await check_model_job(db, settings, message.project_id, message.prompt, user.id)
    job = await start_job(bus, db, user, kind=kind, message=message, prompt=message.prompt,
                          model=message.model)
    return event_stream(bus, job.id, links=(links, message.project_id))


Signing = tuple[PreviewLinks, str]
"""Who the preview links in a stream are signed for: the user's signer and the project."""


async def _sse(bus: Bus, job_id: str, after_seq: int, links: Signing | None
               ) -> AsyncGenerator[dict[str, Any], None]:
    # One span for the whole relay (not one an event), under the request's: how many events
    # went out and how the stream ended. Not made current: a generator may be closed from
    # another context than the one it started in.
    span = tracer.start_span("sse relay", attributes={
        **job_attributes(job_id), "paynto.sse.after_seq": after_seq})
    sent = 0
    try:
        async for seq, event in bus.job_events(job_id, after_seq):
            data = event.data
            if links is not None and "preview_url" in data:
                data = links[0].sign(links[1], data)
            yield {"id": str(seq), "event": event.event, "data": json.dumps(data)}
            sent += 1
            if event.event in TERMINAL_EVENTS:
                span.set_attribute("paynto.sse.end", event.event)
                return
    finally:
        span.set_attribute("paynto.sse.events", sent)
        span.end()


def event_stream(bus: Bus, job_id: str, after_seq: int = 0,
                 links: Signing | None = None) -> EventSourceResponse:
    """The job's events from after ``after_seq`` until ``complete``, ``error`` or
    ``cancelled``; with ``links``, the preview links in them signed for its user.

    A job's stream names the job in its ``X-Job-Id`` header too: a client whose stream drops
    before the first event (the ``job`` event, which names it as well) can still resume it
    at ``/api/jobs/{id}/events``."""
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if stream_kind(job_id) == "job":
        headers["X-Job-Id"] = job_id
    return EventSourceResponse(
        counted_stream(job_id, _sse(bus, job_id, after_seq, links)),
        ping=15,
        headers=headers,
    )
