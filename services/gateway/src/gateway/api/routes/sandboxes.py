"""A project's sandbox (the sandbox pool's jobs): create one, install packages into it, read
its status, files and logs, restart its dev server, stop it. These keep the original
deployment's endpoint names, with the project in the body or the query."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from sqlmodel import col, select
from sse_starlette import EventSourceResponse

from gateway.api.deps import (
    BusDep,
    DbDep,
    JobRateLimit,
    LinksDep,
    ProjectDep,
    SettingsDep,
    UserDep,
)
from gateway.api.routes.projects import latest_files
from gateway.api.schemas import InstallBody, SandboxBody, SandboxOut
from gateway.jobs import event_stream, start_job
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database, Sandbox, User, new_id
from paynto_common.messages import (
    TERMINAL_EVENTS,
    CreateSandboxRequest,
    InstallPackagesRequest,
    SandboxCommandRequest,
    preview_path,
)

router = APIRouter()
SandboxCommand = Literal["logs", "restart", "kill"]


async def _wait_for_result(bus: Bus, job_id: str, timeout: float) -> dict[str, Any]:
    """The data of a job's ``complete`` event; its ``error`` or a timeout as an HTTP error."""
    try:
        async with asyncio.timeout(timeout):
            async for _seq, event in bus.job_events(job_id):
                if event.event in TERMINAL_EVENTS:
                    break
    except TimeoutError:
        raise HTTPException(504, "the sandbox pool did not answer in time") from None
    if event.event == "error":
        raise HTTPException(502, f"sandbox failed: {event.data.get('message')}")
    return event.data


async def _sandbox_command(bus: Bus, db: Database, settings: GatewaySettings, user: User,
                           project_id: str, command: SandboxCommand) -> dict[str, Any]:
    message = SandboxCommandRequest(job_id=new_id(), project_id=project_id, command=command)
    job = await start_job(bus, db, user, kind=f"sandbox-{command}", message=message)
    return await _wait_for_result(bus, job.id, settings.sandbox_wait_seconds)


@router.post("/api/create-ai-sandbox-v2", response_model=SandboxOut,
             dependencies=[JobRateLimit])
async def create_sandbox(body: SandboxBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                         user: UserDep, links: LinksDep) -> SandboxOut:
    message = CreateSandboxRequest(job_id=new_id(), project_id=body.project_id)
    job = await start_job(bus, db, user, kind="sandbox", message=message)
    data = await _wait_for_result(bus, job.id, settings.sandbox_wait_seconds)
    return SandboxOut.model_validate(links.sign(body.project_id, data))


@router.post("/api/install-packages", dependencies=[JobRateLimit])
async def install_packages(body: InstallBody, bus: BusDep, db: DbDep, user: UserDep,
                           links: LinksDep) -> EventSourceResponse:
    message = InstallPackagesRequest(job_id=new_id(), project_id=body.project_id,
                                     packages=body.packages)
    job = await start_job(bus, db, user, kind="install", message=message)
    return event_stream(bus, job.id, links=(links, body.project_id))


@router.get("/api/sandbox-status")
async def sandbox_status(project: ProjectDep, db: DbDep, links: LinksDep) -> dict[str, Any]:
    """What the database knows of the project's newest sandbox (no call to the pool)."""
    async with db.session() as s:
        row = (await s.exec(select(Sandbox).where(Sandbox.project_id == project.id)
                            .order_by(col(Sandbox.created_at).desc()).limit(1))).first()
    if row is None:
        return {"project_id": project.id, "status": "none"}
    running = row.status == "running"
    return links.sign(project.id, {
        "project_id": project.id, "sandbox_id": row.id, "status": row.status,
        "provider": row.provider, "version": row.version,
        "preview_url": preview_path(row.id) if running else None,
        "updated_at": row.updated_at.isoformat()})


@router.get("/api/get-sandbox-files")
async def get_sandbox_files(project: ProjectDep, db: DbDep) -> dict[str, Any]:
    """The files the project's sandbox holds (its latest version: a sandbox is only ever a copy
    of it) and their paths, as the original product's endpoint of that name answered."""
    files = await latest_files(db, project)
    return {"project_id": project.id, "files": files.files, "version": files.version,
            "structure": sorted(files.files)}


@router.get("/api/sandbox-logs", dependencies=[JobRateLimit])
async def sandbox_logs(project_id: str, bus: BusDep, db: DbDep, settings: SettingsDep,
                       user: UserDep) -> dict[str, Any]:
    """The dev server's last output lines."""
    return await _sandbox_command(bus, db, settings, user, project_id, "logs")


@router.post("/api/restart-vite", response_model=SandboxOut, dependencies=[JobRateLimit])
async def restart_vite(body: SandboxBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                       user: UserDep, links: LinksDep) -> SandboxOut:
    data = await _sandbox_command(bus, db, settings, user, body.project_id, "restart")
    return SandboxOut.model_validate(links.sign(body.project_id, data))


@router.post("/api/kill-sandbox", dependencies=[JobRateLimit])
async def kill_sandbox(body: SandboxBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                       user: UserDep) -> dict[str, Any]:
    """Stop the project's sandbox; its files stay safe in the stored versions."""
    return await _sandbox_command(bus, db, settings, user, body.project_id, "kill")
