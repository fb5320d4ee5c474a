"""Projects: create, list, read; their latest files, their cost ledger and their live channel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from gateway.app import create_app
from gateway.settings import GatewaySettings
from paynto_common import ledger
from paynto_common.bus import Bus
from paynto_common.db import (
    Database,
    Job,
    JobStatus,
    Plan,
    Project,
    Sandbox,
    Ticket,
    Version,
)
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


T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def instant(text: str) -> datetime:
    """A time from an answer; SQLite gives it back without its zone, which is UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_the_list_shows_each_projects_version_change_and_active_job(
        settings: GatewaySettings, bus: Bus, database: Database) -> None:
    # On SQLite and on Postgres: the summary is one query of grouped subqueries.
    gateway = create_app(settings.model_copy(update={"database_url": database.url}), bus=bus)
    async with gateway.router.lifespan_context(gateway), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://test") as client:
        ids = [(await client.post("/api/projects", json={"name": n})).json()["id"]
               for n in ("older", "newer", "quiet")]
        older, newer, quiet = ids
        async with database.session() as s:
            for n, project_id in enumerate(ids):
                project = await s.get(Project, project_id)
                assert project is not None
                project.created_at = project.updated_at = at(n)
                s.add(project)
            s.add(Version(project_id=older, number=1, files={}, created_at=at(5)))
            s.add(Version(project_id=newer, number=1, files={}, created_at=at(3)))
            s.add(Version(project_id=newer, number=2, files={}, created_at=at(4)))
            s.add_all([
                Job(id="running", project_id=newer, kind="generate",
                    status=JobStatus.RUNNING, created_at=at(6)),
                Job(id="queued", project_id=newer, kind="restore", status=JobStatus.QUEUED,
                    created_at=at(7)),
                Job(id="done", project_id=newer, kind="generate", status=JobStatus.COMPLETE,
                    created_at=at(8)),
                Job(id="failed", project_id=quiet, kind="generate", status=JobStatus.ERROR,
                    created_at=at(9)),
            ])
            await s.commit()

        listed = (await client.get("/api/projects")).json()
        # Older's version 1 (at 5) is its latest change: it comes first.
        assert [(p["id"], p["latest_version"], instant(p["changed_at"]), p["active_job"])
                for p in listed] == [(older, 1, at(5), None), (newer, 2, at(4), "queued"),
                                     (quiet, 0, at(2), None)]
        assert all(p["thumbnail_url"] is None and p["name"] for p in listed)

        # A new version moves a project to the top; so does a rename (now, after T0).
        async with database.session() as s:
            s.add(Version(project_id=quiet, number=1, files={}, created_at=at(10)))
            await s.commit()
        listed = (await client.get("/api/projects")).json()
        assert [(p["id"], p["latest_version"]) for p in listed] == [
            (quiet, 1), (older, 1), (newer, 2)]
        await client.patch(f"/api/projects/{newer}", json={"name": "renamed"})
        assert [p["id"] for p in (await client.get("/api/projects")).json()] == [
            newer, quiet, older]


async def test_what_postgres_cannot_hold_is_refused_on_either_database(
        settings: GatewaySettings, bus: Bus, database: Database) -> None:
    """A NUL character (which Postgres stores in no text, not even a query's parameter) and
    a number past a 4-byte INTEGER are refused with a 4xx saying so, on SQLite and Postgres
    alike, where Postgres answered 500."""
    gateway = create_app(settings.model_copy(update={"database_url": database.url}), bus=bus)
    async with gateway.router.lifespan_context(gateway), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://test") as client:
        project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
        for url in ("/api/projects/a%00b", f"/api/projects/{project}/jobs?before=a%00b",
                    "/api/usage?of=a%00b", "/api/sandbox-status?project_id=a%00b"):
            r = await client.get(url)
            assert r.status_code == 400, (url, r.text)
            assert "NUL character" in r.json()["detail"]
        for body in ({"name": "a\x00b"}, {"name": "ok", "extra\x00": 1}):
            r = await client.post("/api/projects", json=body)
            assert r.status_code == 422
        named = await client.patch(f"/api/projects/{project}", json={"name": "a\x00b"})
        assert named.status_code == 422
        assert named.json()["detail"][0]["loc"] == ["body", "name"]
        assert "NUL character" in named.json()["detail"][0]["msg"]
        past = await client.get(f"/api/projects/{project}/versions/{2**31}")
        assert past.status_code == 422
        # Outside the API too: the preview proxy's sandbox id.
        assert (await client.get("/preview/a%00b/")).status_code == 404
        listed = (await client.get("/api/projects")).json()
        assert [(p["id"], p["name"]) for p in listed] == [(project, "p")]
