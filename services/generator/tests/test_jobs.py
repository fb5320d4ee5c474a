"""The generator's job kinds in-process, as the service wires them: a real NATS consumer and
a SQLite database, the offline generator or a scripted OpenAI-compatible model.

Each test publishes a job for rows it created, lets the service's router take it, then reads
what the job left: its events, its row, the ledger and the apply job it published. Handling
the same job again (a redelivery) must never call the model a second time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from nats.js import JetStreamContext
from sqlmodel import col, select, update

from generator.app import routes
from generator.calls import ModelCalls
from generator.offline import OfflineGenerator, offline_ticket_files, render_offline_answer
from generator.routing import OFFLINE_LABEL, OFFLINE_NOTICE
from generator.settings import GeneratorSettings
from paynto_common import kanban
from paynto_common.bus import Bus, ConsumerOptions, Router
from paynto_common.db import (
    LOCAL_USER_ID,
    Database,
    Job,
    JobStatus,
    ModelCall,
    Plan,
    Project,
    TicketState,
)
from paynto_common.messages import (
    GENERATOR,
    JOB_KINDS,
    ApplyRequest,
    AutoFix,
    JobEvent,
    PreviewError,
)
from paynto_common.testing import Reply, ScriptedLLM
from paynto_common.testing.worker import consuming, events_until_end

SITE = '<file path="src/App.jsx">\nexport default () => <h1>Crumbs</h1>\n</file>\n'
PLAN = json.dumps({
    "blueprint": {"title": "Crumbs", "summary": "A bakery."},
    "tickets": [
        {"key": "T1", "title": "Page shell", "type": "setup", "files": ["src/App.jsx"]},
        {"key": "T2", "title": "Menu", "depends_on": ["T1"],
         "files": ["src/components/Menu.jsx"]},
    ],
})
ReadEvents = Callable[[str], Awaitable[list[JobEvent]]]
# litellm 1.110 itself reads pydantic fields the deprecated way while building stream chunks.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Accessing the 'model_(computed_)?fields' attribute on the instance:DeprecationWarning"
)


@dataclass
class Generator:
    """The generator's routes taking jobs from the bus, and a reader of the apply jobs they
    publish."""

    bus: Bus
    db: Database
    router: Router
    applies: JetStreamContext.PullSubscription
    project_id: str
    sent: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    async def job(self, kind: str, prompt: str) -> str:
        row = Job(project_id=self.project_id, kind=kind, prompt=prompt)
        async with self.db.session() as s:
            s.add(row)
            await s.commit()
        return row.id

    async def publish(self, job_id: str, kind: str, prompt: str, **fields: Any) -> None:
        """The job's request on its subject, as the gateway or the board sends it."""
        job = JOB_KINDS[kind]
        req = job.request(job_id=job_id, project_id=self.project_id, prompt=prompt, **fields)
        await self.bus.publish_job(job.subject(self.bus.subjects), req, msg_id=job_id)
        self.sent[job_id] = (job.subject(self.bus.subjects), req.model_dump_json().encode())

    async def start(self, kind: str, prompt: str, **fields: Any) -> str:
        job_id = await self.job(kind, prompt)
        await self.publish(job_id, kind, prompt, **fields)
        return job_id

    async def redeliver(self, job_id: str) -> None:
        """The job handled again, as the bus redelivers it when a worker stopped."""
        subject, data = self.sent[job_id]
        await self.router.dispatch(subject, data, attempt=2)

    async def applied(self, job_id: str) -> ApplyRequest:
        """The next apply job published; fails at once with the job's error if it failed."""
        async with asyncio.timeout(60):
            while True:
                try:
                    (msg,) = await self.applies.fetch(1, timeout=0.5)
                except TimeoutError:
                    row = await self.db.job(job_id)
                    assert row is not None and row.status != JobStatus.ERROR, row and row.error
                    continue
                await msg.ack()
                return ApplyRequest.model_validate_json(msg.data)

    async def no_more_applies(self) -> None:
        with pytest.raises(TimeoutError):
            await self.applies.fetch(1, timeout=1)

    async def until_end(self, job_id: str) -> list[JobEvent]:
        """A job's events up to its ``complete`` or ``error``."""
        return await events_until_end(self.bus, job_id)


