"""Generate jobs: prompt → model (or the offline generator) → streamed text → apply job.

A ticket of a plan is built by a generate job too (``ticket_id`` set), and so is each round
of the fix loop (``fix_round`` set, with the errors the last apply left).

Idempotent under redelivery: once the whole answer is stored on the job row, a redelivered
job only re-publishes the apply job (deduplicated by its message id) and never calls the model
again. A delivery that died mid-stream starts the answer again and tells the client, with
``reset``, to drop the text of the lost attempt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from sqlmodel import col, select

from generator.answers import (
    MAX_CONTINUATIONS,
    add_usage,
    model_usage,
    stored_answer,
    unfinished,
)
from generator.calls import refused
from generator.cloning import clone_prompt, clone_summary
from generator.context import select_files
from generator.fastapply import PROMPT_NOTE, FastApplyError, find_updates, merge_updates
from generator.jobs.base import JobHandler
from generator.llm import ModelError, Usage
from generator.offline import offline_ticket_files, render_offline_answer
from generator.offline.clone import offline_clone_answer
from generator.planning import TicketSpec, ticket_prompt
from generator.prompts import build_messages, fix_prompt
from generator.routing import (
    OFFLINE_LABEL,
    OFFLINE_NOTICE,
    Source,
    choose_source,
    fallback_source,
    morph_config,
    route,
)
from generator.stream import StreamPublisher
from paynto_common import kanban, ledger
from paynto_common.answer import summarize_answer
from paynto_common.db import Job, JobStatus, Plan, Scrape, Ticket, TicketState
from paynto_common.errors import PermanentJobError
from paynto_common.messages import (
    Applied,
    ApplyRequest,
    AutoFix,
    FixAnswer,
    GenerateRequest,
    GenerateResult,
    ScrapedPage,
    Status,
    read_result,
    stored,
)
from paynto_common.service import end_stream

log = logging.getLogger(__name__)

# Earlier turns of a project's conversation sent with each request.
HISTORY_TURNS = 4

Context = tuple[dict[str, str], list[tuple[str, str]]]
"""What a job's model request is built from: the project's files (its latest version) and
its earlier turns (empty for the offline generator, which reads none)."""


class GenerateJob(JobHandler):
    """A generate job: a prompt, a ticket of a plan or a fix round."""

    async def handle(self, req: GenerateRequest, attempt: int) -> None:
        # Read what the request is built from while the job is claimed, not after: the three
        # round trips one after another were a third of the time to the first streamed piece.
        # Thrown away if the claim fails or finds the answer kept.
        context = asyncio.ensure_future(self._context(req))
        try:
            job = await self.db.claim_job(req.job_id, attempt, user_id=req.user_id)
            if job is None:
                await end_stream(self.bus, self.db, req.job_id, Applied)
                return
            if req.ticket_id:
                await kanban.move_ticket(self.db, self.bus, req.ticket_id,
                                         TicketState.GENERATING)
            kept = stored_answer(job, req.fix_round)
            response, label = kept if kept else await self._generate(req, attempt, context,
                                                                     job)
        finally:
            _discard(context)  # unless it was used
        suffix = f":fix{req.fix_round}" if req.fix_round else ""
        await self.bus.publish_job(
            self.bus.subjects.apply,
            ApplyRequest(job_id=req.job_id, project_id=req.project_id, user_id=req.user_id,
                         response=response, model=label, ticket_id=req.ticket_id,
                         fix_round=req.fix_round, autofix=self._autofix(req, label)),
            msg_id=f"apply:{req.job_id}{suffix}",
        )

    def _autofix(self, req: GenerateRequest, label: str) -> AutoFix | None:
        """The fix loop's bounds for this job (carried from round to round); none for the
        offline generator, which cannot read an error."""
        if label == OFFLINE_LABEL or self.settings.autofix_rounds <= 0:
            return None
        return req.autofix or AutoFix(max_rounds=self.settings.autofix_rounds,
                                      token_budget=self.settings.autofix_token_budget)

    async def _status(self, req: GenerateRequest, status: Status) -> None:
        await self.bus.publish_event(req.job_id, status)

    async def _context(self, req: GenerateRequest) -> Context:
        latest, history = await asyncio.gather(
            self.db.latest_version(req.project_id),
            self._history(req) if choose_source(self.settings, req.model).cfg is not None
            else _nothing(),
        )
        return (latest.files if latest else {}), history

    async def _generate(self, req: GenerateRequest, attempt: int,
                        context: Awaitable[Context], job: Job) -> tuple[str, str]:
        """Write the answer, with the fallback model when the chosen one fails; stored on the
        job row (``job``, as claimed) before it is returned."""
        files, history = await context
        canned: str | None = None
        request = req.prompt
        canned_reason = "a ticket of a plan the offline generator made: it writes the files"
        if req.ticket_id:
            prompt, canned = await self._ticket_work(req)
            req = req.model_copy(update={"prompt": prompt})
        elif req.scrape_id and not req.fix_round:
            pages = await self._scraped_pages(req)
            await self._status(req, Status(message=clone_summary(pages)))
            if route(self.settings, req, bool(files))[0].cfg is None:
                canned = offline_clone_answer(pages, req.prompt)
                canned_reason = ("a clone without a model: the offline clone writer copies "
                                 "the site's content (rule-based, not AI)")
            else:
                req = req.model_copy(update={"prompt": clone_prompt(pages, req.prompt)})
        if req.fix_round:
            req = req.model_copy(update={"prompt": fix_prompt(req.errors, request)})
            count = len(req.errors)
            await self._status(req, Status(
                message=f"sending {count} error{'s' if count != 1 else ''} back to the model "
                        f"(fix {req.fix_round})",
                autofix=req.fix_round, reset=True, attempt=attempt))
        if canned is not None:
            primary = Source(OFFLINE_LABEL, None, canned)
            reason = canned_reason
        else:
            primary, reason = route(self.settings, req, bool(files))
            if req.fix_round and primary.cfg is None:
                raise PermanentJobError("no model is configured to fix the errors")
        sources = [(primary, reason)]
        backup = fallback_source(self.settings) if primary.cfg is not None else None
        if backup is not None and backup.label != primary.label:
            sources.append((backup, f"{primary.label} failed: the fallback model"))
        if attempt > 1:
            await self._status(req, Status(
                message=f"a worker stopped; generating again (attempt {attempt})",
                reset=True, attempt=attempt))
        for n, (source, why) in enumerate(sources):
            try:
                response, usage = await self._generate_with(source, why, req, attempt, files,
                                                            history)
            except ModelError as exc:
                if n + 1 == len(sources):
                    if not exc.transient:
                        raise refused(source, exc) from exc
                    await self._status(req, Status(
                        message=f"model error, will retry: {exc.message}", attempt=attempt))
                    raise
                log.warning("job %s: %s failed (%s); falling back to %s", req.job_id,
                            source.label, exc.message, sources[n + 1][0].label)
                await self._status(req, Status(
                    message=f"{source.label} failed ({exc.message}); continuing with "
                            f"{sources[n + 1][0].label}",
                    fallback=True, reset=True, attempt=attempt))
                continue
            await self._store_answer(req, job, response, source.label, why,
                                     primary.label if n else None, usage)
            return response, source.label
        raise AssertionError("unreachable: the last source raises")

    async def _store_answer(self, req: GenerateRequest, job: Job, response: str, label: str,
                            why: str, fallback_from: str | None, usage: Usage | None) -> None:
        """Keep the answer on the job row, so a redelivery never calls the model again: the
        first answer as the job's response, a fix round's under ``fixes``; usage adds up.
        What is stored already is the claimed row's: only this delivery writes it meanwhile."""
        result = read_result(job.result, GenerateResult)
        spent = model_usage(usage)
        if req.fix_round == 0:
            result.model_reason = why
            if fallback_from:
                result.fallback_from = fallback_from
            if spent is not None:
                result.usage = spent
            await self.db.set_job_status(req.job_id, JobStatus.RUNNING, response=response,
                                         model=label, result=stored(result))
            return
        result.fixes[str(req.fix_round)] = FixAnswer(response=response, model=label,
                                                     reason=why, usage=spent)
        if spent is not None:
            result.usage = spent if result.usage is None else result.usage + spent
        await self.db.set_job_status(req.job_id, JobStatus.RUNNING, result=stored(result))

    async def _generate_with(self, source: Source, why: str, req: GenerateRequest,
                             attempt: int, files: dict[str, str], history: list[tuple[str, str]]
                             ) -> tuple[str, Usage | None]:
        # The statuses before the model call are sent without waiting for the stream to take
        # them (the text streamed later is stored after them all the same); their acks are
        # awaited once the call is under way.
        if source.cfg is None:
            status = Status(message=OFFLINE_NOTICE, model=OFFLINE_LABEL, ai=False)
        else:
            status = Status(message=f"generating with {source.label}", model=source.label,
                            ai=True, reason=why)
        sent = [await self.bus.send_event(req.job_id, status)]
        publisher = StreamPublisher(self.bus, req.job_id, attempt)
        collect = self.calls.collect
        try:
            messages = await self._messages(source, req, files, history, sent)
            answer = asyncio.ensure_future(collect(source, req, messages, publisher,
                                                   "fix" if req.fix_round else "answer"))
            try:
                await asyncio.gather(*sent)
            except BaseException:
                _discard(answer)
                raise
            response, usage = await answer
            for round_ in range(1, MAX_CONTINUATIONS + 1):
                gap = unfinished(response, usage) if source.cfg is not None else None
                if gap is None:
                    break
                ask, glue = gap
                await self._status(req, Status(
                    message=f"the answer was unfinished ({ask.split(':')[0]}); asking "
                            f"{source.label} to finish it (round {round_})",
                    continuation=round_))
                more, more_usage = await collect(source, req, [
                    *messages, {"role": "assistant", "content": response},
                    {"role": "user", "content": ask}], publisher, "continuation", glue)
                response += glue + more
                usage = add_usage(usage, more_usage)
        finally:
            await publisher.close()
        if not response.strip():
            raise PermanentJobError(f"model {source.label} returned an empty answer")
        if find_updates(response):
            response, merged = await self._fast_apply(req, response, files)
            usage = add_usage(usage, merged)
        return response, usage

    async def _fast_apply(self, req: GenerateRequest, response: str,
                          files: dict[str, str]) -> tuple[str, Usage | None]:
        """Merge the answer's ``<update>`` blocks into whole files with Morph."""
        cfg = morph_config(self.settings)
        if cfg is None:
            raise PermanentJobError(
                "the answer holds <update> blocks, which need a merge model: set "
                "MORPH_API_KEY, or ask again")
        morph = self.settings.morph_model

        async def record(spent: Usage) -> None:
            # Each merge costs whether or not its result is usable.
            await ledger.record(self.db, req.job_id, req.project_id, f"morph/{morph}",
                                "fast-apply", spent.prompt_tokens, spent.completion_tokens,
                                spent.cost_usd)

        try:
            merged, usage, paths = await merge_updates(response, files, cfg, req.prompt, record)
        except FastApplyError as exc:
            raise PermanentJobError(f"fast-apply refused: {exc}") from exc
        await self._status(req, Status(
            message=f"merged the changes to {', '.join(paths)} with {morph}",
            fast_apply=paths))
        return merged, usage

    async def _messages(self, source: Source, req: GenerateRequest, files: dict[str, str],
                        history: list[tuple[str, str]], sent: list[asyncio.Future[int]]
                        ) -> list[dict[str, str]]:
        """The model's messages; a status saying which files go with them is added to
        ``sent``."""
        if source.cfg is None:
            return []
        await self.calls.ready()
        chosen = select_files(req.prompt, files,
                              must=[e.path for e in req.errors if e.path])
        if files:
            sent.append(await self.bus.send_event(req.job_id, Status(
                message=f"sending {len(chosen.sent)} of {len(files)} files to the model "
                        f"({chosen.reason})",
                context=sorted(chosen.sent))))
        note = PROMPT_NOTE if morph_config(self.settings) else ""
        return build_messages(req.prompt, chosen.sent, chosen.left_out, history,
                              fast_apply_note=note)

    async def _history(self, req: GenerateRequest) -> list[tuple[str, str]]:
        """The project's earlier turns, from the database (any replica, after any restart):
        the last few requests and what their answers did."""
        async with self.db.session() as s:
            # The two columns only: a whole row is also its result's JSON, parsed for nothing.
            rows = (await s.exec(
                select(Job.prompt, Job.response).where(
                    Job.project_id == req.project_id, col(Job.kind).in_(("generate", "ticket")),
                    Job.id != req.job_id, col(Job.response).is_not(None))
                .order_by(col(Job.created_at).desc()).limit(HISTORY_TURNS))).all()
        return [(prompt or "", summarize_answer(response or ""))
                for prompt, response in reversed(rows)]

    async def _scraped_pages(self, req: GenerateRequest) -> list[ScrapedPage]:
        """The pages of the clone's stored scrape: its user's only."""
        async with self.db.session() as s:
            scrape = await s.get(Scrape, req.scrape_id)
        if scrape is None or (req.user_id is not None and scrape.user_id != req.user_id):
            raise PermanentJobError(f"unknown scrape {req.scrape_id}")
        return [ScrapedPage.model_validate(page) for page in scrape.pages]

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


async def _nothing() -> list[tuple[str, str]]:
    return []


def _discard(task: asyncio.Future[Any]) -> None:
    """Stop work whose result is no longer wanted (nothing, if it has ended), its failure
    (if any) read and dropped."""
    task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
