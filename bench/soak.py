"""Soak (issue 15, item 2): many generate jobs from many concurrent clients while workers are
killed, counted from the clients' streams and from the database and the event stream.

``python -m bench.soak --jobs 1000 --clients 50 --kill-every 5`` (``--minutes M`` runs for M
minutes instead of a job count; ``make bench BENCH=soak`` runs the defaults).

What runs, and why it is cheap enough for two cores: the real system as processes
(``tests.system.running_system``), the **offline generator** (deterministic, no model server
to run beside it) and **hosted sandboxes on the loopback E2B fake**
(``sandbox_pool.testing.fake_e2b``, driven through the real E2B SDK). Every generate job
ends in an apply job that needs the project's sandbox, and a local sandbox is a Vite dev
server under bubblewrap (hundreds of MB and seconds of CPU each): 200 of them would measure
Node, not Paynto. The fake keeps each sandbox as a folder, so a job still crosses every hop
(gateway → generator → sandbox pool → E2B API → preview check → events → SSE) and a killed
sandbox pool must still find its projects' sandboxes again through E2B.

Each client is a person: a new project every ``TURNS_PER_PROJECT`` prompts, each prompt
waited for before the next (``paynto_cli.sse.JobStream``, which resumes a dropped stream with
``Last-Event-ID``). Meanwhile a killer SIGKILLs a random worker on the jobs' path (generator
or sandbox pool, each restarted at once like a crashed pod) every ``--kill-every`` seconds;
the same supervisor restarts any service that exits on its own and counts it. The database
is a SQLite file as ``make run`` uses, or Postgres with ``--database-url``
(``BENCH_DATABASE_URL``).

At the end, per job:

- **lost**: no terminal event reached its client (the stream could not be resumed, or the
  job never ended), a ``complete`` naming a version the database does not hold, or a job
  row still not terminal in the database once every client is done;
- **duplicated**: more than one version stored for the job (one turn), two terminal
  events for it on the event stream, an event its client was given twice (the same stream
  sequence), or a project whose version numbers repeat;
- **failed**: an explicit ``error`` (or ``cancelled``) event, counted by reason;
- latency: the client's time from its request to the terminal event, p50/p90/p99/max.

Baseline in the same run: the same load with no kills (``--baseline-jobs``, default a fifth of
the jobs), so the kills' cost shows as a ratio of percentiles. ``tests/chaos/test_soak.py``
runs a small version of this in ``make test`` and asserts the counts, never the times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlmodel import col, select

from bench.stats import pct, table
from paynto_cli.launcher import System
from paynto_cli.sse import ApiError, JobStream
from paynto_common.db import Database, Job, JobStatus, Version
from paynto_common.messages import TERMINAL_EVENTS, JobEvent, Subjects
from paynto_common.settings import CommonSettings
from tests.system import create_project, running_system

TURNS_PER_PROJECT = 5
# The workers a generate job passes through; ``--targets`` may add others (gateway too).
KILL_TARGETS = ("generator", "sandbox_pool")
# A job longer than this at its client is given up on and counted lost.
JOB_TIMEOUT_S = 300.0
TOPICS = ("a coffee roastery", "a yoga studio", "a law firm", "a bakery in Leeds",
          "a photographer's portfolio", "a saas analytics startup", "a bike repair shop",
          "a dental clinic", "a jazz festival", "a climbing gym")


@dataclass
class JobRun:
    """One prompt as its client saw it."""

    client: int
    project: str
    turn: int
    job_id: str | None = None
    events: int = 0
    seen_ids: set[str] = field(default_factory=set)
    repeated_ids: int = 0
    end: tuple[str, dict[str, object]] | None = None  # the terminal event
    attempts: int = 1
    seconds: float = 0.0
    problem: str | None = None  # the client's own failure: no job, a stream it lost, a timeout


@dataclass
class Kill:
    at: float
    name: str


@dataclass
class Tally:
    """What a soak found, from the clients and from the system's own records."""

    label: str
    runs: list[JobRun]
    kills: list[Kill]
    wall: float
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    unstarted: list[str] = field(default_factory=list)
    redelivered: int = 0
    crashes: list[Kill] = field(default_factory=list)  # services that exited on their own

    @property
    def latencies(self) -> list[float]:
        return [r.seconds for r in self.runs if r.end and r.end[0] == "complete"]

    def percentiles(self) -> dict[str, float]:
        values = self.latencies
        return {"p50": pct(values, 50), "p90": pct(values, 90), "p99": pct(values, 99),
                "max": max(values, default=float("nan"))}


