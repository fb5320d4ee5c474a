"""A person's path in a real browser: open the studio, type a prompt, press Generate, and
see the site rendered in the preview, through the real services; then an edit applied to the
project shows in the preview by hot reload. All of it under the gateway's security headers:
the browser reports no Content-Security-Policy violation, in the studio or the preview."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paynto_cli.launcher import System
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from tests.system import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("browser"), nats_url) as s:
        yield s


def test_prompt_to_rendered_preview(system: System, tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # Chromium reports what a Content-Security-Policy refused on the console (the
            # preview iframe's messages included).
            refused: list[str] = []
            page.on("console", lambda message: refused.append(message.text)
                    if "Content Security Policy" in message.text else None)
            page.goto(system.gateway_url + "/")
            # The projects home: a prompt makes a project, whose page sends it as its first turn.
            page.fill("#new-prompt", "a landing page for a coffee roastery")
            page.click("#create")
            page.wait_for_url(re.compile(r"/p/[A-Za-z0-9_-]+$"))
            frame = page.frame_locator("#preview")
            # React rendered the generated App inside the sandboxed preview iframe.
            frame.locator("text=Coffee Roastery").first.wait_for(timeout=90_000)
            page.wait_for_selector('#status[data-kind="ok"]', timeout=90_000)
            assert page.locator("#files li").count() >= 3
            page.screenshot(path=str(tmp_path / "studio.png"))

            # An edit to the project reaches the open preview over Vite's HMR socket (through
            # the gateway's proxy): the page changes without reloading, and without a new src.
            src = page.get_attribute("#preview", "src")
            preview = next(f for f in page.frames if f.url == src)
            preview.evaluate("window.payntoNotReloaded = true")
            project = page.url.rsplit("/p/", 1)[1]
            with httpx.Client(base_url=system.gateway_url, timeout=60) as client:
                done = _apply(client, project, "export default function App() {\n"
                                               "  return <h1>Roasted again, hot</h1>\n}\n")
            assert done[-1][0] == "complete", done
            frame.locator("h1", has_text="Roasted again, hot").wait_for(timeout=30_000)
            assert preview.evaluate("window.payntoNotReloaded") is True
            assert page.get_attribute("#preview", "src") == src
            page.screenshot(path=str(tmp_path / "hot-reloaded.png"))
            assert errors == []
            assert refused == []
        finally:
            browser.close()


def _apply(client: httpx.Client, project: str, code: str) -> list[tuple[str, dict[str, Any]]]:
    """Apply an App through the gateway; the job's events as (name, data)."""
    events: list[tuple[str, dict[str, Any]]] = []
    body = {"project_id": project, "response": f'<file path="src/App.jsx">{code}</file>'}
    with client.stream("POST", "/api/apply-ai-code-stream", json=body) as response:
        name = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
                if name in ("complete", "error"):
                    break
    return events


def _first_project_event(client: httpx.Client, project: str, wanted: str) -> dict[str, Any]:
    # The stream never ends by itself; its keep-alive comments come every 15 s.
    deadline = time.monotonic() + 90
    with client.stream("GET", f"/api/projects/{project}/events") as response:
        name = ""
        for line in response.iter_lines():
            if time.monotonic() > deadline:
                break
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name == "preview_error":
                data = json.loads(line.split(":", 1)[1])
                if data.get("kind") == wanted:
                    return dict(data)
    raise AssertionError(f"no {wanted} preview_error on the project's stream")


def test_preview_errors_reach_the_project_stream(system: System) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with httpx.Client(base_url=system.gateway_url, timeout=60) as client:
        project = client.post("/api/projects", json={"name": "errors"}).json()["id"]
        # A module that does not compile is named before the job completes, browser or not.
        broken = _apply(client, project, "export default function App() { return <div> }")
        names = [name for name, _ in broken]
        assert names[-1] == "complete" and broken[-1][1]["preview_errors"] == 1, broken
        (compile_error,) = [data for name, data in broken if name == "preview_error"]
        assert compile_error["path"] == "src/App.jsx" and "Unexpected" in compile_error["message"]

        # One that compiles but throws when it runs: only a browser showing it can tell.
        done = _apply(client, project, "export default function App() {\n"
                                       "  throw new Error('paynto-runtime-probe')\n}\n")
        assert done[-1][0] == "complete" and done[-1][1]["preview_errors"] == 0, done
        preview = system.gateway_url + done[-1][1]["preview_url"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            try:
                page = browser.new_page()
                page.goto(preview)
                runtime = _first_project_event(client, project, "runtime")
            finally:
                browser.close()
        assert "paynto-runtime-probe" in runtime["message"]
        logs = client.get("/api/sandbox-logs", params={"project_id": project}).json()
        assert any("paynto-runtime-probe" in e["message"] for e in logs["errors"])
