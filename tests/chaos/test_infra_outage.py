"""Chaos: the infrastructure goes away under running jobs. Through the real system as
processes, on a NATS, a Redis and a Postgres of its own (``tests/chaos/outage.py``), while
several generations stream:

1. NATS is killed (SIGKILL) and started again on the same port and data (JetStream keeps its
   streams on disk);
2. Redis is stopped for a few seconds and started again: it holds the gateway's rate-limit
   counters and the batch queue (dramatiq), so a batch is in flight too, and jobs are started
   while it is away;
3. Postgres is stopped (fast shutdown: every session ended) for a few seconds and started
   again.

After each: every job ends in exactly one ``complete`` or one explicit ``error`` (no client
waits for ever: a dropped stream resumes with ``Last-Event-ID``), none is lost, each turn
stored one version (never two), every service is still the process it was, and a job started
afterwards completes, with no service restarted.

A delivery whose heartbeats were lost while NATS was away may be delivered again while the
first is still streaming: its late ``stream`` pieces (``attempt`` 1) reach the client after
the ``reset`` of attempt 2. The studio and the CLI drop pieces of a replaced attempt;
``streamed_text`` here reads the stream with the CLI's rule, and the stored version is
one, from one answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from paynto_cli.launcher import System
from paynto_cli.sse import AnswerText, ApiError, Event, JobStream
from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from scraper.testing.sites import ServedSite, serve_site
from tests.chaos.outage import PrivateNats, PrivatePostgres, PrivateRedis
from tests.system import create_project, running_system, scripted_model_env, terminal

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

LLM_PORT = free_port()
ANSWER = (
    "<explanation>A tiny page.</explanation>\n"
    '<file path="src/App.jsx">export default function App() {\n'
    '  return <main className="p-8"><h1>Outage Bakery</h1></main>\n}\n</file>\n'
)
# Streamed in about two seconds: long enough for an outage to land in the middle of it.
SLOW = Reply(ANSWER, chunk_size=4, chunk_delay=0.05)
TURNS = 4


@dataclass
class Servers:
    nats: PrivateNats
    redis: PrivateRedis
    postgres: PrivatePostgres


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("outage-infra")
    with (PrivateNats.running(root / "nats") as nats_, PrivateRedis.running(root / "redis") as
          redis_, PrivatePostgres.running() as postgres):
        yield Servers(nats_, redis_, postgres)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, servers: Servers) -> Iterator[System]:
    env = {
        **scripted_model_env(LLM_PORT),
        "LLM_TIMEOUT_SECONDS": "20",
        "AUTOFIX_ROUNDS": "0",
        # Every job's start is counted in Redis (the limit itself is never reached).
        "RATE_LIMIT_JOBS_PER_MINUTE": "100000",
        # Batches clone the test's own site, with retries and takeovers in seconds.
        "SCRAPER_ALLOW_HOSTS": "127.0.0.1", "SCRAPER_SCREENSHOTS": "false",
        "BATCH_RETRY_MIN_BACKOFF_MS": "200", "BATCH_RETRY_MAX_BACKOFF_MS": "1000",
        "BATCH_HEARTBEAT_TIMEOUT_MS": "3000", "BATCH_MAINTENANCE_CHANCE": "1000000",
        "BATCH_DOMAIN_CONCURRENCY": "3", "BATCH_DOMAIN_PER_MINUTE": "1000",
    }
    with running_system(tmp_path_factory.mktemp("outage"), servers.nats.url,
                        redis_url=servers.redis.url, database_url=servers.postgres.url,
                        extra_env=env) as sys_:
        yield sys_


@pytest.fixture
async def model() -> AsyncIterator[ScriptedLLM]:
    async with ScriptedLLM.running(LLM_PORT, default=SLOW) as llm:
        yield llm


@pytest.fixture
async def site() -> AsyncIterator[ServedSite]:
    async with serve_site() as served:
        yield served


@dataclass
class Turn:
    """One generation a person asked for, followed to its end as the CLI follows it."""

    project_id: str
    events: list[Event] = field(default_factory=list)
    refused: ApiError | None = None
    streaming: asyncio.Event = field(default_factory=asyncio.Event)


async def follow(c: httpx.AsyncClient, turn: Turn, prompt: str) -> None:
    body = {"project_id": turn.project_id, "prompt": prompt}
    try:
        async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream", json=body):
            turn.events.append(ev)
            if ev.event == "stream":
                turn.streaming.set()
    except ApiError as exc:
        turn.refused = exc
    finally:
        turn.streaming.set()


@dataclass
class Outage:
    """How a server goes away, and how it comes back."""

    down: Callable[[], None]
    up: Callable[[], None]


async def run_through(system: System, outage: Outage, prompt: str, *, during: int = 0,
                      seconds: float = 3.0,
                      also: Callable[[], Awaitable[None]] | None = None) -> list[Turn]:
    """Start ``TURNS`` generations; once each streams, take the server ``down``, ask for
    ``during`` more while it is away, bring it ``up`` after ``seconds``, and follow every
    one to its end (a client waiting for ever fails the test at its timeout). ``also``, when
    given, must return too before the outage starts (other work it waits to be under way)."""
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        turns = [Turn(await create_project(c, f"{prompt} {n}")) for n in range(TURNS + during)]
        tasks = [asyncio.create_task(follow(c, t, prompt)) for t in turns[:TURNS]]
        async with asyncio.timeout(60):
            for turn in turns[:TURNS]:
                await turn.streaming.wait()
            if also is not None:
                await also()
        assert [t.events[-1].event for t in turns[:TURNS] if terminal(t.events)] == [], \
            "a job ended before the outage began"
        await asyncio.to_thread(outage.down)
        tasks += [asyncio.create_task(follow(c, t, prompt)) for t in turns[TURNS:]]
        await asyncio.sleep(seconds)  # how long the outage lasts, not a wait for readiness
        await asyncio.to_thread(outage.up)
        async with asyncio.timeout(150):
            await asyncio.gather(*tasks)
    return turns


async def versions(c: httpx.AsyncClient, project_id: str) -> list[int]:
    resp = await c.get(f"/api/projects/{project_id}/versions")
    assert resp.status_code == 200, resp.text
    return sorted(v["number"] for v in resp.json())


async def assert_each_ended_once(system: System, turns: list[Turn]) -> list[str]:
    """Every turn ended with exactly one terminal event, which its job row agrees with, or
    was refused outright; no job of its project is left queued or running; a completed turn
    stored one version, any other none. How each ended, in order."""
    outcomes: list[str] = []
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=30) as c:
        for turn in turns:
            rows = (await c.get(f"/api/projects/{turn.project_id}/jobs")).json()
            assert [r["status"] for r in rows if r["status"] in ("queued", "running")] == [], \
                f"a job was left unfinished: {rows}"
            if turn.refused is not None:
                assert turn.refused.status == 503 and "unavailable" in turn.refused.detail, \
                    turn.refused
                outcomes.append("refused")
                assert await versions(c, turn.project_id) == []
                continue
            ends = terminal(turn.events)
            assert [e.event for e in ends] in (["complete"], ["error"]), turn.events[-3:]
            assert ends[0] is turn.events[-1]
            job_id = turn.events[0].data["job_id"]
            assert [r["id"] for r in rows] == [job_id], "one job for one turn"
            assert rows[0]["status"] == ends[0].event
            if ends[0].event == "error":
                assert ends[0].data["message"]
            expected = [1] if ends[0].event == "complete" else []
            assert await versions(c, turn.project_id) == expected, "one version per turn"
            outcomes.append(ends[0].event)
    return outcomes


def readiness(system: System) -> dict[str, Any]:
    """Every service's ``/readyz`` answer (or why there is none), by service."""
    urls = {"gateway": system.gateway_url + "/readyz"} | {
        name: f"http://127.0.0.1:{port}/readyz" for name, port in system.health_ports.items()
        if port and name in system.procs}
    answers: dict[str, Any] = {}
    for name, url in urls.items():
        try:
            answers[name] = httpx.get(url, timeout=3).json()
        except (httpx.HTTPError, ValueError) as exc:
            answers[name] = repr(exc)
    return answers


