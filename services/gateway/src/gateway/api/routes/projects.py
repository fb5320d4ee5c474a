"""Projects: create, list, read, rename and delete them; their latest files, their cost ledger
and their live channel of events. Each user sees only their own."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import and_, case, func
from sqlmodel import col, delete, select
from sse_starlette import EventSourceResponse

from gateway.api.deps import BusDep, DbDep, LastEventId, ProjectDep, SettingsDep, UserDep
from gateway.api.schemas import (
    ProjectCreate,
    ProjectFiles,
    ProjectOut,
    ProjectPatch,
    ProjectSummary,
)
from gateway.jobs import cancel_job, event_stream, start_job
from paynto_common import ledger
from paynto_common.bus import Bus
from paynto_common.db import (
    Database,
    GitLink,
    GitPush,
    Job,
    JobStatus,
    Plan,
    Project,
    Sandbox,
    Scrape,
    Ticket,
    User,
    Version,
    new_id,
    utcnow,
)
from paynto_common.messages import TERMINAL_EVENTS, SandboxCommandRequest, project_channel
from paynto_common.messages.scrape import screenshot_path
from paynto_common.publishing import unpublish

log = logging.getLogger(__name__)

router = APIRouter()


@router.post("/api/projects", status_code=201, response_model=ProjectOut)
async def create_project(body: ProjectCreate, db: DbDep, user: UserDep) -> Project:
    project = Project(name=body.name, owner_id=user.id)
    async with db.session() as s:
        s.add(project)
        await s.commit()
        await s.refresh(project)
    return project


@router.get("/api/projects", response_model=list[ProjectSummary])
async def list_projects(db: DbDep, user: UserDep) -> list[ProjectSummary]:
    """The user's projects, the most recently changed first (at most 200)."""
    return await project_summaries(db, user.id)


async def project_summaries(db: Database, owner_id: str, limit: int = 200
                            ) -> list[ProjectSummary]:
    """Each project of ``owner_id`` with its latest version, when it last changed and its
    active job, in one query: grouped subqueries joined to the projects, not a query each."""
    latest = (select(col(Version.project_id).label("project_id"),
                     func.max(Version.number).label("number"),
                     func.max(Version.created_at).label("at"))
              .group_by(col(Version.project_id)).subquery())
    # Each project's queued and running jobs, newest first; rank 1 is the one to show.
    ranked = (select(col(Job.project_id).label("project_id"), col(Job.id).label("job_id"),
                     func.row_number().over(
                         partition_by=col(Job.project_id),
                         order_by=(col(Job.created_at).desc(), col(Job.id).desc()),
                     ).label("rank"))
              .where(col(Job.status).in_((JobStatus.QUEUED, JobStatus.RUNNING))).subquery())
    # Each project's newest screenshot (a clone's): the card's thumbnail.
    shots = (select(col(Scrape.project_id).label("project_id"), col(Scrape.id).label("id"),
                    func.row_number().over(
                        partition_by=col(Scrape.project_id),
                        order_by=(col(Scrape.created_at).desc(), col(Scrape.id).desc()),
                    ).label("rank"))
             .where(col(Scrape.project_id).is_not(None), col(Scrape.screenshot).is_not(None))
             .subquery())
    # NULL (no version) compares as not later: the rename time stands.
    changed_at = case((latest.c.at > col(Project.updated_at), latest.c.at),
                      else_=col(Project.updated_at)).label("changed_at")
    # Five columns: past what sqlmodel's select and exec are typed for (hence Any).
    query: Any = (select(Project, func.coalesce(latest.c.number, 0), changed_at,
                         ranked.c.job_id).add_columns(shots.c.id)
                  .outerjoin(latest, latest.c.project_id == col(Project.id))
                  .outerjoin(ranked, and_(ranked.c.project_id == col(Project.id),
                                          ranked.c.rank == 1))
                  .outerjoin(shots, and_(shots.c.project_id == col(Project.id),
                                         shots.c.rank == 1))
                  .where(col(Project.owner_id) == owner_id)
                  .order_by(changed_at.desc(), col(Project.created_at).desc(), col(Project.id))
                  .limit(limit))
    async with db.session() as s:
        rows = (await s.exec(query)).all()
    return [ProjectSummary(**project.model_dump(), latest_version=number, changed_at=at,
                           active_job=job_id,
                           thumbnail_url=screenshot_path(shot) if shot else None)
            for project, number, at, job_id, shot in rows]


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
async def all_usage(db: DbDep, user: UserDep, of: str | None = None,
                    everyone: bool = False) -> dict[str, Any]:
    """The caller's cost ledger over all their projects (deleted ones included). An admin may
    ask for another user's (``?of=<user id>``) or everyone's (``?everyone=true``)."""
    if (of is not None and of != user.id) or everyone:
        if not user.is_admin:
            raise HTTPException(403, "only an admin may read other users' usage")
        if everyone:
            return await ledger.usage(db)
        return {"user": of, **await ledger.usage(db, owner=of)}
    return {"user": user.id, **await ledger.usage(db, owner=user.id)}


