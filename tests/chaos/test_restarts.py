"""Chaos: services stopped mid-job, through the real system as processes.

- The gateway is killed (SIGKILL), and once stopped (SIGTERM), while five clients stream
  generations; each client resumes with ``Last-Event-ID`` and ends with every event of its job
  exactly once (checked against the job's events as the stream stores them), one ``complete``,
  the model's text whole, one version.
- The generator, the sandbox pool and the scraper are each sent SIGTERM while they hold a job:
  each drains it (its log says so), exits by itself with status 0, and the job ends
  ``complete`` once, with one version, its model asked once.
- The scraper is killed (SIGKILL) mid-read of a clone: the restarted one reads the site again
  and the clone ends ``complete`` once, with one scrape and one version.

Where a worker can be held mid-job, it is, by a gate the test opens (no clock involved): the
scraper by a site whose home page waits, the sandbox pool by a lock on the versions table (so
the module runs on a Postgres database of its own). The generator is caught mid-stream of a
scripted model that streams for about six seconds.

A job's SSE ids are the sequence numbers of the events stream, which every job shares: a job's
ids rise but are not contiguous, so "none missing" is checked against the stream itself.

Kill and restart drills elsewhere (tests/chaos is the index of the chaos suite):

- tests/chaos/test_poison.py: poison messages on every worker's subjects.
- tests/chaos/outage.py: private NATS, Redis and Postgres servers a drill may stop.
- tests/test_generation_faults.py::test_generator_killed_mid_job_is_redelivered_and_completes_once:
  the generator SIGKILLed mid-stream.
- tests/test_kanban.py::test_killed_workers_lose_no_ticket: the generator and the sandbox pool
  SIGKILLed while building a plan's tickets.
- tests/test_sandbox_replicas.py::test_killing_the_owner_replica_loses_nothing: the
  sandbox-pool replica that owns a project's sandbox SIGKILLed.
- tests/test_batches.py::test_a_killed_batch_worker_is_replaced_and_no_site_is_cloned_twice:
  the batch worker SIGKILLed mid-batch.
- tests/test_git_sync.py::test_each_version_is_pushed_once_in_order_even_with_git_sync_down:
  git-sync SIGKILLed while versions are made.
- tests/test_e2e.py::test_gateway_restart_loses_no_job: the gateway stopped under one client.
- tests/test_conversation.py::test_earlier_turns_survive_a_restart: the generator stopped
  between two turns.
- bench/soak.py: SIGKILLs random workers on the jobs' path for as long as a soak runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from paynto_cli.launcher import System, wait_ready
from paynto_cli.sse import TERMINAL, Event, JobStream
from paynto_common.bus import Bus
from paynto_common.messages import Subjects
from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from paynto_common.testing.serve import serve_app
from scraper.testing.sites import ROASTERY, ServedSite, site_app
from tests.system import (
    assert_stream_of,
    completed,
    create_project,
    running_system,
    scripted_model_env,
    terminal,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(360)]

LLM_PORT = free_port()
# Varied lines: litellm takes a run of identical chunks for a model stuck in a loop.
PAGE = (
    "<explanation>A bakery page, streamed slowly.</explanation>\n"
    '<file path="src/App.jsx">export default function App() {\n'
    "  return (\n    <main className=\"p-8\">\n"
    + "".join(f'      <p className="text-lg">Loaf number {n} comes out of the oven.</p>\n'
              for n in range(8))
    + "    </main>\n  )\n}\n</file>\n"
)
# About six seconds of streaming: long enough that a restart lands mid-stream, well inside a
# worker's drain (ConsumerOptions.drain_timeout, 20 s).
SLOW = Reply(PAGE, chunk_size=12, chunk_delay=0.1)
CLIENTS = 5
# What Bus.run_consumer logs once it stopped taking work with one job still running.
DRAINING = "draining 1 in-flight job(s)"
# A bound for a SIGTERMed worker to exit by itself: its drain (20 s) and its closing.
EXIT_BOUND = 60.0


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str,
           postgres_module_url: str) -> Iterator[System]:
    env = {**scripted_model_env(LLM_PORT), "AUTOFIX_ROUNDS": "0",
           # The loopback sites these tests clone; nothing else internal.
           "SCRAPER_ALLOW_HOSTS": "127.0.0.1", "SCRAPER_SCREENSHOTS": "false"}
    with running_system(tmp_path_factory.mktemp("restarts"), nats_url,
                        database_url=postgres_module_url, extra_env=env) as s:
        yield s


@contextlib.asynccontextmanager
async def versions_held(database_url: str) -> AsyncIterator[Callable[[], None]]:
    """Hold every write of a version until the callable it yields is called (or the block
    ends): a table lock no INSERT passes, so an apply job is caught in flight, after its
    files went to the sandbox and before its version is stored, for as long as a drill needs."""
    release = asyncio.Event()
    locked = asyncio.Event()

    async def hold() -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            async with conn.transaction():
                await conn.execute("LOCK TABLE version IN SHARE MODE")
                locked.set()
                await release.wait()

    holder = asyncio.create_task(hold())
    try:
        async with asyncio.timeout(30):
            await locked.wait()
        yield release.set
    finally:
        release.set()
        await holder


class CountedStream(JobStream):
    """A JobStream that counts its connections: more than one means it resumed."""

    connections = 0

    async def _once(self, method: str, url: str, kwargs: dict[str, Any]
                    ) -> AsyncIterator[Event]:
        self.connections += 1
        async for ev in super()._once(method, url, kwargs):
            yield ev


async def stored_events(system: System, nats_url: str, job_id: str) -> list[tuple[str, str]]:
    """(id, name) of every event of a job as the events stream holds them, up to its end:
    what a client that never lost its connection would have been sent."""
    bus = await Bus.connect(nats_url, Subjects(system.env["PAYNTO_BUS_NAMESPACE"]),
                            name="chaos-restarts")
    found: list[tuple[str, str]] = []
    try:
        async with asyncio.timeout(30):
            async for seq, ev in bus.job_events(job_id):
                found.append((str(seq), ev.event))
                if ev.event in TERMINAL:
                    break
    finally:
        await bus.close()
    return found


async def versions(c: httpx.AsyncClient, project: str) -> list[dict[str, Any]]:
    resp = await c.get(f"/api/projects/{project}/versions")
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def draining_lines(system: System, name: str) -> int:
    return (system.log_dir / f"{name}.log").read_text(errors="replace").count(DRAINING)


async def drain(system: System, name: str, then: Callable[[], None] = lambda: None) -> int:
    """SIGTERM the worker ``name`` while it holds one job; wait until its log says it drains
    that job (it stopped taking work with the job still running), call ``then`` (which lets
    the job go on), and wait for the process to exit by itself. Its exit code; the worker is
    started again in any case, so the module's next drills find the system whole."""
    proc = system.procs[name]
    before = draining_lines(system, name)
    proc.terminate()
    try:
        async with asyncio.timeout(EXIT_BOUND):
            while draining_lines(system, name) == before:
                assert proc.poll() is None, \
                    f"{name} exited ({proc.returncode}) without draining a job"
                await asyncio.sleep(0.05)
        then()
        try:
            return await asyncio.to_thread(proc.wait, EXIT_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} did not exit by itself after SIGTERM")
    finally:
        then()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        system.start_service(name)
        await asyncio.to_thread(wait_ready, system, 120)


