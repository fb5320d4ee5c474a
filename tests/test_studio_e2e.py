"""The studio in Chromium against the real system: the gateway, NATS, the generator, apply and
sandbox-pool workers, and a sandbox running Vite. One project goes through a person's whole
path, step by step in file order: built by the offline generator, its files listed as they are
written, its preview rendered; an edit reaching the open preview by hot reload; a job of a
scripted model stopped mid-answer, and another picked up again after a reload; a diff between
versions and a restore; the zip; renamed and deleted from the projects home.

The scripted model (the configured default, ``openai/slow``) streams its answer in many small
chunks and holds after the first few until the test lets it go, so the page is seen mid-answer
(Stop, a reload) without racing a clock. Every step runs under the gateway's security headers:
no page error and no Content-Security-Policy violation, in the studio or its preview."""

from __future__ import annotations

import asyncio
import re
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from paynto_cli.launcher import System
from paynto_common.testing.axe import assert_accessible
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium, until
from paynto_common.testing.screens import REPORTS, Screens
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import running_system, scripted_model_env

if TYPE_CHECKING:
    from playwright.async_api import Error, Frame, Page

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.asyncio(loop_scope="module")]

PROMPT = "a landing page for a coffee roastery"
EDIT = 'change the title to "Sunny Side"'
# The scripted model's answer: a page of its own, so that what it applied can be seen.
SLOW_ANSWER = (
    "A calmer page: one heading and a line about the roastery, nothing else.\n"
    '<file path="src/App.jsx">\n'
    "export default function App() {\n"
    "  return (\n"
    '    <main className="min-h-screen grid place-items-center bg-stone-50">\n'
    '      <div className="text-center">\n'
    '        <h1 className="text-4xl font-bold">Slow and steady</h1>\n'
    '        <p className="mt-4 text-stone-600">Roasted one batch at a time.</p>\n'
    "      </div>\n"
    "    </main>\n"
    "  );\n"
    "}\n"
    "</file>\n"
)
# Chunks of the answer sent before it holds: its first words reach the page, its file does not.
HOLD_AFTER = 4
SLOW_CHUNK = 12
# A known fault of the preview, outside the studio: when a preview's dev server stops (a
# restore starts the project afresh in a new sandbox) its Vite client (8.4) polls for the
# server with a SharedWorker, which a sandboxed frame without allow-same-origin may not make;
# Chromium throws a SecurityError, where Vite only falls back on a TypeError, so the error goes
# uncaught. The studio replaces that frame with the new sandbox's preview anyway.
KNOWN_PREVIEW_ERROR = "Failed to construct 'SharedWorker'"
# Emoji and the dingbats and symbols blocks: the offline generator draws icons as SVG instead.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")


