"""Model jobs through the API: a generation's job published once and its events relayed (and
resumed); the models the generators offer; a job's row."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlmodel import select

from gateway.app import create_app
from gateway.auth import PreviewSigner
from gateway.settings import GatewaySettings
from paynto_cli.sse import parse_sse
from paynto_common import accounts
from paynto_common.answer import summarize_answer
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
        named = r.headers["x-job-id"]
        events = [ev async for ev in parse_sse(r.aiter_lines())]
    job = await worker
    assert job.prompt == "a bakery" and job.project_id == project
    assert [e.event for e in events] == ["job", "stream", "complete"]
    assert all(e.id and e.id.isdigit() for e in events)
    job_id = events[0].data["job_id"]
    # The header names the job before any event does.
    assert named == job_id == job.job_id
    status = (await client.get(f"/api/jobs/{job_id}")).json()
    assert status["kind"] == "generate" and status["status"] == "queued"

    # Resume after the second event: only the third comes again.
    headers = {"Last-Event-ID": events[1].id or ""}
    async with client.stream("GET", f"/api/jobs/{job_id}/events", headers=headers) as r:
        assert r.headers["x-job-id"] == job_id
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


T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ANSWER = ("<explanation>A warm bakery page.</explanation>\n"
          '<file path="src/App.jsx">\nexport default () => null\n</file>\n')
UNEXPLAINED = 'Here it is.\n<file path="src/App.jsx">\nexport default () => null\n</file>\n'


async def history(db: Database, project: str) -> None:
    """Five turns of ``project``, a second apart: t1 (oldest) … t5 (newest), t3 and t4 at the
    same instant (their ids break the tie)."""
    async with db.session() as s:
        s.add_all([
            Job(id="t1", project_id=project, kind="plan", status=JobStatus.COMPLETE,
                prompt="plan a bakery", created_at=T0, result={"plan_id": "pl"}),
            Job(id="t2", project_id=project, kind="generate", status=JobStatus.COMPLETE,
                prompt="a bakery", model="openai/m", response=ANSWER,
                created_at=T0 + timedelta(seconds=1),
                result={"version": 1, "files": ["src/App.jsx"], "preview_url": "/preview/s/"}),
            Job(id="t3", project_id=project, kind="restore", status=JobStatus.ERROR,
                error="the sandbox pool stopped", created_at=T0 + timedelta(seconds=2)),
            Job(id="t4", project_id=project, kind="generate", status=JobStatus.RUNNING,
                prompt="make it blue", created_at=T0 + timedelta(seconds=2)),
            Job(id="t5", project_id=project, kind="apply", status=JobStatus.QUEUED,
                response=UNEXPLAINED, created_at=T0 + timedelta(seconds=3)),
        ])
        await s.commit()


async def test_a_projects_turns_newest_first_with_what_each_did(
    client: httpx.AsyncClient, db: Database,
) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    await history(db, project)
    url = f"/api/projects/{project}/jobs"

    turns = (await client.get(url)).json()

    assert [t["id"] for t in turns] == ["t5", "t4", "t3", "t2", "t1"]
    by_id = {t["id"]: t for t in turns}
    generated = by_id["t2"]
    assert {k: generated[k] for k in ("kind", "status", "prompt", "model", "error")} == {
        "kind": "generate", "status": "complete", "prompt": "a bakery", "model": "openai/m",
        "error": None}
    # The model's own <explanation>; an answer without one is summed up (t5 below).
    assert generated["explanation"] == "A warm bakery page."
    assert by_id["t5"]["explanation"] == summarize_answer(UNEXPLAINED) == \
        "Here it is. (wrote src/App.jsx)"
    assert generated["result"] == {"version": 1, "files": ["src/App.jsx"],
                                   "preview_url": "/preview/s/"}
    assert by_id["t3"]["error"] == "the sandbox pool stopped"
    assert all(by_id[t]["explanation"] is None for t in ("t1", "t3", "t4"))
    assert by_id["t5"]["result"] is None and by_id["t1"]["result"] == {"plan_id": "pl"}
    assert set(generated) == {"id", "kind", "status", "prompt", "model", "created_at",
                              "updated_at", "error", "explanation", "result"}


async def test_turns_page_back_filter_by_kind_and_find_the_active_ones(
    settings: GatewaySettings, bus: Bus, database: Database,
) -> None:
    # On SQLite and on Postgres: paging compares stored times.
    gateway = create_app(settings.model_copy(update={"database_url": database.url}), bus=bus)
    async with gateway.router.lifespan_context(gateway), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://test") as client:
        project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
        await history(database, project)
        url = f"/api/projects/{project}/jobs"

        async def ids(**params: Any) -> list[str]:
            answer = await client.get(url, params=params)
            assert answer.status_code == 200, answer.text
            return [t["id"] for t in answer.json()]

        # Pages of two, each before the last one seen: every turn once, t4 and t3 (same
        # instant) included.
        assert await ids(limit=2) == ["t5", "t4"]
        assert await ids(limit=2, before="t4") == ["t3", "t2"]
        assert await ids(limit=2, before="t2") == ["t1"]
        assert await ids(before="t1") == []
        assert await ids(active="true") == ["t5", "t4"]
        assert await ids(active="true", before="t5") == ["t4"]
        assert await ids(kinds="generate,restore") == ["t4", "t3", "t2"]
        assert await ids(kinds="generate", active="true") == ["t4"]


async def test_turns_refuse_what_they_cannot_answer(
    client: httpx.AsyncClient, db: Database,
) -> None:
    ada, bob = {"X-Forwarded-User": "ada"}, {"X-Forwarded-User": "bob"}
    project = (await client.post("/api/projects", json={"name": "p"}, headers=ada)).json()["id"]
    other = (await client.post("/api/projects", json={"name": "q"}, headers=ada)).json()["id"]
    await history(db, project)
    url = f"/api/projects/{project}/jobs"

    assert (await client.get(url, headers=ada)).status_code == 200
    theirs = await client.get(url, headers=bob)
    assert theirs.status_code == 404 and theirs.json()["detail"] == f"unknown project {project}"
    for limit in (0, 101):
        assert (await client.get(url, params={"limit": limit}, headers=ada)).status_code == 422
    assert len((await client.get(url, params={"limit": 100}, headers=ada)).json()) == 5
    strange = await client.get(url, params={"kinds": "generate,bake"}, headers=ada)
    assert strange.status_code == 422
    assert "bake" in strange.json()["detail"] and "generate" in strange.json()["detail"]
    assert (await client.get(url, params={"kinds": ","}, headers=ada)).status_code == 422
    # A page before a job that is not this project's: the same answer as a job that is not.
    for before in ("nope", "t2"):
        stray = await client.get(f"/api/projects/{other}/jobs", params={"before": before},
                                 headers=ada)
        assert stray.status_code == 404 and stray.json()["detail"] == f"unknown job {before}"


async def test_turn_results_carry_preview_links_signed_for_the_caller(
    settings: GatewaySettings, bus: Bus,
) -> None:
    required = settings.model_copy(update={
        "auth_mode": "required", "session_secret": SecretStr("s" * 32),
        "secrets_key": SecretStr(Fernet.generate_key().decode())})
    gateway = create_app(required, bus=bus)
    async with gateway.router.lifespan_context(gateway), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://test") as client:
        db: Database = gateway.state.db
        ada = await accounts.create_user(db, "ada")
        token = (await accounts.issue_token(db, ada.id)).token
        headers = {"Authorization": f"Bearer {token}"}
        project = (await client.post("/api/projects", json={"name": "p"},
                                     headers=headers)).json()["id"]
        await history(db, project)

        turns = (await client.get(f"/api/projects/{project}/jobs", params={"kinds": "generate"},
                                  headers=headers)).json()

        link = turns[-1]["result"]["preview_url"]
        assert link.startswith("/preview/s/?preview_token=")
        signer: PreviewSigner = gateway.state.preview_signer
        assert signer.verify(link.split("preview_token=", 1)[1], "s") == (ada.id, project)
