"""Changing a plan's board through the API: edit, add and remove tickets, within the rules
(nothing being built or built is touched; dependencies must be able to run; paths are the
site's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import get_args

import httpx
import pytest_asyncio

from gateway.app import create_app
from gateway.schemas import Complexity, Priority, TicketType
from gateway.settings import GatewaySettings
from paynto_common import kanban
from paynto_common.bus import Bus
from paynto_common.db import Database, Plan, Project, Ticket, TicketState


@pytest_asyncio.fixture
async def client(bus: Bus, tmp_path: Path, redis_url: str, namespace: str,
                 sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(data_dir=tmp_path, database_url=sqlite_url, redis_url=redis_url,
                               bus_namespace=namespace, rate_limit_jobs_per_minute=0)
    app = create_app(settings, bus=bus)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def make_plan(db: Database) -> str:
    """A planned (not running) plan: T1 ← T2 ← T3, with T1 already done."""
    async with db.session() as s:
        project = Project(name="p")
        s.add(project)
        await s.flush()
        plan = Plan(project_id=project.id, job_id=project.id, prompt="a site")
        s.add(plan)
        await s.flush()
        for position, (key, deps, state) in enumerate((
                ("T1", [], TicketState.DONE), ("T2", ["T1"], TicketState.BACKLOG),
                ("T3", ["T2"], TicketState.BACKLOG))):
            s.add(Ticket(plan_id=plan.id, project_id=project.id, key=key, position=position,
                         title=f"ticket {key}", type="component", priority="medium",
                         complexity="S", depends_on=deps, state=state))
        await s.commit()
        return plan.id


async def test_tickets_can_be_edited_added_and_removed(client: httpx.AsyncClient,
                                                       db: Database) -> None:
    plan_id = await make_plan(db)
    edited = await client.patch(f"/api/plans/{plan_id}/tickets/T2", json={
        "title": "Menu with prices", "priority": "high", "files": ["src/components/Menu.jsx"]})
    assert edited.status_code == 200, edited.text
    t2 = edited.json()["tickets"][1]
    assert (t2["title"], t2["priority"], t2["files"]) == \
        ("Menu with prices", "high", ["src/components/Menu.jsx"])
    assert t2["type"] == "component"  # fields not given stay as they were

    added = await client.post(f"/api/plans/{plan_id}/tickets", json={
        "title": "Opening hours", "depends_on": ["T1"], "complexity": "XS"})
    assert added.status_code == 201, added.text
    t4 = added.json()["tickets"][-1]
    assert (t4["key"], t4["state"], t4["depends_on"], t4["type"]) == \
        ("T4", "backlog", ["T1"], "feature")

    needed = await client.delete(f"/api/plans/{plan_id}/tickets/T2")
    assert needed.status_code == 409 and "needed by T3" in needed.json()["detail"]
    removed = await client.delete(f"/api/plans/{plan_id}/tickets/T4")
    assert removed.status_code == 200
    assert [t["key"] for t in removed.json()["tickets"]] == ["T1", "T2", "T3"]


async def test_board_changes_that_cannot_work_are_refused(client: httpx.AsyncClient,
                                                          db: Database) -> None:
    plan_id = await make_plan(db)
    url = f"/api/plans/{plan_id}/tickets"
    cycle = await client.patch(f"{url}/T2", json={"depends_on": ["T3"]})
    assert cycle.status_code == 422
    assert cycle.json()["detail"] == \
        "depends_on: dependency cycle: T2 -> T3 -> T2 (each depends on the next)"
    unknown = await client.post(url, json={"title": "x", "depends_on": ["T9"]})
    assert unknown.status_code == 422 and "unknown ticket 'T9'" in unknown.json()["detail"]
    unsafe = await client.patch(f"{url}/T3", json={"files": ["../../etc/passwd"]})
    assert unsafe.status_code == 422 and unsafe.json()["detail"].startswith("files:")
    bad_enum = await client.patch(f"{url}/T3", json={"priority": "urgent"})
    assert bad_enum.status_code == 422
    empty = await client.patch(f"{url}/T3", json={})
    assert empty.status_code == 422 and "nothing to change" in empty.json()["detail"]
    built = await client.patch(f"{url}/T1", json={"title": "again"})
    assert built.status_code == 409 and "T1 is done" in built.json()["detail"]
    missing = await client.patch(f"{url}/T7", json={"title": "x"})
    assert missing.status_code == 404
    unknown_plan = await client.post("/api/plans/nope/tickets", json={"title": "x"})
    assert unknown_plan.status_code == 404
    # Nothing of the above changed the board.
    tickets = await kanban.tickets_of(db, plan_id)
    assert [(t.key, t.depends_on, t.title) for t in tickets] == [
        ("T1", [], "ticket T1"), ("T2", ["T1"], "ticket T2"), ("T3", ["T2"], "ticket T3")]


def test_the_api_accepts_the_boards_own_values() -> None:
    assert get_args(TicketType) == kanban.TICKET_TYPES
    assert get_args(Priority) == kanban.PRIORITIES
    assert get_args(Complexity) == kanban.COMPLEXITIES
