"""A loopback stand-in for E2B that the unmodified ``e2b`` SDK talks to.

``async with FakeE2B() as fake:`` serves, on one free 127.0.0.1 port (``fake.url``):

- the part of E2B's control-plane REST API the SDK uses to create, list, reconnect to, extend
  and kill sandboxes (``POST /v2/sandboxes``, ``GET /v2/sandboxes``,
  ``POST /v2/sandboxes/<id>/connect``, ``POST /sandboxes/<id>/timeout``,
  ``DELETE /sandboxes/<id>``), authenticated by the ``X-API-KEY`` header;
- each sandbox's ``envd`` API, as E2B's sandbox proxy forwards it: requests carry
  ``E2b-Sandbox-Id`` (and ``X-Access-Token``) and reach ``GET /health``, ``GET``/``POST /files``
  (multipart uploads of many files in one request) and the ``process.Process`` Connect RPC
  service (``Start``, ``Connect``, ``List``, ``SendSignal``), served with the SDK's own generated
  protobuf classes;
- the sandboxes' public ports under ``/traffic/<host>/``, where ``<host>`` is what the SDK's
  ``get_host(port)`` gives (``<port>-<sandbox id>.<domain>``). Real E2B resolves that host name
  with wildcard DNS; loopback has none, so the fake publishes :attr:`FakeE2B.preview_url_template`
  (``http://127.0.0.1:<port>/traffic/{host}``) for the provider to build preview URLs from.

Point the SDK at it with ``api_key=fake.api_key, api_url=fake.url, sandbox_url=fake.url,
domain=fake.domain``.

Each sandbox's file system is a temporary folder standing for its ``/`` (the default user's home
is ``/home/user``). Nothing is ever run on the host: the fake knows only the commands Paynto's
provider sends (``bash -l -c <command>``, as the SDK starts every command) and answers every other
one with exit code 127.

- ``npm install [--ignore-scripts|--no-save|...] [names]`` records the packages and writes
  ``node_modules/<name>/package.json`` for each (for the names in ``package.json`` when none are
  given);
- ``[exec] node serve.mjs tcp:<port>`` stands for the dev server: it needs ``serve.mjs`` and an
  installed ``vite`` in its folder, prints ``PAYNTO_READY`` and, until it is killed, the port
  serves that folder's files under the base path in ``PAYNTO_BASE``, with ``index.html`` at the
  base.

The fake records what tests check (``created``, ``timeouts``, ``write_requests``, ``written``,
``installs``, ``commands``, ``kills``) and can end a sandbox on demand (:meth:`FakeE2B.expire`),
after which E2B's real answers come back: HTTP 404 from the control plane, and from the sandbox
proxy HTTP 502 "The sandbox <id> was not found" for envd calls and public ports alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import posixpath
import re
import secrets
import shlex
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext
from e2b.envd.process import process_connect, process_pb
from protobuf import Oneof
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from paynto_common.packages import package_name, validate_package_name
from paynto_common.testing.serve import serve_app

__all__ = ["HOME", "FakeE2B", "FakeE2BSandbox", "FakeProcess"]

HOME = "/home/user"
"""The default user's home in every fake sandbox: where relative paths resolve."""

ENVD_VERSION = "0.6.9"
_SERVE_ARG_RE = re.compile(r"^tcp:(\d{1,5})$")
_TRAFFIC_HOST_RE = re.compile(r"^(\d{1,5})-([A-Za-z0-9]+)\.(.+)$")
# npm flags the fake accepts; anything else is answered as an unknown option would be.
_NPM_FLAGS = frozenset(
    {"--ignore-scripts", "--no-audit", "--no-fund", "--no-save", "--save", "--no-progress",
     "--no-package-lock", "--prefer-offline", "--loglevel=error"}
)
_pids = itertools.count(1000)


def _event(kind: str, value: object) -> process_pb.ProcessEvent:
    # The generated types spell each oneof case as a Literal; a name chosen at run time is not one.
    return process_pb.ProcessEvent(event=cast(Any, Oneof(kind, value)))


