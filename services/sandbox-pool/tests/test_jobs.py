"""The pool's job handlers in process, as a replica runs them: jobs published on real NATS and
taken by the pool's consumer, rows in SQLite, the change shown in a real local sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from sqlmodel import col, select

from paynto_common import kanban
from paynto_common.bus import Bus, ConsumerOptions
from paynto_common.db import Database, Job, JobStatus, Project, Version
from paynto_common.messages import (
    SANDBOX_POOL,
    ApplyRequest,
    GenerateResult,
    JobMessage,
    JobStarted,
    read_result,
)
from paynto_common.testing.worker import consuming, events_until_end
from sandbox_pool.app import consumer
from sandbox_pool.manager import SandboxManager
from sandbox_pool.placement import Placement
from sandbox_pool.testing.contract import fetch

MakeManager = Callable[..., Awaitable[SandboxManager]]
Events = list[tuple[str, dict[str, Any]]]

APP = ("import Note from './components/Note.jsx'\n"
       "export default function App() { return <Note /> }\n")
NOTE = "export default function Note() { return <p>in-process</p> }\n"
ANSWER = (f'<file path="src/App.jsx">\n{APP}</file>\n'
          f'<file path="src/components/Note.jsx">\n{NOTE}</file>\n')


@dataclass
class Pool:
    """One replica's consumer taking jobs from the stream, and what it works with."""

    bus: Bus
    db: Database
    manager: SandboxManager
    jobs: Placement

    async def job(self, result: dict[str, Any] | None = None) -> tuple[str, str]:
        """A project and a job row of it, as the gateway (and the generator) leave it before
        the apply: (project id, job id)."""
        async with self.db.session() as s:
            project = Project(name="jobs test")
            s.add(project)
            await s.flush()
            job = Job(project_id=project.id, kind="generate", result=result)
            s.add(job)
            await s.commit()
            return project.id, job.id

    async def apply(self, message: JobMessage) -> Events:
        """Publish ``message`` as an apply job; its events up to its end."""
        await self.bus.publish_job(self.bus.subjects.apply, message, msg_id=message.job_id)
        return await self.events(message.job_id)

    async def events(self, job_id: str) -> Events:
        """The job's events up to its end."""
        return [(e.event, e.data) for e in await events_until_end(self.bus, job_id)]

    async def versions(self, project_id: str) -> list[Version]:
        async with self.db.session() as s:
            return list((await s.exec(select(Version).where(
                col(Version.project_id) == project_id))).all())


@pytest_asyncio.fixture
async def pool(bus: Bus, db: Database, managers: MakeManager) -> AsyncIterator[Pool]:
    """The pool's consumer as app.run wires it, running until the test ends."""
    manager = await managers("solo", pool_size=0)
    jobs = consumer(bus, db, manager)
    async with consuming(bus, db, SANDBOX_POOL, jobs, [kanban.job_failed], ConsumerOptions(
            ack_wait=30, max_deliver=2, backoff=(0.2,), concurrency=2)):
        yield Pool(bus, db, manager, jobs)


async def test_an_answer_is_stored_shown_and_completed(pool: Pool) -> None:
    project, job_id = await pool.job({"usage": {"prompt_tokens": 40, "completion_tokens": 2},
                                      "model_reason": "the default model"})
    events = await pool.apply(ApplyRequest(job_id=job_id, project_id=project, response=ANSWER,
                                           model="offline"))

    (version,) = await pool.versions(project)
    assert (version.number, version.job_id, version.model) == (1, job_id, "offline")
    assert version.files == {"src/App.jsx": APP, "src/components/Note.jsx": NOTE}
    names = [name for name, _ in events]
    assert names[0] == "status" and names[-2:] == ["preview", "complete"], events
    assert sorted(data["path"] for name, data in events if name == "file") == [
        "src/App.jsx", "src/components/Note.jsx"]
    live = pool.manager._live[project]
    assert events[-2][1] == {"preview_url": f"/preview/{live.sandbox_id}/"}
    assert events[-1][1] == {"files": ["src/App.jsx", "src/components/Note.jsx"],
                             "preview_url": f"/preview/{live.sandbox_id}/", "version": 1,
                             "preview_errors": 0}
    status, body = await fetch(live.sandbox, "src/components/Note.jsx")
    assert (status, "in-process" in body) == (200, True)

    row = await pool.db.job(job_id)
    assert row is not None and row.status == JobStatus.COMPLETE
    result = read_result(row.result, GenerateResult)
    assert (result.version, result.preview_errors, result.files) == (
        1, 0, ["src/App.jsx", "src/components/Note.jsx"])
    # What the generator recorded of the job's model work is kept beside the apply's result.
    assert result.usage is not None and result.usage.prompt_tokens == 40
    assert result.model_reason == "the default model"


