"""Reading sites and cloning them: ``/api/scrape-website``, ``/api/scrape-screenshot``,
``/api/extract-brand-styles`` (asked of any scraper replica, answered when it has read the
site), the stored scrapes and their screenshots (their user's only), and ``/api/clone``, one
job whose stream tells what was read (``scrape``) and then goes on as a generation.

A URL is checked by the SSRF guard here first (the scraper checks again, at connection
time): a refused one is a 422 before anything starts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Response
from sse_starlette import EventSourceResponse

from gateway.api.deps import (
    BusDep,
    DbDep,
    JobRateLimit,
    LinksDep,
    SettingsDep,
    UserDep,
    owned_project,
    unknown,
)
from gateway.api.schemas import CloneBody, ScrapeBody, UrlBody
from gateway.jobs import check_model_job, event_stream, start_job
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database, Project, Scrape, User, new_id
from paynto_common.messages import CloneRequest, ScrapedPage, ScrapeReply, ScrapeRequest
from paynto_common.messages.scrape import screenshot_path
from paynto_common.safety.urls import FetchPolicy, UrlRefused, check_url, parse_allow_hosts

router = APIRouter()


async def checked_url(url: str, settings: GatewaySettings) -> str:
    """``url`` if the SSRF guard lets it through; else a 422 saying why."""
    policy = FetchPolicy(allow_hosts=parse_allow_hosts(settings.scraper_allow_hosts))
    try:
        await check_url(url, policy)
    except UrlRefused as exc:
        raise HTTPException(422, f"{url} may not be read: {exc.reason}") from None
    return url


async def scrape_now(bus: Bus, db: Database, settings: GatewaySettings, user: User, url: str,
                     *, pages: int = 1, screenshot: bool = False) -> Scrape:
    """Have a scraper read ``url`` for ``user`` and return the stored scrape."""
    await checked_url(url, settings)
    try:
        reply = await bus.request(
            bus.subjects.scraper_scrape,
            ScrapeRequest(url=url, user_id=user.id, pages=pages, screenshot=screenshot),
            ScrapeReply, timeout=settings.scrape_wait_seconds)
    except TimeoutError as exc:
        raise HTTPException(503, "no scraper answered in time; is one running?") from exc
    if reply.scrape_id is None:
        raise HTTPException(reply.status if reply.status >= 400 else 502,
                            reply.error or "the site could not be read")
    return await owned_scrape(db, reply.scrape_id, user)


async def owned_scrape(db: Database, scrape_id: str, user: User) -> Scrape:
    async with db.session() as s:
        row = await s.get(Scrape, scrape_id)
    if row is None or row.user_id != user.id:
        raise unknown("scrape", scrape_id)
    return row


def screenshot_url(row: Scrape) -> str | None:
    return screenshot_path(row.id) if row.screenshot else None


def scrape_out(row: Scrape) -> dict[str, Any]:
    """A stored scrape as the API shows it: the original's fields (url, title, markdown,
    branding, screenshot) for the first page, and every page read in full."""
    first = ScrapedPage.model_validate(row.pages[0])
    return {
        "scrape_id": row.id, "url": row.url, "final_url": first.final_url,
        "title": first.title, "description": first.description,
        "markdown": first.markdown, "branding": first.brand.model_dump(mode="json"),
        "screenshot": screenshot_url(row), "screenshot_note": row.screenshot_note,
        "provider": row.provider, "pages": row.pages,
        "created_at": row.created_at.isoformat(),
    }


@router.post("/api/scrape-website", dependencies=[JobRateLimit])
async def scrape_website(body: ScrapeBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                         user: UserDep) -> dict[str, Any]:
    row = await scrape_now(bus, db, settings, user, body.url, pages=body.pages,
                           screenshot=body.screenshot)
    return scrape_out(row)


@router.post("/api/scrape-screenshot", dependencies=[JobRateLimit])
async def scrape_screenshot(body: UrlBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                            user: UserDep) -> dict[str, Any]:
    row = await scrape_now(bus, db, settings, user, body.url, screenshot=True)
    if row.screenshot is None:
        raise HTTPException(503, row.screenshot_note or "no screenshot could be taken")
    return {"scrape_id": row.id, "url": row.url, "screenshot": screenshot_url(row)}


@router.post("/api/extract-brand-styles", dependencies=[JobRateLimit])
async def extract_brand_styles(body: UrlBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                               user: UserDep) -> dict[str, Any]:
    row = await scrape_now(bus, db, settings, user, body.url)
    first = ScrapedPage.model_validate(row.pages[0])
    return {"scrape_id": row.id, "url": row.url, "title": first.title,
            "branding": first.brand.model_dump(mode="json")}


@router.get("/api/scrapes/{scrape_id}")
async def get_scrape(scrape_id: str, db: DbDep, user: UserDep) -> dict[str, Any]:
    return scrape_out(await owned_scrape(db, scrape_id, user))


@router.get("/api/scrapes/{scrape_id}/screenshot.png")
async def get_screenshot(scrape_id: str, db: DbDep, user: UserDep) -> Response:
    row = await owned_scrape(db, scrape_id, user)
    if row.screenshot is None:
        raise HTTPException(404, row.screenshot_note or f"scrape {scrape_id} has no screenshot")
    return Response(row.screenshot, media_type=image_type(row.screenshot),
                    headers={"Cache-Control": "private, max-age=86400",
                             "X-Content-Type-Options": "nosniff"})


def image_type(data: bytes) -> str:
    """The type of a stored screenshot (Chromium's are PNG; Firecrawl's may be JPEG or WebP)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def clone_name(url: str) -> str:
    host = urlsplit(url).hostname or url
    return f"Clone of {host.removeprefix('www.')}"[:200]


@router.post("/api/clone", dependencies=[JobRateLimit])
async def clone(body: CloneBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                user: UserDep, links: LinksDep) -> EventSourceResponse:
    """Clone a site into a project: its stream starts with ``job``, then ``scrape`` (title,
    palette, screenshot), then goes on as a generation. The project is named in the
    ``X-Project-Id`` header (a new one when none was given)."""
    project_id = body.project_id
    if project_id is not None:
        await owned_project(db, project_id, user)  # 404 before anything about the URL
    await checked_url(body.url, settings)
    if project_id is None:
        project = Project(name=clone_name(body.url), owner_id=user.id)
        async with db.session() as s:
            s.add(project)
            await s.commit()
        project_id = project.id
    prompt = body.prompt.strip()
    await check_model_job(db, settings, project_id, prompt, user.id)
    message = CloneRequest(job_id=new_id(), project_id=project_id, url=body.url,
                           model=body.model, prompt=prompt, pages=body.pages,
                           screenshot=body.screenshot)
    job = await start_job(bus, db, user, kind="clone", message=message,
                          prompt=prompt or f"Clone {body.url}", model=body.model)
    response = event_stream(bus, job.id, links=(links, project_id))
    response.headers["X-Project-Id"] = project_id
    return response
