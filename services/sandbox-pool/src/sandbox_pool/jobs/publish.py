"""The publish job: build a version for production (the build job's jailed ``vite build``,
with relative asset URLs), store its ``dist/`` as the publish's files, and make it the
project's live site (``paynto_common.publishing``).

The files and the switch of the live site are one transaction: a process killed in the middle
leaves nothing half stored, and the redelivered job stores them again from nothing. A newer
publish that finished first stays live (a rollback is the person's own choice, made at the
gateway). A build that fails is a completed job with ``ok`` false and its errors; the live
site does not change.
"""

from __future__ import annotations

import logging
import mimetypes

from sqlmodel import col, delete

from paynto_common.db import JobStatus, Publish, PublishFile, PublishStatus, Site, utcnow
from paynto_common.errors import PermanentJobError
from paynto_common.messages import (
    Published,
    PublishRequest,
    SitePublished,
    Status,
    project_channel,
    stored,
)
from paynto_common.metrics import PUBLISH_BUILD_SECONDS, PUBLISHES
from paynto_common.publishing import request_deploys, site_url
from sandbox_pool import versions
from sandbox_pool.jobs.build import Builder, build_version
from sandbox_pool.jobs.steps import Context, JobEvents, JobHandler

__all__ = ["PublishJob", "media_type"]

log = logging.getLogger(__name__)

# Types Python's table may not know (or knows differently on other systems).
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".svg": "image/svg+xml", ".webp": "image/webp", ".woff2": "font/woff2",
          ".woff": "font/woff", ".json": "application/json", ".webmanifest":
          "application/manifest+json", ".html": "text/html", ".txt": "text/plain"}


def media_type(path: str) -> str:
    """The Content-Type a built file is served with (text as UTF-8)."""
    suffix = path[path.rfind("."):].lower() if "." in path.rsplit("/", 1)[-1] else ""
    kind = _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    text = kind.startswith("text/") or kind in ("application/json", "image/svg+xml",
                                                "application/manifest+json")
    return f"{kind}; charset=utf-8" if text else kind


class PublishJob(JobHandler[PublishRequest]):
    """Handles ``jobs.sandbox.publish`` with the build job's builder (a local provider's
    jail: see :class:`sandbox_pool.jobs.build.BuildJob`)."""

    def __init__(self, ctx: Context, builder: Builder | None) -> None:
        super().__init__(ctx)
        self.builder = builder

    async def run(self, req: PublishRequest, events: JobEvents) -> None:
        try:
            await self._publish(req, events)
        except PermanentJobError as exc:
            PUBLISHES.labels("error").inc()
            await self._failed(req, str(exc))
            raise

    async def _publish(self, req: PublishRequest, events: JobEvents) -> None:
        ctx = self.ctx
        if self.builder is None:
            raise PermanentJobError(
                "publishing builds in a local (bubblewrap) sandbox, and this sandbox pool "
                f"drives {ctx.manager.provider.name} sandboxes")
        async with ctx.db.session() as s:
            publish = await s.get(Publish, req.publish_id)
            site = await s.get(Site, req.project_id)
        if publish is None or site is None:
            raise PermanentJobError(f"publish {req.publish_id} of project {req.project_id} "
                                    "is gone (unpublished?)")
        version = await versions.numbered(ctx.db, req.project_id, req.version)
        if version is None:
            raise PermanentJobError(f"project {req.project_id} has no version {req.version}")
        outcome = await build_version(self.builder, version, events, keep_dist=True,
                                      purpose=" to publish")
        url = site_url(site.slug)
        PUBLISH_BUILD_SECONDS.observe(outcome.seconds)
        if not outcome.ok or outcome.dist is None:
            PUBLISHES.labels("build_failed").inc()
            await self._failed(req, outcome.output or "vite build failed")
            await self._end(req, events, Published(
                publish_id=req.publish_id, version=version.number, url=url, ok=False,
                output=outcome.output, seconds=outcome.seconds))
            return
        size = sum(len(data) for data in outcome.dist.values())
        await events.publish(Status(message=f"storing {len(outcome.dist)} files "
                                            f"({size / 1024:.0f} KB)"), once="storing")
        live = await self._store(req, outcome.dist, size)
        log.info("project %s version %d published as %s (%d files, %d bytes)%s",
                 req.project_id, version.number, req.publish_id, len(outcome.dist), size,
                 "" if live else "; a newer publish stays live")
        if req.user_id:
            async with ctx.db.session() as s:
                publish = await s.get(Publish, req.publish_id)
            if publish is not None:
                await request_deploys(ctx.db, ctx.bus, publish, req.user_id)
        await self._end(req, events, Published(
            publish_id=req.publish_id, version=version.number, url=url, ok=True,
            output=outcome.output, files=len(outcome.dist), bytes=size,
            seconds=outcome.seconds))
        PUBLISHES.labels("ok").inc()

    async def _store(self, req: PublishRequest, dist: dict[str, bytes], size: int) -> bool:
        """Store the files and make the publish live (unless a newer one is): one
        transaction. Whether it is live now."""
        async with self.ctx.db.session() as s:
            await s.exec(delete(PublishFile).where(col(PublishFile.publish_id) ==
                                                   req.publish_id))
            for path, data in dist.items():
                s.add(PublishFile(publish_id=req.publish_id, path=path,
                                  media_type=media_type(path), data=data))
            publish = await s.get(Publish, req.publish_id)
            site = await s.get(Site, req.project_id)
            if publish is None or site is None:
                raise PermanentJobError(f"publish {req.publish_id} was removed while it built")
            publish.status, publish.error = PublishStatus.READY, None
            publish.files, publish.bytes = len(dist), size
            current = await s.get(Publish, site.live_publish_id) if site.live_publish_id \
                else None
            live = current is None or current.created_at <= publish.created_at
            if live:
                site.live_publish_id, site.updated_at = publish.id, utcnow()
                s.add(site)
            s.add(publish)
            await s.commit()
        return live

    async def _failed(self, req: PublishRequest, reason: str) -> None:
        async with self.ctx.db.session() as s:
            publish = await s.get(Publish, req.publish_id)
            if publish is not None and publish.status != PublishStatus.READY:
                publish.status, publish.error = PublishStatus.FAILED, reason[-4000:]
                s.add(publish)
                await s.commit()

    async def _end(self, req: PublishRequest, events: JobEvents, result: Published) -> None:
        await self.ctx.db.set_job_status(req.job_id, JobStatus.COMPLETE, result=stored(result))
        await self.ctx.bus.publish_event(
            project_channel(req.project_id),
            SitePublished(publish_id=result.publish_id, version=result.version,
                          url=result.url, ok=result.ok),
            msg_id=f"published:{req.job_id}")
        await events.publish(result, once="")
