"""What the sandbox pool asks of a sandbox provider: ``local``, ``e2b`` or ``vercel``.

A provider makes sandboxes; a sandbox holds one project's files and runs its Vite dev server
(our ``serve.mjs``), serving the site under ``base_path`` (``/preview/<sandbox id>/``) at
``endpoint``, which the gateway's preview proxy connects to. The pool above never needs to know
which provider it drives: everything it uses is on :class:`SandboxProvider` and
:class:`ProviderSandbox`, and the same contract suite (``testing/contract.py``) runs against
every one.

A provider operation on a sandbox that expired or vanished (E2B "not found"/"not running",
HTTP 410, a local server process that died) raises :class:`SandboxGoneError`; the pool then
creates a new sandbox and restores the project's latest version into it.

Every provider runs ``serve.mjs``, so what it answers besides the site is the same everywhere:
:func:`check_sandbox` (or :func:`compile_errors` and :func:`render_error`) asks it, and
:func:`parse_preview_error` reads the errors it prints.
"""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

import httpx

from paynto_common.messages import PreviewError
from sandbox_pool.unix_http import UnixHttp

__all__ = [
    "COMPILED_SUFFIXES",
    "LOG_LINES",
    "PREVIEW_ERROR_MARKER",
    "SANDBOX_ID_RE",
    "SERVE_MJS",
    "Alive",
    "OutputCallback",
    "ProviderSandbox",
    "SandboxError",
    "SandboxGoneError",
    "SandboxProvider",
    "SandboxStartError",
    "SandboxUnavailableError",
    "check_sandbox_args",
]

# Called with each line a sandbox prints (its server, or an install it runs).
OutputCallback = Callable[[str], None]
# Whether a replica (by id) still runs.
Alive = Callable[[str], Awaitable[bool]]
# What the dev server compiles (and so can fail to, or serve stale).
COMPILED_SUFFIXES = (".js", ".jsx", ".mjs", ".ts", ".tsx", ".css")
# serve.mjs prints this, then JSON, for each compile or runtime error of the preview.
PREVIEW_ERROR_MARKER = "PAYNTO_PREVIEW_ERROR "
# The sandbox's server entry point: ours, not part of the site (the template is the site's).
SERVE_MJS = Path(__file__).with_name("serve.mjs")
# How many of its dev server's last output lines a sandbox keeps (``logs()``).
LOG_LINES = 200
# Ours: they become part of paths, socket names and URLs.
SANDBOX_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_BASE_PATH_RE = re.compile(r"^/(?:[A-Za-z0-9._~-]+/)*$")


