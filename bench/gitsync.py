"""Version → pushed commit: a linked project gets a version (the offline generator, through
the whole system); the time from the generation's ``complete`` to the ``git_sync`` event of
that version on the project's channel. Baseline in the same run: the same push made directly
with ``git_sync.remote.push_files`` (no bus, no job)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import httpx

from bench.stats import ms, summary
from git_sync.remote import Remote, push_files
from git_sync.testing.git_server import serve_git
from paynto_cli.sse import JobStream, parse_sse
from paynto_common.safety.urls import FetchPolicy, parse_allow_hosts
from tests.system import create_project, running_system

VERSIONS = int(os.environ.get("BENCH_GIT_VERSIONS", "15"))
TOKEN = "bench-token"


async def _pushes(c: httpx.AsyncClient, project: str, seen: dict[int, float]) -> None:
    async with c.stream("GET", f"/api/projects/{project}/events", timeout=None) as resp:
        async for ev in parse_sse(resp.aiter_lines()):
            if ev.event == "git_sync":
                seen.setdefault(int(ev.data["version"]), time.perf_counter())


async def git_push_latency(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    with serve_git(data / "remote", names=("site", "direct"), token=TOKEN) as server:
        host = server.base.removeprefix("http://")
        direct: list[float] = []
        head = None
        for n in range(VERSIONS):
            started = time.perf_counter()
            done = await push_files(
                Remote(server.url("direct"), TOKEN), "main",
                {"src/App.jsx": f"export default () => <h1>{n}</h1>\n"}, f"v{n}",
                author="Bench <b@x>", expected=head,
                policy=FetchPolicy(allow_hosts=parse_allow_hosts(host)))
            head = done.commit
            direct.append(time.perf_counter() - started)
        env = {"GIT_ALLOW_HOSTS": "127.0.0.1", "LLM_MODEL": "offline"}
        with running_system(data / "system", nats_url, extra_env=env) as system:
            async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
                project = await create_project(c, "bench git")
                linked = await c.put(f"/api/projects/{project}/git", json={
                    "remote_url": server.url("site"), "token": TOKEN})
                assert linked.status_code == 200, linked.text
                seen: dict[int, float] = {}
                watcher = asyncio.create_task(_pushes(c, project, seen))
                completed: dict[int, float] = {}
                for n in range(1, VERSIONS + 1):
                    body = {"project_id": project, "prompt": f"a bakery, take {n}"}
                    async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream",
                                                     json=body):
                        if ev.event == "complete":
                            completed[ev.data["version"]] = time.perf_counter()
                    # The next version once this one is pushed: one version at a time.
                    async with asyncio.timeout(60):
                        while n not in seen:
                            await asyncio.sleep(0.005)
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
    latencies = [seen[v] - completed[v] for v in sorted(completed) if v in seen]
    s, d = summary(latencies), summary(direct)
    return [("version → pushed commit (git-sync, loopback smart HTTP)",
             f"p50 {ms(s['p50'])}", f"p99 {ms(s['p99'])}, n={len(latencies)}; the same push "
             f"made directly (no bus, no job): p50 {ms(d['p50'])} "
             f"({s['p50'] / d['p50']:.1f}x)")]

