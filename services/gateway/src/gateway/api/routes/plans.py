"""Build plans: plan a build (a model job), read a plan and its board, and run it: build,
pause, resume, and follow a run's events."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlmodel import col, select, update
from sse_starlette import EventSourceResponse

from gateway.api.deps import (
    BusDep,
    DbDep,
    JobRateLimit,
    LastEventId,
    LinksDep,
    PlanDep,
    ProjectDep,
    SettingsDep,
    UserDep,
    plan_row,
)
from gateway.api.schemas import PlanBody, PlanOut
from gateway.jobs import cancel_job, check_model_job, event_stream, start_model_job
from paynto_common import kanban
from paynto_common.db import Database, Plan, PlanState, TicketState, new_id, utcnow
from paynto_common.messages import PlanRequest, Status, plan_channel

router = APIRouter()


async def board(db: Database, plan_id: str) -> PlanOut:
    """The plan as it is stored now, with its tickets."""
    plan = await plan_row(db, plan_id)
    return PlanOut.of(plan, await kanban.tickets_of(db, plan_id))


@router.post("/api/plan-build", dependencies=[JobRateLimit])
async def plan_build(body: PlanBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                     user: UserDep, links: LinksDep) -> EventSourceResponse:
    """Plan a build: a blueprint and tickets with their dependencies, stored with the project
    (SSE: ``blueprint``, ``ticket``..., ``plan_complete``, ``complete`` with the plan's id).
    Nothing is built until ``POST /api/plans/{id}/build``."""
    message = PlanRequest(job_id=new_id(), project_id=body.project_id, prompt=body.prompt,
                          model=body.model)
    return await start_model_job(bus, db, settings, user, links, kind="plan",
                                 message=message)


@router.get("/api/projects/{project_id}/plans", response_model=list[PlanOut])
async def project_plans(project: ProjectDep, db: DbDep) -> list[PlanOut]:
    """The project's plans, newest first, with their tickets."""
    async with db.session() as s:
        plans = (await s.exec(select(Plan).where(Plan.project_id == project.id)
                              .order_by(col(Plan.created_at).desc()))).all()
    return [PlanOut.of(plan, await kanban.tickets_of(db, plan.id)) for plan in plans]


@router.get("/api/plans/{plan_id}", response_model=PlanOut)
async def get_plan(plan: PlanDep, db: DbDep) -> PlanOut:
    """A plan's blueprint and its board: every ticket with its state, job and version."""
    return PlanOut.of(plan, await kanban.tickets_of(db, plan.id))


@router.post("/api/plans/{plan_id}/build", dependencies=[JobRateLimit])
async def build_plan(plan: PlanDep, bus: BusDep, db: DbDep, settings: SettingsDep,
                     user: UserDep) -> EventSourceResponse:
    """Start (or resume) building a plan's tickets, each as its own job once its dependencies
    are done, several at once; SSE of the run: ``ticket`` as each one moves, ``complete``
    when the run ends (``state`` done, stopped or paused). A running plan is joined."""
    await check_model_job(db, settings, plan.project_id, "", user.id)
    run_id = new_id()
    async with db.session() as s:
        started = (await s.exec(
            update(Plan)
            .where(col(Plan.id) == plan.id, col(Plan.state) != PlanState.RUNNING)
            .values(state=PlanState.RUNNING, run_id=run_id, updated_at=utcnow(),
                    limits={"project_usd": settings.project_budget_usd,
                            "user_usd": settings.user_budget_usd, "user": user.id})
            .returning(Plan))).scalars().first()
        await s.commit()
    if started is None:
        running = await plan_row(db, plan.id)
        assert running.run_id is not None
        return event_stream(bus, plan_channel(running.run_id))
    await bus.publish_event(plan_channel(run_id), Status(
        message=f"building plan {plan.id}", plan_id=plan.id, run_id=run_id))
    await kanban.advance(db, bus, plan.id)
    return event_stream(bus, plan_channel(run_id))


@router.get("/api/plans/{plan_id}/events")
async def plan_events(after: LastEventId, plan: PlanDep, bus: BusDep) -> EventSourceResponse:
    """The events of the plan's current (or last) build run, from ``Last-Event-ID``."""
    if plan.run_id is None:
        raise HTTPException(409, f"plan {plan.id} has not been built yet")
    return event_stream(bus, plan_channel(plan.run_id), after)


@router.post("/api/plans/{plan_id}/resume", dependencies=[JobRateLimit])
async def resume_plan(plan: PlanDep, bus: BusDep, db: DbDep, settings: SettingsDep,
                      user: UserDep) -> EventSourceResponse:
    """Go on with a paused (or stopped) plan: the same as building it again."""
    return await build_plan(plan, bus, db, settings, user)


async def _pause(db: Database, plan: Plan) -> Plan:
    """Move a running plan to paused (nothing new starts), or 409 when it is not running."""
    async with db.session() as s:
        paused = (await s.exec(
            update(Plan)
            .where(col(Plan.id) == plan.id, col(Plan.state) == PlanState.RUNNING)
            .values(state=PlanState.PAUSED, updated_at=utcnow())
            .returning(Plan))).scalars().first()
        await s.commit()
    if paused is None:
        raise HTTPException(409, f"plan {plan.id} is not running")
    return paused


@router.post("/api/plans/{plan_id}/pause", response_model=PlanOut)
async def pause_plan(plan: PlanDep, bus: BusDep, db: DbDep) -> PlanOut:
    """Start no more tickets; the ones already running finish, then the run ends paused."""
    paused = await _pause(db, plan)
    if paused.run_id:
        await bus.publish_event(plan_channel(paused.run_id), Status(
            message="paused: running tickets finish, no new ones start", paused=True))
    await kanban.advance(db, bus, plan.id)
    return await board(db, plan.id)


@router.post("/api/plans/{plan_id}/cancel", response_model=PlanOut)
async def cancel_plan(plan: PlanDep, bus: BusDep, db: DbDep, user: UserDep) -> PlanOut:
    """Stop a build run now: nothing new starts and the tickets being built are cancelled
    (their jobs stop; the tickets fail, ``cancelled``, and may be retried); the run ends
    paused, so ``resume`` goes on from there."""
    await _pause(db, plan)
    for ticket in await kanban.tickets_of(db, plan.id):
        if ticket.state in TicketState.IN_FLIGHT and ticket.job_id:
            await cancel_job(bus, db, ticket.job_id, by=user.id)
    await kanban.advance(db, bus, plan.id)
    return await board(db, plan.id)