def check_sandbox_args(sandbox_id: str, base_path: str) -> None:
    """Raise ValueError unless ``sandbox_id`` and ``base_path`` are what every provider's
    ``create`` accepts: the id becomes part of paths and URLs, the base path a URL prefix."""
    if not SANDBOX_ID_RE.match(sandbox_id):
        raise ValueError(
            f"invalid sandbox id {sandbox_id!r}: 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    if not _BASE_PATH_RE.match(base_path):
        raise ValueError(f"invalid base path {base_path!r}: must look like /preview/<id>/")


class SandboxError(RuntimeError):
    """A sandbox operation failed."""


class SandboxUnavailableError(SandboxError):
    """The provider cannot make sandboxes here (no bubblewrap, no credentials): nothing of the
    model's may run unsandboxed, so the pool refuses to start."""


class SandboxGoneError(SandboxError):
    """The sandbox expired or vanished; its project must be restored into a new one."""


class SandboxStartError(SandboxError):
    """The dev server did not become ready. ``log_tail`` holds its last output lines."""

    def __init__(self, message: str, log_tail: Iterable[str] = ()) -> None:
        self.log_tail = list(log_tail)
        tail = "\n".join(self.log_tail)
        super().__init__(f"{message}\n--- last server output ---\n{tail}" if tail else message)


@runtime_checkable
class ProviderSandbox(Protocol):
    """One sandbox: a workspace with the site template and, once started, its dev server."""

    id: str
    """Ours: letters, digits, ``-`` and ``_``; part of ``base_path``."""
    base_path: str
    """The URL prefix the dev server serves under, ``/preview/<id>/``."""
    on_log: OutputCallback | None
    """Called with every line the dev server prints (for ``preview_error`` capture)."""

    @property
    def endpoint(self) -> str:
        """Where the preview proxy connects: ``unix:/abs/path.sock`` or ``https://host``.
        Valid once :meth:`start` returned."""
        ...

    @property
    def remote_id(self) -> str | None:
        """The provider's own id for the sandbox (for ``connect``); None for local ones."""
        ...

    async def write_files(self, files: Mapping[str, str]) -> list[str]:
        """Write ``files`` (relative path → text); return the paths written, in write order.

        Every path is checked first (``paynto_common.safety.paths``): one unsafe path raises
        ``UnsafePathError`` and nothing is written. Leaf modules are written first so the dev
        server never sees an import of a file that is not there yet.
        """
        ...

    async def start(self) -> None:
        """Start the dev server if it is not running; return once it answers ``base_path``."""
        ...

    async def restart(self) -> None:
        """Stop the dev server if it runs and start it again."""
        ...

    async def stop(self) -> None:
        """Stop the dev server; the files stay."""
        ...

    async def destroy(self) -> None:
        """Stop everything and release the sandbox: afterwards nothing of it runs or costs."""
        ...

    async def alive(self) -> bool:
        """True when the dev server runs and answers; never raises."""
        ...

    async def ensure_packages(
        self, names: Iterable[str], on_output: OutputCallback | None = None
    ) -> list[str]:
        """Make npm packages importable; return the names that were not there before.

        Names are validated (``paynto_common.packages.validate_package_name``) before anything
        runs; installs use ``--ignore-scripts``; install output lines go to ``on_output``. A
        running dev server is restarted only when it has to be.
        """
        ...

    async def keep_alive(self, seconds: float) -> None:
        """Keep the sandbox from expiring for at least ``seconds`` more (E2B ``set_timeout``);
        a no-op where sandboxes do not expire on their own."""
        ...

    def logs(self) -> list[str]:
        """The dev server's last output lines (at most :data:`LOG_LINES`)."""
        ...


@runtime_checkable
class SandboxProvider(Protocol):
    name: str
    """``local``, ``e2b`` or ``vercel``: what ``SANDBOX_PROVIDER`` says."""

    async def check(self) -> None:
        """Raise SandboxUnavailableError when this provider cannot make sandboxes here."""
        ...

    async def prepare(self) -> None:
        """Get ready for the first job, once at start (the local provider builds the shared
        ``node_modules`` then, not while a job waits)."""
        ...

    async def reclaim(self, alive: Alive) -> list[str]:
        """Remove what sandboxes of replicas no longer ``alive`` left behind here; return the
        ids of those removed (none where a sandbox ends with its maker or expires by itself)."""
        ...

    async def create(self, sandbox_id: str, base_path: str) -> ProviderSandbox:
        """A new sandbox holding the site template, dependencies installed, server not
        started; ValueError unless :func:`check_sandbox_args` accepts the arguments."""
        ...

    async def connect(self, sandbox_id: str, remote_id: str | None,
                      base_path: str) -> ProviderSandbox:
        """Reattach to a sandbox made earlier (by this or another process); raise
        SandboxGoneError when it no longer exists."""
        ...

    async def aclose(self) -> None:
        """Release the provider's own resources (clients); sandboxes are left as they are."""
        ...


def http_client_for(endpoint: str, timeout: float = 30.0) -> httpx.AsyncClient:
    """An HTTP client whose requests reach the dev server at a sandbox's ``endpoint``, as the
    gateway's preview proxy reaches it (a Unix socket, or a URL with an optional path)."""
    if endpoint.startswith("unix:"):
        # No TLS on a Unix socket: skip building an SSL context (it costs more CPU than the
        # requests themselves).
        transport = httpx.AsyncHTTPTransport(uds=endpoint.removeprefix("unix:"), verify=False)
        return httpx.AsyncClient(transport=transport, base_url="http://localhost",
                                 timeout=timeout)
    return httpx.AsyncClient(base_url=endpoint.rstrip("/"), timeout=timeout)


# Kept clients, per event loop, for the sandboxes asked most recently: each apply asks its
# sandbox's server two or three questions, and a client made and closed for each (its
# transport, its connection) cost more CPU than the questions. A local sandbox's socket is
# asked with the lean client of ``unix_http``; a hosted sandbox's URL with httpx.
KEPT_CLIENTS = 64
_kept: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, OrderedDict[str, httpx.AsyncClient | UnixHttp]
] = weakref.WeakKeyDictionary()


async def ask_sandbox(endpoint: str, path: str, params: dict[str, Any] | None = None,
                      timeout: float = 60.0) -> httpx.Response:
    """GET ``path`` (with query ``params``) from the dev server at ``endpoint`` on a kept
    connection. A kept connection the server has closed meanwhile (it restarted) costs one
    more try on a new one."""
    clients = _kept.setdefault(asyncio.get_running_loop(), OrderedDict())
    client = clients.get(endpoint)
    if client is None:
        client = clients[endpoint] = (
            UnixHttp(endpoint.removeprefix("unix:")) if endpoint.startswith("unix:")
            else http_client_for(endpoint, timeout=timeout))
        while len(clients) > KEPT_CLIENTS:
            evicted = clients.popitem(last=False)[1]
            if isinstance(evicted, UnixHttp):
                evicted.close()
            else:
                await evicted.aclose()
    clients.move_to_end(endpoint)
    if isinstance(client, UnixHttp):
        query = urlencode(params, doseq=True) if params else ""
        return await client.get(f"{path}?{query}" if query else path, timeout)
    try:
        return await client.get(path, params=params, timeout=timeout)
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        return await client.get(path, params=params, timeout=timeout)


