"""Wiring of a batch worker: a dramatiq worker on the Redis broker, taking batch items from
``paynto_common.batches.QUEUE`` (one message an item) and working each with
:class:`~batch_worker.pipeline.Pipeline`; and the health server every service has.

dramatiq runs the async actor on its AsyncIO middleware's event loop (a thread of its own);
the pipeline opens the bus and the database there. Retries are dramatiq's, with exponential
backoff between ``BATCH_RETRY_MIN_BACKOFF_MS`` and ``BATCH_RETRY_MAX_BACKOFF_MS``; the item's
row counts the attempts and decides when to stop. A worker that dies leaves its messages to
the broker's heartbeat: another worker takes them after ``BATCH_HEARTBEAT_TIMEOUT_MS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal

import dramatiq
import uvicorn
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO

from batch_worker.pipeline import Pipeline
from batch_worker.settings import BatchSettings
from paynto_common import batches
from paynto_common.db import Database
from paynto_common.runtime import port_answers, url_host_port
from paynto_common.service import EmbeddedServer, ReadyCheck, health_app
from paynto_common.settings import configure_logging
from paynto_common.telemetry import setup_tracing

log = logging.getLogger(__name__)


def make_broker(settings: BatchSettings) -> RedisBroker:
    broker = batches.redis_broker(
        settings.redis_url, settings.bus_namespace,
        heartbeat_timeout=settings.batch_heartbeat_timeout_ms,
        maintenance_chance=settings.batch_maintenance_chance)
    broker.add_middleware(AsyncIO())
    return broker


def declare(broker: RedisBroker, pipeline: Pipeline, settings: BatchSettings) -> None:
    """The clone actor on ``broker``: one message an item."""

    async def clone_site(item_id: str) -> None:
        await pipeline.work(item_id)

    dramatiq.actor(
        broker=broker, actor_name=batches.CLONE_ACTOR, queue_name=batches.QUEUE,
        # The row counts attempts; this only bounds a message that keeps failing otherwise.
        max_retries=settings.batch_max_attempts + 5,
        min_backoff=settings.batch_retry_min_backoff_ms,
        max_backoff=settings.batch_retry_max_backoff_ms,
        time_limit=int(settings.batch_job_timeout_seconds * 3 * 1000),
    )(clone_site)


async def nats_answers(settings: BatchSettings, pipeline: Pipeline) -> bool:
    """Whether NATS answers: the pipeline's connection once it opened one (on dramatiq's
    loop, so only its state is read here), else whether the server takes connections."""
    if pipeline.bus is not None:
        return bool(pipeline.bus.nc.is_connected)
    return await asyncio.to_thread(port_answers, *url_host_port(settings.nats_url, 4222))


async def run(settings: BatchSettings) -> None:
    """Work batch items until a signal arrives."""
    configure_logging(settings.log_level, settings.log_format, settings.service_name)
    settings.log_summary()
    setup_tracing(settings.service_name, settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    await db.migrate()
    broker = make_broker(settings)
    pipeline = Pipeline(settings, broker)
    declare(broker, pipeline, settings)
    worker = dramatiq.Worker(broker, worker_threads=settings.batch_concurrency,
                             worker_timeout=500)
    worker.start()
    log.info("batch worker taking %s (%d at once)", batches.QUEUE, settings.batch_concurrency)

    async def redis_answers() -> bool:
        try:
            return bool(await asyncio.to_thread(broker.client.ping))
        except Exception:
            return False

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    checks: dict[str, ReadyCheck] = {"redis": redis_answers, "database": db.ping,
                                     "nats": functools.partial(nats_answers, settings, pipeline)}
    server = EmbeddedServer(uvicorn.Config(
        health_app(checks), host=settings.health_host,
        port=settings.health_port, log_level="warning", lifespan="off", log_config=None))
    health = asyncio.create_task(server.serve())
    try:
        await stop.wait()
    finally:
        log.info("batch worker stopping: items in progress finish or go back to the queue")
        thread = get_event_loop_thread()
        if thread is not None:
            with contextlib.suppress(Exception):
                thread.run_coroutine(pipeline.close())
        await asyncio.to_thread(worker.stop, 30_000)
        server.should_exit = True
        with contextlib.suppress(Exception):
            await health
        await db.close()
        log.info("batch worker stopped")