async def assert_still_working(system: System, pids: dict[str, int]) -> None:
    """No service died or was replaced; each says it is ready again; a new turn completes."""
    assert system.dead() == []
    assert pids_of(system) == pids, "a service was restarted"
    answers: dict[str, Any] = {}
    try:
        async with asyncio.timeout(60):
            while True:
                answers = await asyncio.to_thread(readiness, system)
                if all(isinstance(a, dict) and a.get("ready") for a in answers.values()):
                    break
                await asyncio.sleep(0.5)
    except TimeoutError:
        pytest.fail(f"not ready again: {answers}")
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        turn = Turn(await create_project(c, "after the outage"))
        await asyncio.wait_for(follow(c, turn, "a bakery after the outage"), 60)
        assert [e.event for e in terminal(turn.events)] == ["complete"]
        assert await versions(c, turn.project_id) == [1]


def streamed_text(events: list[Event]) -> str:
    """The answer as the CLI reads it from the stream (a delivery the server gave up on
    during the outage may still be running, its late pieces interleaved with the new
    attempt's: they are not the answer)."""
    answer = AnswerText()
    for e in events:
        answer.add(e)
    return answer.text


def pids_of(system: System) -> dict[str, int]:
    return {name: p.pid for name, p in system.procs.items()}


async def test_nats_killed_and_started_again_mid_run(system: System, servers: Servers,
                                                     model: ScriptedLLM) -> None:
    """Down longer than a publish waits (5 s): the workers' event publishes fail mid-stream,
    so their jobs are delivered again once it is back (the client told to ``reset``)."""
    pids = pids_of(system)

    turns = await run_through(system, Outage(servers.nats.kill, servers.nats.start),
                              "a bakery in Leeds", during=2, seconds=7.0)  # > 5 s
    outcomes = await assert_each_ended_once(system, turns)
    # Those under way complete (a worker whose publish failed is given the job again); those
    # asked for while the bus was away complete, or are refused (503) with nothing left open.
    assert outcomes[:TURNS] == ["complete"] * TURNS
    assert set(outcomes[TURNS:]) <= {"complete", "refused"}
    for t in turns:
        if not t.refused:
            assert streamed_text(t.events) == ANSWER, [
                (e.id, e.event, e.data.get("attempt"), e.data.get("reset"), e.data.get("text"))
                for e in t.events]
    assert any(e.data.get("reset") for t in turns[:TURNS] for e in t.events), \
        "no job was started over: the outage missed them"
    await assert_still_working(system, pids)


