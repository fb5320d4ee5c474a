"""The job bus against a real NATS JetStream server."""

from __future__ import annotations

import asyncio

from nats.js.api import ConsumerConfig

from paynto_common.bus import Bus, ConsumerOptions, Delivery, PermanentJobError
from paynto_common.messages import GenerateRequest, JobMessage

FAST = ConsumerOptions(ack_wait=1.0, max_deliver=3, backoff=(0.1,), concurrency=4)


def job(job_id: str) -> GenerateRequest:
    return GenerateRequest(job_id=job_id, project_id="p1", prompt="hello")


async def consume(bus: Bus, handler, failures: list[tuple[str, str]], opts=FAST):
    stop = asyncio.Event()

    async def on_failure(data: bytes, reason: str) -> None:
        failures.append((JobMessage.model_validate_json(data).job_id, reason))

    task = asyncio.create_task(bus.run_consumer("generator", handler, on_failure, stop, opts))
    return stop, task


async def wait_for(pred, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.02)


async def pending_jobs(bus: Bus) -> int:
    info = await bus.js.stream_info(bus.subjects.jobs_stream)
    return int(info.state.messages)


async def test_job_is_handled_once_and_removed(bus: Bus) -> None:
    seen: list[str] = []

    async def handler(d: Delivery) -> None:
        seen.append(d.parse(GenerateRequest).job_id)

    assert await bus.publish_job(bus.subjects.generate, job("a"), msg_id="a")
    # The same job id published again inside the window is not a second job.
    assert not await bus.publish_job(bus.subjects.generate, job("a"), msg_id="a")
    stop, task = await consume(bus, handler, [])
    await wait_for(lambda: seen == ["a"])
    await asyncio.sleep(0.3)  # room for a wrong second delivery to show up
    stop.set()
    await task
    assert seen == ["a"]
    assert await pending_jobs(bus) == 0


async def test_transient_failure_is_retried_then_succeeds(bus: Bus) -> None:
    attempts: list[int] = []

    async def handler(d: Delivery) -> None:
        attempts.append(d.attempt)
        if d.attempt < 2:
            raise RuntimeError("flaky")

    failures: list[tuple[str, str]] = []
    await bus.publish_job(bus.subjects.generate, job("b"), msg_id="b")
    stop, task = await consume(bus, handler, failures)
    await wait_for(lambda: attempts == [1, 2])
    stop.set()
    await task
    assert failures == []
    assert await pending_jobs(bus) == 0


async def test_permanent_failure_is_recorded_and_not_retried(bus: Bus) -> None:
    attempts: list[int] = []

    async def handler(d: Delivery) -> None:
        attempts.append(d.attempt)
        raise PermanentJobError("unsafe path ../x")

    failures: list[tuple[str, str]] = []
    await bus.publish_job(bus.subjects.generate, job("c"), msg_id="c")
    stop, task = await consume(bus, handler, failures)
    await wait_for(lambda: failures != [])
    await asyncio.sleep(0.5)  # room for a wrong redelivery to show up
    stop.set()
    await task
    assert attempts == [1]
    assert failures == [("c", "unsafe path ../x")]
    assert await pending_jobs(bus) == 0


async def test_exhausted_retries_fail_visibly(bus: Bus) -> None:
    async def handler(d: Delivery) -> None:
        raise RuntimeError("always broken")

    failures: list[tuple[str, str]] = []
    await bus.publish_job(bus.subjects.generate, job("d"), msg_id="d")
    stop, task = await consume(bus, handler, failures)
    await wait_for(lambda: failures != [])
    stop.set()
    await task
    assert failures[0][0] == "d"
    assert "gave up after 3 attempts" in failures[0][1]


async def test_delivery_lost_with_its_process_is_failed_by_advisory(bus: Bus) -> None:
    """A worker that takes the job on its last delivery and dies: another replica fails it."""
    failures: list[tuple[str, str]] = []

    async def never_called(d: Delivery) -> None:
        raise AssertionError("the job belongs to the dead worker")

    # The "dead" worker: takes every delivery and never acks, like a killed process.
    dead = await bus.js.pull_subscribe(
        bus.subjects.service_filter("generator"), durable="generator",
        stream=bus.subjects.jobs_stream,
        config=ConsumerConfig(ack_wait=0.5, max_deliver=2),
    )
    await bus.publish_job(bus.subjects.generate, job("e"), msg_id="e")
    for _ in range(2):
        msgs = await dead.fetch(1, timeout=5)
        assert msgs
    opts = ConsumerOptions(ack_wait=0.5, max_deliver=2, concurrency=1)
    stop, task = await consume(bus, never_called, failures, opts)
    await wait_for(lambda: failures != [])
    stop.set()
    await task
    assert failures[0][0] == "e"
    assert await pending_jobs(bus) == 0


async def test_events_replay_after_a_sequence(bus: Bus) -> None:
    seqs = [await bus.publish_event("j1", "status", {"message": f"m{i}"}) for i in range(3)]
    await bus.publish_event("other", "status", {"message": "not mine"})
    got: list[tuple[int, str]] = []
    async with asyncio.timeout(5):
        async for seq, ev in bus.job_events("j1", after_seq=seqs[0]):
            got.append((seq, ev.data["message"]))
            if len(got) == 2:
                break
    assert got == [(seqs[1], "m1"), (seqs[2], "m2")]


async def test_terminal_event_is_published_once(bus: Bus) -> None:
    first = await bus.publish_event("j2", "complete", {}, msg_id="complete:j2")
    again = await bus.publish_event("j2", "complete", {}, msg_id="complete:j2")
    assert first == again
    info = await bus.js.stream_info(bus.subjects.events_stream)
    assert info.state.messages == 1
