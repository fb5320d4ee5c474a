"""The gateway's edge (``gateway.security``): security headers on the studio, its files, JSON
answers, event streams and the preview; CORS for configured origins only.

The gateway runs for real (uvicorn on loopback, real NATS, Redis and SQLite) in front of a
stand-in for a sandbox's dev server on a Unix socket, so the preview's answers, its CORS
preflight and its HMR websocket go through the real proxy and middleware. The last test checks
in Chromium what the headers are for: another site can frame neither the studio nor the
preview, the studio can frame the preview (whose sandbox still holds), and only a configured
origin can read the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect as ws_connect
from websockets.typing import Subprotocol

from gateway.app import create_app
from gateway.preview import PREVIEW_CSP
from gateway.security import HSTS, PREVIEW_FRAMING_CSP, STUDIO_CSP
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Sandbox
from paynto_common.messages import PreviewError, project_channel
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from paynto_common.testing.serve import serve_app

APP_ORIGIN = "https://app.example"
SITE_HTML = ('<!doctype html><title>site</title><h1 id="site">Generated site</h1>'
             '<script type="module" src="./main.js"></script>')
# The module reports what it could do: it ran, in an opaque origin.
SITE_JS = "document.body.dataset.ran = String(self.origin);"


def upstream_app() -> Starlette:
    """A stand-in for a sandbox's Vite server (``base`` is ``/preview/<id>/``)."""

    async def asset(request: Request) -> Response:
        if request.url.path.endswith("/main.js"):
            return Response(SITE_JS, media_type="text/javascript")
        return HTMLResponse(SITE_HTML)

    async def hmr(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="vite-hmr")
        try:
            while True:
                await websocket.send_text("echo:" + await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    return Starlette(routes=[WebSocketRoute("/preview/{sid}/hmr", hmr),
                             Route("/{path:path}", asset)])


@dataclass
class Gateway:
    url: str
    project_id: str
    sandbox_id: str

    @property
    def preview(self) -> str:
        return f"{self.url}/preview/{self.sandbox_id}/"


@contextlib.asynccontextmanager
async def serve_gateway(settings: GatewaySettings, bus: Bus, tmp_path: Path
                        ) -> AsyncIterator[Gateway]:
    """The gateway on loopback, with one project whose sandbox is the stand-in dev server."""
    app = create_app(settings, bus=bus)
    async with serve_app(upstream_app(), uds=tmp_path / "vite.sock") as upstream, \
            serve_app(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
        async with app.state.db.session() as s:
            sandbox = Sandbox(project_id=project, provider="local", status="running",
                              endpoint=upstream)
            s.add(sandbox)
            await s.commit()
            await s.refresh(sandbox)
        yield Gateway(url, project, sandbox.id)


@contextlib.asynccontextmanager
async def asgi_client(settings: GatewaySettings, bus: Bus) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, bus=bus)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def gateway(settings: GatewaySettings, bus: Bus, tmp_path: Path
                  ) -> AsyncIterator[Gateway]:
    cors = settings.model_copy(update={"cors_origins": [APP_ORIGIN]})
    async with serve_gateway(cors, bus, tmp_path) as value:
        yield value


def csp(value: str) -> dict[str, str]:
    """A policy as {directive: sources}."""
    directives = (d.strip().split(None, 1) for d in value.split(";") if d.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_studio_headers(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    policy = csp(response.headers["content-security-policy"])
    assert policy == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
        "img-src": "'self' data: blob:", "connect-src": "'self'", "frame-src": "'self'",
        "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'self'",
        "object-src": "'none'"}, where
    assert len(response.headers.get_list("content-security-policy")) == 1, where
    assert response.headers["x-content-type-options"] == "nosniff", where
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", where
    assert response.headers["x-frame-options"] == "DENY", where
    assert "strict-transport-security" not in response.headers, where


# --------------------------------------------------------------------------- headers


async def test_studio_its_files_and_api_answers_carry_the_headers(gateway: Gateway) -> None:
    assert "'unsafe-inline'" not in STUDIO_CSP and "'unsafe-eval'" not in STUDIO_CSP
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        page = await client.get("/")
        assert page.status_code == 200 and 'src="/static/js/main.js"' in page.text
        # A project's address is the same page (the router reads the path).
        project_page = await client.get(f"/p/{gateway.project_id}")
        assert project_page.status_code == 200 and project_page.text == page.text
        script = await client.get("/static/js/main.js")
        assert script.status_code == 200 and "text/javascript" in script.headers["content-type"]
        # Revalidated like the page, so the two never come from different versions.
        assert script.headers["cache-control"] == "no-cache"
        styles = await client.get("/static/css/studio.css")
        assert styles.status_code == 200 and "text/css" in styles.headers["content-type"]
        answers = [
            page, project_page, script, styles,
            await client.get("/api/projects"),
            await client.get(f"/api/projects/{gateway.project_id}"),
            await client.get("/api/projects/nope"),  # 404
            await client.post("/api/projects", json={"name": ""}),  # 422
            await client.get("/healthz"),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 200, 404, 422, 200]
    for answer in answers:
        assert_studio_headers(answer)


async def test_an_event_stream_flows_through_with_the_headers(gateway: Gateway,
                                                               bus: Bus) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client, \
            client.stream("GET", f"/api/projects/{gateway.project_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert_studio_headers(stream)
        # An event published while the stream is open arrives while it stays open: the
        # middleware passes each chunk on as it comes.
        await bus.publish_event(project_channel(gateway.project_id),
                                PreviewError(kind="runtime", message="boom"))
        async with asyncio.timeout(10):
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    assert json.loads(line[5:])["message"] == "boom"
                    break


async def test_the_preview_keeps_its_sandbox_and_may_be_framed_by_the_studio_only(
    gateway: Gateway,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for url in (gateway.preview, gateway.preview + "main.js"):
            answer = await client.get(url)
            assert answer.status_code == 200, url
            # The proxy's sandbox policy stays; the framing rule comes beside it, so a browser
            # enforces both.
            assert answer.headers.get_list("content-security-policy") == [
                PREVIEW_CSP, PREVIEW_FRAMING_CSP], url
            assert "x-frame-options" not in answer.headers, url
            assert answer.headers["x-content-type-options"] == "nosniff", url
        # The preview answers its own preflight (an opaque-origin document's modules), with no
        # credentials, whatever CORS_ORIGINS says.
        preflight = await client.options(gateway.preview + "main.js", headers={
            "Origin": "null", "Access-Control-Request-Method": "GET"})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in preflight.headers
        # An API preflight from the same origin gets no grant: "null" is nobody's origin.
        refused = await client.options(f"{gateway.url}/api/projects", headers={
            "Origin": "null", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in refused.headers


async def test_the_preview_websocket_passes_through_untouched(gateway: Gateway) -> None:
    url = "ws" + gateway.preview.removeprefix("http") + "hmr"
    async with ws_connect(url, subprotocols=[Subprotocol("vite-hmr")]) as ws:
        assert ws.subprotocol == "vite-hmr"
        await ws.send("hi")
        assert await asyncio.wait_for(ws.recv(), 10) == "echo:hi"


@pytest.mark.parametrize(("public_url", "pinned"), [
    ("https://paynto.example", True), ("http://127.0.0.1:8000", False)])
async def test_hsts_only_when_the_public_url_is_https(
    settings: GatewaySettings, bus: Bus, public_url: str, pinned: bool,
) -> None:
    async with asgi_client(settings.model_copy(update={"public_url": public_url}), bus) as c:
        answers = [await c.get("/"), await c.get("/api/projects"),
                   await c.get("/preview/nope/")]
    for answer in answers:
        assert answer.headers.get("strict-transport-security") == (HSTS if pinned else None)


# --------------------------------------------------------------------------- CORS


async def test_cors_grants_configured_origins_only(settings: GatewaySettings,
                                                   bus: Bus) -> None:
    configured = settings.model_copy(update={"cors_origins": [APP_ORIGIN]})
    async with asgi_client(configured, bus) as client:
        allowed = await client.get("/api/projects", headers={"Origin": APP_ORIGIN})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
        assert allowed.headers["access-control-allow-credentials"] == "true"
        assert "Retry-After" in allowed.headers["access-control-expose-headers"]
        assert "origin" in allowed.headers["vary"].lower()
        other = await client.get("/api/projects", headers={"Origin": "https://evil.example"})
        assert other.status_code == 200  # answered, but the browser will not let it be read
        assert "access-control-allow-origin" not in other.headers

        asking = {"Access-Control-Request-Method": "POST",
                  "Access-Control-Request-Headers": "authorization, content-type, last-event-id"}
        preflight = await client.options("/api/generate-ai-code-stream",
                                         headers={"Origin": APP_ORIGIN, **asking})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == APP_ORIGIN
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        granted = preflight.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "last-event-id"} <= set(granted.split(", "))
        assert_studio_headers(preflight)
        refused = await client.options("/api/generate-ai-code-stream",
                                       headers={"Origin": "https://evil.example", **asking})
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers


async def test_no_cors_without_configured_origins(settings: GatewaySettings, bus: Bus) -> None:
    assert settings.cors_origins == []
    async with asgi_client(settings, bus) as client:
        answer = await client.get("/api/projects", headers={"Origin": APP_ORIGIN})
        preflight = await client.options("/api/projects", headers={
            "Origin": APP_ORIGIN, "Access-Control-Request-Method": "POST"})
    assert answer.status_code == 200
    for response in (answer, preflight):
        assert not [h for h in response.headers if h.startswith("access-control-")]


async def test_any_origin_gets_no_credentials(settings: GatewaySettings, bus: Bus) -> None:
    anyone = settings.model_copy(update={"cors_origins": ["*"]})
    async with asgi_client(anyone, bus) as client:
        answer = await client.get("/api/projects", headers={"Origin": APP_ORIGIN})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


def test_cors_origins_are_exact_origins() -> None:
    parsed = GatewaySettings(cors_origins="https://App.Example/, http://127.0.0.1:5173")
    assert parsed.cors_origins == [APP_ORIGIN, "http://127.0.0.1:5173"]
    assert GatewaySettings().cors_origins == []
    for bad in ("null", "https://app.example/studio", "*, https://app.example", "app.example",
                "https://user@app.example"):
        with pytest.raises(ValidationError, match="CORS_ORIGINS"):
            GatewaySettings(cors_origins=bad)


# --------------------------------------------------------------------------- browser


def foreign_site() -> FastAPI:
    """Another site: its pages try to frame the gateway and read its API."""
    app = FastAPI()

    @app.get("/")
    async def page() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>elsewhere</title><p>another site</p>")

    return app


async def _frame(page: Any, url: str) -> Any:
    """Add an iframe of ``url`` to ``page``; its frame once it has loaded (or been refused)."""
    handle = await page.evaluate_handle(
        """(url) => new Promise((resolve) => {
             const frame = document.createElement("iframe");
             frame.addEventListener("load", () => resolve(frame), { once: true });
             frame.src = url;
             document.body.append(frame);
           })""", url)
    return await handle.as_element().content_frame()


async def _read_api(page: Any, url: str) -> str:
    return str(await page.evaluate(
        """async (url) => {
             try {
               const r = await fetch(url, { credentials: "include" });
               return `${r.status} ${Array.isArray(await r.json())}`;
             } catch (err) { return `error:${err.name}`; }
           }""", url))


@pytest.mark.slow
async def test_framing_and_cors_in_a_browser(settings: GatewaySettings, bus: Bus,
                                             tmp_path: Path) -> None:
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    async with serve_app(foreign_site()) as foreign:
        port = foreign.rsplit(":", 1)[1]
        # One server, two origins: the configured one, and another.
        allowed, other = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
        configured = settings.model_copy(update={"cors_origins": [allowed]})
        async with serve_gateway(configured, bus, tmp_path) as gateway, \
                playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            try:
                page = await browser.new_page()
                console: list[str] = []
                page.on("console", lambda message: console.append(message.text))

                # The studio frames the preview: it renders, its module runs, and it runs in an
                # opaque origin (the proxy's sandbox policy still holds).
                await page.goto(gateway.url + f"/p/{gateway.project_id}")
                await page.evaluate("(url) => { document.getElementById('preview').src = url; }",
                                    gateway.preview)
                site = page.frame_locator("#preview")
                assert await site.locator("#site").inner_text() == "Generated site"
                await site.locator("body[data-ran]").wait_for(timeout=10_000)
                assert await site.locator("body").get_attribute("data-ran") == "null"
                assert not [m for m in console if "Content Security Policy" in m]

                # Another site can frame neither the studio nor the preview.
                await page.goto(other + "/")
                for url in (gateway.url + "/", gateway.preview):
                    frame = await _frame(page, url)
                    assert frame.url.startswith("chrome-error:"), url
                refusals = [m for m in console if "frame-ancestors" in m]
                assert len(refusals) == 2, console
                assert "'none'" in refusals[0] and "'self'" in refusals[1]

                # Only the configured origin can read the API.
                api = gateway.url + "/api/projects"
                assert await _read_api(page, api) == "error:TypeError"
                await page.goto(allowed + "/")
                assert await _read_api(page, api) == "200 true"
            finally:
                await browser.close()