@contextlib.contextmanager
def soak_system(data: Path, nats_url: str, clients: int, database_url: str = "",
                extra_env: dict[str, str] | None = None) -> Iterator[System]:
    """The real system, its sandboxes on a loopback E2B fake."""
    # The fake's helper lives with the hosted-sandbox test; one copy, imported here.
    from tests.test_hosted_sandbox import fake_e2b_in_thread

    with fake_e2b_in_thread() as fake:
        # Room for every client's project sandbox (past SANDBOX_MAX_ACTIVE the idle ones
        # would be stopped and restored on the next prompt).
        env = {**fake.system_env(), "SANDBOX_MAX_ACTIVE": str(clients + 10)}
        # A restarted service should start as a deployed image's does, from compiled
        # bytecode: where PYTHONDONTWRITEBYTECODE is set (and the venv holds no .pyc), each
        # restart would compile every module again (seconds of CPU) and measure that. The
        # cache goes to this run's folder, not into the checkout.
        env |= {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(data / "pycache")}
        with running_system(data, nats_url, database_url=database_url,
                            extra_env={**env, **(extra_env or {})}) as system:
            yield system


async def run_job(c: httpx.AsyncClient, run: JobRun, prompt: str) -> None:
    """One prompt to its end, recording what the client saw."""
    stream = JobStream(c)
    started = time.perf_counter()
    body = {"project_id": run.project, "prompt": prompt}
    try:
        async with asyncio.timeout(JOB_TIMEOUT_S):
            async for ev in stream.run("POST", "/api/generate-ai-code-stream", json=body):
                run.events += 1
                if ev.id is not None:
                    if ev.id in run.seen_ids:
                        run.repeated_ids += 1
                    run.seen_ids.add(ev.id)
                attempt = ev.data.get("attempt") if ev.event == "status" else None
                if isinstance(attempt, int):
                    run.attempts = max(run.attempts, attempt)
                if ev.event in TERMINAL_EVENTS:
                    run.end = (ev.event, ev.data)
    except (RuntimeError, ApiError, httpx.HTTPError) as exc:
        run.problem = f"{type(exc).__name__}: {exc}"
    except TimeoutError:
        run.problem = f"no terminal event within {JOB_TIMEOUT_S:.0f} s"
    run.job_id = stream.job_id
    run.seconds = time.perf_counter() - started


async def client(n: int, c: httpx.AsyncClient, take: asyncio.Queue[int] | None,
                 deadline: float | None, runs: list[JobRun], prefix: str) -> None:
    """A person: prompts one after another, a new project every few. Takes a ticket per job
    from ``take`` (a job count), or runs until ``deadline`` (a duration)."""
    project = ""
    turn = 0
    while True:
        if take is not None:
            try:
                take.get_nowait()
            except asyncio.QueueEmpty:
                return
        elif deadline is not None and time.monotonic() >= deadline:
            return
        if turn % TURNS_PER_PROJECT == 0:
            try:
                project = await create_project(c, f"{prefix} client {n} #{turn}")
            except (AssertionError, httpx.HTTPError) as exc:
                run = JobRun(n, "", turn, problem=f"could not create a project: {exc}")
                runs.append(run)
                turn += 1
                continue
        run = JobRun(n, project, turn % TURNS_PER_PROJECT)
        runs.append(run)
        topic = TOPICS[(n + turn) % len(TOPICS)]
        await run_job(c, run, f"{topic}, take {turn} (client {n})")
        turn += 1


async def supervise(system: System, every: float | None, targets: Sequence[str],
                    kills: list[Kill], crashes: list[Kill], rng: random.Random,
                    stop: asyncio.Event, max_kills: int | None = None) -> None:
    """A supervisor: start again any service that exited on its own (recorded in
    ``crashes``), and, with ``every``, SIGKILL a random target every ``every`` seconds (at
    most ``max_kills`` times) and start it again at once, like a crashed pod. One task does
    both, so a service being restarted is never taken for one that died."""
    started = time.monotonic()
    gap = every or 0.0
    next_kill = started + gap if gap else None
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
        for name in system.dead():
            crashes.append(Kill(time.monotonic() - started, name))
            system.start_service(name)
        if next_kill is None or time.monotonic() < next_kill or stop.is_set():
            continue
        name = rng.choice(list(targets))
        kills.append(Kill(time.monotonic() - started, name))
        await asyncio.to_thread(system.restart, name, True)
        next_kill = None if max_kills is not None and len(kills) >= max_kills \
            else time.monotonic() + gap


