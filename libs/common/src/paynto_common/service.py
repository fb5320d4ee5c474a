"""What every worker service shares: start-up, the health server, the consumer, shutdown.

A worker is ``Bus`` + ``Database`` + a handler. Shutdown is a signal → an event → drain: stop
fetching, let in-flight jobs finish (or nak them), then close connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route as HttpRoute

from paynto_common.bus import Bus, ConsumerOptions, Handler, Route, Router
from paynto_common.db import Database, JobStatus
from paynto_common.messages import (
    TERMINAL_EVENTS,
    Completed,
    Event,
    JobCancelled,
    JobFailed,
    JobMessage,
    Subjects,
)
from paynto_common.metrics import CONSUMER_ACK_PENDING, CONSUMER_PENDING
from paynto_common.settings import CommonSettings, configure_logging
from paynto_common.telemetry import setup_tracing

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[bool]]
# Told when one of the service's jobs failed for good, after its row and stream say so:
# (database, bus, job id, reason). A feature hooks in here (a ticket's job failing fails the
# ticket); the worker runtime itself knows no feature.
FailureHook = Callable[[Database, Bus, str, str], Awaitable[None]]


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server run inside a process that owns its signals (uvicorn would take over
    SIGINT/SIGTERM for itself, and the worker's drain would never start)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def readiness(checks: dict[str, ReadyCheck]) -> JSONResponse:
    """The ``/readyz`` answer every service gives: 200 when each dependency answers, else 503
    naming those that do not (``down``)."""
    results = {name: await check() for name, check in checks.items()}
    down = [name for name, ok in results.items() if not ok]
    return JSONResponse({"ready": not down, "checks": results, "down": down},
                        status_code=503 if down else 200)


def metrics_response() -> Response:
    """This process's Prometheus metrics, as ``/metrics`` serves them."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def refresh_consumer_gauges(bus: Bus, service: str) -> None:
    """Read the service's durable consumer (jobs waiting for it, jobs delivered and not yet
    acknowledged) into its gauges; left as they were when NATS does not answer in time."""
    try:
        info = await asyncio.wait_for(
            bus.js.consumer_info(bus.subjects.jobs_stream, service), timeout=2)
    except Exception as exc:
        log.debug("could not read consumer %s: %s", service, exc)
        return
    CONSUMER_PENDING.labels(service).set(info.num_pending or 0)
    CONSUMER_ACK_PENDING.labels(service).set(info.num_ack_pending or 0)


