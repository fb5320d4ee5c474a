"""The gateway in-process against real NATS, Redis and SQLite: its settings (a test module
overrides ``settings`` to change them), an HTTP client of the app built from them,
``take_job`` to play the worker side on the bus, and ``make_plan`` for a stored plan's board."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database, Plan, PlanState, Project, Ticket, TicketState
from paynto_common.messages import Event, JobMessage

M = TypeVar("M", bound=JobMessage)


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, namespace: str, sqlite_url: str) -> GatewaySettings:
    """On the test's own database (the ``db`` fixture's) and bus namespace; no rate limit."""
    return GatewaySettings(data_dir=tmp_path, database_url=sqlite_url, redis_url=redis_url,
                           bus_namespace=namespace, rate_limit_jobs_per_minute=0)


@pytest_asyncio.fixture
async def app(settings: GatewaySettings, bus: Bus) -> AsyncIterator[FastAPI]:
    """The gateway built from ``settings``, started (its lifespan entered)."""
    gateway = create_app(settings, bus=bus)
    async with gateway.router.lifespan_context(gateway):
        yield gateway


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def take_job(bus: Bus) -> Callable[..., Awaitable[Any]]:
    """``await take_job(subject, Request, *events)``: as a worker would, take the next job
    published on ``subject``, publish ``events`` on its stream, ack it; the job as ``Request``."""

    async def take(subject: str, request: type[M], *events: Event) -> M:
        durable = subject.replace(".", "-")
        psub = await bus.js.pull_subscribe(subject, durable=durable,
                                           stream=bus.subjects.jobs_stream)
        try:
            (msg,) = await psub.fetch(1, timeout=10)
            job = request.model_validate_json(msg.data)
            for event in events:
                await bus.publish_event(job.job_id, event)
            await msg.ack()
            return job
        finally:
            await psub.unsubscribe()

    return take


@pytest.fixture
def make_plan(db: Database) -> Callable[..., Awaitable[Plan]]:
    """``await make_plan({"T1": [], "T2": ["T1"]}, {"T1": "done"}, plan_state)``: a plan of a
    new project with these tickets (key → the keys it depends on) in build order, in the
    backlog unless the second argument says otherwise."""

    async def make(graph: dict[str, list[str]], states: dict[str, str] | None = None,
                   plan_state: str = PlanState.PLANNED) -> Plan:
        async with db.session() as s:
            project = Project(name="p")
            s.add(project)
            await s.flush()
            plan = Plan(project_id=project.id, job_id=project.id, prompt="a bakery",
                        blueprint={"title": "Bakery"}, state=plan_state)
            s.add(plan)
            await s.flush()
            for position, (key, deps) in enumerate(graph.items()):
                state = (states or {}).get(key, TicketState.BACKLOG)
                s.add(Ticket(plan_id=plan.id, project_id=project.id, key=key, position=position,
                             title=f"ticket {key}", type="component", priority="medium",
                             complexity="S", depends_on=deps, state=state))
            await s.commit()
            await s.refresh(plan)
            return plan

    return make