@dataclass
class FakeProcess:
    """One command "running" in a fake sandbox: its events, as envd streams them."""

    pid: int
    config: process_pb.ProcessConfig
    command: str
    events: list[process_pb.ProcessEvent] = field(default_factory=list)
    exit_code: int | None = None
    lost: bool = False
    """The sandbox went away under it: followers get the proxy's "not found" error."""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def running(self) -> bool:
        return self.exit_code is None and not self.lost

    def print(self, text: str, stream: str = "stdout") -> None:
        data = process_pb.ProcessEvent.DataEvent(output=cast(Any, Oneof(stream, text.encode())))
        self._push(_event("data", data))

    def finish(self, exit_code: int, status: str | None = None) -> None:
        if not self.running:
            return
        self.exit_code = exit_code
        end = process_pb.ProcessEvent.EndEvent(
            exit_code=exit_code, exited=True, status=status or f"exit status {exit_code}",
        )
        self._push(_event("end", end))

    def lose(self) -> None:
        self.lost = True
        self._notify()

    def _push(self, event: process_pb.ProcessEvent) -> None:
        self.events.append(event)
        self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def follow(self, sandbox_id: str, start: int) -> AsyncIterator[process_pb.ProcessEvent]:
        """The start event, then every event from index ``start`` on, until the process ends."""
        yield _event("start", process_pb.ProcessEvent.StartEvent(pid=self.pid))
        index = start
        while True:
            while index < len(self.events):
                yield self.events[index]
                index += 1
            if self.exit_code is not None:
                return
            if self.lost:
                raise ConnectError(Code.UNAVAILABLE, _not_found_message(sandbox_id))
            await self._changed.wait()


@dataclass
class _Listener:
    pid: int
    folder: Path
    base: str


@dataclass
class FakeE2BSandbox:
    """One fake sandbox: a folder standing for its ``/``, its processes and open ports."""

    sandbox_id: str
    template: str
    root: Path
    access_token: str
    metadata: dict[str, str]
    deadline: float
    processes: dict[int, FakeProcess] = field(default_factory=dict)
    ports: dict[int, _Listener] = field(default_factory=dict)

    def path(self, sandbox_path: str) -> Path:
        """The host path of ``sandbox_path`` (relative ones are relative to ``/home/user``).

        ``..`` cannot climb above the sandbox's ``/``, and nothing in a fake sandbox is ever a
        symlink (no command runs), so the result is always inside :attr:`root`.
        """
        absolute = posixpath.normpath(posixpath.join(HOME, sandbox_path))
        parts = [p for p in absolute.split("/") if p not in ("", ".", "..")]
        return self.root.joinpath(*parts)

    def answer(self, domain: str) -> dict[str, Any]:
        return {
            "templateID": self.template,
            "sandboxID": self.sandbox_id,
            "clientID": "fake-client",
            "envdVersion": ENVD_VERSION,
            "envdAccessToken": self.access_token,
            "trafficAccessToken": None,
            "domain": domain,
        }


def _not_found_message(sandbox_id: str) -> str:
    # The wording the SDK looks for ("was not found") to tell a gone sandbox from a network error.
    return f"The sandbox {sandbox_id} was not found"


def _api_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "message": message}, status_code=status)


def _proxy_not_found(sandbox_id: str) -> JSONResponse:
    return JSONResponse(
        {"code": 502, "message": _not_found_message(sandbox_id), "sandboxId": sandbox_id},
        status_code=502,
    )


