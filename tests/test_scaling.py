"""Add a replica and it takes work: two generator processes share one durable consumer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import create_project, generate, running_system, scripted_model_env, terminal

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
GOOD = '<file path="src/App.jsx">export default () => "ok"</file>'


def handled_ok(metrics: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("paynto_jobs_handled_total{") and 'outcome="ok"' in line)


async def test_two_generator_replicas_share_the_jobs(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    env = scripted_model_env(port) | {"CONCURRENCY": "1"}
    # Each replica takes one job at a time and each answer takes a moment, so a job that
    # arrives while one replica is busy can only go to the other.
    slow = Reply(GOOD, chunk_size=8, chunk_delay=0.05)
    with running_system(tmp_path, nats_url, extra_env=env, replicas={"generator": 2}) as system:
        async with ScriptedLLM.running(port, default=slow) as llm, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            projects = [await create_project(c, f"p{i}") for i in range(6)]
            runs = await asyncio.gather(*(generate(c, p, "site") for p in projects))
            counts = [handled_ok((await c.get(
                f"http://127.0.0.1:{system.health_ports[name]}/metrics")).text)
                for name in ("generator", "generator.1")]
    assert all([e.event for e in terminal(run)] == ["complete"] for run in runs)
    assert len(llm.requests) == 6
    assert sum(counts) == 6 and min(counts) >= 1, counts
