"""What several kinds of sandbox job do: publish their events once, bring up the project's
sandbox, install packages, check the preview, and finish with a result.

Every step is safe to run again for a redelivered job: events that must appear once carry a
message id (a key per job), so the job's stream keeps one copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from opentelemetry import trace

from paynto_common.bus import Bus
from paynto_common.db import Database, Job, JobStatus, Version
from paynto_common.gitsync import request_sync
from paynto_common.messages import (
    Applied,
    Completed,
    Event,
    GenerateResult,
    JobMessage,
    PackageInstalled,
    PreviewError,
    PreviewReady,
    Status,
    read_result,
    stored,
)
from paynto_common.metrics import (
    PACKAGE_INSTALL_SECONDS,
    PACKAGE_INSTALLS,
    PROMPT_TO_PREVIEW,
    SANDBOX_RECOVERIES,
    since,
)
from paynto_common.packages import detect_imports, validate_package_name
from paynto_common.service import end_stream
from paynto_common.telemetry import job_attributes, traced
from sandbox_pool.manager import Live, SandboxManager
from sandbox_pool.provider import (
    COMPILED_SUFFIXES,
    OutputCallback,
    check_sandbox,
)

log = logging.getLogger(__name__)

J = TypeVar("J", bound=JobMessage)
tracer = trace.get_tracer("paynto.sandbox_pool")
# The jobs that turn a person's prompt into a preview: their row's age when the preview is
# ready is ``paynto_prompt_to_preview_seconds``.
PROMPT_KINDS = frozenset({"generate", "clone", "ticket", "apply"})


@dataclass(frozen=True)
class Context:
    """What every job handler works with."""

    bus: Bus
    db: Database
    manager: SandboxManager


@dataclass(frozen=True)
class JobEvents:
    """Where one job's events go, and the job's row as its claim read it (what the generator
    stored on it included: only this delivery writes it meanwhile, so the job finishes from
    it without reading it again). ``answer`` tells the answers of one job apart (``""`` the
    first, ``":fix2"`` the second fix): each is applied as a version of its own, with events
    of its own."""

    bus: Bus
    claimed: Job
    answer: str = ""

    @property
    def job_id(self) -> str:
        return self.claimed.id

    async def publish(self, payload: Event, once: str | None = None) -> None:
        """Publish ``payload``; with a ``once`` key, a second publish of it (a redelivered
        job's) is dropped by the stream."""
        msg_id = (f"{payload.event}:{self.job_id}:{once}{self.answer}" if once is not None
                  else None)
        await self.bus.publish_event(self.job_id, payload, msg_id=msg_id)


class JobHandler(Generic[J]):
    """The handler of one kind of job. Every job starts by claiming its row: a delivery of a
    job that already ended (a late redelivery) runs nothing, but ends the job's stream if the
    worker before died between ending the row and telling the stream."""

    # What the job's ``complete`` event holds (read back from its row for that).
    completed: ClassVar[type[Completed]] = Applied

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def __call__(self, req: J, attempt: int) -> None:
        # One span for the job's work, named for its kind ("apply", "install packages").
        name = re.sub(r"(?<!^)(?=[A-Z])", " ", type(self).__name__.removesuffix("Job")).lower()
        with tracer.start_as_current_span(name, attributes=job_attributes(req.job_id,
                                                                          req.project_id)):
            # The row's attempts count the generator's deliveries of a model job: left as
            # they are.
            claimed = await self.ctx.db.claim_job(req.job_id, user_id=req.user_id)
            if claimed is None:
                await self.ended(req)
                await end_stream(self.ctx.bus, self.ctx.db, req.job_id, self.completed)
                return
            await self.run(req, self.events(req, claimed))

    def events(self, req: J, claimed: Job) -> JobEvents:
        return JobEvents(self.ctx.bus, claimed)

    async def ended(self, req: J) -> None:
        """Told of a delivery of the job after it ended."""

    async def run(self, req: J, events: JobEvents) -> None:
        raise NotImplementedError


async def start_sandbox(ctx: Context, events: JobEvents, project_id: str,
                        files: dict[str, str], version: int | None) -> Live:
    """A sandbox for a project that has none running here, holding ``files``; tells the
    client when this replaces one that went away (nothing to click, nothing lost)."""
    lost = ctx.manager.take_lost(project_id)
    if lost is not None and files:
        SANDBOX_RECOVERIES.inc()
        what = f"version {version}" if version is not None else "your files"
        await events.publish(Status(
            message=f"the sandbox had stopped ({lost}); restoring {what} into a new one",
            recovered=True,
        ), once="recovered")
    else:
        await events.publish(Status(message="starting a sandbox"))
    live, warm = await ctx.manager.obtain(project_id, files, version)
    log.info("job %s: project %s in %s sandbox %s", events.job_id, project_id,
             "warm" if warm else "new", live.sandbox_id)
    return live


async def start_from(ctx: Context, events: JobEvents, project_id: str,
                     latest: Version | None) -> Live:
    """A sandbox for a project that has none running here, holding its ``latest`` version."""
    return await start_sandbox(ctx, events, project_id, latest.files if latest else {},
                               latest.number if latest else None)


@traced("npm install")
async def install(events: JobEvents, live: Live, names: list[str]) -> list[str]:
    """Install ``names`` (valid package specs) into the sandbox, its output streamed to the
    client; return the packages that were not there before."""
    trace.get_current_span().set_attribute("paynto.packages", names[:50])
    started = time.perf_counter()
    outcome = "error"
    try:
        async with _install_output(events) as on_output:
            installed = await live.sandbox.ensure_packages(names, on_output)
        outcome = "ok"
    finally:
        PACKAGE_INSTALLS.labels(outcome).inc()
        PACKAGE_INSTALL_SECONDS.observe(time.perf_counter() - started)
    for name in installed:
        await events.publish(PackageInstalled(name=name), once=name)
    return installed


async def install_imports(events: JobEvents, live: Live, explicit: Iterable[str],
                          files: dict[str, str]) -> None:
    """Install the packages an answer asked for and those its code imports; a name that is
    not a valid package is skipped, with a warning."""
    wanted: list[str] = []
    for spec in [*explicit, *sorted(detect_imports(files))]:
        try:
            name = validate_package_name(spec)
        except ValueError as exc:
            await events.publish(Status(message=f"skipped package {spec!r}: {exc}",
                                        warning="bad_package"))
            continue
        if name not in wanted:
            wanted.append(name)
    if wanted:
        await install(events, live, wanted)


@traced("preview check")
async def check_preview(events: JobEvents, live: Live, changed: Iterable[str],
                        render: bool = False) -> list[PreviewError]:
    """Compile what the job wrote, now, and tell the client what does not compile (as
    ``preview_error`` events, before ``complete``): no browser needs to be watching. With
    ``render``, when everything compiles, render the app once and report what it throws."""
    code = [p for p in sorted(changed) if p.endswith(COMPILED_SUFFIXES)]
    errors: list[PreviewError] = []
    compiled, thrown = await check_sandbox(live.sandbox, code, render=render)
    for raw in compiled:
        plugin = raw.get("plugin")
        error = PreviewError(kind="compile", path=str(raw.get("path", "")),
                             message=str(raw.get("message", ""))[:2000],
                             plugin=plugin if isinstance(plugin, str) else None)
        await events.publish(error, once=f"compile:{error.path}")
        errors.append(error)
    if thrown is not None:
        error = PreviewError(kind="runtime", path=thrown["path"], message=thrown["message"])
        await events.publish(error, once="runtime")
        errors.append(error)
    trace.get_current_span().set_attributes({"paynto.preview.files": len(code),
                                             "paynto.preview.errors": len(errors)})
    return errors


async def finish(ctx: Context, events: JobEvents, live: Live, result: Applied) -> None:
    """Show the preview, store ``result`` in the job's row (beside what the generator keeps
    there: its model work) and complete the job with it."""
    await events.publish(PreviewReady(preview_url=live.preview_url), once="")
    job = events.claimed
    row = read_result(job.result, GenerateResult)
    kept = GenerateResult.model_validate({**row.model_dump(), **result.wire()})
    ended = await ctx.db.set_job_status(job.id, JobStatus.COMPLETE, result=stored(kept))
    # Counted only when this completed it (not a job cancelled meanwhile).
    if job.kind in PROMPT_KINDS and ended is not None and ended.status == JobStatus.COMPLETE:
        PROMPT_TO_PREVIEW.observe(since(job.created_at))
    await events.publish(result, once="")
    if result.version is not None:
        # A project linked to a git remote gets the version pushed, in the background.
        try:
            await request_sync(ctx.db, ctx.bus, job.project_id)
        except Exception:
            log.exception("could not ask git-sync to push project %s", job.project_id)


@contextlib.asynccontextmanager
async def _install_output(events: JobEvents) -> AsyncIterator[OutputCallback]:
    """A callback streaming install output lines to the job as ``status`` events."""
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    async def pump() -> None:
        while (line := await lines.get()) is not None:
            await events.publish(Status(message=line, stage="install"))

    def on_output(line: str) -> None:
        if line.strip():
            lines.put_nowait(line[:500])

    task = asyncio.create_task(pump())
    try:
        yield on_output
    finally:
        lines.put_nowait(None)
        with contextlib.suppress(Exception):
            await task
