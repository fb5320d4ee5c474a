"""Screenshots from browser tests, kept as files to look at after a run.

The root ``conftest.py`` gives every test a ``screens`` fixture (a :class:`Screens`) and stores
each phase's report on the test item (:data:`REPORTS`), so a page fixture can take a picture of a
test that failed. Files go to ``$PAYNTO_TEST_OUTPUT/screenshots/<test module>/<name>.png``, with
``<repo>/test-output`` when the variable is unset (git ignores it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Page

__all__ = ["REPORTS", "Screens", "output_dir"]

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
"""On a test item: its reports by phase ("setup", "call", "teardown"), once each is made."""


def output_dir(root: Path) -> Path:
    """Where test output goes: ``$PAYNTO_TEST_OUTPUT``, else ``<root>/test-output``."""
    configured = os.environ.get("PAYNTO_TEST_OUTPUT")
    return Path(configured) if configured else root / "test-output"


def _safe(name: str) -> str:
    # A name becomes one file name: no folders, nothing a shell would trip on.
    return re.sub(r"[^\w.-]+", "-", name).strip("-.") or "screen"


class Screens:
    """Saves screenshots of pages for one test."""

    def __init__(self, root: Path, node: pytest.Item) -> None:
        self.root = root
        self.node = node

    @property
    def folder(self) -> Path:
        """This test module's folder of screenshots (read when used, so a test can still set
        PAYNTO_TEST_OUTPUT first)."""
        return output_dir(self.root) / "screenshots" / _safe(self.node.path.stem)

    async def shot(self, page: Page, name: str, **options: Any) -> Path:
        """Save a screenshot of ``page`` as ``<name>.png`` and return its path. ``options``
        go to Playwright's ``page.screenshot`` (``full_page=True``, say)."""
        path = self.folder / f"{_safe(name)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(path), **options)
        return path

    def failed(self) -> bool:
        """Whether this test has failed so far (its setup or its body)."""
        reports = self.node.stash.get(REPORTS, {})
        return any(r.failed for r in reports.values())

    async def on_failure(self, page: Page) -> Path | None:
        """From a page fixture's teardown: when the test failed, save the page as
        ``failed-<test name>.png``; return its path, or None when nothing was saved.
        A page that can no longer be captured (closed, crashed) is let go: the failure
        itself is what the run reports."""
        if not self.failed():
            return None
        try:
            return await self.shot(page, f"failed-{self.node.name}")
        except Exception:
            return None
