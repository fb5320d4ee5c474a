"""Sandbox pool figures, on real local sandboxes, real NATS KV and SQLite.

- Warm claim: placing a project and handing it a warm sandbox (lease in KV, registry update,
  database row), against creating and starting a sandbox cold, measured in the same run.
- Cold create to preview-ready, with the package cache warm.
- Edit to change visible through HMR: from the write to the HMR ``update`` message, and to the
  new module served, against the requests a full iframe reload makes (the page, main.jsx and
  App.jsx), measured in the same run; the original reloads after a fixed 2 s.
- Memory per idle sandbox (its cgroup's usage) and how many would fit in this machine's RAM.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import unix_connect

from bench.stats import ms, summary
from paynto_common.bus import Bus
from paynto_common.db import Database, Project
from paynto_common.messages import Subjects
from sandbox_pool.local import LocalProvider, LocalSandbox
from sandbox_pool.manager import PoolOptions, SandboxManager
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.provider import compile_errors, render_error
from sandbox_pool.registry import Registry

ROUNDS = int(os.environ.get("BENCH_SANDBOX_ROUNDS", "20"))
# A small app with a list, changed a little each round.
APP = ("const DISHES = ['Soup', 'Bread', 'Tart']\n"
       "export default function App() {{\n"
       "  return <main><h1>Menu {n}</h1><ul>{{DISHES.map((d) => <li key={{d}}>{{d}}</li>)}}"
       "</ul></main>\n}}\n")
DEPS = Path(os.environ.get("PAYNTO_TEST_DEPS", Path(__file__).resolve().parents[1] / ".data"
                           / "test-deps"))


async def _project(db: Database) -> str:
    async with db.session() as s:
        project = Project(name="bench")
        s.add(project)
        await s.commit()
        return project.id


async def _hmr_round(sandbox: LocalSandbox, client: httpx.AsyncClient,
                     n: int) -> tuple[float, float]:
    """Seconds from a write to the HMR update, and to the new module served."""
    uri = f"ws://localhost{sandbox.base_path}"
    async with unix_connect(str(sandbox.socket_path), uri=uri, subprotocols=["vite-hmr"]) as ws:
        async with asyncio.timeout(10):
            while json.loads(await ws.recv()).get("type") != "connected":
                pass
        marker = f"edit-{n}-{secrets.token_hex(3)}"
        started = time.perf_counter()
        await sandbox.write_files({"src/App.jsx": "export default function App() "
                                                  f"{{ return <h1>{marker}</h1> }}\n"})
        async with asyncio.timeout(10):
            while (message := json.loads(await ws.recv())).get("type") != "update":
                if message.get("type") == "error":
                    raise RuntimeError("Vite reported an error instead of an update")
        updated = time.perf_counter() - started
        # Fetched as the browser's HMR client does, stamped with the update's time.
        stamp = message["updates"][0]["timestamp"]
        body = (await client.get(f"{sandbox.base_path}src/App.jsx?t={stamp}")).text
        served = time.perf_counter() - started
    assert marker in body
    return updated, served


def _client(sandbox: LocalSandbox) -> httpx.AsyncClient:
    """A client for one round, like a page load's (no TLS on a Unix socket: no SSL context,
    which would cost more than the requests measured)."""
    transport = httpx.AsyncHTTPTransport(uds=str(sandbox.socket_path), verify=False)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=30)


async def _full_reload(sandbox: LocalSandbox, client: httpx.AsyncClient) -> float:
    """What an iframe reload asks for at least: the page and the app's two modules."""
    started = time.perf_counter()
    for rel in ("", "src/main.jsx", "src/App.jsx"):
        (await client.get(sandbox.base_path + rel)).raise_for_status()
    return time.perf_counter() - started


def _mem_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


async def _render_checks(provider: LocalProvider,
                         site: LocalSandbox) -> list[tuple[str, str, str]]:
    """What the fix loop's checks cost after a change: compiling the module (the baseline,
    done for every apply) and rendering the app once without a browser (its first call also
    starts the renderer's worker and its Vite)."""
    before = provider.jail.cgroups.memory_used(site.id)
    started = time.perf_counter()
    assert await render_error(site) is None
    first = time.perf_counter() - started
    after = provider.jail.cgroups.memory_used(site.id)
    renders, compiles = [], []
    for n in range(ROUNDS):
        await site.write_files({"src/App.jsx": APP.format(n=n)})
        started = time.perf_counter()
        assert await compile_errors(site, ["src/App.jsx"]) == []
        compiles.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert await render_error(site) is None
        renders.append(time.perf_counter() - started)
    r, c = summary(renders), summary(compiles)
    memory = (f"; the renderer adds {(after - before) / 2**20:.0f} MB"
              if before and after else "")
    return [("render check after a change (fix loop only)", f"p50 {ms(r['p50'])}",
             f"p99 {ms(r['p99'])}; the first one {first:.2f} s (starts the renderer){memory}; "
             f"compile check alone p50 {ms(c['p50'])}")]


