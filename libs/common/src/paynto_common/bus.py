"""The job bus on NATS JetStream.

- Jobs: one work-queue stream; one durable pull consumer per service, shared by its replicas.
  Published with ``Nats-Msg-Id`` so a retried publish is not a second job.
- A job is acked only after its handler returned, i.e. after its effects are stored. While it
  runs, ``in_progress()`` keeps the server from redelivering it. A transient failure is
  ``nak``ed with backoff; a permanent one, or the last allowed delivery, fails the job visibly
  (``on_failure``) and ``term``s it. A delivery lost with its process is redelivered after
  ``ack_wait``; if that was the last allowed one, the server's max-deliveries advisory lets any
  replica fail the job visibly: nothing is dropped silently.
- Job events: a limits-retention stream on ``events.<job_id>``; the stream sequence is the SSE
  ``id`` and a replay can start after any sequence.
- W3C trace context travels in the headers of every message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError
from opentelemetry import context as otel_context
from opentelemetry import trace
from pydantic import ValidationError

from paynto_common.errors import PermanentJobError
from paynto_common.logs import bind_job, unbind_job
from paynto_common.messages import Event, JobEvent, Message, Subjects
from paynto_common.metrics import (
    DEAD_LETTERS,
    EVENTS_PUBLISHED,
    JOB_REDELIVERIES,
    JOB_SECONDS,
    JOBS_HANDLED,
    JOBS_IN_FLIGHT,
)
from paynto_common.telemetry import extract_context, inject_headers, job_attributes

log = logging.getLogger(__name__)
tracer = trace.get_tracer("paynto.bus")

__all__ = ["Bus", "ConsumerOptions", "Delivery", "PermanentJobError", "Route", "Router"]

EVENTS_MAX_AGE_S = 24 * 3600.0
DUPLICATE_WINDOW_S = 120.0


@dataclass
class ConsumerOptions:
    """How a service's durable consumer behaves; tests shorten ``ack_wait``."""

    ack_wait: float = 30.0
    max_deliver: int = 5
    backoff: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)
    concurrency: int = 8
    drain_timeout: float = 20.0
    # How long one fetch waits for a job before the loop looks at its stop flag again.
    fetch_wait: float = 0.5


@dataclass
class Delivery:
    """One delivery of a job to a handler."""

    subject: str
    data: bytes
    headers: dict[str, str]
    attempt: int
    max_deliver: int
    msg: Msg = field(repr=False)

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_deliver



Handler = Callable[[Delivery], Awaitable[None]]
# Called with the raw job bytes and a reason when a job is failed for good.
FailureHook = Callable[[bytes, str], Awaitable[None]]
M = TypeVar("M", bound=Message)
R = TypeVar("R", bound=Message)


def parse_job(model: type[M], data: bytes) -> M:
    """A job's bytes as its request model; a malformed job can never succeed."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PermanentJobError(
            f"malformed job: {where + ': ' if where else ''}{first['msg']}") from exc


@dataclass(frozen=True)
class Route(Generic[M]):
    """What a service does with the jobs of one subject: parse them as ``model``, then
    ``handle`` them, with the delivery's attempt number (1 for the first)."""

    model: type[M]
    handle: Callable[[M, int], Awaitable[None]]


class Router:
    """A service's jobs by subject: ``{subject: Route(model, handler)}``. A job on a subject
    with no route, or one its model cannot read, fails for good."""

    def __init__(self, routes: dict[str, Route[Any]],
                 unrouted: str = "no handler for jobs on") -> None:
        self.routes = routes
        # What a job on a subject with no route is told (a service not yet taking any jobs
        # says so).
        self.unrouted = unrouted

    async def __call__(self, delivery: Delivery) -> None:
        await self.dispatch(delivery.subject, delivery.data, delivery.attempt)

    async def dispatch(self, subject: str, data: bytes, attempt: int = 1) -> None:
        """Run one job, however it arrived (a delivery, or forwarded by another replica)."""
        route = self.routes.get(subject)
        if route is None:
            raise PermanentJobError(f"{self.unrouted} {subject}")
        await route.handle(parse_job(route.model, data), attempt)


