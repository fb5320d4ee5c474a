"""Hosted sandboxes on Vercel Sandbox, driven through the ``vercel-sandbox`` SDK.

Each sandbox is a Vercel Sandbox (its own microVM, which is the isolation: no bubblewrap here)
created with port 5173 exposed. Its working directory ``/vercel/sandbox`` receives the site
template and our ``serve.mjs`` in one upload, then ``npm install``; the dev server is
``node serve.mjs tcp:5173`` with ``PAYNTO_BASE`` set to the base path, and the preview proxy
reaches it at the route Vercel gives that port (``https://<subdomain>.vercel.run``).

Vercel names a sandbox and runs it in *sessions*. Every operation here is pinned to the session
the sandbox was created (or found) with: the SDK's sandbox-level calls would quietly resume a
stopped sandbox in a new session, with a fresh file system and no dev server, which the pool
must instead learn about as :class:`SandboxGoneError` so it restores the project elsewhere.
A session that ran out of time answers HTTP 410 (or ``sandbox_stopped``); a deleted sandbox
answers 404; both become :class:`SandboxGoneError`.

The remote id is the sandbox's Vercel name.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import math
import subprocess
import time
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any, cast

import httpx
import httpx2
from vercel.errors import VercelError
from vercel.sandbox import (
    Process,
    Sandbox,
    SandboxApiError,
    SandboxClient,
    SandboxCredentials,
    SandboxFilesystemWriteError,
    SandboxPathNotFoundError,
    SandboxResources,
    SandboxRuntimeSession,
    SandboxServiceOptions,
    SandboxStatus,
    SandboxStreamError,
    TextReader,
)

from paynto_common.packages import package_name, template_files, validate_package_name
from paynto_common.safety.paths import UnsafePathError, is_forbidden
from sandbox_pool.provider import (
    LOG_LINES,
    SERVE_MJS,
    Alive,
    OutputCallback,
    SandboxError,
    SandboxGoneError,
    SandboxStartError,
    SandboxUnavailableError,
    check_sandbox_args,
)
from sandbox_pool.writeorder import order_for_write

__all__ = ["DEV_PORT", "WORKDIR", "VercelProvider", "VercelSandbox"]

log = logging.getLogger(__name__)

DEV_PORT = 5173
WORKDIR = "/vercel/sandbox"
INSTALL_FLAGS = ("--ignore-scripts", "--no-audit", "--no-fund")
# The packages installed on top of the template, kept in the sandbox so a process that reattaches
# (connect) knows them. The model cannot write it: ``.paynto*`` paths are refused.
PACKAGES_FILE = ".paynto-packages.json"
_SERVER_COMMAND = "node"
_SERVER_ARGS = ["serve.mjs", f"tcp:{DEV_PORT}"]
# One upload request carries at most this much; a bigger write is split, still in write order.
_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# API error codes that mean the sandbox (or its session) is no more.
_GONE_CODES = frozenset({"sandbox_stopped", "sandbox_stopping", "not_found", "sandbox_not_found"})
# The SDK's code for a dropped stream, which says nothing about the sandbox itself.
_STREAM_CLOSED = "sandbox_stream_closed"
# Added to every extension: the session's start time is Vercel's clock, ours may differ a little.
_KEEP_ALIVE_MARGIN = 15.0


def _is_gone(exc: BaseException) -> bool:
    """Whether an SDK error says the sandbox or its session no longer exists."""
    if isinstance(exc, SandboxFilesystemWriteError):
        cause: BaseException = exc.cause
        return _is_gone(cause)
    if isinstance(exc, SandboxApiError):
        if exc.code == _STREAM_CLOSED:
            return False
        return exc.status_code in (404, 410) or exc.code in _GONE_CODES
    if isinstance(exc, SandboxStreamError):
        return exc.code in _GONE_CODES
    return False


@contextlib.contextmanager
def _sdk_errors(what: str) -> Iterator[None]:
    """Turn the SDK's errors into the provider's: gone, or a plain SandboxError."""
    try:
        yield
    except SandboxError:
        raise
    except (VercelError, httpx2.HTTPError) as exc:
        if _is_gone(exc):
            raise SandboxGoneError(f"{what}: the Vercel sandbox is gone ({exc})") from exc
        raise SandboxError(f"{what}: {exc}") from exc


def _canonical(rel: str) -> str:
    """``rel`` checked (UnsafePathError) and written without empty or ``.`` components."""
    reason = is_forbidden(rel)
    if reason is not None:
        raise UnsafePathError(rel, reason)
    return "/".join(p for p in rel.split("/") if p not in ("", "."))


class VercelProvider:
    """Makes sandboxes on Vercel Sandbox.

    ``token``, ``team_id`` and ``project_id`` are the credentials (a Vercel access token, the
    team that owns the project, the project the sandboxes belong to); without all three
    :meth:`check` raises SandboxUnavailableError. ``api_url`` replaces the SDK's default API base
    URL (``https://vercel.com/api``), e.g. with a fake's. ``timeout`` is each sandbox's time limit
    in seconds from creation (extended by ``keep_alive``); ``image``, ``vcpus`` and ``region``
    go to Vercel as given (None: Vercel's defaults; the SDK reads ``VERCEL_REGION`` when
    ``region`` is None). ``start_timeout`` bounds the wait for a dev server to answer,
    ``install_timeout`` an ``npm install``, ``stop_grace`` a dev server's exit after SIGTERM.
    ``max_connections`` caps the SDK's connection pool: every running dev server keeps one
    connection open following its output.
    """

    name = "vercel"

    def __init__(
        self,
        *,
        token: str | None,
        team_id: str | None,
        project_id: str | None,
        api_url: str | None = None,
        timeout: float = 1800.0,
        image: str | None = None,
        vcpus: int | None = None,
        region: str | None = None,
        start_timeout: float = 120.0,
        install_timeout: float = 600.0,
        stop_grace: float = 5.0,
        max_connections: int = 1000,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.project_id = project_id
        self.api_url = api_url
        self.timeout = timeout
        self.image = image
        self.vcpus = vcpus
        self.region = region
        self.start_timeout = start_timeout
        self.install_timeout = install_timeout
        self.stop_grace = stop_grace
        self.max_connections = max_connections
        self._client: SandboxClient | None = None
        self._http: httpx.AsyncClient | None = None
        self._checked = False
        self._sandboxes: set[VercelSandbox] = set()

    # ----- clients -----

    async def _credentials(self) -> SandboxCredentials:
        if not (self.token and self.team_id and self.project_id):
            raise SandboxUnavailableError("Vercel Sandbox credentials are not configured")
        return SandboxCredentials(
            token=self.token, team_id=self.team_id, project_id=self.project_id
        )

    @property
    def client(self) -> SandboxClient:
        """The SDK client (built on first use; building it does no I/O)."""
        if self._client is None:
            options = SandboxServiceOptions(
                base_url=self.api_url,
                credentials_factory=self._credentials,
                region=self.region,
            )
            limits = httpx2.Limits(max_connections=self.max_connections)
            self._client = SandboxClient.create(
                options=options,
                httpx_client_factory=lambda: httpx2.AsyncClient(
                    timeout=httpx2.Timeout(60.0), limits=limits
                ),
            )
        return self._client

    def probe_client(self) -> httpx.AsyncClient:
        """One kept client for dev-server probes (a new client builds an SSL context each time)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        return self._http

    # ----- the protocol -----

    async def check(self) -> None:
        """Raise SandboxUnavailableError unless credentials are set and Vercel accepts them.

        The first successful check lists one sandbox of the project; later calls are free.
        """
        missing = [
            label
            for label, value in (
                ("token (VERCEL_TOKEN)", self.token),
                ("team id (VERCEL_TEAM_ID)", self.team_id),
                ("project id (VERCEL_PROJECT_ID)", self.project_id),
            )
            if not value
        ]
        if missing:
            raise SandboxUnavailableError(
                f"Vercel Sandbox is not configured: missing {', '.join(missing)}"
            )
        if self._checked:
            return
        where = self.api_url or "Vercel's Sandbox API"
        try:
            found = cast(AsyncGenerator[Any, None], self.client.query_sandboxes(page_size=1))
            async with contextlib.aclosing(found):
                await anext(found, None)
        except SandboxApiError as exc:
            if exc.status_code in (401, 403):
                raise SandboxUnavailableError(
                    f"{where} refused the configured credentials: {exc}"
                ) from exc
            raise SandboxUnavailableError(f"{where} answered {exc}") from exc
        except (VercelError, httpx2.HTTPError, OSError) as exc:
            raise SandboxUnavailableError(f"cannot reach {where}: {exc}") from exc
        self._checked = True

    async def prepare(self) -> None:
        """Nothing to prepare: each sandbox installs its packages in its own microVM."""

    async def reclaim(self, alive: Alive) -> list[str]:
        """Nothing to reclaim: a sandbox nobody keeps alive reaches its time limit."""
        return []

    async def create(self, sandbox_id: str, base_path: str) -> VercelSandbox:
        """A new Vercel sandbox with the template uploaded and its packages installed."""
        check_sandbox_args(sandbox_id, base_path)
        await self.check()
        started = time.monotonic()
        with _sdk_errors("create a Vercel sandbox"):
            box = await self.client.create_sandbox(
                ports=[DEV_PORT],
                execution_time_limit=self.timeout,
                # The pool restores projects from its own store; a snapshot on stop would only
                # cost storage.
                persistent=False,
                image=self.image,
                resources=None if self.vcpus is None else SandboxResources(vcpus=self.vcpus),
            )
        sandbox: VercelSandbox | None = None
        try:
            sandbox = VercelSandbox(self, sandbox_id, base_path, box)
            files = [(rel, text.encode()) for rel, text in template_files().items()]
            files.append(("serve.mjs", SERVE_MJS.read_bytes()))
            await sandbox._upload(files)
            code, tail = await sandbox._run(
                "npm", ["install", *INSTALL_FLAGS], sandbox._add_log, self.install_timeout
            )
            if code != 0:
                raise SandboxError(
                    f"npm install in Vercel sandbox {box.name} exited with code {code}:\n"
                    + "\n".join(tail)
                )
        except BaseException:
            # Nothing may keep running (and costing) for a sandbox nobody holds.
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    sandbox.destroy() if sandbox is not None else _discard(box)
                )
            raise
        log.info("vercel sandbox %s (%s) created in %.1fs", sandbox_id, box.name,
                 time.monotonic() - started)
        return sandbox

    async def connect(
        self, sandbox_id: str, remote_id: str | None, base_path: str
    ) -> VercelSandbox:
        """Find the Vercel sandbox named ``remote_id``; raise SandboxGoneError unless its
        session still runs. A dev server it runs is adopted (its output followed again)."""
        if not remote_id:
            raise SandboxGoneError(f"sandbox {sandbox_id} has no Vercel sandbox name to find")
        await self.check()
        with _sdk_errors(f"find Vercel sandbox {remote_id}"):
            box = await self.client.get_sandbox(name=remote_id)
        session = box.current_session
        if session is None or session.status != SandboxStatus.RUNNING:
            status = box.status if session is None else session.status
            raise SandboxGoneError(f"Vercel sandbox {remote_id} is {status}")
        sandbox = VercelSandbox(self, sandbox_id, base_path, box)
        await sandbox._reattach()
        return sandbox

    async def aclose(self) -> None:
        """Stop following dev-server output and close the clients; sandboxes keep running."""
        for sandbox in list(self._sandboxes):
            await sandbox._forget_server(linger=0)
        self._sandboxes.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None


