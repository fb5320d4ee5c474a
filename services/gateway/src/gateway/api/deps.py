"""FastAPI dependency aliases, so route signatures stay short.

Every dependency is ``async def``, even one that only reads the app's state: FastAPI runs a
plain ``def`` on its thread pool, a thread hop per dependency per request
(``services/gateway/tests/test_gateway_deps.py`` checks every route).

``UserDep`` is who is asking (see :mod:`gateway.auth`). ``ProjectDep``, ``PlanDep`` and
``JobDep`` load the row a route's ``project_id`` / ``plan_id`` / ``job_id`` parameter names (a
path parameter where the path has one, else the query parameter) if the user owns it, or
answer 404 before the route runs: another user's id gets the same answer as an id that does
not exist. ``LastEventId`` is where a resumed event stream goes on.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Header, HTTPException, Request
from sqlmodel import col, select

from gateway.auth import PreviewLinks, resolve_user
from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database, Job, Plan, Project, User

R = TypeVar("R", Plan, Job)


async def _bus(request: Request) -> Bus:
    return request.app.state.bus


async def _db(request: Request) -> Database:
    return request.app.state.db


async def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


async def _rate_limited(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limiter
    await limiter.check(request)


async def no_nul_in_url(request: Request) -> None:
    """Refuse a path or query holding a NUL character (``%00``): no id, name or token has one,
    and Postgres refuses it even in a query's parameters, so it would answer 500 there."""
    texts = [request.url.path, *(f"{k}={v}" for k, v in request.query_params.multi_items())]
    if any("\x00" in text for text in texts):
        raise HTTPException(400, "the address holds a NUL character (%00), which no id, name "
                                 "or value may hold")


async def _last_event_id(last_event_id: Annotated[str | None, Header()] = None) -> int:
    if last_event_id is None or last_event_id == "":
        return 0
    try:
        seq = int(last_event_id)
    except ValueError:
        raise HTTPException(400, "Last-Event-ID must be an event id from this stream") from None
    if seq < 0:
        raise HTTPException(400, "Last-Event-ID must not be negative")
    return seq


async def _links(request: Request) -> PreviewLinks:
    user = await resolve_user(request)
    required = request.app.state.settings.auth_mode == "required"
    return PreviewLinks(request.app.state.preview_signer if required else None, user.id)


BusDep = Annotated[Bus, Depends(_bus)]
# Signs the preview links the route hands out, for its user.
LinksDep = Annotated[PreviewLinks, Depends(_links)]
UserDep = Annotated[User, Depends(resolve_user)]
# Declared on the routes that start jobs.
JobRateLimit = Depends(_rate_limited)
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
# The stream sequence a client saw last (0: none); declared before a resource it reads, so a
# bad header answers 400 before an unknown resource answers 404.
LastEventId = Annotated[int, Depends(_last_event_id)]


def unknown(kind: str, row_id: str) -> HTTPException:
    """The one answer for an id that does not exist and for another user's."""
    return HTTPException(404, f"unknown {kind} {row_id}")


async def owned_project(db: Database, project_id: str, user: User) -> Project:
    """``project_id`` if ``user`` owns it, else 404."""
    async with db.session() as s:
        found = await s.get(Project, project_id)
    if found is None or found.owner_id != user.id:
        raise unknown("project", project_id)
    return found


async def _load_owned(db: Database, row: type[R], row_id: str, user: User) -> R:
    async with db.session() as s:
        found = (await s.exec(
            select(row).join(Project, col(Project.id) == col(row.project_id))
            .where(col(row.id) == row_id, col(Project.owner_id) == user.id)
        )).first()
    if found is None:
        raise unknown(row.__name__.lower(), row_id)
    return found


async def plan_row(db: Database, plan_id: str) -> Plan:
    """A plan read again after a route loaded it (and so checked its owner)."""
    async with db.session() as s:
        found = await s.get(Plan, plan_id)
    if found is None:
        raise unknown("plan", plan_id)
    return found


async def load_project(project_id: str, db: DbDep, user: UserDep) -> Project:
    """The user's project named by the request, or 404."""
    return await owned_project(db, project_id, user)


async def load_plan(plan_id: str, db: DbDep, user: UserDep) -> Plan:
    """The user's plan named by the request, or 404."""
    return await _load_owned(db, Plan, plan_id, user)


async def load_job(job_id: str, db: DbDep, user: UserDep) -> Job:
    """The user's job named by the request, or 404."""
    return await _load_owned(db, Job, job_id, user)


ProjectDep = Annotated[Project, Depends(load_project)]
PlanDep = Annotated[Plan, Depends(load_plan)]
JobDep = Annotated[Job, Depends(load_job)]
