"""An exported project is a real, buildable Vite app: the offline generator's site, laid over
the template the way a download lays it out, goes through `vite build`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from generator.offline import OfflineGenerator
from paynto_common.answer import parse_answer
from paynto_common.packages import runnable_project
from sandbox_pool.node import find_node
from sandbox_pool.node_modules import NodeModulesCache
from tests.system import DEPS_CACHE

pytestmark = pytest.mark.slow


async def test_exported_site_builds_with_vite(tmp_path: Path) -> None:
    answer = parse_answer(OfflineGenerator().render("a landing page for a coffee roastery"))
    files = {f.path: f.content for f in answer.files}
    project = runnable_project(files)
    for path, text in project.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    entry = await NodeModulesCache(DEPS_CACHE).ensure()
    (tmp_path / "node_modules").symlink_to(entry / "node_modules")
    node = find_node()
    build = await asyncio.create_subprocess_exec(
        str(node.node), "node_modules/vite/bin/vite.js", "build",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(build.communicate(), 120)
    assert build.returncode == 0, output.decode()
    html = (tmp_path / "dist" / "index.html").read_text()
    assert '<div id="root">' in html
    bundle = "".join(p.read_text() for p in (tmp_path / "dist" / "assets").glob("*.js"))
    assert "Coffee Roastery" in bundle
    css = "".join(p.read_text() for p in (tmp_path / "dist" / "assets").glob("*.css"))
    assert "amber" in css or "--color-amber" in css  # Tailwind compiled the site's classes
