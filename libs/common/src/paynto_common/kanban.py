"""Build runs of a plan's tickets: which ticket may start, and what its end means for others.

There is no scheduler process. Whoever changes the board calls :func:`advance`: the gateway
when a run starts or resumes, the sandbox pool when a ticket's change is applied, and the
failure hook when a ticket's job fails. ``advance`` dispatches every backlog ticket whose
dependencies are done, as a generate job on the bus (any generator replica takes it), blocks
the tickets that can no longer run, and ends the run when nothing is left to do. Each
dispatch is claimed with a conditional update, so replicas calling it at once never start a
ticket twice; a ticket's job is published with its id as the message id.

The board's rules for people changing it live here too (what a ticket may hold, which tickets
may still change, the key of a new one, what a retry puts back), so the API, the planner and
the studio's form cannot disagree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal, get_args

from sqlmodel import col, delete, select, update

from paynto_common import ledger
from paynto_common.bus import Bus
from paynto_common.db import (
    Database,
    Job,
    JobStatus,
    Plan,
    PlanState,
    Ticket,
    TicketState,
    utcnow,
)
from paynto_common.messages import (
    Event,
    GenerateRequest,
    JobStarted,
    RunEnded,
    TicketView,
    plan_channel,
)
from paynto_common.safety.paths import is_forbidden

log = logging.getLogger(__name__)

TicketType = Literal["setup", "layout", "component", "page", "feature", "content", "style",
                     "data"]
Priority = Literal["high", "medium", "low"]
Complexity = Literal["XS", "S", "M", "L", "XL"]
TICKET_TYPES: tuple[str, ...] = get_args(TicketType)
PRIORITIES: tuple[str, ...] = get_args(Priority)
COMPLEXITIES: tuple[str, ...] = get_args(Complexity)
# What a ticket is when nobody (neither a person nor a model) said.
DEFAULT_TYPE: TicketType = "feature"
DEFAULT_PRIORITY: Priority = "medium"
DEFAULT_COMPLEXITY: Complexity = "M"

KEY_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 4000
MAX_ACCEPTANCE_CHARS = 1000
MAX_PATH_CHARS = 300
MAX_DEPENDENCIES = 50
MAX_FILES = 50

# A ticket may be changed or removed only while no job is building it and it is not built.
EDITABLE: frozenset[str] = frozenset({TicketState.BACKLOG, TicketState.FAILED,
                                      TicketState.BLOCKED})
# Only a ticket that did not finish may be built again.
RETRYABLE: frozenset[str] = frozenset({TicketState.FAILED, TicketState.BLOCKED})


def graph_problem(deps: Mapping[str, Sequence[str]]) -> str | None:
    """What is wrong with a plan's dependencies (ticket key → keys it waits for): a
    dependency on itself or on an unknown ticket, or a cycle; None when they can all run."""
    for key, needs in deps.items():
        for dep in needs:
            if dep == key:
                return f"ticket {key} depends on itself"
            if dep not in deps:
                return f"ticket {key} depends on unknown ticket {dep!r}"
    finished: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(key: str) -> list[str] | None:
        path.append(key)
        on_path.add(key)
        for dep in deps[key]:
            if dep in on_path:
                return [*path[path.index(dep):], dep]
            if dep not in finished and (cycle := visit(dep)):
                return cycle
        path.pop()
        on_path.discard(key)
        finished.add(key)
        return None

    # Plans hold a few dozen tickets at most, so recursion is safe.
    for key in deps:
        if key not in finished and (cycle := visit(key)):
            return "dependency cycle: " + " -> ".join(cycle) + " (each depends on the next)"
    return None


def ticket_view(ticket: Ticket) -> TicketView:
    """A ticket as the API and its events show it."""
    return TicketView(
        id=ticket.id, key=ticket.key, title=ticket.title, type=ticket.type,
        priority=ticket.priority, complexity=ticket.complexity,
        depends_on=list(ticket.depends_on), acceptance=ticket.acceptance,
        description=ticket.description, files=list(ticket.files),
        state=ticket.state, job_id=ticket.job_id, version=ticket.version, error=ticket.error,
    )


async def tickets_of(db: Database, plan_id: str) -> list[Ticket]:
    """A plan's tickets in build order."""
    async with db.session() as s:
        rows = await s.exec(select(Ticket).where(Ticket.plan_id == plan_id)
                            .order_by(col(Ticket.position)))
        return list(rows)


