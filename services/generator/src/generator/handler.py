"""Generate jobs: prompt → model (or the offline generator) → streamed text → apply job.

Idempotent under redelivery: once the whole answer is stored on the job row, a redelivered
job only re-publishes the apply job (deduplicated by its message id) and never calls the model
again. A delivery that died mid-stream starts the answer again and tells the client, with
``reset``, to drop the text of the lost attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from generator.context import select_files
from generator.fastapply import PROMPT_NOTE, FastApplyError, find_updates, merge_updates
from generator.llm import (
    PROVIDER_DEFAULTS,
    ModelConfig,
    ModelError,
    Usage,
    preload,
    resolve_model,
    stream_completion,
)
from generator.offline import OfflineGenerator
from generator.planning import (
    PlanError,
    PlanSpec,
    TicketSpec,
    offline_plan,
    offline_ticket_files,
    parse_plan,
    plan_messages,
    render_offline_answer,
    ticket_prompt,
)
from generator.prompts import build_messages, fix_prompt
from generator.settings import GeneratorSettings
from paynto_common import kanban, ledger
from paynto_common.bus import Bus, Delivery, PermanentJobError
from paynto_common.db import Database, Job, JobStatus, Plan, Ticket, TicketState
from paynto_common.edits import EditError, parse_edits, without_edits
from paynto_common.messages import (
    ApplyRequest,
    AutoFix,
    GenerateRequest,
    PlanRequest,
)
from paynto_common.tagged import parse_response

log = logging.getLogger(__name__)

OFFLINE_LABEL = "offline"
OFFLINE_NOTICE = (
    "No model is configured: the built-in offline generator writes this site. "
    "It is deterministic and rule-based, not AI."
)


@dataclass
class Source:
    """Where a job's text comes from: a litellm model, or the offline generator (cfg None)."""

    label: str
    cfg: ModelConfig | None
    # The whole answer, already written (the offline generator's files for a ticket).
    canned: str | None = None


class StreamPublisher:
    """Publishes a model's text as ``stream`` events without holding the model back.

    The first delta goes out at once. After each event the publisher lets ``gap`` seconds
    pass (an imperceptible 25 ms) and then sends everything that arrived meanwhile as one
    event: a model at 100 tokens a second makes ~40 events a second instead of 100, and the
    offline generator's few hundred chunks become one or two, for every client to relay.
    A model slower than the gap still gets one event per delta.
    """

    def __init__(self, bus: Bus, job_id: str, attempt: int, gap: float = 0.025) -> None:
        self.bus = bus
        self.job_id = job_id
        self.attempt = attempt
        self.gap = gap
        self._pending: list[str] = []
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def add(self, text: str) -> None:
        if self._task.done():
            self._task.result()  # the bus failed: raise it here, in the job
        self._pending.append(text)
        self._wake.set()

    async def close(self) -> None:
        """Publish what is left at once and stop; raises if a publish failed."""
        self._closing.set()
        self._wake.set()
        await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._pending:
                text = "".join(self._pending)
                self._pending.clear()
                await self.bus.publish_event(self.job_id, "stream",
                                             {"text": text, "attempt": self.attempt})
                if not self._closing.is_set():
                    # Gather what arrives in the gap; closing ends the wait early.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), self.gap)
                if self._pending:
                    self._wake.set()
            if self._closing.is_set() and not self._pending:
                return


