"""One URL of a batch, from clone to export: the steps run the system's own jobs on the bus.

1. **clone**: a ``clone`` job (the scraper reads the site, the generator writes the copy,
   the sandbox pool applies it) in a new project of the batch's user;
2. **build**: a ``build`` job proves the copy builds for production (``vite build``), when
   the batch asks for it;
3. **export**: the project's zip (and, once git sync exists, a push).

The item's row is the record. A delivery reads where the row is and goes on from there: a
job already started is followed, not started again, so a worker that died mid-item (its
message delivered again) and a message delivered twice never clone a site twice. A clone
that fails for a reason that may pass (the site answered 5xx, a model error, a timeout) is
tried again with backoff up to ``BATCH_MAX_ATTEMPTS``, each failure kept on the row; one
that cannot pass (a refused URL, robots.txt, a 4xx page) fails at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dramatiq.brokers.redis import RedisBroker
from dramatiq.rate_limits import WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend
from opentelemetry import trace
from sqlmodel import col, update

from batch_worker.settings import BatchSettings
from paynto_common import batches
from paynto_common.bus import Bus
from paynto_common.db import (
    Batch,
    BatchItem,
    BatchStatus,
    Database,
    ItemStatus,
    Job,
    JobStatus,
    Project,
    new_id,
    utcnow,
)
from paynto_common.messages import (
    JOB_KINDS,
    TERMINAL_EVENTS,
    BuildRequest,
    CloneRequest,
    JobCancelled,
    JobMessage,
    JobStarted,
    Subjects,
)
from paynto_common.metrics import BATCH_ITEMS
from paynto_common.telemetry import job_attributes, traced

log = logging.getLogger(__name__)

# A clone failing with one of these says the same on every try.
PERMANENT = ("may not be read", "robots.txt", " answered 4", "unknown ", "budget",
             "cancelled")
# Failures of the worker itself an item survives before it fails.
INTERNAL_TRIES = 3
# How long an item waits before it asks again for its site's turn.
DOMAIN_WAIT_MS = 2_000


class TryAgain(Exception):
    """This attempt failed in a way that may pass: dramatiq delivers the item again later
    (with backoff)."""


@dataclass
class JobEnd:
    event: str
    data: dict[str, Any]
    # A clone's ``scrape`` event, when its stream had one.
    scraped: dict[str, Any] | None = None


def site_of(url: str) -> str:
    """What the per-site limits count by: the host (and port, when it names one)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}:{parts.port}" if parts.port else host


# Take a slot of a site: drop the slots whose lease ran out (their worker died), then hold
# one if fewer than the limit are held (or this item holds one already).
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class SiteSlots:
    """At most ``limit`` items of one site worked at once, across every worker: a sorted set
    in Redis of the items holding a slot, each with a lease its worker renews while it works.
    A worker that dies leaves its slots to run out within one lease (not to be held for
    good), so the items it held are taken up again by others."""

    LEASE_MS = 30_000

    def __init__(self, client: Any, key: str, limit: int) -> None:
        self.client = client
        self.key = key
        self.limit = limit
        self._take = client.register_script(_TAKE)

    def _now(self) -> int:
        seconds, micros = self.client.time()
        return int(seconds) * 1000 + int(micros) // 1000

    def _take_now(self, item_id: str) -> bool:
        now = self._now()
        return bool(self._take(keys=[self.key], args=[
            now, now + self.LEASE_MS, item_id, self.limit, self.LEASE_MS * 4]))

    async def take(self, item_id: str) -> bool:
        return await asyncio.to_thread(self._take_now, item_id)

    async def keep(self, item_id: str) -> None:
        """Renew the item's lease until cancelled."""
        while True:
            await asyncio.sleep(self.LEASE_MS / 3000)
            await asyncio.to_thread(self._take_now, item_id)

    async def give_back(self, item_id: str) -> None:
        await asyncio.to_thread(self.client.zrem, self.key, item_id)


