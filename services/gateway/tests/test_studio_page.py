"""The studio page: its structure (parsed, no browser), and, when Chromium is installed, a real
browser driving it against a stub gateway that streams canned events — including a stream that
breaks mid-way and must be resumed with ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.responses import StreamingResponse

from paynto_common.testing.serve import serve_app

INDEX = Path(__file__).parents[1] / "src" / "gateway" / "static" / "index.html"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


# --------------------------------------------------------------------------- structure


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in ("meta", "link", "br", "img", "input"):
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data
        if self.open and self.open[-1].tag == "script":
            self.scripts.append(data)
        if self.open and self.open[-1].tag == "style":
            self.styles.append(data)


@pytest.fixture(scope="module")
def page() -> _Collector:
    collector = _Collector()
    collector.feed(INDEX.read_text(encoding="utf-8"))
    collector.close()
    return collector


def _by_id(page: _Collector, element_id: str) -> Element:
    found = [e for e in page.elements if e.attrs.get("id") == element_id]
    assert len(found) == 1, f"expected one #{element_id}, found {len(found)}"
    return found[0]


def test_page_has_the_studio_elements(page: _Collector) -> None:
    h1 = [e for e in page.elements if e.tag == "h1"]
    assert [e.text.strip() for e in h1] == ["Paynto"]
    prompt = _by_id(page, "prompt")
    assert prompt.tag == "textarea"
    assert "coffee roastery" in prompt.attrs["placeholder"]
    assert any(e.tag == "label" and e.attrs.get("for") == "prompt"
               and "Describe your site" in e.text for e in page.elements)
    generate = _by_id(page, "generate")
    assert generate.tag == "button" and generate.text.strip() == "Generate"
    assert _by_id(page, "status").attrs.get("role") == "status"
    assert _by_id(page, "details").tag == "details"
    assert _by_id(page, "output").tag == "pre"
    assert _by_id(page, "files").tag == "ul"
    footer = [e for e in page.elements if e.tag == "footer"]
    assert footer and "offline generator" in footer[0].text and "not AI" in footer[0].text


def test_preview_iframe_is_sandboxed_without_same_origin(page: _Collector) -> None:
    iframe = _by_id(page, "preview")
    assert iframe.tag == "iframe"
    assert set(iframe.attrs["sandbox"].split()) == {
        "allow-scripts", "allow-forms", "allow-popups", "allow-modals"}


def test_script_talks_to_the_contract_endpoints(page: _Collector) -> None:
    script = "".join(page.scripts)
    for needle in ("/api/projects", "/api/generate-ai-code-stream", "/api/jobs/",
                   "/events", "Last-Event-ID", "localStorage", "getReader"):
        assert needle in script, needle
    # Every event of the contract is handled.
    for event in ("job", "status", "stream", "file", "package", "preview", "complete", "error"):
        assert f'case "{event}"' in script, event
    assert "new EventSource" not in script  # it cannot POST nor set Last-Event-ID


def test_page_is_self_contained(page: _Collector) -> None:
    # The machine is offline and there is no build step: no external script, style or font.
    for element in page.elements:
        assert not (element.tag == "script" and element.attrs.get("src")), element
        assert element.tag != "link", element
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css
    assert not re.search(r"https?://", INDEX.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- stub gateway


def _event(seq: int, name: str, data: dict[str, Any]) -> str:
    return f"id: {seq}\r\nevent: {name}\r\ndata: {json.dumps(data)}\r\n\r\n"


# A generation as the gateway streams it (sse-starlette ends lines with \r\n and sends
# ": ping" comments). Event 5 splits its JSON over two data lines, which the parser must join.
OK_EVENTS = [
    ": ping\r\n\r\n",
    _event(1, "job", {"job_id": "j-ok"}),
    _event(2, "status", {"message": "Writing the site"}),
    _event(3, "stream", {"text": "a draft that a restart throws away", "attempt": 1}),
    _event(4, "stream", {"text": '<file path="src/App.jsx">', "attempt": 2, "reset": True}),
    'id: 5\r\nevent: stream\r\ndata: {"text":\r\ndata: "hello roastery</file>"}\r\n\r\n',
    _event(6, "file", {"path": "src/App.jsx"}),
    _event(7, "package", {"name": "lucide-react"}),
    ": ping\r\n\r\n",
    _event(8, "file", {"path": "src/index.css"}),
    _event(9, "preview", {"preview_url": "/preview/demo/"}),
    _event(10, "complete", {"files": ["src/App.jsx", "src/index.css"],
                            "preview_url": "/preview/demo/", "version": 1}),
]

# The first attempt's stream breaks after event 3, in the middle of event 4.
DROP_BEFORE = [
    _event(1, "job", {"job_id": "j-drop"}),
    _event(2, "status", {"message": "Writing the site"}),
    _event(3, "stream", {"text": "part one, "}),
    'id: 4\r\nevent: stream\r\ndata: {"text": "cut off',
]
DROP_AFTER_3 = [
    _event(4, "stream", {"text": "part two"}),
    _event(5, "file", {"path": "src/App.jsx"}),
    _event(6, "preview", {"preview_url": "/preview/demo/"}),
    _event(7, "complete", {"files": ["src/App.jsx"], "preview_url": "/preview/demo/",
                           "version": 2}),
]


class _Dropped(Exception):
    """Raised inside a streaming body so the server cuts the connection mid-response."""


@dataclass
class Stub:
    projects: list[str] = field(default_factory=list)
    generate_bodies: list[dict[str, Any]] = field(default_factory=list)
    resume_headers: list[str | None] = field(default_factory=list)


def stub_gateway(stub: Stub) -> FastAPI:
    app = FastAPI()

    async def sse(chunks: list[str], *, then_drop: bool = False) -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk.encode()
            # Paced like a real model, so the page sees a stream rather than one block.
            await asyncio.sleep(0.02)
        if then_drop:
            raise _Dropped("gateway restarted")

    def stream(chunks: list[str], *, then_drop: bool = False) -> StreamingResponse:
        return StreamingResponse(sse(chunks, then_drop=then_drop),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @app.get("/")
    async def studio() -> FileResponse:
        return FileResponse(INDEX)

    @app.post("/api/projects", status_code=201)
    async def create_project(request: Request) -> dict[str, str]:
        name = (await request.json())["name"]
        stub.projects.append(name)
        return {"id": f"p{len(stub.projects)}", "name": name}

    @app.post("/api/generate-ai-code-stream")
    async def generate(request: Request) -> Response:
        body = await request.json()
        stub.generate_bodies.append(body)
        if "invalid" in body["prompt"]:
            return JSONResponse({"detail": [{"loc": ["body", "prompt"], "type": "too_long",
                                             "msg": "String should have at most 10 characters"}]},
                                status_code=422)
        if "drop" in body["prompt"]:
            return stream(DROP_BEFORE, then_drop=True)
        return stream(OK_EVENTS)

    @app.get("/api/jobs/{job_id}/events")
    async def job_events(job_id: str,
                         last_event_id: str | None = Header(default=None)) -> Response:
        stub.resume_headers.append(last_event_id)
        if len(stub.resume_headers) == 1:
            # The gateway is still coming back: the page must retry, not give up.
            return JSONResponse({"detail": "starting up"}, status_code=503)
        if job_id != "j-drop" or last_event_id != "3":
            return JSONResponse({"detail": f"bad resume {job_id} {last_event_id}"},
                                status_code=400)
        return stream(DROP_AFTER_3)

    @app.get("/preview/demo/")
    async def preview() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>demo</title><h1>Roastery preview</h1>")

    return app


serve = serve_app


# --------------------------------------------------------------------------- browser


# In CI (.ci/run installs Chromium) a missing browser fails instead of skipping.
@pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                    reason=f"{CHROMIUM} missing (apt-get install chromium) – browser check skipped")
async def test_studio_in_a_browser() -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    stub = Stub()
    async with serve(stub_gateway(stub)) as url, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = await browser.new_page()
            page_errors: list[str] = []
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            await page.goto(url + "/")
            status = page.locator("#status")

            # 1. A whole generation: output (after the reset), files, packages, preview.
            await page.fill("#prompt", "a landing page for a coffee roastery")
            await page.click("#generate")
            await page.wait_for_selector('#status[data-kind="ok"]', timeout=10_000)
            assert await status.inner_text() == "Done: 2 files · version 1."
            assert await page.inner_text("#output") == \
                '<file path="src/App.jsx">hello roastery</file>'
            assert await page.locator("#files li").all_inner_texts() == [
                "src/App.jsx", "src/index.css"]
            assert await page.locator("#packages li").all_inner_texts() == ["lucide-react"]
            src = await page.get_attribute("#preview", "src")
            assert src == "/preview/demo/" or (src or "").endswith("/preview/demo/")
            heading = page.frame_locator("#preview").locator("h1")
            assert await heading.inner_text() == "Roastery preview"
            assert stub.projects == ["a landing page for a coffee"]
            assert stub.generate_bodies[0] == {"project_id": "p1",
                                               "prompt": "a landing page for a coffee roastery"}

            # 2. After a reload the project is kept; the stream breaks after event 3 (mid
            # event 4), the first resume gets a 503, the second resumes from Last-Event-ID 3.
            await page.reload()
            assert await page.inner_text("#project-name") == "a landing page for a coffee"
            await page.fill("#prompt", "please drop the connection")
            await page.click("#generate")
            await page.wait_for_selector('#status[data-kind="ok"]', timeout=20_000)
            assert await page.inner_text("#output") == "part one, part two"
            assert stub.resume_headers == ["3", "3"]
            assert await status.inner_text() == "Done: 1 file · version 2."
            assert stub.projects == ["a landing page for a coffee"]
            assert stub.generate_bodies[1]["project_id"] == "p1"

            # 3. A 422 validation list is shown readably.
            await page.fill("#prompt", "an invalid prompt")
            await page.click("#generate")
            await page.wait_for_selector('#status[data-kind="error"]', timeout=10_000)
            assert await status.inner_text() == \
                "422: prompt: String should have at most 10 characters"

            assert page_errors == []
        finally:
            await browser.close()
