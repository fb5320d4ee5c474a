"""The scraper's routes in-process on real NATS and SQLite, reading a real site on loopback:
a scrape asked over the bus is stored for its user and named in the reply; a clone job reads
the site once, tells the person what it found, and hands the same job to the generator."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from paynto_common.bus import Bus, Router
from paynto_common.db import LOCAL_USER_ID, Database, JobStatus, Scrape
from paynto_common.messages import (
    SCRAPER,
    CloneRequest,
    GenerateRequest,
    GenerateResult,
    ScrapedPage,
    ScrapeReply,
    ScrapeRequest,
    read_result,
)
from paynto_common.testing.worker import consuming, new_job, run_jobs
from scraper.app import Scraping, answer_scrape, routes
from scraper.settings import ScraperSettings
from scraper.testing.sites import ServedSite, serve_site


def scraping(db: Database, site: ServedSite | None, **settings: object) -> Scraping:
    allowed = site.host if site else ""
    return Scraping(ScraperSettings(scraper_allow_hosts=allowed, **settings), db)  # type: ignore[arg-type]


async def ask(bus: Bus, service: Scraping, request: ScrapeRequest) -> ScrapeReply:
    async def answer(req: ScrapeRequest) -> ScrapeReply:
        return await answer_scrape(service, req)

    stop = await bus.serve(bus.subjects.scraper_scrape, ScrapeRequest, answer, queue=SCRAPER)
    try:
        return await bus.request(bus.subjects.scraper_scrape, request, ScrapeReply, timeout=30)
    finally:
        await stop()


async def test_a_scrape_asked_over_the_bus_is_stored_for_its_user(bus: Bus, db: Database
                                                                  ) -> None:
    async with serve_site() as site:
        reply = await ask(bus, scraping(db, site), ScrapeRequest(
            url=f"{site.url}/", user_id=LOCAL_USER_ID))
    assert reply.error is None and reply.scrape_id
    async with db.session() as s:
        row = await s.get(Scrape, reply.scrape_id)
    assert row is not None and row.user_id == LOCAL_USER_ID
    [page] = [ScrapedPage.model_validate(p) for p in row.pages]
    assert row.title == page.title and page.title.startswith("Ember & Oak")
    assert row.screenshot is None and row.screenshot_note is None  # none was asked for


@pytest.mark.parametrize(("where", "status", "says"), [
    ("off-allowlist", 422, "may not be read"),
    ("missing-page", 502, "answered 404"),
])
async def test_a_scrape_that_cannot_be_done_says_why_and_stores_nothing(
        bus: Bus, db: Database, where: str, status: int, says: str) -> None:
    async with serve_site() as site:
        allowed = site if where != "off-allowlist" else None
        path = "/missing.html" if where == "missing-page" else "/"
        reply = await ask(bus, scraping(db, allowed), ScrapeRequest(
            url=f"{site.url}{path}", user_id=LOCAL_USER_ID))
        if where == "off-allowlist":
            assert site.requests == []
    assert (reply.scrape_id, reply.status) == (None, status)
    assert reply.error is not None and says in reply.error
    async with db.session() as s:
        assert (await s.exec(select(Scrape))).all() == []


async def generate_job_of(bus: Bus, job_id: str) -> GenerateRequest:
    """The generate job a clone handed on (it is in the jobs stream, for the generator)."""
    msg = await bus.js.get_last_msg(bus.subjects.jobs_stream, bus.subjects.generate)
    request = GenerateRequest.model_validate_json(msg.data)
    assert request.job_id == job_id
    return request


async def test_a_clone_reads_the_site_once_tells_what_it_found_and_hands_on_the_job(
        bus: Bus, db: Database) -> None:
    job = await new_job(db, "clone", prompt="make it green")
    message = CloneRequest(job_id=job.id, project_id=job.project_id, url="", prompt="greener",
                           pages=2, screenshot=False)
    async with serve_site() as site:
        message.url = f"{site.url}/"
        service = scraping(db, site)
        async with consuming(bus, db, SCRAPER, routes_handler(service, bus, db)):
            await bus.publish_job(bus.subjects.scrape, message, msg_id=job.id)
            scraped = await first_event(bus, job.id, "scrape")
            handed = await generate_job_of(bus, job.id)
            requests_after_first = len(site.requests)
            # A redelivery (a worker died after the hand-over) reads nothing again.
            await bus.publish_job(bus.subjects.scrape, message, msg_id=f"{job.id}:again")
            await asyncio.sleep(0.5)
            assert await generate_job_of(bus, job.id) == handed
        assert len(site.requests) == requests_after_first
    assert scraped["title"].startswith("Ember & Oak")
    assert scraped["palette"] and all(c.startswith("#") for c in scraped["palette"])
    assert scraped["pages"] == 2 and scraped["scrape_id"] == handed.scrape_id
    assert "screenshot_url" not in scraped or scraped["screenshot_url"] is None
    assert (handed.project_id, handed.prompt) == (job.project_id, "greener")
    row = await db.job(job.id)
    assert row is not None and row.status == JobStatus.RUNNING  # the generator's now
    result = read_result(row.result, GenerateResult)
    assert (result.cloned_url, result.scrape_id) == (message.url, handed.scrape_id)


async def test_a_clone_of_a_site_that_cannot_be_read_fails_with_the_reason(
        bus: Bus, db: Database) -> None:
    job = await new_job(db, "clone")
    async with serve_site() as site:
        message = CloneRequest(job_id=job.id, project_id=job.project_id,
                               url=f"{site.url}/gone.html", screenshot=False)
        [events] = await run_jobs(bus, db, SCRAPER, routes_handler(scraping(db, site), bus, db),
                                  [(bus.subjects.scrape, message)])
    assert events[-1].event == "error"
    assert events[-1].data["message"] == f"{site.url}/gone.html answered 404"
    row = await db.job(job.id)
    assert row is not None and row.status == JobStatus.ERROR


def routes_handler(service: Scraping, bus: Bus, db: Database) -> Router:
    return Router(routes(service, bus, db))


async def first_event(bus: Bus, channel: str, name: str) -> dict[str, object]:
    async with asyncio.timeout(30):
        async for _seq, event in bus.job_events(channel):
            if event.event == name:
                return event.data
            assert event.event not in ("error", "complete"), event.data
    raise AssertionError(f"no {name} event")

