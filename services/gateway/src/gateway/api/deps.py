"""FastAPI dependency aliases, so route signatures stay short.

``ProjectDep``, ``PlanDep`` and ``JobDep`` load the row a route's ``project_id`` / ``plan_id`` /
``job_id`` parameter names (a path parameter where the path has one, else the query parameter),
or answer 404 before the route runs. ``LastEventId`` is where a resumed event stream goes on.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Header, HTTPException, Request

from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database, Job, Plan, Project

R = TypeVar("R", Project, Plan, Job)


def _bus(request: Request) -> Bus:
    return request.app.state.bus


def _db(request: Request) -> Database:
    return request.app.state.db


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


async def _rate_limited(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limiter
    await limiter.check(request)


def _user(request: Request) -> str | None:
    """Who is asking, from the operator's auth proxy header (USER_HEADER); None without it."""
    header = request.app.state.settings.user_header
    value = request.headers.get(header, "").strip() if header else ""
    return value[:200] or None


def _last_event_id(last_event_id: Annotated[str | None, Header()] = None) -> int:
    if last_event_id is None or last_event_id == "":
        return 0
    try:
        seq = int(last_event_id)
    except ValueError:
        raise HTTPException(400, "Last-Event-ID must be an event id from this stream") from None
    if seq < 0:
        raise HTTPException(400, "Last-Event-ID must not be negative")
    return seq


BusDep = Annotated[Bus, Depends(_bus)]
UserDep = Annotated[str | None, Depends(_user)]
# Declared on the routes that start jobs.
JobRateLimit = Depends(_rate_limited)
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
# The stream sequence a client saw last (0: none); declared before a resource it reads, so a
# bad header answers 400 before an unknown resource answers 404.
LastEventId = Annotated[int, Depends(_last_event_id)]


async def _load(db: Database, row: type[R], row_id: str) -> R:
    async with db.session() as s:
        found = await s.get(row, row_id)
    if found is None:
        raise HTTPException(404, f"unknown {row.__name__.lower()} {row_id}")
    return found


async def load_project(project_id: str, db: DbDep) -> Project:
    """The project named by the request, or 404."""
    return await _load(db, Project, project_id)


async def load_plan(plan_id: str, db: DbDep) -> Plan:
    """The plan named by the request, or 404."""
    return await _load(db, Plan, plan_id)


async def load_job(job_id: str, db: DbDep) -> Job:
    """The job named by the request, or 404."""
    return await _load(db, Job, job_id)


ProjectDep = Annotated[Project, Depends(load_project)]
PlanDep = Annotated[Plan, Depends(load_plan)]
JobDep = Annotated[Job, Depends(load_job)]
