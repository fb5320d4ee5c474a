"""The preview proxy against real servers: uvicorn upstreams on a Unix socket and on loopback
TCP, the gateway app on a random loopback port, real httpx and websockets clients, and (when
Chromium is installed) a real browser checking the origin isolation."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from gateway.preview import PREVIEW_CSP, PreviewProxy, Upstream, preview_router
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from paynto_common.testing.serve import serve_app

CHUNK = 64 * 1024
BIG = 16 * 1024 * 1024
HMR = Subprotocol("vite-hmr")


# --------------------------------------------------------------------------- servers


serve = serve_app


@dataclass
class UpstreamState:
    """What the fake sandbox saw, and the knobs a test turns."""

    release_download: asyncio.Event = field(default_factory=asyncio.Event)
    upload_started: asyncio.Event = field(default_factory=asyncio.Event)
    release_slow: asyncio.Event = field(default_factory=asyncio.Event)
    ws_closed: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


def upstream_app(state: UpstreamState) -> Starlette:
    """A stand-in for the sandbox's Vite server, whose ``base`` is ``/preview/<id>/``."""

    async def echo(request: Request) -> Response:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.stream():
            if chunk and not state.upload_started.is_set():
                state.upload_started.set()
            digest.update(chunk)
            size += len(chunk)
        return JSONResponse({
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
            "size": size,
            "sha256": digest.hexdigest(),
        })

    async def page(request: Request) -> Response:
        html = ('<!doctype html><html><head><title>preview</title></head><body>'
                '<div id="out">waiting</div><script type="module" src="./main.js"></script>'
                '</body></html>')
        return HTMLResponse(html, headers={
            # Everything a hostile preview might try on the gateway's origin:
            "set-cookie": "session=planted; Path=/",
            "clear-site-data": '"cookies"',
            "access-control-allow-origin": "http://localhost",
            "access-control-allow-credentials": "true",
        })

    async def main_js(request: Request) -> Response:
        return Response(BROWSER_PROBE_JS, media_type="text/javascript")

    async def big(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            yield _block(0)
            # Held until the test has the first block through the proxy: a proxy that
            # buffered the whole body would never deliver it.
            await state.release_download.wait()
            for i in range(1, BIG // CHUNK):
                yield _block(i)
        return StreamingResponse(body(), media_type="application/octet-stream")

    async def slow(request: Request) -> Response:
        await state.release_slow.wait()
        return Response("late")

    async def hmr(websocket: WebSocket) -> None:
        offered = websocket.scope.get("subprotocols", [])
        await websocket.accept(subprotocol="vite-hmr" if "vite-hmr" in offered else None)
        await websocket.send_text(json.dumps({
            "type": "connected",
            "raw_path": websocket.scope["raw_path"].decode(),
            "query": websocket.scope["query_string"].decode(),
            "headers": [[k.decode(), v.decode()] for k, v in websocket.scope["headers"]],
        }))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    if not state.ws_closed.done():
                        state.ws_closed.set_result(message.get("code", 1005))
                    return
                if message.get("text") == "close-me":
                    await websocket.close(4000, "bye")
                    return
                if message.get("text") is not None:
                    await websocket.send_text("echo:" + message["text"])
                else:
                    await websocket.send_bytes(message["bytes"][::-1])
        except WebSocketDisconnect as exc:
            if not state.ws_closed.done():
                state.ws_closed.set_result(exc.code)

    return Starlette(routes=[
        Route("/preview/{sid}/", page),
        Route("/preview/{sid}/main.js", main_js),
        Route("/preview/{sid}/big", big),
        Route("/preview/{sid}/slow", slow),
        Route("/preview/{sid}/echo/{rest:path}", echo, methods=["GET", "HEAD", "POST", "PUT"]),
        WebSocketRoute("/preview/{sid}/{rest:path}", hmr),
    ])


def _block(i: int) -> bytes:
    return i.to_bytes(4, "big") * (CHUNK // 4)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Env:
    url: str
    state: UpstreamState
    proxy: PreviewProxy
    whoami_cookies: list[str | None]
    unix_upstream: str
    tcp_upstream: str


def gateway_app(proxy: PreviewProxy, whoami_cookies: list[str | None]) -> FastAPI:
    """The preview routes plus a stand-in for the gateway's own authenticated API."""
    app = FastAPI()
    app.include_router(proxy.router)

    @app.get("/login")
    async def login() -> Response:
        # Not HttpOnly on purpose: the browser test proves the page at the gateway's origin
        # can read it while the preview cannot.
        response = HTMLResponse("<!doctype html><title>studio</title><p>logged in</p>")
        response.set_cookie("session", "secret", samesite="lax")
        return response

    @app.get("/api/whoami")
    async def whoami(request: Request) -> dict[str, str | None]:
        whoami_cookies.append(request.cookies.get("session"))
        return {"session": request.cookies.get("session")}

    return app


@contextlib.asynccontextmanager
async def environment(tmp_path: Path, **proxy_options: Any) -> AsyncIterator[Env]:
    state = UpstreamState()
    upstream = upstream_app(state)
    async with serve(upstream, uds=tmp_path / ".vite.sock") as unix_url, \
            serve(upstream) as tcp_url:
        endpoints = {
            "sb": unix_url,
            "tcp": tcp_url,
            "down": f"unix:{tmp_path / 'missing.sock'}",
            "closed": f"http://127.0.0.1:{_closed_port()}",
        }

        async def resolve(sandbox_id: str) -> str | None:
            return endpoints.get(sandbox_id)

        proxy = PreviewProxy(resolve, **proxy_options)
        cookies: list[str | None] = []
        async with serve(gateway_app(proxy, cookies)) as url:
            yield Env(url, state, proxy, cookies, unix_url, tcp_url)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async with environment(tmp_path) as value:
        yield value


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=env.url, timeout=10) as value:
        yield value


def _header_names(echoed: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in echoed["headers"]}


# --------------------------------------------------------------------------- endpoints


def test_endpoints_parse() -> None:
    unix = Upstream.parse("unix:/work/sb/.vite.sock")
    assert unix.uds == "/work/sb/.vite.sock"
    assert str(unix.http_url("/preview/sb/a%2Fb?x=1")) == "http://localhost/preview/sb/a%2Fb?x=1"
    hosted = Upstream.parse("https://5173-abc.e2b.app/")
    assert hosted.uds is None
    assert str(hosted.http_url("/preview/sb/")) == "https://5173-abc.e2b.app/preview/sb/"
    assert hosted.ws_uri("/preview/sb/?t=1") == "wss://5173-abc.e2b.app/preview/sb/?t=1"
    assert Upstream.parse("http://10.0.0.7:8080/base").ws_uri("/p/") == \
        "ws://10.0.0.7:8080/base/p/"
    for bad in ("unix:relative.sock", "ftp://host/", "localhost:5173", ""):
        with pytest.raises(ValueError):
            Upstream.parse(bad)


async def test_bad_endpoint_is_502(tmp_path: Path) -> None:
    async def resolve(_: str) -> str | None:
        return "ftp://nowhere/"

    app = FastAPI()
    app.include_router(preview_router(resolve))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        answer = await client.get("/preview/x/")
    assert answer.status_code == 502
    assert answer.json() == {"detail": "preview not reachable: bad endpoint"}


# --------------------------------------------------------------------------- HTTP


async def test_forwards_full_path_query_and_body_without_credentials(
        client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/preview/sb/echo/a%2Fb/c.js?v=1&x=%20y", content=b'{"hello": "world"}',
        headers={"cookie": "session=secret", "authorization": "Bearer tok",
                 "x-custom": "kept", "connection": "x-hop", "x-hop": "dropped",
                 "content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    echoed = answer.json()
    assert echoed["method"] == "POST"
    # The prefix stays (Vite's base) and %2F is not decoded into a separator.
    assert echoed["raw_path"] == "/preview/sb/echo/a%2Fb/c.js"
    assert echoed["query"] == "v=1&x=%20y"
    assert echoed["size"] == len(b'{"hello": "world"}')
    headers = _header_names(echoed)
    assert headers["host"] == "localhost"
    assert headers["x-custom"] == "kept"
    assert headers["content-type"] == "application/json"
    for gone in ("cookie", "authorization", "x-hop"):
        assert gone not in headers
    # The client's Connection header is hop-by-hop; httpx sends its own.
    assert headers.get("connection", "keep-alive") == "keep-alive"


async def test_tcp_upstream_gets_its_own_host(env: Env, client: httpx.AsyncClient) -> None:
    answer = await client.get("/preview/tcp/echo/x?y=1")
    assert answer.status_code == 200
    echoed = answer.json()
    assert echoed["raw_path"] == "/preview/tcp/echo/x"
    assert _header_names(echoed)["host"] == env.tcp_upstream.removeprefix("http://")


async def test_bare_id_redirects_to_trailing_slash(client: httpx.AsyncClient) -> None:
    answer = await client.get("/preview/sb?token=1")
    assert answer.status_code == 307
    assert answer.headers["location"] == "./sb/?token=1"
    followed = await client.get("/preview/sb?token=1", follow_redirects=True)
    assert followed.status_code == 200
    assert str(followed.url).endswith("/preview/sb/?token=1")


async def test_preview_responses_are_sandboxed_and_cannot_touch_the_origin(
        client: httpx.AsyncClient) -> None:
    page = await client.get("/preview/sb/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == PREVIEW_CSP
    assert page.headers.get_list("access-control-allow-origin") == ["*"]
    for gone in ("set-cookie", "clear-site-data", "access-control-allow-credentials"):
        assert gone not in page.headers
    # Not only HTML: any file opened on its own (an SVG, say) must be a sandboxed document.
    script = await client.get("/preview/sb/main.js")
    assert script.headers["content-security-policy"] == PREVIEW_CSP
    assert script.headers["access-control-allow-origin"] == "*"


async def test_cors_preflight_is_answered_without_credentials(
        client: httpx.AsyncClient) -> None:
    answer = await client.options("/preview/sb/echo/api", headers={
        "origin": "null", "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type"})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-methods"] == "PUT"
    assert answer.headers["access-control-allow-headers"] == "content-type"
    assert "access-control-allow-credentials" not in answer.headers


async def test_head_is_forwarded(client: httpx.AsyncClient) -> None:
    answer = await client.head("/preview/sb/main.js")
    assert answer.status_code == 200
    assert answer.content == b""
    assert int(answer.headers["content-length"]) == len(BROWSER_PROBE_JS.encode())


async def test_large_download_is_streamed_not_buffered(env: Env,
                                                       client: httpx.AsyncClient) -> None:
    digest, size = hashlib.sha256(), 0
    async with client.stream("GET", "/preview/sb/big") as answer:
        assert answer.status_code == 200
        chunks = answer.aiter_raw()
        async with asyncio.timeout(5):
            while size < CHUNK:
                chunk = await anext(chunks)
                digest.update(chunk)
                size += len(chunk)
        env.state.release_download.set()
        async for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
    expected = hashlib.sha256(b"".join(_block(i) for i in range(BIG // CHUNK))).hexdigest()
    assert size == BIG
    assert digest.hexdigest() == expected


async def test_large_upload_is_streamed_not_buffered(env: Env, client: httpx.AsyncClient) -> None:
    sent = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        sent.update(_block(0))
        yield _block(0)
        # The upstream must see the first block before the rest exists.
        await asyncio.wait_for(env.state.upload_started.wait(), 5)
        for i in range(1, BIG // CHUNK):
            sent.update(_block(i))
            yield _block(i)

    answer = await client.put("/preview/sb/echo/upload", content=body())
    assert answer.status_code == 200, answer.text
    assert answer.json()["size"] == BIG
    assert answer.json()["sha256"] == sent.hexdigest()


async def test_client_leaving_mid_download_frees_the_upstream(
        env: Env, client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/preview/sb/big") as answer:
        await anext(answer.aiter_raw())
    pooled = env.proxy._pool._clients[env.unix_upstream]
    async with asyncio.timeout(5):
        while pooled.busy:
            await asyncio.sleep(0.01)
    env.state.release_download.set()


async def test_unknown_sandbox_is_404(client: httpx.AsyncClient) -> None:
    answer = await client.get("/preview/nope/index.html")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "unknown sandbox"}


@pytest.mark.parametrize("sandbox_id", ["down", "closed"])
async def test_unreachable_upstream_is_502(client: httpx.AsyncClient, sandbox_id: str) -> None:
    answer = await client.get(f"/preview/{sandbox_id}/")
    assert answer.status_code == 502
    assert answer.json()["detail"].startswith("preview not reachable: ")


async def test_slow_upstream_is_504(tmp_path: Path) -> None:
    quick = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)
    async with environment(tmp_path, timeout=quick) as env, \
            httpx.AsyncClient(base_url=env.url) as client:
        answer = await client.get("/preview/sb/slow")
        env.state.release_slow.set()
    assert answer.status_code == 504
    assert answer.json()["detail"].startswith("preview timed out")


async def test_pool_is_bounded_and_closed_on_shutdown(tmp_path: Path) -> None:
    async with environment(tmp_path, max_upstreams=1) as env:
        async with httpx.AsyncClient(base_url=env.url) as client:
            assert (await client.get("/preview/sb/echo/1")).status_code == 200
            assert (await client.get("/preview/tcp/echo/2")).status_code == 200
        # The proxy releases a client after the last byte went out, which may be just
        # after the test client has it all.
        async with asyncio.timeout(5):
            while list(env.proxy._pool._clients) != [env.tcp_upstream]:
                await asyncio.sleep(0.01)
        kept = env.proxy._pool._clients[env.tcp_upstream].client
    # The gateway's shutdown ran the router's lifespan.
    assert len(env.proxy._pool) == 0
    assert kept.is_closed


async def test_preview_router_wires_its_own_shutdown(tmp_path: Path) -> None:
    async def resolve(_: str) -> str | None:
        return None

    app = FastAPI()
    app.include_router(preview_router(resolve))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/preview/x/")).status_code == 404


# --------------------------------------------------------------------------- WebSocket


def _ws_url(env: Env, path: str) -> str:
    return "ws" + env.url.removeprefix("http") + path


def _relay_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("preview-ws-")]


async def _no_relay_tasks_left() -> None:
    async with asyncio.timeout(5):
        while _relay_tasks():
            await asyncio.sleep(0.01)


async def test_websocket_relays_both_ways_and_client_close(env: Env) -> None:
    async with ws_connect(_ws_url(env, "/preview/sb/?token=abc"), subprotocols=[HMR],
                          additional_headers={"cookie": "session=secret"}) as ws:
        assert ws.subprotocol == "vite-hmr"
        hello = json.loads(await ws.recv())
        assert hello["type"] == "connected"
        assert hello["raw_path"] == "/preview/sb/"
        assert hello["query"] == "token=abc"
        headers = _header_names(hello)
        assert "cookie" not in headers
        assert headers["host"] == "localhost"
        await ws.send("ping")
        assert await ws.recv() == "echo:ping"
        await ws.send(b"\x00\x01\x02")
        assert await ws.recv() == b"\x02\x01\x00"
        assert _relay_tasks()
    # The client's clean close reached the sandbox as a clean close.
    assert await asyncio.wait_for(env.state.ws_closed, 5) == 1000
    await _no_relay_tasks_left()


async def test_websocket_upstream_close_reaches_the_client(env: Env) -> None:
    async with ws_connect(_ws_url(env, "/preview/sb/"), subprotocols=[HMR]) as ws:
        await ws.recv()
        await ws.send("close-me")
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4000
        assert ws.close_reason == "bye"
    await _no_relay_tasks_left()


async def test_websocket_over_tcp_upstream(env: Env) -> None:
    async with ws_connect(_ws_url(env, "/preview/tcp/"), subprotocols=[HMR]) as ws:
        assert json.loads(await ws.recv())["raw_path"] == "/preview/tcp/"
        await ws.send("x")
        assert await ws.recv() == "echo:x"
    await _no_relay_tasks_left()


@pytest.mark.parametrize(("sandbox_id", "status"), [("nope", 404), ("down", 502),
                                                    ("closed", 502)])
async def test_websocket_refused_with_http_status(env: Env, sandbox_id: str,
                                                  status: int) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(_ws_url(env, f"/preview/{sandbox_id}/"),
                              subprotocols=[HMR]):
            pass
    assert refused.value.response.status_code == status
    assert "detail" in json.loads(refused.value.response.body or b"{}")


# --------------------------------------------------------------------------- browser

# Runs inside the preview document and reports what it could reach.
BROWSER_PROBE_JS = """
const r = {origin: self.origin};
try { r.cookie = 'read:' + document.cookie; } catch (e) { r.cookie = 'error:' + e.name; }
try { localStorage.setItem('k', 'v'); r.storage = 'ok'; }
catch (e) { r.storage = 'error:' + e.name; }
try {
  const res = await fetch('/api/whoami', {credentials: 'include'});
  r.api = 'read:' + await res.text();
} catch (e) { r.api = 'error:' + e.name; }
r.ws = await new Promise((resolve) => {
  const ws = new WebSocket(location.href.replace(/^http/, 'ws'), 'vite-hmr');
  ws.onopen = () => ws.send('hi');
  ws.onmessage = (m) => { if (m.data.startsWith('echo:')) { resolve(m.data); ws.close(); } };
  ws.onerror = () => resolve('error');
});
document.getElementById('out').textContent = JSON.stringify(r);
document.body.dataset.done = '1';
"""

@pytest.mark.slow
async def test_browser_preview_runs_scripts_but_cannot_act_as_the_user(env: Env) -> None:
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(env.url + "/login")
            # Control: at the gateway's own origin the cookie is readable.
            assert "session=secret" in await page.evaluate("document.cookie")

            # Top level, no iframe sandbox: the CSP header alone must isolate the document.
            await page.goto(env.url + "/preview/sb/")
            await page.wait_for_selector("body[data-done]", timeout=10_000)
            report = json.loads(await page.inner_text("#out"))
            # The module script ran (so the CORS header works) and the HMR socket echoed.
            assert report["origin"] == "null"
            assert report["ws"] == "echo:hi"
            assert report["cookie"] == "error:SecurityError"
            assert report["storage"] == "error:SecurityError"
            # A credentialed request to the user's API is cross-origin: no readable answer.
            assert report["api"] == "error:TypeError"
            # It did reach the API, but a SameSite=Lax session cookie stayed behind: the
            # opaque origin makes it a cross-site request. (The gateway's session cookie must
            # not be SameSite=None, or such requests would carry it.)
            assert env.whoami_cookies == [None]
            # The planted Set-Cookie never reached the browser.
            cookies = await page.context.cookies(env.url)
            assert [(c["name"], c["value"]) for c in cookies] == [("session", "secret")]
        finally:
            await browser.close()


def test_a_preview_links_token_is_not_forwarded_to_the_sandbox() -> None:
    from gateway.preview import forwarded_target

    def target(query: bytes) -> str:
        return forwarded_target({"raw_path": b"/preview/s1/src/App.jsx", "path": "",
                                 "query_string": query})

    assert target(b"preview_token=abc.def") == "/preview/s1/src/App.jsx"
    assert target(b"t=1&preview_token=abc&import") == "/preview/s1/src/App.jsx?t=1&import"
    # Vite's own token (its HMR socket's) is the sandbox's business: it passes.
    assert target(b"token=vite") == "/preview/s1/src/App.jsx?token=vite"
    assert target(b"") == "/preview/s1/src/App.jsx"