def health_app(checks: dict[str, ReadyCheck],
               before_scrape: Callable[[], Awaitable[None]] | None = None) -> Starlette:
    """``/healthz`` (alive), ``/readyz`` (every dependency answers) and ``/metrics``
    (``before_scrape`` first brings the gauges read from elsewhere up to date)."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        return await readiness(checks)

    async def metrics(_: Request) -> Response:
        if before_scrape is not None:
            await before_scrape()
        return metrics_response()

    return Starlette(
        routes=[HttpRoute("/healthz", healthz), HttpRoute("/readyz", readyz),
                HttpRoute("/metrics", metrics)]
    )


async def record_failure(bus: Bus, db: Database, data: bytes, reason: str,
                         hooks: Sequence[FailureHook] = ()) -> None:
    """Fail a job visibly: its row says error and its stream ends with an ``error`` event;
    then each hook is told."""
    try:
        job = JobMessage.model_validate_json(data)
    except ValueError:
        log.error("dropping an unreadable job message (%d bytes): %s", len(data), reason)
        return
    row = await db.set_job_status(job.job_id, JobStatus.ERROR, error=reason)
    if row is not None and row.status == JobStatus.COMPLETE:
        return  # it finished after all; never follow "complete" with "error"
    await bus.publish_event(job.job_id, JobFailed(message=reason), msg_id=f"error:{job.job_id}")
    for hook in hooks:
        await hook(db, bus, job.job_id, reason)


async def end_stream(bus: Bus, db: Database, job_id: str,
                     completed: type[Completed] = Completed) -> bool:
    """Called when a delivery finds its job already ended (its claim answered None): make its
    stream end too. A worker that died between ending the row and publishing the end, or a bus
    that failed just then, leaves every client following the job waiting for an end that
    never comes; the row says how it ended, so that is published (``completed`` reads the
    row's stored result; under the id the first publish used, so the stream drops it if that
    got through after all). True when the end had to be published."""
    job = await db.job(job_id)
    if job is None or job.status not in JobStatus.TERMINAL:
        return False
    last = await bus.last_event(job_id)
    if last is not None and last.event in TERMINAL_EVENTS:
        return False
    payload: Event
    if job.status == JobStatus.COMPLETE:
        try:
            payload = completed.model_validate(job.result or {})
        except ValidationError:
            payload = Completed()
        msg_id = f"complete:{job_id}:"
    elif job.status == JobStatus.ERROR:
        payload, msg_id = JobFailed(message=job.error or "the job failed"), f"error:{job_id}"
    else:
        payload, msg_id = JobCancelled(), f"cancelled:{job_id}"
    log.warning("job %s ended %s but its stream did not: publishing its end from the row",
                job_id, job.status)
    await bus.publish_event(job_id, payload, msg_id=msg_id)
    return True


class Worker:
    """Runs one service's consumer with its health server until a signal arrives."""

    def __init__(self, settings: CommonSettings, service: str,
                 options: ConsumerOptions | None = None,
                 on_failure: Sequence[FailureHook] = ()) -> None:
        self.settings = settings
        self.service = service
        self.options = options or ConsumerOptions()
        self.on_failure = list(on_failure)
        self.stop = asyncio.Event()
        self.bus: Bus | None = None
        self.db: Database | None = None

    async def start(self) -> tuple[Bus, Database]:
        configure_logging(self.settings.log_level, self.settings.log_format, self.service)
        self.settings.log_summary()
        setup_tracing(self.service, self.settings)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.settings.resolved_database_url())
        await self.db.migrate()
        self.bus = await Bus.connect(
            self.settings.nats_url, Subjects(self.settings.bus_namespace), name=self.service,
            replicas=self.settings.jetstream_replicas,
        )
        return self.bus, self.db

    async def run(self, routes: dict[str, Route[Any]] | Handler,
                  on_stop: Sequence[Callable[[], Awaitable[None]]] = ()) -> None:
        """Consume the service's jobs (``{subject: Route(model, handler)}``) until
        SIGINT/SIGTERM, serving health and metrics meanwhile. Once in-flight jobs drained,
        ``on_stop`` runs in order while the bus and database are still open (to hand back
        what the service holds, such as sandboxes and their leases); then both close."""
        handler = Router(routes) if isinstance(routes, dict) else routes
        bus, db = (self.bus, self.db) if self.bus and self.db else await self.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stop.set)
        checks: dict[str, ReadyCheck] = {"nats": bus.ping, "database": db.ping}

        async def consumer_gauges() -> None:
            await refresh_consumer_gauges(bus, self.service)

        server = EmbeddedServer(
            uvicorn.Config(
                health_app(checks, consumer_gauges), host=self.settings.health_host,
                port=self.settings.health_port, log_level="warning", lifespan="off",
                log_config=None,  # uvicorn's records go through the service's own handler
            )
        )
        health = asyncio.create_task(server.serve())

        async def on_failure(data: bytes, reason: str) -> None:
            await record_failure(bus, db, data, reason, self.on_failure)

        log.info("%s consuming %s", self.service, bus.subjects.service_filter(self.service))
        try:
            await bus.run_consumer(self.service, handler, on_failure, self.stop, self.options)
        finally:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await health
            for stop in on_stop:
                try:
                    await stop()
                except Exception:
                    log.exception("stopping %s", self.service)
            await bus.close()
            await db.close()
            log.info("%s stopped", self.service)
