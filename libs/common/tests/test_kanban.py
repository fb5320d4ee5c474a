"""The board's rules on a real database and bus: what may start, exactly once, and what a
failure blocks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from paynto_common import kanban, ledger
from paynto_common.bus import Bus
from paynto_common.db import (
    Database,
    Job,
    Plan,
    PlanState,
    Project,
    Ticket,
    TicketState,
    utcnow,
)
from paynto_common.messages import GenerateRequest, JobEvent, plan_channel

# T1 ← T2, T3 ← T4; T5 stands alone.
GRAPH = {"T1": [], "T2": ["T1"], "T3": ["T1"], "T4": ["T2", "T3"], "T5": []}


@pytest.fixture
def db(database: Database) -> Database:
    """Every test here runs on SQLite and on Postgres."""
    return database


async def make_plan(db: Database, state: str = PlanState.RUNNING) -> Plan:
    async with db.session() as s:
        project = Project(name="p")
        s.add(project)
        await s.flush()
        plan = Plan(project_id=project.id, job_id=project.id, prompt="p", state=state,
                    run_id="run" + project.id[:8])
        s.add(plan)
        await s.flush()
        for position, (key, deps) in enumerate(GRAPH.items()):
            s.add(Ticket(plan_id=plan.id, project_id=project.id, key=key, position=position,
                         title=f"ticket {key}", type="component", priority="medium",
                         complexity="S", depends_on=deps))
        await s.commit()
        await s.refresh(plan)
    return plan


async def states(db: Database, plan: Plan) -> dict[str, str]:
    return {t.key: t.state for t in await kanban.tickets_of(db, plan.id)}


async def published_tickets(bus: Bus) -> list[str]:
    """The ticket ids of the generate jobs in the jobs stream."""
    sub = await bus.js.pull_subscribe(bus.subjects.generate, stream=bus.subjects.jobs_stream)
    found: list[str] = []
    try:
        while True:
            msgs = await sub.fetch(50, timeout=0.5)
            for msg in msgs:
                found.append(GenerateRequest.model_validate_json(msg.data).ticket_id or "")
                await msg.ack()
    except TimeoutError:
        return found
    finally:
        await sub.unsubscribe()


async def finish(db: Database, bus: Bus, plan: Plan, key: str, version: int,
                 error: str | None = None) -> None:
    ticket = next(t for t in await kanban.tickets_of(db, plan.id) if t.key == key)
    await kanban.ticket_finished(db, bus, ticket.id, version=version, error=error)


async def test_ready_tickets_start_once_however_many_advance_at_once(
        db: Database, bus: Bus) -> None:
    plan = await make_plan(db)
    started = await asyncio.gather(*(kanban.advance(db, bus, plan.id) for _ in range(6)))
    assert sorted(key for keys in started for key in keys) == ["T1", "T5"]
    assert await states(db, plan) == {"T1": "queued", "T2": "backlog", "T3": "backlog",
                                      "T4": "backlog", "T5": "queued"}
    tickets = {t.key: t for t in await kanban.tickets_of(db, plan.id)}
    assert sorted(await published_tickets(bus)) == sorted([tickets["T1"].id, tickets["T5"].id])
    async with db.session() as s:
        job = await s.get(Job, tickets["T1"].job_id)
    assert job is not None and (job.kind, job.prompt) == ("ticket", "ticket T1")

    # T1 done: both of its dependents start; T4 waits for both of them.
    await finish(db, bus, plan, "T1", version=1)
    now = await states(db, plan)
    assert (now["T2"], now["T3"], now["T4"]) == ("queued", "queued", "backlog")
    await finish(db, bus, plan, "T2", version=2)
    assert (await states(db, plan))["T4"] == "backlog"
    await finish(db, bus, plan, "T3", version=3)
    assert (await states(db, plan))["T4"] == "queued"


async def test_a_failure_blocks_what_needs_it_and_the_run_stops(db: Database, bus: Bus) -> None:
    plan = await make_plan(db)
    await kanban.advance(db, bus, plan.id)
    await finish(db, bus, plan, "T1", version=1)
    await finish(db, bus, plan, "T2", version=2, error="1 module does not compile")
    await finish(db, bus, plan, "T3", version=3)
    await finish(db, bus, plan, "T5", version=4)
    assert await states(db, plan) == {"T1": "done", "T2": "failed", "T3": "done",
                                      "T4": "blocked", "T5": "done"}
    async with db.session() as s:
        stored = await s.get(Plan, plan.id)
        t4 = (await kanban.tickets_of(db, plan.id))[3]
    assert stored is not None and stored.state == PlanState.STOPPED
    assert t4.error == "waits on T2, which did not finish"


async def test_a_paused_plan_starts_nothing(db: Database, bus: Bus) -> None:
    plan = await make_plan(db, state=PlanState.PAUSED)
    assert await kanban.advance(db, bus, plan.id) == []
    assert set((await states(db, plan)).values()) == {TicketState.BACKLOG}
    assert await published_tickets(bus) == []


async def test_a_failed_job_fails_its_ticket(db: Database, bus: Bus) -> None:
    plan = await make_plan(db)
    await kanban.advance(db, bus, plan.id)
    t1 = (await kanban.tickets_of(db, plan.id))[0]
    assert t1.job_id is not None
    await kanban.job_failed(db, bus, t1.job_id, "model refused")
    now = await states(db, plan)
    assert now["T1"] == "failed" and now["T2"] == now["T3"] == now["T4"] == "blocked"
    # A job that built no ticket changes nothing.
    await kanban.job_failed(db, bus, "no-such-job", "whatever")
    assert await states(db, plan) == now


async def test_a_job_lost_before_the_bus_is_published_again(db: Database, bus: Bus) -> None:
    """A dispatcher that died between claiming a ticket and publishing its job: the next
    advance finds the job untaken long after and publishes it."""
    plan = await make_plan(db)
    t1 = (await kanban.tickets_of(db, plan.id))[0]
    lost = Job(project_id=plan.project_id, kind="ticket", prompt=t1.title,
               created_at=utcnow() - timedelta(minutes=5))
    fresh_plan = await make_plan(db)
    f1 = (await kanban.tickets_of(db, fresh_plan.id))[0]
    fresh = Job(project_id=fresh_plan.project_id, kind="ticket", prompt=f1.title)
    async with db.session() as s:
        s.add_all([lost, fresh])
        for ticket, job in ((t1, lost), (f1, fresh)):
            row = await s.get(Ticket, ticket.id)
            assert row is not None
            row.state, row.job_id = TicketState.QUEUED, job.id
        await s.commit()
    await kanban.advance(db, bus, plan.id)
    await kanban.advance(db, bus, fresh_plan.id)
    published = await published_tickets(bus)
    # The stale one again (and T5, ready meanwhile, of each plan); the fresh one is left alone:
    # it may simply be waiting in the queue.
    assert t1.id in published and f1.id not in published
    assert len(published) == 3


async def test_a_spent_budget_stops_the_run_before_the_next_ticket(
        db: Database, bus: Bus) -> None:
    plan = await make_plan(db)
    async with db.session() as s:
        row = await s.get(Plan, plan.id)
        assert row is not None
        row.limits = {"project_usd": 0.05, "user_usd": 0.0, "user": None}
        await s.commit()
    assert sorted(await kanban.advance(db, bus, plan.id)) == ["T1", "T5"]
    # T1's job cost more than the budget: T2 and T3 do not start, and the run ends once T5,
    # already running, is done.
    t1 = (await kanban.tickets_of(db, plan.id))[0]
    await ledger.record(db, t1.job_id or "", plan.project_id, "openai/gpt-4.1", "answer",
                        9000, 900, 0.06)
    await finish(db, bus, plan, "T1", version=1)
    assert (await states(db, plan))["T2"] == "backlog"
    await finish(db, bus, plan, "T5", version=2)
    async with db.session() as s:
        stored = await s.get(Plan, plan.id)
    assert stored is not None and stored.state == PlanState.STOPPED
    sub = await bus.js.subscribe(bus.subjects.events(plan_channel(plan.run_id or "")),
                                 stream=bus.subjects.events_stream, ordered_consumer=True)
    ends = []
    try:
        while True:
            msg = await sub.next_msg(timeout=1)
            event = JobEvent.model_validate_json(msg.data)
            if event.event == "complete":
                ends.append(event.data)
    except TimeoutError:
        pass
    finally:
        await sub.unsubscribe()
    (end,) = ends
    assert end["state"] == "stopped"
    assert end["reason"].startswith("the project's model budget of $0.05 is spent")


# Changes people make to a board.


async def set_states(db: Database, plan: Plan, **states: str) -> None:
    """Put tickets in ``states`` (key=state), with an error where they did not finish."""
    async with db.session() as s:
        for ticket in await kanban.tickets_of(db, plan.id):
            if ticket.key in states:
                row = await s.get(Ticket, ticket.id)
                assert row is not None
                row.state = states[ticket.key]
                row.error = "it broke" if row.state in kanban.RETRYABLE else None
        await s.commit()


def test_a_new_ticket_takes_the_next_key_and_goes_last_with_the_defaults() -> None:
    assert kanban.next_key([]) == "T1"
    # Keys a model chose otherwise, or too long to be ours, do not count.
    assert kanban.next_key(["T1", "T3", "setup", "T1234567", "t9"]) == "T4"
    plan = Plan(id="pl", project_id="pr", job_id="j", prompt="p")
    board = [Ticket(plan_id="pl", project_id="pr", key=key, position=n, title=key, type="page",
                    priority="low", complexity="S") for n, key in enumerate(("T1", "T2"))]
    ticket = kanban.new_ticket(plan, board, {"title": "Footer", "priority": None,
                                             "depends_on": ["T2"]})
    assert (ticket.key, ticket.position, ticket.state, ticket.plan_id, ticket.project_id) == (
        "T3", 2, TicketState.BACKLOG, "pl", "pr")
    assert (ticket.title, ticket.type, ticket.priority, ticket.complexity) == (
        "Footer", kanban.DEFAULT_TYPE, kanban.DEFAULT_PRIORITY, kanban.DEFAULT_COMPLEXITY)
    assert (ticket.depends_on, ticket.files, ticket.acceptance) == (["T2"], [], "")
    assert kanban.DEFAULT_TYPE in kanban.TICKET_TYPES
    assert kanban.DEFAULT_PRIORITY in kanban.PRIORITIES
    assert kanban.DEFAULT_COMPLEXITY in kanban.COMPLEXITIES


def test_fields_a_ticket_cannot_take_are_named() -> None:
    board = [Ticket(plan_id="pl", project_id="pr", key=key, position=n, title=key, type="page",
                    priority="low", complexity="S", depends_on=deps)
             for n, (key, deps) in enumerate((("T1", []), ("T2", ["T1"])))]
    assert kanban.fields_problem({"title": "x", "files": ["src/App.jsx"]}, "T2", board) is None
    assert kanban.fields_problem({"depends_on": []}, "T1", board) is None
    unsafe = kanban.fields_problem({"files": ["../etc/passwd"]}, "T2", board)
    assert unsafe is not None and unsafe.startswith("files: '../etc/passwd' is not a path")
    assert kanban.fields_problem({"depends_on": ["T2"]}, "T1", board) == \
        "depends_on: dependency cycle: T1 -> T2 -> T1 (each depends on the next)"
    assert kanban.fields_problem({"depends_on": ["T9"]}, "T3", board) == \
        "depends_on: ticket T3 depends on unknown ticket 'T9'"


async def test_only_a_ticket_not_built_nor_being_built_changes_or_goes(db: Database) -> None:
    plan = await make_plan(db, state=PlanState.PLANNED)
    await set_states(db, plan, T1=TicketState.DONE, T2=TicketState.QUEUED,
                     T3=TicketState.FAILED, T4=TicketState.BLOCKED)
    assert kanban.EDITABLE == {TicketState.BACKLOG, TicketState.FAILED, TicketState.BLOCKED}
    tickets = {t.key: t for t in await kanban.tickets_of(db, plan.id)}
    for key in ("T3", "T4", "T5"):
        changed = await kanban.change_ticket(db, tickets[key].id, {"title": "new", "files": []})
        assert changed is not None and (changed.key, changed.title) == (key, "new")
    for key in ("T1", "T2"):
        assert await kanban.change_ticket(db, tickets[key].id, {"title": "new"}) is None
        assert not await kanban.remove_ticket(db, tickets[key].id)
    assert await kanban.remove_ticket(db, tickets["T5"].id)
    after = {t.key: t.title for t in await kanban.tickets_of(db, plan.id)}
    assert after == {"T1": "ticket T1", "T2": "ticket T2", "T3": "new", "T4": "new"}


async def test_a_retry_puts_back_the_ticket_and_what_waits_blocked_behind_it(
        db: Database) -> None:
    plan = await make_plan(db, state=PlanState.STOPPED)
    await set_states(db, plan, T1=TicketState.DONE, T2=TicketState.FAILED, T3=TicketState.DONE,
                     T4=TicketState.BLOCKED, T5=TicketState.FAILED)
    tickets = await kanban.tickets_of(db, plan.id)
    assert kanban.blocked_behind(tickets, "T2") == {"T2", "T4"}
    assert kanban.blocked_behind(tickets, "T4") == {"T4"}
    assert await kanban.retry(db, plan.id, "T2") == {"T2", "T4"}
    assert await states(db, plan) == {"T1": "done", "T2": "backlog", "T3": "done",
                                      "T4": "backlog", "T5": "failed"}
    errors = {t.key: t.error for t in await kanban.tickets_of(db, plan.id)}
    assert (errors["T2"], errors["T4"], errors["T5"]) == (None, None, "it broke")
    # Nothing that finished is put back, even if asked.
    assert await kanban.retry(db, plan.id, "T1") == set()
    assert kanban.RETRYABLE == {TicketState.FAILED, TicketState.BLOCKED}
