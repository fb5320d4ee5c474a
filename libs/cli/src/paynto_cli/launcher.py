"""``paynto up`` (what ``make run`` calls): the whole system on one machine.

Uses the NATS and Redis answering at their URLs, or starts embedded ones; uses Postgres when
DATABASE_URL says so, else a SQLite file; then starts the five services as separate
processes, waits until the gateway is ready, prints the studio URL, and on Ctrl-C stops all of
them (SIGTERM, then SIGKILL after a grace period) and the embedded servers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from paynto_common.db import Database
from paynto_common.runtime import Infra, ensure_infra, port_answers
from paynto_common.settings import CommonSettings

SERVICES = ("gateway", "generator", "sandbox_pool", "scraper", "git_sync", "batch_worker")
# Where each worker serves /healthz, /readyz and /metrics (the gateway serves its own).
HEALTH_PORTS = {"generator": 9101, "sandbox_pool": 9102, "scraper": 9103, "git_sync": 9104,
                "batch_worker": 9105}


@dataclass
class System:
    """The processes of a running system; ``stop()`` ends them all."""

    infra: Infra
    gateway_url: str
    env: dict[str, str]
    log_dir: Path
    health_ports: dict[str, int] = field(default_factory=lambda: dict(HEALTH_PORTS))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_service(self, name: str) -> None:
        """Start (or start again) one service process, logging to its file. ``name`` is the
        module (``generator``), or ``module.N`` for its N-th extra replica."""
        module = name.split(".", 1)[0]
        env = dict(self.env)
        # Extra replicas take any free port; only the first has the well-known one.
        env["HEALTH_PORT"] = str(self.health_ports.get(name, 0))
        out = open(self.log_dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        out.close()

    def restart(self, name: str, kill: bool = False) -> None:
        """Stop one service (SIGKILL when ``kill``, like a crash) and start it again."""
        proc = self.procs[name]
        if kill:
            proc.kill()
        else:
            proc.terminate()
        proc.wait(timeout=30)
        self.start_service(name)

    def stop(self, grace: float = 15.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.infra.stop()

    def dead(self) -> list[str]:
        return [name for name, p in self.procs.items() if p.poll() is not None]


def service_env(infra: Infra, settings: CommonSettings, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "NATS_URL": infra.nats_url,
        "REDIS_URL": infra.redis_url,
        "PAYNTO_DATA_DIR": str(settings.data_dir.resolve()),
        "DATABASE_URL": settings.database_url,
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def start_system(
    settings: CommonSettings, port: int = 8000, extra_env: dict[str, str] | None = None,
    log_dir: Path | None = None, services: tuple[str, ...] = SERVICES,
    health_ports: dict[str, int] | None = None, replicas: dict[str, int] | None = None,
) -> System:
    """Start infrastructure and services; returns once the processes are launched."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    infra = ensure_infra(settings.nats_url, settings.redis_url, settings.data_dir)
    # Migrate once here, so the services find the schema ready (each would wait its turn on
    # the migration lock otherwise). In a thread of its own, because a caller (a test, a
    # benchmark) may already run an event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _migrate(settings)).result()
    env = service_env(infra, settings, {"GATEWAY_PORT": str(port), **(extra_env or {})})
    logs = log_dir or settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    system = System(infra, f"http://127.0.0.1:{port}", env, logs,
                    health_ports=dict(health_ports or HEALTH_PORTS))
    for name in services:
        system.start_service(name)
        for extra in range(1, (replicas or {}).get(name, 1)):
            system.start_service(f"{name}.{extra}")
    return system


async def _migrate(settings: CommonSettings) -> None:
    db = Database(settings.resolved_database_url())
    try:
        await db.migrate()
    finally:
        await db.close()


def wait_ready(system: System, timeout: float = 180.0) -> None:
    """Poll every service's /readyz (the gateway's, and each worker's known health port) until
    all answer 200, or a service dies. The sandbox pool answers only once its shared
    node_modules are ready, so "ready" means a first prompt will not wait on npm."""
    urls = [system.gateway_url + "/readyz"] + [
        f"http://127.0.0.1:{port}/readyz"
        for name, port in system.health_ports.items() if port and name in system.procs
    ]
    deadline = time.monotonic() + timeout
    while urls and time.monotonic() < deadline:
        if dead := system.dead():
            raise RuntimeError(f"service(s) exited during start: {', '.join(dead)}")
        try:
            if httpx.get(urls[0], timeout=1).status_code == 200:
                urls.pop(0)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    if urls:
        raise TimeoutError(f"not ready within {timeout:.0f}s: {urls[0]}")


def up(port: int, health_port_base: int = 9101, replicas: dict[str, int] | None = None) -> int:
    settings = CommonSettings()
    if port_answers("127.0.0.1", port):
        print(f"port {port} is already in use; set GATEWAY_PORT or stop what holds it",
              file=sys.stderr)
        return 1
    # Base 0 lets every worker take any free port (tests; several systems on one machine).
    ports = {name: (health_port_base + i if health_port_base else 0)
             for i, name in enumerate(HEALTH_PORTS)}
    # Each service keeps its spans for `paynto traces` (unless PAYNTO_TRACES_FILE says not).
    traces = settings.traces_file or "traces_file" not in settings.model_fields_set
    system = start_system(settings, port=port, health_ports=ports, replicas=replicas,
                          extra_env={"PAYNTO_TRACES_FILE": "true"} if traces else {})
    stopping = False

    def on_signal(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        wait_ready(system)
        started = f" (started embedded: {', '.join(system.infra.started)})" \
            if system.infra.started else ""
        print(f"Paynto is running{started}.\n\n  Studio: {system.gateway_url}\n\n"
              f"Logs in {settings.data_dir / 'logs'}"
              f"{'; traces: `paynto traces [JOB_ID]`' if traces else ''}. "
              "Press Ctrl-C to stop.", flush=True)
        while not stopping:
            if dead := system.dead():
                print(f"service(s) stopped unexpectedly: {', '.join(dead)}; see the logs",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
    except (RuntimeError, TimeoutError) as exc:
        print(f"could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping…", flush=True)
        system.stop()
    return 0
