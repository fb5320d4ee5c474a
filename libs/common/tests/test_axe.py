"""paynto_common.testing.axe in Chromium, against pages served on loopback under the studio's
kind of CSP (``script-src 'self'``, no inline code): axe-core gets in anyway, finds what is
wrong with a bad page, leaves out the excluded part, and passes a good page."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from paynto_common.testing.axe import assert_accessible, axe_source, axe_violations
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from paynto_common.testing.serve import serve_app

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'")
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000"
                      "010001000002024401003b")

GOOD = """<!doctype html><html lang="en"><head><title>Good</title></head><body>
<main><h1>Roastery</h1><img src="/pixel.gif" alt="Our roaster">
<button type="button">Order</button>
<label for="email">Email</label><input id="email" type="email"></main>
<p>Outside every landmark: a moderate finding, not a serious one.</p>
</body></html>"""

# The inline script must not run (the CSP is in force); the frame stands in for the preview.
BAD = """<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>
<h1>Roastery</h1>
<script>document.title = "inline code ran";</script>
<img src="/pixel.gif" id="no-alt">
<button type="button" id="icon-only"></button>
<div id="preview"><img src="/pixel.gif" id="in-preview"></div>
</main></body></html>"""


def site() -> FastAPI:
    app = FastAPI()
    headers = {"Content-Security-Policy": CSP}

    @app.get("/good")
    async def good() -> HTMLResponse:
        return HTMLResponse(GOOD, headers=headers)

    @app.get("/bad")
    async def bad() -> HTMLResponse:
        return HTMLResponse(BAD, headers=headers)

    @app.get("/pixel.gif")
    async def pixel() -> Response:
        return Response(PIXEL, media_type="image/gif")

    return app


@contextlib.asynccontextmanager
async def browser_page() -> AsyncIterator[tuple[str, Any]]:
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    async with serve_app(site()) as url, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            yield url, await browser.new_page()
        finally:
            await browser.close()


def test_axe_source_is_the_wheels_axe_core() -> None:
    source = axe_source()
    assert source.startswith("/*! axe v4.")
    assert "axe.run" in source or "run:" in source


@pytest.mark.slow
async def test_a_bad_page_is_reported_with_rule_impact_help_and_target() -> None:
    async with browser_page() as (url, page):
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text)
                if "Content Security Policy" in m.text else None)
        await page.goto(url + "/bad")
        # The CSP holds: the inline script did not run, and an inline script tag could not
        # bring axe in either. evaluate() can.
        assert await page.title() == "Bad"
        with contextlib.suppress(Exception):
            await page.add_script_tag(content="window.inlineRan = true;")
        assert await page.evaluate("() => window.inlineRan === undefined")
        assert refused, "Chromium reported no refused inline script: is the CSP in force?"

        violations = await axe_violations(page)
        by_rule = {v["id"]: v for v in violations}
        assert set(by_rule) >= {"image-alt", "button-name"}
        assert all(v["impact"] in ("serious", "critical") for v in violations)
        assert [n["target"] for n in by_rule["image-alt"]["nodes"]] == [["#no-alt"]]
        assert [n["target"] for n in by_rule["button-name"]["nodes"]] == [["#icon-only"]]
        assert by_rule["image-alt"]["help"]

        # Without the exclusion, the image in #preview counts too.
        everything = await axe_violations(page, exclude=())
        targets = [n["target"] for v in everything if v["id"] == "image-alt" for n in v["nodes"]]
        assert sorted(targets) == [["#in-preview"], ["#no-alt"]]

        with pytest.raises(AssertionError) as failed:
            await assert_accessible(page)
        message = str(failed.value)
        assert "image-alt (critical): Images must have alternative text" in message
        assert "button-name (critical)" in message
        assert "#no-alt" in message and "#icon-only" in message
        assert "#in-preview" not in message


@pytest.mark.slow
async def test_a_good_page_passes() -> None:
    async with browser_page() as (url, page):
        await page.goto(url + "/good")
        await assert_accessible(page)
        assert await axe_violations(page) == []
        # The impact filter is what lets it pass: its moderate finding is there when asked for.
        moderate = await axe_violations(page, impacts=("moderate",))
        assert [v["id"] for v in moderate] == ["region"]