async def batch_state(c: httpx.AsyncClient, batch_id: str) -> dict[str, Any]:
    resp = await c.get(f"/api/batches/{batch_id}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def batch_ended(c: httpx.AsyncClient, batch_id: str) -> dict[str, Any]:
    async with asyncio.timeout(120):
        while (state := await batch_state(c, batch_id))["status"] not in ("done", "cancelled"):
            await asyncio.sleep(0.3)
    return state


async def assert_batch_cloned_once(c: httpx.AsyncClient, state: dict[str, Any]) -> None:
    """Every item of an ended batch is done (one clone job completed, one version), none
    lost or cloned twice."""
    assert state["status"] == "done"
    assert state["counts"] == {"done": state["total"]}, state["items"]
    for item in state["items"]:
        jobs = (await c.get(f"/api/projects/{item['project_id']}/jobs",
                            params={"kinds": "clone"})).json()
        assert [j["status"] for j in jobs].count("complete") == 1, jobs
        assert await versions(c, item["project_id"]) == [1], "one version per clone"


async def test_redis_stopped_for_a_few_seconds(system: System, servers: Servers,
                                               model: ScriptedLLM, site: ServedSite) -> None:
    """Redis holds the rate-limit counters (the gateway lets jobs through while it is away:
    one user on loopback, nobody to limit) and the batch queue: a batch cloning three sites
    goes on, and new jobs and batches are taken once it is back."""
    pids = pids_of(system)
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        urls = [f"{site.url}/?outage={n}" for n in range(3)]
        made = await c.post("/api/batches", json={"urls": urls, "build_check": False})
        assert made.status_code == 202, made.text
        batch_id = made.json()["batch_id"]

        async def cloning() -> None:
            while (await batch_state(c, batch_id))["counts"].get("running", 0) < len(urls):
                await asyncio.sleep(0.1)

        redis_ = servers.redis
        turns = await run_through(system, Outage(redis_.stop, redis_.start),
                                  "a bakery in York", during=2, also=cloning)
        await assert_batch_cloned_once(c, await batch_ended(c, batch_id))
    # Nothing a generation does needs Redis once it started; a start counts in Redis but
    # goes through while it is away.
    assert await assert_each_ended_once(system, turns) == ["complete"] * (TURNS + 2)
    await assert_still_working(system, pids)
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        made = await c.post("/api/batches", json={"urls": [f"{site.url}/?after=1"],
                                                  "build_check": False})
        assert made.status_code == 202, made.text
        await assert_batch_cloned_once(c, await batch_ended(c, made.json()["batch_id"]))


async def test_postgres_stopped_for_a_few_seconds(system: System, servers: Servers,
                                                  model: ScriptedLLM) -> None:
    """A fast shutdown ends every open session: the services' pooled connections are dead
    when it is back (each is checked before use), and writes made meanwhile failed."""
    pids = pids_of(system)
    pg = servers.postgres
    turns = await run_through(system, Outage(pg.stop, pg.start), "a bakery in Hull", during=2)
    outcomes = await assert_each_ended_once(system, turns)
    # Those under way complete (a write that failed is retried on a redelivery); those asked
    # for while the database was away complete, or are refused (503).
    assert outcomes[:TURNS] == ["complete"] * TURNS
    assert set(outcomes[TURNS:]) <= {"complete", "refused"}
    await assert_still_working(system, pids)
