"""Streamed text reaches the job's events whole and in order, batched only under pressure."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from generator.stream import StreamPublisher
from paynto_common.bus import Bus
from paynto_common.messages import JobEvent

Texts = Callable[[str], Awaitable[list[str]]]


@pytest.fixture
def stream_texts(read_events: Callable[[str], Awaitable[list[JobEvent]]]) -> Texts:
    async def texts(channel: str) -> list[str]:
        return [event.data["text"] for event in await read_events(channel)]

    return texts


async def test_a_fast_producer_is_batched_and_nothing_is_lost(bus: Bus,
                                                              stream_texts: Texts) -> None:
    publisher = StreamPublisher(bus, "fast", attempt=1)
    deltas = [f"<{i}>" for i in range(300)]
    for d in deltas:  # no await between deltas, like the offline generator
        publisher.add(d)
    await publisher.close()
    texts = await stream_texts("fast")
    assert "".join(texts) == "".join(deltas)
    assert len(texts) < 10


async def test_a_slow_producer_gets_one_event_per_delta(bus: Bus, stream_texts: Texts) -> None:
    publisher = StreamPublisher(bus, "slow", attempt=1)
    for d in ["a", "b", "c"]:
        publisher.add(d)
        await asyncio.sleep(0.05)  # a model pausing between tokens
    await publisher.close()
    assert await stream_texts("slow") == ["a", "b", "c"]


async def test_a_steady_model_is_coalesced_into_few_events(bus: Bus, stream_texts: Texts) -> None:
    publisher = StreamPublisher(bus, "steady", attempt=1, gap=0.05)
    deltas = [f"t{i} " for i in range(40)]
    for d in deltas:  # 40 tokens over ~0.2 s, faster than the gap
        publisher.add(d)
        await asyncio.sleep(0.005)
    await publisher.close()
    texts = await stream_texts("steady")
    assert "".join(texts) == "".join(deltas)
    assert texts[0] == "t0 "  # the first token was not held back
    assert 2 <= len(texts) <= 10
