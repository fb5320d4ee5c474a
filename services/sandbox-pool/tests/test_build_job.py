"""The build check as a replica runs it: build jobs published on real NATS and taken by the
pool's consumer, versions in SQLite, ``vite build`` run jailed in a workspace of its own."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from paynto_common.bus import Bus
from paynto_common.db import Database, JobStatus
from paynto_common.messages import (
    SANDBOX_POOL,
    BuildRequest,
    Built,
    JobStarted,
    read_result,
    stream_problem,
)
from paynto_common.runtime import url_host_port
from paynto_common.testing.worker import consuming, new_job, run_jobs
from sandbox_pool import versions
from sandbox_pool.app import consumer
from sandbox_pool.jobs.build import Builder
from sandbox_pool.local import LocalProvider
from sandbox_pool.local.jail import Jail
from sandbox_pool.manager import SandboxManager
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.registry import Registry

MakeManager = Callable[..., Awaitable[SandboxManager]]
Events = list[tuple[str, dict[str, Any]]]

APP = ("import Hero from './components/Hero.jsx'\n"
       "export default function App() { return <main className=\"p-8\"><Hero /></main> }\n")
HERO = ("export default function Hero() {\n"
        "  return <h1 className=\"text-4xl text-amber-700\">Build check roastery</h1>\n"
        "}\n")
CSS = '@import "tailwindcss";\n'
SITE = {"src/App.jsx": APP, "src/components/Hero.jsx": HERO, "src/index.css": CSS}
BROKEN = {**SITE, "src/components/Hero.jsx": "export default function Hero() {\n"
                                             "  return <h1>unclosed</h1>\n"}

# A Tailwind plugin that never returns: the build hangs until it is stopped.
HANGS = {**SITE, "src/index.css": f'{CSS}@plugin "./hang.js";\n',
         "src/hang.js": "while (true) {}\n"}


@dataclass
class Pool:
    """One replica's consumer, and what a test builds with it."""

    bus: Bus
    db: Database
    manager: SandboxManager
    builds: Path  # where the build workspaces go

    async def project(self, *versions_files: dict[str, str]) -> str:
        """A project holding each of ``versions_files`` as a version (1, 2, …)."""
        job = await new_job(self.db, "generate")
        for number, files in enumerate(versions_files, 1):
            await versions.store_version(self.db, job.project_id, f"{job.id}:{number}", files,
                                         model="test")
        return job.project_id

    async def build(self, project_id: str, version: int | None = None,
                    timeout: float = 120.0) -> tuple[str, Events]:
        """Run a build job as the batch worker sends it: (job id, its events to the end)."""
        job = await new_job(self.db, "build", project_id=project_id)
        # The job's first event, as its sender publishes it.
        await self.bus.publish_event(job.id, JobStarted(job_id=job.id), msg_id=f"job:{job.id}")
        message = BuildRequest(job_id=job.id, project_id=project_id, version=version)
        (events,) = await run_jobs(self.bus, self.db, SANDBOX_POOL,
                                   consumer(self.bus, self.db, self.manager, timeout),
                                   [(self.bus.subjects.build, message)])
        seen = [(e.event, e.data) for e in events]
        for name, data in seen:
            assert stream_problem("build", name, data) is None, (name, data)
        return job.id, seen


@pytest_asyncio.fixture
async def pool(bus: Bus, db: Database, managers: MakeManager, root: Path) -> Pool:
    """A replica with a real local provider over the shared node_modules."""
    manager = await managers("solo", pool_size=0)
    return Pool(bus, db, manager, root / "sandboxes" / ".builds")


@pytest_asyncio.fixture
async def fast_pool(bus: Bus, db: Database, root: Path) -> AsyncIterator[Pool]:
    """A replica for jobs that fail before anything is built: no node_modules needed."""
    provider = LocalProvider(root / "sandboxes", NodeModulesCache(root / "deps"),
                             owner_id="solo")
    registry = Registry(bus.js, bus.subjects.sandbox_bucket, "solo", 3.0)
    await registry.open()
    await registry.heartbeat()
    manager = SandboxManager(db, provider, registry)
    try:
        yield Pool(bus, db, manager, root / "sandboxes" / ".builds")
    finally:
        await manager.close()


def _built(events: Events) -> Built:
    name, data = events[-1]
    assert name == "complete", events
    return Built.model_validate(data)


