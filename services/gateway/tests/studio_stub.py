"""The stub gateway the studio's browser tests run the real page against: what every one of
them answers alike (the page itself at each of its routes, the signed-in person, the projects
list, a project, its quiet channel, a held job's stream and its resume). A test module adds its
own routes onto the app ``studio_gateway`` returns, and keeps its own state in a subclass of
``Studio``.

A job here is held by the test: its events are pushed one by one, so the page is seen mid-job
without any timing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Header
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.responses import StreamingResponse

from gateway.api.schemas import ProjectCreate, ProjectOut, ProjectSummary, TurnOut
from gateway.security import SecurityHeaders
from paynto_common.messages import Event, JobStarted, stream_problem
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from paynto_common.testing.serve import serve_app

STATIC = Path(__file__).parents[1] / "src" / "gateway" / "static"
INDEX = STATIC / "index.html"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class HeldJob:
    """A job whose events the test pushes; every stream of it (the first answer, a resume)
    replays what came after its Last-Event-ID and then waits for more. With a ``kind``, every
    event pushed is checked against that kind's table first."""

    id: str
    kind: str | None = None
    events: list[str] = field(default_factory=list)
    done: bool = False

    def push(self, payload: Event) -> None:
        data = payload.wire()
        if self.kind is not None:
            problem = stream_problem(self.kind, payload.event, data)
            assert problem is None, problem
        self.events.append(f"id: {len(self.events) + 1}\r\nevent: {payload.event}\r\n"
                           f"data: {json.dumps(data)}\r\n\r\n")
        if payload.event == "complete":
            self.done = True

    def end(self, payload: Event) -> None:
        """Push the job's last event, whatever it is."""
        self.push(payload)
        self.done = True

    async def stream(self, after: int = 0) -> AsyncIterator[bytes]:
        sent = after
        while True:
            while sent < len(self.events):
                yield self.events[sent].encode()
                sent += 1
            if self.done:
                return
            await asyncio.sleep(0.02)


@dataclass
class Studio:
    projects: dict[str, ProjectSummary] = field(default_factory=dict)
    turns: dict[str, list[TurnOut]] = field(default_factory=dict)
    jobs: dict[str, HeldJob] = field(default_factory=dict)
    # What the page sent: (method, path, JSON body or None).
    asked: list[tuple[str, str, Any]] = field(default_factory=list)
    resumes: list[tuple[str, str | None]] = field(default_factory=list)
    # A project's live channel, when a test pushes events on it (else it stays quiet).
    project_channels: dict[str, HeldJob] = field(default_factory=dict)
    # What /api/auth/me says: "required" when the gateway has accounts (GitHub sign-in).
    auth_mode: str = "local"

    def add_project(self, pid: str, name: str, *, age: int = 0, latest_version: int = 0,
                    active_job: str | None = None) -> None:
        """A project last changed ``age`` minutes before ``NOW``, with no turn yet."""
        when = NOW - timedelta(minutes=age)
        self.projects[pid] = ProjectSummary(
            id=pid, name=name, created_at=when, updated_at=when, latest_version=latest_version,
            changed_at=when, active_job=active_job)
        self.turns[pid] = []

    def new_project(self, pid: str, name: str) -> None:
        """What ``POST /api/projects`` makes."""
        self.add_project(pid, name)

    def hold(self, job_id: str, kind: str | None = None) -> HeldJob:
        """A new held job, started."""
        job = HeldJob(id=job_id, kind=kind)
        self.jobs[job.id] = job
        job.push(JobStarted(job_id=job.id))
        return job

    def update_turn(self, job_id: str, **changes: Any) -> None:
        for turns in self.turns.values():
            for n, turn in enumerate(turns):
                if turn.id == job_id:
                    turns[n] = turn.model_copy(update=changes)


def unknown(what: str) -> JSONResponse:
    return JSONResponse({"detail": f"unknown {what}"}, status_code=404)


def sse(job: HeldJob, after: int = 0, headers: dict[str, str] | None = None) -> StreamingResponse:
    return StreamingResponse(job.stream(after), media_type="text/event-stream", headers=headers)


