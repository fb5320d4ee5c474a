"""The root conftest's ``screens`` fixture and report hook (paynto_common.testing.screens): where
screenshots go, that they are real PNGs of the page, and the picture of a failed test."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from paynto_common.testing.screens import REPORTS, Screens, output_dir

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG), path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_output_goes_to_the_variable_or_the_repo(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.delenv("PAYNTO_TEST_OUTPUT", raising=False)
    assert output_dir(tmp_path) == tmp_path / "test-output"
    monkeypatch.setenv("PAYNTO_TEST_OUTPUT", str(tmp_path / "elsewhere"))
    assert output_dir(tmp_path) == tmp_path / "elsewhere"


def test_the_fixture_is_for_this_test_and_the_hook_keeps_its_reports(
    screens: Screens, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PAYNTO_TEST_OUTPUT", raising=False)
    assert screens.folder == request.config.rootpath / "test-output/screenshots/test_screens"
    # The setup phase has passed and been kept; the call's report comes after this body.
    reports = request.node.stash[REPORTS]
    assert reports["setup"].passed and "call" not in reports
    assert not screens.failed()


@pytest.mark.slow
async def test_shot_saves_the_page_and_a_failure_is_pictured(
    screens: Screens, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    monkeypatch.setenv("PAYNTO_TEST_OUTPUT", str(tmp_path))
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 300})
            await page.set_content("<h1 style='height:900px'>Roastery</h1>")
            path = await screens.shot(page, "home / phone")
            assert path == tmp_path / "screenshots" / "test_screens" / "home-phone.png"
            assert png_size(path) == (390, 300)
            whole = await screens.shot(page, "home-full", full_page=True)
            width, height = png_size(whole)
            assert width == 390 and height > 900

            # No failure yet: no picture.
            assert await screens.on_failure(page) is None
            # The same report a failing body gets; the hook replaces it after this body.
            request.node.stash[REPORTS]["call"] = pytest.TestReport(
                request.node.nodeid, request.node.location, {}, "failed", None, "call")
            assert screens.failed()
            failed = await screens.on_failure(page)
            assert failed is not None and failed.name.startswith("failed-test_shot_saves")
            assert png_size(failed) == (390, 300)
            await page.close()
            # A page that is gone is let go of quietly.
            assert await screens.on_failure(page) is None
        finally:
            await browser.close()