@router.patch("/api/projects/{project_id}", response_model=ProjectOut)
async def rename_project(project: ProjectDep, body: ProjectPatch, db: DbDep) -> Project:
    async with db.session() as s:
        row = await s.get(Project, project.id)
        if row is None:
            raise HTTPException(404, f"unknown project {project.id}")
        row.name = body.name
        row.updated_at = utcnow()
        s.add(row)
        await s.commit()
        await s.refresh(row)
        return row


@router.delete("/api/projects/{project_id}", status_code=204)
async def delete_project(project: ProjectDep, db: DbDep, bus: BusDep, user: UserDep,
                         settings: SettingsDep) -> Response:
    """Delete the project with its versions, jobs, plans and tickets, after stopping its
    running jobs and its sandbox. What its model calls cost stays on the owner's ledger."""
    async with db.session() as s:
        live = (await s.exec(select(Job.id).where(
            Job.project_id == project.id, col(Job.status).not_in(JobStatus.TERMINAL)))).all()
        sandbox = (await s.exec(select(Sandbox.id).where(
            Sandbox.project_id == project.id,
            col(Sandbox.status).in_(("starting", "running"))))).first()
    for job_id in live:
        await cancel_job(bus, db, job_id, by=user.id)
    if sandbox is not None:
        await _stop_sandbox(bus, db, user, project.id, settings.sandbox_wait_seconds)
    async with db.session() as s:
        for table in (Ticket, Plan, Version, Sandbox, Job, Scrape, GitPush, GitLink):
            await s.exec(delete(table).where(col(table.project_id) == project.id))
        await unpublish(db, project.id, session=s)
        await s.exec(delete(Project).where(col(Project.id) == project.id))
        await s.commit()
    log.info("project %s deleted by %s", project.id, user.id)
    return Response(status_code=204)


async def _stop_sandbox(bus: Bus, db: Database, user: User, project_id: str,
                        wait_s: float) -> None:
    """Ask the sandbox pool to stop the project's sandbox and wait (a while) for it: the
    project goes either way; a pool that does not answer reaps the sandbox when its lease
    runs out."""
    message = SandboxCommandRequest(job_id=new_id(), project_id=project_id, command="kill")
    job = await start_job(bus, db, user, kind="sandbox-kill", message=message)
    try:
        async with asyncio.timeout(min(wait_s, 30)):
            async for _seq, event in bus.job_events(job.id):
                if event.event in TERMINAL_EVENTS:
                    break
    except TimeoutError:
        log.warning("project %s: the sandbox pool did not confirm stopping its sandbox",
                    project_id)


@router.get("/api/projects/{project_id}/events")
async def project_events(after: LastEventId, project: ProjectDep,
                         bus: BusDep) -> EventSourceResponse:
    """What happens to the project outside any one job, live: ``preview_error`` events (a
    module that does not compile, an uncaught error in a browser showing the preview)."""
    return event_stream(bus, project_channel(project.id), after)
