"""Projects: create, list, read; their latest files, their cost ledger and their live channel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlmodel import select

from gateway.settings import GatewaySettings
from paynto_common import ledger
from paynto_common.bus import Bus
from paynto_common.db import Database, Job, JobStatus, Plan, Sandbox, Ticket, Version
from paynto_common.messages import SandboxCommandRequest, SandboxKilled
from paynto_common.testing.worker import events_until_end

TakeJob = Callable[..., Awaitable[Any]]
MakePlan = Callable[..., Awaitable[Plan]]


@pytest.fixture
def settings(settings: GatewaySettings) -> GatewaySettings:
    return settings.model_copy(update={"user_header": "X-Forwarded-User"})


async def test_projects_round_trip(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/projects", json={"name": "  Café site "})
    assert r.status_code == 201
    project = r.json()
    assert project["name"] == "Café site"
    assert (await client.get(f"/api/projects/{project['id']}")).json()["id"] == project["id"]
    listed = (await client.get("/api/projects")).json()
    assert [p["id"] for p in listed] == [project["id"]]
    files = (await client.get(f"/api/projects/{project['id']}/files")).json()
    assert files == {"files": {}, "version": 0}
    assert (await client.get("/api/projects/missing")).status_code == 404


async def test_usage_is_the_ledger_of_a_project_or_of_a_person(client: httpx.AsyncClient,
                                                              db: Database) -> None:
    ada = {"X-Forwarded-User": "ada"}
    mine = (await client.post("/api/projects", json={"name": "mine"}, headers=ada)).json()["id"]
    theirs = (await client.post("/api/projects", json={"name": "theirs"})).json()["id"]
    await ledger.record(db, "j1", mine, "openai/gpt-4.1", "answer", 1000, 100, 0.01)
    await ledger.record(db, "j2", theirs, "openai/gpt-4.1", "answer", 2000, 200, 0.02)
    usage = (await client.get(f"/api/projects/{mine}/usage", headers=ada)).json()
    assert usage["project_id"] == mine
    assert (usage["calls"], usage["prompt_tokens"], usage["completion_tokens"]) == (1, 1000, 100)
    # Each person's own ledger; the local user (an admin) may read anyone's, or everyone's.
    adas = (await client.get("/api/usage", headers=ada)).json()
    assert adas["calls"] == 1 and adas["cost_usd"] == pytest.approx(0.01)
    assert (await client.get("/api/usage")).json()["calls"] == 1
    assert (await client.get("/api/usage", params={"everyone": "true"})).json()["calls"] == 2
    of_ada = (await client.get("/api/usage", params={"of": adas["user"]})).json()
    assert of_ada["calls"] == 1
    refused = await client.get("/api/usage", params={"everyone": "true"}, headers=ada)
    assert refused.status_code == 403
    # Another person's project is unknown to them, its ledger included.
    assert (await client.get(f"/api/projects/{theirs}/usage", headers=ada)).status_code == 404
    assert (await client.get("/api/projects/nope/usage")).status_code == 404
    # A deleted project's spend stays on its owner's ledger.
    assert (await client.delete(f"/api/projects/{mine}", headers=ada)).status_code == 204
    assert (await client.get("/api/usage", headers=ada)).json()["calls"] == 1


async def test_a_projects_channel_needs_the_project_and_a_readable_resume_point(
        client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/projects/nope/events")
    assert missing.status_code == 404 and missing.json()["detail"] == "unknown project nope"
    # The resume point is read first: a bad one is a 400 whatever the project.
    for bad in ("x", "-1"):
        r = await client.get("/api/projects/nope/events", headers={"Last-Event-ID": bad})
        assert r.status_code == 400, bad


async def test_a_project_is_renamed_and_deleted_with_everything_it_holds(
        client: httpx.AsyncClient, db: Database, bus: Bus, take_job: TakeJob,
        make_plan: MakePlan) -> None:
    plan = await make_plan({"T1": []})
    project = plan.project_id
    renamed = await client.patch(f"/api/projects/{project}", json={"name": "  New name "})
    assert renamed.status_code == 200 and renamed.json()["name"] == "New name"
    assert (await client.patch(f"/api/projects/{project}", json={"name": ""})).status_code == 422
    async with db.session() as s:
        s.add(Version(project_id=project, number=1, files={"a": "b"}))
        running = Job(project_id=project, kind="generate", status=JobStatus.RUNNING)
        s.add(running)
        s.add(Sandbox(project_id=project, provider="local", status="running"))
        await s.commit()
    # The sandbox pool is asked to stop the project's sandbox before the project goes.
    pool = asyncio.create_task(take_job(bus.subjects.sandbox_command, SandboxCommandRequest,
                                        SandboxKilled(stopped=True)))
    assert (await client.delete(f"/api/projects/{project}")).status_code == 204
    assert (await pool).command == "kill"
    assert (await client.get(f"/api/projects/{project}")).status_code == 404
    assert (await client.delete(f"/api/projects/{project}")).status_code == 404
    async with db.session() as s:
        for table in (Version, Job, Plan, Ticket, Sandbox):
            left = (await s.exec(select(table).where(table.project_id == project))).all()
            assert left == [], table.__name__
    # Its running job was cancelled first: its stream ended for whoever followed it.
    assert [e.event for e in await events_until_end(bus, running.id, 10)] == ["cancelled"]
