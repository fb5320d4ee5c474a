"""Bus throughput: no-op jobs taken by 4 worker processes through ``Bus.run_consumer`` (what
every service runs: a durable pull consumer, a task, a heartbeat, a span, metrics and an
acknowledged ack per job), against the same jobs taken by 4 processes with plain nats-py
(fetch a batch, ack each) on an identical stream, in the same run.

Each run publishes its jobs first (not timed), then starts the workers, says "go" and times
until the work-queue stream is empty, i.e. every job was acked. The machine's NATS serves
both, each in a namespace of its own.

``python -m bench.bus`` runs it alone; ``make bench BENCH=bus`` runs it in the table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid

import nats

from paynto_common.bus import Bus, ConsumerOptions, Delivery
from paynto_common.messages import Subjects
from paynto_common.messages.jobs import JobMessage

JOBS = int(os.environ.get("BENCH_BUS_JOBS", "10000"))
WORKERS = 4
SERVICE = "scraper"


async def _publish(bus: Bus, count: int) -> None:
    """Publish ``count`` jobs the way the gateway does (``Bus.publish_job``), 200 at a time."""
    for start in range(0, count, 200):
        await asyncio.gather(*(
            bus.publish_job(bus.subjects.scrape,
                            JobMessage(job_id=f"j{n}", project_id="p"), f"j{n}")
            for n in range(start, min(start + 200, count))))


async def _go(nc: nats.NATS, ns: str) -> None:
    """Wait for the run's "go", so every worker starts at once, after they all connected."""
    go = asyncio.Event()

    async def on_go(_msg: object) -> None:
        go.set()

    await nc.subscribe(f"{ns}.bench.go", cb=on_go)
    await nc.publish(f"{ns}.bench.ready", b"")
    await go.wait()


async def bus_worker(url: str, ns: str) -> None:
    bus = await Bus.connect(url, Subjects(ns))
    stop = asyncio.Event()

    async def noop(_delivery: Delivery) -> None:
        return None

    async def on_failure(_data: bytes, _reason: str) -> None:
        return None

    await _go(bus.nc, ns)
    await bus.run_consumer(SERVICE, noop, on_failure, stop,
                           ConsumerOptions(ack_wait=30, concurrency=64))


async def raw_worker(url: str, ns: str) -> None:
    """The floor: pull a batch, ack each message (acknowledged, as the bus does), no more."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    subjects = Subjects(ns)
    psub = await js.pull_subscribe(subjects.service_filter(SERVICE), durable=SERVICE,
                                   stream=subjects.jobs_stream)
    await _go(nc, ns)
    while True:
        try:
            msgs = await psub.fetch(batch=64, timeout=0.5)
        except nats.errors.TimeoutError:
            continue
        await asyncio.gather(*(m.ack_sync(timeout=5) for m in msgs))


def _start_workers(mode: str, url: str, ns: str) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "bench.bus", "--worker", mode,
                              "--nats", url, "--ns", ns]) for _ in range(WORKERS)]


async def _run(url: str, mode: str, count: int) -> float:
    """Jobs a second for ``count`` no-op jobs taken by WORKERS processes in ``mode``."""
    ns = "b" + uuid.uuid4().hex[:10]
    bus = await Bus.connect(url, Subjects(ns))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await _publish(bus, count)
        ready = 0

        async def on_ready(_msg: object) -> None:
            nonlocal ready
            ready += 1

        await bus.nc.subscribe(f"{ns}.bench.ready", cb=on_ready)
        procs = _start_workers(mode, url, ns)
        async with asyncio.timeout(120):
            while ready < WORKERS:
                await asyncio.sleep(0.01)
        started = time.perf_counter()
        await bus.nc.publish(f"{ns}.bench.go", b"")
        async with asyncio.timeout(600):
            while (await bus.js.stream_info(bus.subjects.jobs_stream)).state.messages:
                await asyncio.sleep(0.005)
        return count / (time.perf_counter() - started)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        await bus.drop_streams()
        await bus.close()


async def bus_throughput(nats_url: str, count: int = JOBS) -> list[tuple[str, str, str]]:
    raw = await _run(nats_url, "raw", count)
    ours = await _run(nats_url, "bus", count)
    return [(f"bus throughput, no-op jobs, {WORKERS} worker processes",
             f"{ours:,.0f} jobs/s",
             f"plain nats-py (fetch 64, ack each), same run: {raw:,.0f} jobs/s "
             f"({raw / ours:.2f}x); n={count}")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["bus", "raw"])
    parser.add_argument("--nats", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--ns", default="")
    parser.add_argument("--jobs", type=int, default=JOBS)
    args = parser.parse_args()
    if args.worker == "bus":
        asyncio.run(bus_worker(args.nats, args.ns))
    elif args.worker == "raw":
        asyncio.run(raw_worker(args.nats, args.ns))
    else:
        from bench.stats import table

        rows = asyncio.run(bus_throughput(args.nats, args.jobs))
        print(table([("measure", "result", "detail"), *rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
