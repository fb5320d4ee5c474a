"""Run every benchmark against the real system on this machine and print one table.

- Dispatch overhead: time to the first ``stream`` event through gateway → NATS → generator →
  NATS → gateway → SSE, against a scripted model with zero delay, minus the same stream read
  directly with plain httpx in one process (the baseline, measured in the same run); the
  generator's model client alone is shown beside it. "Bursts of 50" start 50 jobs at the
  same instant, wait for all, and again; "50 steady clients" each start
  their next job when their last one ends, as people working at once do.
- Prompt to preview-ready with the offline generator: a new project (new sandbox) and later
  prompts in the same project (its sandbox already running).
- The sandbox pool (bench/sandbox.py): warm claim, cold create, edit to HMR, memory.
- Tokens sent to the model for a one-line edit (bench/context.py).
- What a credential costs a request: local mode against an API token and a session cookie
  (bench/auth.py).
- Reading sites: pages/s of the built-in reader against plain httpx, extraction, a Chromium
  screenshot, a clone to preview (bench/scrape.py).
- Batch cloning: sites a minute with one and two batch workers (bench/batches.py).
- Git sync: version → pushed commit, against the same push made directly (bench/gitsync.py).
- Publishing: the offline site from "Publish" to live, against the vite build inside it
  (bench/publish.py).
- Streaming capacity: open SSE streams one gateway holds, and the delay added to each piece of
  concurrent generations, against reading the model directly (bench/streaming.py).
- Bus throughput: no-op jobs through ``Bus.run_consumer`` in 4 worker processes, against plain
  nats-py on the same server (bench/bus.py).
- Soak: 1,000 jobs from 50 clients while workers are killed; lost, duplicated, failed and job
  times against the same load without kills (bench/soak.py; ``python -m bench.soak`` for
  other sizes or a longer run).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.stats import ms, summary, table
from paynto_cli.sse import JobStream
from paynto_common.runtime import port_answers
from tests.system import create_project, running_system

REPLY = '<file path="src/App.jsx">export default function App() { return <h1>Hi</h1> }</file>'
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
# Empty: the SQLite file, as `make run` uses; a postgresql:// URL measures the Postgres path.
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "")


async def first_chunk_client(base_url: str) -> float:
    """Time to the first text delta read straight from the model server with the generator's
    own model client (for an OpenAI-compatible server at a base URL: generator.openai_stream)."""
    from generator.llm import ModelConfig, stream_completion

    cfg = ModelConfig(model="openai/scripted", api_base=base_url, api_key="bench")
    started = time.perf_counter()
    elapsed = float("nan")
    async for _piece in stream_completion(cfg, [{"role": "user", "content": "hi"}]):
        if elapsed != elapsed:
            elapsed = time.perf_counter() - started
    return elapsed


async def first_chunk_raw(client: httpx.AsyncClient) -> float:
    """Time to the first streamed chunk with plain httpx (no model client at all)."""
    body = {"model": "scripted", "stream": True,
            "messages": [{"role": "user", "content": "hi"}]}
    started = time.perf_counter()
    elapsed = float("nan")
    async with client.stream("POST", "/chat/completions", json=body) as resp:
        async for line in resp.aiter_lines():
            if line.startswith("data:") and elapsed != elapsed:
                elapsed = time.perf_counter() - started
    return elapsed


async def first_stream_event(c: httpx.AsyncClient, project: str) -> float:
    started = time.perf_counter()
    elapsed = float("nan")
    body = {"project_id": project, "prompt": "bench"}
    async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream", json=body):
        if ev.event == "stream" and elapsed != elapsed:
            elapsed = time.perf_counter() - started
    return elapsed


async def rounds(conc: int, sample: Callable[[], Awaitable[float]]) -> list[float]:
    """ROUNDS samples at concurrency 1, or enough batches of ``conc`` for ≥ ROUNDS samples."""
    out: list[float] = []
    while len(out) < max(ROUNDS, conc):
        out += await asyncio.gather(*(sample() for _ in range(conc)))
    return out


async def steady(conc: int, sample: Callable[[], Awaitable[float]]) -> list[float]:
    """``conc`` clients, each starting its next job when its last one ends, until 4 × ROUNDS
    samples (at least 4 per client) are in. Each client's first sample is left out: they all
    start at the same instant, which is the burst that :func:`rounds` measures."""
    count = 4 * max(ROUNDS, conc)
    out: list[float] = []

    async def client() -> None:
        await sample()
        while len(out) < count:
            out.append(await sample())

    await asyncio.gather(*(client() for _ in range(conc)))
    return out


@contextmanager
def scripted_server(reply: dict[str, object], replies: Sequence[dict[str, object]] = (),
                    port: int = 0) -> Iterator[str]:
    """The scripted model server as its own process, so it shares no event loop with us:
    ``replies`` answer the first requests in order, then ``reply`` answers every one."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"replies": list(replies), "default": reply}, f)
    proc = subprocess.Popen(
        [sys.executable, "-m", "paynto_common.testing.scripted_llm", "--port", str(port),
         "--script", f.name], stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[1])  # "READY <port>"
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.unlink(f.name)


