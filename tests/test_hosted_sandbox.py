"""The whole system with SANDBOX_PROVIDER=e2b, against the loopback E2B fake: the sandbox pool
drives hosted sandboxes through the real SDK and the gateway proxies their previews."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sandbox_pool.testing.fake_e2b import FakeE2B
from tests.system import completed, create_project, running_system
from tests.test_sandbox_replicas import apply, component

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@contextmanager
def fake_e2b_in_thread() -> Iterator[FakeE2B]:
    """The fake on a loop of its own: the system's start-up blocks this one while the sandbox
    pool already asks E2B whether its key is good."""
    ready = threading.Event()
    stop: asyncio.Event | None = None
    holder: list[FakeE2B] = []
    loop_of: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        loop_of.append(asyncio.get_running_loop())
        async with FakeE2B() as fake:
            holder.append(fake)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(30), "the E2B fake did not start"
    try:
        yield holder[0]
    finally:
        assert stop is not None
        loop_of[0].call_soon_threadsafe(stop.set)
        thread.join(30)


async def test_a_project_runs_in_a_hosted_sandbox(tmp_path: Path, nats_url: str) -> None:
    with fake_e2b_in_thread() as fake:
        env = {**fake.system_env(), "SANDBOX_POOL_SIZE": "1"}
        with running_system(tmp_path, nats_url, extra_env=env) as system:
            async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
                project = await create_project(c)
                done = completed(await apply(c, project, {
                    "src/App.jsx": component("App", "hosted-mark")}))
                preview = done.data["preview_url"]
                page = await c.get(preview)
                module = await c.get(preview + "src/App.jsx")
                status = (await c.get("/api/sandbox-status",
                                      params={"project_id": project})).json()

                # E2B ends the sandbox (its timeout ran out): the next edit restores the project
                # into a new one and says so.
                (remote,) = [box.sandbox_id for box in list(fake.sandboxes.values())
                             if box.metadata.get("paynto_sandbox") == status["sandbox_id"]]
                fake.expire(remote)
                again = await apply(c, project, {"src/Other.jsx": component("Other", "two")})
                recovered = [e.data for e in again
                             if e.event == "status" and e.data.get("recovered")]
                after = completed(again).data["preview_url"]
                restored = await c.get(after + "src/App.jsx")
    assert page.status_code == 200 and '<div id="root">' in page.text
    assert "hosted-mark" in module.text
    # Made through E2B's API: the pool's warm one and the project's (or one, claimed warm).
    assert fake.created and all(c["templateID"] == "base" for c in fake.created)
    assert (status["provider"], status["status"]) == ("e2b", "running"), status
    assert recovered and after != preview, recovered
    assert "hosted-mark" in restored.text
