"""Publishing as a replica runs it: publish jobs on real NATS taken by the pool's consumer,
versions and builds in SQLite, ``vite build`` jailed with relative asset URLs, ``dist/`` stored
as the publish's files and made live."""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import select

from paynto_common.bus import Bus
from paynto_common.db import (
    LOCAL_USER_ID,
    Database,
    Project,
    Publish,
    PublishFile,
    PublishStatus,
    Site,
)
from paynto_common.messages import (
    SANDBOX_POOL,
    Published,
    PublishRequest,
    project_channel,
    stream_problem,
)
from paynto_common.publishing import request_publish
from paynto_common.testing.worker import consuming, events_until_end, new_job, run_jobs
from sandbox_pool import versions
from sandbox_pool.app import consumer
from sandbox_pool.jobs.build import DIST_MAX_FILES, DistRefused, read_dist
from sandbox_pool.jobs.publish import media_type
from sandbox_pool.manager import SandboxManager

APP = ("export default function App() {\n"
       "  return <main className=\"p-8\"><h1 className=\"text-4xl\">{TITLE}</h1></main>\n}\n")
CSS = '@import "tailwindcss";\n'


def site(title: str) -> dict[str, str]:
    return {"src/App.jsx": APP.replace("{TITLE}", title), "src/index.css": CSS}


BROKEN = {"src/App.jsx": "export default function App() {\n  return <h1>unclosed</h1>\n",
          "src/index.css": CSS}


@pytest_asyncio.fixture
async def manager(managers: Any) -> SandboxManager:
    manager: SandboxManager = await managers("solo", pool_size=0)
    return manager


async def project_with(db: Database, *files: dict[str, str]) -> Project:
    async with db.session() as s:
        project = Project(name="Corner Bakery & Café")
        s.add(project)
        await s.commit()
        await s.refresh(project)
    for number, version in enumerate(files, 1):
        await versions.store_version(db, project.id, f"seed-{project.id}:{number}", version,
                                     model="test")
    return project


async def publish(bus: Bus, db: Database, manager: SandboxManager, project: Project,
                  version: int) -> tuple[Published, str]:
    """Run one publish job to its end: (its result, the publish id)."""
    async with consuming(bus, db, SANDBOX_POOL, consumer(bus, db, manager)):
        job, row, _ = await request_publish(db, bus, project, version, LOCAL_USER_ID)
        events = await events_until_end(bus, job.id, timeout=180)
    for event in events:
        assert stream_problem("publish", event.event, event.data) is None, event
    assert events[-1].event == "complete", events[-1]
    return Published.model_validate(events[-1].data), row.id


async def stored_files(db: Database, publish_id: str) -> dict[str, bytes]:
    async with db.session() as s:
        rows = (await s.exec(select(PublishFile).where(
            PublishFile.publish_id == publish_id))).all()
    return {row.path: row.data for row in rows}


async def test_a_version_is_built_stored_and_made_live(bus: Bus, db: Database,
                                                       manager: SandboxManager) -> None:
    project = await project_with(db, site("First bake"), site("Second bake"))
    result, first = await publish(bus, db, manager, project, 1)
    assert result.ok and result.version == 1, result.output
    files = await stored_files(db, first)
    assert result.files == len(files) and result.bytes == sum(map(len, files.values()))
    index = files["index.html"].decode()
    # Relative asset URLs: the build can be served under any path.
    assert 'src="./assets/' in index and "/assets/" not in index.replace("./assets/", "")
    scripts = [path for path in files if path.startswith("assets/") and path.endswith(".js")]
    assert scripts and any(b"First bake" in files[path] for path in scripts)
    async with db.session() as s:
        site_row = await s.get(Site, project.id)
        row = await s.get(Publish, first)
    assert site_row is not None and row is not None
    assert site_row.live_publish_id == first and row.status == PublishStatus.READY
    assert site_row.slug.startswith("corner-bakery-caf-")
    assert result.url == f"/sites/{site_row.slug}/"

    second_result, second = await publish(bus, db, manager, project, 2)
    assert second_result.ok
    async with db.session() as s:
        site_row = await s.get(Site, project.id)
    assert site_row is not None and site_row.live_publish_id == second
    # The first build is kept, unchanged (a rollback serves it again).
    assert await stored_files(db, first) == files
    # The project's channel told each.
    channel = [e async for e in _channel(bus, project.id)]
    assert [(e["version"], e["ok"]) for e in channel] == [(1, True), (2, True)]


