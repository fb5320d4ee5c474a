"""A project's versions (one per applied turn): list and read them, what changed between two,
restore one, fork the project from one, and download one as a runnable Vite app."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from sqlmodel import col, select
from sse_starlette import EventSourceResponse

from gateway.api.deps import (
    BusDep,
    DbDep,
    JobRateLimit,
    LinksDep,
    ProjectDep,
    UserDep,
    owned_project,
)
from gateway.api.schemas import (
    MAX_INT,
    FileDiffOut,
    ForkBody,
    ProjectFiles,
    ProjectOut,
    SandboxBody,
    VersionDiff,
    VersionOut,
)
from gateway.jobs import event_stream, start_job
from paynto_common.db import Database, Project, Version, new_id
from paynto_common.diffs import diff_files
from paynto_common.messages import ApplyRequest
from paynto_common.packages import runnable_project

router = APIRouter()
# A version's number in a path or a query: past the database's INTEGER it is a 422, not a
# failed query.
Number = Annotated[int, Path(ge=0, le=MAX_INT)]
# What the schema says a download is (not FastAPI's JSON).
ZIP: dict[int | str, dict[str, Any]] = {200: {"content": {"application/zip": {}}}}


async def _version(db: Database, project_id: str, number: int | None) -> Version | None:
    """Version ``number`` of the project, or its latest when ``number`` is None."""
    async with db.session() as s:
        query = select(Version).where(Version.project_id == project_id)
        query = (query.where(Version.number == number) if number is not None
                 else query.order_by(col(Version.number).desc()).limit(1))
        return (await s.exec(query)).first()


@router.get("/api/projects/{project_id}/versions", response_model=list[VersionOut])
async def project_versions(project: ProjectDep, db: DbDep) -> list[VersionOut]:
    """Every applied turn of the project, newest first (file paths only)."""
    async with db.session() as s:
        rows = await s.exec(select(Version).where(Version.project_id == project.id)
                            .order_by(col(Version.number).desc()))
        return [VersionOut(number=v.number, created_at=v.created_at, model=v.model,
                           job_id=v.job_id, files=sorted(v.files)) for v in rows]


@router.get("/api/projects/{project_id}/versions/{number}", response_model=ProjectFiles)
async def project_version(project: ProjectDep, number: Number, db: DbDep) -> ProjectFiles:
    row = await _version(db, project.id, number)
    if row is None:
        raise HTTPException(404, f"project {project.id} has no version {number}")
    return ProjectFiles(files=row.files, version=row.number)


@router.get("/api/projects/{project_id}/versions/{number}/diff", response_model=VersionDiff)
async def version_diff(project: ProjectDep, number: Number, db: DbDep,
                       against: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None
                       ) -> VersionDiff:
    """What changed from version ``against`` (the one before by default; 0 is no files at
    all, so version 1 shows every file added) to version ``number``, as hunks by file."""
    row = await _version(db, project.id, number)
    if row is None:
        raise HTTPException(404, f"project {project.id} has no version {number}")
    base = number - 1 if against is None else against
    old: dict[str, str] = {}
    if base:
        other = await _version(db, project.id, base)
        if other is None:
            raise HTTPException(404, f"project {project.id} has no version {base}")
        old = other.files
    # Off the event loop: a big project's diff takes a while.
    files = await asyncio.to_thread(diff_files, old, row.files)
    return VersionDiff(number=number, against=base,
                       files=[FileDiffOut.model_validate(asdict(f)) for f in files])


@router.post("/api/projects/{project_id}/versions/{number}/restore",
             dependencies=[JobRateLimit])
async def restore_version(project: ProjectDep, number: Number, bus: BusDep, db: DbDep,
                          user: UserDep, links: LinksDep) -> EventSourceResponse:
    """Make version ``number`` the project's newest version again (its files exactly, as a new
    version: nothing is lost) and show it in a fresh sandbox; the job's events as SSE."""
    if await _version(db, project.id, number) is None:
        raise HTTPException(404, f"project {project.id} has no version {number}")
    message = ApplyRequest(job_id=new_id(), project_id=project.id, response="",
                           restore_version=number)
    job = await start_job(bus, db, user, kind="restore", message=message)
    return event_stream(bus, job.id, links=(links, project.id))


@router.post("/api/projects/{project_id}/fork", status_code=201, response_model=ProjectOut)
async def fork_project(source: ProjectDep, body: ForkBody, db: DbDep, user: UserDep) -> Project:
    """A new project starting from this one's files at a version (the latest by default)."""
    version = await _version(db, source.id, body.version)
    if version is None and body.version is not None:
        raise HTTPException(404, f"project {source.id} has no version {body.version}")
    fork = Project(name=body.name or f"{source.name} (fork)"[:200], owner_id=user.id)
    async with db.session() as s:
        s.add(fork)
        await s.flush()
        if version is not None:
            s.add(Version(project_id=fork.id, number=1, files=dict(version.files),
                          model=f"forked from {source.id} version {version.number}"))
        await s.commit()
        await s.refresh(fork)
    return fork


async def _zip(db: Database, project: Project, number: int | None) -> Response:
    version = await _version(db, project.id, number)
    if version is None:
        raise HTTPException(404, f"project {project.id} has no version "
                                 f"{number if number is not None else 'yet'}")
    buffer = io.BytesIO()
    # Stamped with the version's time, not the clock: one version always gives the same bytes.
    stamp = max(version.created_at.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in sorted(runnable_project(version.files).items()):
            entry = zipfile.ZipInfo(path, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, text)
    slug = re.sub(r"[^a-z0-9]+", "-", project.name.lower()).strip("-") or "site"
    filename = f"{slug}-v{version.number}.zip"
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/api/projects/{project_id}/zip", response_class=Response, responses=ZIP)
async def project_zip(project: ProjectDep, db: DbDep,
                      version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None
                      ) -> Response:
    """The project (latest version, or ``?version=N``) as a runnable Vite app in a zip."""
    return await _zip(db, project, version)


@router.post("/api/create-zip", response_class=Response, responses=ZIP)
async def create_zip(body: SandboxBody, db: DbDep, user: UserDep) -> Response:
    """The original deployment's name for the same download."""
    return await _zip(db, await owned_project(db, body.project_id, user), None)
