"""Published sites, served as they were built: ``/sites/<slug>/`` is the live build,
``/sites/<slug>/v<n>/`` the newest build of version ``n`` (pinned: it shows that version
whatever is live). Public, like a site on any host: no sign-in, no cookie read.

A published site runs code a model wrote, on the gateway's origin, so it gets what the preview
gets (:mod:`gateway.preview`): ``Content-Security-Policy: sandbox ...`` makes it an opaque
origin that cannot read the studio's cookies or call the API as the person, and
``Access-Control-Allow-Origin: *`` lets that opaque document load its own module scripts.
Operators who want the sites on a domain of their own put one in front of ``/sites/``.

The builds use relative asset URLs (``--base ./``); the page gets a ``<base href>`` of the
site's root, so a deep link (``/sites/<slug>/menu``, answered with ``index.html`` as a single
page app expects) still finds ``./assets/...``. Hashed assets are cached for a year; pages are
revalidated, so a rollback shows at once.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from gateway.preview import PREVIEW_CSP
from paynto_common.db import Database, Publish, PublishFile, PublishStatus, Site
from paynto_common.publishing import SITES_PREFIX, site_url, with_base

router = APIRouter(include_in_schema=False)

SLUG = r"[a-z0-9][a-z0-9-]{0,60}"
_PINNED_RE = re.compile(r"^v([1-9][0-9]{0,8})(?:/(.*))?$", re.DOTALL)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


async def _build(db: Database, slug: str, version: int | None) -> tuple[Site, str] | None:
    """The site and the publish id to serve: live, or the newest ready one of ``version``."""
    async with db.session() as s:
        site = (await s.exec(select(Site).where(Site.slug == slug))).first()
        if site is None:
            return None
        if version is None:
            return (site, site.live_publish_id) if site.live_publish_id else None
        publish_id = (await s.exec(select(Publish.id).where(
            Publish.project_id == site.project_id, Publish.version == version,
            Publish.status == PublishStatus.READY)
            .order_by(col(Publish.created_at).desc()))).first()
    return (site, publish_id) if publish_id else None


async def _file(db: Database, publish_id: str, path: str) -> PublishFile | None:
    async with db.session() as s:
        return await s.get(PublishFile, (publish_id, path))


def _headers(cache: str) -> dict[str, str]:
    return {"Content-Security-Policy": PREVIEW_CSP, "Access-Control-Allow-Origin": "*",
            "Cache-Control": cache, "Cross-Origin-Resource-Policy": "cross-origin"}


@router.get("/sites/{slug}")
async def site_root(slug: str) -> RedirectResponse:
    return RedirectResponse(site_url(slug), status_code=308)


@router.get("/sites/{slug}/{path:path}")
async def site_file(slug: str, path: str, request: Request) -> Response:
    if not re.fullmatch(SLUG, slug):
        raise HTTPException(404, "no such site")
    version = None
    pinned = _PINNED_RE.match(path)
    if pinned:
        version, path = int(pinned.group(1)), pinned.group(2) or ""
    db: Database = request.app.state.db
    found = await _build(db, slug, version)
    if found is None:
        raise HTTPException(404, "no such site" if version is None else
                            f"version {version} of this site was never published")
    site, publish_id = found
    row = await _file(db, publish_id, path) if path and not path.endswith("/") else None
    page = row is None
    if page:
        # A folder, the root, or a route of the app (no file extension): its page.
        leaf = path.rstrip("/").rsplit("/", 1)[-1]
        if "." in leaf and not path.endswith("/"):
            raise HTTPException(404, f"{path} is not part of this site")
        row = await _file(db, publish_id, f"{path.rstrip('/')}/index.html".lstrip("/")) \
            or await _file(db, publish_id, "index.html")
        if row is None:
            raise HTTPException(404, "this build has no index.html")
    assert row is not None
    data = row.data
    if row.media_type.startswith("text/html"):
        data = with_base(data, site_url(site.slug, version))
    # Hashed file names never change their content; pages and unhashed files are revalidated
    # (a pinned build never changes at all).
    immutable = version is not None or row.path.startswith("assets/")
    cache = IMMUTABLE if immutable and not page else REVALIDATE
    return Response(data, media_type=row.media_type, headers=_headers(cache))


__all__ = ["SITES_PREFIX", "router"]