async def compile_errors(sandbox: ProviderSandbox, paths: Iterable[str]) -> list[dict[str, Any]]:
    """Ask the sandbox's dev server to compile ``paths`` now; return the errors (an empty list
    also when the server cannot tell, such as an older serve.mjs)."""
    return (await check_sandbox(sandbox, paths))[0]


async def check_sandbox(sandbox: ProviderSandbox, paths: Iterable[str], render: bool = False
                        ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Compile ``paths`` now and, with ``render`` and when they all compile, render the app
    once, in one question to the dev server: the compile errors (as :func:`compile_errors`
    gives them) and what the first render throws (as :func:`render_error` does)."""
    wanted = list(paths)
    if not wanted and not render:
        return [], None
    params: dict[str, Any] = {"path": wanted, **({"render": "1"} if render else {})}
    answer: Any = {}
    try:
        response = await ask_sandbox(sandbox.endpoint, sandbox.base_path + "__paynto/check",
                                     params)
        if response.status_code == 200:
            answer = response.json()
    except (httpx.HTTPError, ValueError):
        pass
    # What the server answers is checked: sandboxed code runs in its process.
    if not isinstance(answer, dict):
        answer = {}
    found = answer.get("errors")
    errors = [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []
    if errors or not render:
        return errors, None
    if "render" not in answer:
        # A server started before its check could render (a hosted sandbox from an older
        # serve.mjs): asked on its own path.
        return errors, await render_error(sandbox)
    return errors, _thrown(answer["render"])


# Errors a server-side render meets that a browser would not: its globals are missing there.
_BROWSER_ONLY = re.compile(
    r"^(window|document|localStorage|sessionStorage|navigator|location|self|matchMedia|"
    r"requestAnimationFrame|cancelAnimationFrame|IntersectionObserver|ResizeObserver|"
    r"MutationObserver|HTMLElement|Element|Node|Image|Audio|getComputedStyle|customElements|"
    r"indexedDB|alert|confirm|prompt) is not defined")
_SITE_FILE = re.compile(r"([^\s()]*?)(src/[\w./-]+\.(?:jsx|tsx|js|ts))")


async def render_error(sandbox: ProviderSandbox) -> dict[str, Any] | None:
    """Render the app once without a browser (the dev server's server-side renderer, in a
    worker it cuts off after a few seconds) and return the error its first render throws, as
    a ``runtime`` preview error; None when it renders, when the error is one only a server
    meets (a browser global such as ``window`` missing), or when there is no verdict."""
    try:
        response = await ask_sandbox(sandbox.endpoint, sandbox.base_path + "__paynto/render")
        if response.status_code != 200:
            return None
        return _thrown(response.json())
    except (httpx.HTTPError, ValueError, AttributeError):
        return None


def _thrown(verdict: Any) -> dict[str, Any] | None:
    """The runtime preview error in a render's verdict (``{"error": ...}``), if it is one a
    browser would meet too."""
    raw = verdict.get("error") if isinstance(verdict, dict) else None
    if not isinstance(raw, dict):
        return None
    message = str(raw.get("message", "")).strip()
    if not message or (raw.get("name") == "ReferenceError" and _BROWSER_ONLY.match(message)):
        return None
    stack = str(raw.get("stack", ""))
    where = next((m.group(2) for m in _SITE_FILE.finditer(stack)
                  if "node_modules" not in m.group(1)), "src/App.jsx")
    return {"kind": "runtime", "path": where,
            "message": f"{raw.get('name') or 'Error'}: {message}"[:2000], "stack": stack[:4000]}


def parse_preview_error(line: str) -> PreviewError | None:
    """The error a ``PAYNTO_PREVIEW_ERROR`` line carries, cleaned; None for other lines. The
    line comes from sandboxed code's process: every field is checked and bounded."""
    if not line.startswith(PREVIEW_ERROR_MARKER):
        return None
    try:
        raw = json.loads(line[len(PREVIEW_ERROR_MARKER):])
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    # Only the fields the line has are set, so the error travels with no others.
    error: dict[str, Any] = {"kind": "compile" if raw.get("kind") == "compile" else "runtime"}
    for key, limit in (("message", 2000), ("file", 300), ("stack", 4000), ("frame", 2000),
                       ("plugin", 100), ("url", 500)):
        value = raw.get(key)
        if isinstance(value, str) and value:
            error[key] = value[:limit]
    for key in ("line", "column"):
        if isinstance(raw.get(key), int):
            error[key] = raw[key]
    return PreviewError(**error) if error.get("message") else None
