"""The build job: proves a stored version builds for production (``vite build``), as a batch
checks each clone.

The build runs once, in a throwaway workspace of its own (never the project's sandbox, so any
replica may run it), under the same bubblewrap jail as a local sandbox's dev server: the
version's code is untrusted, and a production build runs it too (Tailwind's ``@plugin`` loads
JavaScript the model's CSS names). So: no network, a read-only system, only the workspace
writable, the shared ``node_modules`` mounted read-only, and the sandbox's limits on processes,
memory, file size, ``/tmp`` and the workspace's size, within a time limit.

A build that fails is a *completed* job (``ok`` false, its errors in ``output``): the check ran.
A job fails only when the check cannot run (no such version, no jail here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import shutil
import signal
import stat
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from opentelemetry import trace

from paynto_common.db import JobStatus, Version
from paynto_common.errors import PermanentJobError
from paynto_common.messages import BuildRequest, Built, Status, stored
from paynto_common.packages import detect_imports, runnable_project
from paynto_common.safety.paths import UnsafePathError, confine
from sandbox_pool import versions
from sandbox_pool.jobs.steps import Context, JobEvents, JobHandler
from sandbox_pool.local import LocalProvider
from sandbox_pool.local.jail import Jail
from sandbox_pool.node_modules import NodeModulesCache, NodeModulesError
from sandbox_pool.provider import SandboxUnavailableError
from sandbox_pool.resource_limits import MB, workspace_bytes

__all__ = ["BuildJob", "BuildOutcome", "Builder", "DistRefused", "build_version", "read_dist"]

log = logging.getLogger(__name__)
tracer = trace.get_tracer("paynto.sandbox_pool")

# node_modules is a read-only mount: Vite's default config loader writes a bundled copy of the
# config into node_modules/.vite-temp, so the config is imported as it is instead.
VITE_BUILD = ["node", "node_modules/vite/bin/vite.js", "build", "--configLoader", "native"]
# How much of the build's output is kept while it runs (its end is what tells why it failed).
_KEEP_BYTES = 64 * 1024
# Node's stack frames: host paths of Vite's internals, nothing about the site. The last one
# may open the error's inspected properties ("at … {", indented lines, "}"), dropped with it.
_INSPECTED_RE = re.compile(r"^[ \t]+at \S.* \{\n(?:[ \t]+.*\n)*?\}[ \t]*\n?", re.MULTILINE)
_FRAME_RE = re.compile(r"^[ \t]+at \S.*\n?", re.MULTILINE)
_ERROR_HEADER = "error during build:"
_ERROR_COUNT_RE = re.compile(r"^Build failed with \d+ errors?:$")


# What a publish keeps of a build's dist/ at most: a site bigger than this is refused.
DIST_MAX_BYTES = 50 * MB
DIST_MAX_FILES = 2000


class DistRefused(Exception):
    """The build's ``dist/`` cannot be published: missing, or more than a publish may keep."""


@dataclass(frozen=True)
class BuildOutcome:
    """How a build went: ``output`` is the tail of what it printed, ending with why it failed
    when it did; ``dist`` the built files (path → bytes) when they were asked for and it
    passed."""

    ok: bool
    seconds: float
    output: str
    dist: dict[str, bytes] | None = None


