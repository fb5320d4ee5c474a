"""Debian's Chromium for browser tests (Playwright drives it; it cannot download its own)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this closed network
# refuses.
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> str:
    """The browser's path: skipped locally without it, a failure in CI (where .ci/run
    installs it)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing in CI: .ci/run should install chromium")
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium): browser test skipped")
    return CHROMIUM


async def until(page: Any, predicate: str, arg: Any = None, timeout: float = 10) -> None:
    """Poll a JavaScript expression (or a function of ``arg``) in ``page`` or a frame until it
    is true. Playwright's ``wait_for_function`` polls a string with ``eval``, which a page under
    a CSP without 'unsafe-eval' (the studio's) refuses; ``evaluate`` is allowed."""
    async with asyncio.timeout(timeout):
        while not await page.evaluate(predicate, arg):
            await asyncio.sleep(0.05)


async def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until ``check()`` holds: for what a test's own server records of a page's
    requests."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


def watch_page(page: Any) -> list[str]:
    """What went wrong in ``page``, as it happens: uncaught errors, and what its
    Content-Security-Policy refused (Chromium reports those on the console). A test asserts
    the list stays empty."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text else None)
    return problems
