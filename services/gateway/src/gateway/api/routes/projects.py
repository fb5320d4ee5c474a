"""Projects: create, list and read them, their latest files, their cost ledger and their live
channel of events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlmodel import col, select
from sse_starlette import EventSourceResponse

from gateway.api.deps import BusDep, DbDep, LastEventId, ProjectDep, UserDep
from gateway.api.schemas import ProjectCreate, ProjectFiles, ProjectOut
from gateway.jobs import event_stream
from paynto_common import ledger
from paynto_common.db import Database, Project
from paynto_common.messages import project_channel

router = APIRouter()


@router.post("/api/projects", status_code=201, response_model=ProjectOut)
async def create_project(body: ProjectCreate, db: DbDep, user: UserDep) -> Project:
    project = Project(name=body.name, owner_id=user)
    async with db.session() as s:
        s.add(project)
        await s.commit()
        await s.refresh(project)
    return project


@router.get("/api/projects", response_model=list[ProjectOut])
async def list_projects(db: DbDep) -> list[Project]:
    async with db.session() as s:
        rows = await s.exec(select(Project).order_by(col(Project.created_at).desc()).limit(200))
        return list(rows)


@router.get("/api/projects/{project_id}", response_model=ProjectOut)
async def get_project(project: ProjectDep) -> Project:
    return project


async def latest_files(db: Database, project: Project) -> ProjectFiles:
    """The project's files at its latest version (none, version 0, before its first)."""
    version = await db.latest_version(project.id)
    if version is None:
        return ProjectFiles(files={}, version=0)
    return ProjectFiles(files=version.files, version=version.number)


@router.get("/api/projects/{project_id}/files", response_model=ProjectFiles)
async def project_files(project: ProjectDep, db: DbDep) -> ProjectFiles:
    return await latest_files(db, project)


@router.get("/api/projects/{project_id}/usage")
async def project_usage(project: ProjectDep, db: DbDep) -> dict[str, Any]:
    """What the project's generations cost: calls, tokens, USD (local models count zero)."""
    return {"project_id": project.id, **await ledger.usage(db, project.id)}


@router.get("/api/usage")
async def all_usage(db: DbDep, user: str | None = None) -> dict[str, Any]:
    """The cost ledger over every project, or over one person's (``?user=``)."""
    if user is None:
        return await ledger.usage(db)
    return {"user": user, **await ledger.usage(db, owner=user)}


@router.get("/api/projects/{project_id}/events")
async def project_events(after: LastEventId, project: ProjectDep,
                         bus: BusDep) -> EventSourceResponse:
    """What happens to the project outside any one job, live: ``preview_error`` events (a
    module that does not compile, an uncaught error in a browser showing the preview)."""
    return event_stream(bus, project_channel(project.id), after)
