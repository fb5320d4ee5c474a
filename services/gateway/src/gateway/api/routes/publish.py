"""Publishing a project: build a version and serve it at ``/sites/<slug>/`` (see
:mod:`gateway.sites`), list its publishes, roll back to an earlier one, publish on every git
sync, unpublish; and the caller's tokens for Vercel and Netlify, where each publish is sent on
(``paynto_common.publishing``).

A publish is a job (the sandbox pool builds it): the answer is 202 with the job to follow on
``/api/jobs/{id}/events``. A deploy token is sealed in the caller's secrets like a git token:
never shown again, logged or sent anywhere but its provider.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import Field
from sqlmodel import col, select

from gateway.api.deps import BusDep, DbDep, JobRateLimit, ProjectDep, UserDep
from gateway.api.schemas import MAX_INT, TOKEN_PATTERN, Body
from paynto_common.db import (
    Database,
    Deploy,
    Job,
    JobStatus,
    Publish,
    PublishStatus,
    Site,
    UserSecret,
    Version,
    utcnow,
)
from paynto_common.publishing import (
    PROVIDERS,
    deploy_secret,
    request_publish,
    site_url,
    unpublish,
)
from paynto_common.vault import delete_secret, put_secret

router = APIRouter()

# How many publishes the status lists (newest first); older ones stay servable by rollback.
LISTED = 30


class PublishBody(Body):
    version: int | None = Field(default=None, ge=1, le=MAX_INT)


_LATEST = PublishBody()


class RollbackBody(Body):
    version: int = Field(ge=1, le=MAX_INT)


class SiteChange(Body):
    auto_publish: bool


class DeployToken(Body):
    token: str = Field(min_length=1, max_length=1000, pattern=TOKEN_PATTERN)


async def _latest_number(db: Database, project_id: str) -> int | None:
    latest = await db.latest_version(project_id)
    return latest.number if latest else None


async def site_status(db: Database, project_id: str) -> dict[str, Any]:
    """What the studio shows: the site's URL, which publish is live, and the recent ones with
    their deploys. A publish or deploy whose job died before it ended reads as failed."""
    async with db.session() as s:
        site = await s.get(Site, project_id)
        publishes = (await s.exec(select(Publish).where(Publish.project_id == project_id)
                                  .order_by(col(Publish.created_at).desc())
                                  .limit(LISTED))).all()
        deploys = (await s.exec(select(Deploy).where(
            col(Deploy.publish_id).in_([p.id for p in publishes]))
            .order_by(col(Deploy.provider)))).all() if publishes else []
        waiting = [p.job_id for p in publishes if p.status == PublishStatus.BUILDING
                   and p.job_id] + [d.job_id for d in deploys if d.status == "deploying"]
        dead = {job.id: job.error for job in (await s.exec(select(Job).where(
            col(Job.id).in_(waiting), col(Job.status).in_(
                (JobStatus.ERROR, JobStatus.CANCELLED))))).all()} if waiting else {}
    live_id = site.live_publish_id if site else None
    views = []
    for p in publishes:
        status, error = p.status, p.error
        if p.job_id in dead:
            status, error = PublishStatus.FAILED, dead[p.job_id] or "the publish job failed"
        views.append({
            "id": p.id, "version": p.version, "status": status, "error": error,
            "url": site_url(site.slug, p.version) if site else None, "live": p.id == live_id,
            "files": p.files, "bytes": p.bytes, "created_at": p.created_at.isoformat(),
            "deploys": [_deploy_view(d, dead) for d in deploys if d.publish_id == p.id],
        })
    live = next((v for v in views if v["live"]), None)
    return {
        "slug": site.slug if site else None,
        "url": site_url(site.slug) if site and live_id else None,
        "auto_publish": bool(site and site.auto_publish),
        "live": live, "publishes": views,
    }


def _deploy_view(deploy: Deploy, dead: dict[str, str | None]) -> dict[str, Any]:
    if deploy.job_id in dead:
        return {"provider": deploy.provider, "status": "failed", "url": None,
                "error": deploy.error or dead[deploy.job_id] or "the deploy job failed"}
    return {"provider": deploy.provider, "status": deploy.status, "url": deploy.url,
            "error": deploy.error}


@router.post("/api/projects/{project_id}/publish", status_code=202,
             dependencies=[JobRateLimit])
async def publish(project: ProjectDep, bus: BusDep, db: DbDep, user: UserDep,
                  body: PublishBody = _LATEST) -> dict[str, Any]:
    """Build a version (the latest by default, also without a body) and make it the live
    site once it built."""
    number = body.version or await _latest_number(db, project.id)
    if number is None:
        raise HTTPException(409, f"project {project.id} has no version to publish yet")
    if body.version and await _numbered(db, project.id, body.version) is None:
        raise HTTPException(404, f"project {project.id} has no version {body.version}")
    job, row, site = await request_publish(db, bus, project, number, user.id)
    return {"job_id": job.id, "publish_id": row.id, "version": number,
            "url": site_url(site.slug)}


@router.get("/api/projects/{project_id}/publish")
async def publish_status(project: ProjectDep, db: DbDep) -> dict[str, Any]:
    return await site_status(db, project.id)


@router.patch("/api/projects/{project_id}/publish")
async def change_site(body: SiteChange, project: ProjectDep, db: DbDep) -> dict[str, Any]:
    """Publish on every git sync, or stop (the site is made now if it is not yet)."""
    async with db.session() as s:
        site = await s.get(Site, project.id)
        if site is None:
            raise HTTPException(409, f"project {project.id} is not published yet; "
                                     "publish it once first")
        site.auto_publish, site.updated_at = body.auto_publish, utcnow()
        s.add(site)
        await s.commit()
    return await site_status(db, project.id)


@router.post("/api/projects/{project_id}/publish/rollback")
async def rollback(body: RollbackBody, project: ProjectDep, db: DbDep) -> dict[str, Any]:
    """Make the newest ready build of ``version`` live again (no rebuild: it is served as it
    was)."""
    async with db.session() as s:
        site = await s.get(Site, project.id)
        row = (await s.exec(select(Publish).where(
            Publish.project_id == project.id, Publish.version == body.version,
            Publish.status == PublishStatus.READY)
            .order_by(col(Publish.created_at).desc()))).first()
        if site is None or row is None:
            raise HTTPException(404, f"project {project.id} has no published build of "
                                     f"version {body.version}")
        site.live_publish_id, site.updated_at = row.id, utcnow()
        s.add(site)
        await s.commit()
    return await site_status(db, project.id)


@router.delete("/api/projects/{project_id}/publish", status_code=204)
async def delete_site(project: ProjectDep, db: DbDep) -> Response:
    """Take the site down and forget its builds (Vercel and Netlify keep theirs)."""
    async with db.session() as s:
        if await s.get(Site, project.id) is None:
            raise HTTPException(404, f"project {project.id} is not published")
    await unpublish(db, project.id)
    return Response(status_code=204)


@router.get("/api/account/deploy-tokens")
async def deploy_tokens(user: UserDep, db: DbDep) -> dict[str, bool]:
    """Which providers the caller keeps a token for (never the tokens)."""
    async with db.session() as s:
        names = set((await s.exec(select(UserSecret.name).where(
            UserSecret.user_id == user.id))).all())
    return {provider: deploy_secret(provider) in names for provider in PROVIDERS}


@router.put("/api/account/deploy-tokens/{provider}", status_code=204)
async def set_deploy_token(provider: Literal["vercel", "netlify"], body: DeployToken,
                           request: Request, user: UserDep, db: DbDep) -> Response:
    await put_secret(db, request.app.state.vault, user.id, deploy_secret(provider), body.token)
    return Response(status_code=204)


@router.delete("/api/account/deploy-tokens/{provider}", status_code=204)
async def delete_deploy_token(provider: Literal["vercel", "netlify"], user: UserDep,
                              db: DbDep) -> Response:
    await delete_secret(db, user.id, deploy_secret(provider))
    return Response(status_code=204)


async def _numbered(db: Database, project_id: str, number: int) -> int | None:
    async with db.session() as s:
        return (await s.exec(select(Version.number).where(
            Version.project_id == project_id, Version.number == number))).first()
