"""A local sandbox's dev server: one jailed Node process serving on a Unix socket.

The page and the HMR websocket are served on a Unix socket. The host binds that socket in a
folder the sandbox cannot see and hands the listening descriptor to Node (``serve.mjs fd:N``),
so sandboxed code can never swap the socket for a symlink to some other socket on the host:
whoever proxies to the socket always reaches this sandbox's server.

The server is watched from the host: ready once it printed its marker and answers its base path,
stopped when its workspace outgrows the quota, and on stop signalled directly (it is PID 1 of
its namespace: bwrap passes no signals on), then killed after a grace period.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from sandbox_pool.provider import LOG_LINES, SandboxStartError
from sandbox_pool.resource_limits import MB, workspace_bytes

log = logging.getLogger(__name__)

READY_MARKER = "PAYNTO_READY"
# Builds the jailed command line from the descriptors it must use: (listening socket, the
# pipe bwrap reports the child's pid on).
Command = Callable[[int, int], list[str]]


class DevServer:
    """The Vite server of one sandbox: started, watched until it answers, its output kept and
    handed to ``on_line``, stopped. ``disk_quota`` (bytes) bounds ``workspace`` while it runs;
    ``stop_grace`` is how long it gets to exit after SIGTERM before SIGKILL."""

    def __init__(self, name: str, socket_path: Path, base_path: str, workspace: Path, *,
                 disk_quota: int, stop_grace: float, on_line: Callable[[str], None]) -> None:
        self.name = name
        self.socket_path = socket_path
        self.base_path = base_path
        self.workspace = workspace
        self.disk_quota = disk_quota
        self.stop_grace = stop_grace
        self.on_line = on_line
        self.proc: asyncio.subprocess.Process | None = None
        # The server's pid as the host sees it (bwrap's child), to signal it directly.
        self.child_pid: int | None = None
        self.lines: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self._reader: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._ready_seen = asyncio.Event()

    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def http_client(self, timeout: float = 30.0) -> httpx.AsyncClient:
        """An HTTP client whose requests reach the server (Host: localhost)."""
        # No TLS on a Unix socket: no SSL context to build.
        transport = httpx.AsyncHTTPTransport(uds=str(self.socket_path), verify=False)
        return httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=timeout)

    async def start(self, command: Command, env: dict[str, str], timeout: float,
                    what: str) -> None:
        """Run ``command`` on a freshly bound socket; return once it answers ``base_path``,
        else stop it and raise SandboxStartError with its last output lines."""
        listener = await asyncio.to_thread(_bind_socket, self.socket_path)
        info_r, info_w = os.pipe()
        spawned = False
        try:
            argv = command(listener.fileno(), info_w)
            self._ready_seen = asyncio.Event()
            self.lines.append(f"paynto: starting sandbox {self.name} ({what})")
            started = time.monotonic()
            self.proc = await asyncio.create_subprocess_exec(
                *argv,
                env=env,
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
        self._reader = asyncio.create_task(self._read_output(self.proc))
        self._watchdog = asyncio.create_task(self._watch_disk(self.proc))
        try:
            info = await asyncio.to_thread(_read_to_eof, info_r)
            self.child_pid = _child_pid(info)
            await self._wait_ready(started, timeout)
        except BaseException:
            await self.stop()
            raise
        log.info("sandbox %s ready in %.2fs", self.name, time.monotonic() - started)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period; reap the process and its reader."""
        proc = self.proc
        if proc is None:
            return
        if proc.returncode is None:
            # Node runs as PID 1 of the sandbox's namespace; signal it directly, since bwrap
            # does not pass signals on (a signal to bwrap kills the sandbox without cleanup).
            target = self.child_pid or proc.pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGTERM)
            try:
                async with asyncio.timeout(self.stop_grace):
                    await proc.wait()
            except TimeoutError:
                log.warning("sandbox %s ignored SIGTERM; killing it", self.name)
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
        self.proc = None
        self.child_pid = None
        self._reader = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)

    async def _wait_ready(self, started: float, timeout: float) -> None:
        assert self.proc is not None
        proc = self.proc
        deadline = started + timeout

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
                        f"sandbox {self.name}: server exited with code {proc.returncode} "
                        "before it was ready",
                        list(self.lines)[-40:],
                    )
                await self._wait_http(proc)
        except TimeoutError:
            raise SandboxStartError(
                f"sandbox {self.name}: server not ready after {timeout:.0f} s",
                list(self.lines)[-40:],
            ) from None

    async def _wait_http(self, proc: asyncio.subprocess.Process) -> None:
        delay = 0.01
        last = ""
        async with self.http_client(timeout=10.0) as client:
            while True:
                if proc.returncode is not None:
                    await self._drain_reader()
                    raise SandboxStartError(
                        f"sandbox {self.name}: server exited with code {proc.returncode}",
                        list(self.lines)[-40:],
                    )
                try:
                    response = await client.get(self.base_path)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                log.debug("sandbox %s not answering yet: %s", self.name, last)
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
                self._add_line(raw)
            if len(pending) > 65536:
                # A very long line without a newline: keep it bounded.
                self._add_line(pending)
                pending = b""
        if pending:
            self._add_line(pending)

    def _add_line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if line == READY_MARKER:
            self._ready_seen.set()
        self.lines.append(line)
        log.debug("sandbox %s: %s", self.name, line)
        self.on_line(line)

    async def _watch_disk(self, proc: asyncio.subprocess.Process, every: float = 1.0) -> None:
        """Stop the server when the workspace grows past its quota (sandboxed code can write
        there; a restored sandbox gets the project's files back without the junk)."""
        while proc.returncode is None:
            used = await asyncio.to_thread(workspace_bytes, self.workspace)
            if used > self.disk_quota:
                message = (f"paynto: the workspace holds {used // MB} MB, over its "
                           f"{self.disk_quota // MB} MB quota: stopping the server")
                log.warning("sandbox %s: %s", self.name, message)
                self.lines.append(message)
                for pid in {self.child_pid or proc.pid, proc.pid}:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                return
            await asyncio.sleep(every)

    async def _drain_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await asyncio.shield(self._reader)


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