class Builder:
    """Runs ``vite build`` on a project's files, each time in a fresh workspace under ``root``
    (removed afterwards), jailed by ``jail`` with the ``node_modules`` of ``node_modules``.

    ``timeout`` bounds the build itself (seconds); ``tail_chars`` how much of its output the
    outcome keeps.
    """

    def __init__(self, root: Path, node_modules: NodeModulesCache, jail: Jail, *,
                 timeout: float = 120.0, tail_chars: int = 4000) -> None:
        self.root = Path(os.path.abspath(root))
        self.node_modules = node_modules
        self.jail = jail
        self.timeout = timeout
        self.tail_chars = tail_chars

    @classmethod
    def of(cls, provider: LocalProvider, timeout: float = 120.0) -> Builder:
        """A builder with the local provider's jail and ``node_modules``, its workspaces under
        the provider's root (hidden from every sandbox, and left alone by its reclaim)."""
        return cls(provider.root / ".builds", provider.node_modules, provider.jail,
                   timeout=timeout)

    def packages(self, files: Mapping[str, str]) -> tuple[str, ...]:
        """The packages beyond the template's that the code imports, as the sandbox installs
        them (an apply's ``install_imports``)."""
        return self.node_modules.normalize_extra(detect_imports(dict(files)))

    async def build(self, files: Mapping[str, str], extra: Iterable[str] = (), *,
                    keep_dist: bool = False) -> BuildOutcome:
        """Build ``files`` (a version's: path → text) over the template, with the template's
        packages plus ``extra`` installed from the shared cache.

        With ``keep_dist`` the site is built with relative asset URLs (``--base ./``, so it
        can be served under any path) and its ``dist/`` is read into the outcome: regular
        files only (a link the build made is never followed out of the workspace), within
        ``DIST_MAX_FILES`` and ``DIST_MAX_BYTES`` (DistRefused otherwise).

        Raises UnsafePathError for a path that may not be written (nothing runs then) and
        SandboxUnavailableError when the jail cannot sandbox here.
        """
        extras = self.node_modules.normalize_extra(extra)
        await self.jail.check()
        try:
            entry = await self.node_modules.ensure(extras)
        except NodeModulesError as exc:
            # What `npm install && vite build` would stop at too: the copy does not build.
            return BuildOutcome(False, 0.0, self._tail(
                f"{exc}\ncould not install {', '.join(extras)} for the build"))
        await asyncio.to_thread(self.sweep)
        workspace = self.root / secrets.token_hex(8)
        cgroup = f"build-{workspace.name}"
        try:
            await asyncio.to_thread(_lay_out, workspace, files)
            outcome = await self._run(workspace, entry / "node_modules", cgroup,
                                      ["--base", "./"] if keep_dist else [])
            if keep_dist and outcome.ok:
                dist = await asyncio.to_thread(read_dist, workspace / "dist")
                return BuildOutcome(outcome.ok, outcome.seconds, outcome.output, dist)
            return outcome
        finally:
            # Whatever the build left running goes first, so nothing writes while it is removed.
            await asyncio.to_thread(self.jail.cgroups.remove, cgroup)
            await asyncio.to_thread(shutil.rmtree, workspace, True)

    def sweep(self) -> list[str]:
        """Remove the workspaces a dead process left behind: older than any build may run
        (they are made after the packages are installed, so only the build itself counts)."""
        if not self.root.is_dir():
            return []
        oldest = time.time() - (self.timeout + 300)
        removed = []
        for folder in self.root.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if folder.stat().st_mtime < oldest:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder.name)
        if removed:
            log.info("removed %d build workspace(s) left behind", len(removed))
        return removed

    async def _run(self, workspace: Path, node_modules: Path, cgroup: str,
                   options: list[str]) -> BuildOutcome:
        argv = self.jail.argv(workspace, node_modules, [*VITE_BUILD, *options], cgroup=cgroup)
        # A production build: React's production bundle, the site served from "/".
        env = {**self.jail.env(workspace, "/"), "NODE_ENV": "production", "NO_COLOR": "1"}
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own group: a Ctrl-C meant for the service does not reach the build, and the
            # whole wrapper chain is killed at once (the jailed node dies with bwrap).
            start_new_session=True,
        )
        kept = bytearray()
        reader = asyncio.create_task(_read(proc, kept))
        watchdog = asyncio.create_task(self._watch_disk(workspace, proc))
        stopped: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                await reader
                await proc.wait()
        except TimeoutError:
            stopped = f"vite build did not finish within {self.timeout:g} s"
        finally:
            if proc.returncode is None:
                _kill(proc)
                await proc.wait()
            watchdog.cancel()
            over_quota = await _settled(watchdog)
            reader.cancel()
            await _settled(reader)
        seconds = round(time.monotonic() - started, 2)
        if over_quota:
            stopped = (f"the build wrote more than {self.jail.limits.disk_mb} MB into its "
                       "workspace and was stopped")
        text = kept.decode("utf-8", "replace")
        # Host paths tell the client nothing and show how this machine is laid out.
        text = text.replace(f"{workspace}/", "").replace(str(workspace), ".")
        text = _FRAME_RE.sub("", _INSPECTED_RE.sub("", text)).rstrip()
        ok = stopped is None and proc.returncode == 0
        if not ok:
            text += "\n" + (stopped or _failure_line(text, proc.returncode))
        log.info("build in %s: %s in %.2fs", workspace.name, "ok" if ok else "failed", seconds)
        return BuildOutcome(ok, seconds, self._tail(text))

    async def _watch_disk(self, workspace: Path, proc: asyncio.subprocess.Process,
                          every: float = 1.0) -> bool:
        """Kill the build when its workspace grows past the sandbox's quota; True if it did."""
        quota = self.jail.limits.disk_mb * MB
        while proc.returncode is None:
            if await asyncio.to_thread(workspace_bytes, workspace) > quota:
                _kill(proc)
                return True
            await asyncio.sleep(every)
        return False

    def _tail(self, text: str) -> str:
        return text[-self.tail_chars:]


class BuildJob(JobHandler[BuildRequest]):
    """Handles ``jobs.sandbox.build``: ``vite build`` on a version (the latest by default),
    jailed as the local provider's sandboxes are, within ``timeout`` seconds."""

    def __init__(self, ctx: Context, timeout: float = 120.0) -> None:
        super().__init__(ctx)
        provider = ctx.manager.provider
        # Hosted providers offer no way to run a one-off command in their sandboxes, so the
        # build runs here, and only a local provider's jail (checked at start) may hold it.
        self.builder = Builder.of(provider, timeout) if isinstance(provider, LocalProvider) \
            else None

    async def run(self, req: BuildRequest, events: JobEvents) -> None:
        ctx = self.ctx
        if self.builder is None:
            raise PermanentJobError(
                "build checks run in a local (bubblewrap) sandbox, and this sandbox pool "
                f"drives {ctx.manager.provider.name} sandboxes")
        version = await _version(ctx, req)
        outcome = await build_version(self.builder, version, events)
        result = Built(version=version.number, ok=outcome.ok, seconds=outcome.seconds,
                       output=outcome.output)
        await ctx.db.set_job_status(req.job_id, JobStatus.COMPLETE, result=stored(result))
        await events.publish(result, once="")


