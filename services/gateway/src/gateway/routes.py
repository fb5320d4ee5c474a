"""The HTTP API of CONTRACT.md."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import zipfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select, update
from sse_starlette import EventSourceResponse

from gateway.deps import BusDep, DbDep, JobRateLimit, SettingsDep, UserDep
from gateway.jobs import event_stream, parse_last_event_id, start_job
from gateway.schemas import (
    ApplyBody,
    ForkBody,
    GenerateBody,
    InstallBody,
    PlanBody,
    PlanOut,
    ProjectCreate,
    ProjectFiles,
    ProjectOut,
    SandboxBody,
    SandboxOut,
    TicketCreate,
    TicketOut,
    TicketPatch,
    VersionOut,
)
from gateway.settings import GatewaySettings
from paynto_common import kanban, ledger
from paynto_common.bus import Bus
from paynto_common.db import (
    Database,
    Job,
    Plan,
    PlanState,
    Project,
    Sandbox,
    Ticket,
    TicketState,
    Version,
    new_id,
    utcnow,
)
from paynto_common.messages import (
    TERMINAL_EVENTS,
    ApplyRequest,
    CreateSandboxRequest,
    GenerateRequest,
    InstallPackagesRequest,
    PlanRequest,
    SandboxCommandRequest,
    plan_channel,
    preview_path,
    project_channel,
)
from paynto_common.packages import runnable_project
from paynto_common.safety.paths import is_forbidden
from paynto_common.service import metrics_response, readiness

log = logging.getLogger(__name__)
router = APIRouter()
SandboxCommand = Literal["logs", "restart", "kill"]


async def _project(db: Database, project_id: str) -> Project:
    async with db.session() as s:
        project = await s.get(Project, project_id)
    if project is None:
        raise HTTPException(404, f"unknown project {project_id}")
    return project


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(bus: BusDep, db: DbDep) -> JSONResponse:
    return await readiness({"nats": bus.ping, "database": db.ping})


@router.get("/metrics")
async def metrics() -> Response:
    return metrics_response()


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
async def get_project(project_id: str, db: DbDep) -> Project:
    return await _project(db, project_id)


@router.get("/api/projects/{project_id}/files", response_model=ProjectFiles)
async def project_files(project_id: str, db: DbDep) -> ProjectFiles:
    await _project(db, project_id)
    version = await db.latest_version(project_id)
    if version is None:
        return ProjectFiles(files={}, version=0)
    return ProjectFiles(files=version.files, version=version.number)


@router.get("/api/projects/{project_id}/usage")
async def project_usage(project_id: str, db: DbDep) -> dict[str, Any]:
    """What the project's generations cost: calls, tokens, USD (local models count zero)."""
    await _project(db, project_id)
    return {"project_id": project_id, **await ledger.usage(db, project_id)}


@router.get("/api/usage")
async def all_usage(db: DbDep, user: str | None = None) -> dict[str, Any]:
    """The cost ledger over every project, or over one person's (``?user=``)."""
    if user is None:
        return await ledger.usage(db)
    return {"user": user, **await ledger.usage(db, owner=user)}


@router.get("/api/models")
async def models(bus: BusDep) -> dict[str, Any]:
    """The models the generators can use, and which is the default, fast and fallback one."""
    try:
        reply = await bus.nc.request(bus.subjects.generator_models, b"", timeout=3)
    except Exception as exc:  # no generator running, or it did not answer
        raise HTTPException(503, "no generator answered; is one running?") from exc
    return dict(json.loads(reply.data))


@router.get("/api/get-sandbox-files")
async def get_sandbox_files(project_id: str, db: DbDep) -> dict[str, Any]:
    """The files the project's sandbox holds (its latest version: a sandbox is only ever a copy
    of it) and their paths, as the original product's endpoint of that name answered."""
    files = await project_files(project_id, db)
    return {"project_id": project_id, "files": files.files, "version": files.version,
            "structure": sorted(files.files)}


@router.get("/api/projects/{project_id}/versions", response_model=list[VersionOut])
async def project_versions(project_id: str, db: DbDep) -> list[VersionOut]:
    """Every applied turn of the project, newest first (file paths only)."""
    await _project(db, project_id)
    async with db.session() as s:
        rows = await s.exec(select(Version).where(Version.project_id == project_id)
                            .order_by(col(Version.number).desc()))
        return [VersionOut(number=v.number, created_at=v.created_at, model=v.model,
                           job_id=v.job_id, files=sorted(v.files)) for v in rows]


