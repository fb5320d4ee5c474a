"""Batch cloning throughput: sites a minute through the whole system (offline clone writer,
one page a site, no screenshots), with one batch-worker process and then two, each working
``BATCH_CONCURRENCY`` items at once; the one-worker run is the baseline of the ratio. Then
the same batch with the build check (``vite build`` of every copy) on one worker.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
from starlette.responses import PlainTextResponse

from scraper.testing.sites import serve_site
from tests.system import running_system

SITES = int(os.environ.get("BENCH_BATCH_SITES", "24"))
QUICK = {"/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /admin/\n")}


async def _one_batch(gateway: str, urls: list[str], build_check: bool) -> float:
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as c:
        started = time.perf_counter()
        made = await c.post("/api/batches", json={"urls": urls, "build_check": build_check})
        assert made.status_code == 202, made.text
        batch_id = made.json()["batch_id"]
        while True:
            state = (await c.get(f"/api/batches/{batch_id}")).json()
            if state["status"] in ("done", "cancelled"):
                break
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
    assert state["counts"] == {"done": len(urls)}, state["counts"]
    return elapsed


async def _run(nats_url: str, data: Path, workers: int, site_url: str, tag: str,
               build_check: bool = False) -> float:
    env = {"SCRAPER_ALLOW_HOSTS": "127.0.0.1", "SCRAPER_SCREENSHOTS": "false",
           "LLM_MODEL": "offline", "BATCH_DOMAIN_CONCURRENCY": "64",
           "BATCH_DOMAIN_PER_MINUTE": "100000"}
    with running_system(data, nats_url, extra_env=env,
                        replicas={"batch_worker": workers}) as system:
        # One warm-up site, so node_modules and the template are cached for every run.
        await _one_batch(system.gateway_url, [f"{site_url}/?warm={tag}"], build_check)
        urls = [f"{site_url}/?{tag}={n}" for n in range(SITES)]
        return await _one_batch(system.gateway_url, urls, build_check)


async def batch_throughput(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    async with serve_site(overrides=QUICK) as site:
        one = await _run(nats_url, data / "one", 1, site.url, "one")
        two = await _run(nats_url, data / "two", 2, site.url, "two")
        built = await _run(nats_url, data / "built", 1, site.url, "built", build_check=True)
    per_min = [SITES / t * 60 for t in (one, two, built)]
    return [
        (f"batch of {SITES} sites, 1 batch worker (offline writer, no build check)",
         f"{per_min[0]:.0f} sites/min", f"{one:.1f} s for the batch"),
        ("… 2 batch workers", f"{per_min[1]:.0f} sites/min",
         f"{two:.1f} s ({per_min[1] / per_min[0]:.2f}× one worker; the generator and sandbox "
         "pool share the same 2 cores)"),
        ("… 1 batch worker, each copy built with vite build", f"{per_min[2]:.0f} sites/min",
         f"{built:.1f} s"),
    ]
