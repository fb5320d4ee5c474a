"""A plan's board changed by a person: edit, add, remove and retry tickets, within the board's
rules (``paynto_common.kanban``); each answers the plan with its board as it is now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy.exc import IntegrityError

from gateway.api.deps import BusDep, DbDep, PlanDep, plan_row
from gateway.api.routes.plans import board
from gateway.api.schemas import PlanOut, TicketCreate, TicketPatch
from paynto_common import kanban
from paynto_common.bus import Bus
from paynto_common.db import Database, PlanState, Ticket

router = APIRouter()


async def _ticket(db: Database, plan_id: str, key: str) -> tuple[Ticket, list[Ticket]]:
    """Ticket ``key`` of the plan (or 404), and the plan's whole board."""
    tickets = await kanban.tickets_of(db, plan_id)
    ticket = next((t for t in tickets if t.key == key), None)
    if ticket is None:
        raise HTTPException(404, f"plan {plan_id} has no ticket {key}")
    return ticket, tickets


def _refuse_problem(fields: dict[str, Any], key: str, tickets: list[Ticket]) -> None:
    if problem := kanban.fields_problem(fields, key, tickets):
        raise HTTPException(422, problem)


async def _after_change(bus: Bus, db: Database, plan_id: str) -> PlanOut:
    """A running build picks up what the change made ready; the board as it is now."""
    if (await plan_row(db, plan_id)).state == PlanState.RUNNING:
        await kanban.advance(db, bus, plan_id)
    return await board(db, plan_id)


@router.patch("/api/plans/{plan_id}/tickets/{key}", response_model=PlanOut)
async def edit_ticket(plan: PlanDep, key: str, body: TicketPatch, bus: BusDep,
                      db: DbDep) -> PlanOut:
    """Change a ticket that is not being built and not built yet (backlog, failed, blocked)."""
    ticket, tickets = await _ticket(db, plan.id, key)
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise HTTPException(422, "nothing to change: give at least one field")
    _refuse_problem(fields, key, tickets)
    if await kanban.change_ticket(db, ticket.id, fields) is None:
        raise HTTPException(409, f"ticket {key} is {ticket.state}: only a ticket in the "
                                 "backlog, failed or blocked can be changed")
    return await _after_change(bus, db, plan.id)


@router.post("/api/plans/{plan_id}/tickets", status_code=201, response_model=PlanOut)
async def add_ticket(plan: PlanDep, body: TicketCreate, bus: BusDep, db: DbDep) -> PlanOut:
    """Add a ticket at the end of the plan, in the backlog; a running build picks it up."""
    tickets = await kanban.tickets_of(db, plan.id)
    fields = body.model_dump(exclude_unset=True)
    ticket = kanban.new_ticket(plan, tickets, fields)
    _refuse_problem(fields, ticket.key, tickets)
    try:
        async with db.session() as s:
            s.add(ticket)
            await s.commit()
    except IntegrityError:
        raise HTTPException(409, f"ticket {ticket.key} was just added by another request; "
                                 "try again") from None
    return await _after_change(bus, db, plan.id)


@router.delete("/api/plans/{plan_id}/tickets/{key}", response_model=PlanOut)
async def remove_ticket(plan: PlanDep, key: str, bus: BusDep, db: DbDep) -> PlanOut:
    """Remove a ticket no other ticket needs, unless it is being built or built."""
    ticket, tickets = await _ticket(db, plan.id, key)
    needed_by = [t.key for t in tickets if key in t.depends_on]
    if needed_by:
        raise HTTPException(409, f"ticket {key} is needed by {', '.join(needed_by)}: "
                                 "change their depends_on first")
    if not await kanban.remove_ticket(db, ticket.id):
        raise HTTPException(409, f"ticket {key} is {ticket.state}: only a ticket in the "
                                 "backlog, failed or blocked can be removed")
    return await _after_change(bus, db, plan.id)


@router.post("/api/plans/{plan_id}/tickets/{key}/retry", response_model=PlanOut)
async def retry_ticket(plan: PlanDep, key: str, bus: BusDep, db: DbDep) -> PlanOut:
    """Put a failed or blocked ticket back in the backlog, with the tickets it blocked; the
    next build (or the running one) picks them up."""
    ticket, _ = await _ticket(db, plan.id, key)
    if ticket.state not in kanban.RETRYABLE:
        raise HTTPException(409, f"ticket {key} is {ticket.state}; only a failed or blocked "
                                 "ticket can be retried")
    await kanban.retry(db, plan.id, key)
    return await _after_change(bus, db, plan.id)
