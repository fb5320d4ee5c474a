"""Build plans through the API: listed and read with their boards; a build run started, joined,
paused and resumed, its events relayed until it ends. The workers' side is played by calling
the board's rules (``kanban.ticket_finished``) as the sandbox pool does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from paynto_cli.sse import Event, parse_sse
from paynto_common import kanban
from paynto_common.bus import Bus
from paynto_common.db import Database, Plan, TicketState
from paynto_common.messages import PlanMade, Planned, PlanRequest

TakeJob = Callable[..., Awaitable[Any]]
MakePlan = Callable[..., Awaitable[Plan]]
# T1 ← T2.
GRAPH = {"T1": [], "T2": ["T1"]}


async def first_ticket_queued(db: Database, plan: Plan) -> None:
    async with asyncio.timeout(10):
        while (await kanban.tickets_of(db, plan.id))[0].state != TicketState.QUEUED:
            await asyncio.sleep(0.05)


async def follow(client: httpx.AsyncClient, method: str, url: str) -> list[Event]:
    """The events of a run's stream until it ends."""
    async with client.stream(method, url) as r:
        assert r.status_code == 200, await r.aread()
        return [ev async for ev in parse_sse(r.aiter_lines())]


async def finish_when_queued(db: Database, bus: Bus, plan: Plan, key: str,
                             version: int) -> None:
    """Once ticket ``key`` is dispatched, end it as its applied change would."""
    async with asyncio.timeout(10):
        while True:
            ticket = next(t for t in await kanban.tickets_of(db, plan.id) if t.key == key)
            if ticket.state == TicketState.QUEUED:
                break
            await asyncio.sleep(0.05)
    await kanban.ticket_finished(db, bus, ticket.id, version=version)


async def test_plans_are_listed_and_read_with_their_boards(
        client: httpx.AsyncClient, db: Database, make_plan: MakePlan) -> None:
    plan = await make_plan(GRAPH)
    listed = await client.get(f"/api/projects/{plan.project_id}/plans")
    assert listed.status_code == 200
    (one,) = listed.json()
    assert one == (await client.get(f"/api/plans/{plan.id}")).json()
    assert {k: one[k] for k in ("id", "project_id", "prompt", "model", "state", "run_id",
                                "blueprint")} == {
        "id": plan.id, "project_id": plan.project_id, "prompt": "a bakery", "model": None,
        "state": "planned", "run_id": None, "blueprint": {"title": "Bakery"}}
    tickets = {t.key: t for t in await kanban.tickets_of(db, plan.id)}
    assert one["tickets"] == [kanban.ticket_view(tickets[k]).model_dump() for k in ("T1", "T2")]
    assert (await client.get("/api/projects/nope/plans")).status_code == 404
    assert (await client.get("/api/plans/nope")).json()["detail"] == "unknown plan nope"
    not_built = await client.get(f"/api/plans/{plan.id}/events")
    assert not_built.status_code == 409
    assert not_built.json()["detail"] == f"plan {plan.id} has not been built yet"
    not_running = await client.post(f"/api/plans/{plan.id}/pause")
    assert not_running.status_code == 409
    assert not_running.json()["detail"] == f"plan {plan.id} is not running"


async def test_planning_is_a_model_job_of_the_generator(
    client: httpx.AsyncClient, bus: Bus, take_job: TakeJob,
) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    made = PlanMade(plan_id="pl1", tickets=3, model="offline")
    done = Planned(plan_id="pl1", tickets=3, model="offline")
    worker = asyncio.create_task(take_job(bus.subjects.plan, PlanRequest, made, done))
    body = {"project_id": project, "prompt": "a bakery", "model": "m"}
    async with client.stream("POST", "/api/plan-build", json=body) as r:
        events = [ev async for ev in parse_sse(r.aiter_lines())]
    job = await worker
    assert (job.project_id, job.prompt, job.model) == (project, "a bakery", "m")
    assert [(e.event, e.data) for e in events[1:]] == [
        ("plan_complete", made.wire()), ("complete", done.wire())]
    row = (await client.get(f"/api/jobs/{job.job_id}")).json()
    assert (row["kind"], row["model"]) == ("plan", "m")


async def test_a_build_run_is_joined_paused_and_resumed(
    client: httpx.AsyncClient, db: Database, bus: Bus, make_plan: MakePlan,
) -> None:
    plan = await make_plan(GRAPH)
    url = f"/api/plans/{plan.id}"
    first = asyncio.create_task(follow(client, "POST", f"{url}/build"))
    await first_ticket_queued(db, plan)
    # Building a running plan joins its run (once its stream is read, so is the second's).
    joined = asyncio.create_task(follow(client, "POST", f"{url}/build"))
    async with asyncio.timeout(10):
        while (await bus.js.stream_info(bus.subjects.events_stream)).state.consumer_count < 2:
            await asyncio.sleep(0.05)
    paused = await client.post(f"{url}/pause")
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    await finish_when_queued(db, bus, plan, "T1", version=1)
    events = await first
    run_id = events[0].data["run_id"]
    assert [(e.event, e.data) for e in events if e.event in ("status", "complete")] == [
        ("status", {"message": f"building plan {plan.id}", "plan_id": plan.id,
                    "run_id": run_id}),
        ("status", {"message": "paused: running tickets finish, no new ones start",
                    "paused": True}),
        ("complete", {"plan_id": plan.id, "state": "paused",
                      "tickets": {"done": 1, "backlog": 1}})]
    assert [(e.data["key"], e.data["state"]) for e in events if e.event == "ticket"] == [
        ("T1", "queued"), ("T1", "done")]
    assert [(e.id, e.event) for e in await joined] == [(e.id, e.event) for e in events]
    replay = await follow(client, "GET", f"{url}/events")
    assert [(e.id, e.event) for e in replay] == [(e.id, e.event) for e in events]

    resumed = asyncio.create_task(follow(client, "POST", f"{url}/resume"))
    await finish_when_queued(db, bus, plan, "T2", version=2)
    run = await resumed
    assert run[0].data["run_id"] != run_id
    assert [(e.data["key"], e.data["state"]) for e in run if e.event == "ticket"] == [
        ("T2", "queued"), ("T2", "done")]
    assert run[-1].data == {"plan_id": plan.id, "state": "done", "tickets": {"done": 2}}


async def test_a_build_run_is_cancelled_at_once_and_resumes_from_there(
    client: httpx.AsyncClient, db: Database, bus: Bus, make_plan: MakePlan,
) -> None:
    plan = await make_plan(GRAPH)
    url = f"/api/plans/{plan.id}"
    run = asyncio.create_task(follow(client, "POST", f"{url}/build"))
    await first_ticket_queued(db, plan)
    building = (await kanban.tickets_of(db, plan.id))[0]
    cancelled = await client.post(f"{url}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    board = cancelled.json()
    assert board["state"] == "paused"
    assert [(t["key"], t["state"]) for t in board["tickets"]] == [
        ("T1", "failed"), ("T2", "blocked")]
    events = await asyncio.wait_for(run, 10)
    assert events[-1].event == "complete" and events[-1].data["state"] == "paused"
    job = await db.job(str(building.job_id))
    assert job is not None and job.status == "cancelled"
    assert (await client.post(f"{url}/cancel")).status_code == 409