class HeldLLM(ScriptedLLM):
    """A scripted model whose answers stop after their first chunks while the test holds them
    (:meth:`hold`), until :meth:`release`. Not held, they stream at their scripted pace."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(default=reply)
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = asyncio.Event()

    def hold(self) -> None:
        """Hold the next answers after their first chunks."""
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    def release(self) -> None:
        self.gate.set()

    async def _events(self, reply: Reply, model: str,
                      usage: dict[str, int] | None) -> AsyncIterator[bytes]:
        gate, waiting = self.gate, self.waiting
        # The first event carries only the assistant's role; the text starts after it.
        sent = 0
        async for event in super()._events(reply, model, usage):
            yield event
            sent += 1
            if sent == 1 + HOLD_AFTER and not gate.is_set():
                waiting.set()
                await gate.wait()


@dataclass
class Studio:
    """The one page and project every step shares."""

    page: Page
    gateway: str
    llm: HeldLLM
    # Page errors and Content-Security-Policy reports, from the studio and its preview.
    errors: list[str] = field(default_factory=list)
    project: str = ""
    preview_src: str = ""
    # The preview's page errors that are a known fault (see KNOWN_PREVIEW_ERROR).
    known: list[str] = field(default_factory=list)

    def page_error(self, error: Error) -> None:
        where = "preview" if "/preview/" in (error.stack or "") else "studio"
        if where == "preview" and KNOWN_PREVIEW_ERROR in error.message:
            self.known.append(error.message)
        else:
            self.errors.append(f"{where}: {error.message}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def llm() -> AsyncIterator[HeldLLM]:
    model = HeldLLM(Reply(SLOW_ANSWER, chunk_size=SLOW_CHUNK, chunk_delay=0.05))
    await model.start()
    try:
        yield model
    finally:
        model.release()
        await model.stop()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str,
           llm: HeldLLM) -> Iterator[System]:
    assert llm.port is not None
    env = scripted_model_env(llm.port, "openai/slow")
    with running_system(tmp_path_factory.mktemp("studio"), nats_url, extra_env=env) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def studio(system: System, llm: HeldLLM) -> AsyncIterator[Studio]:
    chromium = require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                                accept_downloads=True)
            page = await context.new_page()
            shared = Studio(page, system.gateway_url, llm)
            page.on("pageerror", shared.page_error)
            # Chromium reports what a CSP refused on the console, the preview frame's included.
            page.on("console", lambda m: shared.errors.append(m.text)
                    if "Content Security Policy" in m.text else None)
            yield shared
        finally:
            await browser.close()


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def step(request: pytest.FixtureRequest, studio: Studio,
               screens: Screens) -> AsyncIterator[None]:
    """The steps share one project: after a failed one the rest are skipped, not failed
    again for its sake. A failed step leaves a screenshot; every step ends without a page
    error or a CSP violation."""
    for item in request.session.items:
        if item is request.node:
            break
        if item.path == request.node.path and any(
                r.failed for r in item.stash.get(REPORTS, {}).values()):
            pytest.skip(f"{item.name} failed, and this step goes on from where it left off")
    yield
    await screens.on_failure(studio.page)
    assert studio.errors == [], studio.errors


# The held slow answer has begun to stream into the output.
CALMER_STREAMING = "document.getElementById('output').textContent.startsWith('A calmer')"


async def status_says(page: Page, kind: str, text: str, timeout: float = 120) -> str:
    """Wait for the status line of ``kind`` (ok, warn, …) containing ``text``; its words."""
    check = """([kind, text]) => {
        const s = document.getElementById("status");
        return s.dataset.kind === kind && s.textContent.includes(text);
    }"""
    try:
        await until(page, check, [kind, text], timeout)
    except TimeoutError:
        now = await page.evaluate("[document.getElementById('status').dataset.kind, "
                                  "document.getElementById('status').textContent]")
        raise AssertionError(f"the status never said {kind}: {text!r}; it says {now}") from None
    return str(await page.inner_text("#status"))


async def send(page: Page, prompt: str) -> None:
    await page.fill("#prompt", prompt)
    await page.press("#prompt", "Enter")


async def preview_frame(page: Page) -> Frame:
    handle = await page.wait_for_selector("#preview[src]", state="attached")
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    return frame


async def last_outcome_is(page: Page, outcome: str) -> None:
    """The newest turn reads ``outcome`` (it does once the history has the ended job)."""
    await until(page, "(o) => [...document.querySelectorAll('#turns li .outcome')].at(-1)"
                      "?.textContent === o", outcome, timeout=30)


async def versions(studio: Studio) -> list[int]:
    async with httpx.AsyncClient(base_url=studio.gateway, timeout=30) as client:
        answer = await client.get(f"/api/projects/{studio.project}/versions")
    assert answer.status_code == 200, answer.text
    return [v["number"] for v in answer.json()]


# Notes each file entry the list gets, and whether the job had ended (the status "ok") when
# it came: the files of a job stream in as they are written, not all at its end.
WATCH_FILES = """() => {
    const seen = window.payntoFiles = {during: [], after: []};
    new MutationObserver((records) => {
        const ended = document.getElementById("status").dataset.kind === "ok";
        for (const r of records) {
            for (const node of r.addedNodes) {
                if (node.nodeName === "LI") {
                    (ended ? seen.after : seen.during).push(node.textContent);
                }
            }
        }
    }).observe(document.getElementById("files"), {childList: true});
}"""


async def test_a_prompt_streams_its_files_and_renders_the_site(studio: Studio,
                                                                screens: Screens) -> None:
    page = studio.page
    await page.goto(studio.gateway + "/")
    await page.locator("#projects-empty").wait_for()
    await assert_accessible(page)
    await screens.shot(page, "home-empty")
    await page.click("#create-empty")
    await page.wait_for_url(re.compile(r"/p/[A-Za-z0-9_-]+$"))
    studio.project = page.url.rsplit("/p/", 1)[1]
    await page.locator("#project-name", has_text="Untitled site").wait_for()

    # The picker lists the configured model as the default and the offline generator as not AI.
    await until(page, "document.querySelectorAll('#model option').length > 1", timeout=30)
    assert await page.locator("#model option").all_inner_texts() == [
        "Default", "openai/slow (default)", "offline — offline, not AI"]
    await page.select_option("#model", "offline")
    await page.evaluate(WATCH_FILES)
    await send(page, PROMPT)
    done = await status_says(page, "ok", "version 1", timeout=240)
    assert re.fullmatch(r"Done: \d+ files · version 1\.", done), done
    files = await page.locator("#files li").all_inner_texts()
    assert len(files) >= 3 and "src/App.jsx" in files, files
    seen = await page.evaluate("window.payntoFiles")
    assert len(seen["during"]) >= 3, seen
    await last_outcome_is(page, "Done")
    assert await page.locator("#turns li .you p").all_inner_texts() == [PROMPT]
    assert studio.llm.requests == []  # the offline generator wrote it, no model

    frame = page.frame_locator("#preview")
    await frame.locator("h1").first.wait_for(timeout=90_000)
    await frame.get_by_text("Coffee Roastery").first.wait_for(timeout=30_000)
    assert await frame.locator("#features svg").count() >= 3
    text = await frame.locator("body").inner_text()
    assert not EMOJI.findall(text), EMOJI.findall(text)
    studio.preview_src = await page.get_attribute("#preview", "src") or ""
    assert urlsplit(studio.preview_src).path.startswith("/preview/"), studio.preview_src
    await assert_accessible(page)
    await screens.shot(page, "project")


async def test_an_edit_reaches_the_open_preview_by_hot_reload(studio: Studio,
                                                              screens: Screens) -> None:
    page = studio.page
    preview = await preview_frame(page)
    await preview.evaluate("window.payntoNotReloaded = true")
    await send(page, EDIT)
    await status_says(page, "ok", "version 2")
    frame = page.frame_locator("#preview")
    # Each file is hot-updated as it is written, App.jsx (which names the site) among them.
    await frame.locator("header", has_text="Sunny Side").wait_for(timeout=30_000)
    await until(preview, "!document.body.innerText.includes('Coffee Roastery')", timeout=30)
    # The same document, updated in place (a reload would have dropped the flag) ...
    assert await preview.evaluate("window.payntoNotReloaded") is True
    # ... in the same frame at the same address.
    assert await page.get_attribute("#preview", "src") == studio.preview_src
    assert studio.llm.requests == []

    await page.click("#tab-code")
    await page.locator("#file-tree button[data-path='src/App.jsx']").click()
    await until(page, "document.getElementById('code-view').textContent"
                      ".includes('\"Sunny Side\"')", timeout=30)
    assert await page.inner_text("#code-path") == "src/App.jsx"
    await screens.shot(page, "project-code")
    await page.click("#tab-preview")


async def test_stop_ends_a_model_answer_and_applies_nothing(studio: Studio,
                                                            screens: Screens) -> None:
    page = studio.page
    before = await versions(studio)
    assert before == [2, 1]
    await page.select_option("#model", "openai/slow")
    studio.llm.hold()
    await send(page, "add our opening hours")
    await asyncio.wait_for(studio.llm.waiting.wait(), 60)
    await page.locator("#stop").wait_for()
    await until(page, CALMER_STREAMING, timeout=30)
    await screens.shot(page, "project-streaming")

    await page.click("#stop")
    stopped = await status_says(page, "warn", "Stopped", timeout=30)
    assert "nothing was applied" in stopped
    await last_outcome_is(page, "Stopped")
    await page.locator("#stop").wait_for(state="hidden")
    assert await page.locator("#generate").is_enabled()
    (asked,) = studio.llm.requests
    assert asked["model"] == "slow"
    assert await versions(studio) == before
    studio.llm.release()


async def test_a_reload_mid_answer_picks_the_job_up(studio: Studio) -> None:
    page = studio.page
    studio.llm.hold()
    await send(page, "make the page calmer")
    await asyncio.wait_for(studio.llm.waiting.wait(), 60)
    await until(page, CALMER_STREAMING, timeout=30)

    await page.reload()
    # The job this browser followed is picked up, replayed from its first event.
    await page.locator("#stop").wait_for()
    await until(page, CALMER_STREAMING, timeout=30)
    assert await page.input_value("#model") == "openai/slow"
    studio.llm.release()
    await status_says(page, "ok", "version 3")
    await page.frame_locator("#preview").get_by_text("Slow and steady").wait_for(
        timeout=30_000)
    await last_outcome_is(page, "Done")
    assert len(studio.llm.requests) == 2
    assert await versions(studio) == [3, 2, 1]


async def test_a_diff_between_versions_and_a_restore(studio: Studio, screens: Screens) -> None:
    page = studio.page
    await page.get_by_role("button", name="Changes of version 2").click()
    assert await page.get_attribute("#tab-versions", "aria-selected") == "true"
    diff = page.locator("#version-diff")
    await diff.locator(".row-del", has_text='"Coffee Roastery"').first.wait_for()
    await diff.locator(".row-add", has_text='"Sunny Side"').first.wait_for()
    assert await page.inner_text("#version-heading") == "Version 2"
    assert re.fullmatch(r"\d+ files changed since version 1\.",
                        await page.inner_text("#version-summary"))
    await assert_accessible(page)
    await screens.shot(page, "versions")

    await page.get_by_role("button", name="Version 1", exact=True).click()
    await page.locator("#version-heading", has_text="Version 1").wait_for()
    await page.click("#version-restore")
    restored = await status_says(page, "ok", "Restored version 1")
    assert re.fullmatch(r"Restored version 1: \d+ files · version 4\.", restored), restored
    await page.get_by_role("button", name="Version 4", exact=True).wait_for()
    assert await versions(studio) == [4, 3, 2, 1]
    await page.click("#tab-preview")
    await page.frame_locator("#preview").get_by_text("Coffee Roastery").first.wait_for(
        timeout=30_000)


async def test_the_zip_is_a_runnable_app(studio: Studio) -> None:
    page = studio.page
    async with page.expect_download() as info:
        await page.click("#download-zip")
    download = await info.value
    with zipfile.ZipFile(await download.path()) as archive:
        names = archive.namelist()
        app = archive.read("src/App.jsx").decode()
    assert {"package.json", "src/components/Icon.jsx"} <= set(names), names
    assert 'const SITE_TITLE = "Coffee Roastery";' in app  # the latest: version 1 restored


async def test_renamed_then_deleted_from_the_home(studio: Studio, screens: Screens) -> None:
    page = studio.page
    await page.click("a.back")
    await page.locator("#home").wait_for()
    cards = page.locator("#project-list li")
    await cards.first.wait_for()
    assert "v4" in await cards.first.locator(".meta").inner_text()
    await assert_accessible(page)
    await screens.shot(page, "home")

    await page.get_by_role("button", name="Rename Untitled site").click()
    await page.fill("#confirm-input", "Sunny Side roastery")
    await page.click("#confirm-ok")
    await cards.locator(".open", has_text="Sunny Side roastery").wait_for()
    assert await cards.count() == 1

    await page.get_by_role("button", name="Delete Sunny Side roastery").click()
    assert "cannot be undone" in await page.inner_text("#confirm-text")
    await page.click("#confirm-ok")
    await page.locator("#projects-empty").wait_for()
    assert await cards.count() == 0
    await page.goto(f"{studio.gateway}/p/{studio.project}")
    await page.locator("#missing").wait_for()
    assert "doesn't exist or isn't yours" in await page.inner_text("#missing")