async def sandboxes(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    data.mkdir(parents=True, exist_ok=True)
    bus = await Bus.connect(nats_url, Subjects("b" + uuid.uuid4().hex[:8]))
    db = Database(f"sqlite+aiosqlite:///{data / 'bench.db'}")
    await db.migrate()
    node_modules = NodeModulesCache(DEPS)
    await node_modules.ensure()
    provider = LocalProvider(data / "sb", node_modules)
    registry = Registry(bus.js, bus.subjects.sandbox_bucket, "bench", 30.0)
    await registry.open()
    await registry.heartbeat()
    manager = SandboxManager(db, provider, registry, PoolOptions(pool_size=1, max_active=100))
    rows: list[tuple[str, str, str]] = []
    try:
        cold: list[float] = []
        for _ in range(5):
            started = time.perf_counter()
            sandbox = await manager._new_sandbox({})
            cold.append(time.perf_counter() - started)
            await sandbox.destroy()
        claim: list[float] = []
        held: list[str] = []
        for _ in range(ROUNDS):
            await manager.refill_once()  # not timed: the pool refills in the background
            project = await _project(db)
            started = time.perf_counter()
            await manager.place(project)
            _, came_warm = await manager.obtain(project, {}, None)
            claim.append(time.perf_counter() - started)
            assert came_warm
            held.append(project)
            if len(held) > 3:
                await manager.stop(held.pop(0))
        c, w = summary(cold), summary(claim)
        rows.append(("sandbox: warm claim (lease + row)", f"p50 {ms(w['p50'])}",
                     f"p99 {ms(w['p99'])} (n={w['n']}); cold create+start p50 "
                     f"{c['p50']:.2f} s: {c['p50'] / w['p50']:.0f}× slower"))
        rows.append(("sandbox: cold create → preview-ready", f"p50 {c['p50']:.2f} s",
                     f"p99 {c['p99']:.2f} s (n={c['n']}), package cache warm; aim ≤ 3 s"))

        site = await provider.create(f"hmr{secrets.token_hex(4)}", "/preview/hmr/")
        await site.start()
        updates, served, reloads = [], [], []
        async with _client(site) as client:
            await _full_reload(site, client)  # the module graph knows the app once served
        for n in range(ROUNDS):
            # Edits a person makes are far apart; a file replaced again within ~100 ms can slip
            # past Vite's watcher and is announced by the sandbox's settle step 200 ms later,
            # which this would then measure instead.
            await asyncio.sleep(0.15)
            async with _client(site) as client:
                update, module = await _hmr_round(site, client, n)
                updates.append(update)
                served.append(module)
        # The baseline after the edits: Vite sends an update only for a module a client has
        # fetched since its last change, as a browser does right after each update.
        for _ in range(ROUNDS):
            async with _client(site) as client:
                reloads.append(await _full_reload(site, client))
        rows += await _render_checks(provider, site)
        await site.destroy()
        u, s, r = summary(updates), summary(served), summary(reloads)
        rows.append(("edit → HMR update (write to message)", f"p50 {ms(u['p50'])}",
                     f"p99 {ms(u['p99'])}; new module served p50 {ms(s['p50'])}; a full "
                     f"reload's requests alone p50 {ms(r['p50'])}; original: fixed 2 s "
                     f"({2 / s['p50']:.0f}×)"))

        await asyncio.sleep(2)  # let the servers settle after their first requests
        usage: list[Any] = [provider.jail.cgroups.memory_used(live.sandbox_id)
                            for live in manager._live.values()]
        sizes = [u for u in usage if u]
        if sizes:
            per = sum(sizes) / len(sizes)
            fit = int(_mem_total() * 0.8 // per)
            rows.append(("memory per idle sandbox (cgroup)", f"{per / 2**20:.0f} MB",
                         f"n={len(sizes)}; ~{fit} fit in 80% of this machine's "
                         f"{_mem_total() / 2**30:.0f} GiB"))
        else:
            rows.append(("memory per idle sandbox", "n/a",
                         f"no memory cgroup here: {provider.jail.cgroups.why_not}"))
    finally:
        await manager.close()
        await db.close()
        await bus.drop_streams()
        await bus.close()
    return rows