async def soak(system: System, *, jobs: int, clients: int, kill_every: float | None,
               targets: Sequence[str] = KILL_TARGETS, minutes: float | None = None,
               max_kills: int | None = None, seed: int = 0, label: str = "soak") -> Tally:
    """Run the load (with kills when ``kill_every``) and count what became of every job."""
    runs: list[JobRun] = []
    kills: list[Kill] = []
    crashes: list[Kill] = []
    take: asyncio.Queue[int] | None = None
    deadline = None
    if minutes is None:
        take = asyncio.Queue()
        for n in range(jobs):
            take.put_nowait(n)
    else:
        deadline = time.monotonic() + minutes * 60
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60,
                                 limits=limits) as c:
        chaos = asyncio.create_task(supervise(
            system, kill_every, targets, kills, crashes, random.Random(seed), stop, max_kills))
        try:
            await asyncio.gather(*(client(n, c, take, deadline, runs, label)
                                   for n in range(clients)))
        finally:
            stop.set()
            await chaos
    wall = time.perf_counter() - started
    result = await tally(system, label, runs, kills, wall)
    result.crashes = crashes
    return result


def database_of(system: System) -> Database:
    settings = CommonSettings(database_url=system.env.get("DATABASE_URL", ""),
                              data_dir=Path(system.env["PAYNTO_DATA_DIR"]))
    return Database(settings.resolved_database_url())


