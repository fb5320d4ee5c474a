"""Batches: many sites cloned in one request. ``POST /api/batches`` stores the batch and one
item a URL, and queues the items for the batch workers (dramatiq on Redis); the batch's
channel tells how each moves (``batch_item``) and when it ends (``complete``).

Every URL passes the SSRF guard first: one refused URL refuses the batch (422 naming it),
before anything is stored.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import Field, model_validator
from sqlmodel import col, select
from sse_starlette import EventSourceResponse

from gateway.api.deps import BusDep, DbDep, JobRateLimit, LastEventId, SettingsDep, UserDep
from gateway.api.schemas import Body
from gateway.jobs import cancel_job, event_stream
from gateway.settings import GatewaySettings
from paynto_common import batches
from paynto_common.db import (
    Batch,
    BatchItem,
    BatchStatus,
    Database,
    ItemStatus,
    User,
    utcnow,
)
from paynto_common.messages import batch_channel
from paynto_common.metrics import BATCH_ITEMS
from paynto_common.safety.urls import FetchPolicy, UrlRefused, check_url, fetch, parse_allow_hosts

router = APIRouter()

MAX_URLS = 500
# A sitemap index names other sitemaps: read this many of them at most.
MAX_SITEMAPS = 10
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)


class BatchBody(Body):
    """The URLs to clone (or a sitemap naming them), and what every clone is asked."""

    urls: list[Annotated[str, Field(min_length=1, max_length=2048)]] = Field(
        default_factory=list, max_length=MAX_URLS)
    sitemap: str | None = Field(default=None, max_length=2048)
    name: str = Field(default="", max_length=200)
    pages: int = Field(default=1, ge=1, le=10)
    model: str | None = Field(default=None, max_length=200)
    prompt: str = Field(default="", max_length=4000)
    build_check: bool = True

    @model_validator(mode="after")
    def _some_urls(self) -> BatchBody:
        if not self.urls and not self.sitemap:
            raise ValueError("give urls (a list) or a sitemap (its URL)")
        return self


def _policy(settings: GatewaySettings) -> FetchPolicy:
    return FetchPolicy(allow_hosts=parse_allow_hosts(settings.scraper_allow_hosts))


async def sitemap_urls(url: str, policy: FetchPolicy) -> list[str]:
    """The page URLs a sitemap names (one level of sitemap index followed), at most
    MAX_URLS, through the SSRF guard."""
    found: list[str] = []
    queue, seen = [url], 0
    while queue and seen <= MAX_SITEMAPS and len(found) < MAX_URLS:
        where = queue.pop(0)
        seen += 1
        answer = await fetch(where, policy, accept=("application/xml", "text/xml", "text/*"))
        if answer.status >= 400:
            raise HTTPException(422, f"the sitemap {where} answered {answer.status}")
        text = answer.text()
        locs = _LOC.findall(text)
        if "<sitemapindex" in text[:2000].lower():
            queue.extend(locs[:MAX_SITEMAPS])
            continue
        found.extend(loc for loc in locs if loc not in found)
    return found[:MAX_URLS]


def broker_of(request: Request, settings: GatewaySettings) -> Any:
    """The gateway's dramatiq broker (made on first use; it only enqueues)."""
    broker = getattr(request.app.state, "batch_broker", None)
    if broker is None:
        broker = batches.redis_broker(settings.redis_url, settings.bus_namespace)
        request.app.state.batch_broker = broker
    return broker


async def owned_batch(db: Database, batch_id: str, user: User) -> Batch:
    async with db.session() as s:
        batch = await s.get(Batch, batch_id)
    if batch is None or batch.user_id != user.id:
        raise HTTPException(404, f"unknown batch {batch_id}")
    return batch


async def items_of(db: Database, batch_id: str) -> list[BatchItem]:
    async with db.session() as s:
        return list((await s.exec(select(BatchItem).where(BatchItem.batch_id == batch_id)
                                  .order_by(col(BatchItem.position)))).all())


