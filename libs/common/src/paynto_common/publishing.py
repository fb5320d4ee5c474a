"""Publishing a project: a version built for production, stored, and served by the gateway at
``/sites/<slug>/`` (``Site``, ``Publish``, ``PublishFile``); then sent on to Vercel or Netlify
when the owner keeps a token for them.

Who starts what:
- :func:`request_publish` (the gateway's "Publish", git-sync after a sync when the site
  publishes on sync) makes the ``Publish`` row and a ``publish`` job for the sandbox pool,
  which builds the version in its jail and stores ``dist/``.
- :func:`request_deploys` (the sandbox pool, once a build is stored) starts a ``deploy`` job
  for git-sync per provider the owner has a token for.

A site's slug is made once, from the project's name and a random tail, and never changes: its
URL stays the same across publishes and rollbacks. Each build is served as it is; a pinned URL
(``/sites/<slug>/v<n>/``) keeps showing version ``n`` whatever is live.
"""

from __future__ import annotations

import re
import secrets
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from paynto_common.bus import Bus
from paynto_common.db import (
    Database,
    Deploy,
    Job,
    Project,
    Publish,
    PublishFile,
    Site,
    UserSecret,
    new_id,
)
from paynto_common.messages import DeployRequest, JobStarted, PublishRequest

__all__ = [
    "PROVIDERS", "SITES_PREFIX", "Provider", "deploy_secret", "make_slug", "request_deploys",
    "request_publish", "site_url", "unpublish", "with_base",
]

SITES_PREFIX = "/sites/"
Provider = Literal["vercel", "netlify"]
PROVIDERS: tuple[Provider, ...] = ("vercel", "netlify")
_HEAD_RE = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)
_SLUG_TAIL = "abcdefghijkmnpqrstuvwxyz23456789"


def deploy_secret(provider: str) -> str:
    """The name of the user secret holding the owner's token for ``provider``."""
    return f"deploy:{provider}"


def site_url(slug: str, version: int | None = None) -> str:
    """Where the gateway serves the site: live, or pinned to one version's build."""
    return f"{SITES_PREFIX}{slug}/" + (f"v{version}/" if version is not None else "")


def with_base(html: bytes, base: str) -> bytes:
    """``html`` with ``<base href="base">`` first in its head (or first of all without one):
    the builds' relative asset URLs then resolve from the site's root on every page."""
    tag = f'<base href="{base}">'.encode()
    match = _HEAD_RE.search(html)
    if match is None:
        return tag + html
    return html[:match.end()] + tag + html[match.end():]


def make_slug(name: str) -> str:
    """A URL-safe slug from a project's name and six random characters (so it is not
    guessable from the name, and two projects of the same name never meet)."""
    words = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "site"
    tail = "".join(secrets.choice(_SLUG_TAIL) for _ in range(6))
    return f"{words}-{tail}"


async def _site(db: Database, project: Project, user_id: str) -> Site:
    """The project's site, made on its first publish (a slug taken by a concurrent first
    publish of another project is drawn again)."""
    for _ in range(5):
        async with db.session() as s:
            site = await s.get(Site, project.id)
            if site is not None:
                return site
            site = Site(project_id=project.id, user_id=user_id, slug=make_slug(project.name))
            s.add(site)
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                continue
            await s.refresh(site)
            return site
    raise RuntimeError(f"could not make a site for project {project.id}")


async def request_publish(db: Database, bus: Bus, project: Project, version: int,
                          user_id: str) -> tuple[Job, Publish, Site]:
    """Start building ``version`` of ``project`` to publish it: the ``Publish`` row (building),
    the ``publish`` job and its first event, the message to the sandbox pool."""
    site = await _site(db, project, user_id)
    job = Job(id=new_id(), project_id=project.id, kind="publish", user_id=user_id)
    publish = Publish(project_id=project.id, version=version, job_id=job.id)
    async with db.session() as s:
        s.add(job)
        s.add(publish)
        await s.commit()
        await s.refresh(job)
        await s.refresh(publish)
    await bus.publish_event(job.id, JobStarted(job_id=job.id), msg_id=f"job:{job.id}")
    await bus.publish_job(bus.subjects.publish,
                          PublishRequest(job_id=job.id, project_id=project.id,
                                         user_id=user_id, publish_id=publish.id,
                                         version=version), msg_id=job.id)
    return job, publish, site


async def request_deploys(db: Database, bus: Bus, publish: Publish,
                          user_id: str) -> list[Provider]:
    """Start a deploy of ``publish`` to each provider ``user_id`` keeps a token for; the
    providers started (each a ``Deploy`` row, deploying). A redelivered publish job finds its
    deploys started already and starts none again."""
    async with db.session() as s:
        names = set((await s.exec(select(UserSecret.name).where(
            UserSecret.user_id == user_id,
            col(UserSecret.name).in_([deploy_secret(p) for p in PROVIDERS])))).all())
        started = set((await s.exec(select(Deploy.provider).where(
            Deploy.publish_id == publish.id))).all())
    providers = [p for p in PROVIDERS if deploy_secret(p) in names and p not in started]
    if not providers:
        return []
    jobs = {p: Job(id=new_id(), project_id=publish.project_id, kind="deploy", user_id=user_id)
            for p in providers}
    async with db.session() as s:
        for provider, job in jobs.items():
            s.add(job)
            s.add(Deploy(publish_id=publish.id, provider=provider, job_id=job.id))
        try:
            await s.commit()
        except IntegrityError:
            return []  # another delivery started them a moment ago
    for provider, job in jobs.items():
        await bus.publish_event(job.id, JobStarted(job_id=job.id), msg_id=f"job:{job.id}")
        await bus.publish_job(bus.subjects.deploy,
                              DeployRequest(job_id=job.id, project_id=publish.project_id,
                                            user_id=user_id, publish_id=publish.id,
                                            provider=provider), msg_id=job.id)
    return providers


async def unpublish(db: Database, project_id: str, *, session: AsyncSession | None = None
                    ) -> None:
    """Forget the project's site and every build of it (in ``session`` when given: the
    caller commits; else in one transaction of its own)."""
    async def remove(s: AsyncSession) -> None:
        builds = select(Publish.id).where(Publish.project_id == project_id)
        await s.exec(delete(PublishFile).where(col(PublishFile.publish_id).in_(builds)))
        await s.exec(delete(Deploy).where(col(Deploy.publish_id).in_(builds)))
        await s.exec(delete(Publish).where(col(Publish.project_id) == project_id))
        await s.exec(delete(Site).where(col(Site.project_id) == project_id))

    if session is not None:
        await remove(session)
        return
    async with db.session() as s:
        await remove(s)
        await s.commit()
