"""The studio's "Clone a site" in Chromium: Look at a site from the projects home (its title,
palette, fonts and screenshot on a card), a refused address in the gateway's own words, then
Clone, which makes the project and starts the clone job on its page, where the turn shows what
was read while the copy is written, across a reload and in a browser that did not start it.

The stub gateway answers with the API's own code and models: ``scrape_out`` of a stored scrape
(the roastery of ``paynto_common.testing.scraped``) for a look, a held clone job whose events
are checked against the clone kind's table, and the jobs list filtered by ``kinds`` as the real
one is (so a page that forgot a clone in its history or its resume would not see it)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from gateway.api.routes.scrapes import scrape_out, screenshot_url
from gateway.api.schemas import CloneBody, ScrapeBody, TurnOut
from paynto_common.db import Scrape
from paynto_common.messages import (
    JOB_KINDS,
    Applied,
    FileWritten,
    GenerateResult,
    PreviewReady,
    Scraped,
    ScrapedPage,
    Status,
    stored,
)
from paynto_common.testing.axe import assert_accessible
from paynto_common.testing.browser import eventually, until, watch_page
from paynto_common.testing.scraped import ROASTERY, roastery_pages
from services.gateway.tests import studio_stub
from services.gateway.tests.studio_stub import NOW, no_sideways_scroll, sse, studio_browser, unknown

pytestmark = pytest.mark.slow

SITE = f"{ROASTERY}/"
REFUSED = "http://127.0.0.1:8080/admin"
REFUSAL = f"{REFUSED} may not be read: 127.0.0.1 is a loopback address"
SHOT_SIZE = (320, 200)
FILES = {"src/App.jsx": "export default function App() {\n  return <h1>Tea house</h1>;\n}\n",
         "src/index.css": "@tailwind base;\n"}


def png(width: int, height: int, top: str, rest: str) -> bytes:
    """A real PNG: a band of ``top`` over ``rest`` (both ``#rrggbb``), like a site's header."""
    def rgb(hex_: str) -> bytes:
        return bytes.fromhex(hex_.removeprefix("#"))

    band = height // 4
    rows = [b"\x00" + rgb(top if y < band else rest) * width for y in range(height)]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def roastery_scrape(scrape_id: str, *, screenshot: bool = True) -> Scrape:
    """The roastery as the scraper stores it, with its screenshot or the note why not."""
    pages = roastery_pages()
    colors = pages[0].brand.colors
    return Scrape(id=scrape_id, user_id="local", url=SITE, title=pages[0].title,
                  pages=[p.model_dump(mode="json") for p in pages], created_at=NOW,
                  screenshot=png(*SHOT_SIZE, colors[2].hex, colors[0].hex) if screenshot
                  else None,
                  screenshot_note=None if screenshot else "no browser to take screenshots")


def scraped_event(row: Scrape) -> Scraped:
    """The ``scrape`` event of a stored scrape, as the scraper tells it."""
    first = ScrapedPage.model_validate(row.pages[0])
    return Scraped(url=row.url, final_url=first.final_url, title=row.title,
                   palette=[c.hex for c in first.brand.colors], fonts=list(first.brand.fonts),
                   screenshot_url=screenshot_url(row), screenshot_note=row.screenshot_note,
                   scrape_id=row.id, pages=len(row.pages), provider=row.provider)


@dataclass
class Studio(studio_stub.Studio):
    """Projects that start empty, the scrapes looked at and the clone jobs."""

    scrapes: dict[str, Scrape] = field(default_factory=dict)


def studio_gateway(studio: Studio) -> FastAPI:
    app = studio_stub.studio_gateway(
        studio, sandbox_status="none", site_heading="Tea house",
        models=[{"id": "offline", "ai": False, "roles": ["default"]}])

    @app.get("/api/projects/{pid}/jobs", response_model=list[TurnOut])
    async def turns(pid: str, active: bool = False, limit: int = 30,
                    kinds: str | None = None) -> Response:
        found = studio.turns.get(pid, [])
        if kinds is not None:
            wanted = kinds.split(",")
            if strange := [k for k in wanted if k not in JOB_KINDS]:
                return JSONResponse({"detail": f"kinds: unknown job kind(s) {strange}"},
                                    status_code=422)
            found = [t for t in found if t.kind in wanted]
        if active:
            found = [t for t in found if t.status in ("queued", "running")]
        return JSONResponse([t.model_dump(mode="json") for t in found[:limit]])

    @app.get("/api/projects/{pid}/files")
    async def files(pid: str) -> dict[str, Any]:
        return {"files": {}, "version": 0}

    @app.get("/api/projects/{pid}/versions")
    async def versions(pid: str) -> list[Any]:
        return []

    @app.post("/api/scrape-website")
    async def scrape_website(body: ScrapeBody, request: Request) -> Response:
        studio.asked.append(("POST", "/api/scrape-website", await request.json()))
        if body.url == REFUSED:
            return JSONResponse({"detail": REFUSAL}, status_code=422)
        row = roastery_scrape(f"s{len(studio.scrapes) + 1}",
                              screenshot=body.screenshot and body.url == SITE)
        studio.scrapes[row.id] = row
        return JSONResponse(scrape_out(row))

    @app.get("/api/scrapes/{scrape_id}/screenshot.png")
    async def screenshot(scrape_id: str) -> Response:
        row = studio.scrapes.get(scrape_id)
        if row is None or row.screenshot is None:
            return unknown(f"scrape {scrape_id}")
        return Response(row.screenshot, media_type="image/png")

    @app.post("/api/clone")
    async def clone(body: CloneBody, request: Request) -> Response:
        studio.asked.append(("POST", "/api/clone", await request.json()))
        if body.project_id not in studio.projects:
            return unknown(f"project {body.project_id}")
        job = studio.hold(f"clone{len(studio.jobs) + 1}", kind="clone")
        studio.turns[body.project_id].insert(0, TurnOut(
            id=job.id, kind="clone", status="running",
            prompt=body.prompt.strip() or f"Clone {body.url}", model=None, created_at=NOW,
            updated_at=NOW, error=None, explanation=None, result=None))
        return sse(job, headers={"X-Project-Id": body.project_id})

    return app


async def image_loaded(page: Any, selector: str) -> None:
    await until(page, "(s) => { const i = document.querySelector(s);"
                      " return !!i && i.complete && i.naturalWidth > 0; }", selector)


async def chip_colours(page: Any, selector: str) -> list[str]:
    """The colour each swatch of a palette is painted in, as #rrggbb."""
    colours: list[str] = await page.evaluate(
        """(s) => [...document.querySelectorAll(s + " canvas.chip")].map((c) => {
            const [r, g, b] = c.getContext("2d").getImageData(0, 0, 1, 1).data;
            return "#" + [r, g, b].map((n) => n.toString(16).padStart(2, "0")).join("");
        })""", selector)
    return colours


async def test_clone_a_site_in_a_browser(screens: Any) -> None:
    studio = Studio()
    studio.add_project("roast", "Coffee roastery", age=5)
    brand = roastery_pages()[0].brand
    hexes = [c.hex for c in brand.colors]
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_page(page)
        await page.goto(url + "/")
        await page.locator("#project-list li").first.wait_for()

        # --- Look: the card shows what was read, the screenshot as an image of the site.
        await page.get_by_label("Address of the site").fill(SITE)
        await page.get_by_role("button", name="Look").click()
        card = page.locator("#clone-card")
        await card.wait_for()
        assert studio.asked[-1] == ("POST", "/api/scrape-website",
                                    {"url": SITE, "screenshot": True})
        assert await card.locator("h3").inner_text() == "The Roastery"
        assert await card.locator(".site-url").inner_text() == SITE
        swatches = card.get_by_role("list", name="Colours of The Roastery")
        assert await swatches.locator(".hex").all_inner_texts() == hexes
        assert await chip_colours(page, "#clone-card") == hexes
        assert await card.locator(".role").first.inner_text() == "background"
        assert await card.locator("dd.fonts").inner_text() == ", ".join(brand.fonts)
        shot = card.get_by_role("img", name="Screenshot of The Roastery")
        assert await shot.get_attribute("src") == "/api/scrapes/s1/screenshot.png"
        await image_loaded(page, "#clone-card img")
        assert await page.evaluate(
            "document.querySelector('#clone-card img').naturalWidth") == SHOT_SIZE[0]
        await assert_accessible(page)
        await screens.shot(page, "home-clone-card")
        await page.emulate_media(color_scheme="dark")
        await assert_accessible(page)
        await screens.shot(page, "home-clone-card-dark")
        await page.emulate_media(color_scheme="light")

        # --- A refused address: the gateway's own words, and no card.
        await page.get_by_label("Address of the site").fill(REFUSED)
        await card.wait_for(state="hidden")
        await page.press("#clone-url", "Enter")
        await page.locator('#clone-status[data-kind="error"]').wait_for()
        assert await page.inner_text("#clone-status") == REFUSAL
        assert await card.is_hidden()
        assert studio.asked[-1] == ("POST", "/api/scrape-website",
                                    {"url": REFUSED, "screenshot": True})

        # --- Clone: a project named after the site; its page starts the clone job.
        await page.get_by_label("Address of the site").fill(SITE)
        assert await page.inner_text("#clone-status") == ""
        assert await page.input_value("#clone-pages") == "1"
        await page.select_option("#clone-pages", "2")
        await page.get_by_label("What should change in the copy?").fill(
            "Make it a tea house")
        await page.get_by_role("button", name="Clone", exact=True).click()
        await page.wait_for_url(url + "/p/new1")
        assert ("POST", "/api/projects", {"name": "Clone of roastery.example"}) \
            in studio.asked
        await eventually(lambda: "clone1" in studio.jobs)
        assert studio.asked[-1] == ("POST", "/api/clone", {
            "url": SITE, "project_id": "new1", "pages": 2, "prompt": "Make it a tea house"})
        job = studio.jobs["clone1"]
        turn = page.locator("#turns > li.live")
        assert await turn.locator(".you p").all_inner_texts() == [
            f"Clone of {SITE}", "Make it a tea house"]
        await page.locator("#stop").wait_for()

        # The site read: its summary, palette and screenshot show in the turn.
        row = roastery_scrape("s9")
        studio.scrapes[row.id] = row
        studio.update_turn(job.id, result=stored(GenerateResult(cloned_url=SITE,
                                                                scrape_id=row.id)))
        job.push(scraped_event(row))
        job.push(Status(message="Writing the copy", model="offline", ai=False))
        read = turn.locator(".scrape .read")
        await read.wait_for()
        assert await read.inner_text() == "Read The Roastery (2 pages)"
        assert await turn.get_by_role("list", name="Colours of The Roastery") \
            .locator(".hex").all_inner_texts() == hexes
        assert await chip_colours(page, "#turns > li.live .scrape") == hexes
        link = turn.get_by_role("link", name="Screenshot of The Roastery")
        assert await link.get_attribute("href") == "/api/scrapes/s9/screenshot.png"
        await image_loaded(page, "#turns > li.live img.thumb")
        await assert_accessible(page)
        await screens.shot(page, "project-clone-turn")

        # --- A reload mid-clone picks the job up from its first event, in the same turn.
        await page.reload()
        await eventually(lambda: (job.id, None) in studio.resumes)
        await page.locator("#stop").wait_for()
        await read.wait_for()
        assert await page.locator("#turns > li").count() == 1
        assert await turn.locator(".you p").all_inner_texts() == [
            f"Clone of {SITE}", "Make it a tea house"]
        # --- Another browser (no memory of the job) finds it through ?active=true.
        other = await browser.new_page()
        await other.goto(url + "/p/new1")
        await eventually(lambda: len([r for r in studio.resumes if r[0] == job.id]) == 2)
        await other.locator("#turns > li .scrape .read").wait_for()
        await other.close()

        # --- The copy is written: the turn completes and keeps what was read.
        job.push(FileWritten(path="src/App.jsx"))
        job.push(PreviewReady(preview_url="/preview/sb1/"))
        result = GenerateResult(files=sorted(FILES), preview_url="/preview/sb1/",
                                version=1, cloned_url=SITE, scrape_id=row.id)
        studio.update_turn(job.id, status="complete", result=stored(result))
        job.push(Applied(files=sorted(FILES), preview_url="/preview/sb1/", version=1))
        await page.locator('#status[data-kind="ok"]').wait_for()
        assert await page.inner_text("#status") == "Done: 2 files · version 1."
        await page.locator("#turns > li .outcome", has_text="Done").wait_for()
        assert await page.locator("#turns > li").count() == 1
        assert await page.locator("#turns > li .scrape .read").inner_text() == \
            "Read The Roastery (2 pages)"
        await page.locator("#stop").wait_for(state="hidden")

        # --- In the history (a fresh load) the turn is the clone of its site.
        await page.reload()
        history = page.locator("#turns > li")
        await history.locator(".outcome", has_text="Done").wait_for()
        assert await history.locator(".you p").all_inner_texts() == [
            f"Clone of {SITE}", "Make it a tea house"]
        assert "v1" in await history.locator(".reply .meta").inner_text()

        # --- Home: the clone's card shows its site's screenshot, others their letter.
        studio.projects["new1"] = studio.projects["new1"].model_copy(update={
            "thumbnail_url": f"/api/scrapes/{row.id}/screenshot.png"})
        await page.goto(url + "/")
        cards = page.locator(".project-card")
        await cards.first.wait_for()
        await image_loaded(page, ".project-card .swatch img.thumb")
        assert await cards.locator(".swatch img.thumb").count() == 1
        assert errors == []


async def test_a_site_without_a_screenshot_says_why(screens: Any) -> None:
    """A look whose screenshot could not be taken shows the reason instead of an image, and a
    clone without wishes asks for the site as it is."""
    studio = Studio()
    other_page = f"{ROASTERY}/menu.html"
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        errors = watch_page(page)
        await page.goto(url + "/")
        await page.locator("#projects-empty").wait_for()
        await page.get_by_label("Address of the site").fill(other_page)
        await page.get_by_role("button", name="Look").click()
        card = page.locator("#clone-card")
        await card.wait_for()
        assert await card.locator("img").count() == 0
        assert await card.locator(".shot-note").inner_text() == \
            "no browser to take screenshots"
        await no_sideways_scroll(page)
        await assert_accessible(page)
        await screens.shot(page, "home-clone-card-phone")

        await page.get_by_role("button", name="Clone", exact=True).click()
        await page.wait_for_url(url + "/p/new0")
        await eventually(lambda: "clone1" in studio.jobs)
        assert studio.asked[-1] == ("POST", "/api/clone", {
            "url": other_page, "project_id": "new0", "pages": 1, "prompt": ""})
        assert studio.projects["new0"].name == "Clone of roastery.example"
        job = studio.jobs["clone1"]
        row = roastery_scrape("s9", screenshot=False)
        row.url = other_page
        job.push(scraped_event(row))
        turn = page.locator("#turns > li.live")
        await turn.locator(".scrape .shot-note").wait_for()
        assert await turn.locator(".scrape .shot-note").inner_text() == \
            "no browser to take screenshots"
        assert await turn.locator(".you p").all_inner_texts() == [f"Clone of {other_page}"]
        await assert_accessible(page)
        assert errors == []
