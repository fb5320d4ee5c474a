"""E2B sandboxes: a Firecracker VM per project, driven with the ``e2b`` SDK's ``AsyncSandbox``.

The VM is the isolation: inside it the dev server runs plainly (``node serve.mjs tcp:5173``) and
E2B publishes the port at ``https://<port>-<sandbox id>.<domain>`` (``get_host``), which the
gateway's preview proxy connects to.

A sandbox is created from an E2B template (``base`` by default), gets the site template and our
``serve.mjs`` in one batched upload, and runs ``npm install`` unless the template was built with
the dependencies already in place (``template_has_deps``). E2B ends a sandbox when its timeout
passes; the pool extends it with :meth:`E2BSandbox.keep_alive`. Every E2B answer that means the
sandbox is gone ("not found", "not running", HTTP 404/410 for the sandbox) becomes
:class:`~sandbox_pool.provider.SandboxGoneError`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import shlex
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx
from e2b import AsyncSandbox
from e2b.exceptions import (
    AuthenticationException,
    NotFoundException,
    SandboxException,
    SandboxNotFoundException,
    SandboxNotRunningException,
    ServiceBusyException,
    is_sandbox_not_found_message,
)
from e2b.sandbox.commands.command_handle import CommandExitException
from e2b.sandbox_async.commands.command_handle import AsyncCommandHandle

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

__all__ = ["DEFAULT_PREVIEW_URL", "E2BProvider", "E2BSandbox"]

log = logging.getLogger(__name__)

PORT = 5173
"""The port the dev server listens on inside the VM."""
DEFAULT_PREVIEW_URL = "https://{host}"
"""How a preview URL is built from ``get_host(PORT)``: E2B serves every public port over TLS."""
# Template files put back before every start: sandboxed code can change any file in the VM, and
# these decide what the dev server runs.
RUNTIME_FILES = ("package.json", "vite.config.js")
_SERVER_MARK = f"serve.mjs tcp:{PORT}"


def _is_gone(exc: BaseException) -> bool:
    if isinstance(exc, SandboxNotFoundException | SandboxNotRunningException):
        return True
    # Control-plane errors carry the HTTP status; envd's own 404 (a missing file) carries none.
    return isinstance(exc, SandboxException) and getattr(exc, "status_code", None) in (404, 410)


@contextlib.contextmanager
def _sdk_errors(remote_id: str | None, what: str, *, can_be_gone: bool = True) -> Iterator[None]:
    """Turn the SDK's exceptions into ours: gone → SandboxGoneError, others → SandboxError.

    ``can_be_gone=False`` where a 404 names something else (an unknown template on create).
    """
    try:
        yield
    except (SandboxError, UnsafePathError, ValueError):
        raise
    except (SandboxException, AuthenticationException, ServiceBusyException, httpx.HTTPError,
            OSError) as exc:
        if can_be_gone and _is_gone(exc):
            raise SandboxGoneError(f"E2B sandbox {remote_id} is gone ({what}): {exc}") from exc
        raise SandboxError(f"E2B sandbox {remote_id}: {what} failed: {exc}") from exc


class _Lines:
    """Joins the SDK's output chunks into whole lines for a callback."""

    def __init__(self, emit: OutputCallback) -> None:
        self._emit = emit
        self._pending = ""

    def feed(self, chunk: str) -> None:
        *lines, self._pending = (self._pending + chunk).split("\n")
        for line in lines:
            self._emit(line.rstrip("\r"))

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            self._emit(line.rstrip("\r"))


