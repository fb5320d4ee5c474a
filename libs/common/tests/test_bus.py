"""The job bus against a real NATS JetStream server."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

import pytest
from nats.js.api import ConsumerConfig

from paynto_common.bus import Bus, ConsumerOptions, Delivery, PermanentJobError, Route, Router
from paynto_common.messages import (
    Completed,
    GenerateRequest,
    JobMessage,
    ModelInfo,
    ModelsReply,
    ModelsRequest,
    PlanRequest,
    Status,
)

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
        seen.append(GenerateRequest.model_validate_json(d.data).job_id)

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


async def test_a_backlog_is_taken_in_batches_never_more_at_once_than_the_concurrency(
        bus: Bus) -> None:
    """Jobs waiting before the consumer starts are fetched as many at a time as there are
    free slots: every one is handled once, and at no moment do more than ``concurrency``
    run (the handler holds each until released, so the limit is really reached)."""
    count = 30
    for n in range(count):
        await bus.publish_job(bus.subjects.generate, job(f"b{n}"), msg_id=f"b{n}")
    running = 0
    most = 0
    seen: list[str] = []
    release = asyncio.Event()

    async def handler(d: Delivery) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await release.wait()
            seen.append(GenerateRequest.model_validate_json(d.data).job_id)
        finally:
            running -= 1

    stop, task = await consume(bus, handler, [])
    await wait_for(lambda: running == FAST.concurrency)
    await asyncio.sleep(0.3)  # room for a fifth to start, were the slots miscounted
    assert running == FAST.concurrency
    release.set()
    await wait_for(lambda: len(seen) == count)
    stop.set()
    await task
    assert most == FAST.concurrency
    assert sorted(seen) == sorted(f"b{n}" for n in range(count))
    assert await pending_jobs(bus) == 0


async def test_an_idle_consumer_waits_quietly_and_takes_the_next_job(
        bus: Bus, caplog: pytest.LogCaptureFixture) -> None:
    """With nothing queued, each fetch of several slots ends in a timeout: no failure is
    logged, and a job published then is taken. (A batch fetch whose deadline runs out while
    the server's answer races its timer, on a loaded machine, raises asyncio's TimeoutError,
    not nats-py's: that was logged as a failure and slept half a second.)"""
    seen: list[str] = []

    async def handler(d: Delivery) -> None:
        seen.append(GenerateRequest.model_validate_json(d.data).job_id)

    with caplog.at_level(logging.WARNING, logger="paynto_common.bus"):
        stop, task = await consume(bus, handler, [])
        await asyncio.sleep(1.2)  # a couple of empty fetches
        await bus.publish_job(bus.subjects.generate, job("late"), msg_id="late")
        await wait_for(lambda: seen == ["late"])
        stop.set()
        await task
    assert [r.getMessage() for r in caplog.records if "fetch" in r.getMessage()] == []


async def test_a_lone_job_is_taken_at_once_not_when_the_fetch_ends(bus: Bus) -> None:
    """A consumer with free slots waits for jobs in fetches of a minute here, each asking for
    as many jobs as it has free slots: a job published into that wait starts then, not a
    minute later (the server answers a fetch once it has a job and no more are waiting)."""
    seen: list[str] = []

    async def handler(d: Delivery) -> None:
        seen.append(GenerateRequest.model_validate_json(d.data).job_id)

    slow = dataclasses.replace(FAST, fetch_wait=60.0)
    _stop, task = await consume(bus, handler, [], slow)
    try:
        await asyncio.sleep(0.3)  # the consumer is in its first fetch
        await bus.publish_job(bus.subjects.generate, job("lone"), msg_id="lone")
        await wait_for(lambda: seen == ["lone"], timeout=30)
        # The next one too: the consumer went back to waiting and was not holding a slot.
        await bus.publish_job(bus.subjects.generate, job("next"), msg_id="next")
        await wait_for(lambda: seen == ["lone", "next"], timeout=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


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
    seqs = [await bus.publish_event("j1", Status(message=f"m{i}")) for i in range(3)]
    await bus.publish_event("other", Status(message="not mine"))
    got: list[tuple[int, str]] = []
    async with asyncio.timeout(5):
        async for seq, ev in bus.job_events("j1", after_seq=seqs[0]):
            got.append((seq, ev.data["message"]))
            if len(got) == 2:
                break
    assert got == [(seqs[1], "m1"), (seqs[2], "m2")]


async def test_terminal_event_is_published_once(bus: Bus) -> None:
    first = await bus.publish_event("j2", Completed(), msg_id="complete:j2")
    again = await bus.publish_event("j2", Completed(), msg_id="complete:j2")
    assert first == again
    info = await bus.js.stream_info(bus.subjects.events_stream)
    assert info.state.messages == 1


async def test_an_event_carries_the_fields_its_publisher_set(bus: Bus) -> None:
    await bus.publish_event("j3", Status(message="hello", reset=True))
    async with asyncio.timeout(5), contextlib.aclosing(bus.job_events("j3")) as events:
        _seq, ev = await anext(events)
    assert (ev.event, ev.data) == ("status", {"message": "hello", "reset": True})


async def test_events_sent_without_waiting_are_stored_in_the_order_sent(bus: Bus) -> None:
    """``send_event`` returns before the stream has the event; what is published after it,
    with or without waiting, is stored after it, and each ack names its sequence."""
    acks = [await bus.send_event("j4", Status(message=f"s{i}")) for i in range(20)]
    last = await bus.publish_event("j4", Completed())
    seqs = [await ack for ack in acks]
    assert seqs == sorted(seqs) and len(set(seqs)) == 20
    assert seqs[-1] < last
    got: list[tuple[int, str]] = []
    async with asyncio.timeout(5):
        async for seq, ev in bus.job_events("j4"):
            got.append((seq, ev.data.get("message", ev.event)))
            if ev.event == "complete":
                break
    assert got == [*zip(seqs, (f"s{i}" for i in range(20)), strict=True), (last, "complete")]


async def test_router_runs_each_subject_with_its_model(bus: Bus) -> None:
    seen: list[tuple[str, str, int]] = []

    async def generate(req: GenerateRequest, attempt: int) -> None:
        seen.append(("generate", req.prompt, attempt))

    async def plan(req: PlanRequest, attempt: int) -> None:
        seen.append(("plan", req.prompt, attempt))

    router = Router({bus.subjects.generate: Route(GenerateRequest, generate),
                     bus.subjects.plan: Route(PlanRequest, plan)})
    await bus.publish_job(bus.subjects.plan, PlanRequest(job_id="f", project_id="p",
                                                         prompt="a plan"), msg_id="f")
    await bus.publish_job(bus.subjects.generate, job("g"), msg_id="g")
    failures: list[tuple[str, str]] = []
    stop, task = await consume(bus, router, failures)
    await wait_for(lambda: len(seen) == 2)
    stop.set()
    await task
    assert sorted(seen) == [("generate", "hello", 1), ("plan", "a plan", 1)]
    assert failures == []


async def test_router_fails_for_good_a_job_it_cannot_read_or_route() -> None:
    router = Router({"jobs.x": Route(GenerateRequest, lambda _r, _a: asyncio.sleep(0))})
    with pytest.raises(PermanentJobError, match="malformed job: prompt: Field required"):
        await router.dispatch("jobs.x", b'{"job_id": "a", "project_id": "p"}')
    with pytest.raises(PermanentJobError, match="malformed job"):
        await router.dispatch("jobs.x", b"not json")
    with pytest.raises(PermanentJobError, match=r"no handler for jobs on jobs\.y"):
        await router.dispatch("jobs.y", job("a").model_dump_json().encode())


async def test_request_is_answered_by_one_server(bus: Bus) -> None:
    answered: list[str] = []

    def server(name: str):  # two replicas in one queue group: one answers each request
        async def answer(_req: ModelsRequest) -> ModelsReply:
            answered.append(name)
            return ModelsReply(models=[ModelInfo(id=name, roles=["default"])])
        return answer

    subject = bus.subjects.generator_models
    stops = [await bus.serve(subject, ModelsRequest, server(n), queue="q") for n in "ab"]
    try:
        reply = await bus.request(subject, ModelsRequest(), ModelsReply, timeout=3)
        assert [m.id for m in reply.models] == answered
        assert len(answered) == 1
    finally:
        for stop in stops:
            await stop()


async def test_request_fails_when_nobody_answers_unless_told_to_keep_waiting(bus: Bus) -> None:
    subject = bus.subjects.sandbox_replica("nobody")
    with pytest.raises(TimeoutError, match="nobody answers"):
        await bus.request(subject, ModelsRequest(), ModelsReply, timeout=5)
    # A server that takes the request and has not answered yet: wait while told to.
    silent = await bus.nc.subscribe(subject)
    asked: list[int] = []

    async def keep_waiting() -> bool:
        asked.append(1)
        return len(asked) < 3

    try:
        with pytest.raises(TimeoutError, match="no answer"):
            await bus.request(subject, ModelsRequest(), ModelsReply, timeout=0.1,
                              keep_waiting=keep_waiting)
    finally:
        await silent.unsubscribe()
    assert len(asked) == 3


async def test_a_cancelled_job_stops_where_it_runs_and_is_not_redelivered(bus: Bus) -> None:
    started: list[str] = []
    stopped: list[str] = []
    finished: list[str] = []

    async def handler(d: Delivery) -> None:
        job_id = GenerateRequest.model_validate_json(d.data).job_id
        started.append(job_id)
        try:
            await asyncio.sleep(0.5 if job_id == "other" else 30)
        except asyncio.CancelledError:
            stopped.append(job_id)
            raise
        finished.append(job_id)

    failures: list[tuple[str, str]] = []
    for job_id in ("slow", "other"):
        await bus.publish_job(bus.subjects.generate, job(job_id), msg_id=job_id)
    stop, task = await consume(bus, handler, failures)
    await wait_for(lambda: sorted(started) == ["other", "slow"])
    await bus.cancel("slow")
    await bus.cancel("not-running-here")  # ignored
    await wait_for(lambda: stopped == ["slow"] and finished == ["other"])
    await asyncio.sleep(1.5)  # past ack_wait: a wrong redelivery would start it again
    stop.set()
    await task
    assert started.count("slow") == 1 and failures == []
    assert await pending_jobs(bus) == 0


async def test_a_message_nested_too_deep_to_parse_is_dropped_and_the_consumer_goes_on(
        bus: Bus) -> None:
    # json.loads raises RecursionError (not ValueError) for it: it once ended the consumer,
    # and with it the worker, on every replica that took it.
    seen: list[str] = []
    dropped: list[bytes] = []

    async def handler(delivery: Delivery) -> None:
        seen.append(GenerateRequest.model_validate_json(delivery.data).job_id)

    async def on_failure(data: bytes, _reason: str) -> None:
        dropped.append(data)

    await bus.js.publish(bus.subjects.generate, b"[" * 50_000,
                         stream=bus.subjects.jobs_stream)
    await bus.publish_job(bus.subjects.generate, job("after"), msg_id="after")
    stop = asyncio.Event()
    task = asyncio.create_task(bus.run_consumer("generator", handler, on_failure, stop, FAST))
    await wait_for(lambda: seen == ["after"] and len(dropped) == 1)
    assert not task.done()
    stop.set()
    await task
    assert await pending_jobs(bus) == 0