class Pipeline:
    """Works batch items, on the event loop of dramatiq's AsyncIO middleware (the bus and
    database are opened there, on first use)."""

    def __init__(self, settings: BatchSettings, broker: RedisBroker) -> None:
        self.settings = settings
        self.broker = broker
        self.bus: Bus | None = None
        self.db: Database | None = None
        self._opening: asyncio.Lock | None = None
        self._limits = RedisBackend(client=broker.client)
        self._keys = broker.namespace

    async def open(self) -> tuple[Bus, Database]:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self.bus is None or self.db is None:
                self.db = Database(self.settings.resolved_database_url())
                self.bus = await Bus.connect(
                    self.settings.nats_url, Subjects(self.settings.bus_namespace),
                    name="batch-worker", replicas=self.settings.jetstream_replicas)
        return self.bus, self.db

    async def close(self) -> None:
        if self.bus is not None:
            await self.bus.close()
        if self.db is not None:
            await self.db.close()

    # --- one item ---------------------------------------------------------------------------

    async def work(self, item_id: str) -> None:
        bus, db = await self.open()
        item, batch = await self._load(db, item_id)
        if item is None or batch is None or item.status in ItemStatus.TERMINAL:
            return  # deleted, or already ended: a late or repeated delivery
        if batch.status == BatchStatus.CANCELLED:
            await self._end(bus, db, item, ItemStatus.CANCELLED, "the batch was cancelled")
            return
        if batch.status == BatchStatus.PAUSED:
            await self._update(bus, db, item, status=ItemStatus.QUEUED)
            return  # resuming the batch queues it again
        site = site_of(item.url)
        slots = SiteSlots(self.broker.client, f"{self._keys}:site:{site}",
                          self.settings.batch_domain_concurrency)
        if not await slots.take(item.id) or (item.job_id is None and not self._may_start(site)):
            # Its site is busy with other items: ask again in a moment (not an attempt).
            await asyncio.to_thread(batches.enqueue, self.broker, [item.id], DOMAIN_WAIT_MS)
            return
        keeping = asyncio.create_task(slots.keep(item.id))
        try:
            await self._pipeline(bus, db, item, batch)
        except TryAgain:
            raise
        except Exception as exc:
            await self._broken(bus, db, item, exc)
        finally:
            keeping.cancel()
            await slots.give_back(item.id)

    async def _broken(self, bus: Bus, db: Database, item: BatchItem, exc: Exception) -> None:
        """Our own failure (the database, the bus), not the site's: tried again a few times,
        each kept on the row, then the item fails saying so; never left hanging."""
        log.exception("batch %s item %d failed inside the worker", item.batch_id,
                      item.position)
        reason = f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
        fresh, _batch = await self._load(db, item.id)
        item = fresh or item
        item.failures = [*item.failures, reason]
        if sum(f.startswith("internal error") for f in item.failures) >= INTERNAL_TRIES:
            await self._end(bus, db, item, ItemStatus.FAILED, reason)
            return
        await self._update(bus, db, item, status=ItemStatus.RETRYING, error=reason)
        raise TryAgain(reason) from exc

    def _may_start(self, site: str) -> bool:
        window = WindowRateLimiter(self._limits, f"{self._keys}:rate:{site}",
                                   limit=self.settings.batch_domain_per_minute, window=60)
        with window.acquire(raise_on_failure=False) as allowed:
            return bool(allowed)

    @traced("batch item")
    async def _pipeline(self, bus: Bus, db: Database, item: BatchItem, batch: Batch) -> None:
        # One trace an item's delivery: its clone and build jobs are spans under it.
        trace.get_current_span().set_attributes({
            "paynto.batch_id": item.batch_id, "paynto.batch.position": item.position,
            "paynto.batch.attempt": item.attempts + 1,
            **job_attributes(item.job_id, item.project_id)})
        if item.started_at is None:
            item.started_at = utcnow()
        await self._update(bus, db, item, status=ItemStatus.RUNNING, step="clone")
        clone = await self._clone(bus, db, item, batch)
        if clone is None:
            return
        # A new dict each time: the JSON column notices assignment, not changes in place.
        result = {"version": clone.data.get("version"),
                  "preview_url": clone.data.get("preview_url"),
                  "files": len(clone.data.get("files", []))}
        if clone.scraped:
            result |= {key: clone.scraped.get(key) for key in (
                "title", "palette", "screenshot_url", "pages")}
        item.result = {**item.result, **result}
        if batch.build_check:
            if not await self._build(bus, db, item, batch):
                return
        await self._update(bus, db, item, step="export")
        item.result = {**item.result, "zip_url": f"/api/projects/{item.project_id}/zip"}
        await self._end(bus, db, item, ItemStatus.DONE)

    @traced("batch clone")
    async def _clone(self, bus: Bus, db: Database, item: BatchItem,
                     batch: Batch) -> JobEnd | None:
        """The item's clone job to its end (started here unless a delivery before did);
        its ``complete`` event, or None once the item has ended otherwise."""
        job = await self._job(db, item.job_id)
        if job is None or job.status in (JobStatus.ERROR, JobStatus.CANCELLED):
            # None started yet, or the last attempt's failed: this delivery is the next one.
            job = await self._start_clone(bus, db, item, batch)
        end = await self._follow(bus, db, job.id)
        if end.event == "complete":
            return end
        reason = str(end.data.get("message") or end.data.get("by") or end.event)
        if end.event == "cancelled":
            await self._end(bus, db, item, ItemStatus.CANCELLED, f"cancelled: {reason}")
            return None
        await self._failed(bus, db, item, reason)
        return None

    async def _start_clone(self, bus: Bus, db: Database, item: BatchItem,
                           batch: Batch) -> Job:
        """A clone job for the item's next attempt, in its project (made on the first). Two
        deliveries of one item racing here start one job: the row changes only if it still
        names the job this delivery saw; the other follows the job the winner started."""
        seen = item.job_id
        message = CloneRequest(job_id=new_id(), project_id=item.project_id or new_id(),
                               user_id=batch.user_id, url=item.url, model=batch.model,
                               prompt=batch.prompt, pages=batch.pages)
        async with db.session() as s:
            claimed = await s.exec(
                update(BatchItem)
                .where(col(BatchItem.id) == item.id,
                       col(BatchItem.job_id) == seen if seen else col(BatchItem.job_id).is_(None))
                .values(job_id=message.job_id, project_id=message.project_id,
                        attempts=col(BatchItem.attempts) + 1, updated_at=utcnow()))
            if claimed.rowcount != 1:
                await s.rollback()
                fresh = await s.get(BatchItem, item.id)
                job = await db.job(fresh.job_id) if fresh and fresh.job_id else None
                if job is None:
                    raise TryAgain(f"item {item.id} changed under this delivery")
                return job
            if item.project_id is None:
                s.add(Project(id=message.project_id, owner_id=batch.user_id,
                              name=f"Clone of {site_of(item.url) or item.url}"[:200]))
                await s.flush()  # before the job that names it
            job = Job(id=message.job_id, project_id=message.project_id, kind="clone",
                      prompt=batch.prompt or f"Clone {item.url}", model=batch.model,
                      user_id=batch.user_id)
            s.add(job)
            await s.commit()
        item.job_id, item.project_id = message.job_id, message.project_id
        item.attempts += 1
        await self._publish(bus, "clone", message)
        await batches.publish_item(bus, item)
        log.info("batch %s item %d: clone attempt %d (job %s)", item.batch_id, item.position,
                 item.attempts, job.id)
        return job

    @traced("batch build")
    async def _build(self, bus: Bus, db: Database, item: BatchItem, batch: Batch) -> bool:
        await self._update(bus, db, item, step="build")
        job = await self._job(db, item.build_job_id)
        if job is None:
            assert item.project_id is not None
            message = BuildRequest(job_id=new_id(), project_id=item.project_id,
                                   user_id=batch.user_id, version=item.result.get("version"))
            async with db.session() as s:
                job = Job(id=message.job_id, project_id=item.project_id, kind="build",
                          user_id=batch.user_id)
                s.add(job)
                item.build_job_id = job.id
                s.add(item)
                await s.commit()
            await self._publish(bus, "build", message)
        end = await self._follow(bus, db, job.id)
        if end.event != "complete":
            await self._end(bus, db, item, ItemStatus.FAILED,
                            f"the build check did not run: {end.data.get('message', end.event)}")
            return False
        item.result = {**item.result, "build_ok": bool(end.data.get("ok")),
                       "build_seconds": end.data.get("seconds")}
        if not end.data.get("ok"):
            tail = str(end.data.get("output", "")).strip().splitlines()[-1:] or ["no output"]
            await self._end(bus, db, item, ItemStatus.FAILED,
                            f"the copy does not build (vite build): {tail[0]}")
            return False
        return True

    # --- jobs on the bus --------------------------------------------------------------------

    async def _publish(self, bus: Bus, kind: str, message: JobMessage) -> None:
        await bus.publish_event(message.job_id, JobStarted(job_id=message.job_id),
                                msg_id=f"job:{message.job_id}")
        await bus.publish_job(JOB_KINDS[kind].subject(bus.subjects), message,
                              msg_id=message.job_id)

    async def _follow(self, bus: Bus, db: Database, job_id: str) -> JobEnd:
        """The job's end, read from its stream (from its start: a job that ended while no
        worker watched is seen at once). A job taking longer than the setting is cancelled
        and counts as failed."""
        try:
            async with asyncio.timeout(self.settings.batch_job_timeout_seconds):
                scraped: dict[str, Any] | None = None
                async with contextlib.aclosing(bus.job_events(job_id)) as events:
                    async for _seq, event in events:
                        if event.event == "scrape":
                            scraped = event.data
                        if event.event in TERMINAL_EVENTS:
                            return JobEnd(event.event, event.data, scraped)
        except TimeoutError:
            pass
        stopped = await db.set_job_status(job_id, JobStatus.CANCELLED,
                                          error="the batch gave up waiting")
        if stopped is not None and stopped.status == JobStatus.CANCELLED:
            await bus.publish_event(job_id, JobCancelled(by="batch"),
                                    msg_id=f"cancelled:{job_id}")
            await bus.cancel(job_id)
        limit = self.settings.batch_job_timeout_seconds
        return JobEnd("error", {"message": f"no end within {limit:g} s"})

    # --- the row ----------------------------------------------------------------------------

    async def _failed(self, bus: Bus, db: Database, item: BatchItem, reason: str) -> None:
        item.failures = [*item.failures, f"attempt {item.attempts}: {reason}"]
        permanent = any(mark in reason for mark in PERMANENT)
        if permanent or item.attempts >= self.settings.batch_max_attempts:
            await self._end(bus, db, item, ItemStatus.FAILED, reason)
            return
        await self._update(bus, db, item, status=ItemStatus.RETRYING, error=reason)
        raise TryAgain(f"item {item.id}: {reason}")

    async def _end(self, bus: Bus, db: Database, item: BatchItem, status: str,
                   error: str | None = None) -> None:
        await self._update(bus, db, item, status=status, error=error, finished_at=utcnow())
        await batches.end_if_finished(db, bus, item.batch_id)

    async def _update(self, bus: Bus, db: Database, item: BatchItem, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(item, name, value)
        item.updated_at = utcnow()
        async with db.session() as s:
            s.add(item)
            await s.commit()
            await s.refresh(item)
        status = changes.get("status")
        if status == ItemStatus.RETRYING:
            BATCH_ITEMS.labels("retried").inc()
        elif status in ItemStatus.TERMINAL:
            BATCH_ITEMS.labels(status).inc()
        await batches.publish_item(bus, item)

    @staticmethod
    async def _load(db: Database, item_id: str) -> tuple[BatchItem | None, Batch | None]:
        async with db.session() as s:
            item = await s.get(BatchItem, item_id)
            batch = await s.get(Batch, item.batch_id) if item else None
        return item, batch

    @staticmethod
    async def _job(db: Database, job_id: str | None) -> Job | None:
        return await db.job(job_id) if job_id else None
