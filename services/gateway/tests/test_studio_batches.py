"""The studio's batches in Chromium: many sites listed on the batches page and started in one
go, then the batch's page following every site live (running, retrying with the failure shown,
done with its project, zip, title and colours, or failed), its progress bar and words, pause,
resume and cancel as its status allows, refused addresses each named, and the list of batches
with their counts.

The stub gateway answers with the API's own code and models: ``BatchBody`` reads what the page
sends, ``batch_out`` of ``Batch`` and ``BatchItem`` rows answers, and the channel carries each
item as ``item_view`` makes it (``batch_item``) and ``BatchEnded`` at the end, pushed by the
test one by one, so the page is seen mid-batch without any timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from gateway.api.routes.batches import BatchBody, batch_out
from paynto_common.batches import item_view
from paynto_common.db import Batch, BatchItem, BatchStatus, ItemStatus
from paynto_common.messages import BatchEnded
from paynto_common.testing.axe import assert_accessible
from paynto_common.testing.browser import eventually, until, watch_page
from services.gateway.tests import studio_stub
from services.gateway.tests.studio_stub import HeldJob, no_sideways_scroll, sse, studio_browser

pytestmark = pytest.mark.slow

SITES = ["https://roastery.example/", "https://tea.example/menu", "https://bakery.example/"]
REFUSED = {"http://127.0.0.1:8080/admin": "127.0.0.1 is a loopback address",
           "http://10.1.2.3/": "10.1.2.3 is a private address"}
PALETTE = ["#2b1d14", "#f4e9dc", "#c8772e"]
ZIP = "/api/projects/p1/zip?version=1"


@dataclass
class Studio(studio_stub.Studio):
    """The batches made, their items, and each one's channel."""

    batches: dict[str, Batch] = field(default_factory=dict)
    items: dict[str, list[BatchItem]] = field(default_factory=dict)
    channels: dict[str, HeldJob] = field(default_factory=dict)
    batch_resumes: list[tuple[str, str | None]] = field(default_factory=list)

    def out(self, batch_id: str) -> dict[str, Any]:
        return batch_out(self.batches[batch_id], self.items[batch_id])

    def move(self, batch_id: str, position: int, **changes: Any) -> None:
        """An item moves, as a batch worker moves it: its row changes and the channel says so."""
        item = self.items[batch_id][position]
        for name, value in changes.items():
            setattr(item, name, value)
        self.channels[batch_id].push(item_view(item))

    def end_if_finished(self, batch_id: str) -> None:
        items = self.items[batch_id]
        if all(i.status in ItemStatus.TERMINAL for i in items):
            batch = self.batches[batch_id]
            if batch.status not in BatchStatus.ENDED:
                batch.status = BatchStatus.DONE
            counts: dict[str, int] = {}
            for i in items:
                counts[i.status] = counts.get(i.status, 0) + 1
            self.channels[batch_id].push(BatchEnded(batch_id=batch_id, status=batch.status,
                                                    items=counts))


def unknown_batch(batch_id: str) -> JSONResponse:
    return JSONResponse({"detail": f"unknown batch {batch_id}"}, status_code=404)


