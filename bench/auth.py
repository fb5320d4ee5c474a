"""What signing in costs a request: the gateway as its own process (as `make run` starts it),
one client and then 50 at once reading a project, with no credential (``AUTH_MODE=local``:
the baseline, measured in the same run), an API token and a session cookie (``required``).

Both credentials are looked up in the database on every request (no cache, so a revoked
one stops at once); the figure says what that costs.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from bench.stats import ms, summary
from paynto_common import accounts
from paynto_common.db import LOCAL_USER_ID, Database, Project
from paynto_common.runtime import free_port, wait_for_port
from paynto_common.settings import async_database_url

CLIENTS = 50
REQUESTS = int(os.environ.get("BENCH_AUTH_REQUESTS", "3000"))
# Batches each credential takes in turn.
ROUNDS = 5


async def _seed(data: Path) -> dict[str, tuple[dict[str, str], dict[str, str], str]]:
    """Users, their credentials and a project each; per mode: (headers, cookies, project)."""
    db = Database(async_database_url("", data))
    await db.migrate()
    user = await accounts.create_user(db, "bench")
    token = (await accounts.issue_token(db, user.id)).token
    session = await accounts.start_session(db, user.id, timedelta(days=1))
    async with db.session() as s:
        mine = Project(name="bench", owner_id=user.id)
        local = Project(name="bench", owner_id=LOCAL_USER_ID)
        s.add_all([mine, local])
        await s.commit()
        ids = (mine.id, local.id)
    await db.close()
    return {
        "none (local mode)": ({}, {}, ids[1]),
        "API token": ({"Authorization": f"Bearer {token}"}, {}, ids[0]),
        "session cookie": ({}, {"paynto_session": session}, ids[0]),
    }


def _gateway(data: Path, nats_url: str, port: int, mode: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAYNTO_DATA_DIR": str(data), "DATABASE_URL": "", "NATS_URL": nats_url,
           "GATEWAY_PORT": str(port), "AUTH_MODE": mode, "SESSION_SECRET": "bench" * 8,
           "SECRETS_KEY": Fernet.generate_key().decode(), "RATE_LIMIT_JOBS_PER_MINUTE": "0",
           "LOG_LEVEL": "WARNING", "PAYNTO_BUS_NAMESPACE": f"benchauth{port}"}
    return subprocess.Popen([sys.executable, "-m", "gateway"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _load(url: str, headers: dict[str, str], cookies: dict[str, str],
                project: str, clients: int, requests: int) -> tuple[list[float], float]:
    """``requests`` reads of the project by ``clients`` at once: each one's latency, and the
    seconds the whole batch took."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    remaining = requests
    async with httpx.AsyncClient(base_url=url, headers=headers, cookies=cookies,
                                 limits=limits, timeout=30) as c:
        warm = await c.get(f"/api/projects/{project}")
        assert warm.status_code == 200, warm.text

        async def client() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                answer = await c.get(f"/api/projects/{project}")
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - started


async def auth_overhead(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    """Both gateways (local mode, required mode) run at once and the three credentials take
    turns in small batches, so the machine's drift spreads over all of them alike."""
    data.mkdir(parents=True, exist_ok=True)
    modes = await _seed(data)
    ports = {"local": free_port(), "required": free_port()}
    processes = [_gateway(data, nats_url, port, mode) for mode, port in ports.items()]
    latencies: dict[tuple[int, str], list[float]] = {}
    busy: dict[tuple[int, str], float] = {}
    try:
        for process, port in zip(processes, ports.values(), strict=True):
            wait_for_port("127.0.0.1", port, 60, process)
        for _round in range(ROUNDS):
            for clients, requests in ((1, REQUESTS // (6 * ROUNDS)), (CLIENTS, REQUESTS // ROUNDS)):
                for label, (headers, cookies, project) in modes.items():
                    mode = "local" if not headers and not cookies else "required"
                    batch, seconds = await _load(f"http://127.0.0.1:{ports[mode]}", headers,
                                                 cookies, project, clients, requests)
                    latencies.setdefault((clients, label), []).extend(batch)
                    busy[clients, label] = busy.get((clients, label), 0.0) + seconds
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
    rows = []
    for (clients, label), values in latencies.items():
        got, base = summary(values), summary(latencies[clients, "none (local mode)"])
        ratio = "" if label.startswith("none") else (
            f", {got['p50'] / base['p50']:.2f}x the p50 without, "
            f"{ms(got['mean'] - base['mean'])} more a request on average")
        rows.append((f"GET a project, {clients} client(s), credential: {label}",
                     f"p50 {ms(got['p50'])}, p99 {ms(got['p99'])}",
                     f"{got['n']} requests, {len(values) / busy[clients, label]:.0f}/s{ratio}"))
    return sorted(rows, key=lambda row: int(row[0].split(", ")[1].split()[0]))
