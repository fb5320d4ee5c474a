"""Per-site slots on the real Redis: at most ``limit`` items of one site at once across every
worker, an item taking its own slot again, and a dead worker's slot running out so others
take the site up again."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from batch_worker.pipeline import SiteSlots, site_of


class ShortLease(SiteSlots):
    LEASE_MS = 1_000


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


def key() -> str:
    return f"paynto-test:site:{uuid.uuid4().hex}"


async def test_at_most_limit_items_of_a_site_at_once(client: redis.Redis) -> None:
    slots = SiteSlots(client, key(), limit=2)
    assert [await slots.take(item) for item in ("a", "b", "c")] == [True, True, False]
    # An item holding a slot (a repeated delivery) takes it again.
    assert await slots.take("a")
    await slots.give_back("a")
    assert await slots.take("c")
    assert not await slots.take("d")


async def test_a_dead_workers_slot_runs_out_and_a_kept_one_does_not(client: redis.Redis
                                                                    ) -> None:
    site = key()
    slots = ShortLease(client, site, limit=1)
    assert await slots.take("kept")
    keeping = asyncio.create_task(slots.keep("kept"))
    try:
        # Kept alive past several leases: still held.
        await asyncio.sleep(ShortLease.LEASE_MS * 3 / 1000)
        assert not await slots.take("other")
    finally:
        keeping.cancel()
    # Its worker "dies" (no more renewals): the lease runs out and another item gets in.
    for _ in range(50):
        if await slots.take("other"):
            break
        await asyncio.sleep(ShortLease.LEASE_MS / 1000 / 5)
    else:
        raise AssertionError("the dead item's slot never ran out")


@pytest.mark.parametrize(("url", "site"), [
    ("https://www.Example.com/a?b", "example.com"),
    ("http://127.0.0.1:8080/x", "127.0.0.1:8080"),
    ("https://shop.example.com/", "shop.example.com"),
])
def test_a_site_is_its_host_and_port(url: str, site: str) -> None:
    assert site_of(url) == site
