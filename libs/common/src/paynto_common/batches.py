"""Batches on dramatiq: what the gateway (which enqueues) and the batch workers (which work)
share — the broker on Redis, the queue, the actor's name, and the snapshot of an item that
the batch's channel carries.

A batch item is one dramatiq message naming the item; the item's row is the record (its
step, attempts, the jobs it started), so a message delivered twice, or again after a worker
died, picks up where the row says and never clones a site twice.
"""

from __future__ import annotations

from typing import Any

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func
from sqlmodel import select

from paynto_common.bus import Bus
from paynto_common.db import Batch, BatchItem, BatchStatus, Database, ItemStatus, utcnow
from paynto_common.messages import BatchEnded, BatchItemView, batch_channel

QUEUE = "paynto-batches"
CLONE_ACTOR = "clone_site"


def redis_broker(redis_url: str, namespace: str = "", **options: Any) -> RedisBroker:
    """The dramatiq broker on Redis; ``namespace`` (the bus namespace) keeps the keys of
    two deployments, or two tests, on one Redis apart."""
    keys = f"paynto-dramatiq-{namespace}" if namespace else "paynto-dramatiq"
    return RedisBroker(url=redis_url, namespace=keys, **options)


def clone_message(item_id: str) -> Message[Any]:
    """The message that has a batch worker clone one item."""
    return Message(queue_name=QUEUE, actor_name=CLONE_ACTOR, args=(item_id,), kwargs={},
                   options={})


def enqueue(broker: RedisBroker, item_ids: list[str], delay_ms: int | None = None) -> None:
    """Queue items for the batch workers (blocking Redis calls: run it in a thread from async
    code)."""
    for item_id in item_ids:
        broker.enqueue(clone_message(item_id), delay=delay_ms)


def item_view(item: BatchItem) -> BatchItemView:
    return BatchItemView(
        id=item.id, position=item.position, url=item.url, status=item.status, step=item.step,
        attempts=item.attempts, project_id=item.project_id, job_id=item.job_id,
        error=item.error, failures=list(item.failures), result=dict(item.result))


async def publish_item(bus: Bus, item: BatchItem) -> None:
    await bus.publish_event(batch_channel(item.batch_id), item_view(item))


async def item_counts(db: Database, batch_id: str) -> dict[str, int]:
    async with db.session() as s:
        rows = (await s.exec(
            select(BatchItem.status, func.count()).where(BatchItem.batch_id == batch_id)
            .group_by(BatchItem.status))).all()
    return {status: count for status, count in rows}


async def end_if_finished(db: Database, bus: Bus, batch_id: str) -> bool:
    """End a batch whose every item is done, failed or cancelled: its row says so once, and
    its channel gets one ``complete`` (deduplicated, so two workers finishing together or a
    cancel racing the last item publish it once). True when it has ended."""
    counts = await item_counts(db, batch_id)
    if any(status not in ItemStatus.TERMINAL for status in counts):
        return False
    async with db.session() as s:
        batch = await s.get(Batch, batch_id)
        if batch is None:
            return False
        if batch.status not in BatchStatus.ENDED:
            batch.status = BatchStatus.DONE
            batch.updated_at = utcnow()
            s.add(batch)
            await s.commit()
        status = batch.status
    await bus.publish_event(batch_channel(batch_id),
                            BatchEnded(batch_id=batch_id, status=status, items=counts),
                            msg_id=f"end:{batch_id}")
    return True
