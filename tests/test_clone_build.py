"""The offline clone of a scraped site is a real, buildable Vite app: the roastery's two pages
(with a hostile section added) go through `vite build`, and the built site, opened in
Chromium, shows the pages' content, switches to the menu page through the navigation and
shows hostile text as text."""

from __future__ import annotations

import asyncio
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator.offline.clone import offline_clone_answer
from paynto_common.answer import parse_answer
from paynto_common.messages.scrape import Link, ScrapedPage, Section
from paynto_common.packages import runnable_project, template_files
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium, until, watch_page
from paynto_common.testing.scraped import ROASTERY, roastery_pages
from paynto_common.testing.screens import Screens
from tests.system import vite_build

pytestmark = pytest.mark.slow

HOSTILE = "Beans {x} </script> `${y}` <b>bold</b> {{"


def _pages() -> list[ScrapedPage]:
    home, menu = roastery_pages()
    hostile = Section(tag="section", id="small-print", heading="Small print",
                      text=HOSTILE,
                      links=[Link(href="javascript:alert(1)", text="Do not follow")])
    menu.sections.insert(-1, hostile)
    return [home, menu]


async def _build(root: Path) -> Path:
    answer = parse_answer(offline_clone_answer(_pages()))
    assert answer.truncated == [] and answer.files
    files = {f.path: f.content for f in answer.files}
    project = runnable_project(files)
    # Nothing beyond the template's packages: the clone needs no install.
    assert project["package.json"] == template_files()["package.json"]
    return await vite_build(root, project)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(_build(tmp_path_factory.mktemp("clone")))


@pytest.fixture
def served(dist: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(dist))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_clone_builds_with_vite(dist: Path) -> None:
    assert '<div id="root">' in (dist / "index.html").read_text()
    bundle = "".join(p.read_text() for p in (dist / "assets").glob("*.js"))
    css = "".join(p.read_text() for p in (dist / "assets").glob("*.css"))
    assert "Coffee roasted on Thursdays" in bundle and "Espresso bar" in bundle
    assert "https://shop.roastery.example/beans" in bundle and "#/menu" in bundle
    assert "javascript:alert" not in bundle
    # The palette reached the stylesheet, and Tailwind compiled the classes that use it.
    assert "#6b3e26" in css and "#e0a458" in css
    assert "var(--brand-primary)" in css


async def test_built_clone_shows_the_pages(served: str, screens: Screens) -> None:
    chromium = require_chromium()
    from playwright.async_api import Route, async_playwright

    async def local_only(route: Route) -> None:
        # The copy's images point at the scraped site; nothing leaves this machine.
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            await route.abort()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = await browser.new_page()
            problems = watch_page(page)
            await page.route("**/*", local_only)
            await page.goto(served)
            await until(page, "() => document.querySelector('h1') !== null")
            assert await page.inner_text("h1") == "Coffee roasted on Thursdays"
            assert await page.title() == "The Roastery"
            logo = page.locator("header img")
            assert await logo.get_attribute("src") == f"{ROASTERY}/img/logo.svg"
            assert await page.get_by_label("How do you brew?").count() == 1
            await screens.shot(page, "home", full_page=True)

            await page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Menu").click()
            await until(page, "() => location.hash === '#/menu'")
            await until(page, "() => document.querySelector('h1')?.textContent === 'Menu'")
            small_print = page.locator("#small-print p")
            assert await small_print.inner_text() == HOSTILE
            assert await page.locator("#small-print b").count() == 0
            assert await page.locator("#small-print a").count() == 0
            await screens.shot(page, "menu", full_page=True)

            # A section link of the menu page leads back to home's section.
            await page.get_by_role("link", name="Find us").click()
            await until(page, "() => document.getElementById('visit') !== null")
            assert await page.inner_text("h1") == "Coffee roasted on Thursdays"
            assert problems == []
        finally:
            await browser.close()