def studio_gateway(studio: Studio) -> FastAPI:
    app = studio_stub.studio_gateway(
        studio, sandbox_status="none", site_heading="Tea house",
        models=[{"id": "offline", "ai": False, "roles": ["default"]}])

    @app.post("/api/batches", status_code=202)
    async def create(body: BatchBody, request: Request) -> Response:
        studio.asked.append(("POST", "/api/batches", await request.json()))
        refused = [f"{u}: {REFUSED[u]}" for u in body.urls if u in REFUSED]
        if refused:
            return JSONResponse({"detail": {"message": "some URLs may not be read",
                                            "refused": refused}}, status_code=422)
        batch = Batch(id=f"b{len(studio.batches) + 1}", user_id="local",
                      name=body.name or f"{len(body.urls)} sites", pages=body.pages,
                      prompt=body.prompt, build_check=body.build_check)
        studio.batches[batch.id] = batch
        studio.items[batch.id] = [BatchItem(id=f"{batch.id}-i{n}", batch_id=batch.id,
                                            position=n, url=url)
                                  for n, url in enumerate(body.urls)]
        studio.channels[batch.id] = HeldJob(id=batch.id)
        return JSONResponse({"batch_id": batch.id, "items": len(body.urls)}, status_code=202)

    @app.get("/api/batches")
    async def batches() -> list[dict[str, Any]]:
        listed = []
        for batch_id in reversed(studio.batches):
            summary = studio.out(batch_id)
            summary.pop("items")
            listed.append(summary)
        return listed

    @app.get("/api/batches/{batch_id}")
    async def one(batch_id: str) -> Response:
        if batch_id not in studio.batches:
            return unknown_batch(batch_id)
        return JSONResponse(studio.out(batch_id))

    @app.get("/api/batches/{batch_id}/events")
    async def events(batch_id: str,
                     last_event_id: str | None = Header(default=None)) -> Response:
        studio.batch_resumes.append((batch_id, last_event_id))
        if batch_id not in studio.channels:
            return unknown_batch(batch_id)
        return sse(studio.channels[batch_id], int(last_event_id or 0))

    @app.post("/api/batches/{batch_id}/{action}")
    async def act(batch_id: str, action: Literal["pause", "resume", "cancel"]) -> Response:
        studio.asked.append(("POST", f"/api/batches/{batch_id}/{action}", None))
        batch = studio.batches.get(batch_id)
        if batch is None:
            return unknown_batch(batch_id)
        allowed = {"pause": (BatchStatus.RUNNING,),
                   "resume": (BatchStatus.PAUSED, BatchStatus.RUNNING),
                   "cancel": (BatchStatus.RUNNING, BatchStatus.PAUSED)}[action]
        if batch.status not in allowed:
            return JSONResponse({"detail": f"batch {batch_id} is {batch.status}"},
                                status_code=409)
        batch.status = {"pause": BatchStatus.PAUSED, "resume": BatchStatus.RUNNING,
                        "cancel": BatchStatus.CANCELLED}[action]
        if action == "cancel":
            for item in studio.items[batch_id]:
                if item.status not in ItemStatus.TERMINAL:
                    studio.move(batch_id, item.position, status=ItemStatus.CANCELLED,
                                error="the batch was cancelled")
            studio.end_if_finished(batch_id)
        return JSONResponse(studio.out(batch_id))

    return app


async def bar_cells(page: Any) -> list[str]:
    cells: list[str] = await page.evaluate(
        "[...document.querySelectorAll('#batch-bar .cell')].map((c) => c.dataset.status)")
    return cells


