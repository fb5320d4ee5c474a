"""The shared pool: leases and warm sandboxes in real NATS KV, real local sandboxes, real SQLite.

Two "replicas" here are two managers in one process, each with its own registry view and its
own local provider over one sandbox root, as two sandbox-pool processes on one host are (the
``managers`` fixture of conftest.py).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from paynto_common.bus import Bus
from paynto_common.db import Database, Job, JobStatus, Sandbox
from paynto_common.messages import ApplyRequest
from sandbox_pool.app import consumer
from sandbox_pool.local import LocalSandbox
from sandbox_pool.manager import SandboxManager
from sandbox_pool.placement import Placement
from sandbox_pool.registry import Registry
from sandbox_pool.testing.contract import fetch

APP = "export default function App() {{ return <h1>{}</h1> }}\n"

MakeManager = Callable[..., Awaitable[SandboxManager]]
NewProject = Callable[[], Awaitable[str]]

async def _sandbox_row(db: Database, sandbox_id: str) -> Sandbox | None:
    async with db.session() as s:
        return await s.get(Sandbox, sandbox_id)


async def test_of_two_racing_claims_exactly_one_wins(bus: Bus) -> None:
    a = Registry(bus.js, bus.subjects.sandbox_bucket, "a", 5.0)
    b = Registry(bus.js, bus.subjects.sandbox_bucket, "b", 5.0)
    await a.open()
    await b.open()
    await a.advertise("local", "s1")
    (offer_a,) = await a.warm("local")
    (offer_b,) = await b.warm("local")
    claims = await asyncio.gather(a.release(offer_a), b.release(offer_b))
    assert sorted(claims) == [False, True]
    assert await a.warm("local") == []
    leases = await asyncio.gather(a.take_lease("p1", {"owner": "a"}),
                                  b.take_lease("p1", {"owner": "b"}))
    assert sum(lease is not None for lease in leases) == 1
    held = await a.lease("p1")
    assert held is not None and held.value["owner"] in ("a", "b")


async def test_what_a_silent_replica_held_expires(bus: Bus) -> None:
    gone = Registry(bus.js, bus.subjects.sandbox_bucket, "gone", 1.0)
    watcher = Registry(bus.js, bus.subjects.sandbox_bucket, "watcher", 1.0)
    await gone.open()
    await watcher.open()
    await gone.heartbeat()
    await gone.advertise("local", "s9")
    await gone.take_lease("p9", {"owner": "gone", "sandbox": "s9"})
    assert await watcher.alive("gone")
    for _ in range(100):
        if not await watcher.alive("gone"):
            break
        await asyncio.sleep(0.1)
    assert not await watcher.alive("gone")
    assert await watcher.warm("local") == []
    assert await watcher.lease("p9") is None


async def test_a_warm_sandbox_is_claimed_then_refilled(
    managers: MakeManager, db: Database, new_project: NewProject
) -> None:
    pool = await managers("r1", pool_size=1, pool_max=1)
    assert await pool.refill_once() == 1
    (warm_id,) = pool._warm
    project = await new_project()
    assert await pool.place(project) == "r1"
    live, came_warm = await pool.obtain(project, {"src/App.jsx": APP.format("warm-claimed")}, 1)
    assert came_warm and live.sandbox_id == warm_id
    status, body = await fetch(live.sandbox, "src/App.jsx")
    assert (status, "warm-claimed" in body) == (200, True)
    row = await _sandbox_row(db, warm_id)
    assert row is not None and (row.status, row.project_id) == ("running", project)
    # The pool refills to its size with a new sandbox.
    assert await pool.refill_once() == 1
    assert warm_id not in pool._warm and len(pool._warm) == 1


async def test_replicas_share_one_warm_pool(
    managers: MakeManager, db: Database, new_project: NewProject
) -> None:
    holder = await managers("holder", pool_size=1)
    other = await managers("other", pool_size=1)
    await holder.refill_once()
    # The pool is full across replicas: the other one starts nothing.
    assert await other.refill_once() == 0
    (warm_id,) = holder._warm
    project = await new_project()
    # A job landing on the other replica is placed on the warm sandbox's owner.
    assert await other.place(project) == "holder"
    live, came_warm = await holder.obtain(project, {"src/App.jsx": APP.format("shared")}, 1)
    assert came_warm and live.sandbox_id == warm_id
    assert await other.place(project) == "holder"


async def test_a_dead_replicas_project_is_restored_on_another(
    managers: MakeManager, db: Database, root: Path, new_project: NewProject
) -> None:
    doomed = await managers("doomed", ttl=1.0, pool_size=0)
    survivor = await managers("survivor", ttl=1.0, pool_size=0)
    project = await new_project()
    assert await doomed.place(project) == "doomed"
    live, _ = await doomed.obtain(project, {"src/App.jsx": APP.format("before")}, 1)
    # The replica dies: its server goes with it (bwrap --die-with-parent), its workspace and
    # its leases stay behind, and nobody renews them.
    doomed._live.clear()
    await live.sandbox.stop()
    assert (root / "sandboxes" / live.sandbox_id).is_dir()
    for _ in range(100):
        await survivor.registry.heartbeat()
        if not await survivor.registry.alive("doomed"):
            break
        await asyncio.sleep(0.1)
    assert await survivor.place(project) == "survivor"
    assert await survivor.current(project) is None
    assert survivor.take_lost(project) == "the replica running it went away"
    restored, _ = await survivor.obtain(project, {"src/App.jsx": APP.format("restored")}, 1)
    status, body = await fetch(restored.sandbox, "src/App.jsx")
    assert (status, "restored" in body) == (200, True)
    # The dead replica's sandbox is marked stopped (once reported) and its workspace reclaimed.
    row = await _sandbox_row(db, live.sandbox_id)
    assert row is not None and row.status == "stopped"
    assert await survivor.provider.reclaim(survivor.registry.alive) == [live.sandbox_id]
    assert not (root / "sandboxes" / live.sandbox_id).exists()
    assert (root / "sandboxes" / restored.sandbox_id).is_dir()


async def test_idle_sandboxes_are_stopped_and_their_projects_kept(
    managers: MakeManager, db: Database, new_project: NewProject
) -> None:
    pool = await managers("idler", idle_timeout=60.0, pool_size=0)
    project = await new_project()
    await pool.place(project)
    live, _ = await pool.obtain(project, {}, None)
    live.last_used -= 61  # as if a minute passed without a job
    await pool.keep_once()
    assert await pool.current(project) is None
    assert not await live.sandbox.alive()
    assert await pool.registry.lease(project) is None
    row = await _sandbox_row(db, live.sandbox_id)
    assert row is not None and row.status == "stopped"
    assert pool.take_lost(project) == "it was stopped after being idle"


async def test_past_max_active_the_least_recently_used_goes(
    managers: MakeManager, db: Database, new_project: NewProject
) -> None:
    pool = await managers("small", max_active=1, pool_size=0)
    first, second = await new_project(), await new_project()
    await pool.place(first)
    old, _ = await pool.obtain(first, {}, None)
    await pool.place(second)
    await pool.obtain(second, {}, None)
    assert set(pool._live) == {second}
    assert not await old.sandbox.alive()


async def test_a_job_received_elsewhere_runs_on_the_owner(
    managers: MakeManager, bus: Bus, db: Database, new_project: NewProject
) -> None:
    owner = await managers("owner", pool_size=0)
    receiver = await managers("receiver", pool_size=0)
    owner_jobs, receiver_jobs = consumer(bus, db, owner), consumer(bus, db, receiver)
    await owner_jobs.serve()
    await receiver_jobs.serve()
    try:
        project = await new_project()
        assert await owner.place(project) == "owner"
        for n in (1, 2):
            async with db.session() as s:
                job = Job(project_id=project, kind="apply")
                s.add(job)
                await s.commit()
            request = ApplyRequest(
                job_id=job.id, project_id=project,
                response=f'<file path="src/App.jsx">{APP.format(f"turn-{n}")}</file>',
            )
            await receiver_jobs.run(bus.subjects.apply, request.model_dump_json().encode())
            async with db.session() as s:
                done = await s.get(Job, job.id)
            assert done is not None and done.status == JobStatus.COMPLETE
        assert list(owner._live) == [project] and receiver._live == {}
        status, body = await fetch(owner._live[project].sandbox, "src/App.jsx")
        assert (status, "turn-2" in body) == (200, True)
    finally:
        await owner_jobs.close()
        await receiver_jobs.close()


async def _apply_job(bus: Bus, db: Database, jobs: Placement, project: str,
                     files: dict[str, str]) -> list[tuple[str, dict[str, object]]]:
    """Run an apply job through the pool's consumer; the job's events, in order."""
    async with db.session() as s:
        job = Job(project_id=project, kind="apply")
        s.add(job)
        await s.commit()
    response = "".join(f'<file path="{p}">{t}</file>' for p, t in files.items())
    request = ApplyRequest(job_id=job.id, project_id=project, response=response)
    await jobs.run(bus.subjects.apply, request.model_dump_json().encode())
    events = []
    async with asyncio.timeout(30):
        async for _seq, event in bus.job_events(job.id):
            events.append((event.event, event.data))
            if event.event in ("complete", "error"):
                return events
    return events


@pytest.mark.parametrize("damage", ["server killed", "workspace deleted"])
async def test_a_broken_sandbox_is_restored_with_every_file(
    managers: MakeManager, bus: Bus, db: Database, damage: str, new_project: NewProject
) -> None:
    pool = await managers("healer", pool_size=0)
    jobs = consumer(bus, db, pool)
    project = await new_project()
    await _apply_job(bus, db, jobs, project, {"src/App.jsx": APP.format("first"),
                                              "src/Keep.jsx": APP.format("kept-file")})
    broken = pool._live[project].sandbox
    assert isinstance(broken, LocalSandbox)
    if damage == "server killed":
        await broken.stop()
    else:
        shutil.rmtree(broken.workspace)
    events = await _apply_job(bus, db, jobs, project, {"src/App.jsx": APP.format("second")})
    assert events[-1][0] == "complete", events
    recovered = [data for name, data in events if name == "status" and data.get("recovered")]
    assert recovered and "version 1" in str(recovered[0]["message"]), events
    fresh = pool._live[project].sandbox
    assert fresh.id != broken.id
    for rel, marker in (("src/App.jsx", "second"), ("src/Keep.jsx", "kept-file")):
        status, body = await fetch(fresh, rel)
        assert (status, marker in body) == (200, True)
