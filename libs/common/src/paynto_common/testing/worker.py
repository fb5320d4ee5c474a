"""Run a service's routes in-process against a real bus and database, for its tests.

``consuming`` runs the service's consumer (the same ``Bus.run_consumer`` a deployed worker
runs, with the runtime's failure path) while a block runs; ``run_jobs`` publishes jobs
through it and returns each job's events once its stream ended with ``complete`` or
``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from paynto_common.bus import Bus, ConsumerOptions, Handler
from paynto_common.db import Database, Job, Project
from paynto_common.messages import TERMINAL_EVENTS, JobEvent, JobMessage
from paynto_common.service import FailureHook, record_failure

FAST = ConsumerOptions(ack_wait=5.0, max_deliver=3, backoff=(0.1,), concurrency=4)


async def new_job(db: Database, kind: str, prompt: str | None = None,
                  project_id: str | None = None) -> Job:
    """A job row (and a project for it, unless one is given), as the gateway stores them."""
    async with db.session() as s:
        if project_id is None:
            project = Project(name="test")
            s.add(project)
            await s.flush()
            project_id = project.id
        job = Job(project_id=project_id, kind=kind, prompt=prompt)
        s.add(job)
        await s.commit()
        return job


async def events_until_end(bus: Bus, channel: str, timeout: float = 60.0) -> list[JobEvent]:
    """A channel's events from its start until its ``complete``, ``error`` or ``cancelled``."""
    seen: list[JobEvent] = []
    async with asyncio.timeout(timeout), contextlib.aclosing(bus.job_events(channel)) as events:
        async for _seq, event in events:
            seen.append(event)
            if event.event in TERMINAL_EVENTS:
                return seen
    return seen


@contextlib.asynccontextmanager
async def consuming(bus: Bus, db: Database, service: str, handler: Handler,
                    on_failure: Sequence[FailureHook] = (),
                    options: ConsumerOptions = FAST) -> AsyncIterator[None]:
    """``service``'s consumer taking jobs with ``handler`` (and the runtime's failure path)
    while the block runs; stopped and drained when it ends."""
    stop = asyncio.Event()

    async def failed(data: bytes, reason: str) -> None:
        await record_failure(bus, db, data, reason, on_failure)

    consumer = asyncio.create_task(bus.run_consumer(service, handler, failed, stop, options))
    try:
        yield
    finally:
        stop.set()
        await consumer


async def run_jobs(bus: Bus, db: Database, service: str, handler: Handler,
                   jobs: Sequence[tuple[str, JobMessage]],
                   on_failure: Sequence[FailureHook] = (),
                   options: ConsumerOptions = FAST) -> list[list[JobEvent]]:
    """Publish ``(subject, message)`` jobs, run ``service``'s consumer with ``handler`` until
    each one's stream ended, and return their events in the order given."""
    async with consuming(bus, db, service, handler, on_failure, options):
        for subject, message in jobs:
            await bus.publish_job(subject, message, msg_id=message.job_id)
        return [await events_until_end(bus, message.job_id) for _subject, message in jobs]