@router.get("/api/projects/{project_id}/versions/{number}", response_model=ProjectFiles)
async def project_version(project_id: str, number: int, db: DbDep) -> ProjectFiles:
    await _project(db, project_id)
    async with db.session() as s:
        row = (await s.exec(select(Version).where(Version.project_id == project_id,
                                                  Version.number == number))).first()
    if row is None:
        raise HTTPException(404, f"project {project_id} has no version {number}")
    return ProjectFiles(files=row.files, version=row.number)


async def _version(db: Database, project_id: str, number: int | None) -> Version | None:
    """Version ``number`` of the project, or its latest when ``number`` is None."""
    async with db.session() as s:
        query = select(Version).where(Version.project_id == project_id)
        query = (query.where(Version.number == number) if number is not None
                 else query.order_by(col(Version.number).desc()).limit(1))
        return (await s.exec(query)).first()


@router.post("/api/projects/{project_id}/versions/{number}/restore",
             dependencies=[JobRateLimit])
async def restore_version(project_id: str, number: int, bus: BusDep,
                          db: DbDep) -> EventSourceResponse:
    """Make version ``number`` the project's newest version again (its files exactly, as a new
    version: nothing is lost) and show it in a fresh sandbox; the job's events as SSE."""
    await _project(db, project_id)
    if await _version(db, project_id, number) is None:
        raise HTTPException(404, f"project {project_id} has no version {number}")
    message = ApplyRequest(job_id=new_id(), project_id=project_id, response="",
                           restore_version=number)
    job = await start_job(bus, db, kind="restore", subject=bus.subjects.apply, message=message)
    return event_stream(bus, job.id)


@router.post("/api/projects/{project_id}/fork", status_code=201, response_model=ProjectOut)
async def fork_project(project_id: str, body: ForkBody, db: DbDep) -> Project:
    """A new project starting from this one's files at a version (the latest by default)."""
    source = await _project(db, project_id)
    version = await _version(db, project_id, body.version)
    if version is None and body.version is not None:
        raise HTTPException(404, f"project {project_id} has no version {body.version}")
    fork = Project(name=body.name or f"{source.name} (fork)"[:200])
    async with db.session() as s:
        s.add(fork)
        await s.flush()
        if version is not None:
            s.add(Version(project_id=fork.id, number=1, files=dict(version.files),
                          model=f"forked from {project_id} version {version.number}"))
        await s.commit()
        await s.refresh(fork)
    return fork