class Bus:
    """A connection to NATS with the job and event streams of one namespace."""

    def __init__(self, nc: NATS, subjects: Subjects, replicas: int = 1) -> None:
        self.nc = nc
        self.replicas = replicas
        self.js: JetStreamContext = nc.jetstream()
        self.subjects = subjects
        self._consumer_tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def connect(
        cls, url: str, subjects: Subjects, name: str = "paynto", replicas: int = 1
    ) -> Bus:
        """Connect (retrying while the server starts) and make sure both streams exist."""
        nc = await nats.connect(
            url,
            name=name,
            connect_timeout=2,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
        )
        bus = cls(nc, subjects, replicas)
        await bus.ensure_streams()
        return bus

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.nc.drain()

    async def drop_streams(self) -> None:
        """Delete this namespace's streams and sandbox bucket: for tests and benchmarks that
        run in a namespace of their own, never for a deployment."""
        for stream in (self.subjects.jobs_stream, self.subjects.events_stream,
                       f"KV_{self.subjects.sandbox_bucket}"):
            with contextlib.suppress(Exception):
                await self.js.delete_stream(stream)

    async def ensure_streams(self) -> None:
        """Create the job and event streams, or bring an existing one's settings up to date."""
        s = self.subjects
        await self._ensure_stream(
            StreamConfig(
                name=s.jobs_stream,
                subjects=[s.jobs_all],
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW_S,
                num_replicas=self.replicas,
            )
        )
        await self._ensure_stream(
            StreamConfig(
                name=s.events_stream,
                subjects=[s.events_all],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                max_age=EVENTS_MAX_AGE_S,
                duplicate_window=DUPLICATE_WINDOW_S,
                num_replicas=self.replicas,
            )
        )

    async def _ensure_stream(self, config: StreamConfig) -> None:
        try:
            await self.js.add_stream(config)
        except BadRequestError:
            # Already there (perhaps made by another replica just now): align its settings.
            await self.js.update_stream(config)

    async def ping(self) -> bool:
        if not self.nc.is_connected:
            return False
        try:
            await self.nc.flush(timeout=2)
            return True
        except Exception:
            return False

    # Publishing.

    async def publish_job(self, subject: str, message: Message, msg_id: str) -> bool:
        """Publish a job; returns False when it was a duplicate of one already in the stream.

        A producer span of its own, whose context the job carries: the consumer's ``handle``
        span is its child, in the publisher's trace."""
        with tracer.start_as_current_span(
            f"publish {subject}", kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.operation.type": "send",
                        "messaging.destination.name": subject,
                        **job_attributes(getattr(message, "job_id", None),
                                         getattr(message, "project_id", None),
                                         _kind(subject))},
        ):
            headers = inject_headers({"Nats-Msg-Id": msg_id})
            ack = await self.js.publish(
                subject, message.model_dump_json().encode(), headers=headers, timeout=5
            )
        return not ack.duplicate

    async def publish_event(self, channel: str, payload: Event, msg_id: str | None = None
                            ) -> int:
        """Append an event to a channel (a job's stream, or a project's or a build run's)
        and return its stream sequence.

        Give ``msg_id`` for events that must appear once even if a redelivered job publishes
        them again (``complete``, ``error``, ``file``): the stream drops the duplicate.
        """
        envelope = JobEvent.of(channel, payload)
        headers = inject_headers({"Nats-Msg-Id": msg_id} if msg_id else None)
        ack = await self.js.publish(
            self.subjects.events(channel), envelope.model_dump_json().encode(),
            headers=headers, timeout=5,
        )
        EVENTS_PUBLISHED.labels(payload.event).inc()
        return int(ack.seq)

    async def send_event(self, channel: str, payload: Event, msg_id: str | None = None
                         ) -> asyncio.Future[int]:
        """Put an event on its way without waiting for the stream to take it, and return
        what to await for its sequence (it raises if the stream did not take the event
        within 5 s; left unawaited, a failure is dropped quietly). Whatever is published
        later on this connection is stored after it: the server keeps one connection's
        order. For events a job sends on its way to slower work (the model call), so the
        round trip overlaps that work."""
        envelope = JobEvent.of(channel, payload)
        headers = inject_headers({"Nats-Msg-Id": msg_id} if msg_id else None)
        ack = await self.js.publish_async(self.subjects.events(channel),
                                          envelope.model_dump_json().encode(), headers=headers)
        EVENTS_PUBLISHED.labels(payload.event).inc()

        async def stored() -> int:
            return int((await asyncio.wait_for(ack, 5)).seq)

        task = asyncio.ensure_future(stored())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    async def last_event(self, channel: str) -> JobEvent | None:
        """The last event on a channel (None when it has none, or it is unreadable)."""
        try:
            msg = await self.js.get_last_msg(self.subjects.events_stream,
                                             self.subjects.events(channel))
        except NotFoundError:
            return None
        try:
            return JobEvent.model_validate_json(msg.data or b"")
        except ValueError:
            return None

    # Core request/reply, outside the streams: for questions any replica can answer now.

    async def cancel(self, job_id: str) -> None:
        """Tell every worker to stop ``job_id`` if it is running it (at most once: a worker
        that is not running it ignores this, and a later delivery finds the job ended)."""
        await self.nc.publish(self.subjects.cancel, json.dumps({"job_id": job_id}).encode())

    async def request(self, subject: str, message: Message, reply: type[R], *,
                      timeout: float,
                      keep_waiting: Callable[[], Awaitable[bool]] | None = None) -> R:
        """Ask whoever serves ``subject`` and return its answer as ``reply``.

        Raises ``TimeoutError`` at once when nobody serves the subject, and when no answer
        came within ``timeout``; with ``keep_waiting``, only once it returns False (it is
        asked after each ``timeout`` without an answer).
        """
        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(inbox, max_msgs=1)
        try:
            await self.nc.publish(subject, message.model_dump_json().encode(), reply=inbox,
                                  headers=inject_headers({}))
            while True:
                try:
                    answer = await sub.next_msg(timeout=timeout)
                except NatsTimeoutError:
                    if keep_waiting is None or not await keep_waiting():
                        raise TimeoutError(f"no answer on {subject}") from None
                    continue
                # The server's own answer when nobody listens on the subject.
                if not answer.data and (answer.headers or {}).get("Status") == "503":
                    raise TimeoutError(f"nobody answers on {subject}")
                break
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        return reply.model_validate_json(answer.data)

    async def serve(self, subject: str, model: type[M],
                    answer: Callable[[M], Awaitable[Message]],
                    queue: str | None = None) -> Callable[[], Awaitable[None]]:
        """Answer requests on ``subject`` (one member of ``queue`` answers each), each in its
        own task, continuing the asker's trace; returns what stops serving."""
        tasks: set[asyncio.Task[None]] = set()

        async def respond(msg: Msg) -> None:
            token = otel_context.attach(extract_context(dict(msg.headers or {})))
            try:
                with tracer.start_as_current_span(f"serve {subject}",
                                                  kind=trace.SpanKind.SERVER):
                    result = await answer(model.model_validate_json(msg.data))
                if msg.reply:
                    await self.nc.publish(msg.reply, result.model_dump_json().encode())
            except Exception:
                log.exception("answering a request on %s failed", subject)
            finally:
                otel_context.detach(token)

        async def on_message(msg: Msg) -> None:
            task = asyncio.create_task(respond(msg))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        sub = await self.nc.subscribe(subject, queue=queue or "", cb=on_message)

        async def stop() -> None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            for task in list(tasks):
                task.cancel()

        return stop

    # Reading a job's events.

    async def job_events(
        self, job_id: str, after_seq: int = 0
    ) -> AsyncGenerator[tuple[int, JobEvent], None]:
        """Every event of a job after ``after_seq``, then live ones as they are published.

        The caller stops iterating (it is an infinite stream); the ephemeral consumer is
        removed in ``finally``. (Events carry the publisher's trace context too, but a span
        for each would bury a job's trace in streamed chunks: the relay has one span.)
        """
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if after_seq else DeliverPolicy.ALL,
            opt_start_seq=after_seq + 1 if after_seq else None,
            inactive_threshold=60.0,
        )
        sub = await self.js.subscribe(
            self.subjects.events(job_id),
            stream=self.subjects.events_stream,
            ordered_consumer=True,
            config=config,
        )
        try:
            async for msg in sub.messages:
                seq = int(msg.metadata.sequence.stream)
                try:
                    yield seq, JobEvent.model_validate_json(msg.data)
                except ValueError:
                    log.warning("skipping malformed event at seq %d on %s", seq, msg.subject)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    # Consuming jobs.

    async def run_consumer(
        self,
        service: str,
        handler: Handler,
        on_failure: FailureHook,
        stop: asyncio.Event,
        options: ConsumerOptions | None = None,
    ) -> None:
        """Take this service's jobs until ``stop`` is set, then drain in-flight ones."""
        opts = options or ConsumerOptions()
        stream = self.subjects.jobs_stream
        psub = await self.js.pull_subscribe(
            self.subjects.service_filter(service),
            durable=service,
            stream=stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=opts.ack_wait,
                max_deliver=opts.max_deliver,
                max_ack_pending=max(opts.concurrency * 4, 64),
            ),
        )
        advisory = await self._watch_max_deliveries(service, on_failure)
        slots = asyncio.Semaphore(opts.concurrency)
        in_flight: set[asyncio.Task[None]] = set()
        running: dict[str, asyncio.Task[None]] = {}
        cancelled: set[str] = set()

        async def on_cancel(msg: Msg) -> None:
            job_id = _job_id(msg.data)
            task = running.get(job_id) if job_id else None
            if task is not None and job_id is not None:
                log.info("job %s cancelled by request; stopping it", job_id)
                cancelled.add(job_id)
                task.cancel()

        def _forget(job_id: str, _task: asyncio.Task[None]) -> None:
            running.pop(job_id, None)
            cancelled.discard(job_id)

        canceller = await self.nc.subscribe(self.subjects.cancel, cb=on_cancel)
        try:
            while not stop.is_set():
                # Wait for one free slot, then take every other free one: one fetch asks for
                # as many jobs as can start now (one round trip per batch, not per job).
                await slots.acquire()
                free = 1
                while free < opts.concurrency and not slots.locked():
                    await slots.acquire()
                    free += 1
                if stop.is_set():
                    for _ in range(free):
                        slots.release()
                    break
                try:
                    # As many as are free: the server answers as soon as it has one job for
                    # the request and none more waiting (a lone job is not held back).
                    msgs = await psub.fetch(batch=free, timeout=opts.fetch_wait)
                except TimeoutError:
                    # Nothing to take (nats-py raises its own TimeoutError for a fetch of one,
                    # asyncio's for a batch: both are this).
                    msgs = []
                except Exception as exc:  # connection trouble: the client reconnects
                    log.warning("fetch failed: %s", exc)
                    msgs = []
                    await asyncio.sleep(0.5)
                for _ in range(free - len(msgs)):
                    slots.release()
                for msg in msgs:
                    job_id, project_id = _job_ids(msg.data)
                    task = asyncio.create_task(self._handle(
                        service, msg, handler, on_failure, opts, cancelled,
                        job_id=job_id, project_id=project_id))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    task.add_done_callback(lambda _t: slots.release())
                    if job_id is not None:
                        running[job_id] = task
                        task.add_done_callback(functools.partial(_forget, job_id))
        finally:
            if in_flight:
                log.info("draining %d in-flight job(s)", len(in_flight))
                _done, pending = await asyncio.wait(in_flight, timeout=opts.drain_timeout)
                for task in pending:
                    task.cancel()
            for sub in (advisory, canceller, psub):
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def _handle(
        self, service: str, msg: Msg, handler: Handler, on_failure: FailureHook,
        opts: ConsumerOptions, cancelled: set[str] | None = None, *,
        job_id: str | None = None, project_id: str | None = None,
    ) -> None:
        """Run one delivery: ``job_id`` and ``project_id`` are the message's own, read once by
        the caller (a job message is parsed here only by its handler)."""
        headers = dict(msg.headers or {})
        delivery = Delivery(
            subject=msg.subject,
            data=msg.data,
            headers=headers,
            attempt=int(msg.metadata.num_delivered),
            max_deliver=opts.max_deliver,
            msg=msg,
        )
        token = otel_context.attach(extract_context(headers))
        named = job_attributes(job_id, project_id, _kind(msg.subject))
        scope = bind_job(job_id, project_id, _kind(msg.subject))
        heartbeat = asyncio.create_task(_keep_in_progress(msg, opts.ack_wait / 3))
        JOBS_IN_FLIGHT.labels(service).inc()
        if delivery.attempt > 1:
            JOB_REDELIVERIES.labels(service, msg.subject).inc()
        started = time.perf_counter()
        outcome = "ok"
        try:
            with tracer.start_as_current_span(
                f"handle {msg.subject}",
                kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.system": "nats", "messaging.operation.type": "process",
                            "messaging.destination.name": msg.subject,
                            "paynto.attempt": delivery.attempt, **named},
            ):
                await handler(delivery)
            await msg.ack_sync(timeout=5)
        except asyncio.CancelledError:
            if cancelled is not None and job_id in cancelled:
                # Stopped by its owner: whoever cancelled it recorded that; it is done here.
                outcome = "cancelled"
                with contextlib.suppress(Exception):
                    await msg.ack_sync(timeout=5)
                return
            # Shutting down mid-job: let another replica take it straight away.
            outcome = "interrupted"
            with contextlib.suppress(Exception):
                await msg.nak()
            raise
        except PermanentJobError as exc:
            outcome = "failed"
            log.warning("job on %s failed for good: %s", msg.subject, exc)
            await self._fail(msg, on_failure, str(exc))
        except Exception as exc:
            if delivery.is_last_attempt:
                outcome = "failed"
                DEAD_LETTERS.labels(service, msg.subject).inc()
                log.exception("job on %s failed on its last attempt", msg.subject)
                reason = f"gave up after {delivery.attempt} attempts: {exc}"
                await self._fail(msg, on_failure, reason)
            else:
                outcome = "retry"
                delay = opts.backoff[min(delivery.attempt - 1, len(opts.backoff) - 1)]
                log.warning(
                    "job on %s failed (attempt %d), retrying in %.1fs: %s",
                    msg.subject, delivery.attempt, delay, exc,
                )
                with contextlib.suppress(Exception):
                    await msg.nak(delay=delay)
        finally:
            heartbeat.cancel()
            unbind_job(scope)
            otel_context.detach(token)
            JOBS_IN_FLIGHT.labels(service).dec()
            JOB_SECONDS.labels(service, msg.subject).observe(time.perf_counter() - started)
            JOBS_HANDLED.labels(service, msg.subject, outcome).inc()

    async def _fail(self, msg: Msg, on_failure: FailureHook, reason: str) -> None:
        # Record the failure first: if that raises, the job is redelivered rather than lost.
        await on_failure(msg.data, reason)
        with contextlib.suppress(Exception):
            await msg.term()
        # A terminated message stays in a work-queue stream: remove it, its failure is recorded.
        with contextlib.suppress(Exception):
            await self.js.delete_msg(self.subjects.jobs_stream, msg.metadata.sequence.stream)

    async def _watch_max_deliveries(self, service: str, on_failure: FailureHook) -> Any:
        """Fail visibly a job whose last delivery died with its process."""
        stream = self.subjects.jobs_stream
        subject = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{service}"

        async def on_advisory(msg: Msg) -> None:
            try:
                seq = int(json.loads(msg.data)["stream_seq"])
                stored = await self.js.get_msg(stream, seq)
            except (NotFoundError, KeyError, ValueError):
                return  # already handled by the replica that terminated it
            except Exception as exc:
                log.warning("could not read dead job: %s", exc)
                return
            DEAD_LETTERS.labels(service, stored.subject or "unknown").inc()
            await on_failure(stored.data or b"", "the worker handling it stopped too many times")
            with contextlib.suppress(Exception):
                await self.js.delete_msg(stream, seq)

        # A queue group: one replica of the service handles each advisory.
        return await self.nc.subscribe(subject, queue=f"{service}-dlq", cb=on_advisory)


def _kind(subject: str) -> str:
    """A job's kind as its subject names it (``apply`` for ``jobs.sandbox.apply``)."""
    return subject.rsplit(".", 1)[-1]


def _fields(data: bytes) -> dict[str, Any] | None:
    """A job message's top-level fields, or None when it is no JSON object. Anything a
    publisher sent may arrive here, a document nested too deep to parse included (the JSON
    decoder raises RecursionError for it): none of it may take the consumer down."""
    try:
        fields = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return fields if isinstance(fields, dict) else None


def _job_ids(data: bytes) -> tuple[str | None, str | None]:
    """The ``job_id`` and ``project_id`` of a job message (None for one it lacks)."""
    fields = _fields(data) or {}
    job_id, project_id = fields.get("job_id"), fields.get("project_id")
    return (job_id if isinstance(job_id, str) else None,
            project_id if isinstance(project_id, str) else None)


def _job_id(data: bytes) -> str | None:
    """The ``job_id`` of a job message, or None when it has none."""
    return _job_ids(data)[0]


async def _keep_in_progress(msg: Msg, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):
            await msg.in_progress()