class E2BProvider:
    """Creates E2B sandboxes.

    ``api_key`` authenticates (None: :meth:`check` refuses). ``template`` is the E2B template
    sandboxes start from; it needs Node 20.19+ (Vite 8). ``template_has_deps`` says the template
    already holds the site template's ``node_modules`` in ``workdir``, so creating a sandbox skips
    ``npm install``. ``domain``, ``api_url`` and ``sandbox_url`` reach a non-default E2B (a
    self-hosted one, or a fake): left None, the SDK's own defaults and ``E2B_*`` variables apply.
    ``preview_url`` builds a sandbox's endpoint from ``{host}`` (``get_host(5173)``); ``{port}``
    and ``{sandbox_id}`` (E2B's id) are there too. ``sandbox_timeout`` is how long a sandbox lives
    without :meth:`E2BSandbox.keep_alive`; ``start_timeout`` bounds the wait for a dev server,
    ``install_timeout`` one ``npm install``.
    """

    name = "e2b"

    def __init__(
        self,
        api_key: str | None,
        *,
        template: str = "base",
        template_has_deps: bool = False,
        domain: str | None = None,
        api_url: str | None = None,
        sandbox_url: str | None = None,
        preview_url: str = DEFAULT_PREVIEW_URL,
        sandbox_timeout: int = 900,
        workdir: str = "/home/user/app",
        start_timeout: float = 90.0,
        install_timeout: float = 300.0,
        request_timeout: float | None = None,
    ) -> None:
        self.api_key = api_key
        self.template = template
        self.template_has_deps = template_has_deps
        self.domain = domain
        self.api_url = api_url
        self.sandbox_url = sandbox_url
        try:
            preview_url.format(host="h", port=PORT, sandbox_id="s")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"bad preview URL template {preview_url!r}: use {{host}}, {{port}}, {{sandbox_id}}"
            ) from exc
        self.preview_url = preview_url
        self.sandbox_timeout = sandbox_timeout
        self.workdir = workdir.rstrip("/")
        self.start_timeout = start_timeout
        self.install_timeout = install_timeout
        self.request_timeout = request_timeout

    def sdk_options(self) -> dict[str, Any]:
        """The connection options every SDK call gets."""
        options: dict[str, Any] = {"api_key": self.api_key, "debug": False}
        for key, value in (("domain", self.domain), ("api_url", self.api_url),
                           ("sandbox_url", self.sandbox_url),
                           ("request_timeout", self.request_timeout)):
            if value is not None:
                options[key] = value
        return options

    async def check(self) -> None:
        """Raise SandboxUnavailableError without an API key, or when E2B refuses it."""
        if not self.api_key:
            raise SandboxUnavailableError(
                "no E2B API key configured (E2B_API_KEY); cannot create E2B sandboxes"
            )
        try:
            await AsyncSandbox.list(limit=1, **self.sdk_options()).next_items()
        except AuthenticationException as exc:
            raise SandboxUnavailableError(f"E2B refused the API key: {exc}") from exc
        except Exception as exc:  # whatever the SDK or its transport raises: E2B is not usable
            raise SandboxUnavailableError(f"cannot reach E2B: {exc}") from exc

    async def prepare(self) -> None:
        """Nothing to prepare: each sandbox installs its packages in its own VM."""

    async def reclaim(self, alive: Alive) -> list[str]:
        """Nothing to reclaim: a sandbox nobody keeps alive reaches its E2B timeout."""
        return []

    async def create(self, sandbox_id: str, base_path: str) -> E2BSandbox:
        """A new E2B sandbox holding the site template in ``workdir``, dependencies installed."""
        check_sandbox_args(sandbox_id, base_path)
        if not self.api_key:
            raise SandboxUnavailableError("no E2B API key configured (E2B_API_KEY)")
        started = time.monotonic()
        with _sdk_errors(None, f"create from template {self.template!r}", can_be_gone=False):
            box = await AsyncSandbox.create(
                template=self.template,
                timeout=self.sandbox_timeout,
                metadata={"paynto_sandbox": sandbox_id},
                **self.sdk_options(),
            )
        sandbox = E2BSandbox(self, sandbox_id, base_path, box)
        try:
            files = {**template_files(), "serve.mjs": SERVE_MJS.read_text()}
            await sandbox._upload(files, "upload the template")
            if not self.template_has_deps:
                await sandbox._npm(["npm", "install", "--ignore-scripts", "--no-audit",
                                    "--no-fund"], None)
        except BaseException:
            with contextlib.suppress(Exception):
                await sandbox.destroy()
            raise
        log.info("e2b sandbox %s (%s) created in %.2fs", sandbox_id, box.sandbox_id,
                 time.monotonic() - started)
        return sandbox

    async def connect(
        self, sandbox_id: str, remote_id: str | None, base_path: str
    ) -> E2BSandbox:
        """Reattach to E2B sandbox ``remote_id`` (and to its dev server if it runs); raise
        SandboxGoneError when E2B no longer has it."""
        if not remote_id:
            raise SandboxGoneError(f"sandbox {sandbox_id} has no E2B id to reconnect to")
        if not self.api_key:
            raise SandboxUnavailableError("no E2B API key configured (E2B_API_KEY)")
        with _sdk_errors(remote_id, "connect"):
            box = await AsyncSandbox.connect(
                remote_id, timeout=self.sandbox_timeout, **self.sdk_options()
            )
        sandbox = E2BSandbox(self, sandbox_id, base_path, box)
        await sandbox._reattach()
        return sandbox

    async def aclose(self) -> None:
        """Nothing to release: the SDK's connection pools are its own, sandboxes stay."""