# The gateway.


async def follow(c: httpx.AsyncClient, project: str, streaming: asyncio.Event
                 ) -> tuple[CountedStream, list[Event]]:
    stream = CountedStream(c)
    events: list[Event] = []
    body = {"project_id": project, "prompt": "a bakery"}
    async for ev in stream.run("POST", "/api/generate-ai-code-stream", json=body):
        events.append(ev)
        if ev.event == "stream":
            streaming.set()
    return stream, events


@pytest.mark.parametrize("kill", [True, False], ids=["sigkill", "sigterm"])
async def test_clients_streaming_through_a_restarted_gateway_get_every_event_once(
    system: System, nats_url: str, kill: bool,
) -> None:
    async with ScriptedLLM.running(LLM_PORT, default=SLOW) as llm, \
            httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        projects = [await create_project(c, f"client {n}") for n in range(CLIENTS)]
        streaming = [asyncio.Event() for _ in projects]
        runs = [asyncio.create_task(follow(c, p, s))
                for p, s in zip(projects, streaming, strict=True)]
        async with asyncio.timeout(120):
            await asyncio.gather(*(s.wait() for s in streaming))
        # Every client is mid-stream: the gateway goes, and comes back on the same port.
        old = system.procs["gateway"]
        await asyncio.to_thread(system.restart, "gateway", kill)
        results = await asyncio.gather(*runs)
        made = [await versions(c, p) for p in projects]

    # uvicorn raises the signal it caught again once it has shut down, so a gateway that
    # stopped gracefully reads -SIGTERM as well (System.restart waited for it to exit).
    assert old.returncode == -(signal.SIGKILL if kill else signal.SIGTERM)
    assert len(llm.requests) == CLIENTS, "a job's model was asked again"
    for (stream, events), project_versions in zip(results, made, strict=True):
        assert stream.connections >= 2, "this client's stream was never cut"
        assert_stream_of("generate", events)
        ids = [e.id for e in events]
        assert None not in ids and len(set(ids)) == len(ids), ids
        assert stream.job_id is not None
        assert [(e.id, e.event) for e in events] == \
            await stored_events(system, nats_url, stream.job_id)
        assert [e.event for e in terminal(events)] == ["complete"]
        assert not any(e.data.get("reset") for e in events)
        assert "".join(e.data["text"] for e in events if e.event == "stream") == PAGE
        assert len(project_versions) == 1