class _ProcessService(process_connect.Process):
    """envd's process service over the fake's sandboxes (the sandbox comes from the header the
    proxy routes by; the proxy layer checked it exists)."""

    def __init__(self, fake: FakeE2B) -> None:
        self.fake = fake

    def _sandbox(self, ctx: RequestContext[Any, Any]) -> FakeE2BSandbox:
        sandbox_id = ctx.request_headers.get("e2b-sandbox-id", "")
        sandbox = self.fake._live(sandbox_id)
        if sandbox is None:
            raise ConnectError(Code.UNAVAILABLE, _not_found_message(sandbox_id))
        return sandbox

    @staticmethod
    def _process(
        sandbox: FakeE2BSandbox, selector: process_pb.ProcessSelector | None
    ) -> FakeProcess:
        match selector.selector if selector is not None else None:
            case Oneof(field="pid", value=pid) if pid in sandbox.processes:
                return sandbox.processes[pid]
        raise ConnectError(Code.NOT_FOUND, "process not found")

    async def start(
        self, request: process_pb.StartRequest,
        ctx: RequestContext[process_pb.StartRequest, process_pb.StartResponse],
    ) -> AsyncIterator[process_pb.StartResponse]:
        sandbox = self._sandbox(ctx)
        process = self.fake._start(sandbox, request.process or process_pb.ProcessConfig())
        async for event in process.follow(sandbox.sandbox_id, 0):
            yield process_pb.StartResponse(event=event)

    async def connect(
        self, request: process_pb.ConnectRequest,
        ctx: RequestContext[process_pb.ConnectRequest, process_pb.ConnectResponse],
    ) -> AsyncIterator[process_pb.ConnectResponse]:
        sandbox = self._sandbox(ctx)
        process = self._process(sandbox, request.process)
        if not process.running:
            raise ConnectError(Code.NOT_FOUND, "process not found")
        async for event in process.follow(sandbox.sandbox_id, len(process.events)):
            yield process_pb.ConnectResponse(event=event)

    async def list(
        self, request: process_pb.ListRequest,
        ctx: RequestContext[process_pb.ListRequest, process_pb.ListResponse],
    ) -> process_pb.ListResponse:
        sandbox = self._sandbox(ctx)
        return process_pb.ListResponse(processes=[
            process_pb.ProcessInfo(config=p.config, pid=p.pid)
            for p in sandbox.processes.values() if p.running
        ])

    async def send_signal(
        self, request: process_pb.SendSignalRequest,
        ctx: RequestContext[process_pb.SendSignalRequest, process_pb.SendSignalResponse],
    ) -> process_pb.SendSignalResponse:
        sandbox = self._sandbox(ctx)
        process = self._process(sandbox, request.process)
        if not process.running:
            raise ConnectError(Code.NOT_FOUND, "process not found")
        self.fake._end(sandbox, process, -1, "signal: killed")
        return process_pb.SendSignalResponse()


