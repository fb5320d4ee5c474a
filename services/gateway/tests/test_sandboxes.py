"""A project's sandbox through the API: the sandbox pool's jobs (played on the bus by the
test) answered as the original deployment's endpoints did, and what the database knows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from paynto_cli.sse import parse_sse
from paynto_common.bus import Bus
from paynto_common.db import Database, Sandbox, Version
from paynto_common.messages import (
    Applied,
    CreateSandboxRequest,
    InstallPackagesRequest,
    JobFailed,
    PackageInstalled,
    SandboxCommandRequest,
    SandboxLogs,
    SandboxRestarted,
)

TakeJob = Callable[..., Awaitable[Any]]


async def new_project(client: httpx.AsyncClient) -> str:
    return str((await client.post("/api/projects", json={"name": "p"})).json()["id"])


async def test_a_sandbox_is_made_by_the_pool_and_answered_when_ready(
    client: httpx.AsyncClient, bus: Bus, take_job: TakeJob,
) -> None:
    project = await new_project(client)
    ready = Applied(files=["src/App.jsx"], sandbox_id="s1", preview_url="/preview/s1/",
                    version=1)
    worker = asyncio.create_task(take_job(bus.subjects.sandbox_create, CreateSandboxRequest,
                                          ready))
    r = await client.post("/api/create-ai-sandbox-v2", json={"project_id": project})
    assert (await worker).project_id == project
    assert r.status_code == 200
    assert r.json() == {"sandbox_id": "s1", "preview_url": "/preview/s1/"}
    assert (await client.post("/api/create-ai-sandbox-v2",
                              json={"project_id": "nope"})).status_code == 404


async def test_sandbox_commands_answer_with_the_pools_result_or_its_error(
    client: httpx.AsyncClient, bus: Bus, take_job: TakeJob,
) -> None:
    project = await new_project(client)
    subject = bus.subjects.sandbox_command
    logs = SandboxLogs(running=True, lines=["VITE ready"])
    worker = asyncio.create_task(take_job(subject, SandboxCommandRequest, logs))
    r = await client.get("/api/sandbox-logs", params={"project_id": project})
    assert (await worker).command == "logs"
    assert r.json() == {"running": True, "lines": ["VITE ready"]}

    restarted = SandboxRestarted(sandbox_id="s2", preview_url="/preview/s2/")
    worker = asyncio.create_task(take_job(subject, SandboxCommandRequest, restarted))
    r = await client.post("/api/restart-vite", json={"project_id": project})
    assert (await worker).command == "restart"
    assert r.json() == {"sandbox_id": "s2", "preview_url": "/preview/s2/"}

    failed = JobFailed(message="no sandbox to stop")
    worker = asyncio.create_task(take_job(subject, SandboxCommandRequest, failed))
    r = await client.post("/api/kill-sandbox", json={"project_id": project})
    kill = await worker
    assert kill.command == "kill"
    assert r.status_code == 502 and r.json()["detail"] == "sandbox failed: no sandbox to stop"
    assert (await client.get(f"/api/jobs/{kill.job_id}")).json()["kind"] == "sandbox-kill"


async def test_packages_are_installed_by_the_pool_with_their_events_relayed(
    client: httpx.AsyncClient, bus: Bus, take_job: TakeJob,
) -> None:
    project = await new_project(client)
    done = Applied(packages=["clsx"], installed=["clsx"])
    worker = asyncio.create_task(take_job(bus.subjects.install, InstallPackagesRequest,
                                          PackageInstalled(name="clsx"), done))
    body = {"project_id": project, "packages": ["clsx"]}
    async with client.stream("POST", "/api/install-packages", json=body) as r:
        events = [ev async for ev in parse_sse(r.aiter_lines())]
    assert (await worker).packages == ["clsx"]
    assert [(e.event, e.data) for e in events[1:]] == [
        ("package", {"name": "clsx"}), ("complete", done.wire())]


async def test_status_and_files_come_from_the_database(client: httpx.AsyncClient,
                                                       db: Database) -> None:
    project = await new_project(client)
    status = await client.get("/api/sandbox-status", params={"project_id": project})
    assert status.json() == {"project_id": project, "status": "none"}
    files = await client.get("/api/get-sandbox-files", params={"project_id": project})
    assert files.json() == {"project_id": project, "files": {}, "version": 0, "structure": []}
    async with db.session() as s:
        sandbox = Sandbox(project_id=project, provider="local", status="running", version=1)
        s.add(sandbox)
        s.add(Version(project_id=project, number=1,
                      files={"src/App.jsx": "app", "index.html": "<div>"}))
        await s.commit()
        await s.refresh(sandbox)
    status = await client.get("/api/sandbox-status", params={"project_id": project})
    assert status.json() == {"project_id": project, "sandbox_id": sandbox.id,
                             "status": "running", "provider": "local", "version": 1,
                             "preview_url": f"/preview/{sandbox.id}/",
                             "updated_at": sandbox.updated_at.isoformat()}
    files = await client.get("/api/get-sandbox-files", params={"project_id": project})
    assert files.json() == {"project_id": project, "version": 1,
                            "files": {"src/App.jsx": "app", "index.html": "<div>"},
                            "structure": ["index.html", "src/App.jsx"]}
    for url in ("/api/sandbox-status", "/api/get-sandbox-files"):
        missing = await client.get(url, params={"project_id": "nope"})
        assert missing.status_code == 404 and missing.json()["detail"] == "unknown project nope"