async def build_version(builder: Builder, version: Version, events: JobEvents, *,
                        keep_dist: bool = False, purpose: str = "") -> BuildOutcome:
    """Build ``version`` (telling the job's client what is installed and built, in a
    ``vite build`` span): a build check, or a publish's build (``keep_dist``). A build that
    cannot run at all (an unsafe path, no jail here, a ``dist/`` that may not be published)
    is a PermanentJobError; one that fails is an outcome."""
    extra = builder.packages(version.files)
    if extra:
        await events.publish(Status(message=f"installing {', '.join(extra)} for the build"),
                             once="installing")
    await events.publish(Status(message=f"building version {version.number}{purpose}"),
                         once="building")
    try:
        with tracer.start_as_current_span("vite build", attributes={
                "paynto.version": version.number, "paynto.packages": list(extra[:50])}) as span:
            outcome = await builder.build(version.files, extra, keep_dist=keep_dist)
            span.set_attributes({"paynto.build.ok": outcome.ok,
                                 "paynto.build.files": len(outcome.dist or {})})
    except (UnsafePathError, DistRefused) as exc:
        raise PermanentJobError(f"version {version.number}: {exc}") from exc
    except SandboxUnavailableError as exc:
        raise PermanentJobError(str(exc)) from exc
    return outcome


async def _version(ctx: Context, req: BuildRequest) -> Version:
    if req.version is None:
        latest = await ctx.db.latest_version(req.project_id)
        if latest is None:
            raise PermanentJobError(f"project {req.project_id} has no version to build yet")
        return latest
    numbered = await versions.numbered(ctx.db, req.project_id, req.version)
    if numbered is None:
        raise PermanentJobError(f"project {req.project_id} has no version {req.version}")
    return numbered


def _lay_out(workspace: Path, files: Mapping[str, str]) -> None:
    """The version's files over the template in a new ``workspace``; every path of the
    version checked first (the template's own are trusted)."""
    workspace.parent.mkdir(parents=True, exist_ok=True)
    workspace.mkdir()
    for rel in files:
        confine(workspace, rel)
    for rel, text in runnable_project(dict(files)).items():
        target = workspace / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    # The mount point of the shared node_modules.
    (workspace / "node_modules").mkdir()
    # Its own git root, as a sandbox's workspace is: inside a checkout that ignores the data
    # folder, Tailwind's scanner would otherwise scan node_modules.
    (workspace / ".git").mkdir()


def read_dist(dist: Path) -> dict[str, bytes]:
    """The built site's files (path relative to ``dist`` → bytes): regular files only, read
    without following links (the build ran untrusted code, which may have left a link to a
    host file), within the publish limits."""
    found: dict[str, bytes] = {}
    total = 0
    if not dist.is_dir() or dist.is_symlink():
        raise DistRefused("the build wrote no dist/ folder")
    for folder, dirs, names in os.walk(dist, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in names:
            path = os.path.join(folder, name)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue  # a link, or gone
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    continue
                data = handle.read(DIST_MAX_BYTES - total + 1)
            total += len(data)
            if total > DIST_MAX_BYTES or len(found) >= DIST_MAX_FILES:
                raise DistRefused(f"the built site is larger than a publish may be "
                                   f"({DIST_MAX_FILES} files, {DIST_MAX_BYTES // MB} MB)")
            found[os.path.relpath(path, dist).replace(os.sep, "/")] = data
    if "index.html" not in found:
        raise DistRefused("the build wrote no dist/index.html")
    return found


async def _read(proc: asyncio.subprocess.Process, kept: bytearray) -> None:
    """Keep the last ``_KEEP_BYTES`` of the process's output in ``kept``."""
    assert proc.stdout is not None
    while chunk := await proc.stdout.read(65536):
        kept += chunk
        if len(kept) > _KEEP_BYTES:
            del kept[:-_KEEP_BYTES]


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _settled(task: asyncio.Task[bool] | asyncio.Task[None]) -> bool:
    """A cancelled or finished helper task's result (False when it had none)."""
    with contextlib.suppress(asyncio.CancelledError, Exception):
        return bool(await task)
    return False


def _failure_line(text: str, code: int | None) -> str:
    """One line saying why the build failed: its first error, when Vite named one."""
    lines = text.splitlines()
    if _ERROR_HEADER in lines:
        for line in lines[lines.index(_ERROR_HEADER) + 1:]:
            if line.strip() and not _ERROR_COUNT_RE.match(line.strip()):
                return f"vite build failed: {line.strip()}"
    return f"vite build failed (exit code {code})"
