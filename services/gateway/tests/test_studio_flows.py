"""The studio's projects home, project page, code view and versions in Chromium, against a stub
gateway whose answers are built from the API's own models (so a renamed field breaks this test,
not the page) and whose diffs come from the real ``paynto_common.diffs``.

A job here is held by the test: its events are pushed one by one, so the page is seen mid-job
(the file being written, Stop, a reload that must pick the job up again) without any timing.
Every screen is checked with axe-core (no serious or critical violation) in light and dark, and
saved as a screenshot under the test run's output."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.responses import StreamingResponse

from gateway.api.schemas import (
    FileDiffOut,
    ForkBody,
    GenerateBody,
    ProjectOut,
    ProjectPatch,
    TurnOut,
    VersionDiff,
    VersionOut,
)
from paynto_common.diffs import diff_files
from paynto_common.messages import (
    Applied,
    FileWritten,
    JobCancelled,
    Status,
    StreamDelta,
)
from paynto_common.testing.axe import assert_accessible
from paynto_common.testing.browser import eventually, until, watch_page
from services.gateway.tests import studio_stub
from services.gateway.tests.studio_stub import NOW, HeldJob, no_sideways_scroll, sse, studio_browser

pytestmark = pytest.mark.slow

V1 = {"src/App.jsx": "export default function App() {\n  return <h1>Coffee Roastery</h1>;\n}\n",
      "src/index.css": "@tailwind base;\n"}
V2 = {"src/App.jsx": "export default function App() {\n  return <h1>Sunny Side</h1>;\n}\n",
      "src/index.css": "@tailwind base;\n",
      "src/components/Menu.jsx": "export const Menu = () => <nav>Menu</nav>;\n"}


@dataclass
class Studio(studio_stub.Studio):
    """Projects with versions (each a whole set of files), generations and their refusals."""

    versions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    next_job: int = 0
    # Answers the next generations get instead of a job: (status, detail, headers).
    refusals: list[tuple[int, Any, dict[str, str]]] = field(default_factory=list)
    # The next generation's first stream ends before its first event (the job goes on).
    drop_first_stream: bool = False

    def add_site(self, pid: str, name: str, versions: list[dict[str, str]],
                 active_job: str | None = None, age: int = 0) -> None:
        self.add_project(pid, name, age=age, latest_version=len(versions),
                         active_job=active_job)
        self.versions[pid] = versions

    def new_project(self, pid: str, name: str) -> None:
        self.add_site(pid, name, [])

    def turn(self, pid: str, job_id: str, prompt: str, status: str, version: int | None,
             explanation: str | None = None, error: str | None = None) -> TurnOut:
        turn = TurnOut(id=job_id, kind="generate", status=status, prompt=prompt,
                       model="offline", created_at=NOW, updated_at=NOW, error=error,
                       explanation=explanation,
                       result={"version": version, "files": sorted(V2)} if version else None)
        self.turns[pid].insert(0, turn)
        return turn


def studio_gateway(studio: Studio) -> FastAPI:
    app = studio_stub.studio_gateway(
        studio, sandbox_status="stopped", site_heading="Coffee Roastery",
        models=[{"id": "offline", "ai": False, "roles": ["default", "fast"]},
                {"id": "openai/slow", "ai": True, "roles": []}])

    @app.patch("/api/projects/{pid}", response_model=ProjectOut)
    async def rename(pid: str, body: ProjectPatch) -> ProjectOut:
        studio.asked.append(("PATCH", f"/api/projects/{pid}", body.model_dump()))
        studio.projects[pid].name = body.name
        return studio.projects[pid]

    @app.delete("/api/projects/{pid}", status_code=204)
    async def delete(pid: str) -> Response:
        studio.asked.append(("DELETE", f"/api/projects/{pid}", None))
        del studio.projects[pid]
        return Response(status_code=204)

    @app.get("/api/projects/{pid}/jobs", response_model=list[TurnOut])
    async def turns(pid: str, active: bool = False, limit: int = 30) -> list[TurnOut]:
        found = studio.turns.get(pid, [])
        if active:
            found = [t for t in found if t.status in ("queued", "running")]
        return found[:limit]

    @app.get("/api/projects/{pid}/files")
    async def files(pid: str) -> dict[str, Any]:
        versions = studio.versions.get(pid, [])
        return {"files": versions[-1] if versions else {}, "version": len(versions)}

    @app.post("/api/restart-vite")
    async def restart(request: Request) -> dict[str, Any]:
        studio.asked.append(("POST", "/api/restart-vite", await request.json()))
        return {"sandbox_id": "sb1", "preview_url": "/preview/sb1/", "status": "running"}

    @app.get("/api/projects/{pid}/versions", response_model=list[VersionOut])
    async def versions(pid: str) -> list[VersionOut]:
        return [VersionOut(number=n, created_at=NOW, model="offline",
                           job_id=f"j{n}", files=sorted(files))
                for n, files in reversed(list(enumerate(studio.versions[pid], start=1)))]

    @app.get("/api/projects/{pid}/versions/{number}/diff", response_model=VersionDiff)
    async def diff(pid: str, number: int) -> VersionDiff:
        versions = studio.versions[pid]
        old = versions[number - 2] if number > 1 else {}
        return VersionDiff(number=number, against=number - 1, files=[
            FileDiffOut.model_validate(d, from_attributes=True)
            for d in diff_files(old, versions[number - 1])])

    @app.get("/api/projects/{pid}/zip")
    async def zip_(pid: str, version: int | None = None) -> Response:
        files = studio.versions[pid][(version or len(studio.versions[pid])) - 1]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path, text in files.items():
                archive.writestr(path, text)
        return Response(buffer.getvalue(), media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{pid}-v{version}.zip"'})

    @app.post("/api/projects/{pid}/fork", status_code=201, response_model=ProjectOut)
    async def fork(pid: str, body: ForkBody) -> ProjectOut:
        studio.asked.append(("POST", f"/api/projects/{pid}/fork", body.model_dump()))
        new = f"{pid}fork"
        version = studio.versions[pid][(body.version or 1) - 1]
        studio.add_site(new, f"{studio.projects[pid].name} (fork)", [version])
        return studio.projects[new]

    def new_job() -> HeldJob:
        studio.next_job += 1
        return studio.hold(f"held{studio.next_job}")

    @app.post("/api/generate-ai-code-stream")
    async def generate(body: GenerateBody, request: Request) -> Response:
        studio.asked.append(("POST", "/api/generate-ai-code-stream", await request.json()))
        if studio.refusals:
            code, detail, headers = studio.refusals.pop(0)
            return JSONResponse({"detail": detail}, status_code=code, headers=headers)
        job = new_job()
        studio.turn(body.project_id, job.id, body.prompt, "running", None)
        if studio.drop_first_stream:
            studio.drop_first_stream = False
            # As the gateway answers: the job is named in X-Job-Id before any event.
            return StreamingResponse(iter(()), media_type="text/event-stream",
                                     headers={"X-Job-Id": job.id})
        return sse(job)

    @app.post("/api/projects/{pid}/versions/{number}/restore")
    async def restore(pid: str, number: int) -> StreamingResponse:
        studio.asked.append(("POST", f"/api/projects/{pid}/versions/{number}/restore", None))
        job = new_job()
        files = studio.versions[pid][number - 1]
        studio.versions[pid].append(files)
        for path in files:
            job.push(FileWritten(path=path))
        job.end(Applied(files=sorted(files), preview_url="/preview/sb1/",
                        version=len(studio.versions[pid]), restored_from=number))
        return sse(job)

    @app.post("/api/jobs/{job_id}/cancel")
    async def cancel(job_id: str) -> Response:
        studio.asked.append(("POST", f"/api/jobs/{job_id}/cancel", None))
        job = studio.jobs[job_id]
        if job.done:
            return JSONResponse({"detail": f"job {job_id} has already ended"}, status_code=409)
        job.end(JobCancelled(by="local"))
        studio.update_turn(job_id, status="cancelled")
        return JSONResponse({"id": job_id, "status": "cancelled"})

    return app


async def test_projects_turns_code_versions_in_a_browser(screens: Any) -> None:
    studio = Studio()
    studio.add_site("roast", "Coffee roastery", [V1, V2], age=5)
    studio.add_site("tea", "Tea house", [V1], active_job="jt", age=90)
    studio.add_site("old", "Old site", [], age=3000)
    studio.turn("roast", "j1", "a landing page for a coffee roastery", "complete", 1,
                explanation="A landing page with a hero, a menu and opening hours.")
    studio.turn("roast", "j2", 'change the title to "Sunny Side"', "complete", 2,
                explanation="Changed the title.")
    studio.turn("roast", "j3", "add a <b>shop</b>", "error", None,
                error="the model gave up: no file in its answer")
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                            accept_downloads=True)
        page = await context.new_page()
        errors = watch_page(page)

        # --- Home: the projects, newest change first, with their facts.
        await page.goto(url + "/")
        cards = page.locator("#project-list li")
        await cards.nth(2).wait_for()
        assert await cards.locator(".open").all_inner_texts() == [
            "Coffee roastery", "Tea house", "Old site"]
        assert "v2" in await cards.nth(0).locator(".meta").inner_text()
        assert "no version yet" in await cards.nth(2).locator(".meta").inner_text()
        assert await cards.nth(1).locator(".live").text_content() == "building…"
        assert await cards.nth(0).locator(".live").count() == 0
        await assert_accessible(page)
        await screens.shot(page, "home")

        # Rename through the dialog; Escape-free Cancel changes nothing.
        await page.get_by_role("button", name="Rename Tea house").click()
        await page.locator("#confirm-dialog").wait_for()
        await page.fill("#confirm-input", "Tea <house> & garden")
        await page.click("#confirm-ok")
        await cards.filter(has_text="Tea <house> & garden").wait_for()
        assert ("PATCH", "/api/projects/tea", {"name": "Tea <house> & garden"}) in studio.asked
        await page.get_by_role("button", name="Delete Old site").click()
        await page.click("#confirm-cancel")
        assert not [a for a in studio.asked if a[0] == "DELETE"]
        await page.get_by_role("button", name="Delete Old site").click()
        assert "cannot be undone" in await page.inner_text("#confirm-text")
        await page.click("#confirm-ok")
        await eventually(lambda: "old" not in studio.projects)
        await until(page, "document.querySelectorAll('#project-list li').length === 2")

        # --- The project page: history of turns, oldest first, each with its outcome.
        await page.click("text=Coffee roastery")
        await page.wait_for_url(url + "/p/roast")
        turns = page.locator("#turns li")
        await turns.nth(2).wait_for()
        assert await turns.locator(".you p").all_inner_texts() == [
            "a landing page for a coffee roastery", 'change the title to "Sunny Side"',
            "add a <b>shop</b>"]
        assert await turns.locator(".outcome").all_inner_texts() == [
            "Done", "Done", "Failed"]
        assert await turns.nth(0).locator(".explanation").inner_text() == \
            "A landing page with a hero, a menu and opening hours."
        assert "no file in its answer" in await turns.nth(2).locator(".error").inner_text()
        assert await page.locator("#turns b").count() == 0
        # The model picker: the default first, the offline generator said to be not AI.
        options = await page.locator("#model option").all_inner_texts()
        assert options == ["Default", "offline — offline, not AI (default)", "openai/slow"]
        # A stopped sandbox offers to start again.
        await page.click("#start-preview")
        await page.frame_locator("#preview").locator("h1").wait_for()
        assert await page.inner_text("#preview-url") == "/preview/sb1/"
        await assert_accessible(page)
        await screens.shot(page, "project")

        # --- A draft survives a reload.
        await page.fill("#prompt", "add opening hours")
        # Saved once typing pauses; then a reload brings it back.
        await until(page, "(JSON.parse(localStorage.getItem('paynto.studio')) || {})"
                          ".drafts?.roast === 'add opening hours'")
        await page.reload()
        await until(page, "document.getElementById('prompt').value === 'add opening hours'")

        # --- Enter sends (Shift+Enter is a new line) with the model picked.
        await page.select_option("#model", "openai/slow")
        await page.focus("#prompt")
        await page.keyboard.press("Shift+Enter")
        await page.keyboard.type("on weekdays")
        await page.keyboard.press("Enter")
        await eventually(lambda: studio.next_job == 1)
        job = studio.jobs["held1"]
        assert studio.asked[-1] == ("POST", "/api/generate-ai-code-stream", {
            "project_id": "roast", "prompt": "add opening hours\non weekdays",
            "model": "openai/slow"})
        await page.locator("#stop").wait_for()
        # Accepted: the prompt is in the turn now, the composer is empty for the next.
        await until(page, "document.getElementById('prompt').value === ''")
        assert await page.locator("#turns li.live .you p").inner_text() == \
            "add opening hours\non weekdays"
        # The file being written shows in the code view as it streams.
        job.push(Status(message="Writing the site", model="openai/slow", ai=True))
        job.push(StreamDelta(text='Adding hours.\n<file path="src/Hours.jsx">export '))
        job.push(StreamDelta(text="default function Hours() {\n  return <p>Mon"))
        await page.click("#tab-code")
        await page.locator("#code-writing").wait_for()
        assert await page.inner_text("#code-path") == "src/Hours.jsx"
        await until(page, "document.getElementById('code-view').textContent.endsWith('<p>Mon')")
        assert await page.locator("#code-view .tok-keyword").count() >= 2
        assert await page.locator("#file-tree button.writing").inner_text() == "Hours.jsx"
        assert await page.get_attribute("#progress li[data-step='writing']",
                                        "data-state") == "active"
        await screens.shot(page, "project-streaming")

        # --- Reload mid-job: the job is picked up from its first event and goes on.
        await page.reload()
        await eventually(lambda: ("held1", None) in studio.resumes)
        await page.locator("#stop").wait_for()
        await until(page, "document.getElementById('output').textContent.includes('<p>Mon')")
        # --- Another browser (no memory of the job) finds it through ?active=true.
        other = await browser.new_page()
        await other.goto(url + "/p/roast")
        await eventually(lambda: len([r for r in studio.resumes if r[0] == "held1"]) == 2)
        await other.locator("#stop").wait_for()
        await other.close()

        # --- Stop: the job ends "cancelled", the turn says Stopped, nothing is applied.
        await page.click("#stop")
        await page.locator('#status[data-kind="warn"]').wait_for()
        assert "Stopped" in await page.inner_text("#status")
        assert ("POST", "/api/jobs/held1/cancel", None) in studio.asked
        await page.locator("#stop").wait_for(state="hidden")
        assert await page.locator("#generate").is_enabled()

        # --- Code view: the tree and a highlighted file; folders nest.
        await page.locator("#file-tree button[data-path='src/App.jsx']").click()
        assert await page.inner_text("#code-path") == "src/App.jsx"
        assert "Sunny Side" in await page.inner_text("#code-view")
        assert await page.locator("#file-tree details summary").all_inner_texts() == [
            "src", "components"]
        await assert_accessible(page)
        await screens.shot(page, "project-code")

        # --- Versions: the diff of v2 against v1, restore v1, fork, zip.
        # A turn's "Changes" opens its version in the Versions tab.
        await page.get_by_role("button", name="Changes of version 2").click()
        assert await page.get_attribute("#tab-versions", "aria-selected") == "true"
        diff = page.locator("#version-diff")
        await diff.locator(".diff-file").nth(1).wait_for()
        assert await diff.locator("h4").all_text_contents() == [
            "src/App.jsxchanged+1 −1", "src/components/Menu.jsxadded+1 −0"]
        assert await diff.locator(".row-del .text").all_inner_texts() == [
            "−  return <h1>Coffee Roastery</h1>;"]
        assert await diff.locator(".row-add .text").first.inner_text() == \
            "+  return <h1>Sunny Side</h1>;"
        assert "2 files changed since version 1." == await page.inner_text("#version-summary")
        await assert_accessible(page)
        await screens.shot(page, "versions")
        async with page.expect_download() as download_info:
            await page.click("#download-zip")
        download = await download_info.value
        with zipfile.ZipFile(await download.path()) as archive:
            assert sorted(archive.namelist()) == sorted(V2)
        await page.get_by_role("button", name="Version 1", exact=True).click()
        assert await page.get_attribute("#version-zip", "href") == \
            "/api/projects/roast/zip?version=1"
        await page.click("#version-restore")
        await page.locator('#status[data-kind="ok"]').wait_for()
        assert await page.inner_text("#status") == \
            "Restored version 1: 2 files · version 3."
        assert ("POST", "/api/projects/roast/versions/1/restore", None) in studio.asked
        await page.get_by_role("button", name="Version 3", exact=True).wait_for()
        await page.get_by_role("button", name="Version 1", exact=True).click()
        await page.click("#version-fork")
        await page.wait_for_url(url + "/p/roastfork")
        await page.locator("#project-name", has_text="Coffee roastery (fork)").wait_for()
        assert ("POST", "/api/projects/roast/fork", {"name": None, "version": 1}) \
            in studio.asked

        # --- Back goes to the project, then home; an unknown project says so.
        # (A same-document navigation: history.back() rather than go_back, which waits for
        # a load that never comes.)
        # A preview frame's navigations add no history entry: Back leaves the fork.
        await page.evaluate("history.back()")
        await until(page, "location.pathname === '/p/roast'")
        await page.locator("#project-name", has_text="Coffee roastery").wait_for()
        assert await page.get_attribute("#tab-versions", "aria-selected") == "true"
        await page.goto(url + "/p/nope")
        await page.locator("#missing").wait_for()
        assert "doesn't exist or isn't yours" in await page.inner_text("#missing")
        await page.click("#missing a")
        await page.wait_for_url(url + "/")
        await page.locator("#home").wait_for()

        # --- Dark theme and a phone's width: still accessible, nothing scrolls sideways.
        await page.emulate_media(color_scheme="dark")
        await cards.first.wait_for()
        await assert_accessible(page)
        await screens.shot(page, "home-dark")
        await page.set_viewport_size({"width": 390, "height": 844})
        await no_sideways_scroll(page)
        await screens.shot(page, "home-phone")
        await page.goto(url + "/p/roast")
        await turns.first.wait_for()
        await no_sideways_scroll(page)
        await assert_accessible(page)
        await screens.shot(page, "project-phone-dark")
        # The Theme button overrides the system: light on a dark system.
        await page.click("#theme")
        assert await page.evaluate("document.documentElement.dataset.theme") == "light"
        await assert_accessible(page)
        assert errors == []


async def test_errors_in_plain_words_with_a_next_step(screens: Any) -> None:
    """What the gateway refuses reaches the person as words and a way on, never a status
    code alone: a 429 counts down its Retry-After, a spent budget points at the costs, a lost
    session offers to sign in and comes back to the same project."""
    studio = Studio()
    studio.add_site("roast", "Coffee roastery", [V1])
    studio.refusals = [
        (429, "too many jobs started in a minute", {"Retry-After": "30"}),
        (402, "the project's model budget is spent", {}),
        (401, "sign in", {}),
        (503, "no generator answered; is one running?", {}),
    ]
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_page(page)
        await page.goto(url + "/p/roast")
        await page.locator("#project-name", has_text="Coffee roastery").wait_for()
        status = page.locator("#status")

        async def send(prompt: str) -> None:
            await page.fill("#prompt", prompt)
            await page.press("#prompt", "Enter")

        await send("first")
        await page.locator('#status[data-kind="error"]').wait_for()
        assert re.fullmatch(r"Too many requests: try again in (30|29|28) s\.",
                            await status.inner_text())
        assert await page.locator("#notice").is_hidden()  # trying again is the way on
        # The prompt is kept to try again; the turn says it failed.
        assert await page.input_value("#prompt") == "first"
        assert await page.locator("#turns li.live .outcome").inner_text() == "Failed"

        await send("second")
        await page.locator("#notice").wait_for()
        assert await page.inner_text("#notice-text") == \
            "The model budget is spent. See the costs, or try again when it is raised."
        assert await page.inner_text("#notice-action") == "See costs"
        await assert_accessible(page)
        await screens.shot(page, "error-budget")
        await page.click("#notice-close")
        await page.locator("#notice").wait_for(state="hidden")

        await send("third")
        await page.locator("#notice").wait_for()
        assert await page.inner_text("#notice-text") == "You are signed out. Sign in to go on."
        assert await page.inner_text("#notice-action") == "Sign in"
        await screens.shot(page, "error-signed-out")

        await send("fourth")
        await page.locator("#status", has_text="No generator is running").wait_for()
        assert await page.inner_text("#status") == \
            "No generator is running; is `make run` still up?"

        # Signing in goes to GitHub and comes back to this project.
        async with page.expect_request("**/api/auth/github/login**") as asked:
            await page.click("#notice-action")
        assert (await asked.value).url.endswith("/api/auth/github/login?next=%2Fp%2Froast")
        assert errors == []

        # A stream that drops before its first event is resumed by the job its X-Job-Id
        # header names: before, the page could only say "try again" while the job ran on.
        studio.drop_first_stream = True
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_page(page)
        status = page.locator("#status")
        await page.goto(url + "/p/roast")
        await page.locator("#project-name", has_text="Coffee roastery").wait_for()
        await send("fifth")
        await eventually(lambda: studio.next_job == 1)
        job = studio.jobs["held1"]
        job.push(Status(message="Writing the site", model="offline", ai=False))
        job.push(StreamDelta(text="Dropped but not lost."))
        await eventually(lambda: ("held1", None) in studio.resumes)
        await until(page, "document.getElementById('output').textContent"
                          ".includes('Dropped but not lost.')")
        job.end(JobCancelled(by="local"))
        await page.locator("#stop").wait_for(state="hidden")
        assert "dropped before" not in await status.inner_text()
        assert errors == []