async def dispatch(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    rows = []
    with scripted_server({"text": REPLY, "chunk_size": 4096}) as base_url:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as raw:
            await first_chunk_client(base_url)  # pay the imports and the first call once
            baselines = {
                conc: (await rounds(conc, lambda: first_chunk_client(base_url)),
                       await rounds(conc, lambda: first_chunk_raw(raw)))
                for conc in (1, 50)
            }
        env = {"LLM_MODEL": "openai/scripted", "LLM_API_BASE": base_url,
               "LLM_API_KEY": "bench"}
        for generators in (1, 2):
            with running_system(data / str(generators), nats_url, extra_env=env,
                                database_url=DATABASE_URL,
                                replicas={"generator": generators}) as system:
                async with httpx.AsyncClient(base_url=system.gateway_url, limits=limits,
                                             timeout=60) as c:
                    project = await create_project(c, "bench")
                    await first_stream_event(c, project)  # warm every hop
                    sample = functools.partial(first_stream_event, c, project)
                    labels = {1: "concurrency 1", 50: "bursts of 50 at once"}
                    runs = [(labels[conc], await rounds(conc, sample), baselines[conc], "")
                            for conc in ((1, 50) if generators == 1 else (50,))]
                    # Against the model read by one client: 50 clients reading it directly,
                    # nonstop, would keep the one server saturated (~50 ms a chunk), a load
                    # the system (~25 jobs/s) never puts on it.
                    runs.append(("50 steady clients", await steady(50, sample), baselines[1],
                                 "; direct: one client"))
                    for label, samples, baseline, note in runs:
                        m = summary(samples)
                        client_, raw_ = (summary(x) for x in baseline)
                        # The baseline is the same stream read straight from the model server
                        # by one process; the overhead includes the model client's own cost in
                        # the generator, shown beside it.
                        rows.append((
                            f"dispatch overhead, {label}, {generators} generator(s)",
                            f"p50 {ms(m['p50'] - raw_['p50'])}, "
                            f"p99 {ms(m['p99'] - raw_['p99'])}",
                            f"first stream event via system p50 {ms(m['p50'])} p99 "
                            f"{ms(m['p99'])}; direct HTTP p50 {ms(raw_['p50'])} p99 "
                            f"{ms(raw_['p99'])}; direct model client p50 {ms(client_['p50'])} "
                            f"(n={m['n']}{note})",
                        ))
    return rows


async def timed_generate(c: httpx.AsyncClient, project: str, prompt: str) -> float:
    started = time.perf_counter()
    body = {"project_id": project, "prompt": prompt}
    async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream", json=body):
        if ev.event == "error":
            raise RuntimeError(ev.data)
    return time.perf_counter() - started


async def preview(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    prompts = ["a landing page for a coffee roastery", "a portfolio for a photographer",
               "a saas analytics startup", "a yoga studio", "a law firm"]
    with running_system(data, nats_url) as system:
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            cold: list[float] = []
            warm: list[float] = []
            for i in range(5):
                project = await create_project(c, f"p{i}")
                cold.append(await timed_generate(c, project, prompts[i]))
                for p in prompts:
                    warm.append(await timed_generate(c, project, p))
    c_, w_ = summary(cold), summary(warm)
    return [
        ("prompt → preview, new sandbox (cold)", f"p50 {c_['p50']:.2f} s",
         f"p99 {c_['p99']:.2f} s; original waits 10 s for Vite alone (ratio "
         f"{10 / c_['p50']:.1f}×)"),
        ("prompt → preview, running sandbox (warm)", f"p50 {w_['p50']:.2f} s",
         f"p99 {w_['p99']:.2f} s (n={w_['n']}); original reloads after a fixed 2 s"),
    ]


async def first_install() -> list[tuple[str, str, str]]:
    """The one-time npm install of a fresh machine (an empty package cache; needs the npm
    registry, so it measures the network as much as us)."""
    from sandbox_pool.node_modules import NodeModulesCache

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        await NodeModulesCache(Path(tmp)).ensure()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        await NodeModulesCache(Path(tmp)).ensure()
        again = time.perf_counter() - started
    return [("template node_modules, empty cache (once per machine)", f"{cold:.2f} s",
             f"then {ms(again)} for every later sandbox (content-addressed cache hit)")]


async def main() -> int:
    nats_url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    if not port_answers("127.0.0.1", int(nats_url.rsplit(":", 1)[1])):
        print("bench: no NATS answers at", nats_url, "- the system will start an embedded one")
    only = sys.argv[1:] or ["dispatch", "preview", "sandbox", "context", "install", "plan",
                            "auth", "scrape", "batch", "git", "publish", "streams", "bus", "soak"]
    rows = [("measure", "result", "detail")]
    with tempfile.TemporaryDirectory() as tmp:
        if "dispatch" in only:
            rows += await dispatch(nats_url, Path(tmp) / "dispatch")
        if "preview" in only:
            rows += await preview(nats_url, Path(tmp) / "preview")
        if "sandbox" in only:
            from bench.sandbox import sandboxes

            rows += await sandboxes(nats_url, Path(tmp) / "sandbox")
        if "context" in only:
            from bench.context import context

            rows += context()
        if "install" in only:
            rows += await first_install()
        if "plan" in only:
            from bench.plan import plan_build

            rows += await plan_build(nats_url, Path(tmp) / "plan")
        if "auth" in only:
            from bench.auth import auth_overhead

            rows += await auth_overhead(nats_url, Path(tmp) / "auth")
        if "scrape" in only:
            from bench.scrape import scraping

            rows += await scraping(nats_url, Path(tmp) / "scrape")
        if "batch" in only:
            from bench.batches import batch_throughput

            rows += await batch_throughput(nats_url, Path(tmp) / "batch")
        if "git" in only:
            from bench.gitsync import git_push_latency

            rows += await git_push_latency(nats_url, Path(tmp) / "git")
        if "publish" in only:
            from bench.publish import publish_time

            rows += await publish_time(nats_url, Path(tmp) / "publish")
        if "streams" in only:
            from bench.streaming import streaming_capacity

            rows += await streaming_capacity(nats_url, Path(tmp) / "streams")
        if "bus" in only:
            from bench.bus import bus_throughput

            rows += await bus_throughput(nats_url)
        if "soak" in only:
            from bench.soak import soak_bench

            rows += await soak_bench(nats_url, Path(tmp) / "soak", database_url=DATABASE_URL)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
