"""The preview reverse proxy: ``/preview/<sandbox_id>/...`` → the sandbox's Vite dev server.

The sandbox's server is untrusted code (the model wrote it) served from the gateway's own origin,
so the proxy is also a trust boundary:

* requests lose ``Cookie`` and ``Authorization``: the preview never sees the user's credentials;
* responses lose headers that would act on the gateway's origin (``Set-Cookie``,
  ``Clear-Site-Data``, HSTS, ...), and every response carries
  ``Content-Security-Policy: sandbox ...`` so a preview document — HTML, but also SVG or XML
  opened directly — runs in an opaque origin: it cannot read the gateway's cookies or storage,
  and its requests to ``/api/*`` are cross-origin (no readable answer).
  Because an opaque-origin document loads its module scripts in CORS mode,
  responses also carry ``Access-Control-Allow-Origin: *`` (never with credentials).

Lifetime: :class:`PreviewProxy` owns one pooled ``httpx.AsyncClient`` per upstream endpoint.
Its ``router`` carries a lifespan that calls :meth:`PreviewProxy.aclose` on shutdown, and
FastAPI merges a router's lifespan into the app's on ``include_router``, so including the router
is all the wiring needed; ``aclose()`` is public (and idempotent) for callers that mount the
routes some other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi import APIRouter, FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect, unix_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

log = logging.getLogger(__name__)

Resolver = Callable[[str], Awaitable[str | None]]
"""``resolve(sandbox_id)`` → ``"unix:/abs/path.sock"``, ``"http(s)://host:port"`` or None."""

Authorizer = Callable[[Request, str], Awaitable["Admission"]]
"""``authorize(request, sandbox_id)``: may this request see the sandbox's preview?"""


@dataclass(frozen=True)
class Admission:
    """An authorizer's answer: refused requests get the same 404 as an unknown sandbox; an
    admitted one may carry a cookie to set on the answer."""

    allowed: bool
    set_cookie: str | None = None

PREVIEW_CSP = "sandbox allow-scripts allow-forms allow-popups allow-modals"

HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
})
# The user's credentials for the gateway; the preview must never receive them.
_CREDENTIAL_HEADERS = frozenset({"cookie", "authorization"})
# Response headers that would let the preview act on the gateway's whole origin: plant or
# clear the user's cookies, pin HSTS or alternative services for the host, widen a service
# worker's scope, or pop a basic-auth prompt that looks like the gateway's.
_ORIGIN_WIDE_RESPONSE_HEADERS = frozenset({
    "set-cookie", "set-cookie2", "clear-site-data", "strict-transport-security", "alt-svc",
    "service-worker-allowed", "www-authenticate",
})

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=60.0, pool=10.0)
# Vite's HMR messages are small; the bound keeps an untrusted sandbox from making the gateway
# buffer arbitrarily large frames.
WS_MAX_MESSAGE = 8 * 1024 * 1024
# websockets refuses to send these (RFC 6455 §7.4.1 reserves them for local use).
_UNSENDABLE_CLOSE_CODES = frozenset({1004, 1005, 1006, 1015})


