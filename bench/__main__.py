"""Run every benchmark against the real system on this machine and print one table.

- Dispatch overhead: time to the first ``stream`` event through gateway → NATS → generator →
  NATS → gateway → SSE, against a scripted model with zero delay, minus the same stream read
  directly through litellm in one process (the baseline, measured in the same run).
- Prompt to preview-ready with the offline generator: a new project (new sandbox) and later
  prompts in the same project (its sandbox already running).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.stats import ms, summary, table
from paynto_cli.sse import JobStream
from paynto_common.runtime import port_answers
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import create_project, running_system

REPLY = '<file path="src/App.jsx">export default function App() { return <h1>Hi</h1> }</file>'
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))


async def first_chunk_direct(base_url: str) -> float:
    from generator.llm import ModelConfig, stream_completion

    cfg = ModelConfig(model="openai/scripted", api_base=base_url, api_key="bench")
    started = time.perf_counter()
    async for _piece in stream_completion(cfg, [{"role": "user", "content": "hi"}]):
        elapsed = time.perf_counter() - started
        break
    return elapsed


async def first_stream_event(c: httpx.AsyncClient, project: str) -> float:
    started = time.perf_counter()
    elapsed = float("nan")
    body = {"project_id": project, "prompt": "bench"}
    async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream", json=body):
        if ev.event == "stream" and elapsed != elapsed:
            elapsed = time.perf_counter() - started
    return elapsed


async def dispatch(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    rows = []
    async with ScriptedLLM.running(default=Reply(REPLY, chunk_size=4096)) as llm:
        # Warm litellm's import and connection pool before timing the baseline.
        await first_chunk_direct(llm.base_url)
        base = [await first_chunk_direct(llm.base_url) for _ in range(ROUNDS)]
        env = {"LLM_MODEL": "openai/scripted", "LLM_API_BASE": llm.base_url,
               "LLM_API_KEY": "bench"}
        with running_system(data, nats_url, extra_env=env) as system:
            limits = httpx.Limits(max_connections=200)
            async with httpx.AsyncClient(base_url=system.gateway_url, limits=limits,
                                         timeout=60) as c:
                project = await create_project(c, "bench")
                await first_stream_event(c, project)  # warm every hop
                for conc in (1, 50):
                    samples: list[float] = []
                    for _ in range(max(1, ROUNDS // conc) if conc > 1 else ROUNDS):
                        samples += await asyncio.gather(
                            *(first_stream_event(c, project) for _ in range(conc)))
                    b, m = summary(base), summary(samples)
                    over50, over99 = m["p50"] - b["p50"], m["p99"] - b["p99"]
                    rows.append((f"dispatch overhead, concurrency {conc}",
                                 f"p50 {ms(over50)}, p99 {ms(over99)}",
                                 f"through system p50 {ms(m['p50'])} / direct p50 "
                                 f"{ms(b['p50'])} (n={m['n']})"))
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


async def main() -> int:
    nats_url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    if not port_answers("127.0.0.1", int(nats_url.rsplit(":", 1)[1])):
        print("bench: no NATS answers at", nats_url, "- the system will start an embedded one")
    rows = [("measure", "result", "detail")]
    with tempfile.TemporaryDirectory() as tmp:
        rows += await dispatch(nats_url, Path(tmp) / "dispatch")
        rows += await preview(nats_url, Path(tmp) / "preview")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