# SIGTERM drains a worker's job.


# The generator is caught mid-stream (about six seconds of it are left when SIGTERM is sent); the
# sandbox pool mid-apply, its version's write held by a lock until it drains.
@pytest.mark.parametrize(("worker", "mid_job"), [
    ("generator", lambda ev: ev.event == "stream"),
    ("sandbox_pool", lambda ev: ev.event == "file"),
], ids=["generator", "sandbox-pool"])
async def test_sigterm_drains_the_job_a_worker_holds(
    system: System, postgres_module_url: str, worker: str,
    mid_job: Callable[[Event], bool],
) -> None:
    async with ScriptedLLM.running(LLM_PORT, default=SLOW) as llm, \
            httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c, \
            contextlib.AsyncExitStack() as held:
        release: Callable[[], None] = lambda: None  # noqa: E731
        if worker == "sandbox_pool":
            release = await held.enter_async_context(versions_held(postgres_module_url))
        project = await create_project(c, f"drained by {worker}")
        events: list[Event] = []
        stopping: asyncio.Task[int] | None = None
        body = {"project_id": project, "prompt": "a bakery"}
        async with asyncio.timeout(180):
            async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream",
                                             json=body):
                events.append(ev)
                if stopping is None and mid_job(ev):
                    stopping = asyncio.create_task(drain(system, worker, then=release))
        assert stopping is not None, "the job never reached the worker"
        code = await stopping
        job = (await c.get(f"/api/jobs/{events[0].data['job_id']}")).json()
        made = await versions(c, project)

    assert code == 0
    assert [e.event for e in terminal(events)] == ["complete"]
    assert job["status"] == "complete"
    assert len(made) == 1, "one version per turn"
    # Drained, not handed back: the model was asked once and its text came once, and one
    # sandbox was started for the job (a redelivery to the restarted pool would start another).
    assert len(llm.requests) == 1
    starts = [e for e in events if e.event == "status" and (
        e.data.get("message") == "starting a sandbox" or e.data.get("recovered"))]
    assert len(starts) == 1, [e.data for e in starts]
    assert not any(e.data.get("reset") for e in events)
    assert "".join(e.data["text"] for e in events if e.event == "stream") == PAGE


# The scraper, mid-read of a site.


class GatedSite:
    """The fixture site, whose home page is held until the test opens the gate: a read caught
    in flight for as long as a drill needs, with no clock involved."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.home_reads = 0
        self.served = ServedSite(url="")

    def open(self) -> None:
        self.gate.set()

    def app(self) -> Callable[[Scope, Receive, Send], Any]:
        # One page is read; the fixture's robots.txt asks for a delay between pages.
        quick = {"/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /admin/\n")}
        inner = site_app(ROASTERY, self.served, quick)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] == "/":
                self.home_reads += 1
                await self.gate.wait()
            await inner(scope, receive, send)

        return app

    async def reads_of_home(self, count: int) -> None:
        async with asyncio.timeout(60):
            while self.home_reads < count:
                await asyncio.sleep(0.05)


@pytest.fixture
async def site() -> AsyncIterator[GatedSite]:
    gated = GatedSite()
    async with serve_app(gated.app()) as url:
        gated.served.url = url
        try:
            yield gated
        finally:
            gated.open()  # no connection left held at shutdown


async def clone(c: httpx.AsyncClient, site: GatedSite) -> list[Event]:
    body = {"url": f"{site.served.url}/", "screenshot": False}
    events = [ev async for ev in JobStream(c).run("POST", "/api/clone", json=body)]
    assert_stream_of("clone", events)
    return events


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm-drains", "sigkill"])
async def test_the_scraper_stopped_mid_read_leaves_one_clone(
    system: System, site: GatedSite, kill: bool,
) -> None:
    async with ScriptedLLM.running(LLM_PORT, default=Reply(PAGE)) as llm, \
            httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        running = asyncio.create_task(clone(c, site))
        await site.reads_of_home(1)
        if kill:
            old = system.procs["scraper"]
            await asyncio.to_thread(system.restart, "scraper", True)
            site.open()
            code = old.returncode
        else:
            code = await drain(system, "scraper", then=site.open)
        async with asyncio.timeout(180):
            events = await running
        job = (await c.get(f"/api/jobs/{events[0].data['job_id']}")).json()
        made = await versions(c, job["project_id"])

    assert code == (-signal.SIGKILL if kill else 0)
    completed(events)
    assert job["status"] == "complete"
    assert [e.event for e in events].count("scrape") == 1
    # Killed, the job went to the restarted scraper, which read the site again; drained, the
    # read in flight was finished.
    assert site.home_reads == (2 if kill else 1)
    assert len(llm.requests) == 1
    assert len(made) == 1