def batch_out(batch: Batch, items: list[BatchItem]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    return {
        "id": batch.id, "name": batch.name, "status": batch.status, "pages": batch.pages,
        "model": batch.model, "prompt": batch.prompt, "build_check": batch.build_check,
        "created_at": batch.created_at.isoformat(), "updated_at": batch.updated_at.isoformat(),
        "total": len(items), "counts": counts,
        "items": [batches.item_view(item).wire() | {"id": item.id} for item in items],
    }


@router.post("/api/batches", status_code=202, dependencies=[JobRateLimit])
async def create_batch(body: BatchBody, request: Request, db: DbDep, settings: SettingsDep,
                       user: UserDep) -> dict[str, Any]:
    policy = _policy(settings)
    urls = list(dict.fromkeys(u.strip() for u in body.urls))
    if body.sitemap:
        try:
            await check_url(body.sitemap, policy)
            urls += [u for u in await sitemap_urls(body.sitemap, policy) if u not in urls]
        except UrlRefused as exc:
            raise HTTPException(422, f"the sitemap {body.sitemap} may not be read: "
                                     f"{exc.reason}") from None
        except OSError as exc:
            raise HTTPException(422, f"the sitemap {body.sitemap} could not be read: "
                                     f"{exc}") from None
    if not urls:
        raise HTTPException(422, "the sitemap names no pages")
    if len(urls) > MAX_URLS:
        raise HTTPException(422, f"{len(urls)} URLs; a batch takes at most {MAX_URLS}")
    refused: list[str] = []
    for url in urls:
        try:
            await check_url(url, policy)
        except UrlRefused as exc:
            refused.append(f"{url}: {exc.reason}")
    if refused:
        raise HTTPException(422, {"message": "some URLs may not be read", "refused": refused})
    batch = Batch(user_id=user.id, name=body.name or f"{len(urls)} sites", pages=body.pages,
                  model=body.model, prompt=body.prompt.strip(), build_check=body.build_check)
    items = [BatchItem(batch_id=batch.id, position=n, url=url) for n, url in enumerate(urls)]
    async with db.session() as s:
        s.add(batch)
        await s.flush()
        s.add_all(items)
        await s.commit()
    try:
        await asyncio.to_thread(batches.enqueue, broker_of(request, settings),
                                [item.id for item in items])
    except Exception as exc:
        raise HTTPException(503, "the batch queue (Redis) is unavailable; the batch is "
                                 f"stored: resume it ({exc.__class__.__name__})") from exc
    return {"batch_id": batch.id, "items": len(items)}


@router.get("/api/batches")
async def list_batches(db: DbDep, user: UserDep) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = (await s.exec(select(Batch).where(Batch.user_id == user.id)
                             .order_by(col(Batch.created_at).desc()).limit(100))).all()
    out = []
    for batch in rows:
        summary = batch_out(batch, await items_of(db, batch.id))
        summary.pop("items")
        out.append(summary)
    return out


@router.get("/api/batches/{batch_id}")
async def get_batch(batch_id: str, db: DbDep, user: UserDep) -> dict[str, Any]:
    batch = await owned_batch(db, batch_id, user)
    return batch_out(batch, await items_of(db, batch_id))


@router.get("/api/batches/{batch_id}/events")
async def batch_events(batch_id: str, after: LastEventId, bus: BusDep, db: DbDep,
                       user: UserDep) -> EventSourceResponse:
    """The batch's events as SSE (``batch_item`` as its URLs move; ``complete`` at the end),
    from after ``Last-Event-ID``."""
    await owned_batch(db, batch_id, user)
    return event_stream(bus, batch_channel(batch_id), after)


REPORT_FIELDS = ["position", "url", "status", "step", "attempts", "project_id", "title",
                 "version", "build_ok", "build_seconds", "preview_url", "zip_url", "error",
                 "failures"]


@router.get("/api/batches/{batch_id}/report", responses={200: {"content": {"text/csv": {}}}})
async def batch_report(batch_id: str, db: DbDep, user: UserDep,
                       format: Literal["json", "csv"] = Query("json")) -> Response:
    """Every URL's outcome: JSON, or CSV for a spreadsheet."""
    batch = await owned_batch(db, batch_id, user)
    items = await items_of(db, batch_id)
    rows = [{
        "position": item.position, "url": item.url, "status": item.status, "step": item.step,
        "attempts": item.attempts, "project_id": item.project_id,
        "title": item.result.get("title"), "version": item.result.get("version"),
        "build_ok": item.result.get("build_ok"),
        "build_seconds": item.result.get("build_seconds"),
        "preview_url": item.result.get("preview_url"), "zip_url": item.result.get("zip_url"),
        "error": item.error, "failures": " | ".join(item.failures),
    } for item in items]
    if format == "json":
        return Response(json.dumps({"batch": batch_out(batch, items) | {"items": None},
                                    "items": rows}, indent=1),
                        media_type="application/json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return Response(out.getvalue(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="batch-{batch_id}.csv"'})


async def _set_status(db: Database, batch: Batch, status: str) -> Batch:
    async with db.session() as s:
        row = await s.get(Batch, batch.id)
        assert row is not None
        row.status = status
        row.updated_at = utcnow()
        s.add(row)
        await s.commit()
        await s.refresh(row)
        return row


@router.post("/api/batches/{batch_id}/pause")
async def pause_batch(batch_id: str, db: DbDep, user: UserDep) -> dict[str, Any]:
    """Stop starting items (those running finish); resume starts the rest."""
    batch = await owned_batch(db, batch_id, user)
    if batch.status != BatchStatus.RUNNING:
        raise HTTPException(409, f"batch {batch_id} is {batch.status}, not running")
    batch = await _set_status(db, batch, BatchStatus.PAUSED)
    return batch_out(batch, await items_of(db, batch_id))


@router.post("/api/batches/{batch_id}/resume")
async def resume_batch(batch_id: str, request: Request, db: DbDep, settings: SettingsDep,
                       user: UserDep) -> dict[str, Any]:
    batch = await owned_batch(db, batch_id, user)
    if batch.status not in (BatchStatus.PAUSED, BatchStatus.RUNNING):
        raise HTTPException(409, f"batch {batch_id} is {batch.status}")
    batch = await _set_status(db, batch, BatchStatus.RUNNING)
    waiting = [item.id for item in await items_of(db, batch_id)
               if item.status == ItemStatus.QUEUED]
    await asyncio.to_thread(batches.enqueue, broker_of(request, settings), waiting)
    return batch_out(batch, await items_of(db, batch_id))


@router.post("/api/batches/{batch_id}/cancel")
async def cancel_batch(batch_id: str, bus: BusDep, db: DbDep, user: UserDep) -> dict[str, Any]:
    """End the batch: items not started are cancelled, running ones' jobs stopped."""
    batch = await owned_batch(db, batch_id, user)
    if batch.status in BatchStatus.ENDED:
        raise HTTPException(409, f"batch {batch_id} has ended ({batch.status})")
    batch = await _set_status(db, batch, BatchStatus.CANCELLED)
    for item in await items_of(db, batch_id):
        if item.status in ItemStatus.TERMINAL:
            continue
        if item.status == ItemStatus.RUNNING:
            for job_id in (item.job_id, item.build_job_id):
                if job_id:
                    await cancel_job(bus, db, job_id, by=user.id)
            continue  # its worker sees the job end "cancelled" and ends the item
        async with db.session() as s:
            row = await s.get(BatchItem, item.id)
            if row is None or row.status in ItemStatus.TERMINAL:
                continue
            row.status, row.error = ItemStatus.CANCELLED, "the batch was cancelled"
            row.finished_at = row.updated_at = utcnow()
            s.add(row)
            await s.commit()
            await s.refresh(row)
        BATCH_ITEMS.labels(ItemStatus.CANCELLED).inc()
        await batches.publish_item(bus, row)
    await batches.end_if_finished(db, bus, batch_id)
    return batch_out(batch, await items_of(db, batch_id))