async def bus_terminals(system: System, job_ids: set[str]) -> Counter[str]:
    """How many terminal events each of ``job_ids`` has on the event stream, read once from
    its start with one ordered consumer."""
    subjects = Subjects(system.env["PAYNTO_BUS_NAMESPACE"])
    found: Counter[str] = Counter()
    nc = await nats.connect(system.env["NATS_URL"])
    try:
        js = nc.jetstream()
        info = await js.stream_info(subjects.events_stream)
        last = info.state.last_seq
        if not last:
            return found
        sub = await js.subscribe(subjects.events_all, stream=subjects.events_stream,
                                 ordered_consumer=True,
                                 config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
        try:
            async for msg in sub.messages:
                event = JobEvent.model_validate_json(msg.data)
                if event.job_id in job_ids and event.event in TERMINAL_EVENTS:
                    found[event.job_id] += 1
                if msg.metadata.sequence.stream >= last:
                    break
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()
    return found


async def tally(system: System, label: str, runs: list[JobRun], kills: list[Kill],
                wall: float) -> Tally:
    out = Tally(label, runs, kills, wall)
    projects = {r.project for r in runs if r.project}
    db = database_of(system)
    try:
        async with db.session() as s:
            versions = (await s.exec(select(Version).where(
                col(Version.project_id).in_(projects)))).all() if projects else []
            rows = (await s.exec(select(Job).where(
                col(Job.project_id).in_(projects)))).all() if projects else []
    finally:
        await db.close()
    by_job: Counter[str] = Counter()
    numbers: Counter[tuple[str, int]] = Counter()
    for v in versions:
        # A version's key is its job's id (with ":fixN" for a fix round's).
        by_job[(v.job_id or "").split(":", 1)[0]] += 1
        numbers[(v.project_id, v.number)] += 1
    held = {(v.project_id, v.number) for v in versions}
    on_bus = await bus_terminals(system, {r.job_id for r in runs if r.job_id})
    for key, count in numbers.items():
        if count > 1:
            out.duplicated.append(f"project {key[0]} has {count} versions numbered {key[1]}")
    known = {r.job_id for r in runs if r.job_id}
    for row in rows:
        if row.status not in JobStatus.TERMINAL:
            out.lost.append(f"job {row.id} is still {row.status} in the database"
                            + ("" if row.id in known else " (no client saw it start)"))
        out.redelivered += row.attempts > 1
    for r in runs:
        name = f"job {r.job_id} (client {r.client}, turn {r.turn})"
        if r.job_id is None:
            out.unstarted.append(f"client {r.client}: {r.problem}")
            continue
        if r.repeated_ids:
            out.duplicated.append(f"{name}: {r.repeated_ids} events came twice to the client")
        if on_bus[r.job_id] > 1:
            out.duplicated.append(f"{name}: {on_bus[r.job_id]} terminal events on the bus")
        if by_job[r.job_id] > 1:
            out.duplicated.append(f"{name}: {by_job[r.job_id]} versions for one turn")
        if r.end is None:
            out.lost.append(f"{name}: {r.problem or 'no terminal event'}")
            continue
        kind, data = r.end
        if kind == "complete":
            version = data.get("version")
            if by_job[r.job_id] == 0 or (r.project, version) not in held:
                out.lost.append(f"{name}: complete with version {version}, not stored")
        else:
            out.failed[f"{kind}: {data.get('message') or data.get('by') or data}"] += 1
    return out


def report_rows(result: Tally, baseline: Tally | None = None) -> list[tuple[str, str, str]]:
    """Rows for ``bench.stats.table``: the counts, then the latencies beside the baseline's."""
    p = result.percentiles()
    done = len(result.latencies)
    kills = Counter(k.name for k in result.kills)
    rows = [(
        f"{result.label}: {len(result.runs)} jobs, {len(result.kills)} kills",
        f"lost {len(result.lost)}, duplicated {len(result.duplicated)}, "
        f"failed {sum(result.failed.values())}",
        f"completed {done}; not started {len(result.unstarted)}; generate jobs redelivered "
        f"{result.redelivered}; kills {dict(kills)}; services exited on their own "
        f"{dict(Counter(k.name for k in result.crashes))}; wall {result.wall:.1f} s "
        f"({len(result.runs) / result.wall:.1f} jobs/s)",
    ), (
        f"{result.label}: job time (request → terminal event)",
        f"p50 {p['p50']:.2f} s, p90 {p['p90']:.2f} s",
        f"p99 {p['p99']:.2f} s, max {p['max']:.2f} s (n={done})",
    )]
    if baseline is not None:
        b = baseline.percentiles()
        rows.append((
            f"{result.label}: cost of the kills (÷ baseline without kills)",
            f"p50 {p['p50'] / b['p50']:.2f}×, p90 {p['p90'] / b['p90']:.2f}×",
            f"p99 {p['p99'] / b['p99']:.2f}×, max {p['max'] / b['max']:.2f}×; throughput "
            f"{(len(result.runs) / result.wall) / (len(baseline.runs) / baseline.wall):.2f}×",
        ))
    return rows


def details(result: Tally, limit: int = 20) -> str:
    """The lost, duplicated, failed and unstarted jobs, by name (the first ``limit`` of each)."""
    lines: list[str] = []
    for title, items in (("lost", result.lost), ("duplicated", result.duplicated),
                         ("not started", result.unstarted)):
        lines += [f"{result.label} {title}: {item}" for item in items[:limit]]
    lines += [f"{result.label} failed ×{n}: {reason}" for reason, n in result.failed.items()]
    return "\n".join(lines)


async def soak_bench(nats_url: str, data: Path, *, jobs: int = 1000, clients: int = 50,
                     kill_every: float = 5.0, minutes: float | None = None,
                     baseline_jobs: int | None = None, targets: Sequence[str] = KILL_TARGETS,
                     database_url: str = "", seed: int = 0) -> list[tuple[str, str, str]]:
    """The baseline (no kills), then the soak, on one system; the table's rows."""
    with soak_system(data, nats_url, clients, database_url) as system:
        base = await soak(system, jobs=baseline_jobs or max(jobs // 5, clients),
                          clients=clients, kill_every=None, label="baseline")
        result = await soak(system, jobs=jobs, clients=clients, kill_every=kill_every,
                            targets=targets, minutes=minutes, seed=seed, label="soak")
    for r in (base, result):
        if text := details(r):
            print(text, file=sys.stderr)
    return report_rows(base) + report_rows(result, base)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--kill-every", type=float, default=5.0, help="seconds between kills")
    parser.add_argument("--minutes", type=float, default=None,
                        help="run this long (as many jobs as fit) instead of --jobs")
    parser.add_argument("--baseline-jobs", type=int, default=None,
                        help="jobs without kills first (default: a fifth of --jobs)")
    parser.add_argument("--targets", default=",".join(KILL_TARGETS),
                        help="services to kill, comma-separated (gateway is allowed)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="empty: a SQLite file, as `make run` uses")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None,
                        help="keep the system's data and logs here (default: a temporary folder)")
    args = parser.parse_args(argv)
    nats_url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(soak_bench(
            nats_url, args.data or Path(tmp), jobs=args.jobs, clients=args.clients,
            kill_every=args.kill_every, minutes=args.minutes, baseline_jobs=args.baseline_jobs,
            targets=[t for t in args.targets.split(",") if t], database_url=args.database_url,
            seed=args.seed))
    print(table([("measure", "result", "detail"), *rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