def _processes_in(folder: Path) -> list[int]:
    """Processes of this machine working in ``folder`` (the jailed node) or naming it on
    their command line (bubblewrap)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if cwd.startswith(str(folder)) or str(folder) in cmdline:
            found.append(int(pid))
    return found


async def _until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait for ``check`` to hold; fail naming ``what`` when it does not within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow
async def test_the_latest_version_builds(pool: Pool) -> None:
    project = await pool.project(BROKEN, SITE)
    job_id, events = await pool.build(project)

    assert [name for name, _ in events] == ["job", "status", "complete"], events
    assert events[1][1]["message"] == "building version 2"
    built = _built(events)
    assert (built.ok, built.version) == (True, 2), built.output
    assert built.seconds > 0
    assert "dist/index.html" in built.output and "built in" in built.output
    row = await pool.db.job(job_id)
    assert row is not None and row.status == JobStatus.COMPLETE
    assert read_result(row.result, Built) == built
    # The build ran in a workspace of its own, gone now.
    assert pool.builds.is_dir() and list(pool.builds.iterdir()) == []


@pytest.mark.slow
async def test_a_version_that_does_not_compile_completes_as_not_ok(pool: Pool) -> None:
    project = await pool.project(SITE, BROKEN)
    job_id, events = await pool.build(project, version=2)

    built = _built(events)
    assert (built.ok, built.version) == (False, 2)
    assert "src/components/Hero.jsx" in built.output, built.output
    # Why it failed comes last (a batch shows the last line), without host paths or stack
    # frames of Vite's internals.
    last = built.output.splitlines()[-1]
    assert last.startswith("vite build failed: ") and "Expected" in last, built.output
    assert str(pool.builds) not in built.output
    assert "    at " not in built.output and "[Getter/Setter]" not in built.output
    row = await pool.db.job(job_id)
    assert row is not None and row.status == JobStatus.COMPLETE
    assert list(pool.builds.iterdir()) == []


@pytest.mark.slow
async def test_the_build_runs_jailed(pool: Pool, sqlite_url: str, nats_url: str) -> None:
    # A Tailwind plugin runs during the build: it looks for the service's database and
    # tries NATS, then fails the build with what it found.
    database = sqlite_url.split(":///", 1)[1]
    host, port = url_host_port(nats_url, 4222)
    assert Path(database).is_file()
    probe = (
        "import fs from 'node:fs'\nimport net from 'node:net'\n"
        f"const db = fs.existsSync({database!r}) ? 'visible' : 'hidden'\n"
        "const nats = await new Promise(done => {\n"
        f"  const s = net.connect({port}, {host!r})\n"
        "  s.on('connect', () => { s.destroy(); done('reached') })\n"
        "  s.on('error', () => done('unreachable'))\n"
        "})\n"
        "throw new Error(`probe: database ${db}, NATS ${nats}`)\n"
    )
    project = await pool.project({**SITE, "src/index.css": f'{CSS}@plugin "./probe.js";\n',
                                  "src/probe.js": probe})
    _job_id, events = await pool.build(project)

    built = _built(events)
    assert not built.ok
    assert "probe: database hidden, NATS unreachable" in built.output, built.output


@pytest.mark.slow
async def test_a_build_that_never_ends_is_stopped_at_the_time_limit(pool: Pool) -> None:
    project = await pool.project(HANGS)
    _job_id, events = await pool.build(project, timeout=2)

    built = _built(events)
    assert not built.ok
    assert built.output.splitlines()[-1] == "vite build did not finish within 2 s", built.output
    assert list(pool.builds.iterdir()) == []
    assert _processes_in(pool.builds) == []


@pytest.mark.slow
async def test_a_cancelled_build_is_stopped_and_cleaned_up(pool: Pool) -> None:
    project = await pool.project(HANGS)
    job = await new_job(pool.db, "build", project_id=project)
    jobs = consumer(pool.bus, pool.db, pool.manager)
    async with consuming(pool.bus, pool.db, SANDBOX_POOL, jobs):
        await pool.bus.publish_job(pool.bus.subjects.build,
                                   BuildRequest(job_id=job.id, project_id=project),
                                   msg_id=job.id)
        await _until(lambda: bool(_processes_in(pool.builds)), "the build to start")
        await pool.bus.cancel(job.id)
        await _until(lambda: not _processes_in(pool.builds) and not any(pool.builds.iterdir()),
                     "the build to be stopped and its workspace removed")


@pytest.mark.slow
async def test_a_build_takes_no_lease(pool: Pool) -> None:
    project = await pool.project(SITE)
    _job_id, events = await pool.build(project)

    assert _built(events).ok
    assert await pool.manager.registry.lease(project) is None


async def test_an_unknown_version_fails_with_a_clear_error(fast_pool: Pool) -> None:
    project = await fast_pool.project(SITE)
    job_id, events = await fast_pool.build(project, version=7)

    assert events[-1] == ("error", {"message": f"project {project} has no version 7"})
    row = await fast_pool.db.job(job_id)
    assert row is not None and row.status == JobStatus.ERROR
    assert not fast_pool.builds.exists()


async def test_a_project_without_versions_has_nothing_to_build(fast_pool: Pool) -> None:
    project = await fast_pool.project()
    _job_id, events = await fast_pool.build(project)

    assert events[-1] == ("error",
                          {"message": f"project {project} has no version to build yet"})


def test_sweep_removes_only_workspaces_older_than_any_build(root: Path) -> None:
    builder = Builder(root / "builds", NodeModulesCache(root / "deps"), Jail([root]),
                      timeout=60)
    left, running = root / "builds" / "left", root / "builds" / "running"
    for folder in (left, running):
        folder.mkdir(parents=True)
    # Left by a process that died an hour ago: longer than a build may run.
    an_hour_ago = time.time() - 3600
    os.utime(left, (an_hour_ago, an_hour_ago))

    assert builder.sweep() == ["left"]
    assert sorted(p.name for p in (root / "builds").iterdir()) == ["running"]
