"""The preview's errors through the real services: a module that does not compile is named
before its job completes, and one that throws only when it runs is reported by the browser
showing it, on the project's stream and in the sandbox's logs. (A person's path through the
studio, prompt to rendered preview to hot reload, is tests/test_studio_e2e.py.)"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
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
