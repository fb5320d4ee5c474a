"""Start the real system (separate service processes) for cross-service tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import nats

from paynto_cli.launcher import HEALTH_PORTS, System, start_system, wait_ready
from paynto_cli.sse import Event, JobStream
from paynto_common.bus import Bus
from paynto_common.messages import Subjects, stream_problem
from paynto_common.runtime import free_port, url_host_port
from paynto_common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[1]
# node_modules are shared by every test run on this machine: npm install only once.
DEPS_CACHE = Path(os.environ.get("PAYNTO_TEST_DEPS", ROOT / ".data" / "test-deps"))


def free_ports(count: int, taken: set[int]) -> list[int]:
    """``count`` distinct free loopback ports, none of them in ``taken``."""
    found: list[int] = []
    while len(found) < count:
        candidate = free_port()
        if candidate not in taken and candidate not in found:
            found.append(candidate)
    return found


@contextmanager
def running_system(
    data_dir: Path, nats_url: str, redis_url: str = "redis://127.0.0.1:6379/0",
    database_url: str = "", extra_env: dict[str, str] | None = None,
    replicas: dict[str, int] | None = None, port: int | None = None,
) -> Iterator[System]:
    namespace = "e" + uuid.uuid4().hex[:10]
    settings = CommonSettings(
        nats_url=nats_url, redis_url=redis_url, database_url=database_url, data_dir=data_dir,
        bus_namespace=namespace,
    )
    env = {
        "PAYNTO_BUS_NAMESPACE": namespace,
        "DEPS_CACHE_DIR": str(DEPS_CACHE),
        "LLM_MODEL": "offline",
        "ACK_WAIT_SECONDS": "3",
        "LOG_LEVEL": "INFO",
        # The suite and the benchmarks start far more jobs a minute than a person would.
        "RATE_LIMIT_JOBS_PER_MINUTE": "0",
        # Most tests want every sandbox made for them (a warm pool is tested on its own), and a
        # replica that dies noticed within seconds.
        "SANDBOX_POOL_SIZE": "0",
        "SANDBOX_LEASE_TTL": "3",
        **(extra_env or {}),
    }
    # Free ports none of which is another's, nor one a URL names for a server not started
    # yet (an embedded NATS or Redis on a port the caller picked: free now, taken soon).
    taken = {url_host_port(nats_url, 4222)[1], url_host_port(redis_url, 6379)[1]}
    names = [*HEALTH_PORTS, *(f"{name}.{i}" for name, count in (replicas or {}).items()
                              for i in range(1, count))]
    ports = dict(zip(names, free_ports(len(names), taken), strict=True))
    gateway_port = port or free_ports(1, taken | set(ports.values()))[0]
    system = start_system(settings, port=gateway_port, extra_env=env, health_ports=ports,
                          replicas=replicas)
    try:
        wait_ready(system, timeout=240)
        yield system
    finally:
        system.stop()
        drop_namespace(nats_url, namespace)


def drop_namespace(nats_url: str, namespace: str) -> None:
    """Delete the streams a run made under ``namespace`` on a NATS server that outlives it
    (the machine's): otherwise every run leaves three behind. Best effort, and quick when
    the server was the run's own embedded one and has stopped with it. On a thread of its
    own, so a caller inside an event loop can call it too."""

    async def quiet(_: Exception) -> None:
        """Not nats-py's default, which prints the refused connection's traceback."""

    async def drop() -> None:
        nc = await nats.connect(nats_url, connect_timeout=1, allow_reconnect=False,
                                error_cb=quiet)
        try:
            await Bus(nc, Subjects(namespace)).drop_streams()
        finally:
            await nc.close()

    def run() -> None:
        with contextlib.suppress(Exception):
            asyncio.run(drop())

    thread = threading.Thread(target=run, name=f"drop {namespace}")
    thread.start()
    thread.join(timeout=10)


def scripted_model_env(port: int, model: str = "openai/scripted") -> dict[str, str]:
    """The environment that points the generators at a ScriptedLLM on ``port``."""
    return {"LLM_MODEL": model, "LLM_API_BASE": f"http://127.0.0.1:{port}/v1",
            "LLM_API_KEY": "k"}


async def create_project(client: httpx.AsyncClient, name: str = "test site") -> str:
    resp = await client.post("/api/projects", json={"name": name})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def generate(client: httpx.AsyncClient, project_id: str, prompt: str,
                   headers: dict[str, str] | None = None, **extra: str) -> list[Event]:
    """Run a generate job to its end through the gateway, returning every event."""
    stream = JobStream(client)
    body = {"project_id": project_id, "prompt": prompt, **extra}
    events = [ev async for ev in stream.run("POST", "/api/generate-ai-code-stream", json=body,
                                            headers=headers or {})]
    assert_stream_of("generate", events)
    return events


def assert_stream_of(kind: str, events: list[Event]) -> None:
    """Every event is one a ``kind`` job may emit, and its payload reads as its model
    (``paynto_common.messages``): the typed contract is the wire format."""
    problems = [p for ev in events if (p := stream_problem(kind, ev.event, ev.data))]
    assert not problems, problems


def terminal(events: list[Event]) -> list[Event]:
    return [e for e in events if e.event in ("complete", "error", "cancelled")]


def completed(events: list[Event]) -> Event:
    """The job's one terminal event, which must be ``complete``."""
    (done,) = terminal(events)
    assert done.event == "complete", done.data
    return done


async def vite_build(root: Path, project: dict[str, str], timeout: float = 180) -> Path:
    """Lay ``project`` (a runnable project's files) out in ``root`` over the shared
    node_modules and build it with ``vite build``; its ``dist`` folder (the build must pass)."""
    import asyncio

    from sandbox_pool.node import find_node
    from sandbox_pool.node_modules import NodeModulesCache

    for path, text in project.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    entry = await NodeModulesCache(DEPS_CACHE).ensure()
    (root / "node_modules").symlink_to(entry / "node_modules")
    build = await asyncio.create_subprocess_exec(
        str(find_node().node), "node_modules/vite/bin/vite.js", "build",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(build.communicate(), timeout)
    assert build.returncode == 0, output.decode()
    return root / "dist"
