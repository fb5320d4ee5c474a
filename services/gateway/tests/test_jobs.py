"""Model jobs through the API: a generation's job published once and its events relayed (and
resumed); the models the generators offer; a job's row."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlmodel import select

from gateway.settings import GatewaySettings
from paynto_cli.sse import parse_sse
from paynto_common.bus import Bus
from paynto_common.db import Database, Job, JobStatus
from paynto_common.messages import (
    Applied,
    ApplyRequest,
    GenerateRequest,
    ModelInfo,
    ModelsReply,
    ModelsRequest,
    StreamDelta,
)

TakeJob = Callable[..., Awaitable[Any]]


async def test_generate_publishes_one_job_and_relays_its_events(
    client: httpx.AsyncClient, bus: Bus, take_job: TakeJob,
) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    worker = asyncio.create_task(take_job(bus.subjects.generate, GenerateRequest,
                                          StreamDelta(text="<file"), Applied(files=[])))
    body = {"project_id": project, "prompt": "a bakery"}
    async with client.stream("POST", "/api/generate-ai-code-stream", json=body) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [ev async for ev in parse_sse(r.aiter_lines())]
    job = await worker
    assert job.prompt == "a bakery" and job.project_id == project
    assert [e.event for e in events] == ["job", "stream", "complete"]
    assert all(e.id and e.id.isdigit() for e in events)
    job_id = events[0].data["job_id"]
    status = (await client.get(f"/api/jobs/{job_id}")).json()
    assert status["kind"] == "generate" and status["status"] == "queued"

    # Resume after the second event: only the third comes again.
    headers = {"Last-Event-ID": events[1].id or ""}
    async with client.stream("GET", f"/api/jobs/{job_id}/events", headers=headers) as r:
        rest = [ev async for ev in parse_sse(r.aiter_lines())]
    assert [(e.id, e.event) for e in rest] == [(events[2].id, "complete")]

    r = await client.get(f"/api/jobs/{job_id}/events", headers={"Last-Event-ID": "x"})
    assert r.status_code == 400


async def test_apply_publishes_the_model_output_to_the_sandbox_pool(
    client: httpx.AsyncClient, bus: Bus, take_job: TakeJob,
) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    done = Applied(files=["src/App.jsx"], preview_url="/preview/s1/", version=1)
    worker = asyncio.create_task(take_job(bus.subjects.apply, ApplyRequest, done))
    body = {"project_id": project, "response": '<file path="src/App.jsx">x</file>'}
    async with client.stream("POST", "/api/apply-ai-code-stream", json=body) as r:
        events = [ev async for ev in parse_sse(r.aiter_lines())]
    job = await worker
    assert (job.project_id, job.response, job.restore_version) == (project, body["response"], None)
    assert [(e.event, e.data) for e in events[1:]] == [("complete", done.wire())]
    assert (await client.get(f"/api/jobs/{job.job_id}")).json()["kind"] == "apply"


async def test_an_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    for url in ("/api/jobs/nope", "/api/jobs/nope/events"):
        r = await client.get(url)
        assert r.status_code == 404 and r.json()["detail"] == "unknown job nope"


async def test_models_are_what_a_generator_answers(client: httpx.AsyncClient, bus: Bus) -> None:
    offered = ModelsReply(models=[
        ModelInfo(id="offline", ai=False, roles=["fallback"]),
        ModelInfo(id="openai/gpt-4.1", roles=["default", "fast"])])

    async def answer(_: ModelsRequest) -> ModelsReply:
        return offered

    stop = await bus.serve(bus.subjects.generator_models, ModelsRequest, answer)
    try:
        r = await client.get("/api/models")
    finally:
        await stop()
    assert r.status_code == 200
    assert r.json() == {"models": [
        {"id": "offline", "ai": False, "roles": ["fallback"]},
        {"id": "openai/gpt-4.1", "ai": True, "roles": ["default", "fast"]}]}


async def test_models_without_a_generator_is_503_not_a_hang(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/models")
    assert response.status_code == 503 and "generator" in response.json()["detail"]


async def _job_of(db: Database, project_id: str) -> str:
    """The id of the project's job, once its row is stored."""
    async with asyncio.timeout(10):
        while True:
            async with db.session() as s:
                found = (await s.exec(select(Job).where(Job.project_id == project_id))).first()
            if found is not None:
                return found.id
            await asyncio.sleep(0.02)


@pytest.fixture
def settings(settings: GatewaySettings) -> GatewaySettings:
    return settings.model_copy(update={"user_header": "X-Forwarded-User"})


async def test_a_job_is_cancelled_once_and_its_stream_ends_cancelled(
    client: httpx.AsyncClient, bus: Bus, db: Database,
) -> None:
    ada = {"X-Forwarded-User": "ada"}
    project = (await client.post("/api/projects", json={"name": "p"}, headers=ada)).json()["id"]
    body = {"project_id": project, "prompt": "a bakery"}

    async def follow() -> list[str]:
        # (The test client hands over a response once it has ended.)
        async with client.stream("POST", "/api/generate-ai-code-stream", json=body,
                                 headers=ada) as r:
            return [ev.event async for ev in parse_sse(r.aiter_lines())]

    stream = asyncio.create_task(follow())
    job_id = await _job_of(db, project)
    cancelled = await client.post(f"/api/jobs/{job_id}/cancel", headers=ada)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert await asyncio.wait_for(stream, 10) == ["job", "cancelled"]
    again = await client.post(f"/api/jobs/{job_id}/cancel", headers=ada)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    # A worker that takes it now finds it ended and runs nothing.
    assert await db.claim_job(job_id) is None


async def test_an_admin_may_cancel_anyones_job_and_no_one_else_may(
    client: httpx.AsyncClient, db: Database,
) -> None:
    ada, bob = {"X-Forwarded-User": "ada"}, {"X-Forwarded-User": "bob"}
    project = (await client.post("/api/projects", json={"name": "p"}, headers=ada)).json()["id"]
    async with db.session() as s:
        job = Job(project_id=project, kind="generate", status=JobStatus.RUNNING)
        s.add(job)
        await s.commit()
    assert (await client.post(f"/api/jobs/{job.id}/cancel", headers=bob)).status_code == 404
    # The local user (no header) is the admin.
    by_admin = await client.post(f"/api/jobs/{job.id}/cancel")
    assert by_admin.status_code == 200 and by_admin.json()["status"] == "cancelled"
    assert (await client.post("/api/jobs/nope/cancel")).status_code == 404