async def _zip(db: Database, project_id: str, number: int | None) -> Response:
    project = await _project(db, project_id)
    version = await _version(db, project_id, number)
    if version is None:
        raise HTTPException(404, f"project {project_id} has no version "
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


@router.get("/api/projects/{project_id}/zip")
async def project_zip(project_id: str, db: DbDep, version: int | None = None) -> Response:
    """The project (latest version, or ``?version=N``) as a runnable Vite app in a zip."""
    return await _zip(db, project_id, version)


@router.post("/api/create-zip")
async def create_zip(body: SandboxBody, db: DbDep) -> Response:
    """The original deployment's name for the same download."""
    return await _zip(db, body.project_id, None)


async def _check_request(db: Database, settings: GatewaySettings, project_id: str,
                         prompt: str, user: str | None) -> None:
    """Refuse a model request that is too long, or one the project's or the person's budget
    cannot pay."""
    if len(prompt) > settings.max_prompt_chars:
        raise HTTPException(
            422, f"prompt is {len(prompt)} characters; the limit is "
                 f"{settings.max_prompt_chars}",
        )
    refusal = await ledger.over_budget(db, project_id, settings.project_budget_usd, user,
                                       settings.user_budget_usd)
    if refusal is not None:
        raise HTTPException(402, refusal)


@router.post("/api/generate-ai-code-stream", dependencies=[JobRateLimit])
async def generate(body: GenerateBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                   user: UserDep) -> EventSourceResponse:
    await _check_request(db, settings, body.project_id, body.prompt, user)
    message = GenerateRequest(job_id=new_id(), project_id=body.project_id, prompt=body.prompt,
                              model=body.model, user_id=user)
    job = await start_job(bus, db, kind="generate", subject=bus.subjects.generate,
                          message=message, prompt=body.prompt, model=body.model)
    return event_stream(bus, job.id)


@router.post("/api/plan-build", dependencies=[JobRateLimit])
async def plan_build(body: PlanBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                     user: UserDep) -> EventSourceResponse:
    """Plan a build: a blueprint and tickets with their dependencies, stored with the project
    (SSE: ``blueprint``, ``ticket``..., ``plan_complete``, ``complete`` with the plan's id).
    Nothing is built until ``POST /api/plans/{id}/build``."""
    await _check_request(db, settings, body.project_id, body.prompt, user)
    message = PlanRequest(job_id=new_id(), project_id=body.project_id, prompt=body.prompt,
                          model=body.model, user_id=user)
    job = await start_job(bus, db, kind="plan", subject=bus.subjects.plan, message=message,
                          prompt=body.prompt, model=body.model)
    return event_stream(bus, job.id)


async def _plan(db: Database, plan_id: str) -> Plan:
    async with db.session() as s:
        plan = await s.get(Plan, plan_id)
    if plan is None:
        raise HTTPException(404, f"unknown plan {plan_id}")
    return plan


async def _plan_out(db: Database, plan: Plan) -> PlanOut:
    tickets = await kanban.tickets_of(db, plan.id)
    return PlanOut(id=plan.id, project_id=plan.project_id, prompt=plan.prompt, model=plan.model,
                   state=plan.state, run_id=plan.run_id, blueprint=plan.blueprint,
                   created_at=plan.created_at,
                   tickets=[TicketOut(**kanban.ticket_view(t)) for t in tickets])


@router.get("/api/projects/{project_id}/plans", response_model=list[PlanOut])
async def project_plans(project_id: str, db: DbDep) -> list[PlanOut]:
    """The project's plans, newest first, with their tickets."""
    await _project(db, project_id)
    async with db.session() as s:
        plans = (await s.exec(select(Plan).where(Plan.project_id == project_id)
                              .order_by(col(Plan.created_at).desc()))).all()
    return [await _plan_out(db, plan) for plan in plans]


@router.get("/api/plans/{plan_id}", response_model=PlanOut)
async def get_plan(plan_id: str, db: DbDep) -> PlanOut:
    """A plan's blueprint and its board: every ticket with its state, job and version."""
    return await _plan_out(db, await _plan(db, plan_id))


@router.post("/api/plans/{plan_id}/build", dependencies=[JobRateLimit])
async def build_plan(plan_id: str, bus: BusDep, db: DbDep, settings: SettingsDep,
                     user: UserDep) -> EventSourceResponse:
    """Start (or resume) building a plan's tickets, each as its own job once its dependencies
    are done, several at once; SSE of the run: ``ticket`` as each one moves, ``complete``
    when the run ends (``state`` done, stopped or paused). A running plan is joined."""
    plan = await _plan(db, plan_id)
    await _check_request(db, settings, plan.project_id, "", user)
    run_id = new_id()
    async with db.session() as s:
        started = (await s.exec(
            update(Plan)
            .where(col(Plan.id) == plan_id, col(Plan.state) != PlanState.RUNNING)
            .values(state=PlanState.RUNNING, run_id=run_id, updated_at=utcnow(),
                    limits={"project_usd": settings.project_budget_usd,
                            "user_usd": settings.user_budget_usd, "user": user})
            .returning(Plan))).scalars().first()
        await s.commit()
    if started is None:
        plan = await _plan(db, plan_id)
        assert plan.run_id is not None
        return event_stream(bus, plan_channel(plan.run_id))
    await bus.publish_event(plan_channel(run_id), "status", {
        "message": f"building plan {plan_id}", "plan_id": plan_id, "run_id": run_id})
    await kanban.advance(db, bus, plan_id)
    return event_stream(bus, plan_channel(run_id))


@router.get("/api/plans/{plan_id}/events")
async def plan_events(
    plan_id: str, bus: BusDep, db: DbDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """The events of the plan's current (or last) build run, from ``Last-Event-ID``."""
    after = parse_last_event_id(last_event_id)
    plan = await _plan(db, plan_id)
    if plan.run_id is None:
        raise HTTPException(409, f"plan {plan_id} has not been built yet")
    return event_stream(bus, plan_channel(plan.run_id), after)


@router.post("/api/plans/{plan_id}/resume", dependencies=[JobRateLimit])
async def resume_plan(plan_id: str, bus: BusDep, db: DbDep, settings: SettingsDep,
                      user: UserDep) -> EventSourceResponse:
    """Go on with a paused (or stopped) plan: the same as building it again."""
    return await build_plan(plan_id, bus, db, settings, user)


@router.post("/api/plans/{plan_id}/pause", response_model=PlanOut)
async def pause_plan(plan_id: str, bus: BusDep, db: DbDep) -> PlanOut:
    """Start no more tickets; the ones already running finish, then the run ends paused."""
    await _plan(db, plan_id)
    async with db.session() as s:
        paused = (await s.exec(
            update(Plan)
            .where(col(Plan.id) == plan_id, col(Plan.state) == PlanState.RUNNING)
            .values(state=PlanState.PAUSED, updated_at=utcnow())
            .returning(Plan))).scalars().first()
        await s.commit()
    if paused is None:
        raise HTTPException(409, f"plan {plan_id} is not running")
    if paused.run_id:
        await bus.publish_event(plan_channel(paused.run_id), "status", {
            "message": "paused: running tickets finish, no new ones start", "paused": True})
    await kanban.advance(db, bus, plan_id)
    return await _plan_out(db, await _plan(db, plan_id))


# A ticket may be changed or removed only while no job is building it and it is not built.
_EDITABLE = (TicketState.BACKLOG, TicketState.FAILED, TicketState.BLOCKED)


def _check_ticket_fields(fields: dict[str, Any], key: str, tickets: list[Ticket]) -> None:
    """Refuse dependencies that cannot run and file paths that are not the site's (422)."""
    for path in fields.get("files") or []:
        reason = is_forbidden(path)
        if reason:
            raise HTTPException(422, f"files: {path!r} is not a path of the site: {reason}")
    if "depends_on" in fields:
        graph = {t.key: list(t.depends_on) for t in tickets}
        graph[key] = list(fields["depends_on"])
        problem = kanban.graph_problem(graph)
        if problem:
            raise HTTPException(422, f"depends_on: {problem}")


async def _after_board_change(bus: Bus, db: Database, plan_id: str) -> PlanOut:
    plan = await _plan(db, plan_id)
    if plan.state == PlanState.RUNNING:
        await kanban.advance(db, bus, plan_id)
    return await _plan_out(db, await _plan(db, plan_id))


@router.patch("/api/plans/{plan_id}/tickets/{key}", response_model=PlanOut)
async def edit_ticket(plan_id: str, key: str, body: TicketPatch, bus: BusDep,
                      db: DbDep) -> PlanOut:
    """Change a ticket that is not being built and not built yet (backlog, failed, blocked)."""
    await _plan(db, plan_id)
    tickets = await kanban.tickets_of(db, plan_id)
    ticket = next((t for t in tickets if t.key == key), None)
    if ticket is None:
        raise HTTPException(404, f"plan {plan_id} has no ticket {key}")
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise HTTPException(422, "nothing to change: give at least one field")
    _check_ticket_fields(fields, key, tickets)
    async with db.session() as s:
        changed = (await s.exec(
            update(Ticket)
            .where(col(Ticket.id) == ticket.id, col(Ticket.state).in_(_EDITABLE))
            .values(**fields, updated_at=utcnow())
            .returning(Ticket))).scalars().first()
        await s.commit()
    if changed is None:
        raise HTTPException(409, f"ticket {key} is {ticket.state}: only a ticket in the "
                                 "backlog, failed or blocked can be changed")
    return await _after_board_change(bus, db, plan_id)


@router.post("/api/plans/{plan_id}/tickets", status_code=201, response_model=PlanOut)
async def add_ticket(plan_id: str, body: TicketCreate, bus: BusDep, db: DbDep) -> PlanOut:
    """Add a ticket at the end of the plan, in the backlog; a running build picks it up."""
    plan = await _plan(db, plan_id)
    tickets = await kanban.tickets_of(db, plan_id)
    numbers = [int(t.key[1:]) for t in tickets if re.fullmatch(r"T\d{1,6}", t.key)]
    key = f"T{max(numbers, default=0) + 1}"
    fields = body.model_dump(exclude_unset=True)
    _check_ticket_fields(fields, key, tickets)
    ticket = Ticket(plan_id=plan_id, project_id=plan.project_id, key=key,
                    position=max((t.position for t in tickets), default=-1) + 1,
                    title=body.title, type=body.type or "feature",
                    priority=body.priority or "medium", complexity=body.complexity or "M",
                    depends_on=list(body.depends_on or []), acceptance=body.acceptance or "",
                    description=body.description or "", files=list(body.files or []))
    try:
        async with db.session() as s:
            s.add(ticket)
            await s.commit()
    except IntegrityError:
        raise HTTPException(409, f"ticket {key} was just added by another request; "
                                 "try again") from None
    return await _after_board_change(bus, db, plan_id)


@router.delete("/api/plans/{plan_id}/tickets/{key}", response_model=PlanOut)
async def remove_ticket(plan_id: str, key: str, bus: BusDep, db: DbDep) -> PlanOut:
    """Remove a ticket no other ticket needs, unless it is being built or built."""
    await _plan(db, plan_id)
    tickets = await kanban.tickets_of(db, plan_id)
    ticket = next((t for t in tickets if t.key == key), None)
    if ticket is None:
        raise HTTPException(404, f"plan {plan_id} has no ticket {key}")
    needed_by = [t.key for t in tickets if key in t.depends_on]
    if needed_by:
        raise HTTPException(409, f"ticket {key} is needed by {', '.join(needed_by)}: "
                                 "change their depends_on first")
    async with db.session() as s:
        removed = (await s.exec(
            delete(Ticket)
            .where(col(Ticket.id) == ticket.id, col(Ticket.state).in_(_EDITABLE))
            .returning(col(Ticket.id)))).first()
        await s.commit()
    if removed is None:
        raise HTTPException(409, f"ticket {key} is {ticket.state}: only a ticket in the "
                                 "backlog, failed or blocked can be removed")
    return await _after_board_change(bus, db, plan_id)


@router.post("/api/plans/{plan_id}/tickets/{key}/retry", response_model=PlanOut)
async def retry_ticket(plan_id: str, key: str, bus: BusDep, db: DbDep) -> PlanOut:
    """Put a failed or blocked ticket back in the backlog, with the tickets it blocked; the
    next build (or the running one) picks them up."""
    plan = await _plan(db, plan_id)
    tickets = await kanban.tickets_of(db, plan_id)
    ticket = next((t for t in tickets if t.key == key), None)
    if ticket is None:
        raise HTTPException(404, f"plan {plan_id} has no ticket {key}")
    if ticket.state not in (TicketState.FAILED, TicketState.BLOCKED):
        raise HTTPException(409, f"ticket {key} is {ticket.state}; only a failed or blocked "
                                 "ticket can be retried")
    again = {key}
    grew = True
    while grew:  # and everything blocked behind it
        grew = False
        for t in tickets:
            if (t.key not in again and t.state == TicketState.BLOCKED
                    and again & set(t.depends_on)):
                again.add(t.key)
                grew = True
    async with db.session() as s:
        await s.exec(update(Ticket)
                     .where(col(Ticket.plan_id) == plan_id, col(Ticket.key).in_(again),
                            col(Ticket.state).in_((TicketState.FAILED, TicketState.BLOCKED)))
                     .values(state=TicketState.BACKLOG, error=None, updated_at=utcnow()))
        await s.commit()
    if plan.state == PlanState.RUNNING:
        await kanban.advance(db, bus, plan_id)
    return await _plan_out(db, await _plan(db, plan_id))


@router.post("/api/apply-ai-code-stream", dependencies=[JobRateLimit])
async def apply(body: ApplyBody, bus: BusDep, db: DbDep) -> EventSourceResponse:
    message = ApplyRequest(job_id=new_id(), project_id=body.project_id, response=body.response)
    job = await start_job(bus, db, kind="apply", subject=bus.subjects.apply, message=message)
    return event_stream(bus, job.id)


@router.post("/api/install-packages", dependencies=[JobRateLimit])
async def install_packages(body: InstallBody, bus: BusDep, db: DbDep) -> EventSourceResponse:
    message = InstallPackagesRequest(job_id=new_id(), project_id=body.project_id,
                                     packages=body.packages)
    job = await start_job(bus, db, kind="install", subject=bus.subjects.install,
                          message=message)
    return event_stream(bus, job.id)


@router.get("/api/jobs/{job_id}/events")
async def job_events(
    job_id: str, bus: BusDep, db: DbDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    after = parse_last_event_id(last_event_id)
    async with db.session() as s:
        job = await s.get(Job, job_id)
    if job is None:
        raise HTTPException(404, f"unknown job {job_id}")
    return event_stream(bus, job_id, after)


@router.get("/api/projects/{project_id}/events")
async def project_events(
    project_id: str, bus: BusDep, db: DbDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """What happens to the project outside any one job, live: ``preview_error`` events (a
    module that does not compile, an uncaught error in a browser showing the preview)."""
    after = parse_last_event_id(last_event_id)
    await _project(db, project_id)
    return event_stream(bus, project_channel(project_id), after)


@router.get("/api/jobs/{job_id}")
async def job_status(job_id: str, db: DbDep) -> dict[str, object]:
    async with db.session() as s:
        job = await s.get(Job, job_id)
    if job is None:
        raise HTTPException(404, f"unknown job {job_id}")
    return {"id": job.id, "project_id": job.project_id, "kind": job.kind, "status": job.status,
            "model": job.model, "attempts": job.attempts, "error": job.error,
            "result": job.result}


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


@router.post("/api/create-ai-sandbox-v2", response_model=SandboxOut,
             dependencies=[JobRateLimit])
async def create_sandbox(body: SandboxBody, bus: BusDep, db: DbDep,
                         settings: SettingsDep) -> SandboxOut:
    message = CreateSandboxRequest(job_id=new_id(), project_id=body.project_id)
    job = await start_job(bus, db, kind="sandbox", subject=bus.subjects.sandbox_create,
                          message=message)
    data = await _wait_for_result(bus, job.id, settings.sandbox_wait_seconds)
    return SandboxOut(sandbox_id=data["sandbox_id"], preview_url=data["preview_url"])


async def _sandbox_command(bus: Bus, db: Database, settings: GatewaySettings,
                           project_id: str, command: SandboxCommand) -> dict[str, Any]:
    message = SandboxCommandRequest(job_id=new_id(), project_id=project_id,
                                    command=command)
    job = await start_job(bus, db, kind=f"sandbox-{command}",
                          subject=bus.subjects.sandbox_command, message=message)
    return await _wait_for_result(bus, job.id, settings.sandbox_wait_seconds)


@router.get("/api/sandbox-status")
async def sandbox_status(project_id: str, db: DbDep) -> dict[str, Any]:
    """What the database knows of the project's newest sandbox (no call to the pool)."""
    await _project(db, project_id)
    async with db.session() as s:
        row = (await s.exec(select(Sandbox).where(Sandbox.project_id == project_id)
                            .order_by(col(Sandbox.created_at).desc()).limit(1))).first()
    if row is None:
        return {"project_id": project_id, "status": "none"}
    running = row.status == "running"
    return {"project_id": project_id, "sandbox_id": row.id, "status": row.status,
            "provider": row.provider, "version": row.version,
            "preview_url": preview_path(row.id) if running else None,
            "updated_at": row.updated_at.isoformat()}


@router.get("/api/sandbox-logs", dependencies=[JobRateLimit])
async def sandbox_logs(project_id: str, bus: BusDep, db: DbDep,
                       settings: SettingsDep) -> dict[str, Any]:
    """The dev server's last output lines."""
    return await _sandbox_command(bus, db, settings, project_id, "logs")


@router.post("/api/restart-vite", response_model=SandboxOut, dependencies=[JobRateLimit])
async def restart_vite(body: SandboxBody, bus: BusDep, db: DbDep,
                       settings: SettingsDep) -> SandboxOut:
    data = await _sandbox_command(bus, db, settings, body.project_id, "restart")
    return SandboxOut(sandbox_id=data["sandbox_id"], preview_url=data["preview_url"])


@router.post("/api/kill-sandbox", dependencies=[JobRateLimit])
async def kill_sandbox(body: SandboxBody, bus: BusDep, db: DbDep,
                       settings: SettingsDep) -> dict[str, Any]:
    """Stop the project's sandbox; its files stay safe in the stored versions."""
    return await _sandbox_command(bus, db, settings, body.project_id, "kill")