@dataclass(frozen=True)
class Upstream:
    """A parsed ``resolve()`` answer."""

    endpoint: str
    uds: str | None
    origin: str
    """``scheme://host[:port]`` to send HTTP to (``http://localhost`` for a Unix socket)."""
    base_path: str
    """A path in the endpoint URL, put before the forwarded path (usually empty)."""

    @classmethod
    def parse(cls, endpoint: str) -> Upstream:
        if endpoint.startswith("unix:"):
            path = endpoint.removeprefix("unix:")
            if not os.path.isabs(path):
                raise ValueError(f"unix endpoint needs an absolute path: {endpoint!r}")
            return cls(endpoint, path, "http://localhost", "")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"unsupported preview endpoint: {endpoint!r}")
        return cls(endpoint, None, f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/"))

    def http_url(self, target: str) -> httpx.URL:
        return httpx.URL(self.origin, raw_path=(self.base_path + target).encode("ascii"))

    def ws_uri(self, target: str) -> str:
        return "ws" + self.origin.removeprefix("http") + self.base_path + target


def forwarded_target(scope: Scope) -> str:
    """The path and query to send upstream, ``/preview/<id>/...`` prefix included.

    Vite's ``base`` is ``/preview/<id>/``, so the prefix stays. The raw path is used so
    percent-encoding (``%2F`` in particular) reaches the upstream exactly as the browser sent
    it; anything before ``/preview/`` (an ASGI root path, a router prefix) is not the
    sandbox's business and is dropped.
    """
    raw: bytes | None = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"])
    start = path.find("/preview/")
    if start > 0:
        path = path[start:]
    query = _without_link_token(scope.get("query_string", b"").decode("latin-1"))
    return path + ("?" + query if query else "")


def _without_link_token(query: str) -> str:
    """The query without the gateway's own ``preview_token`` (a preview link's signature):
    the sandbox has no business with it, and its URLs end up in logs. (Vite's own ``token``
    on its HMR socket passes.)"""
    if "preview_token=" not in query:
        return query
    return "&".join(p for p in query.split("&") if not p.startswith("preview_token="))


def request_headers(headers: list[tuple[bytes, bytes]], upstream: Upstream
                    ) -> list[tuple[bytes, bytes]]:
    """The client's headers minus hop-by-hop, credentials and Host."""
    # Expect: 100-continue was settled between the browser and this server already.
    drop = set(_HOP_BY_HOP | _CREDENTIAL_HEADERS) | {"host", "expect"}
    drop |= _connection_tokens(headers)
    kept = [(k, v) for k, v in headers if k.decode("latin-1").lower() not in drop]
    if upstream.uds is not None:
        # Vite answers "Blocked request" to a Host it does not know; localhost it always knows.
        kept.append((b"host", b"localhost"))
    return kept


def response_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upstream's headers made safe for the gateway's origin (see the module docstring)."""
    drop = set(_HOP_BY_HOP | _ORIGIN_WIDE_RESPONSE_HEADERS) | _connection_tokens(headers)
    kept = [
        (k, v) for k, v in headers
        if (name := k.decode("latin-1").lower()) not in drop
        # Replaced below: the upstream must not grant credentialed cross-origin access.
        and not name.startswith("access-control-")
    ]
    # Applied to every response, not only text/html: an SVG or XML file opened on its own is a
    # document too. Headers add up, so an upstream CSP can only tighten this one.
    kept.append((b"content-security-policy", PREVIEW_CSP.encode()))
    kept.append((b"access-control-allow-origin", b"*"))
    return kept


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> set[str]:
    tokens: set[str] = set()
    for key, value in headers:
        if key.lower() == b"connection":
            tokens |= {t.strip().lower() for t in value.decode("latin-1").split(",") if t.strip()}
    return tokens


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class _PooledClient:
    __slots__ = ("busy", "client")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.busy = 0


class _ClientPool:
    """One ``httpx.AsyncClient`` per upstream endpoint, least recently used first out.

    Sandboxes come and go, so the pool is bounded; a client is only closed when no request is
    using it (the bound may be exceeded while every client is busy).
    """

    def __init__(self, timeout: httpx.Timeout, limit: int) -> None:
        self._timeout = timeout
        self._limit = limit
        self._clients: OrderedDict[str, _PooledClient] = OrderedDict()

    def acquire(self, upstream: Upstream) -> _PooledClient:
        pooled = self._clients.get(upstream.endpoint)
        if pooled is None:
            transport = (httpx.AsyncHTTPTransport(uds=upstream.uds)
                         if upstream.uds is not None else None)
            pooled = _PooledClient(httpx.AsyncClient(transport=transport, timeout=self._timeout))
            self._clients[upstream.endpoint] = pooled
        self._clients.move_to_end(upstream.endpoint)
        pooled.busy += 1
        return pooled

    async def release(self, pooled: _PooledClient) -> None:
        pooled.busy -= 1
        while len(self._clients) > self._limit:
            idle = next((key for key, p in self._clients.items() if p.busy == 0), None)
            if idle is None:
                return
            await self._clients.pop(idle).client.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for pooled in clients:
            await pooled.client.aclose()

    def __len__(self) -> int:
        return len(self._clients)


class _UpstreamResponse(Response):
    """Streams an upstream response through without buffering it, then frees the upstream."""

    def __init__(self, upstream: httpx.Response, headers: list[tuple[bytes, bytes]],
                 on_close: Callable[[], Awaitable[None]]) -> None:
        self.status_code = upstream.status_code
        self.raw_headers = headers
        self.background = None
        self._upstream = upstream
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Sending alone would notice a departed client only at the next chunk, and an upstream
        # that goes quiet (a long poll, an event stream in the preview app) may never send
        # one: so the disconnect is watched for as well.
        relay = asyncio.create_task(self._relay(send))
        watch = asyncio.create_task(_wait_for_disconnect(receive))
        try:
            await asyncio.wait([relay, watch], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (relay, watch):
                task.cancel()
            await asyncio.gather(relay, watch, return_exceptions=True)
            await self._upstream.aclose()
            await self._on_close()
        if not relay.cancelled():
            relay.result()

    async def _relay(self, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})
            async for chunk in self._upstream.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            # The browser went away (uvicorn raises OSError on send); nobody is left to answer.
            pass
        except httpx.TransportError as exc:
            # Headers are out, so the status cannot change any more; re-raising makes the server
            # cut the connection, so the client sees a truncated body as an error, not as a
            # complete file.
            log.warning("preview upstream failed mid-response: %s", _describe(exc))
            raise


async def _wait_for_disconnect(receive: Receive) -> None:
    # The request body is already consumed (httpx sends it whole before reading the answer),
    # so what is left to receive is the disconnect.
    while (await receive())["type"] != "http.disconnect":
        pass


class _Ended(enum.Enum):
    CLIENT = "client"
    UPSTREAM = "upstream"


def _sendable_close(code: int | None) -> int:
    if code is None or code == 1005:
        return 1000
    if code in _UNSENDABLE_CLOSE_CODES or not (1000 <= code <= 4999):
        return 1001
    return code


def _short_reason(reason: str | None) -> str:
    # A close frame's reason must fit in 123 bytes.
    return reason if reason and len(reason.encode()) <= 123 else ""


class PreviewProxy:
    """Reverse proxy from ``/preview/<sandbox_id>/...`` to each sandbox's dev server.

    ``resolve(sandbox_id)`` gives the endpoint (see :data:`Resolver`); None answers 404.
    Include :attr:`router` in the app; its lifespan closes the pooled clients on shutdown.
    """

    def __init__(self, resolve: Resolver, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 max_upstreams: int = 64, ws_max_message: int = WS_MAX_MESSAGE,
                 authorize: Authorizer | None = None) -> None:
        self._resolve = resolve
        self._authorize = authorize
        self._timeout = timeout
        self._ws_max_message = ws_max_message
        self._pool = _ClientPool(timeout, max_upstreams)
        self.router = APIRouter(lifespan=self._lifespan)
        self.router.add_api_route("/preview/{sandbox_id}", self._redirect, methods=HTTP_METHODS,
                                  include_in_schema=False)
        self.router.add_api_route("/preview/{sandbox_id}/{path:path}", self._http,
                                  methods=HTTP_METHODS, include_in_schema=False)
        self.router.add_api_websocket_route("/preview/{sandbox_id}/{path:path}", self._websocket)

    async def aclose(self) -> None:
        """Close every pooled upstream client. The proxy stays usable: new ones get opened."""
        await self._pool.aclose()

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.aclose()

    async def _upstream(self, sandbox_id: str) -> Upstream | JSONResponse:
        endpoint = await self._resolve(sandbox_id)
        if endpoint is None:
            return _error(404, "unknown sandbox")
        try:
            return Upstream.parse(endpoint)
        except ValueError as exc:
            log.error("sandbox %s: %s", sandbox_id, exc)
            return _error(502, "preview not reachable: bad endpoint")

    async def _redirect(self, request: Request, sandbox_id: str) -> Response:
        # Relative, so it stays right behind any path prefix; "./" keeps an id with a colon
        # from reading as a URL scheme.
        location = "./" + quote(sandbox_id, safe="") + "/"
        if request.url.query:
            location += "?" + request.url.query
        return RedirectResponse(location, status_code=307)

    async def _http(self, request: Request, sandbox_id: str, path: str) -> Response:
        admission = Admission(True)
        if self._authorize is not None:
            admission = await self._authorize(request, sandbox_id)
            if not admission.allowed:
                return _error(404, "unknown sandbox")
        upstream = await self._upstream(sandbox_id)
        if isinstance(upstream, JSONResponse):
            return upstream
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            return self._preflight(request)

        headers = request_headers(request.headers.raw, upstream)
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        pooled = self._pool.acquire(upstream)
        try:
            outgoing = pooled.client.build_request(
                request.method, upstream.http_url(forwarded_target(request.scope)),
                headers=headers, content=request.stream() if has_body else None)
            answer = await pooled.client.send(outgoing, stream=True)
        except httpx.TimeoutException as exc:
            await self._pool.release(pooled)
            return _error(504, f"preview timed out: {_describe(exc)}")
        except httpx.TransportError as exc:
            await self._pool.release(pooled)
            return _error(502, f"preview not reachable: {_describe(exc)}")
        except ClientDisconnect:
            # The browser dropped while uploading; the status goes nowhere.
            await self._pool.release(pooled)
            return Response(status_code=400)
        headers = response_headers(answer.headers.raw)
        if admission.set_cookie:
            headers.append((b"set-cookie", admission.set_cookie.encode("latin-1")))
        return _UpstreamResponse(answer, headers, on_close=lambda: self._pool.release(pooled))

    @staticmethod
    def _preflight(request: Request) -> Response:
        # Answered here because the dev server only trusts localhost origins, and a preview
        # document's origin is "null"; without credentials this grants nothing a plain GET
        # wouldn't.
        headers = {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": request.headers["access-control-request-method"],
            "access-control-max-age": "600",
            "content-security-policy": PREVIEW_CSP,
        }
        if wanted := request.headers.get("access-control-request-headers"):
            headers["access-control-allow-headers"] = wanted
        return Response(status_code=204, headers=headers)

    async def _websocket(self, websocket: WebSocket, sandbox_id: str, path: str) -> None:
        upstream = await self._upstream(sandbox_id)
        if isinstance(upstream, JSONResponse):
            await _deny(websocket, upstream)
            return
        target = forwarded_target(websocket.scope)
        subprotocols = [Subprotocol(p) for p in websocket.scope.get("subprotocols", [])]
        try:
            connection = await self._ws_connect(upstream, target, subprotocols)
        except TimeoutError as exc:
            await _deny(websocket, _error(504, f"preview timed out: {_describe(exc)}"))
            return
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            await _deny(websocket, _error(502, f"preview not reachable: {_describe(exc)}"))
            return
        async with connection:
            # Connected first, accepted second: the client gets the subprotocol the upstream
            # actually chose, and an unreachable upstream is an HTTP error, not an open socket
            # that closes at once.
            await websocket.accept(subprotocol=connection.subprotocol)
            await _relay(websocket, connection)

    async def _ws_connect(self, upstream: Upstream, target: str,
                          subprotocols: list[Subprotocol]) -> ClientConnection:
        options: dict[str, Any] = {
            "subprotocols": subprotocols or None,
            "max_size": self._ws_max_message,
            "open_timeout": self._timeout.connect,
        }
        if upstream.uds is not None:
            # Compressing over a local socket only costs CPU.
            return await unix_connect(
                upstream.uds, uri="ws://localhost" + target, compression=None, **options)
        return await connect(upstream.ws_uri(target), **options)


async def _deny(websocket: WebSocket, response: JSONResponse) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        # Without the denial-response extension the server can only refuse the handshake.
        await websocket.close(code=1008 if response.status_code == 404 else 1011)


async def _relay(websocket: WebSocket, upstream: ClientConnection) -> None:
    """Pump messages both ways until one side closes, then close the other with its code."""

    async def client_to_upstream() -> tuple[_Ended, int | None, str | None]:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return _Ended.CLIENT, message.get("code"), message.get("reason")
            data = message.get("text")
            if data is None:
                data = message.get("bytes")
            if data is None:
                continue
            try:
                await upstream.send(data)
            except ConnectionClosed:
                return _Ended.UPSTREAM, None, None

    async def upstream_to_client() -> tuple[_Ended, int | None, str | None]:
        try:
            async for data in upstream:
                if isinstance(data, str):
                    await websocket.send_text(data)
                else:
                    await websocket.send_bytes(data)
        except ConnectionClosed:
            pass
        except (WebSocketDisconnect, OSError, RuntimeError):
            # Starlette raises RuntimeError when sending after the client's close.
            return _Ended.CLIENT, None, None
        return _Ended.UPSTREAM, None, None

    tasks = [asyncio.create_task(client_to_upstream(), name="preview-ws-to-upstream"),
             asyncio.create_task(upstream_to_client(), name="preview-ws-to-client")]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    ended, code, reason = next(iter(done)).result()
    if ended is _Ended.CLIENT:
        await upstream.close(_sendable_close(code), _short_reason(reason))
    else:
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            # The client may have left at the same moment; then there is nobody to tell.
            await websocket.close(_sendable_close(upstream.close_code),
                                  _short_reason(upstream.close_reason))


def preview_router(resolve: Resolver, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT
                   ) -> APIRouter:
    """The preview routes; ``app.include_router`` also wires the shutdown that closes clients.

    Use :class:`PreviewProxy` directly to hold on to ``aclose()``.
    """
    return PreviewProxy(resolve, timeout=timeout).router
