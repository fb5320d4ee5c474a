"""The apply job: a model's answer → checked files → a stored version → the live preview, then
the fix loop's next step.

Redelivery-safe: the version is keyed by the job and its fix round (a second delivery reuses
it), files are rewritten idempotently, and events that must appear once carry message ids.
"""

from __future__ import annotations

from paynto_common import kanban
from paynto_common.db import Job, JobStatus, TicketState
from paynto_common.errors import PermanentJobError
from paynto_common.messages import (
    Applied,
    ApplyRequest,
    FileWritten,
    GenerateRequest,
    GenerateResult,
    PreviewError,
    read_result,
)
from paynto_common.safety.paths import UnsafePathError
from sandbox_pool import autofix, versions
from sandbox_pool.answer_check import check_answer
from sandbox_pool.jobs.restore import restore
from sandbox_pool.jobs.steps import (
    JobEvents,
    JobHandler,
    check_preview,
    finish,
    install_imports,
    start_sandbox,
)
from sandbox_pool.manager import Live
from sandbox_pool.provider import SandboxGoneError


class ApplyJob(JobHandler[ApplyRequest]):
    """Handles ``jobs.sandbox.apply``: a model's answer, or a stored version to restore."""

    def events(self, req: ApplyRequest, claimed: Job) -> JobEvents:
        return JobEvents(self.ctx.bus, claimed, f":fix{req.fix_round}" if req.fix_round else "")

    async def ended(self, req: ApplyRequest) -> None:
        if req.ticket_id:
            # The worker before may have died after finishing, before the board heard.
            await self._report_ticket(req)

    async def run(self, req: ApplyRequest, events: JobEvents) -> None:
        if req.restore_version is not None:
            await restore(self.ctx, events, req, req.restore_version)
            return
        ctx = self.ctx
        if req.ticket_id:
            await kanban.move_ticket(ctx.db, ctx.bus, req.ticket_id, TicketState.APPLYING)
        async with ctx.manager.lock(req.project_id):
            reused = await versions.version_of_job(ctx.db, req.version_key)
            latest = None if reused else await ctx.db.latest_version(req.project_id)
            checked = check_answer(req.response, latest.files if latest else {},
                                   stored=reused.files if reused else None)
            for notice in checked.notices:
                await events.publish(notice.status, once=notice.key)
            live, written = await self._write(events, req, checked.changed, checked.files)
            for path in written:
                await events.publish(FileWritten(path=path), once=path)
            version = reused or await versions.store_version(
                ctx.db, req.project_id, req.version_key, checked.files, req.model,
                number=(latest.number if latest else 0) + 1)
            await ctx.manager.record_version(live, version.number)
            await install_imports(events, live, checked.packages, checked.files)
            if req.ticket_id:
                await kanban.move_ticket(ctx.db, ctx.bus, req.ticket_id, TicketState.CHECKING)
            # A change the fix loop may act on is also rendered once, to catch what throws.
            errors = await check_preview(events, live, checked.changed,
                                         render=req.autofix is not None)
        step = await self._next_fix(events, req, errors)
        if step.bounds is not None:
            return  # the fix's apply finishes the job
        result = Applied(files=sorted(checked.changed), preview_url=live.preview_url,
                         version=version.number, preview_errors=len(errors))
        if errors:
            result.problem = autofix.problem(errors)
        if step.report is not None:
            result.autofix = step.report
        await finish(ctx, events, live, result)
        if req.ticket_id:
            await self._report_ticket(req)

    async def _write(self, events: JobEvents, req: ApplyRequest, changed: dict[str, str],
                     files: dict[str, str]) -> tuple[Live, list[str]]:
        """Write the change into the project's running sandbox, or restore all ``files``
        into a new one; return the sandbox and the paths written."""
        manager = self.ctx.manager
        live = await manager.current(req.project_id)
        try:
            if live is not None:
                try:
                    return live, await live.sandbox.write_files(changed)
                except SandboxGoneError as exc:
                    # Expired at its provider since the last look: restore it right away.
                    await manager.lose(req.project_id, f"it expired ({exc})")
            latest = await self.ctx.db.latest_version(req.project_id)
            live = await start_sandbox(self.ctx, events, req.project_id, files,
                                       latest.number if latest else None)
        except UnsafePathError as exc:
            raise PermanentJobError(f"refused unsafe path: {exc}") from exc
        return live, list(changed)

    async def _next_fix(self, events: JobEvents, req: ApplyRequest,
                        errors: list[PreviewError]) -> autofix.NextFix:
        """The fix loop's next step after this answer; when it is another round, the errors
        are sent back to the model (the generator takes the job on)."""
        job = await self.ctx.db.job(req.job_id)
        usage = read_result(job.result if job else None, GenerateResult).usage
        step = autofix.next_fix(req.fix_round, req.autofix, errors,
                                usage.tokens if usage else 0)
        if step.notice is not None:
            await events.publish(step.notice, once=step.notice_key)
        if step.bounds is not None:
            await self.ctx.bus.publish_job(self.ctx.bus.subjects.generate, GenerateRequest(
                job_id=req.job_id, project_id=req.project_id, user_id=req.user_id,
                prompt=(job.prompt if job else None) or "", ticket_id=req.ticket_id,
                fix_round=step.fix_round, errors=step.errors, autofix=step.bounds,
            ), msg_id=f"fix:{req.job_id}:{step.fix_round}")
        return step

    async def _report_ticket(self, req: ApplyRequest) -> None:
        """Tell the board how a ticket's finished job ended, from its stored result (so a
        redelivery tells it the same; moving a ticket already moved is a no-op)."""
        job = await self.ctx.db.job(req.job_id)
        if job is None or job.status != JobStatus.COMPLETE:
            return
        result = read_result(job.result, GenerateResult)
        if result.version is None:
            return
        await kanban.ticket_finished(self.ctx.db, self.ctx.bus, req.ticket_id or "",
                                     version=result.version, error=result.problem)
