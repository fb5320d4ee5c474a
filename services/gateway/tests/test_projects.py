"""Projects: create, list, read; their latest files, their cost ledger and their live channel."""

from __future__ import annotations

import httpx
import pytest

from gateway.settings import GatewaySettings
from paynto_common import ledger
from paynto_common.db import Database


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
    mine = (await client.post("/api/projects", json={"name": "mine"},
                              headers={"X-Forwarded-User": "ada"})).json()["id"]
    theirs = (await client.post("/api/projects", json={"name": "theirs"})).json()["id"]
    await ledger.record(db, "j1", mine, "openai/gpt-4.1", "answer", 1000, 100, 0.01)
    await ledger.record(db, "j2", theirs, "openai/gpt-4.1", "answer", 2000, 200, 0.02)
    usage = (await client.get(f"/api/projects/{mine}/usage")).json()
    assert usage["project_id"] == mine
    assert (usage["calls"], usage["prompt_tokens"], usage["completion_tokens"]) == (1, 1000, 100)
    assert (await client.get("/api/usage")).json()["calls"] == 2
    adas = (await client.get("/api/usage", params={"user": "ada"})).json()
    assert adas["user"] == "ada" and adas["calls"] == 1
    assert (await client.get("/api/projects/nope/usage")).status_code == 404


async def test_a_projects_channel_needs_the_project_and_a_readable_resume_point(
        client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/projects/nope/events")
    assert missing.status_code == 404 and missing.json()["detail"] == "unknown project nope"
    # The resume point is read first: a bad one is a 400 whatever the project.
    for bad in ("x", "-1"):
        r = await client.get("/api/projects/nope/events", headers={"Last-Event-ID": bad})
        assert r.status_code == 400, bad