async def test_a_batch_in_a_browser(screens: Any) -> None:
    studio = Studio()
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_page(page)

        # --- From the projects home to the batches page, which has none yet.
        await page.goto(url + "/")
        await page.locator("#projects-empty").wait_for()
        await page.get_by_role("link", name="Batches", exact=True).click()
        await page.wait_for_url(url + "/batches")
        await page.locator("#batch-list-empty").wait_for()
        assert await page.title() == "Batches · Paynto"
        assert await page.get_by_label("Check each copy builds").is_checked()

        # --- Start: the addresses one a line (blank lines and a repeat dropped), 2 pages each.
        await page.get_by_label("Addresses, one a line").fill(
            f"{SITES[0]}\n\n  {SITES[1]}  \n{SITES[2]}\n{SITES[0]}\n")
        await page.select_option("#batch-pages", "2")
        await page.get_by_label("What should change in every copy?").fill("Make it darker")
        await page.get_by_role("button", name="Start").click()
        await page.wait_for_url(url + "/b/b1")
        assert studio.asked[-1] == ("POST", "/api/batches", {
            "urls": SITES, "pages": 2, "prompt": "Make it darker", "build_check": True})
        await eventually(lambda: ("b1", None) in studio.batch_resumes)

        bar = page.get_by_role("progressbar", name="Progress")
        rows = page.locator("#batch-items > li")
        await rows.nth(2).wait_for()
        assert await page.inner_text("#batch-name") == "3 sites"
        assert await page.title() == "3 sites · Paynto"
        assert await page.inner_text("#batch-state") == "RUNNING"
        assert await bar.get_attribute("aria-valuemax") == "3"
        assert await bar.get_attribute("aria-valuenow") == "0"
        assert await page.inner_text("#batch-summary") == "0 of 3 ended"
        assert await bar_cells(page) == ["queued"] * 3
        assert await rows.locator(".url").all_inner_texts() == SITES
        assert await rows.locator(".position").all_inner_texts() == ["#1", "#2", "#3"]
        assert await page.get_by_role("link", name="Report (CSV)").get_attribute("href") == \
            "/api/batches/b1/report?format=csv"
        assert await page.locator("#batch-pause").is_visible()
        assert await page.locator("#batch-cancel").is_visible()
        assert await page.locator("#batch-resume").is_hidden()

        # --- The first site runs, fails an attempt (shown), runs again and is done.
        first = rows.nth(0)
        studio.move("b1", 0, status="running", step="clone", attempts=1, project_id="p1",
                    job_id="j1")
        await first.locator('.badge[data-status="running"]').wait_for()
        assert await first.locator(".facts").inner_text() == "step: clone · attempt 1"
        assert await bar_cells(page) == ["running", "queued", "queued"]
        assert "1 running, 2 queued" in await page.inner_text("#batch-meta")

        studio.move("b1", 0, status="retrying", failures=["clone: the model timed out"])
        failures = first.locator("details.failures")
        await failures.wait_for()
        assert await first.locator(".badge").inner_text() == "RETRYING"
        assert await failures.locator("summary").inner_text() == "1 failed attempt"
        assert await failures.locator("li").is_hidden()
        await failures.locator("summary").click()
        assert await failures.locator("li").all_inner_texts() == ["clone: the model timed out"]

        studio.move("b1", 0, status="running", step="build", attempts=2)
        await first.locator(".facts", has_text="attempt 2").wait_for()
        # Redrawn as it moved, the row keeps its failures open.
        assert await failures.locator("li").is_visible()
        assert await first.get_by_role("link").count() == 0

        studio.move("b1", 0, status="done", step="export", result={
            "title": "The Roastery", "palette": PALETTE, "version": 1,
            "preview_url": "/preview/sb1/", "zip_url": ZIP, "build_ok": True,
            "build_seconds": 12.4})
        await first.locator('.badge[data-status="done"]').wait_for()
        project = first.get_by_role("link", name="Open project")
        assert await project.get_attribute("href") == "/p/p1"
        assert await project.get_attribute("data-link") == ""
        assert await first.get_by_role("link", name="Download zip").get_attribute("href") == ZIP
        assert await first.locator(".item-title").inner_text() == "The Roastery"
        assert await first.get_by_role("list", name="Colours of The Roastery") \
            .locator(".hex").all_inner_texts() == PALETTE
        assert await first.locator(".facts").inner_text() == \
            "step: export · attempt 2 · v1 · builds (12 s)"
        assert await bar.get_attribute("aria-valuenow") == "1"
        assert await page.inner_text("#batch-summary") == "1 of 3 ended: 1 done"

        # --- The second fails for good: its error and every attempt's reason.
        studio.move("b1", 1, status="running", step="clone", attempts=1)
        await rows.nth(1).locator('.badge[data-status="running"]').wait_for()
        studio.move("b1", 1, status="failed", step="build", attempts=3,
                    error="build: 2 modules do not compile",
                    failures=["clone: timed out", "build: 2 modules do not compile",
                              "build: 2 modules do not compile"])
        second = rows.nth(1)
        await second.locator('.badge[data-status="failed"]').wait_for()
        assert await second.locator(".error").inner_text() == "build: 2 modules do not compile"
        assert await second.locator("details.failures summary").inner_text() == \
            "3 failed attempts"
        assert await second.get_by_role("link").count() == 0
        assert await bar.get_attribute("aria-valuenow") == "2"
        assert await bar.get_attribute("aria-valuetext") == "2 of 3 ended: 1 done, 1 failed"
        assert await page.inner_text("#batch-summary") == "2 of 3 ended: 1 done, 1 failed"
        assert await bar_cells(page) == ["done", "failed", "queued"]
        await assert_accessible(page)
        await screens.shot(page, "batch")
        await page.emulate_media(color_scheme="dark")
        await assert_accessible(page)
        await screens.shot(page, "batch-dark")
        await page.emulate_media(color_scheme="light")

        # --- A reload picks the channel up again, and the page shows the same.
        await page.reload()
        await eventually(lambda: len([r for r in studio.batch_resumes if r[0] == "b1"]) == 2)
        await rows.nth(0).locator(".item-links").wait_for()
        await until(page, "document.querySelector('#batch-summary').textContent === "
                          "'2 of 3 ended: 1 done, 1 failed'")

        # --- Pause, resume: the buttons follow the status.
        await page.get_by_role("button", name="Pause").click()
        await page.locator("#batch-resume").wait_for()
        assert studio.asked[-1] == ("POST", "/api/batches/b1/pause", None)
        assert await page.inner_text("#batch-state") == "PAUSED"
        assert await page.locator("#batch-pause").is_hidden()
        await page.get_by_role("button", name="Resume").click()
        await page.locator("#batch-pause").wait_for()
        assert studio.asked[-1] == ("POST", "/api/batches/b1/resume", None)
        assert await page.inner_text("#batch-state") == "RUNNING"
        assert await page.locator("#batch-resume").is_hidden()

        # --- Cancel asks first: kept, nothing is sent; confirmed, the rest is cancelled.
        await page.get_by_role("button", name="Cancel batch").click()
        dialog = page.get_by_role("dialog")
        await dialog.wait_for()
        assert await dialog.locator("h2").inner_text() == "Cancel “3 sites”?"
        await dialog.get_by_role("button", name="Cancel", exact=True).click()
        await dialog.wait_for(state="hidden")
        assert studio.asked[-1] == ("POST", "/api/batches/b1/resume", None)
        await page.get_by_role("button", name="Cancel batch").click()
        await dialog.get_by_role("button", name="Cancel batch").click()
        await page.locator("#batch-cancel").wait_for(state="hidden")
        assert studio.asked[-1] == ("POST", "/api/batches/b1/cancel", None)
        assert await page.inner_text("#batch-state") == "CANCELLED"
        assert await page.locator("#batch-pause").is_hidden()
        assert await page.locator("#batch-resume").is_hidden()
        third = rows.nth(2)
        await third.locator('.badge[data-status="cancelled"]').wait_for()
        assert await third.locator(".error").inner_text() == "the batch was cancelled"
        await until(page, "document.querySelector('#batch-summary').textContent === "
                          "'3 of 3 ended: 1 done, 1 failed, 1 cancelled'")
        assert await bar.get_attribute("aria-valuenow") == "3"
        assert await bar_cells(page) == ["done", "failed", "cancelled"]

        # --- The batches list shows it with its counts.
        await page.get_by_role("link", name="← Batches").click()
        await page.wait_for_url(url + "/batches")
        card = page.locator("#batch-list > li")
        await card.wait_for()
        assert await card.get_by_role("link").inner_text() == "3 sites"
        assert await card.get_by_role("link").get_attribute("href") == "/b/b1"
        assert await card.locator(".badge").inner_text() == "CANCELLED"
        assert await card.locator(".summary").inner_text() == \
            "3 of 3 ended: 1 done, 1 failed, 1 cancelled"
        assert await page.text_content("#batch-count") == "· 1 batch"
        await assert_accessible(page)
        await screens.shot(page, "batches")
        await page.emulate_media(color_scheme="dark")
        await assert_accessible(page)
        await screens.shot(page, "batches-dark")

        # --- At a phone's width, nothing scrolls sideways.
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await phone.goto(url + "/b/b1")
        await phone.locator("#batch-items > li .item-links").wait_for()
        await no_sideways_scroll(phone)
        await assert_accessible(phone)
        await screens.shot(phone, "batch-phone")
        await phone.goto(url + "/batches")
        await phone.locator("#batch-list > li").wait_for()
        await no_sideways_scroll(phone)
        await screens.shot(phone, "batches-phone")
        await phone.close()
        assert errors == []


