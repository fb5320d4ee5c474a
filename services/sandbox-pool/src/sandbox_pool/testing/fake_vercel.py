"""A loopback stand-in for Vercel's Sandbox API that the unmodified ``vercel-sandbox`` SDK talks to.

``async with FakeVercel() as fake:`` serves, on a free 127.0.0.1 port, the part of the Sandbox
REST API (``fake.url``) that the SDK uses to create a sandbox, find it again, upload files (one
gzipped tar per request), read a file, run commands and follow their output, wait for and signal
them, extend a session's time limit, stop a session and delete a sandbox. Point the SDK at it
with ``SandboxServiceOptions(base_url=fake.url)`` and credentials ``fake.token``,
``fake.team_id``, ``fake.project_id``.

Each sandbox's file system is a temporary folder (the sandbox's ``/`` ; its working directory is
``/vercel/sandbox``). Nothing is ever run on the host: the fake knows only the commands Paynto's
provider sends and answers every other one with exit code 127.

- ``npm install --ignore-scripts ... [names]`` records the packages and writes
  ``node_modules/<name>/package.json`` for each (for the names in ``package.json`` when none are
  given);
- ``node serve.mjs tcp:<port>`` stands for the dev server: it prints ``PAYNTO_READY`` and, while
  it runs, the port's route URL (the sandbox's "domain", a loopback listener of its own) serves
  the command's folder under the base path in ``PAYNTO_BASE``, with ``index.html`` at the base.

The fake records what tests want to check (``requests``, ``write_requests``, ``written``,
``installs``, ``extensions``, ``commands``) and can stop a sandbox's session on demand
(:meth:`FakeVercel.expire`), after which the API answers as Vercel does for a stopped session:
HTTP 410 ``sandbox_stopped`` for session operations, ``status: stopped`` from a sandbox lookup,
and the sandbox's routes answer 410.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import mimetypes
import os
import posixpath
import re
import secrets
import shutil
import stat
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from paynto_common.packages import package_name, validate_package_name
from paynto_common.testing.serve import serve_app

__all__ = ["WORKDIR", "FakeCommand", "FakeSandbox", "FakeSession", "FakeVercel"]

WORKDIR = "/vercel/sandbox"
"""The working directory of every fake sandbox, as on Vercel."""

_SERVE_ARG_RE = re.compile(r"^tcp:(\d{1,5})$")
# npm flags the fake accepts; anything else is answered as an unknown command would be.
_NPM_FLAGS = frozenset(
    {"--ignore-scripts", "--no-audit", "--no-fund", "--no-save", "--save", "--no-progress",
     "--no-package-lock", "--prefer-offline"}
)
_ids = itertools.count(1)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids)}{secrets.token_hex(6)}"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = _error(status, code, message)


@dataclass
class FakeCommand:
    """One command run in a fake session, with everything it printed."""

    id: str
    name: str
    args: list[str]
    cwd: str
    session_id: str
    env: dict[str, str]
    started_at: int = field(default_factory=_now_ms)
    exit_code: int | None = None
    output: list[tuple[str, str]] = field(default_factory=list)
    # Replaced on every change; whoever follows the output waits on the current one.
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def print(self, data: str, stream: str = "stdout") -> None:
        self.output.append((stream, data))
        self._notify()

    def exit(self, code: int) -> None:
        if self.exit_code is None:
            self.exit_code = code
            self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait(self) -> None:
        while self.exit_code is None:
            await self._changed.wait()

    async def follow(self) -> AsyncIterator[tuple[str, str]]:
        """Every output record, from the first, until the command exits."""
        sent = 0
        while True:
            changed = self._changed
            while sent < len(self.output):
                yield self.output[sent]
                sent += 1
            if self.exit_code is not None:
                return
            await changed.wait()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "args": self.args,
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "exitCode": self.exit_code,
            "startedAt": self.started_at,
        }


@dataclass
class FakeSession:
    """One runtime session of a fake sandbox: its file system root and its commands."""

    id: str
    sandbox_name: str
    project_id: str
    root: Path
    timeout_ms: int
    status: str = "running"
    requested_at: int = field(default_factory=_now_ms)
    started_at: int = field(default_factory=_now_ms)
    stopped_at: int | None = None
    commands: dict[str, FakeCommand] = field(default_factory=dict)

    @property
    def workdir(self) -> Path:
        return self.root / WORKDIR.lstrip("/")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sourceSandboxName": self.sandbox_name,
            "projectId": self.project_id,
            "status": self.status,
            "cwd": WORKDIR,
            "region": "iad1",
            "memory": 2048,
            "vcpus": 1,
            "timeout": self.timeout_ms,
            "requestedAt": self.requested_at,
            "startedAt": self.started_at,
            "stoppedAt": self.stopped_at,
        }


@dataclass
class _DevServer:
    base: str
    folder: Path
    command: FakeCommand


@dataclass
class FakeSandbox:
    """A named fake sandbox: its current session, exposed ports and their route URLs."""

    name: str
    project_id: str
    ports: list[int]
    persistent: bool
    session: FakeSession
    tags: dict[str, str] = field(default_factory=dict)
    routes: dict[int, str] = field(default_factory=dict)
    servers: dict[int, _DevServer] = field(default_factory=dict)
    created_at: int = field(default_factory=_now_ms)
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "currentSessionId": self.session.id,
            "status": self.session.status,
            "persistent": self.persistent,
            "projectId": self.project_id,
            "cwd": WORKDIR,
            "region": "iad1",
            "memory": 2048,
            "vcpus": 1,
            "timeout": self.session.timeout_ms,
            "createdAt": self.created_at,
            "updatedAt": _now_ms(),
            "tags": dict(self.tags),
        }

    def routes_json(self) -> list[dict[str, Any]]:
        return [
            {"url": url, "port": port, "subdomain": f"{self.name}-{port}"}
            for port, url in sorted(self.routes.items())
        ]

    def answer(self) -> dict[str, Any]:
        return {
            "sandbox": self.to_json(),
            "session": self.session.to_json(),
            "routes": self.routes_json(),
        }


class FakeVercel:
    """Vercel's Sandbox API on loopback; see the module docstring. Use as an async context
    manager; ``url`` is the API base URL to hand the SDK."""

    def __init__(
        self,
        *,
        token: str = "fake-vercel-token",
        team_id: str = "team_fake",
        project_id: str = "prj_fake",
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.project_id = project_id
        self.sandboxes: dict[str, FakeSandbox] = {}
        self.sessions: dict[str, FakeSession] = {}
        self.requests: list[tuple[str, str]] = []
        """Every API request: (method, path)."""
        self.write_requests = 0
        """File uploads (``fs/write`` requests) received."""
        self.written: list[str] = []
        """Paths written by uploads, relative to the working directory, in write order."""
        self.installs: list[tuple[str, tuple[str, ...]]] = []
        """(sandbox name, packages) for every ``npm install`` run."""
        self.extensions: list[tuple[str, float]] = []
        """(session id, seconds) for every extend-timeout request."""
        self.commands: list[tuple[str, list[str]]] = []
        """(command, args) of every command run, known or not."""
        self._url: str | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._route_stacks: list[contextlib.AsyncExitStack] = []
        self._tmp: Path | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("FakeVercel is not running; use it as an async context manager")
        return self._url

    async def __aenter__(self) -> FakeVercel:
        self._tmp = Path(tempfile.mkdtemp(prefix="fake-vercel-"))
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            stack.callback(shutil.rmtree, self._tmp, True)
            self._url = await stack.enter_async_context(serve_app(self._api_app()))
            # Runs before the servers close (the stack unwinds in reverse): ending every command
            # ends the output streams still open, so the servers need not wait for them.
            stack.callback(self._end_all)
            stack.push_async_callback(self._close_routes)
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

    # ----- what tests use -----

    def sandbox(self, name: str) -> FakeSandbox:
        """The fake sandbox called ``name`` (KeyError when there is none, or it was deleted)."""
        return self.sandboxes[name]

    def files(self, name: str) -> Path:
        """The working directory of sandbox ``name`` on the host."""
        return self.sandboxes[name].session.workdir

    def expire(self, name: str) -> None:
        """Stop sandbox ``name``'s session as its time limit running out would."""
        self._stop_session(self.sandboxes[name].session)

    # ----- behaviour -----

    def _end_all(self) -> None:
        for session in self.sessions.values():
            for command in session.commands.values():
                command.exit(137)

    def _stop_session(self, session: FakeSession) -> None:
        if session.status == "stopped":
            return
        session.status = "stopped"
        session.stopped_at = _now_ms()
        for command in session.commands.values():
            if command.exit_code is None:
                command.print(
                    json.dumps({"code": "sandbox_stopped", "message": "sandbox stopped"}), "error"
                )
                command.exit(137)
        sandbox = self.sandboxes.get(session.sandbox_name)
        if sandbox is not None and sandbox.session is session:
            sandbox.servers.clear()

    def _new_session(self, name: str, timeout_ms: int, root: Path | None = None) -> FakeSession:
        assert self._tmp is not None
        if root is None:
            root = self._tmp / _new_id("fs")
            (root / WORKDIR.lstrip("/")).mkdir(parents=True)
        session = FakeSession(
            id=_new_id("sbx_session"),
            sandbox_name=name,
            project_id=self.project_id,
            root=root,
            timeout_ms=timeout_ms,
        )
        self.sessions[session.id] = session
        return session

    async def _open_routes(self, sandbox: FakeSandbox) -> None:
        stack = contextlib.AsyncExitStack()
        self._route_stacks.append(stack)
        for port in sandbox.ports:
            url = await stack.enter_async_context(serve_app(self._preview_app(sandbox, port)))
            sandbox.routes[port] = url

    async def _close_routes(self) -> None:
        # Together: each listener takes a few tenths of a second to shut down.
        stacks, self._route_stacks = self._route_stacks, []
        await asyncio.gather(*(stack.aclose() for stack in stacks))

    def _run(self, session: FakeSession, body: dict[str, Any]) -> FakeCommand:
        name = body.get("command")
        args = body.get("args") or []
        if not isinstance(name, str) or not isinstance(args, list):
            raise _ApiError(400, "bad_request", "command must be a string and args a list")
        cwd = body.get("cwd") or WORKDIR
        env = {str(k): str(v) for k, v in (body.get("env") or {}).items()}
        command = FakeCommand(
            id=_new_id("cmd"),
            name=name,
            args=[str(a) for a in args],
            cwd=cwd,
            session_id=session.id,
            env=env,
        )
        session.commands[command.id] = command
        self.commands.append((name, list(command.args)))
        folder = _inside(session.root, cwd)
        if folder is None or not folder.is_dir():
            command.print(f"fake-vercel: no such directory: {cwd}\n", "stderr")
            command.exit(1)
        elif name == "npm" and command.args[:1] == ["install"]:
            self._npm_install(session, folder, command)
        elif name == "node" and command.args[:1] == ["serve.mjs"] and len(command.args) == 2:
            self._serve(session, folder, command)
        else:
            shown = " ".join([name, *command.args])
            command.print(f"fake-vercel: command not supported here: {shown}\n", "stderr")
            command.exit(127)
        return command

    def _npm_install(self, session: FakeSession, folder: Path, command: FakeCommand) -> None:
        flags = [a for a in command.args[1:] if a.startswith("-")]
        names = [a for a in command.args[1:] if not a.startswith("-")]
        unknown = [f for f in flags if f not in _NPM_FLAGS]
        if unknown or "--ignore-scripts" not in flags:
            command.print(
                f"fake-vercel: npm install needs --ignore-scripts and known flags only "
                f"(got {' '.join(flags)})\n",
                "stderr",
            )
            command.exit(1)
            return
        manifest_path = folder / "package.json"
        try:
            specs = [validate_package_name(n) for n in names]
            manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        except (ValueError, OSError) as exc:
            command.print(f"npm error {exc}\n", "stderr")
            command.exit(1)
            return
        if not specs:
            declared: dict[str, str] = {}
            for section in ("dependencies", "devDependencies"):
                declared.update(manifest.get(section, {}))
            specs = sorted(declared)
        installed = [package_name(s) for s in specs]
        for pkg in installed:
            target = _inside(folder, f"node_modules/{pkg}")
            if target is None:
                command.print(f"npm error refusing to install {pkg}\n", "stderr")
                command.exit(1)
                return
            target.mkdir(parents=True, exist_ok=True)
            (target / "package.json").write_text(
                json.dumps({"name": pkg, "version": "0.0.0-fake"}) + "\n"
            )
        if names and "--no-save" not in flags:
            manifest.setdefault("dependencies", {}).update({p: "*" for p in installed})
            manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
        self.installs.append((session.sandbox_name, tuple(installed)))
        for pkg in installed:
            command.print(f"fake-vercel: add {pkg}\n")
        command.print(f"\nadded {len(installed)} packages in 0s\n")
        command.exit(0)

    def _serve(self, session: FakeSession, folder: Path, command: FakeCommand) -> None:
        sandbox = self.sandboxes.get(session.sandbox_name)
        match = _SERVE_ARG_RE.match(command.args[1])
        if sandbox is None or match is None:
            command.print("usage: node serve.mjs tcp:<port>\n", "stderr")
            command.exit(2)
            return
        if not (folder / "serve.mjs").is_file():
            command.print(f"Error: Cannot find module '{folder}/serve.mjs'\n", "stderr")
            command.exit(1)
            return
        if not (folder / "node_modules" / "vite" / "package.json").is_file():
            command.print("Error: Cannot find package 'vite' (run npm install)\n", "stderr")
            command.exit(1)
            return
        port = int(match.group(1))
        running = sandbox.servers.get(port)
        if running is not None and running.command.exit_code is None:
            command.print(f"paynto: server error: listen EADDRINUSE :::{port}\n", "stderr")
            command.exit(1)
            return
        base = command.env.get("PAYNTO_BASE") or "/"
        if not base.startswith("/") or not base.endswith("/"):
            base = "/"
        sandbox.servers[port] = _DevServer(base=base, folder=folder, command=command)
        command.print(f"fake-vercel: serving {folder.name} under {base} on port {port}\n")
        command.print("PAYNTO_READY\n")

    def _kill(self, session: FakeSession, command: FakeCommand, signal: int) -> None:
        command.exit(128 + signal)
        sandbox = self.sandboxes.get(session.sandbox_name)
        if sandbox is not None:
            for port, server in list(sandbox.servers.items()):
                if server.command is command:
                    del sandbox.servers[port]

    # ----- HTTP: the API -----

    def _api_app(self) -> Starlette:
        def route(
            path: str, endpoint: Callable[[Request], Awaitable[Response]], method: str
        ) -> Route:
            return Route(path, self._guard(endpoint), methods=[method])

        prefix = "/v2/sandboxes/sessions/{session_id}"
        return Starlette(routes=[
            route("/v3/sandboxes", self._create, "POST"),
            route("/v2/sandboxes", self._list, "GET"),
            route(prefix, self._get_session, "GET"),
            route(prefix + "/stop", self._stop, "POST"),
            route(prefix + "/extend-timeout", self._extend, "POST"),
            route(prefix + "/fs/write", self._write, "POST"),
            route(prefix + "/fs/read", self._read, "POST"),
            route(prefix + "/fs/mkdir", self._mkdir, "POST"),
            route(prefix + "/cmd", self._command, "POST"),
            route(prefix + "/cmd", self._list_commands, "GET"),
            route(prefix + "/cmd/{command_id}", self._get_command, "GET"),
            route(prefix + "/cmd/{command_id}/logs", self._logs, "GET"),
            route(prefix + "/cmd/{command_id}/kill", self._kill_command, "POST"),
            route("/v2/sandboxes/{name}", self._get, "GET"),
            route("/v2/sandboxes/{name}", self._delete, "DELETE"),
        ])

    def _guard(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            self.requests.append((request.method, request.url.path))
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.token}":
                return _error(403, "forbidden", "Not authorized")
            if request.query_params.get("teamId") != self.team_id:
                return _error(403, "forbidden", "You don't have access to this team")
            try:
                return await endpoint(request)
            except _ApiError as exc:
                return exc.response

        return guarded

    def _live_session(self, request: Request) -> FakeSession:
        session = self.sessions.get(request.path_params["session_id"])
        if session is None:
            raise _ApiError(404, "not_found", "Session not found")
        if session.status != "running":
            raise _ApiError(410, "sandbox_stopped", "The sandbox session has stopped")
        return session

    def _named(self, request: Request) -> FakeSandbox:
        sandbox = self.sandboxes.get(request.path_params["name"])
        if sandbox is None or sandbox.deleted:
            raise _ApiError(404, "not_found", "Sandbox not found")
        project = request.query_params.get("projectId")
        if project is not None and project != sandbox.project_id:
            raise _ApiError(404, "not_found", "Sandbox not found")
        return sandbox

    async def _json_body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise _ApiError(400, "bad_request", "body is not JSON") from None
        if not isinstance(data, dict):
            raise _ApiError(400, "bad_request", "body must be a JSON object")
        return data

    async def _create(self, request: Request) -> Response:
        body = await self._json_body(request)
        if body.get("projectId") != self.project_id:
            raise _ApiError(404, "not_found", "Project not found")
        name = body.get("name") or _new_id("sbx")
        if name in self.sandboxes and not self.sandboxes[name].deleted:
            raise _ApiError(409, "conflict", f"A sandbox named {name} already exists")
        ports = [int(p) for p in body.get("ports") or []]
        timeout_ms = int(body.get("timeout") or 300_000)
        sandbox = FakeSandbox(
            name=name,
            project_id=self.project_id,
            ports=ports,
            persistent=bool(body.get("persistent", False)),
            session=self._new_session(name, timeout_ms),
            tags=dict(body.get("tags") or {}),
        )
        self.sandboxes[name] = sandbox
        await self._open_routes(sandbox)
        return JSONResponse(sandbox.answer())

    async def _list(self, request: Request) -> Response:
        if request.query_params.get("project") != self.project_id:
            raise _ApiError(404, "not_found", "Project not found")
        limit = int(request.query_params.get("limit") or 50)
        live = [s for s in self.sandboxes.values() if not s.deleted]
        return JSONResponse({
            "sandboxes": [s.to_json() for s in live[:limit]],
            "pagination": {"count": min(len(live), limit), "next": None, "prev": None},
        })

    async def _get(self, request: Request) -> Response:
        sandbox = self._named(request)
        if request.query_params.get("resume") == "true" and sandbox.session.status == "stopped":
            old = sandbox.session
            root = old.root if sandbox.persistent else None
            sandbox.session = self._new_session(sandbox.name, old.timeout_ms, root)
        return JSONResponse(sandbox.answer())

    async def _delete(self, request: Request) -> Response:
        sandbox = self._named(request)
        self._stop_session(sandbox.session)
        sandbox.deleted = True
        del self.sandboxes[sandbox.name]
        return JSONResponse({"sandbox": sandbox.to_json()})

    async def _get_session(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["session_id"])
        if session is None:
            raise _ApiError(404, "not_found", "Session not found")
        return JSONResponse({"session": session.to_json()})

    async def _stop(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["session_id"])
        if session is None:
            raise _ApiError(404, "not_found", "Session not found")
        self._stop_session(session)
        answer: dict[str, Any] = {"session": session.to_json()}
        sandbox = self.sandboxes.get(session.sandbox_name)
        if sandbox is not None:
            answer["sandbox"] = sandbox.to_json()
        return JSONResponse(answer)

    async def _extend(self, request: Request) -> Response:
        session = self._live_session(request)
        body = await self._json_body(request)
        duration = body.get("duration")
        if not isinstance(duration, int) or duration < 1000:
            raise _ApiError(400, "bad_request", "duration must be at least 1000 ms")
        session.timeout_ms += duration
        self.extensions.append((session.id, duration / 1000))
        return JSONResponse({"session": session.to_json()})

    async def _write(self, request: Request) -> Response:
        session = self._live_session(request)
        self.write_requests += 1
        base = _inside(session.root, request.headers.get("x-cwd", "/"))
        if base is None:
            raise _ApiError(400, "bad_request", "x-cwd is outside the sandbox")
        payload = await request.body()
        try:
            archive = tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz")
        except (tarfile.TarError, OSError, EOFError):
            raise _ApiError(400, "bad_request", "body is not a gzipped tar archive") from None
        with archive:
            for member in archive:
                target = _inside(base, member.name)
                if target is None or not (member.isfile() or member.isdir()):
                    raise _ApiError(400, "bad_request", f"refusing archive entry {member.name!r}")
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                source = archive.extractfile(member)
                assert source is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read())
                os.chmod(target, member.mode & 0o777)
                with contextlib.suppress(ValueError):
                    self.written.append(target.relative_to(session.workdir).as_posix())
        return JSONResponse({})

    async def _read(self, request: Request) -> Response:
        session = self._live_session(request)
        body = await self._json_body(request)
        path = str(body.get("path") or "")
        cwd = str(body.get("cwd") or WORKDIR)
        target = _inside(session.root, posixpath.join(cwd, path))
        if target is None or not target.is_file():
            raise _ApiError(404, "file_not_found", f"No such file: {path}")
        return Response(target.read_bytes(), media_type="application/octet-stream")

    async def _mkdir(self, request: Request) -> Response:
        session = self._live_session(request)
        body = await self._json_body(request)
        cwd = str(body.get("cwd") or WORKDIR)
        target = _inside(session.root, posixpath.join(cwd, str(body.get("path") or "")))
        if target is None:
            raise _ApiError(400, "bad_request", "path is outside the sandbox")
        target.mkdir(parents=bool(body.get("recursive", True)), exist_ok=True)
        return JSONResponse({})

    async def _command(self, request: Request) -> Response:
        session = self._live_session(request)
        body = await self._json_body(request)
        command = self._run(session, body)
        wait = request.query_params.get("wait") == "true" or body.get("wait") is True
        if not wait:
            return JSONResponse({"command": command.to_json()})

        async def records() -> AsyncIterator[bytes]:
            yield _ndjson({"command": command.to_json()})
            async for record in command.follow():
                yield _log_record(record)
            yield _ndjson({"command": command.to_json()})

        return StreamingResponse(records(), media_type="application/x-ndjson")

    async def _list_commands(self, request: Request) -> Response:
        session = self._live_session(request)
        return JSONResponse({"commands": [c.to_json() for c in session.commands.values()]})

    def _command_of(self, request: Request) -> tuple[FakeSession, FakeCommand]:
        session = self._live_session(request)
        command = session.commands.get(request.path_params["command_id"])
        if command is None:
            raise _ApiError(404, "not_found", "Command not found")
        return session, command

    async def _get_command(self, request: Request) -> Response:
        session, command = self._command_of(request)
        if request.query_params.get("wait") == "true":
            await command.wait()
            if session.status != "running":
                raise _ApiError(410, "sandbox_stopped", "The sandbox session has stopped")
        return JSONResponse({"command": command.to_json()})

    async def _logs(self, request: Request) -> Response:
        _session, command = self._command_of(request)

        async def records() -> AsyncIterator[bytes]:
            async for record in command.follow():
                yield _log_record(record)

        return StreamingResponse(records(), media_type="application/x-ndjson")

    async def _kill_command(self, request: Request) -> Response:
        session, command = self._command_of(request)
        body = await self._json_body(request)
        signal = body.get("signal")
        if not isinstance(signal, int) or not 0 < signal < 65:
            raise _ApiError(400, "bad_request", "signal must be a signal number")
        self._kill(session, command, signal)
        return JSONResponse({"command": command.to_json()})

    # ----- HTTP: a sandbox port's route -----

    def _preview_app(self, sandbox: FakeSandbox, port: int) -> Starlette:
        async def serve(request: Request) -> Response:
            if sandbox.deleted or sandbox.session.status != "running":
                return PlainTextResponse("sandbox stopped", status_code=410)
            server = sandbox.servers.get(port)
            if server is None or server.command.exit_code is not None:
                return PlainTextResponse(f"nothing listens on port {port}", status_code=502)
            path = request.url.path
            if not path.startswith(server.base):
                return PlainTextResponse("Not found", status_code=404)
            rel = path[len(server.base):] or "index.html"
            target = _inside(server.folder, rel)
            if target is None or not target.is_file():
                return PlainTextResponse("Not found", status_code=404)
            media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if target.suffix in (".js", ".jsx", ".mjs", ".ts", ".tsx"):
                media = "text/javascript"
            return Response(target.read_bytes(), media_type=media)

        return Starlette(routes=[Route("/{path:path}", serve, methods=["GET", "HEAD"])])


def _inside(root: Path, rel: str) -> Path | None:
    """``rel`` (absolute paths count from ``root``) inside ``root``, or None when it would
    leave it: a ``..`` above the root, or an existing symlink on the way."""
    parts: list[str] = []
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    current = root
    for part in parts:
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return None
        except FileNotFoundError:
            break
    return root.joinpath(*parts)


def _ndjson(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode() + b"\n"


def _log_record(record: tuple[str, str]) -> bytes:
    stream, data = record
    if stream == "error":
        return _ndjson({"stream": "error", "data": json.loads(data)})
    return _ndjson({"stream": stream, "data": data})