def studio_gateway(studio: Studio, *, models: list[dict[str, Any]], sandbox_status: str,
                   site_heading: str) -> FastAPI:
    """The routes every studio test answers alike. ``models`` is what ``/api/models`` lists,
    ``sandbox_status`` every project's sandbox, ``site_heading`` the preview's ``h1``."""
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders, hsts=False)

    @app.get("/")
    async def home() -> FileResponse:
        return FileResponse(INDEX)

    @app.get("/p/{project_id}")
    async def page(project_id: str) -> FileResponse:
        return FileResponse(INDEX)

    @app.get("/batches")
    async def batches_page() -> FileResponse:
        return FileResponse(INDEX)

    @app.get("/b/{batch_id}")
    async def batch_page(batch_id: str) -> FileResponse:
        return FileResponse(INDEX)

    @app.get("/api/auth/me")
    async def me() -> dict[str, Any]:
        return {"id": "local", "name": "local", "role": "admin", "auth_mode": studio.auth_mode}

    @app.get("/api/projects", response_model=list[ProjectSummary])
    async def projects() -> list[ProjectSummary]:
        return sorted(studio.projects.values(), key=lambda p: p.changed_at, reverse=True)

    @app.post("/api/projects", status_code=201, response_model=ProjectOut)
    async def create(body: ProjectCreate) -> ProjectOut:
        pid = f"new{len(studio.projects)}"
        studio.asked.append(("POST", "/api/projects", body.model_dump()))
        studio.new_project(pid, body.name)
        return studio.projects[pid]

    @app.get("/api/projects/{pid}", response_model=ProjectOut)
    async def project(pid: str) -> Response:
        if pid not in studio.projects:
            return unknown(f"project {pid}")
        return JSONResponse(ProjectOut(**studio.projects[pid].model_dump()).model_dump(mode="json"))

    @app.get("/api/models")
    async def models_() -> dict[str, Any]:
        return {"models": models}

    @app.get("/api/projects/{pid}/usage")
    async def usage(pid: str) -> dict[str, Any]:
        return {"project_id": pid, "calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                "cost_usd": 0, "by_model": {}}

    @app.get("/api/projects/{pid}/events")
    async def channel(pid: str,
                      last_event_id: str | None = Header(default=None)) -> StreamingResponse:
        if pid in studio.project_channels:
            return sse(studio.project_channels[pid], int(last_event_id or 0))

        async def quiet() -> AsyncIterator[bytes]:
            yield b": ping\r\n\r\n"
            await asyncio.sleep(3600)
        return StreamingResponse(quiet(), media_type="text/event-stream")

    @app.get("/api/projects/{pid}/plans")
    async def plans(pid: str) -> list[Any]:
        return []

    @app.get("/api/sandbox-status")
    async def sandbox(project_id: str) -> dict[str, Any]:
        return {"project_id": project_id, "status": sandbox_status, "preview_url": None}

    @app.get("/preview/{sandbox}/")
    async def preview(sandbox: str) -> Response:
        return Response(f"<!doctype html><title>site</title><h1>{site_heading}</h1>",
                        media_type="text/html")

    @app.get("/api/jobs/{job_id}/events")
    async def job_events(job_id: str,
                         last_event_id: str | None = Header(default=None)) -> Response:
        studio.resumes.append((job_id, last_event_id))
        job = studio.jobs.get(job_id)
        if job is None:
            return unknown(f"job {job_id}")
        return sse(job, int(last_event_id or 0))

    return app


async def no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= await page.evaluate("window.innerWidth"), "the page scrolls sideways"


@asynccontextmanager
async def studio_browser(app: FastAPI) -> AsyncIterator[tuple[str, Any]]:
    """``app`` served on loopback and a Chromium to look at it: (its URL, the browser), closed
    after. Skips the test where there is no Chromium or no Playwright."""
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    async with serve_app(app) as url, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            yield url, browser
        finally:
            await browser.close()