@asynccontextmanager
async def running(bus: Bus, db: Database,
                  settings: GeneratorSettings) -> AsyncIterator[Generator]:
    async with db.session() as s:
        project = Project(name="test site")
        s.add(project)
        await s.commit()
    router = Router(routes(settings, bus, db, ModelCalls(db)))
    applies = await bus.js.pull_subscribe(bus.subjects.apply, stream=bus.subjects.jobs_stream)
    # One delivery: a job that raises fails visibly at once instead of retrying with backoff.
    try:
        async with consuming(bus, db, GENERATOR, router, [kanban.job_failed],
                             ConsumerOptions(max_deliver=1)):
            yield Generator(bus, db, router, applies, project.id)
    finally:
        await applies.unsubscribe()


@pytest.fixture
async def offline(bus: Bus, db: Database,
                  make_settings: Callable[..., GeneratorSettings]) -> AsyncIterator[Generator]:
    """The generator with no model: the offline generator writes."""
    async with running(bus, db, make_settings(llm_model="offline")) as gen:
        yield gen


@pytest.fixture
async def scripted(bus: Bus, db: Database, make_settings: Callable[..., GeneratorSettings],
                   llm: ScriptedLLM) -> AsyncIterator[Generator]:
    """The generator with a scripted OpenAI-compatible model as its default one."""
    settings = make_settings(llm_model="openai/scripted", llm_api_base=llm.base_url,
                             llm_api_key="k")
    async with running(bus, db, settings) as gen:
        yield gen


def stored_answer(row: Job | None) -> tuple[object, ...]:
    """What a job's row keeps of its work (not when or how often it was taken)."""
    assert row is not None
    return row.status, row.response, row.model, row.result


def of_kind(kind: str, events: list[JobEvent]) -> list[JobEvent]:
    assert {e.event for e in events} <= JOB_KINDS[kind].events
    return events


def streamed(events: list[JobEvent]) -> str:
    return "".join(e.data["text"] for e in events if e.event == "stream")


async def model_calls(db: Database, job_id: str) -> list[tuple[str, str, int]]:
    async with db.session() as s:
        rows = (await s.exec(select(ModelCall).where(ModelCall.job_id == job_id)
                             .order_by(col(ModelCall.id)))).all()
    return [(r.model, r.purpose, r.prompt_tokens) for r in rows]


# --- generate ----------------------------------------------------------------------------------


async def test_offline_generate_streams_stores_and_asks_for_an_apply(
        offline: Generator, db: Database, read_events: ReadEvents) -> None:
    prompt = "a landing page for a coffee roastery"
    job_id = await offline.start("generate", prompt, user_id=LOCAL_USER_ID)
    apply = await offline.applied(job_id)
    events = of_kind("generate", await read_events(job_id))
    row = await db.job(job_id)

    # Redelivered: the stored answer is applied again (the same message id), nothing more.
    await offline.redeliver(job_id)
    await offline.no_more_applies()
    assert await read_events(job_id) == events
    assert stored_answer(await db.job(job_id)) == stored_answer(row)

    answer = OfflineGenerator().render(prompt)
    assert events[0].event == "status"
    assert events[0].data == {"message": OFFLINE_NOTICE, "model": OFFLINE_LABEL, "ai": False}
    assert {e.event for e in events[1:]} == {"stream"}
    assert all(e.data["attempt"] == 1 for e in events[1:])
    assert streamed(events) == answer
    assert row is not None and row.status == JobStatus.RUNNING and row.attempts == 1
    assert (row.response, row.model) == (answer, OFFLINE_LABEL)
    assert row.result is not None
    assert row.result["model_reason"] == "no model configured: the offline generator"
    assert "usage" not in row.result
    assert (apply.job_id, apply.project_id, apply.user_id) == (
        job_id, offline.project_id, LOCAL_USER_ID)
    assert (apply.response, apply.model, apply.fix_round, apply.autofix) == \
        (answer, OFFLINE_LABEL, 0, None)