async def test_a_redelivered_apply_stores_no_second_version(pool: Pool) -> None:
    project, job_id = await pool.job()
    request = ApplyRequest(job_id=job_id, project_id=project, response=ANSWER)
    first = await pool.apply(request)
    assert first[-1][0] == "complete", first
    # As if the replica died after storing the version, before the row said so: the job is
    # delivered again.
    async with pool.db.session() as s:
        row = await s.get(Job, job_id)
        assert row is not None
        row.status = JobStatus.RUNNING
        s.add(row)
        await s.commit()
    await pool.bus.publish_job(pool.bus.subjects.apply, request, msg_id=f"{job_id}-again")
    async with asyncio.timeout(60):
        while (row := await pool.db.job(job_id)) is None or row.status != JobStatus.COMPLETE:
            await asyncio.sleep(0.1)
    assert [v.number for v in await pool.versions(project)] == [1]
    assert read_result(row.result, GenerateResult).version == 1
    # A delivery after the job ended does nothing at all.
    await pool.jobs.run(pool.bus.subjects.apply, request.model_dump_json().encode())
    assert [v.number for v in await pool.versions(project)] == [1]
    # The stream told the end once.
    again = await pool.events(job_id)
    assert [name for name, _ in again].count("complete") == 1


async def test_a_job_whose_worker_died_before_its_stream_ended_is_ended_from_its_row(
        pool: Pool) -> None:
    # The replica before stored the change and ended the row, then died before the stream
    # heard: every client following the job would wait for ever.
    project, job_id = await pool.job({
        "files": ["src/App.jsx"], "preview_url": "/preview/gone/", "version": 3,
        "preview_errors": 0, "usage": {"prompt_tokens": 40, "completion_tokens": 2}})
    await pool.db.set_job_status(job_id, JobStatus.COMPLETE)
    await pool.bus.publish_event(job_id, JobStarted(job_id=job_id), msg_id=f"job:{job_id}")
    request = ApplyRequest(job_id=job_id, project_id=project, response=ANSWER)

    events = await pool.apply(request)
    # The end the row tells, as the first replica would have published it (the model's
    # usage is the row's, not the event's); nothing was applied again.
    assert events == [("job", {"job_id": job_id}), ("complete", {
        "files": ["src/App.jsx"], "preview_url": "/preview/gone/", "version": 3,
        "preview_errors": 0})]
    assert await pool.versions(project) == []
    # Another late delivery finds the stream ended and adds nothing.
    await pool.jobs.run(pool.bus.subjects.apply, request.model_dump_json().encode())
    info = await pool.bus.js.stream_info(pool.bus.subjects.events_stream)
    assert info.state.messages == 2


async def test_a_malformed_job_fails_for_good_with_a_clear_error(pool: Pool) -> None:
    project, job_id = await pool.job()
    # An apply without the answer to apply.
    events = await pool.apply(JobMessage(job_id=job_id, project_id=project))
    assert events[-1] == ("error", {"message": "malformed job: response: Field required"})
    row = await pool.db.job(job_id)
    assert row is not None and row.status == JobStatus.ERROR
    assert row.error == "malformed job: response: Field required"


async def test_an_unsafe_answer_is_refused_before_anything_is_written(pool: Pool) -> None:
    project, job_id = await pool.job()
    events = await pool.apply(ApplyRequest(
        job_id=job_id, project_id=project,
        response='<file path="../../etc/evil.js">alert(1)</file>'))
    (name, data), = [e for e in events if e[0] in ("file", "complete", "error")]
    assert name == "error" and data["message"].startswith("refused unsafe path"), events
    assert await pool.versions(project) == []