class E2BSandbox:
    """One E2B sandbox and, while started, its dev server (a background command)."""

    def __init__(
        self, provider: E2BProvider, sandbox_id: str, base_path: str, box: AsyncSandbox
    ) -> None:
        self.provider = provider
        self.id = sandbox_id
        self.base_path = base_path
        self.on_log: OutputCallback | None = None
        self.extra_packages: list[str] = []
        """Package specs installed on top of the template, kept so a later install keeps them."""
        self._box = box
        self._server: AsyncCommandHandle[Any] | None = None
        self._log: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self._lock = asyncio.Lock()
        self._destroyed = False
        self._endpoint = provider.preview_url.format(
            host=box.get_host(PORT), port=PORT, sandbox_id=box.sandbox_id
        )

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def remote_id(self) -> str | None:
        return self._box.sandbox_id

    def logs(self) -> list[str]:
        """The dev server's last output lines (at most 200)."""
        return list(self._log)

    def _path(self, rel: str) -> str:
        return f"{self.provider.workdir}/{rel}"

    def _check_usable(self) -> None:
        if self._destroyed:
            raise SandboxGoneError(f"E2B sandbox {self.remote_id} was destroyed")

    # ----- files -----

    async def write_files(self, files: Mapping[str, str]) -> list[str]:
        """Write ``files`` in one upload, leaf modules first; return the paths in write order.

        Every path is checked before anything is sent: one unsafe path raises UnsafePathError.
        """
        canonical: dict[str, str] = {}
        for rel, text in files.items():
            reason = is_forbidden(rel)
            if reason is not None:
                raise UnsafePathError(rel, reason)
            canonical["/".join(p for p in rel.split("/") if p not in ("", "."))] = text
        self._check_usable()
        order = order_for_write(canonical)
        await self._upload({rel: canonical[rel] for rel in order}, "write files")
        return order

    async def _upload(self, files: Mapping[str, str], what: str) -> None:
        if not files:
            return
        entries: list[Any] = [{"path": self._path(rel), "data": text}
                              for rel, text in files.items()]
        with _sdk_errors(self.remote_id, what):
            # One multipart request; envd writes its parts in order.
            await self._box.files.write_files(entries)

    # ----- the dev server -----

    def _server_running(self) -> bool:
        return self._server is not None and self._server.exit_code is None

    def _add_log(self, line: str) -> None:
        self._log.append(line)
        log.debug("e2b sandbox %s: %s", self.id, line)
        if self.on_log is not None:
            self.on_log(line)

    async def start(self) -> None:
        """Start the dev server unless it runs; return once it answers ``base_path`` with 200."""
        self._check_usable()
        async with self._lock:
            if self._server_running():
                return
            await self._spawn()

    async def restart(self) -> None:
        """Stop the dev server if it runs and start it again."""
        self._check_usable()
        async with self._lock:
            await self._stop_server()
            await self._spawn()

    async def stop(self) -> None:
        """Stop the dev server; the files stay."""
        async with self._lock:
            await self._stop_server()

    async def _spawn(self) -> None:
        started = time.monotonic()
        template = template_files()
        runtime = {name: template[name] for name in RUNTIME_FILES}
        await self._upload({**runtime, "serve.mjs": SERVE_MJS.read_text()}, "restore runtime files")
        out, err = _Lines(self._add_log), _Lines(self._add_log)
        with _sdk_errors(self.remote_id, "start the dev server"):
            # exec: the command is node itself (not a shell around it), so a kill reaches it.
            self._server = await self._box.commands.run(
                f"exec node serve.mjs tcp:{PORT}",
                background=True,
                cwd=self.provider.workdir,
                envs={"PAYNTO_BASE": self.base_path, "NODE_ENV": "development"},
                on_stdout=out.feed,
                on_stderr=err.feed,
                timeout=0,
            )
        try:
            await self._wait_ready(started)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._stop_server()
            raise
        log.info("e2b sandbox %s ready in %.2fs", self.id, time.monotonic() - started)

    async def _wait_ready(self, started: float) -> None:
        server = self._server
        assert server is not None
        deadline = started + self.provider.start_timeout
        delay = 0.05
        last = ""
        async with httpx.AsyncClient(timeout=10.0) as client:
            while True:
                if server.exit_code is not None:
                    raise SandboxStartError(
                        f"e2b sandbox {self.id}: server exited with code {server.exit_code} "
                        "before it was ready",
                        self.logs()[-40:],
                    )
                try:
                    response = await client.get(self.endpoint.rstrip("/") + self.base_path)
                    if response.status_code == 200:
                        return
                    if response.status_code == 502 and is_sandbox_not_found_message(
                        response.text
                    ):
                        # E2B's proxy: the whole sandbox is gone, not just slow to listen.
                        raise SandboxGoneError(
                            f"E2B sandbox {self.remote_id} is gone (dev server start)"
                        )
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                if time.monotonic() >= deadline:
                    raise SandboxStartError(
                        f"e2b sandbox {self.id}: server not ready after "
                        f"{self.provider.start_timeout:.0f} s ({last})",
                        self.logs()[-40:],
                    )
                # Between polls of a server that is still starting; grows to 0.5 s.
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)

    async def _stop_server(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        try:
            if server.exit_code is None:
                with _sdk_errors(self.remote_id, "stop the dev server"):
                    await server.kill()
                # The end event arrives on the stream; a lost stream ends the wait too.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(10):
                        await server.wait()
        finally:
            await server.disconnect()

    async def _reattach(self) -> None:
        """Follow a dev server left running by whoever held this sandbox before."""
        with _sdk_errors(self.remote_id, "list processes"):
            processes = await self._box.commands.list()
        for process in processes:
            if _SERVER_MARK not in " ".join(process.args):
                continue
            if process.envs.get("PAYNTO_BASE") != self.base_path:
                # It serves some other prefix: useless here, and it holds the port.
                with _sdk_errors(self.remote_id, "stop a stale server"):
                    await self._box.commands.kill(process.pid)
                continue
            out, err = _Lines(self._add_log), _Lines(self._add_log)
            with _sdk_errors(self.remote_id, "reattach to the dev server"):
                self._server = await self._box.commands.connect(
                    process.pid, timeout=0, on_stdout=out.feed, on_stderr=err.feed
                )

    async def alive(self) -> bool:
        """True when the dev server answers ``base_path`` with 200; never raises."""
        if self._destroyed:
            return False
        if self._server is not None and self._server.exit_code is not None:
            return False
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                response = await client.get(self.endpoint.rstrip("/") + self.base_path)
        except Exception:
            return False
        return response.status_code == 200

    async def destroy(self) -> None:
        """Kill the sandbox: E2B stops the VM and its billing."""
        if self._destroyed:
            return
        self._destroyed = True
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(Exception):
                await server.disconnect()
        with contextlib.suppress(SandboxGoneError), _sdk_errors(self.remote_id, "kill"):
            # False when E2B had already ended it: gone either way.
            await self._box.kill()

    # ----- packages -----

    async def _npm(self, argv: list[str], on_output: OutputCallback | None) -> None:
        lines: collections.deque[str] = collections.deque(maxlen=40)

        def emit(line: str) -> None:
            lines.append(line)
            if on_output is not None:
                on_output(line)

        out, err = _Lines(emit), _Lines(emit)
        command = shlex.join(argv)
        with _sdk_errors(self.remote_id, command):
            handle = await self._box.commands.run(
                command,
                background=True,
                cwd=self.provider.workdir,
                on_stdout=out.feed,
                on_stderr=err.feed,
                timeout=self.provider.install_timeout,
            )
            try:
                await handle.wait()
            except CommandExitException as exc:
                out.flush()
                err.flush()
                tail = "\n".join(lines)
                raise SandboxError(
                    f"e2b sandbox {self.id}: {command} exited with code {exc.exit_code}\n{tail}"
                ) from exc
        out.flush()
        err.flush()

    async def _has_package(self, name: str) -> bool:
        with _sdk_errors(self.remote_id, f"look for {name}"):
            try:
                await self._box.files.read(self._path(f"node_modules/{name}/package.json"))
            except NotFoundException as exc:
                if _is_gone(exc):
                    raise
                return False
        return True

    async def ensure_packages(
        self, names: Iterable[str], on_output: OutputCallback | None = None
    ) -> list[str]:
        """Install the packages not in ``node_modules`` yet; return their names.

        Every name is validated before anything runs (ValueError otherwise). Installs use
        ``--ignore-scripts --no-save``; their output lines go to ``on_output``. A running dev
        server is restarted only when something was installed.
        """
        specs = list(dict.fromkeys(validate_package_name(name) for name in names))
        self._check_usable()
        missing = [spec for spec in specs if not await self._has_package(package_name(spec))]
        if not missing:
            return []
        async with self._lock:
            known = {package_name(spec) for spec in missing}
            kept = [spec for spec in self.extra_packages if package_name(spec) not in known]
            # npm prunes packages that package.json does not list, so the earlier --no-save
            # installs are named again or they would vanish.
            await self._npm(["npm", "install", "--ignore-scripts", "--no-save", "--no-audit",
                             "--no-fund", *kept, *missing], on_output)
            self.extra_packages = [*kept, *missing]
            if self._server_running():
                log.info("e2b sandbox %s: restarting after installing %s", self.id,
                         ", ".join(missing))
                await self._stop_server()
                await self._spawn()
        return [package_name(spec) for spec in missing]

    async def keep_alive(self, seconds: float) -> None:
        """Make E2B keep the sandbox for ``seconds`` from now (``set_timeout``)."""
        self._check_usable()
        with _sdk_errors(self.remote_id, "set_timeout"):
            await self._box.set_timeout(max(1, math.ceil(seconds)))
