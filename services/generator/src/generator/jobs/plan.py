"""Plan jobs: a prompt → a build plan (a blueprint and tickets), stored with the project and
told to the client as ``blueprint``, one ``ticket`` per ticket, ``plan_complete`` and
``complete``.

Idempotent under redelivery: the plan is stored once per job (its job id is unique), what it
cost is stored before it, and every event after it carries a message id, so a redelivered job
finds the plan, never calls the model again and tells each event once.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from generator.answers import add_usage, model_usage
from generator.calls import refused
from generator.jobs.base import JobHandler
from generator.llm import ModelError, Usage
from generator.offline import offline_plan
from generator.planning import PlanError, PlanSpec, parse_plan, plan_messages
from generator.routing import OFFLINE_LABEL, OFFLINE_NOTICE, route
from generator.stream import StreamPublisher
from paynto_common import kanban
from paynto_common.db import JobStatus, Plan, Ticket
from paynto_common.errors import PermanentJobError
from paynto_common.messages import (
    BlueprintMade,
    GenerateRequest,
    ModelWork,
    PlanMade,
    Planned,
    PlanRequest,
    PlanResult,
    Status,
    read_result,
    stored,
)
from paynto_common.service import end_stream

# How many times a plan that fails its checks goes back to the model to be corrected.
PLAN_REPAIRS = 1


class PlanJob(JobHandler):
    """A plan job: a prompt becomes a stored plan of tickets."""

    async def handle(self, req: PlanRequest, attempt: int) -> None:
        job = await self.db.claim_job(req.job_id, attempt, user_id=req.user_id)
        if job is None:
            await end_stream(self.bus, self.db, req.job_id, Planned)
            return
        async with self.db.session() as s:
            plan = (await s.exec(select(Plan).where(Plan.job_id == req.job_id))).first()
        result = read_result(job.result, PlanResult)
        if plan is None:
            spec, label, why, usage = await self._make_plan(req, attempt)
            # What the plan cost is kept before the plan, so a worker stopping in between
            # loses neither (a redelivery finds the plan and reads this).
            work = stored(ModelWork(model_reason=why, usage=model_usage(usage)))
            await self.db.set_job_status(req.job_id, JobStatus.RUNNING, model=label,
                                         result=work)
            result = read_result(work, PlanResult)
            plan = await self._store_plan(req, spec, label)
        tickets = await kanban.tickets_of(self.db, plan.id)
        job_id = req.job_id
        await self.bus.publish_event(
            job_id, BlueprintMade(plan_id=plan.id, blueprint=plan.blueprint),
            msg_id=f"blueprint:{job_id}")
        for ticket in tickets:
            await self.bus.publish_event(job_id, kanban.ticket_view(ticket),
                                         msg_id=f"ticket:{job_id}:{ticket.key}")
        made = PlanMade(plan_id=plan.id, tickets=len(tickets), model=plan.model)
        await self.bus.publish_event(job_id, made, msg_id=f"plan_complete:{job_id}")
        result.plan_id, result.tickets, result.model = plan.id, len(tickets), plan.model
        await self.db.set_job_status(job_id, JobStatus.COMPLETE, model=plan.model,
                                     result=stored(result))
        await self.bus.publish_event(job_id, Planned(**made.wire()),
                                     msg_id=f"complete:{job_id}:")

    async def _make_plan(self, req: PlanRequest,
                         attempt: int) -> tuple[PlanSpec, str, str, Usage | None]:
        """The plan, the model that made it, why that model, and what it used."""
        as_generate = GenerateRequest(job_id=req.job_id, project_id=req.project_id,
                                      prompt=req.prompt, model=req.model)
        # A plan is a new build's worth of thinking: the default (strong) model.
        source, why = route(self.settings, as_generate, has_files=False)
        if not req.model and source.cfg is not None:
            why = "a plan: the default model"
        if source.cfg is None:
            await self.bus.publish_event(req.job_id, Status(
                message=OFFLINE_NOTICE + " Its plan has one ticket per part of the page.",
                model=OFFLINE_LABEL, ai=False))
            return offline_plan(req.prompt), OFFLINE_LABEL, why, None
        await self.bus.publish_event(req.job_id, Status(
            message=f"planning with {source.label}", model=source.label, ai=True,
            reason=why, reset=attempt > 1, attempt=attempt))
        latest = await self.db.latest_version(req.project_id)
        await self.calls.ready()
        messages = plan_messages(req.prompt, sorted(latest.files) if latest else [])
        usage: Usage | None = None
        publisher = StreamPublisher(self.bus, req.job_id, attempt)
        try:
            for round_ in range(PLAN_REPAIRS + 1):
                text, more = await self.calls.collect(source, as_generate, messages, publisher,
                                                      "plan-repair" if round_ else "plan")
                usage = add_usage(usage, more)
                try:
                    return parse_plan(text), source.label, why, usage
                except PlanError as exc:
                    if round_ == PLAN_REPAIRS:
                        raise PermanentJobError(
                            f"the plan {source.label} wrote is unusable: {exc}") from exc
                    await self.bus.publish_event(req.job_id, Status(
                        message=f"the plan is unusable ({exc}); asking {source.label} to "
                                "correct it", repair=round_ + 1))
                    publisher.add("\n")
                    messages = [*messages, {"role": "assistant", "content": text},
                                {"role": "user", "content":
                                 f"That plan cannot be used: {exc}. Reply with the corrected "
                                 "JSON object only."}]
        except ModelError as exc:
            if not exc.transient:
                raise refused(source, exc) from exc
            raise
        finally:
            await publisher.close()
        raise AssertionError("unreachable: the last round returns or raises")

    async def _store_plan(self, req: PlanRequest, spec: PlanSpec, label: str) -> Plan:
        plan = Plan(project_id=req.project_id, job_id=req.job_id, prompt=req.prompt,
                    model=label, blueprint=spec.blueprint)
        try:
            async with self.db.session() as s:
                s.add(plan)
                await s.flush()
                # Stored in build order, so the board reads top-down as it will be built.
                by_key = {t.key: t for t in spec.tickets}
                for position, t in enumerate(by_key[key] for key in spec.order()):
                    s.add(Ticket(
                        plan_id=plan.id, project_id=req.project_id, key=t.key,
                        position=position, title=t.title, type=t.type, priority=t.priority,
                        complexity=t.complexity, depends_on=list(t.depends_on),
                        acceptance=t.acceptance, description=t.description,
                        files=list(t.files)))
                await s.commit()
                await s.refresh(plan)
            return plan
        except IntegrityError:
            # Another delivery of this job stored it first.
            async with self.db.session() as s:
                existing = (await s.exec(select(Plan).where(Plan.job_id == req.job_id))).first()
            if existing is None:
                raise
            return existing
