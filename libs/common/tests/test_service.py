"""The worker runtime's failure path, on real NATS and SQLite: a job failed for good says so
in its row and its stream, then the service's hooks are told."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from paynto_common.bus import Bus, Router
from paynto_common.db import Database, JobStatus
from paynto_common.messages import (
    SCRAPER,
    CreateSandboxRequest,
    JobCancelled,
    Status,
    Subjects,
)
from paynto_common.runtime import free_port
from paynto_common.service import Worker, end_stream, record_failure
from paynto_common.settings import CommonSettings
from paynto_common.testing.worker import new_job


async def test_a_failed_job_ends_in_error_and_tells_the_hooks(bus: Bus, db: Database) -> None:
    job = await new_job(db, "sandbox")
    told: list[tuple[str, str]] = []

    async def hook(_db: Database, _bus: Bus, job_id: str, reason: str) -> None:
        told.append((job_id, reason))

    data = CreateSandboxRequest(job_id=job.id, project_id=job.project_id).model_dump_json()
    await record_failure(bus, db, data.encode(), "no sandbox", [hook])
    row = await db.job(job.id)
    assert row is not None and (row.status, row.error) == (JobStatus.ERROR, "no sandbox")
    assert told == [(job.id, "no sandbox")]
    async with asyncio.timeout(5), contextlib.aclosing(bus.job_events(job.id)) as events:
        _seq, event = await anext(events)
    assert (event.event, event.data) == ("error", {"message": "no sandbox"})


async def test_a_job_that_finished_after_all_is_left_alone(bus: Bus, db: Database) -> None:
    job = await new_job(db, "sandbox")
    await db.set_job_status(job.id, JobStatus.COMPLETE)
    told: list[str] = []

    async def hook(_db: Database, _bus: Bus, job_id: str, _reason: str) -> None:
        told.append(job_id)

    data = CreateSandboxRequest(job_id=job.id, project_id=job.project_id).model_dump_json()
    await record_failure(bus, db, data.encode(), "late", [hook])
    row = await db.job(job.id)
    assert row is not None and row.status == JobStatus.COMPLETE
    assert told == []
    info = await bus.js.stream_info(bus.subjects.events_stream)
    assert info.state.messages == 0


async def test_an_ended_job_whose_stream_did_not_end_gets_its_end_once(
        bus: Bus, db: Database) -> None:
    running, failed, told = [await new_job(db, "sandbox") for _ in range(3)]
    await db.set_job_status(failed.id, JobStatus.ERROR, error="no sandbox")
    await db.set_job_status(told.id, JobStatus.CANCELLED)
    await bus.publish_event(told.id, JobCancelled(by="owner"), msg_id=f"cancelled:{told.id}")

    # A job still running is not ended by a stray delivery; one whose end is told already
    # is not told twice.
    assert not await end_stream(bus, db, running.id)
    assert not await end_stream(bus, db, told.id)
    # The worker died between the row and the stream: the row's end is published, once.
    assert await end_stream(bus, db, failed.id)
    assert not await end_stream(bus, db, failed.id)
    last = await bus.last_event(failed.id)
    assert last is not None and (last.event, last.data) == ("error", {"message": "no sandbox"})
    assert await bus.last_event(running.id) is None
    info = await bus.js.stream_info(bus.subjects.events_stream)
    assert info.state.messages == 2


async def test_an_unreadable_job_is_dropped_without_a_hook(bus: Bus, db: Database) -> None:
    told: list[str] = []

    async def hook(_db: Database, _bus: Bus, job_id: str, _reason: str) -> None:
        told.append(job_id)

    await record_failure(bus, db, b"{not json", "broken", [hook])
    assert told == []


async def test_on_stop_runs_after_the_drain_while_the_bus_is_open(
        nats_url: str, namespace: str, tmp_path: Path) -> None:
    settings = CommonSettings(nats_url=nats_url, PAYNTO_BUS_NAMESPACE=namespace,
                              PAYNTO_DATA_DIR=tmp_path, health_port=free_port())
    worker = Worker(settings, SCRAPER)
    bus, _db = await worker.start()
    seen: list[str] = []

    async def hand_back() -> None:
        # What a pool does at this point: tell the others, on the still open bus.
        await bus.publish_event("stopping", Status(message="handing back"))
        seen.append("handed back")

    running = asyncio.create_task(worker.run(Router({}), on_stop=[hand_back]))
    await asyncio.sleep(0.5)
    worker.stop.set()
    await asyncio.wait_for(running, 30)
    assert seen == ["handed back"]
    assert not bus.nc.is_connected  # and only then closed
    check = await Bus.connect(nats_url, Subjects(namespace))
    try:
        info = await check.js.stream_info(check.subjects.events_stream)
        assert info.state.messages == 1
    finally:
        await check.drop_streams()
        await check.close()