class FakeE2B:
    """E2B's API, envd and public ports on loopback; see the module docstring. Use as an async
    context manager."""

    def __init__(self, *, api_key: str = "e2b_fake_key", domain: str = "e2b.fake") -> None:
        self.api_key = api_key
        self.domain = domain
        self.templates: set[str] | None = None
        """Template names create accepts (404 for others); None accepts any."""
        self.sandboxes: dict[str, FakeE2BSandbox] = {}
        self.created: list[dict[str, Any]] = []
        """The body of every accepted create request."""
        self.timeouts: list[tuple[str, int]] = []
        """(sandbox id, seconds) for every set_timeout request."""
        self.write_requests = 0
        """File upload (``POST /files``) requests received."""
        self.written: list[str] = []
        """Absolute sandbox paths written by uploads, in write order."""
        self.installs: list[tuple[str, tuple[str, ...]]] = []
        """(sandbox id, package specs) for every ``npm install`` run."""
        self.commands: list[tuple[str, str]] = []
        """(sandbox id, command line) of every command started, known or not."""
        self.kills: list[str] = []
        """Sandbox ids killed through the API."""
        self._url: str | None = None
        self._tmp: Path | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    # ----- what tests use -----

    @property
    def url(self) -> str:
        """The base URL of the API, envd and traffic routes (``http://127.0.0.1:<port>``)."""
        if self._url is None:
            raise RuntimeError("FakeE2B is not running; use it as an async context manager")
        return self._url

    @property
    def preview_url_template(self) -> str:
        """Where a sandbox's public port is reached: ``{host}`` stands for ``get_host(port)``."""
        return f"{self.url}/traffic/{{host}}"

    def system_env(self) -> dict[str, str]:
        """The environment that points a sandbox pool's E2B provider at this fake."""
        return {"SANDBOX_PROVIDER": "e2b", "E2B_API_KEY": self.api_key, "E2B_API_URL": self.url,
                "E2B_SANDBOX_URL": self.url, "E2B_DOMAIN": self.domain,
                "E2B_PREVIEW_URL": self.preview_url_template}

    def sandbox(self, sandbox_id: str) -> FakeE2BSandbox:
        """The live fake sandbox ``sandbox_id`` (KeyError when it is gone)."""
        sandbox = self._live(sandbox_id)
        if sandbox is None:
            raise KeyError(sandbox_id)
        return sandbox

    def expire(self, sandbox_id: str) -> None:
        """End sandbox ``sandbox_id`` now, as its timeout would (KeyError when it is gone)."""
        self._remove(self.sandbox(sandbox_id))

    async def __aenter__(self) -> FakeE2B:
        self._tmp = Path(tempfile.mkdtemp(prefix="fake-e2b-"))
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            stack.callback(shutil.rmtree, self._tmp, True)
            self._url = await stack.enter_async_context(serve_app(self._app()))
            # Runs before the server closes (the stack unwinds in reverse): ending every process
            # ends the event streams still open, so the server need not wait for them.
            stack.callback(self._end_all)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()
        self._url = None

    # ----- sandbox life -----

    def _live(self, sandbox_id: str) -> FakeE2BSandbox | None:
        sandbox = self.sandboxes.get(sandbox_id)
        if sandbox is not None and time.monotonic() >= sandbox.deadline:
            # Its timeout passed: E2B kills it.
            self._remove(sandbox)
            return None
        return sandbox

    def _remove(self, sandbox: FakeE2BSandbox) -> None:
        self.sandboxes.pop(sandbox.sandbox_id, None)
        sandbox.ports.clear()
        for process in sandbox.processes.values():
            process.lose()
        shutil.rmtree(sandbox.root, ignore_errors=True)

    def _end_all(self) -> None:
        for sandbox in list(self.sandboxes.values()):
            for process in sandbox.processes.values():
                process.finish(-1, "signal: killed")

    def _end(self, sandbox: FakeE2BSandbox, process: FakeProcess, code: int,
             status: str | None = None) -> None:
        for port, listener in list(sandbox.ports.items()):
            if listener.pid == process.pid:
                del sandbox.ports[port]
        process.finish(code, status)

    # ----- commands -----

    def _start(self, sandbox: FakeE2BSandbox, config: process_pb.ProcessConfig) -> FakeProcess:
        args = list(config.args)
        if config.cmd == "/bin/bash" and len(args) == 3 and args[:2] == ["-l", "-c"]:
            command = args[2]
        else:
            command = shlex.join([config.cmd, *args])
        process = FakeProcess(next(_pids), config, command)
        sandbox.processes[process.pid] = process
        self.commands.append((sandbox.sandbox_id, command))
        try:
            argv = shlex.split(command)
        except ValueError:
            argv = []
        if argv[:1] == ["exec"]:
            argv = argv[1:]
        cwd = sandbox.path(config.cwd if config.has_field("cwd") else HOME)
        if argv[:2] == ["npm", "install"]:
            self._npm_install(sandbox, cwd, argv[2:], process)
        elif len(argv) == 3 and argv[:2] == ["node", "serve.mjs"]:
            self._serve(sandbox, cwd, argv[2], dict(config.envs), process)
        else:
            name = argv[0] if argv else command
            process.print(f"bash: line 1: {name}: command not found\n", "stderr")
            process.finish(127)
        return process

    def _npm_install(self, sandbox: FakeE2BSandbox, cwd: Path, args: list[str],
                     process: FakeProcess) -> None:
        flags = [a for a in args if a.startswith("-")]
        specs = [a for a in args if not a.startswith("-")]
        unknown = [f for f in flags if f not in _NPM_FLAGS]
        if unknown:
            process.print(f"npm error unknown option {unknown[0]}\n", "stderr")
            process.finish(1)
            return
        try:
            names = [package_name(validate_package_name(spec)) for spec in specs]
        except ValueError as exc:
            process.print(f"npm error Invalid package name: {exc}\n", "stderr")
            process.finish(1)
            return
        if not specs:
            try:
                manifest = json.loads((cwd / "package.json").read_text())
            except (OSError, ValueError):
                process.print("npm error enoent Could not read package.json\n", "stderr")
                process.finish(254)
                return
            names = [*manifest.get("dependencies", {}), *manifest.get("devDependencies", {})]
        self.installs.append((sandbox.sandbox_id, tuple(specs)))
        for name in names:
            folder = cwd / "node_modules" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "package.json").write_text(
                json.dumps({"name": name, "version": "1.0.0"}) + "\n")
            process.print(f"fetched {name}\n")
        process.print(f"\nadded {len(names)} packages in 1s\n")
        process.finish(0)

    def _serve(self, sandbox: FakeE2BSandbox, cwd: Path, target: str, envs: dict[str, str],
               process: FakeProcess) -> None:
        match = _SERVE_ARG_RE.match(target)
        if match is None:
            process.print("usage: node serve.mjs <socket-path> | fd:<n> | tcp:<port>\n", "stderr")
            process.finish(2)
            return
        if not (cwd / "serve.mjs").is_file():
            process.print(f"Error: Cannot find module '{cwd}/serve.mjs'\n", "stderr")
            process.finish(1)
            return
        if not (cwd / "node_modules" / "vite" / "package.json").is_file():
            process.print("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'vite'\n", "stderr")
            process.finish(1)
            return
        port = int(match.group(1))
        if port in sandbox.ports:
            process.print(f"paynto: server error: listen EADDRINUSE :::{port}\n", "stderr")
            process.finish(1)
            return
        base = envs.get("PAYNTO_BASE") or "/"
        sandbox.ports[port] = _Listener(process.pid, cwd, base)
        process.print("PAYNTO_READY\n")
        process.print(f"  VITE ready, serving under {base}\n")

    # ----- HTTP -----

    def _app(self) -> Starlette:
        # connectrpc types the ASGI interface with its own TypedDicts, Starlette with mappings.
        rpc: Any = process_connect.ProcessASGIApplication(_ProcessService(self))

        async def envd_rpc(scope: Scope, receive: Receive, send: Send) -> None:
            refusal = self._proxy_check(Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await rpc(scope, receive, send)

        return Starlette(routes=[
            Route("/v2/sandboxes", self._create, methods=["POST"]),
            Route("/v2/sandboxes", self._list, methods=["GET"]),
            Route("/v2/sandboxes/{sandbox_id}/connect", self._connect, methods=["POST"]),
            Route("/sandboxes/{sandbox_id}/timeout", self._set_timeout, methods=["POST"]),
            Route("/sandboxes/{sandbox_id}", self._kill, methods=["DELETE"]),
            Route("/health", self._health, methods=["GET"]),
            Route("/files", self._read_file, methods=["GET"]),
            Route("/files", self._write_files, methods=["POST"]),
            Route("/traffic/{host}/{path:path}", self._traffic, methods=["GET", "HEAD"]),
            Mount(rpc.path, app=envd_rpc),
        ])

    def _authorized(self, request: Request) -> bool:
        return secrets.compare_digest(request.headers.get("x-api-key", ""), self.api_key)

    def _unauthorized(self) -> JSONResponse:
        return _api_error(401, "Invalid API key")

    async def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        body = await request.json()
        template = body.get("templateID")
        if not isinstance(template, str) or not template:
            return _api_error(400, "templateID is required")
        if self.templates is not None and template not in self.templates:
            return _api_error(404, f"template '{template}' not found")
        timeout = int(body.get("timeout") or 300)
        assert self._tmp is not None
        sandbox_id = f"i{secrets.token_hex(8)}"
        root = self._tmp / sandbox_id
        (root / HOME.lstrip("/")).mkdir(parents=True)
        sandbox = FakeE2BSandbox(
            sandbox_id=sandbox_id, template=template, root=root,
            access_token=secrets.token_urlsafe(16), metadata=dict(body.get("metadata") or {}),
            deadline=time.monotonic() + timeout,
        )
        self.sandboxes[sandbox_id] = sandbox
        self.created.append(body)
        return JSONResponse(sandbox.answer(self.domain), status_code=201)

    async def _list(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        now = time.monotonic()
        listed = []
        for sandbox in list(self.sandboxes.values()):
            if self._live(sandbox.sandbox_id) is None:
                continue
            listed.append({
                "templateID": sandbox.template, "sandboxID": sandbox.sandbox_id,
                "clientID": "fake-client", "startedAt": "2026-01-01T00:00:00Z",
                "endAt": "2026-01-01T01:00:00Z", "cpuCount": 2, "memoryMB": 512,
                "diskSizeMB": 1024, "metadata": sandbox.metadata, "state": "running",
                "envdVersion": ENVD_VERSION, "timeoutLeft": int(sandbox.deadline - now),
            })
        return JSONResponse(listed)

    async def _connect(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        sandbox_id = request.path_params["sandbox_id"]
        sandbox = self._live(sandbox_id)
        if sandbox is None:
            return _api_error(404, f"sandbox \"{sandbox_id}\" doesn't exist or you don't have "
                                   "access to it")
        body = await request.json()
        if body.get("timeout"):
            # A running sandbox's timeout only ever grows on connect.
            sandbox.deadline = max(sandbox.deadline, time.monotonic() + int(body["timeout"]))
        return JSONResponse(sandbox.answer(self.domain), status_code=200)

    async def _set_timeout(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        sandbox_id = request.path_params["sandbox_id"]
        sandbox = self._live(sandbox_id)
        if sandbox is None:
            return _api_error(404, f"sandbox \"{sandbox_id}\" not found")
        seconds = int((await request.json())["timeout"])
        self.timeouts.append((sandbox_id, seconds))
        sandbox.deadline = time.monotonic() + seconds
        return Response(status_code=204)

    async def _kill(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        sandbox_id = request.path_params["sandbox_id"]
        sandbox = self._live(sandbox_id)
        if sandbox is None:
            return _api_error(404, f"sandbox \"{sandbox_id}\" not found")
        self.kills.append(sandbox_id)
        self._remove(sandbox)
        return Response(status_code=204)

    def _proxy_check(self, request: Request) -> JSONResponse | None:
        """What E2B's sandbox proxy and envd answer instead of the request, if anything."""
        sandbox_id = request.headers.get("e2b-sandbox-id", "")
        sandbox = self._live(sandbox_id)
        if sandbox is None:
            return _proxy_not_found(sandbox_id)
        if not secrets.compare_digest(request.headers.get("x-access-token", ""),
                                      sandbox.access_token):
            return _api_error(401, "invalid access token")
        return None

    async def _health(self, request: Request) -> Response:
        return self._proxy_check(request) or Response(status_code=204)

    async def _read_file(self, request: Request) -> Response:
        refusal = self._proxy_check(request)
        if refusal is not None:
            return refusal
        sandbox = self.sandbox(request.headers["e2b-sandbox-id"])
        wanted = request.query_params.get("path", "")
        target = sandbox.path(wanted)
        if not target.is_file():
            return _api_error(404, f"path '{wanted}' does not exist")
        return Response(target.read_bytes(), media_type="application/octet-stream")

    async def _write_files(self, request: Request) -> Response:
        refusal = self._proxy_check(request)
        if refusal is not None:
            return refusal
        sandbox = self.sandbox(request.headers["e2b-sandbox-id"])
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return _api_error(400, "expected a multipart/form-data upload")
        body = await request.body()
        self.write_requests += 1
        message = BytesParser(policy=policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        single = request.query_params.get("path")
        results = []
        for part in message.iter_parts():
            name = single or part.get_filename()
            if not name:
                return _api_error(400, "a file part without a path")
            data = part.get_payload(decode=True)
            target = sandbox.path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data if isinstance(data, bytes) else b"")
            absolute = "/" + target.relative_to(sandbox.root).as_posix()
            self.written.append(absolute)
            results.append({"name": target.name, "type": "file", "path": absolute})
        if not results:
            return _api_error(400, "no files in the upload")
        return JSONResponse(results)

    async def _traffic(self, request: Request) -> Response:
        match = _TRAFFIC_HOST_RE.match(request.path_params["host"])
        if match is None or match.group(3) != self.domain:
            return Response("unknown host", status_code=404)
        port, sandbox_id = int(match.group(1)), match.group(2)
        sandbox = self._live(sandbox_id)
        if sandbox is None:
            return _proxy_not_found(sandbox_id)
        listener = sandbox.ports.get(port)
        if listener is None:
            return JSONResponse(
                {"message": "The sandbox is running but port is not open",
                 "sandboxId": sandbox_id, "port": port},
                status_code=502,
            )
        path = "/" + request.path_params["path"]
        if not path.startswith(listener.base):
            return Response("Not found", status_code=404)
        rel = path[len(listener.base):] or "index.html"
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            return Response("Not found", status_code=404)
        target = listener.folder.joinpath(*parts)
        if not target.is_file():
            return Response("Not found", status_code=404)
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix in (".jsx", ".tsx", ".ts", ".mjs"):
            media_type = "text/javascript"
        return Response(target.read_bytes(), media_type=media_type)