class GenerateHandler:
    def __init__(self, settings: GeneratorSettings, bus: Bus, db: Database) -> None:
        self.settings = settings
        self.bus = bus
        self.db = db
        self.offline = OfflineGenerator()
        self._litellm: asyncio.Task[None] | None = None

    def warm_up(self) -> None:
        """Start loading litellm in the background, so the first model job does not wait."""
        if self._litellm is None:
            self._litellm = asyncio.create_task(preload())

    def _loaded(self) -> asyncio.Task[None]:
        """The task loading litellm (started now if it was not)."""
        self.warm_up()
        assert self._litellm is not None
        return self._litellm

    def choose_source(self, requested: str | None) -> Source:
        if requested == OFFLINE_LABEL:
            return Source(OFFLINE_LABEL, None)
        api_key = self.settings.llm_api_key.get_secret_value() if self.settings.llm_api_key \
            else None
        if requested:
            cfg = ModelConfig(model=requested, api_base=self.settings.llm_api_base,
                              api_key=api_key)
        else:
            env = dict(os.environ)
            if self.settings.llm_model:
                env["LLM_MODEL"] = self.settings.llm_model
            if self.settings.llm_api_base:
                env["LLM_API_BASE"] = self.settings.llm_api_base
            if api_key:
                env["LLM_API_KEY"] = api_key
            resolved = resolve_model(env.get("LLM_MODEL"), env)
            if resolved is None:
                return Source(OFFLINE_LABEL, None)
            cfg = resolved
        self._with_limits(cfg)
        return Source(cfg.model, cfg)

    async def __call__(self, delivery: Delivery) -> None:
        if delivery.subject == self.bus.subjects.plan:
            await self.plan(delivery)
            return
        req: GenerateRequest = delivery.parse(GenerateRequest)
        job = await self._begin(req.job_id, delivery.attempt)
        if job is None:
            return
        if req.ticket_id:
            await kanban.move_ticket(self.db, self.bus, req.ticket_id, TicketState.GENERATING)
        stored = _stored_answer(job, req.fix_round)
        response, label = stored if stored else await self._generate(req, delivery.attempt)
        suffix = f":fix{req.fix_round}" if req.fix_round else ""
        await self.bus.publish_job(
            self.bus.subjects.apply,
            ApplyRequest(job_id=req.job_id, project_id=req.project_id, user_id=req.user_id,
                         response=response, model=label, ticket_id=req.ticket_id,
                         fix_round=req.fix_round, autofix=self._autofix(req, label)),
            msg_id=f"apply:{req.job_id}{suffix}",
        )

    async def _begin(self, job_id: str, attempt: int) -> Job | None:
        """Mark the job running, in one statement that also tells what is stored; None when
        it already ended (a late redelivery: nothing to do)."""
        job = await self.db.set_job_status(job_id, JobStatus.RUNNING, attempts=attempt)
        if job is None:
            raise PermanentJobError(f"unknown job {job_id}")
        return None if job.status in JobStatus.TERMINAL else job

    def _autofix(self, req: GenerateRequest, label: str) -> AutoFix | None:
        """The fix loop's bounds for this job (carried from round to round); none for the
        offline generator, which cannot read an error."""
        if label == OFFLINE_LABEL or self.settings.autofix_rounds <= 0:
            return None
        return req.autofix or AutoFix(max_rounds=self.settings.autofix_rounds,
                                      token_budget=self.settings.autofix_token_budget)

    async def plan(self, delivery: Delivery) -> None:
        """A build plan for a prompt: stored with the project, then told to the client as
        ``blueprint``, one ``ticket`` per ticket, ``plan_complete`` and ``complete``."""
        req: PlanRequest = delivery.parse(PlanRequest)
        job = await self._begin(req.job_id, delivery.attempt)
        if job is None:
            return
        async with self.db.session() as s:
            stored = (await s.exec(select(Plan).where(Plan.job_id == req.job_id))).first()
        made: dict[str, object] = dict(job.result or {})
        if stored is None:
            spec, label, why, usage = await self._make_plan(req, delivery.attempt)
            # What the plan cost is kept before the plan, so a worker stopping in between
            # loses neither (a redelivery finds the plan and reads this).
            made = {"model_reason": why}
            if usage is not None:
                made["usage"] = _usage_dict(usage)
            await self.db.set_job_status(req.job_id, JobStatus.RUNNING, model=label,
                                         result=made)
            stored = await self._store_plan(req, spec, label)
        tickets = await kanban.tickets_of(self.db, stored.id)
        job_id = req.job_id
        await self.bus.publish_event(job_id, "blueprint", {
            "plan_id": stored.id, "blueprint": stored.blueprint}, msg_id=f"blueprint:{job_id}")
        for ticket in tickets:
            await self.bus.publish_event(job_id, "ticket", kanban.ticket_view(ticket),
                                         msg_id=f"ticket:{job_id}:{ticket.key}")
        result: dict[str, object] = {"plan_id": stored.id, "tickets": len(tickets),
                                     "model": stored.model}
        await self.bus.publish_event(job_id, "plan_complete", result,
                                     msg_id=f"plan_complete:{job_id}")
        await self.db.set_job_status(job_id, JobStatus.COMPLETE, model=stored.model,
                                     result={**made, **result})
        await self.bus.publish_event(job_id, "complete", result, msg_id=f"complete:{job_id}:")

    async def _make_plan(self, req: PlanRequest,
                         attempt: int) -> tuple[PlanSpec, str, str, Usage | None]:
        """The plan, the model that made it, why that model, and what it used."""
        as_generate = GenerateRequest(job_id=req.job_id, project_id=req.project_id,
                                      prompt=req.prompt, model=req.model)
        # A plan is a new build's worth of thinking: the default (strong) model.
        source, why = self.route(as_generate, has_files=False)
        if not req.model and source.cfg is not None:
            why = "a plan: the default model"
        if source.cfg is None:
            await self.bus.publish_event(req.job_id, "status", {
                "message": OFFLINE_NOTICE + " Its plan has one ticket per part of the page.",
                "model": OFFLINE_LABEL, "ai": False})
            return offline_plan(req.prompt), OFFLINE_LABEL, why, None
        await self.bus.publish_event(req.job_id, "status", {
            "message": f"planning with {source.label}", "model": source.label, "ai": True,
            "reason": why, "reset": attempt > 1, "attempt": attempt})
        latest = await self.db.latest_version(req.project_id)
        await asyncio.shield(self._loaded())
        messages = plan_messages(req.prompt, sorted(latest.files) if latest else [])
        usage: Usage | None = None
        publisher = StreamPublisher(self.bus, req.job_id, attempt)
        try:
            for round_ in range(PLAN_REPAIRS + 1):
                text, more = await self._collect(source, as_generate, messages, publisher,
                                                 "plan-repair" if round_ else "plan")
                usage = _add_usage(usage, more)
                try:
                    return parse_plan(text), source.label, why, usage
                except PlanError as exc:
                    if round_ == PLAN_REPAIRS:
                        raise PermanentJobError(
                            f"the plan {source.label} wrote is unusable: {exc}") from exc
                    await self.bus.publish_event(req.job_id, "status", {
                        "message": f"the plan is unusable ({exc}); asking {source.label} to "
                                   "correct it", "repair": round_ + 1})
                    publisher.add("\n")
                    messages = [*messages, {"role": "assistant", "content": text},
                                {"role": "user", "content":
                                 f"That plan cannot be used: {exc}. Reply with the corrected "
                                 "JSON object only."}]
        except ModelError as exc:
            if not exc.transient:
                raise PermanentJobError(f"model {source.label} refused: {exc.message}") from exc
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

    async def _ticket_work(self, req: GenerateRequest) -> tuple[str, str | None]:
        """What a ticket's job asks: the request for the model, or (for a plan the offline
        generator made) the offline generator's files for the ticket, ready as an answer."""
        async with self.db.session() as s:
            ticket = await s.get(Ticket, req.ticket_id)
            plan = await s.get(Plan, ticket.plan_id) if ticket else None
            done = (await s.exec(select(Ticket.title).where(
                Ticket.plan_id == ticket.plan_id, Ticket.state == TicketState.DONE)
                .order_by(col(Ticket.position)))).all() if ticket else []
        if ticket is None or plan is None:
            raise PermanentJobError(f"unknown ticket {req.ticket_id}")
        if plan.model == OFFLINE_LABEL:
            try:
                files = offline_ticket_files(plan.prompt, list(ticket.files))
            except KeyError as exc:
                raise PermanentJobError(
                    f"the offline generator does not write {exc} of ticket {ticket.key}"
                ) from exc
            return ticket.title, render_offline_answer(files)
        spec = TicketSpec(key=ticket.key, title=ticket.title, type=ticket.type,
                          priority=ticket.priority, complexity=ticket.complexity,
                          depends_on=list(ticket.depends_on), acceptance=ticket.acceptance,
                          files=list(ticket.files), description=ticket.description)
        return ticket_prompt(plan.blueprint, spec, list(done)), None

    def _with_limits(self, cfg: ModelConfig) -> ModelConfig:
        cfg.timeout = self.settings.llm_timeout_seconds
        cfg.max_tokens = self.settings.llm_max_tokens
        return cfg

    def route(self, req: GenerateRequest, has_files: bool) -> tuple[Source, str]:
        """The model for this job and why (the rules are settings; the job records both)."""
        if req.model:
            return self.choose_source(req.model), "asked for by the request"
        if req.fix_round:
            return self.choose_source(None), "fixing errors: the default model"
        default = self.choose_source(None)
        if default.cfg is None:
            return default, "no model configured: the offline generator"
        fast = self.settings.llm_fast_model
        if fast and has_files and len(req.prompt) <= self.settings.route_edit_max_chars:
            key = self.settings.llm_api_key
            cfg = self._with_limits(ModelConfig(
                model=fast, api_base=default.cfg.api_base,
                api_key=key.get_secret_value() if key else default.cfg.api_key))
            return Source(cfg.model, cfg), (
                f"a short change to an existing project (at most "
                f"{self.settings.route_edit_max_chars} characters): the fast model")
        return default, ("a new build: the default model" if not has_files
                         else "a longer change: the default model")

    def models(self) -> list[dict[str, object]]:
        """What this generator can use (never keys or URLs): the default, the fast and the
        fallback models, Morph's apply model, the defaults of the providers whose keys are
        set, and offline."""
        listed: dict[str, dict[str, object]] = {}

        def add(model: str, role: str, ai: bool = True) -> None:
            entry = listed.setdefault(model, {"id": model, "ai": ai, "roles": []})
            roles = entry["roles"]
            assert isinstance(roles, list)
            roles.append(role)

        default = self.choose_source(None)
        add(default.label, "default", default.cfg is not None)
        if self.settings.llm_fast_model and default.cfg is not None:
            add(self.settings.llm_fast_model, "fast")
        if self.settings.llm_fallback_model:
            add(self.settings.llm_fallback_model, "fallback")
        if self._morph() is not None:
            add(f"morph/{self.settings.morph_model}", "fast-apply: merges partial updates")
        for var, _prefix, model in PROVIDER_DEFAULTS:
            if os.environ.get(var, "").strip():
                add(model, f"available ({var} is set)")
        add(OFFLINE_LABEL, "offline: built in, not AI", ai=False)
        return list(listed.values())

    def fallback_source(self) -> Source | None:
        model = self.settings.llm_fallback_model
        if not model:
            return None
        key = self.settings.llm_fallback_api_key
        cfg = self._with_limits(ModelConfig(
            model=model, api_base=self.settings.llm_fallback_api_base,
            api_key=key.get_secret_value() if key else None))
        return Source(cfg.model, cfg)

    async def _generate(self, req: GenerateRequest, attempt: int) -> tuple[str, str]:
        latest = await self.db.latest_version(req.project_id)
        files = latest.files if latest else {}
        canned: str | None = None
        request = req.prompt
        if req.ticket_id:
            prompt, canned = await self._ticket_work(req)
            req = req.model_copy(update={"prompt": prompt})
        if req.fix_round:
            req = req.model_copy(update={"prompt": fix_prompt(req.errors, request)})
            await self.bus.publish_event(req.job_id, "status", {
                "message": f"sending {len(req.errors)} error{'s' if len(req.errors) != 1 else ''}"
                           f" back to the model (fix {req.fix_round})",
                "autofix": req.fix_round, "reset": True, "attempt": attempt,
            })
        if canned is not None:
            primary = Source(OFFLINE_LABEL, None, canned)
            reason = "a ticket of a plan the offline generator made: it writes the files"
        else:
            primary, reason = self.route(req, bool(files))
            if req.fix_round and primary.cfg is None:
                raise PermanentJobError("no model is configured to fix the errors")
        sources = [(primary, reason)]
        backup = self.fallback_source() if primary.cfg is not None else None
        if backup is not None and backup.label != primary.label:
            sources.append((backup, f"{primary.label} failed: the fallback model"))
        if attempt > 1:
            await self.bus.publish_event(req.job_id, "status", {
                "message": f"a worker stopped; generating again (attempt {attempt})",
                "reset": True, "attempt": attempt,
            })
        for n, (source, why) in enumerate(sources):
            try:
                response, usage = await self._generate_with(source, why, req, attempt, files)
            except ModelError as exc:
                if n + 1 == len(sources):
                    if not exc.transient:
                        raise PermanentJobError(
                            f"model {source.label} refused: {exc.message}") from exc
                    await self.bus.publish_event(req.job_id, "status", {
                        "message": f"model error, will retry: {exc.message}",
                        "attempt": attempt,
                    })
                    raise
                log.warning("job %s: %s failed (%s); falling back to %s", req.job_id,
                            source.label, exc.message, sources[n + 1][0].label)
                await self.bus.publish_event(req.job_id, "status", {
                    "message": f"{source.label} failed ({exc.message}); continuing with "
                               f"{sources[n + 1][0].label}",
                    "fallback": True, "reset": True, "attempt": attempt,
                })
                continue
            await self._store_answer(req, response, source.label, why,
                                     primary.label if n else None, usage)
            return response, source.label
        raise AssertionError("unreachable: the last source raises")

    async def _store_answer(self, req: GenerateRequest, response: str, label: str, why: str,
                            fallback_from: str | None, usage: Usage | None) -> None:
        """Keep the answer on the job row, so a redelivery never calls the model again: the
        first answer as the job's response, a fix round's under ``fixes``; usage adds up."""
        async with self.db.session() as s:
            job = await s.get(Job, req.job_id)
        result: dict[str, Any] = dict(job.result or {}) if job else {}
        spent = _usage_dict(usage) if usage is not None else None
        if req.fix_round == 0:
            result["model_reason"] = why
            if fallback_from:
                result["fallback_from"] = fallback_from
            if spent:
                result["usage"] = spent
            await self.db.set_job_status(req.job_id, JobStatus.RUNNING, response=response,
                                         model=label, result=result)
            return
        fixes = dict(result.get("fixes") or {})
        fixes[str(req.fix_round)] = {"response": response, "model": label, "reason": why,
                                     "usage": spent}
        result["fixes"] = fixes
        if spent:
            before = result.get("usage") or {}
            result["usage"] = {key: (before.get(key) or 0) + value
                               for key, value in spent.items()}
        await self.db.set_job_status(req.job_id, JobStatus.RUNNING, result=result)

    async def _generate_with(self, source: Source, why: str, req: GenerateRequest,
                             attempt: int, files: dict[str, str]) -> tuple[str, Usage | None]:
        bus, job_id = self.bus, req.job_id
        if source.cfg is None:
            await bus.publish_event(job_id, "status", {"message": OFFLINE_NOTICE,
                                                       "model": OFFLINE_LABEL, "ai": False})
        else:
            await bus.publish_event(job_id, "status", {"message": f"generating with {source.label}",
                                                       "model": source.label, "ai": True,
                                                       "reason": why})
        publisher = StreamPublisher(bus, job_id, attempt)
        try:
            messages = await self._messages(source, req, files)
            response, usage = await self._collect(source, req, messages, publisher,
                                                  "fix" if req.fix_round else "answer")
            for round_ in range(1, MAX_CONTINUATIONS + 1):
                gap = _unfinished(response, usage) if source.cfg is not None else None
                if gap is None:
                    break
                ask, glue = gap
                await bus.publish_event(job_id, "status", {
                    "message": f"the answer was unfinished ({ask.split(':')[0]}); asking "
                               f"{source.label} to finish it (round {round_})",
                    "continuation": round_,
                })
                more, more_usage = await self._collect(source, req, [
                    *messages, {"role": "assistant", "content": response},
                    {"role": "user", "content": ask}], publisher, "continuation", glue)
                response += glue + more
                usage = _add_usage(usage, more_usage)
        finally:
            await publisher.close()
        if not response.strip():
            raise PermanentJobError(f"model {source.label} returned an empty answer")
        if find_updates(response):
            response, merged = await self._fast_apply(req, response, files)
            usage = _add_usage(usage, merged)
        return response, usage

    def _morph(self) -> ModelConfig | None:
        """Morph's apply model, when a key is set."""
        key = self.settings.morph_api_key
        if key is None or not key.get_secret_value():
            return None
        cfg = self._with_limits(ModelConfig(
            model=f"openai/{self.settings.morph_model}", api_base=self.settings.morph_api_base,
            api_key=key.get_secret_value(), price_model=f"morph/{self.settings.morph_model}"))
        cfg.temperature = 0.0
        return cfg

    async def _fast_apply(self, req: GenerateRequest, response: str,
                          files: dict[str, str]) -> tuple[str, Usage | None]:
        """Merge the answer's ``<update>`` blocks into whole files with Morph."""
        cfg = self._morph()
        if cfg is None:
            raise PermanentJobError(
                "the answer holds <update> blocks, which need a merge model: set "
                "MORPH_API_KEY, or ask again")

        async def record(spent: Usage) -> None:
            # Each merge costs whether or not its result is usable.
            await ledger.record(self.db, req.job_id, req.project_id,
                                f"morph/{self.settings.morph_model}", "fast-apply",
                                spent.prompt_tokens, spent.completion_tokens, spent.cost_usd)

        try:
            merged, usage, paths = await merge_updates(response, files, cfg, req.prompt, record)
        except FastApplyError as exc:
            raise PermanentJobError(f"fast-apply refused: {exc}") from exc
        await self.bus.publish_event(req.job_id, "status", {
            "message": f"merged the changes to {', '.join(paths)} with {self.settings.morph_model}",
            "fast_apply": paths,
        })
        return merged, usage

    async def _collect(self, source: Source, req: GenerateRequest,
                       messages: list[dict[str, str]], publisher: StreamPublisher,
                       purpose: str, lead: str = "") -> tuple[str, Usage | None]:
        """Stream one model call (or the offline generator) to the client; its text and usage.
        A finished model call goes into the cost ledger at once, as ``purpose``."""
        parts: list[str] = []
        usage: Usage | None = None
        if lead:
            publisher.add(lead)
        if source.cfg is None:
            chunks = (_pieces(source.canned) if source.canned is not None
                      else self.offline.stream(req.prompt))
            async for chunk in chunks:
                parts.append(chunk)
                publisher.add(chunk)
            return "".join(parts), None
        async for piece in stream_completion(source.cfg, messages):
            if isinstance(piece, Usage):
                usage = piece
                continue
            parts.append(piece)
            publisher.add(piece)
        if usage is not None:
            await ledger.record(self.db, req.job_id, req.project_id, source.label, purpose,
                                usage.prompt_tokens, usage.completion_tokens, usage.cost_usd)
        return "".join(parts), usage

    async def _messages(self, source: Source, req: GenerateRequest,
                        files: dict[str, str]) -> list[dict[str, str]]:
        if source.cfg is None:
            return []
        await asyncio.shield(self._loaded())
        chosen = select_files(req.prompt, files,
                              must=[str(e.get("path")) for e in req.errors if e.get("path")])
        if files:
            await self.bus.publish_event(req.job_id, "status", {
                "message": f"sending {len(chosen.sent)} of {len(files)} files to the model "
                           f"({chosen.reason})",
                "context": sorted(chosen.sent),
            })
        return build_messages(req.prompt, chosen.sent, chosen.left_out,
                              await self._history(req),
                              fast_apply_note=PROMPT_NOTE if self._morph() else "")

    async def _history(self, req: GenerateRequest) -> list[tuple[str, str]]:
        """The project's earlier turns, from the database (any replica, after any restart):
        the last few requests and what their answers did."""
        async with self.db.session() as s:
            rows = (await s.exec(
                select(Job).where(Job.project_id == req.project_id,
                                  col(Job.kind).in_(("generate", "ticket")),
                                  Job.id != req.job_id, col(Job.response).is_not(None))
                .order_by(col(Job.created_at).desc()).limit(HISTORY_TURNS))).all()
        return [(job.prompt or "", summarize_answer(job.response or ""))
                for job in reversed(rows)]