async def test_refused_addresses_are_each_named(screens: Any) -> None:
    """One refused address refuses the batch: the page names each, stays on the form, and a
    batch that is no one's is not found."""
    studio = Studio()
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        errors = watch_page(page)
        await page.goto(url + "/batches")
        await page.locator("#batch-list-empty").wait_for()
        await page.get_by_label("Check each copy builds").uncheck()
        await page.get_by_label("Addresses, one a line").fill("\n".join([SITES[0], *REFUSED]))
        await page.get_by_role("button", name="Start").click()
        refused = page.get_by_role("list", name="Addresses refused")
        await refused.wait_for()
        assert studio.asked[-1] == ("POST", "/api/batches", {
            "urls": [SITES[0], *REFUSED], "pages": 1, "prompt": "", "build_check": False})
        assert await refused.locator("li").all_inner_texts() == [
            f"{u}: {why}" for u, why in REFUSED.items()]
        assert await page.inner_text("#batch-form-status") == "Some URLs may not be read:"
        assert page.url == url + "/batches"
        assert studio.batches == {}
        # What was typed stays, to be corrected.
        assert SITES[0] in await page.input_value("#batch-urls")
        await no_sideways_scroll(page)
        await assert_accessible(page)
        await screens.shot(page, "batches-refused-phone")

        # Nothing but blank lines: said, and nothing sent.
        asked = len(studio.asked)
        await page.get_by_label("Addresses, one a line").fill("  \n ")
        await page.get_by_role("button", name="Start").click()
        await until(page, "document.querySelector('#batch-form-status').textContent === "
                          "'List at least one address.'")
        assert len(studio.asked) == asked
        assert await refused.is_hidden()

        await page.goto(url + "/b/nobody")
        await page.get_by_role("heading", name="Batch not found").wait_for()
        assert await page.title() == "Batch not found · Paynto"
        assert errors == []
