"""The install job: npm packages a client asked for, installed into the project's sandbox."""

from __future__ import annotations

from paynto_common.errors import PermanentJobError
from paynto_common.messages import Applied, InstallPackagesRequest, Status
from paynto_common.packages import validate_package_name
from sandbox_pool.jobs.steps import JobEvents, JobHandler, finish, install, start_from


class InstallPackagesJob(JobHandler[InstallPackagesRequest]):
    """Handles ``jobs.sandbox.install``."""

    async def run(self, req: InstallPackagesRequest, events: JobEvents) -> None:
        ctx = self.ctx
        names: list[str] = []
        for spec in req.packages:
            try:
                names.append(validate_package_name(spec))
            except ValueError as exc:
                # Refuse the whole request before anything runs.
                raise PermanentJobError(f"refused package {spec!r}: {exc}") from exc
        async with ctx.manager.lock(req.project_id):
            latest = await ctx.db.latest_version(req.project_id)
            live = await ctx.manager.current(req.project_id)
            if live is None:
                live = await start_from(ctx, events, req.project_id, latest)
            await events.publish(Status(message=f"installing {', '.join(names)}"))
            installed = await install(events, live, names)
        result = Applied(files=[], preview_url=live.preview_url, packages=names,
                         installed=installed)
        if latest:
            result.version = latest.number
        await finish(ctx, events, live, result)
