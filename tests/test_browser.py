"""A person's path in a real browser: open the studio, type a prompt, press Generate, and
see the site rendered in the preview, through the real services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import BROWSER_ARGS, require_chromium
from paynto_cli.launcher import System
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
            page.goto(system.gateway_url + "/")
            page.fill("#prompt", "a landing page for a coffee roastery")
            page.click("#generate")
            frame = page.frame_locator("#preview")
            # React rendered the generated App inside the sandboxed preview iframe.
            frame.locator("text=Coffee Roastery").first.wait_for(timeout=90_000)
            assert page.locator("#files li").count() >= 3
            page.screenshot(path=str(tmp_path / "studio.png"))
            assert errors == []
        finally:
            browser.close()