# Changes people make to a board.


def next_key(keys: Iterable[str]) -> str:
    """The key of a ticket added to a board whose tickets have ``keys``: ``T<n>`` after the
    highest ``T<n>`` there (keys a model named otherwise do not count)."""
    numbers = [int(key[1:]) for key in keys if re.fullmatch(r"T\d{1,6}", key)]
    return f"T{max(numbers, default=0) + 1}"


def new_ticket(plan: Plan, tickets: Sequence[Ticket], fields: Mapping[str, Any]) -> Ticket:
    """A ticket added at the end of ``plan`` (whose board holds ``tickets``), in the backlog,
    under the next key; what ``fields`` leaves out (or sets to None) takes the defaults."""
    return Ticket(
        plan_id=plan.id, project_id=plan.project_id, key=next_key(t.key for t in tickets),
        position=max((t.position for t in tickets), default=-1) + 1, title=fields["title"],
        type=fields.get("type") or DEFAULT_TYPE,
        priority=fields.get("priority") or DEFAULT_PRIORITY,
        complexity=fields.get("complexity") or DEFAULT_COMPLEXITY,
        depends_on=list(fields.get("depends_on") or []),
        acceptance=fields.get("acceptance") or "", description=fields.get("description") or "",
        files=list(fields.get("files") or []),
    )


def fields_problem(fields: Mapping[str, Any], key: str, tickets: Sequence[Ticket]) -> str | None:
    """Why ticket ``key`` cannot take ``fields`` on a board of ``tickets``: a file path that is
    not the site's, or dependencies that cannot run; None when it can."""
    for path in fields.get("files") or []:
        if reason := is_forbidden(path):
            return f"files: {path!r} is not a path of the site: {reason}"
    if "depends_on" in fields:
        graph = {t.key: list(t.depends_on) for t in tickets}
        graph[key] = list(fields["depends_on"] or [])
        if problem := graph_problem(graph):
            return f"depends_on: {problem}"
    return None


async def change_ticket(db: Database, ticket_id: str, fields: Mapping[str, Any]) -> Ticket | None:
    """Set ``fields`` of an editable ticket; None when it is not editable (any more: a build
    may have taken it since it was read)."""
    async with db.session() as s:
        changed = (await s.exec(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state).in_(EDITABLE))
            .values(**fields, updated_at=utcnow())
            .returning(Ticket))).scalars().first()
        await s.commit()
    return changed


async def remove_ticket(db: Database, ticket_id: str) -> bool:
    """Delete an editable ticket; False when it is not editable (any more)."""
    async with db.session() as s:
        removed = (await s.exec(
            delete(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state).in_(EDITABLE))
            .returning(col(Ticket.id)))).first()
        await s.commit()
    return removed is not None


def blocked_behind(tickets: Sequence[Ticket], key: str) -> set[str]:
    """Ticket ``key`` and every blocked ticket waiting on it, directly or not: what retrying it
    puts back in the backlog."""
    again = {key}
    grew = True
    while grew:
        grew = False
        for t in tickets:
            if (t.key not in again and t.state == TicketState.BLOCKED
                    and again & set(t.depends_on)):
                again.add(t.key)
                grew = True
    return again


async def retry(db: Database, plan_id: str, key: str) -> set[str]:
    """Put ticket ``key`` back in the backlog with the tickets blocked behind it (those that
    did not finish: a ticket built meanwhile stays built); the keys of the tickets put back.
    The next build, or the running one once advanced, picks them up."""
    again = blocked_behind(await tickets_of(db, plan_id), key)
    async with db.session() as s:
        moved = (await s.exec(
            update(Ticket)
            .where(col(Ticket.plan_id) == plan_id, col(Ticket.key).in_(again),
                   col(Ticket.state).in_(RETRYABLE))
            .values(state=TicketState.BACKLOG, error=None, updated_at=utcnow())
            .returning(col(Ticket.key)))).scalars().all()
        await s.commit()
    return set(moved)