async def _discard(box: Sandbox) -> None:
    with contextlib.suppress(VercelError, httpx2.HTTPError):
        await box.stop()
    with contextlib.suppress(VercelError, httpx2.HTTPError):
        await box.destroy(delete_orphan_snapshots=True)


async def _read_lines(reader: TextReader, emit: OutputCallback) -> None:
    try:
        while line := await reader.readline():
            emit(line.rstrip("\n").rstrip("\r"))
    finally:
        await reader.aclose()


class VercelSandbox:
    """One Vercel sandbox and, once started, its dev server. Made by
    :meth:`VercelProvider.create` or :meth:`VercelProvider.connect`."""

    def __init__(
        self, provider: VercelProvider, sandbox_id: str, base_path: str, box: Sandbox
    ) -> None:
        session = box.current_session
        if session is None:
            raise SandboxError(f"Vercel sandbox {box.name} came back without a session")
        route = next((r for r in box.routes if r.port == DEV_PORT), None)
        if route is None:
            raise SandboxError(f"Vercel sandbox {box.name} exposes no route for port {DEV_PORT}")
        self.provider = provider
        self.id = sandbox_id
        self.base_path = base_path
        self.on_log: OutputCallback | None = None
        self.extra_packages: list[str] = []
        self._box = box
        self._session: SandboxRuntimeSession = session
        self._endpoint = route.url if "://" in route.url else f"https://{route.url}"
        self._log: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self._server: Process | None = None
        self._follower: asyncio.Task[None] | None = None
        self._life_lock = asyncio.Lock()
        provider._sandboxes.add(self)

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def remote_id(self) -> str | None:
        return self._box.name

    def logs(self) -> list[str]:
        """The dev server's last output lines (at most 200)."""
        return list(self._log)

    # ----- files -----

    async def write_files(self, files: Mapping[str, str]) -> list[str]:
        """Upload ``files`` (relative path → text) in as few requests as possible, leaf modules
        first; return the paths written. One unsafe path raises UnsafePathError before any
        request is made."""
        canonical: dict[str, str] = {}
        for rel, text in files.items():
            if not isinstance(text, str):
                raise TypeError(f"content of {rel!r} must be str, not {type(text).__name__}")
            canonical[_canonical(rel)] = text
        order = order_for_write(canonical)
        await self._upload([(rel, canonical[rel].encode()) for rel in order])
        return order

    async def _upload(self, files: list[tuple[str, bytes]]) -> None:
        """Write ``files`` under the working directory, in order: one gzipped tar per request."""
        batches: list[list[tuple[str, bytes]]] = []
        size = _MAX_UPLOAD_BYTES
        for rel, data in files:
            if size + len(data) > _MAX_UPLOAD_BYTES and (not batches or batches[-1]):
                batches.append([])
                size = 0
            batches[-1].append((rel, data))
            size += len(data)
        for batch in batches:
            with _sdk_errors(f"write files to Vercel sandbox {self._box.name}"):
                async with self._session.fs.batch(cwd=WORKDIR) as upload:
                    for rel, data in batch:
                        upload.write_bytes(rel, data)

    # ----- commands -----

    async def _run(
        self, command: str, args: list[str], emit: OutputCallback | None, timeout: float
    ) -> tuple[int, list[str]]:
        """Run a command to its end, passing its output lines to ``emit``; return its exit code
        and last lines. Vercel kills it after ``timeout`` seconds."""
        tail: collections.deque[str] = collections.deque(maxlen=40)

        def line(text: str) -> None:
            tail.append(text)
            if emit is not None:
                emit(text)

        what = f"run {command} in Vercel sandbox {self._box.name}"
        with _sdk_errors(what):
            proc = await self._session.create_process(
                command, args, cwd=WORKDIR, kill_after=timeout,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            assert proc.stdout is not None
            try:
                # The service kills it at ``timeout``; the margin covers the answer's way back.
                async with asyncio.timeout(timeout + 60):
                    await _read_lines(proc.stdout, line)
                    code = await proc.wait()
            except TimeoutError:
                with contextlib.suppress(VercelError, httpx2.HTTPError):
                    await proc.kill()
                raise SandboxError(f"{what}: no end after {timeout:.0f} s") from None
        return code, list(tail)

    def _add_log(self, line: str) -> None:
        self._log.append(line)
        log.debug("sandbox %s: %s", self.id, line)
        if self.on_log is not None:
            self.on_log(line)

    # ----- dev server -----

    def _server_running(self) -> bool:
        return self._follower is not None and not self._follower.done()

    def _follow(self, proc: Process) -> None:
        """Keep the dev server's handle and follow its output into the log."""
        self._server = proc
        readers = [r for r in (proc.stdout, proc.stderr) if r is not None]

        async def follow() -> None:
            results = await asyncio.gather(
                *(_read_lines(r, self._add_log) for r in readers), return_exceptions=True
            )
            for result in results:
                if isinstance(result, Exception):
                    # The stream ends this way when the session stops; the server is gone.
                    log.debug("sandbox %s: server output ended: %r", self.id, result)

        self._follower = asyncio.create_task(follow(), name=f"vercel-follow-{self.id}")

    async def _reattach(self) -> None:
        """After connect: adopt a running dev server and learn the packages installed."""
        with _sdk_errors(f"list commands of Vercel sandbox {self._box.name}"):
            procs = await self._session.query_processes()
        servers = [
            p for p in procs
            if p.name == _SERVER_COMMAND and list(p.args) == _SERVER_ARGS and p.returncode is None
        ]
        if servers:
            self._follow(max(servers, key=lambda p: p.started_at))
        raw = await self._read_optional(PACKAGES_FILE)
        with contextlib.suppress(ValueError):
            names = json.loads(raw or b"[]")
            if isinstance(names, list):
                self.extra_packages = [validate_package_name(str(n)) for n in names]

    async def start(self) -> None:
        """Start the dev server if it is not running; return once it answers ``base_path``."""
        async with self._life_lock:
            if self._server_running():
                return
            # A server whose output we lost may still hold the port: end it first.
            await self._stop_server()
            await self._spawn()

    async def restart(self) -> None:
        """Stop the dev server if it runs and start it again."""
        async with self._life_lock:
            await self._stop_server()
            await self._spawn()

    async def stop(self) -> None:
        """Stop the dev server; the files stay."""
        async with self._life_lock:
            await self._stop_server()

    async def _spawn(self) -> None:
        self._add_log(f"paynto: starting dev server in Vercel sandbox {self._box.name}")
        started = time.monotonic()
        with _sdk_errors(f"start the dev server in Vercel sandbox {self._box.name}"):
            proc = await self._session.create_process(
                _SERVER_COMMAND, _SERVER_ARGS, cwd=WORKDIR,
                env={"PAYNTO_BASE": self.base_path, "NODE_ENV": "development"},
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
        self._follow(proc)
        try:
            await self._wait_ready(started)
        except BaseException:
            with contextlib.suppress(SandboxError):
                await asyncio.shield(self._stop_server())
            raise
        log.info("sandbox %s ready in %.2fs", self.id, time.monotonic() - started)

    async def _wait_ready(self, started: float) -> None:
        """Poll ``base_path`` until it answers 200, the server exits, or time runs out."""
        assert self._follower is not None
        follower = self._follower
        deadline = started + self.provider.start_timeout
        url = self._endpoint.rstrip("/") + self.base_path
        client = self.provider.probe_client()
        delay = 0.05
        last = "no answer yet"
        while True:
            if follower.done():
                await self._raise_if_gone()
                raise SandboxStartError(
                    f"sandbox {self.id}: dev server exited before it answered",
                    self.logs()[-40:],
                )
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
                if response.status_code == 410:
                    await self._raise_if_gone()
            except httpx.HTTPError as exc:
                last = repr(exc)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxStartError(
                    f"sandbox {self.id}: dev server not ready after "
                    f"{self.provider.start_timeout:.0f} s ({last})",
                    self.logs()[-40:],
                )
            # Back off between probes, but notice at once when the server exits.
            await asyncio.wait([follower], timeout=min(delay, remaining))
            delay = min(delay * 2, 1.0)

    async def _raise_if_gone(self) -> None:
        with _sdk_errors(f"look up Vercel sandbox {self._box.name}"):
            await self._session.refresh()
        if self._session.status != SandboxStatus.RUNNING:
            raise SandboxGoneError(
                f"Vercel sandbox {self._box.name} is {self._session.status}"
            )

    async def _stop_server(self) -> None:
        """SIGTERM the dev server, SIGKILL it after the grace period; stop following it."""
        proc, self._server = self._server, None
        try:
            if proc is not None and proc.returncode is None:
                try:
                    await self._signal_and_wait(proc)
                except SandboxGoneError:
                    pass  # the sandbox went, and its server with it
        finally:
            await self._forget_server()

    async def _signal_and_wait(self, proc: Process) -> None:
        grace = self.provider.stop_grace
        with _sdk_errors(f"stop the dev server in Vercel sandbox {self._box.name}"):
            await proc.terminate()
            try:
                async with asyncio.timeout(grace):
                    await proc.wait()
                return
            except TimeoutError:
                log.warning("sandbox %s: dev server ignored SIGTERM; killing it", self.id)
            await proc.kill()
            try:
                async with asyncio.timeout(grace):
                    await proc.wait()
            except TimeoutError:
                log.warning("sandbox %s: no exit seen after SIGKILL", self.id)

    async def _forget_server(self, linger: float = 1.0) -> None:
        follower, self._follower = self._follower, None
        if follower is None:
            return
        if not follower.done() and linger > 0:
            # Its stream ends with the process; give it a moment to deliver the last lines.
            await asyncio.wait([follower], timeout=linger)
        if not follower.done():
            follower.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await follower

    async def destroy(self) -> None:
        """Stop the sandbox's session and delete the sandbox; already gone is fine."""
        async with self._life_lock:
            self._server = None
            self.provider._sandboxes.discard(self)
            try:
                with contextlib.suppress(SandboxGoneError):
                    with _sdk_errors(f"stop Vercel sandbox {self._box.name}"):
                        await self._session.stop()
            finally:
                # The stopped session ended the server's output stream.
                await self._forget_server()
            with contextlib.suppress(SandboxGoneError):
                with _sdk_errors(f"delete Vercel sandbox {self._box.name}"):
                    await self._box.destroy(delete_orphan_snapshots=True)

    async def alive(self) -> bool:
        """True when the dev server runs and answers ``base_path``; never raises."""
        try:
            if not self._server_running():
                return False
            url = self._endpoint.rstrip("/") + self.base_path
            response = await self.provider.probe_client().get(url, timeout=5.0)
            return response.status_code < 400
        except Exception:
            return False

    # ----- packages -----

    async def ensure_packages(
        self, names: Iterable[str], on_output: OutputCallback | None = None
    ) -> list[str]:
        """Install the packages of ``names`` that are not in ``node_modules`` yet; return their
        names. Every name is validated first (ValueError); a running dev server is restarted
        only when something was installed."""
        specs = [validate_package_name(name) for name in names]
        wanted = {package_name(spec): spec for spec in specs}
        if not wanted:
            return []
        present = await asyncio.gather(*(self._has_package(name) for name in wanted))
        missing = [name for name, has in zip(wanted, present, strict=True) if not has]
        if not missing:
            return []
        async with self._life_lock:
            # npm drops packages installed earlier with --no-save when it installs others, so
            # the earlier ones are named again.
            kept = [s for s in self.extra_packages if package_name(s) not in wanted]
            install = [*kept, *(wanted[name] for name in missing)]
            code, tail = await self._run(
                "npm", ["install", *INSTALL_FLAGS, "--no-save", *install], on_output,
                self.provider.install_timeout,
            )
            if code != 0:
                raise SandboxError(
                    f"npm install {' '.join(missing)} exited with code {code}:\n"
                    + "\n".join(tail)
                )
            self.extra_packages = install
            await self._upload([(PACKAGES_FILE, json.dumps(install).encode())])
            if self._server_running():
                log.info("sandbox %s: restarting with %s", self.id, ", ".join(missing))
                await self._stop_server()
                await self._spawn()
        return missing

    async def _has_package(self, name: str) -> bool:
        return await self._read_optional(f"node_modules/{name}/package.json") is not None

    async def _read_optional(self, rel: str) -> bytes | None:
        """The file at ``rel`` under the working directory, or None when there is none."""
        try:
            with _sdk_errors(f"read {rel} in Vercel sandbox {self._box.name}"):
                return await self._session.fs.read_bytes(rel, cwd=WORKDIR)
        except SandboxError as exc:
            if isinstance(exc.__cause__, SandboxPathNotFoundError):
                return None
            raise

    # ----- time -----

    async def keep_alive(self, seconds: float) -> None:
        """Make the session's time limit last at least ``seconds`` more.

        Vercel extends a limit by a duration; asking for the whole of ``seconds`` on every call
        would grow it without end, so only the shortfall (plus a margin for clock skew) is
        asked for, and nothing when enough time is left.
        """
        session = self._session
        limit = session.execution_time_limit
        started_at = session.started_at
        if limit is not None and started_at is not None:
            remaining = started_at / 1000 + limit.total_seconds() - time.time()
            shortfall = seconds + _KEEP_ALIVE_MARGIN - remaining
        else:
            shortfall = seconds
        if shortfall <= 0:
            return
        with _sdk_errors(f"extend Vercel sandbox {self._box.name}"):
            # The service refuses extensions shorter than a second.
            await session.extend_execution_time_limit(
                timedelta(seconds=max(1, math.ceil(shortfall)))
            )
