"""Restoring a stored version: it becomes the project's next version, exactly, in a fresh
sandbox (so no file added since lingers in the preview)."""

from __future__ import annotations

from paynto_common.errors import PermanentJobError
from paynto_common.messages import Applied, ApplyRequest, FileWritten, Status
from sandbox_pool import versions
from sandbox_pool.jobs.steps import Context, JobEvents, check_preview, finish, install_imports


async def restore(ctx: Context, events: JobEvents, req: ApplyRequest, number: int) -> None:
    """Run an apply job that restores version ``number`` (``restore_version``)."""
    async with ctx.manager.lock(req.project_id):
        source = await versions.numbered(ctx.db, req.project_id, number)
        if source is None:
            raise PermanentJobError(f"project {req.project_id} has no version {number}")
        version = await versions.version_of_job(ctx.db, req.job_id) or \
            await versions.store_version(ctx.db, req.project_id, req.version_key,
                                         dict(source.files),
                                         model=f"restored from version {number}")
        await events.publish(Status(
            message=f"restoring version {number} as version {version.number}",
        ), once="restoring")
        if await ctx.manager.current(req.project_id) is not None:
            await ctx.manager.stop(req.project_id)
        ctx.manager.take_lost(req.project_id)
        live, _warm = await ctx.manager.obtain(req.project_id, version.files, version.number)
        for path in sorted(version.files):
            await events.publish(FileWritten(path=path), once=path)
        await install_imports(events, live, [], version.files)
        await check_preview(events, live, version.files)
    await finish(ctx, events, live, Applied(
        files=sorted(version.files), preview_url=live.preview_url, version=version.number,
        restored_from=number,
    ))