async def _publish(bus: Bus, plan: Plan, event: Event, msg_id: str | None = None) -> None:
    if plan.run_id is not None:
        await bus.publish_event(plan_channel(plan.run_id), event, msg_id=msg_id)


async def move_ticket(db: Database, bus: Bus, ticket_id: str, state: str,
                      *, allow_from: frozenset[str] | None = None,
                      **fields: Any) -> Ticket | None:
    """Move a ticket to ``state`` (from any state not terminal, or from ``allow_from``) and
    tell the run's watchers; None when it was not in a state it may leave."""
    sources = allow_from if allow_from is not None else (
        frozenset({TicketState.BACKLOG}) | TicketState.IN_FLIGHT)
    async with db.session() as s:
        ticket = (await s.exec(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state).in_(sources))
            .values(state=state, updated_at=utcnow(), **fields)
            .returning(Ticket))).scalars().first()
        await s.commit()
        plan = await s.get(Plan, ticket.plan_id) if ticket is not None else None
    if ticket is None or plan is None:
        return None
    await _publish(bus, plan, ticket_view(ticket))
    return ticket


async def ticket_finished(db: Database, bus: Bus, ticket_id: str, *, version: int,
                          error: str | None = None) -> None:
    """A ticket's change is applied as ``version``: done, or failed with ``error`` (what the
    check found); then the run goes on."""
    state = TicketState.FAILED if error else TicketState.DONE
    await move_ticket(db, bus, ticket_id, state, version=version, error=error)
    # Advance even when the ticket had already moved: a worker may have died between moving
    # it and advancing, and this is its job's redelivery.
    async with db.session() as s:
        ticket = await s.get(Ticket, ticket_id)
    if ticket is not None:
        await advance(db, bus, ticket.plan_id)


async def job_failed(db: Database, bus: Bus, job_id: str, reason: str) -> None:
    """A job failed for good; if it built a ticket, the ticket failed with it."""
    async with db.session() as s:
        ticket = (await s.exec(select(Ticket).where(Ticket.job_id == job_id))).first()
    if ticket is None:
        return
    moved = await move_ticket(db, bus, ticket.id, TicketState.FAILED, error=reason)
    if moved is not None:
        await advance(db, bus, moved.plan_id)


async def _block_unreachable(db: Database, bus: Bus, tickets: list[Ticket]) -> None:
    """Backlog tickets that depend, directly or not, on a failed ticket can never run."""
    states = {t.key: t.state for t in tickets}
    changed = True
    while changed:
        changed = False
        for ticket in tickets:
            if states[ticket.key] != TicketState.BACKLOG:
                continue
            stuck = [d for d in ticket.depends_on
                     if states.get(d) in (TicketState.FAILED, TicketState.BLOCKED)]
            if stuck:
                states[ticket.key] = TicketState.BLOCKED
                changed = True
                await move_ticket(db, bus, ticket.id, TicketState.BLOCKED,
                                  allow_from=frozenset({TicketState.BACKLOG}),
                                  error=f"waits on {', '.join(stuck)}, which did not finish")


async def advance(db: Database, bus: Bus, plan_id: str) -> list[str]:
    """Start what may start, end the run when nothing can; the keys of the tickets started."""
    async with db.session() as s:
        plan = await s.get(Plan, plan_id)
    if plan is None:
        return []
    tickets = await tickets_of(db, plan_id)
    await _block_unreachable(db, bus, tickets)
    tickets = await tickets_of(db, plan_id)
    started: list[str] = []
    refusal = await _budget_refusal(db, plan)
    if plan.state == PlanState.RUNNING and refusal is None:
        done = {t.key for t in tickets if t.state == TicketState.DONE}
        for ticket in tickets:
            if ticket.state == TicketState.BACKLOG and set(ticket.depends_on) <= done:
                if await _dispatch(db, bus, plan, ticket):
                    started.append(ticket.key)
        tickets = await tickets_of(db, plan_id)
        await _publish_again(db, bus, plan, [t for t in tickets if t.key not in started])
    if not started and not any(t.state in TicketState.IN_FLIGHT for t in tickets):
        await _end_run(db, bus, plan, tickets, refusal)
    return started


