"""Apply and sandbox jobs: model output → checked files → stored version → live preview.

Redelivery-safe: the version is keyed by the job id (a second delivery reuses it), files are
rewritten idempotently, and terminal events carry message ids so the stream keeps one copy.

A job runs on the replica that owns its project's sandbox (``SandboxManager.place``); the
replica that received it forwards it there when that is another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from paynto_common import kanban
from paynto_common.bus import Bus, Delivery, PermanentJobError
from paynto_common.db import Database, Job, JobStatus, TicketState, Version
from paynto_common.edits import Edit, EditError, apply_edits, parse_edits, without_edits
from paynto_common.messages import (
    ApplyRequest,
    CreateSandboxRequest,
    GenerateRequest,
    InstallPackagesRequest,
    JobMessage,
    SandboxCommandRequest,
    project_channel,
)
from paynto_common.packages import detect_imports, template_files, validate_package_name
from paynto_common.safety.paths import UnsafePathError, is_forbidden
from paynto_common.tagged import parse_response
from sandbox_pool.forward import Forwarder
from sandbox_pool.manager import Live, SandboxManager
from sandbox_pool.provider import (
    COMPILED_SUFFIXES,
    SandboxGoneError,
    compile_errors,
    render_error,
)
from sandbox_pool.writeorder import missing_local_imports, placeholder_module

log = logging.getLogger(__name__)

# Which answer of its job the apply in this task handles ("" the first, ":fixN" a fix): an
# event published once per answer carries it in its message id.
_ANSWER: contextvars.ContextVar[str] = contextvars.ContextVar("answer", default="")


class SandboxHandler:
    def __init__(self, bus: Bus, db: Database, manager: SandboxManager) -> None:
        self.bus = bus
        self.db = db
        self.manager = manager
        self.forwarder = Forwarder(bus, manager.registry, self.run)
        self._relays: set[asyncio.Task[int]] = set()
        manager.on_preview_error = self._relay_preview_error

    def _relay_preview_error(self, project_id: str, error: dict[str, Any]) -> None:
        """A live preview's error, onto the project's channel (GET /api/projects/{id}/events)."""
        task = asyncio.get_running_loop().create_task(
            self.bus.publish_event(project_channel(project_id), "preview_error", error))
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)

    async def __call__(self, delivery: Delivery) -> None:
        await self.route(delivery.subject, delivery.data, delivery.headers)

    async def route(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        """Run the job here, or on the replica that owns the project's sandbox."""
        job = _parse(JobMessage, data)
        acquire = True
        if subject == self.bus.subjects.sandbox_command:
            # Reading logs or killing needs no sandbox where there is none.
            acquire = _parse(SandboxCommandRequest, data).command == "restart"
        owner = await self.manager.place(job.project_id, acquire)
        if owner is None or owner == self.manager.replica_id:
            await self.run(subject, data, headers)
        else:
            await self.forwarder.forward(owner, subject, data, headers)

    async def run(self, subject: str, data: bytes, _headers: dict[str, str]) -> None:
        if subject == self.bus.subjects.apply:
            await self.apply(_parse(ApplyRequest, data))
        elif subject == self.bus.subjects.sandbox_create:
            await self.create(_parse(CreateSandboxRequest, data))
        elif subject == self.bus.subjects.sandbox_command:
            await self.command(_parse(SandboxCommandRequest, data))
        elif subject == self.bus.subjects.install:
            await self.install(_parse(InstallPackagesRequest, data))
        else:
            raise PermanentJobError(f"the sandbox pool has no job called {subject}")

    async def _restore(self, job_id: str, project_id: str, files: dict[str, str],
                       version: int | None) -> Live:
        """A sandbox for a project that has none running here, holding ``files``; tells the
        client when this replaces one that went away (nothing to click, nothing lost)."""
        lost = self.manager.take_lost(project_id)
        if lost is not None and files:
            what = f"version {version}" if version is not None else "your files"
            await self._event(job_id, "status", {
                "message": f"the sandbox had stopped ({lost}); restoring {what} into a new one",
                "recovered": True,
            }, once_key="recovered")
        else:
            await self._event(job_id, "status", {"message": "starting a sandbox"})
        live, warm = await self.manager.obtain(project_id, files, version)
        log.info("job %s: project %s in %s sandbox %s", job_id, project_id,
                 "warm" if warm else "new", live.sandbox_id)
        return live

    async def _start(self, job_id: str) -> bool:
        """Mark the job running, in one statement; False when it already ended (a
        redelivery after its result was stored)."""
        job = await self.db.set_job_status(job_id, JobStatus.RUNNING)
        if job is None:
            raise PermanentJobError(f"unknown job {job_id}")
        return job.status == JobStatus.RUNNING

    async def _event(
        self, job_id: str, event: str, data: dict[str, Any], once_key: str | None = None
    ) -> None:
        msg_id = (f"{event}:{job_id}:{once_key}{_ANSWER.get()}" if once_key is not None
                  else None)
        await self.bus.publish_event(job_id, event, data, msg_id=msg_id)

    async def apply(self, req: ApplyRequest) -> None:
        if req.restore_version is not None:
            await self.restore(req, req.restore_version)
            return
        token = _ANSWER.set(f":fix{req.fix_round}" if req.fix_round else "")
        try:
            await self._apply(req)
        finally:
            _ANSWER.reset(token)

    async def _apply(self, req: ApplyRequest) -> None:
        if not await self._start(req.job_id):
            if req.ticket_id:
                # The worker before may have died after finishing, before the board heard.
                await self._report_ticket(req)
            return
        job_id = req.job_id
        if req.ticket_id:
            await kanban.move_ticket(self.db, self.bus, req.ticket_id, TicketState.APPLYING)
        parsed = parse_response(without_edits(req.response))
        try:
            edits = parse_edits(req.response)
        except EditError as exc:
            raise PermanentJobError(f"refused the answer's edit of {exc}") from exc
        if not parsed.files and not edits:
            raise PermanentJobError("the answer holds no files (expected <file path=...> tags "
                                    "or <edit path=...> blocks)")
        for path in [f.path for f in parsed.files] + [e.path for e in edits]:
            reason = is_forbidden(path)
            if reason:
                log.warning("job %s: refused model path %r: %s", job_id, path, reason)
                raise PermanentJobError(f"refused unsafe path {path!r}: {reason}")
        for path in parsed.truncated:
            await self._event(
                job_id,
                "status",
                {
                    "message": f"{path} looks truncated (the answer was cut or elided code)",
                    "warning": "truncated",
                    "path": path,
                },
                once_key=f"truncated:{path}",
            )
        for command in parsed.commands:
            await self._event(
                job_id,
                "status",
                {
                    "message": "ignored a <command> from the model: commands are never run",
                    "warning": "command_ignored",
                    "command": command[:200],
                },
                # hash() differs between processes; a redelivery must find the same key.
                once_key="command:" + hashlib.sha256(command.encode()).hexdigest()[:16],
            )
        changed = {f.path: f.content for f in parsed.files}
        entry = _wire_app_entry(changed)
        if entry:
            await self._event(job_id, "status", {
                "message": f"wired {entry} into the app (the template starts from "
                           "src/main.jsx and src/App.jsx)",
            }, once_key="entry")
        async with self.manager.lock(req.project_id):
            reused = await self._version_of_job(req.version_key)
            if reused is not None:
                files = reused.files
                changed.update({e.path: files[e.path] for e in edits if e.path in files})
            else:
                latest = await self.db.latest_version(req.project_id)
                base = latest.files if latest else {}
                await self._apply_edits(job_id, base, edits, changed)
                files = {**base, **changed}
                placeholders = self._placeholders(files)
                for path in placeholders:
                    await self._event(job_id, "status", {
                        "message": f"{path} is imported but was not written: showing a "
                                   "placeholder there",
                        "warning": "missing_import", "path": path,
                    }, once_key=f"missing:{path}")
                changed.update(placeholders)
                files.update(placeholders)
            live = await self.manager.current(req.project_id)
            try:
                written: list[str] = []
                if live is not None:
                    try:
                        written = await live.sandbox.write_files(changed)
                    except SandboxGoneError as exc:
                        # Expired at its provider since the last look: restore it right away.
                        await self.manager.lose(req.project_id, f"it expired ({exc})")
                        live = None
                if live is None:
                    latest = await self.db.latest_version(req.project_id)
                    live = await self._restore(job_id, req.project_id, files,
                                               latest.number if latest else None)
                    written = list(changed)
            except UnsafePathError as exc:
                raise PermanentJobError(f"refused unsafe path: {exc}") from exc
            for path in written:
                await self._event(job_id, "file", {"path": path}, once_key=path)
            version = reused or await self._store_version(req, files)
            await self.manager.record_version(live, version.number)
            await self._packages(job_id, live, parsed.packages, files)
            if req.ticket_id:
                await kanban.move_ticket(self.db, self.bus, req.ticket_id, TicketState.CHECKING)
            # A change the fix loop may act on is also rendered once, to catch what throws.
            errors = await self._check_compiles(job_id, live, changed,
                                                render=req.autofix is not None)
        fixing, report = await self._next_fix(req, errors)
        if fixing:
            return  # the fix's apply finishes the job
        extra: dict[str, Any] = {"preview_errors": len(errors)}
        if errors:
            extra["problem"] = _problem(errors)
        if report:
            extra["autofix"] = report
        await self._finish(job_id, live, sorted(changed), version.number, **extra)
        if req.ticket_id:
            await self._report_ticket(req)

    async def _report_ticket(self, req: ApplyRequest) -> None:
        """Tell the board how a ticket's finished job ended, from its stored result (so a
        redelivery tells it the same; moving a ticket already moved is a no-op)."""
        async with self.db.session() as s:
            job = await s.get(Job, req.job_id)
        result = (job.result or {}) if job is not None else {}
        if job is None or job.status != JobStatus.COMPLETE or "version" not in result:
            return
        await kanban.ticket_finished(self.db, self.bus, req.ticket_id or "",
                                     version=int(result["version"]), error=result.get("problem"))

    async def _next_fix(self, req: ApplyRequest,
                        errors: list[dict[str, Any]]) -> tuple[bool, dict[str, Any]]:
        """Send what does not compile back to the model, within the job's bounds: True when a
        fix was asked for; else what the loop did (empty when it never ran)."""
        rounds = req.fix_round
        if not errors:
            return False, ({"rounds": rounds, "fixed": True} if rounds else {})
        if req.autofix is None:
            return False, {}
        bounds = req.autofix
        signature = error_signature(errors)
        async with self.db.session() as s:
            job = await s.get(Job, req.job_id)
        usage = ((job.result or {}).get("usage") or {}) if job else {}
        spent = int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
        stop = None
        if rounds >= bounds.max_rounds:
            stop = (f"gave up after {rounds} fix attempt{'s' if rounds != 1 else ''} "
                    "(AUTOFIX_ROUNDS)")
        elif rounds and signature == bounds.previous:
            stop = "the same error came back after a fix"
        elif bounds.token_budget and spent >= bounds.token_budget:
            stop = (f"the job's token budget is spent ({spent} of {bounds.token_budget} "
                    "tokens, AUTOFIX_TOKEN_BUDGET)")
        if stop is not None:
            await self._event(req.job_id, "status", {
                "message": f"auto-fix stopped: {stop}", "autofix_stopped": stop,
            }, once_key="autofix-stop")
            return False, {"rounds": rounds, "fixed": False, "stopped": stop}
        await self._event(req.job_id, "status", {
            "message": f"{len(errors)} error{'s' if len(errors) != 1 else ''} after the change; "
                       f"asking the model to fix {'it' if len(errors) == 1 else 'them'} "
                       f"(attempt {rounds + 1} of {bounds.max_rounds})",
            "autofix": rounds + 1,
        }, once_key="autofix")
        await self.bus.publish_job(self.bus.subjects.generate, GenerateRequest(
            job_id=req.job_id, project_id=req.project_id, user_id=req.user_id,
            prompt=(job.prompt if job else None) or "", ticket_id=req.ticket_id,
            fix_round=rounds + 1,
            errors=[{"kind": e.get("kind") or "compile", "path": e.get("path"),
                     "message": str(e.get("message", ""))[:2000]} for e in errors],
            autofix=bounds.model_copy(update={"previous": signature}),
        ), msg_id=f"fix:{req.job_id}:{rounds + 1}")
        return True, {}

    async def _apply_edits(self, job_id: str, base: dict[str, str], edits: list[Edit],
                           changed: dict[str, str]) -> None:
        """Add the edited files to ``changed``; a block that does not match exactly fails the
        whole job before anything is written."""
        try:
            edited = apply_edits(base, edits)
        except EditError as exc:
            raise PermanentJobError(f"could not apply the edit of {exc}") from exc
        for edit in edits:
            if edit.path in changed and changed[edit.path] != edited.get(edit.path):
                # The same answer also wrote the file whole: the whole file wins.
                continue
            changed[edit.path] = edited[edit.path]
            await self._event(job_id, "status", {
                "message": f"edited {edit.path} ({len(edit.blocks)} block"
                           f"{'s' if len(edit.blocks) != 1 else ''})",
                "edit": edit.path,
            }, once_key=f"edit:{edit.path}")

    async def restore(self, req: ApplyRequest, number: int) -> None:
        """Make stored version ``number`` the project's next version, exactly, in a fresh
        sandbox (so no file added since lingers in the preview)."""
        if not await self._start(req.job_id):
            return
        job_id = req.job_id
        async with self.manager.lock(req.project_id):
            async with self.db.session() as s:
                source = (await s.exec(select(Version).where(
                    Version.project_id == req.project_id, Version.number == number))).first()
            if source is None:
                raise PermanentJobError(f"project {req.project_id} has no version {number}")
            version = await self._version_of_job(job_id) or await self._store_version(
                req, dict(source.files), model=f"restored from version {number}")
            await self._event(job_id, "status", {
                "message": f"restoring version {number} as version {version.number}",
            }, once_key="restoring")
            if await self.manager.current(req.project_id) is not None:
                await self.manager.stop(req.project_id)
            self.manager.take_lost(req.project_id)
            live, _warm = await self.manager.obtain(req.project_id, version.files,
                                                     version.number)
            for path in sorted(version.files):
                await self._event(job_id, "file", {"path": path}, once_key=path)
            await self._packages(job_id, live, [], version.files)
            await self._check_compiles(job_id, live, version.files)
        await self._finish(job_id, live, sorted(version.files), version.number,
                           restored_from=number)

    async def create(self, req: CreateSandboxRequest) -> None:
        if not await self._start(req.job_id):
            return
        async with self.manager.lock(req.project_id):
            live = await self.manager.current(req.project_id)
            latest = await self.db.latest_version(req.project_id)
            if live is None:
                files = latest.files if latest else {}
                live = await self._restore(req.job_id, req.project_id, files,
                                           latest.number if latest else None)
                if latest:
                    await self._packages(req.job_id, live, [], files)
        await self._finish(
            req.job_id, live, [], latest.number if latest else None, sandbox_id=live.sandbox_id
        )

    async def command(self, req: SandboxCommandRequest) -> None:
        if not await self._start(req.job_id):
            return
        job_id = req.job_id
        async with self.manager.lock(req.project_id):
            live = await self.manager.current(req.project_id)
            if req.command == "logs":
                lines = live.sandbox.logs() if live else []
                result: dict[str, Any] = {
                    "running": live is not None, "lines": lines,
                    "errors": list(self.manager.preview_errors.get(req.project_id, ())),
                }
            elif req.command == "kill":
                result = {"stopped": await self.manager.stop(req.project_id)}
            else:  # restart: the dev server again, or a new sandbox from the latest version
                if live is None:
                    latest = await self.db.latest_version(req.project_id)
                    live = await self._restore(job_id, req.project_id,
                                               latest.files if latest else {},
                                               latest.number if latest else None)
                else:
                    await live.sandbox.restart()
                await self._event(job_id, "preview", {"preview_url": live.preview_url},
                                  once_key="")
                result = {"sandbox_id": live.sandbox_id, "preview_url": live.preview_url}
        await self.db.set_job_status(job_id, JobStatus.COMPLETE, result=result)
        await self._event(job_id, "complete", result, once_key="")

    async def install(self, req: InstallPackagesRequest) -> None:
        if not await self._start(req.job_id):
            return
        names: list[str] = []
        for spec in req.packages:
            try:
                names.append(validate_package_name(spec))
            except ValueError as exc:
                # Refuse the whole request before anything runs.
                raise PermanentJobError(f"refused package {spec!r}: {exc}") from exc
        async with self.manager.lock(req.project_id):
            latest = await self.db.latest_version(req.project_id)
            live = await self.manager.current(req.project_id)
            if live is None:
                files = latest.files if latest else {}
                live = await self._restore(req.job_id, req.project_id, files,
                                           latest.number if latest else None)
            await self._event(req.job_id, "status",
                              {"message": f"installing {', '.join(names)}"})
            async with self._install_output(req.job_id) as on_output:
                installed = await live.sandbox.ensure_packages(names, on_output)
            for name in installed:
                await self._event(req.job_id, "package", {"name": name}, once_key=name)
        await self._finish(req.job_id, live, [], latest.number if latest else None,
                           packages=names, installed=installed)

    @staticmethod
    def _placeholders(files: dict[str, str]) -> dict[str, str]:
        """Stand-ins for local modules the code imports but nobody wrote, so the preview
        shows what is missing instead of going blank on an import error."""
        missing = missing_local_imports({**template_files(), **files})
        return {path: placeholder_module(path, importer, names)
                for path, (importer, names) in missing.items()}

    async def _version_of_job(self, job_id: str) -> Version | None:
        async with self.db.session() as s:
            return (await s.exec(select(Version).where(Version.job_id == job_id))).first()

    async def _store_version(self, req: ApplyRequest, files: dict[str, str],
                             model: str | None = None) -> Version:
        latest = await self.db.latest_version(req.project_id)
        version = Version(
            project_id=req.project_id,
            number=(latest.number if latest else 0) + 1,
            job_id=req.version_key,
            files=files,
            model=model or req.model,
        )
        try:
            async with self.db.session() as s:
                s.add(version)
                await s.commit()
                await s.refresh(version)
        except IntegrityError:
            # Another delivery of this job stored it first.
            existing = await self._version_of_job(req.version_key)
            if existing is None:
                raise
            return existing
        return version

    async def _packages(
        self, job_id: str, live: Live, explicit: list[str], files: dict[str, str]
    ) -> None:
        wanted: list[str] = []
        for spec in [*explicit, *sorted(detect_imports(files))]:
            try:
                name = validate_package_name(spec)
            except ValueError as exc:
                await self._event(
                    job_id,
                    "status",
                    {
                        "message": f"skipped package {spec!r}: {exc}",
                        "warning": "bad_package",
                    },
                )
                continue
            if name not in wanted:
                wanted.append(name)
        if not wanted:
            return
        async with self._install_output(job_id) as on_output:
            installed = await live.sandbox.ensure_packages(wanted, on_output)
        for name in installed:
            await self._event(job_id, "package", {"name": name}, once_key=name)

    async def _check_compiles(self, job_id: str, live: Live, changed: dict[str, str],
                              render: bool = False) -> list[dict[str, Any]]:
        """Compile what the job wrote, now, and tell the client what does not compile (as
        ``preview_error`` events, before ``complete``): no browser needs to be watching. With
        ``render``, when everything compiles, render the app once and report what it throws."""
        code = [p for p in sorted(changed) if p.endswith(COMPILED_SUFFIXES)]
        errors = await compile_errors(live.sandbox, code)
        for error in errors:
            path = str(error.get("path", ""))
            await self._event(job_id, "preview_error", {
                "kind": "compile", "path": path,
                "message": str(error.get("message", ""))[:2000],
                "plugin": error.get("plugin"),
            }, once_key=f"compile:{path}")
        if not errors and render:
            thrown = await render_error(live.sandbox)
            if thrown is not None:
                await self._event(job_id, "preview_error", {
                    key: thrown[key] for key in ("kind", "path", "message")
                }, once_key="runtime")
                errors = [thrown]
        return errors

    @contextlib.asynccontextmanager
    async def _install_output(self, job_id: str) -> AsyncIterator[Any]:
        """A callback streaming install output lines to the job as ``status`` events."""
        lines: asyncio.Queue[str | None] = asyncio.Queue()

        async def pump() -> None:
            while (line := await lines.get()) is not None:
                await self._event(job_id, "status", {"message": line, "stage": "install"})

        task = asyncio.create_task(pump())
        try:
            yield lambda line: lines.put_nowait(line[:500]) if line.strip() else None
        finally:
            lines.put_nowait(None)
            with contextlib.suppress(Exception):
                await task

    async def _finish(
        self, job_id: str, live: Live, files: list[str], version: int | None, **extra: Any
    ) -> None:
        await self._event(job_id, "preview", {"preview_url": live.preview_url}, once_key="")
        result: dict[str, Any] = {"files": files, "preview_url": live.preview_url, **extra}
        if version is not None:
            result["version"] = version
        async with self.db.session() as s:
            job = await s.get(Job, job_id)
        # Keep what the generator recorded (token usage) beside the apply's result.
        stored = {**(job.result or {}), **result} if job else result
        await self.db.set_job_status(job_id, JobStatus.COMPLETE, result=stored)
        await self._event(job_id, "complete", result, once_key="")


