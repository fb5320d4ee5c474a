"""Plan-build wall time with 1 and 3 generator replicas, on the same scripted plan.

The plan has a shell ticket and six tickets that need only the shell, so up to six can run
at once. Every ticket's model answer takes ``TICKET_SECONDS`` to start (a model thinking),
the plan itself comes at once. Measured from ``POST /api/plans/{id}/build`` to the run's
``complete``; the baseline is the same plan on one generator that takes one job at a time,
measured in the same run, so the ratios say what replicas (and a replica's own concurrency)
buy when the model is the slow part.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from bench.__main__ import scripted_server
from bench.stats import summary
from paynto_cli.sse import JobStream, parse_sse
from paynto_common.runtime import free_port
from tests.system import create_project, running_system

TICKET_SECONDS = 1.0
RUNS = 3
SECTIONS = ["Story", "Menu", "Hours", "Gallery", "Reviews", "Contact"]
PLAN = {
    "blueprint": {"title": "Bench bakery", "summary": "A bakery's one-page site"},
    "tickets": [
        {"key": "T1", "title": "Page shell", "type": "setup", "depends_on": [],
         "files": ["src/App.jsx"]},
        *({"key": f"T{i + 2}", "title": f"{name} section", "type": "component",
           "depends_on": ["T1"], "files": [f"src/components/{name}.jsx"]}
          for i, name in enumerate(SECTIONS)),
    ],
}
# Every ticket gets the same answer: the bench measures scheduling, not what is written.
TICKET_ANSWER = ('<file path="src/components/Part.jsx">\nexport default function Part() {\n'
                 "  return <section>Fresh bread daily</section>\n}\n</file>")


async def _build_once(c: httpx.AsyncClient) -> float:
    project = await create_project(c)
    stream = JobStream(c)
    plan_id = ""
    async for ev in stream.run("POST", "/api/plan-build",
                               json={"project_id": project, "prompt": "a bakery"}):
        if ev.event == "complete":
            plan_id = ev.data["plan_id"]
    started = time.perf_counter()
    async with c.stream("POST", f"/api/plans/{plan_id}/build") as resp:
        async for ev in parse_sse(resp.aiter_lines()):
            if ev.event == "complete":
                if ev.data["state"] != "done":
                    board = (await c.get(f"/api/plans/{plan_id}")).json()
                    raise RuntimeError(f"the bench plan did not build: {board['tickets']}")
                return time.perf_counter() - started
    raise RuntimeError("the build run ended without complete")


async def _measure(nats_url: str, data: Path, generators: int,
                   concurrency: int) -> list[float]:
    port = free_port()
    env = {"LLM_MODEL": "openai/scripted", "LLM_API_BASE": f"http://127.0.0.1:{port}/v1",
           "LLM_API_KEY": "bench", "CONCURRENCY": str(concurrency), "AUTOFIX_ROUNDS": "0"}
    ticket: dict[str, object] = {"text": TICKET_ANSWER, "delay": TICKET_SECONDS}
    times = []
    with running_system(data, nats_url, extra_env=env,
                        replicas={"generator": generators}) as system:
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=300) as c:
            for _ in range(RUNS):
                # A model server per run, on the same port: the plan first, then tickets.
                with scripted_server(ticket, replies=[{"text": json.dumps(PLAN)}], port=port):
                    times.append(await _build_once(c))
    return times


async def plan_build(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    rows = []
    results: dict[str, list[float]] = {}
    for label, generators, concurrency in (("1 generator, 1 job at a time", 1, 1),
                                           ("3 generators, 1 job at a time each", 3, 1),
                                           ("1 generator, default concurrency", 1, 64)):
        results[label] = await _measure(nats_url, data / f"{generators}x{concurrency}",
                                        generators, concurrency)
    base = summary(results["1 generator, 1 job at a time"])["p50"]
    tickets = len(PLAN["tickets"])
    for label, times in results.items():
        s = summary(times)
        rows.append((f"plan-build, {tickets} tickets ({TICKET_SECONDS:.0f} s each): {label}",
                     f"p50 {s['p50']:.2f} s",
                     f"{base / s['p50']:.2f}× the 1-generator serial run; n={s['n']}"))
    return rows