async def test_a_job_for_a_project_its_user_does_not_own_fails_before_anything_runs(
        scripted: Generator, db: Database, llm: ScriptedLLM) -> None:
    job_id = await scripted.start("generate", "a bakery site", user_id="someone-else")
    async with asyncio.timeout(30):
        while (row := await db.job(job_id)) is None or row.status != JobStatus.ERROR:
            await asyncio.sleep(0.05)
    assert "does not own project" in str(row.error)
    assert llm.requests == [], "the model was called for a job that was not allowed"


async def test_model_generate_records_usage_and_is_never_asked_twice(
        scripted: Generator, db: Database, llm: ScriptedLLM, read_events: ReadEvents) -> None:
    llm.default = Reply(SITE, prompt_tokens=120, completion_tokens=30)
    job_id = await scripted.start("generate", "a bakery site")
    apply = await scripted.applied(job_id)
    events = of_kind("generate", await read_events(job_id))

    await scripted.redeliver(job_id)
    await scripted.no_more_applies()
    assert await read_events(job_id) == events

    assert len(llm.requests) == 1
    assert llm.requests[0]["model"] == "scripted"
    assert events[0].data == {"message": "generating with openai/scripted",
                              "model": "openai/scripted", "ai": True,
                              "reason": "a new build: the default model"}
    assert streamed(events) == SITE
    row = await db.job(job_id)
    assert row is not None and (row.response, row.model) == (SITE, "openai/scripted")
    assert row.result is not None
    assert row.result["model_reason"] == "a new build: the default model"
    assert row.result["usage"] == {"prompt_tokens": 120, "completion_tokens": 30,
                                   "cost_usd": 0.0}
    assert await model_calls(db, job_id) == [("openai/scripted", "answer", 120)]
    assert (apply.response, apply.model) == (SITE, "openai/scripted")
    assert apply.autofix == AutoFix(max_rounds=2, token_budget=60000)


async def test_a_fix_round_sends_the_errors_and_keeps_its_answer_apart(
        scripted: Generator, db: Database, llm: ScriptedLLM, read_events: ReadEvents) -> None:
    llm.default = Reply(SITE, prompt_tokens=50, completion_tokens=10)
    error = PreviewError(message="Unexpected token (3:4)", path="src/App.jsx")
    job_id = await scripted.job("generate", "a bakery site")
    await db.set_job_status(job_id, JobStatus.RUNNING, response="<first answer>",
                            model="openai/scripted", result={
                                "model_reason": "a new build: the default model",
                                "usage": {"prompt_tokens": 100, "completion_tokens": 20,
                                          "cost_usd": 0.0}})
    bounds = AutoFix(max_rounds=2, previous=["x"])
    await scripted.publish(job_id, "generate", "a bakery site", fix_round=1, errors=[error],
                      autofix=bounds)
    apply = await scripted.applied(job_id)
    events = of_kind("generate", await read_events(job_id))

    await scripted.redeliver(job_id)
    await scripted.no_more_applies()

    assert len(llm.requests) == 1
    sent = llm.requests[0]["messages"][-1]["content"]
    assert '<data kind="compile error" path="src/App.jsx">' in sent
    assert "Unexpected token (3:4)" in sent
    assert events[0].data == {"message": "sending 1 error back to the model (fix 1)",
                              "autofix": 1, "reset": True, "attempt": 1}
    assert events[1].data["reason"] == "fixing errors: the default model"
    row = await db.job(job_id)
    assert row is not None and row.response == "<first answer>"
    assert row.result is not None
    assert row.result["fixes"] == {"1": {
        "response": SITE, "model": "openai/scripted", "reason": "fixing errors: the default model",
        "usage": {"prompt_tokens": 50, "completion_tokens": 10, "cost_usd": 0.0}}}
    assert row.result["usage"] == {"prompt_tokens": 150, "completion_tokens": 30,
                                   "cost_usd": 0.0}
    assert (apply.response, apply.fix_round, apply.autofix) == (SITE, 1, bounds)