async def _channel(bus: Bus, project_id: str) -> Any:
    """The ``published`` events the project's channel holds so far."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2):
            async for _seq, event in bus.job_events(project_channel(project_id)):
                if event.event == "published":
                    yield event.data


async def test_a_build_that_fails_is_told_and_leaves_the_site_as_it_was(
        bus: Bus, db: Database, manager: SandboxManager) -> None:
    project = await project_with(db, site("Works"), BROKEN)
    good, first = await publish(bus, db, manager, project, 1)
    bad, second = await publish(bus, db, manager, project, 2)
    assert good.ok and not bad.ok
    assert "vite build failed" in bad.output
    async with db.session() as s:
        site_row = await s.get(Site, project.id)
        row = await s.get(Publish, second)
    assert site_row is not None and site_row.live_publish_id == first
    assert row is not None and row.status == PublishStatus.FAILED and row.error
    assert await stored_files(db, second) == {}


async def test_an_older_publish_finishing_last_does_not_replace_a_newer_live_one(
        bus: Bus, db: Database, manager: SandboxManager) -> None:
    project = await project_with(db, site("Old"), site("New"))
    newer_result, newer = await publish(bus, db, manager, project, 2)
    assert newer_result.ok
    async with db.session() as s:
        newer_row = await s.get(Publish, newer)
    assert newer_row is not None
    # Asked for before the newer one, built only now.
    job = await new_job(db, "publish", project_id=project.id)
    older = Publish(project_id=project.id, version=1, job_id=job.id,
                    created_at=newer_row.created_at - timedelta(seconds=5))
    async with db.session() as s:
        s.add(older)
        await s.commit()
        await s.refresh(older)
    message = PublishRequest(job_id=job.id, project_id=project.id, user_id=LOCAL_USER_ID,
                             publish_id=older.id, version=1)
    (events,) = await run_jobs(bus, db, SANDBOX_POOL, consumer(bus, db, manager),
                               [(bus.subjects.publish, message)])
    assert Published.model_validate(events[-1].data).ok
    async with db.session() as s:
        site_row = await s.get(Site, project.id)
        older_row = await s.get(Publish, older.id)
    assert older_row is not None and older_row.status == PublishStatus.READY
    assert site_row is not None and site_row.live_publish_id == newer


def test_dist_is_read_without_following_links(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>x</title>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    secret = tmp_path / "host-secret.txt"
    secret.write_text("the host's file")
    # What untrusted code in the build could leave behind: links out of the workspace.
    os.symlink(secret, dist / "assets" / "leak.js")
    os.symlink(tmp_path, dist / "escape")
    assert read_dist(dist) == {"index.html": b"<!doctype html><title>x</title>",
                               "assets/app.js": b"console.log(1)"}


def test_a_dist_without_a_page_or_too_large_is_refused(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.js").write_text("1")
    with pytest.raises(DistRefused, match=r"index\.html"):
        read_dist(dist)
    with pytest.raises(DistRefused, match="no dist"):
        read_dist(tmp_path / "missing")
    (dist / "index.html").write_text("<html></html>")
    for n in range(DIST_MAX_FILES):
        (dist / f"f{n}.txt").write_text("x")
    with pytest.raises(DistRefused, match="larger than a publish may be"):
        read_dist(dist)


@pytest.mark.parametrize(("path", "expected"), [
    ("index.html", "text/html; charset=utf-8"),
    ("assets/index-3f.js", "text/javascript; charset=utf-8"),
    ("assets/index-3f.css", "text/css; charset=utf-8"),
    ("logo.svg", "image/svg+xml; charset=utf-8"),
    ("photo.webp", "image/webp"),
    ("font.woff2", "font/woff2"),
    ("LICENSE", "application/octet-stream"),
])
def test_built_files_are_served_with_their_type(path: str, expected: str) -> None:
    assert media_type(path) == expected
