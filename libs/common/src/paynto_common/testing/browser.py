"""Debian's Chromium for browser tests (Playwright drives it; it cannot download its own)."""

from __future__ import annotations

import os

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
