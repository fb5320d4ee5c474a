"""The gateway in-process, against real NATS and SQLite; the worker side is played by the
test publishing events on the bus, as a worker would."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from gateway.app import create_app
from gateway.ratelimit import WINDOW_S
from gateway.settings import GatewaySettings
from paynto_cli.sse import parse_sse
from paynto_common.bus import Bus
from paynto_common.db import Database, Version
from paynto_common.messages import GenerateRequest


@pytest_asyncio.fixture
async def client(bus: Bus, tmp_path: Path, redis_url: str, namespace: str, sqlite_url: str,
                 ) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(data_dir=tmp_path, max_body_bytes=10_000, max_prompt_chars=500,
                               database_url=sqlite_url,
                               redis_url=redis_url, bus_namespace=namespace,
                               rate_limit_jobs_per_minute=5)
    app = create_app(settings, bus=bus)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


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


async def test_validation_errors_say_what_was_wrong(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/projects", json={"name": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "name"
    r = await client.post("/api/projects", json={"name": "x", "extra": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "extra"
    r = await client.post("/api/projects", content=b"[",
                          headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = await client.post("/api/projects", content=b'{"name": "' + b"a" * 20_000 + b'"}',
                          headers={"content-type": "application/json"})
    assert r.status_code == 413 and "10000" in r.json()["detail"]
    r = await client.post("/api/generate-ai-code-stream",
                          json={"project_id": "../etc", "prompt": "x"})
    assert r.status_code == 422


async def test_generate_publishes_one_job_and_relays_its_events(
    client: httpx.AsyncClient, bus: Bus
) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    psub = await bus.js.pull_subscribe(bus.subjects.generate, durable="generator",
                                       stream=bus.subjects.jobs_stream)

    async def worker() -> None:
        (msg,) = await psub.fetch(1, timeout=10)
        job = GenerateRequest.model_validate_json(msg.data)
        assert job.prompt == "a bakery" and job.project_id == project
        await bus.publish_event(job.job_id, "stream", {"text": "<file"})
        await bus.publish_event(job.job_id, "complete", {"files": []}, msg_id="c")
        await msg.ack()

    task = asyncio.create_task(worker())
    body = {"project_id": project, "prompt": "a bakery"}
    async with client.stream("POST", "/api/generate-ai-code-stream", json=body) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [ev async for ev in parse_sse(r.aiter_lines())]
    await task
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


async def test_prompt_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    r = await client.post("/api/generate-ai-code-stream",
                          json={"project_id": project, "prompt": "x" * 501})
    assert r.status_code == 422 and "501" in r.json()["detail"]
    r = await client.post("/api/generate-ai-code-stream",
                          json={"project_id": project, "prompt": "   "})
    assert r.status_code == 422


async def test_starting_too_many_jobs_answers_429_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    # The counts live in one-minute windows: don't start right at a window's edge.
    to_edge = WINDOW_S - time.time() % WINDOW_S
    if to_edge < 2:
        await asyncio.sleep(to_edge + 0.05)
    # Every attempt to start a job counts, even one refused later for an unknown project.
    body = {"project_id": "nope"}
    answers = [await client.post("/api/create-ai-sandbox-v2", json=body) for _ in range(6)]
    assert [a.status_code for a in answers] == [404] * 5 + [429]
    refused = answers[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "at most 5 a minute" in refused.json()["detail"]
    # Reading is not limited.
    assert (await client.get("/api/projects")).status_code == 200


async def test_versions_are_listed_and_readable(client: httpx.AsyncClient,
                                                sqlite_url: str) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    db = Database(sqlite_url)
    async with db.session() as s:
        s.add(Version(project_id=project, number=1, files={"src/App.jsx": "one"}, model="x"))
        s.add(Version(project_id=project, number=2,
                      files={"src/App.jsx": "two", "src/index.css": "css"}))
        await s.commit()
    await db.close()
    listed = (await client.get(f"/api/projects/{project}/versions")).json()
    assert [(v["number"], v["files"]) for v in listed] == [
        (2, ["src/App.jsx", "src/index.css"]), (1, ["src/App.jsx"])]
    first = (await client.get(f"/api/projects/{project}/versions/1")).json()
    assert first == {"files": {"src/App.jsx": "one"}, "version": 1}
    latest = (await client.get(f"/api/projects/{project}/files")).json()
    assert latest["version"] == 2 and latest["files"]["src/App.jsx"] == "two"
    assert (await client.get(f"/api/projects/{project}/versions/3")).status_code == 404
    assert (await client.get("/api/projects/nope/versions")).status_code == 404


async def test_project_downloads_as_a_runnable_zip(client: httpx.AsyncClient,
                                                   sqlite_url: str) -> None:
    project = (await client.post("/api/projects", json={"name": "Bean There!"})).json()["id"]
    assert (await client.get(f"/api/projects/{project}/zip")).status_code == 404
    app = 'import clsx from "clsx";\nexport default () => clsx("a")\n'
    db = Database(sqlite_url)
    async with db.session() as s:
        s.add(Version(project_id=project, number=1, files={"src/App.jsx": app}))
        await s.commit()
    await db.close()
    r = await client.post("/api/create-zip", json={"project_id": project})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert 'filename="bean-there-v1.zip"' in r.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = set(archive.namelist())
    assert {"package.json", "index.html", "vite.config.js", "src/main.jsx", "src/index.css",
            "src/App.jsx"} <= names
    assert "serve.mjs" not in names  # the sandbox's server is ours, not the site's
    assert archive.read("src/App.jsx").decode() == app
    manifest = json.loads(archive.read("package.json"))
    assert manifest["dependencies"]["clsx"] == "latest"
    assert manifest["scripts"]["dev"] == "vite"
    same = await client.get(f"/api/projects/{project}/zip", params={"version": 1})
    assert same.content == r.content


async def test_models_without_a_generator_is_503_not_a_hang(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/models")
    assert response.status_code == 503 and "generator" in response.json()["detail"]
