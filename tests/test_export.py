"""An exported project is a real, buildable Vite app: the offline generator's site, laid over
the template the way a download lays it out, goes through `vite build`."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.offline import OfflineGenerator
from paynto_common.answer import parse_answer
from paynto_common.packages import runnable_project
from tests.system import vite_build

pytestmark = pytest.mark.slow


async def test_exported_site_builds_with_vite(tmp_path: Path) -> None:
    answer = parse_answer(OfflineGenerator().render("a landing page for a coffee roastery"))
    files = {f.path: f.content for f in answer.files}
    dist = await vite_build(tmp_path, runnable_project(files), timeout=120)
    html = (dist / "index.html").read_text()
    assert '<div id="root">' in html
    bundle = "".join(p.read_text() for p in (dist / "assets").glob("*.js"))
    assert "Coffee Roastery" in bundle
    css = "".join(p.read_text() for p in (dist / "assets").glob("*.css"))
    assert "amber" in css or "--color-amber" in css  # Tailwind compiled the site's classes
