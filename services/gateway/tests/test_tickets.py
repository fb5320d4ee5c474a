"""Changing a plan's board through the API: edit, add and remove tickets, within the rules
(nothing being built or built is touched; dependencies must be able to run; paths are the
site's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import get_args

import httpx

from gateway.api.schemas import Complexity, Priority, TicketType
from paynto_common import kanban
from paynto_common.db import Database, Plan, PlanState, TicketState

MakePlan = Callable[..., Awaitable[Plan]]
# T1 ← T2 ← T3, with T1 already done.
CHAIN = {"T1": [], "T2": ["T1"], "T3": ["T2"]}
BUILT = {"T1": TicketState.DONE}
# T1 failed, and what waits on it is blocked.
BROKEN = {"T1": TicketState.FAILED, "T2": TicketState.BLOCKED, "T3": TicketState.BLOCKED}


async def test_tickets_can_be_edited_added_and_removed(client: httpx.AsyncClient,
                                                       make_plan: MakePlan) -> None:
    plan_id = (await make_plan(CHAIN, BUILT)).id
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


async def test_board_changes_that_cannot_work_are_refused(
        client: httpx.AsyncClient, db: Database, make_plan: MakePlan) -> None:
    plan_id = (await make_plan(CHAIN, BUILT)).id
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


async def test_retry_puts_back_the_ticket_and_what_it_blocked(client: httpx.AsyncClient,
                                                             make_plan: MakePlan) -> None:
    plan_id = (await make_plan(CHAIN, BROKEN)).id
    url = f"/api/plans/{plan_id}/tickets"
    blocked = await client.post(f"{url}/T2/retry")
    assert blocked.status_code == 200
    assert [t["state"] for t in blocked.json()["tickets"]] == ["failed", "backlog", "backlog"]
    again = await client.post(f"{url}/T2/retry")
    assert again.status_code == 409
    assert again.json()["detail"] == \
        "ticket T2 is backlog; only a failed or blocked ticket can be retried"
    retried = await client.post(f"{url}/T1/retry")
    assert [(t["state"], t["error"]) for t in retried.json()["tickets"]] == [
        ("backlog", None)] * 3
    assert (await client.post(f"{url}/T9/retry")).status_code == 404
    assert (await client.post("/api/plans/nope/tickets/T1/retry")).status_code == 404


async def test_a_running_build_takes_up_what_a_change_made_ready(
        client: httpx.AsyncClient, make_plan: MakePlan) -> None:
    plan_id = (await make_plan(CHAIN, BROKEN, PlanState.RUNNING)).id
    retried = await client.post(f"/api/plans/{plan_id}/tickets/T1/retry")
    assert [t["state"] for t in retried.json()["tickets"]] == ["queued", "backlog", "backlog"]
    added = await client.post(f"/api/plans/{plan_id}/tickets", json={"title": "Footer"})
    assert [(t["key"], t["state"]) for t in added.json()["tickets"]][-1] == ("T4", "queued")


async def test_a_field_set_to_null_is_refused_and_the_ticket_kept(
        client: httpx.AsyncClient, db: Database, make_plan: MakePlan) -> None:
    """Leaving a field out keeps it; null is no value of any ticket field (the columns hold
    none), so it is a 422 naming the field, not a 500 from the database."""
    plan_id = (await make_plan(CHAIN, BUILT)).id
    for field in ("title", "description", "acceptance", "type", "priority", "complexity",
                  "depends_on", "files"):
        r = await client.patch(f"/api/plans/{plan_id}/tickets/T2", json={field: None})
        assert r.status_code == 422, (field, r.text)
        assert r.json()["detail"][0]["loc"] == ["body", field]
        assert r.json()["detail"][0]["msg"] == \
            "Value error, may not be null: leave the field out to keep it as it is"
    added = await client.post(f"/api/plans/{plan_id}/tickets",
                              json={"title": "Opening hours", "description": None})
    assert added.status_code == 422
    tickets = await kanban.tickets_of(db, plan_id)
    assert [(t.key, t.title, t.description, t.depends_on) for t in tickets] == [
        ("T1", "ticket T1", "", []), ("T2", "ticket T2", "", ["T1"]),
        ("T3", "ticket T3", "", ["T2"])]
