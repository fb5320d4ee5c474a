"""The warm pool sized by demand: a burst of claims raises its target (never past the maximum),
the pool starts warm sandboxes up to it and a later claim finds one, and when claims stop the
target falls back to the minimum and the surplus is stopped. Real NATS KV and SQLite; real
local sandboxes only where the pool starts some (two). Time is moved by the demand's clock,
never waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sandbox_pool.demand import Demand, pool_target
from sandbox_pool.manager import SandboxManager

MakeManager = Callable[..., Awaitable[SandboxManager]]
NewProject = Callable[[], Awaitable[str]]
WINDOW = 300.0


class Clock:
    """A time the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_peak_counts_claims_close_together_and_forgets_old_ones() -> None:
    clock = Clock()
    demand = Demand(WINDOW, clock)
    assert demand.peak(2.0) == 0
    for at in (0.0, 0.5, 1.0, 1.5, 10.0, 10.1):
        clock.now = 1000.0 + at
        demand.claimed()
    # Four within two seconds of each other; the later two are a burst of their own.
    assert demand.peak(2.0) == 4
    assert demand.peak(20.0) == 6
    clock.now = 1000.0 + 5.0 + WINDOW
    assert demand.peak(2.0) == 2
    clock.now = 1000.0 + 11.0 + WINDOW
    assert demand.peak(2.0) == 0


def test_the_target_is_the_minimum_plus_demand_within_the_maximum() -> None:
    assert pool_target(1, 8, 0) == 1
    assert pool_target(1, 8, 3) == 4
    assert pool_target(1, 8, 30) == 8
    assert pool_target(0, 0, 5) == 0
    # A maximum under the minimum never takes the pool under it.
    assert pool_target(3, 1, 5) == 3


async def test_a_burst_raises_the_target_to_the_max_and_idle_time_lowers_it(
    managers: MakeManager, new_project: NewProject
) -> None:
    pool = await managers("burst", pool_size=1, pool_max=4, demand_window=WINDOW)
    clock = Clock()
    pool.demand.clock = clock
    assert await pool.target() == (1, 0)
    # Projects placed with nothing warm on offer: each is a claim (no sandbox started here).
    first = await new_project()
    for project in (first, await new_project()):
        assert await pool.place(project) == "burst"
    assert await pool.target() == (3, 0)
    # A project placed again (its lease held: its next job) is no new claim.
    assert await pool.place(first) == "burst"
    assert await pool.target() == (3, 0)
    for _ in range(5):
        await pool.place(await new_project())
    assert await pool.target() == (4, 0)
    clock.now += WINDOW + 1
    assert await pool.target() == (1, 0)


async def test_other_replicas_demand_reaches_the_target_through_their_heartbeat(
    managers: MakeManager, new_project: NewProject
) -> None:
    busy = await managers("busy", pool_size=1, pool_max=6)
    quiet = await managers("quiet", pool_size=1, pool_max=6)
    for _ in range(3):
        assert await busy.place(await new_project()) == "busy"
    assert await quiet.target() == (1, 1)
    await busy.keep_once()
    assert await quiet.target() == (4, 1)
    assert await busy.target() == (4, 1)


async def test_the_pool_grows_with_demand_serves_a_claim_warm_and_shrinks_back(
    managers: MakeManager, new_project: NewProject
) -> None:
    pool = await managers("grows", pool_size=0, pool_max=2, demand_window=WINDOW,
                          refill_concurrency=1)
    other = await managers("bystander", pool_size=0, pool_max=2, demand_window=WINDOW)
    clock = Clock()
    pool.demand.clock = clock
    assert await pool.refill_once() == 0
    for _ in range(3):
        await pool.place(await new_project())
    assert await pool.target() == (2, 1)
    assert await pool.refill_once() == 2
    assert len(pool._warm) == 2 and len(await pool.registry.warm("local")) == 2
    # Nothing more to start, by either replica (the other knows the demand from the
    # heartbeat): the pool is full across them.
    await pool.keep_once()
    assert await other.target() == (2, 1)
    assert await pool.refill_once() == 0
    assert await other.refill_once() == 0
    # The next claim finds a warm sandbox.
    project = await new_project()
    assert await pool.place(project) == "grows"
    live, came_warm = await pool.obtain(project, {}, None)
    assert came_warm and live.sandbox_id not in pool._warm and len(pool._warm) == 1
    # Claims stop: the target falls to the minimum and the surplus goes, one a beat, by the
    # replica holding it (the other stops nothing).
    clock.now += WINDOW + 1
    await pool.keep_once()
    assert await pool.target() == (0, 1)
    assert await other.target() == (0, 1)
    assert not await other.trim_once()
    assert await pool.trim_once()
    assert not await pool.trim_once()
    assert pool._warm == {} and await pool.registry.warm("local") == []
    # The claimed sandbox is the project's and keeps running.
    assert await pool.current(project) is live


async def test_the_running_pool_refills_behind_claims_by_itself(
    managers: MakeManager, new_project: NewProject
) -> None:
    pool = await managers("background", pool_size=0, pool_max=1, demand_window=WINDOW)
    await pool.start()
    assert pool._warm == {}
    project = await new_project()
    await pool.place(project)
    # No refill_once() here: the pool's own loop starts what the claim asked for.
    async with asyncio.timeout(90):
        while not pool._warm:
            await asyncio.sleep(0.05)
    assert len(pool._warm) == 1 and len(await pool.registry.warm("local")) == 1