# The template's index.html loads src/main.jsx, which imports ./App.jsx; a model may write
# either in TypeScript (or plain .js) instead.
_OTHER_ENTRIES = {
    "src/App.jsx": ("src/App.tsx", "src/App.ts", "src/App.js"),
    "src/main.jsx": ("src/main.tsx", "src/main.ts", "src/main.js"),
}


def _wire_app_entry(changed: dict[str, str]) -> str | None:
    """When the answer has an App or a main entry in another language but not the template's
    .jsx one, make the .jsx one lead to it (Vite compiles TS/TSX as is); return the entries
    wired, if any."""
    wired = []
    for template_entry, others in _OTHER_ENTRIES.items():
        if template_entry in changed:
            continue
        for entry in others:
            if entry in changed:
                name = entry.removeprefix("src/")
                changed[template_entry] = (
                    f"export {{ default }} from './{name}'\n" if template_entry.endswith("App.jsx")
                    else f"import './{name}'\n"
                )
                wired.append(entry)
                break
    return " and ".join(wired) or None


def _problem(errors: list[dict[str, Any]]) -> str:
    """What is wrong with an applied change, in a line."""
    thrown = [e for e in errors if e.get("kind") == "runtime"]
    if thrown:
        return f"the app throws when it renders: {thrown[0].get('message', '')}"[:500]
    paths = ", ".join(sorted({str(e.get("path")) for e in errors}))
    many = len(errors) != 1
    return f"{len(errors)} module{'s' if many else ''} {'do' if many else 'does'} not " \
           f"compile: {paths}"


def error_signature(errors: list[dict[str, Any]]) -> list[str]:
    """What a round's errors are, without line numbers (a fix that moves code moves them): the
    same signature twice means the fix did not help."""
    return sorted({f"{e.get('path')}: " + re.sub(r"\d+", "#", str(e.get("message", "")).strip()
                                                  .split("\n", 1)[0])[:300] for e in errors})


def _parse(model: type[Any], data: bytes) -> Any:
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise PermanentJobError(f"malformed job: {exc.errors()[0].get('msg', exc)}") from exc