async def _budget_refusal(db: Database, plan: Plan) -> str | None:
    """Why the run may start no more tickets (a budget is spent), or None."""
    if plan.state != PlanState.RUNNING or not plan.limits:
        return None
    limits = plan.limits
    return await ledger.over_budget(db, plan.project_id, float(limits.get("project_usd") or 0),
                                    _starter(plan), float(limits.get("user_usd") or 0))


# A ticket's job no worker has taken after this long may never have reached the bus (its
# dispatcher died between claiming it and publishing it): publish it again.
STALE_DISPATCH = timedelta(seconds=60)


async def _publish_again(db: Database, bus: Bus, plan: Plan, tickets: list[Ticket]) -> None:
    waiting = [t for t in tickets if t.state == TicketState.QUEUED and t.job_id]
    if not waiting:
        return
    async with db.session() as s:
        jobs = (await s.exec(select(Job).where(
            col(Job.id).in_([t.job_id for t in waiting]), Job.status == JobStatus.QUEUED,
            col(Job.created_at) < utcnow() - STALE_DISPATCH))).all()
    stale = {job.id for job in jobs}
    for ticket in waiting:
        if ticket.job_id in stale:
            log.warning("plan %s: ticket %s's job %s was never taken; publishing it again",
                        plan.id, ticket.key, ticket.job_id)
            await _publish_job(bus, plan, ticket, ticket.job_id)


def _starter(plan: Plan) -> str | None:
    """Who started the plan's build run (its tickets' jobs act for them)."""
    user = (plan.limits or {}).get("user")
    return str(user) if user else None


async def _publish_job(bus: Bus, plan: Plan, ticket: Ticket, job_id: str) -> None:
    # The job id is the message id: a second publish within the stream's window is dropped.
    await bus.publish_job(bus.subjects.generate, GenerateRequest(
        job_id=job_id, project_id=plan.project_id, user_id=_starter(plan), prompt=ticket.title,
        ticket_id=ticket.id), msg_id=job_id)


async def _dispatch(db: Database, bus: Bus, plan: Plan, ticket: Ticket) -> bool:
    job = Job(project_id=plan.project_id, kind="ticket", prompt=ticket.title,
              user_id=_starter(plan))
    async with db.session() as s:
        claimed = (await s.exec(
            update(Ticket)
            .where(col(Ticket.id) == ticket.id, col(Ticket.state) == TicketState.BACKLOG)
            .values(state=TicketState.QUEUED, job_id=job.id, error=None, updated_at=utcnow())
            .returning(Ticket))).scalars().first()
        if claimed is None:
            await s.rollback()
            return False  # another caller started it
        s.add(job)
        await s.commit()
    await _publish(bus, plan, ticket_view(claimed))
    await bus.publish_event(job.id, JobStarted(job_id=job.id, ticket=ticket.key),
                            msg_id=f"job:{job.id}")
    await _publish_job(bus, plan, ticket, job.id)
    log.info("plan %s: ticket %s dispatched as job %s", plan.id, ticket.key, job.id)
    return True


async def _end_run(db: Database, bus: Bus, plan: Plan, tickets: list[Ticket],
                   refusal: str | None = None) -> None:
    """Nothing is running or can start: the run ends (paused, done or stopped; ``refusal``
    says why when a budget stopped it)."""
    counts: dict[str, int] = {}
    for ticket in tickets:
        counts[ticket.state] = counts.get(ticket.state, 0) + 1
    if plan.state == PlanState.RUNNING:
        all_done = all(t.state == TicketState.DONE for t in tickets)
        state = PlanState.DONE if all_done else PlanState.STOPPED
        async with db.session() as s:
            await s.exec(update(Plan)
                         .where(col(Plan.id) == plan.id, col(Plan.run_id) == plan.run_id,
                                col(Plan.state) == PlanState.RUNNING)
                         .values(state=state, updated_at=utcnow()))
            await s.commit()
            plan = await s.get(Plan, plan.id) or plan
    if plan.state not in (PlanState.DONE, PlanState.STOPPED, PlanState.PAUSED):
        return
    ended = RunEnded(plan_id=plan.id, state=plan.state, tickets=counts)
    if refusal is not None and plan.state == PlanState.STOPPED:
        ended.reason = refusal
    await _publish(bus, plan, ended, msg_id=f"complete:{plan.run_id}")