# Earlier turns of a project's conversation sent with each request.
HISTORY_TURNS = 4
_TAGGED_RE = re.compile(r"<(file|edit)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.DOTALL)


def summarize_answer(response: str, limit: int = 600) -> str:
    """An earlier answer, short: its words outside the file and edit tags, and the files it
    wrote or edited (their contents now are in the project's files)."""
    note = " ".join(_TAGGED_RE.sub(" ", response).split())[:limit]
    wrote = [f.path for f in parse_response(without_edits(response)).files]
    try:
        edited = [e.path for e in parse_edits(response)]
    except EditError:
        edited = []
    done = "; ".join(part for part in (
        f"wrote {', '.join(wrote)}" if wrote else "",
        f"edited {', '.join(edited)}" if edited else "") if part)
    return " ".join(part for part in (note, f"({done})" if done else "") if part) or "(done)"


# How many times a plan that fails its checks goes back to the model to be corrected.
PLAN_REPAIRS = 1

# How many times an unfinished answer is sent back to be finished.
MAX_CONTINUATIONS = 2


def _unfinished(response: str, usage: Usage | None) -> tuple[str, str] | None:
    """What to ask the model when its answer is unfinished, and the text to put between the
    answer and what it sends next; None when the answer is whole."""
    parsed = parse_response(without_edits(response))
    cut = [f.path for f in parsed.files if not f.complete]
    if cut or (usage is not None and usage.finish_reason == "length"):
        where = f" inside {cut[-1]}" if cut else ""
        return (f"cut off{where}: your answer stopped{where} before it was finished. "
                "Continue from exactly the last character you wrote, repeating nothing, and "
                "close every open tag.", "")
    elided = [p for p in parsed.truncated if p not in cut]
    if elided:
        return (f"code left out of {', '.join(elided)}: those files hold placeholders such as "
                "'...' instead of code. Send each of them again, whole, in <file> tags, with "
                "nothing left out.", "\n")
    return None


def _add_usage(first: Usage | None, more: Usage | None) -> Usage | None:
    if first is None or more is None:
        return first or more
    return Usage(first.prompt_tokens + more.prompt_tokens,
                 first.completion_tokens + more.completion_tokens,
                 first.cost_usd + more.cost_usd, more.finish_reason)


def _stored_answer(job: Job, fix_round: int) -> tuple[str, str] | None:
    """The answer a job already has for this round (stored before a worker stopped)."""
    if fix_round == 0:
        return (job.response, job.model or OFFLINE_LABEL) if job.response is not None else None
    fix = ((job.result or {}).get("fixes") or {}).get(str(fix_round))
    if isinstance(fix, dict) and isinstance(fix.get("response"), str):
        return fix["response"], str(fix.get("model") or "")
    return None


def _usage_dict(usage: Usage) -> dict[str, Any]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "cost_usd": usage.cost_usd}


async def _pieces(text: str, size: int = 2000) -> AsyncIterator[str]:
    for start in range(0, len(text), size):
        yield text[start:start + size]
