"""The sandbox jobs: make sure a project has a running sandbox, and the few things a client may
ask of it (its logs, a restart, stopping it; never a shell)."""

from __future__ import annotations

from paynto_common.db import JobStatus
from paynto_common.messages import (
    Applied,
    CreateSandboxRequest,
    PreviewReady,
    SandboxCommandRequest,
    SandboxKilled,
    SandboxLogs,
    SandboxRestarted,
    stored,
)
from sandbox_pool.jobs.steps import JobEvents, JobHandler, finish, install_imports, start_from


class CreateSandboxJob(JobHandler[CreateSandboxRequest]):
    """Handles ``jobs.sandbox.create``: the project's sandbox running, with its latest
    version."""

    async def run(self, req: CreateSandboxRequest, events: JobEvents) -> None:
        ctx = self.ctx
        async with ctx.manager.lock(req.project_id):
            live = await ctx.manager.current(req.project_id)
            latest = await ctx.db.latest_version(req.project_id)
            if live is None:
                live = await start_from(ctx, events, req.project_id, latest)
                if latest:
                    await install_imports(events, live, [], latest.files)
        result = Applied(files=[], preview_url=live.preview_url, sandbox_id=live.sandbox_id)
        if latest:
            result.version = latest.number
        await finish(ctx, events, live, result)


class SandboxCommandJob(JobHandler[SandboxCommandRequest]):
    """Handles ``jobs.sandbox.command``: ``logs``, ``restart`` or ``kill``."""

    async def run(self, req: SandboxCommandRequest, events: JobEvents) -> None:
        ctx = self.ctx
        result: SandboxLogs | SandboxKilled | SandboxRestarted
        async with ctx.manager.lock(req.project_id):
            live = await ctx.manager.current(req.project_id)
            if req.command == "logs":
                result = SandboxLogs(
                    running=live is not None, lines=live.sandbox.logs() if live else [],
                    errors=list(ctx.manager.preview_errors.get(req.project_id, ())),
                )
            elif req.command == "kill":
                result = SandboxKilled(stopped=await ctx.manager.stop(req.project_id))
            else:  # restart: the dev server again, or a new sandbox from the latest version
                if live is None:
                    latest = await ctx.db.latest_version(req.project_id)
                    live = await start_from(ctx, events, req.project_id, latest)
                else:
                    await live.sandbox.restart()
                await events.publish(PreviewReady(preview_url=live.preview_url), once="")
                result = SandboxRestarted(sandbox_id=live.sandbox_id,
                                          preview_url=live.preview_url)
        await ctx.db.set_job_status(req.job_id, JobStatus.COMPLETE, result=stored(result))
        await events.publish(result, once="")