# --- plan --------------------------------------------------------------------------------------


async def test_offline_plan_and_one_of_its_tickets(offline: Generator, db: Database) -> None:
    prompt = "a bakery in Lyon"
    job_id = await offline.start("plan", prompt)
    events = of_kind("plan", await offline.until_end(job_id))

    async with db.session() as s:
        plan = (await s.exec(select(Plan).where(Plan.job_id == job_id))).one()
    tickets = await kanban.tickets_of(db, plan.id)
    shell = tickets[0]
    ticket_job = await offline.start("ticket", shell.title, ticket_id=shell.id)
    apply = await offline.applied(ticket_job)

    names = [e.event for e in events]
    assert names == ["status", "blueprint", *["ticket"] * len(tickets), "plan_complete",
                     "complete"]
    assert events[0].data["model"] == OFFLINE_LABEL and events[0].data["ai"] is False
    assert events[1].data == {"plan_id": plan.id, "blueprint": plan.blueprint}
    assert [e.data for e in events if e.event == "ticket"] == \
        [kanban.ticket_view(t).wire() for t in tickets]
    done = {"plan_id": plan.id, "tickets": len(tickets), "model": OFFLINE_LABEL}
    assert events[-2].data == events[-1].data == done
    row = await db.job(job_id)
    assert row is not None and (row.status, row.model) == (JobStatus.COMPLETE, OFFLINE_LABEL)
    assert row.result is not None
    assert {k: row.result[k] for k in done} == done
    assert row.result["model_reason"] == "no model configured: the offline generator"

    files = offline_ticket_files(prompt, list(shell.files))
    assert (apply.response, apply.model, apply.ticket_id) == \
        (render_offline_answer(files), OFFLINE_LABEL, shell.id)
    moved = next(t for t in await kanban.tickets_of(db, plan.id) if t.id == shell.id)
    assert moved.state == TicketState.GENERATING
    ticket_row = await db.job(ticket_job)
    assert ticket_row is not None and ticket_row.result is not None
    assert ticket_row.result["model_reason"] == \
        "a ticket of a plan the offline generator made: it writes the files"


async def test_model_plan_is_stored_once_and_never_asked_twice(
        scripted: Generator, db: Database, llm: ScriptedLLM, read_events: ReadEvents) -> None:
    llm.default = Reply(PLAN, prompt_tokens=300, completion_tokens=80)
    job_id = await scripted.start("plan", "a bakery")
    events = of_kind("plan", await scripted.until_end(job_id))
    row = await db.job(job_id)

    # A worker that stopped after the plan was stored, before the job ended.
    async with db.session() as s:
        await s.exec(update(Job).where(col(Job.id) == job_id)
                     .values(status=JobStatus.RUNNING))
        await s.commit()
    await scripted.redeliver(job_id)
    again = await read_events(job_id)

    assert len(llm.requests) == 1
    assert events[0].data == {"message": "planning with openai/scripted",
                              "model": "openai/scripted", "ai": True,
                              "reason": "a plan: the default model", "reset": False,
                              "attempt": 1}
    assert streamed(events) == PLAN
    assert [e.event for e in events[-5:]] == ["blueprint", "ticket", "ticket", "plan_complete",
                                              "complete"]
    assert [e.data["key"] for e in events if e.event == "ticket"] == ["T1", "T2"]
    assert again == events
    async with db.session() as s:
        plans = (await s.exec(select(Plan).where(Plan.project_id == scripted.project_id))).all()
    assert len(plans) == 1 and plans[0].blueprint["title"] == "Crumbs"
    assert row is not None and row.result is not None
    assert row.result["usage"] == {"prompt_tokens": 300, "completion_tokens": 80,
                                   "cost_usd": 0.0}
    assert row.result["model_reason"] == "a plan: the default model"
    assert (row.result["plan_id"], row.result["tickets"]) == (plans[0].id, 2)
    assert stored_answer(await db.job(job_id)) == stored_answer(row)
    assert await model_calls(db, job_id) == [("openai/scripted", "plan", 300)]
