"""Wiring of the scraper: reading sites for users, and the first step of clone jobs.

- ``subjects.scraper_scrape`` (core request/reply, any one replica): read a site now and
  store it as a :class:`~paynto_common.db.Scrape`; the reply names it (the gateway's
  ``/api/scrape-website``, ``/api/scrape-screenshot`` and ``/api/extract-brand-styles``).
- ``subjects.scrape`` (a job): a clone. The site is read and stored, a ``scrape`` event tells
  the person what was found, and the same job goes on to the generator as a generate job
  naming the scrape. A redelivered clone finds its scrape on the job row and reads nothing
  again.

Who reads is a setting (``SCRAPER_PROVIDER``): the built-in reader (:mod:`scraper.site`) or
Firecrawl (:mod:`scraper.firecrawl`); screenshots are Chromium's (:mod:`scraper.screenshot`).
Every fetch goes through the SSRF guard.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import trace

from paynto_common.bus import Bus, ConsumerOptions, Route
from paynto_common.db import LOCAL_USER_ID, Database, JobStatus, Scrape
from paynto_common.errors import PermanentJobError
from paynto_common.messages import (
    SCRAPER,
    Applied,
    CloneRequest,
    GenerateRequest,
    GenerateResult,
    Scraped,
    ScrapedPage,
    ScrapeReply,
    ScrapeRequest,
    read_result,
    stored,
)
from paynto_common.messages.scrape import screenshot_path
from paynto_common.metrics import SCRAPE_SECONDS, SCRAPES
from paynto_common.safety.urls import Resolver, UrlRefused
from paynto_common.service import Worker, end_stream
from paynto_common.telemetry import traced
from scraper.extract import same_site_links
from scraper.firecrawl import FirecrawlError, scrape_with_firecrawl
from scraper.screenshot import ScreenshotFailed, Screenshotter, ScreenshotUnavailable
from scraper.settings import ScraperSettings
from scraper.site import ReadFailed, SiteReader

log = logging.getLogger(__name__)


class ScrapeFailed(Exception):
    """A site that could not be read for a person, with the reason to show and whose fault
    it is in HTTP's words (see ``ScrapeReply.status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class _Read:
    pages: list[ScrapedPage]
    screenshot: bytes | None = None
    note: str | None = None


class Scraping:
    """Reads sites for users with the configured provider and stores what it read."""

    def __init__(self, settings: ScraperSettings, db: Database, *,
                 resolver: Resolver | None = None,
                 screenshots: Screenshotter | None = None) -> None:
        self.settings = settings
        self.db = db
        self.policy = settings.fetch_policy()
        self.resolver = resolver
        self.reader = SiteReader(self.policy, resolver=resolver,
                                 respect_robots=settings.scraper_respect_robots,
                                 page_delay=settings.scraper_page_delay_seconds)
        self.screenshots = screenshots or Screenshotter(self.policy, resolver=resolver)

    async def close(self) -> None:
        await self.screenshots.close()

    @traced("scrape")
    async def scrape(self, url: str, user_id: str, *, pages: int = 1,
                     screenshot: bool = False, project_id: str | None = None) -> Scrape:
        """Read ``url`` (and up to ``pages - 1`` more of its site) for ``user_id`` and store
        it; raise ScrapeFailed with the reason when the site cannot be read."""
        pages = max(1, min(pages, self.settings.scraper_max_pages))
        screenshot = screenshot and self.settings.scraper_screenshots
        provider = self.settings.scraper_provider
        # The site's host only: a URL's path and query may carry what is not ours to keep.
        trace.get_current_span().set_attributes({
            "paynto.scrape.provider": provider, "paynto.scrape.pages_asked": pages,
            "paynto.scrape.screenshot": screenshot, "server.address": urlsplit(url).hostname or ""})
        started = time.perf_counter()
        outcome = "error"
        try:
            if provider == "firecrawl":
                read = await self._firecrawl(url, pages, screenshot)
            else:
                read = await self._local(url, pages, screenshot)
            outcome = "ok"
        except UrlRefused as exc:
            outcome = "refused"
            raise ScrapeFailed(f"{url} may not be read: {exc.reason}", 422) from exc
        except ReadFailed as exc:
            outcome = "failed"
            raise ScrapeFailed(exc.message, exc.status) from exc
        except FirecrawlError as exc:
            outcome = "failed"
            raise ScrapeFailed(str(exc), exc.status) from exc
        finally:
            SCRAPES.labels(provider, outcome).inc()
            SCRAPE_SECONDS.observe(time.perf_counter() - started)
        trace.get_current_span().set_attribute("paynto.scrape.pages", len(read.pages))
        first = read.pages[0]
        row = Scrape(user_id=user_id, project_id=project_id, url=url, title=first.title,
                     provider=first.provider,
                     pages=[page.model_dump(mode="json") for page in read.pages],
                     screenshot=read.screenshot, screenshot_note=read.note)
        async with self.db.session() as s:
            s.add(row)
            await s.commit()
        log.info("scraped %s for %s: %d page(s), screenshot %s", url, user_id,
                 len(read.pages), "taken" if read.screenshot else read.note or "not asked")
        return row

    async def _local(self, url: str, pages: int, screenshot: bool) -> _Read:
        site = await self.reader.read(url, pages)
        read = _Read(site.pages)
        if screenshot:
            read.screenshot, read.note = await self._screenshot(site.pages[0].final_url)
        return read

    async def _firecrawl(self, url: str, pages: int, screenshot: bool) -> _Read:
        key = self.settings.firecrawl_api_key
        options: dict[str, Any] = {
            "api_key": key.get_secret_value() if key else None,
            "api_url": self.settings.firecrawl_api_url, "policy": self.policy,
            "resolver": self.resolver,
        }
        first = await scrape_with_firecrawl(url, screenshot=screenshot, **options)
        read = _Read([first.page], first.screenshot, first.screenshot_note)
        for link in same_site_links(first.page, limit=pages - 1) if pages > 1 else []:
            try:
                read.pages.append((await scrape_with_firecrawl(link, **options)).page)
            except (FirecrawlError, UrlRefused) as exc:
                log.info("skipped %s: %s", link, exc)
        return read

    async def _screenshot(self, url: str) -> tuple[bytes | None, str | None]:
        try:
            return await self.screenshots.take(url), None
        except ScreenshotUnavailable as exc:
            return None, exc.reason
        except (ScreenshotFailed, UrlRefused) as exc:
            log.info("no screenshot of %s: %s", url, exc)
            return None, f"the screenshot failed: {exc}"


def scraped_event(row: Scrape) -> Scraped:
    """The ``scrape`` event of a stored scrape: what the studio shows of it."""
    first = ScrapedPage.model_validate(row.pages[0])
    return Scraped(
        url=row.url, final_url=first.final_url, title=row.title,
        palette=[color.hex for color in first.brand.colors], fonts=list(first.brand.fonts),
        screenshot_url=screenshot_path(row.id) if row.screenshot else None,
        screenshot_note=row.screenshot_note, scrape_id=row.id, pages=len(row.pages),
        provider=row.provider,
    )


class CloneJob:
    """The scraper's part of a clone job: read, store, tell, hand on to the generator."""

    def __init__(self, scraping: Scraping, bus: Bus, db: Database) -> None:
        self.scraping = scraping
        self.bus = bus
        self.db = db

    async def handle(self, req: CloneRequest, attempt: int) -> None:
        job = await self.db.claim_job(req.job_id, attempt, user_id=req.user_id)
        if job is None:
            await end_stream(self.bus, self.db, req.job_id, Applied)
            return
        result = read_result(job.result, GenerateResult)
        row = await self._stored(result.scrape_id)
        if row is None:
            user = req.user_id or job.user_id or LOCAL_USER_ID
            try:
                row = await self.scraping.scrape(req.url, user, pages=req.pages,
                                                 screenshot=req.screenshot,
                                                 project_id=req.project_id)
            except ScrapeFailed as exc:
                raise PermanentJobError(exc.message) from exc
            result.cloned_url, result.scrape_id = req.url, row.id
            await self.db.set_job_status(req.job_id, JobStatus.RUNNING, result=stored(result))
        await self.bus.publish_event(req.job_id, scraped_event(row), msg_id=f"scrape:{req.job_id}")
        await self.bus.publish_job(
            self.bus.subjects.generate,
            GenerateRequest(job_id=req.job_id, project_id=req.project_id, user_id=req.user_id,
                            prompt=req.prompt, model=req.model, scrape_id=row.id),
            msg_id=f"generate:{req.job_id}",
        )

    async def _stored(self, scrape_id: str | None) -> Scrape | None:
        if scrape_id is None:
            return None
        async with self.db.session() as s:
            return await s.get(Scrape, scrape_id)


def routes(scraping: Scraping, bus: Bus, db: Database) -> dict[str, Route[Any]]:
    return {bus.subjects.scrape: Route(CloneRequest, CloneJob(scraping, bus, db).handle)}


async def answer_scrape(scraping: Scraping, req: ScrapeRequest) -> ScrapeReply:
    try:
        row = await scraping.scrape(req.url, req.user_id, pages=req.pages,
                                    screenshot=req.screenshot)
    except ScrapeFailed as exc:
        return ScrapeReply(error=exc.message, status=exc.status)
    return ScrapeReply(scrape_id=row.id)


async def run(settings: ScraperSettings) -> None:
    """Take clone jobs and answer scrape requests until a signal arrives."""
    worker = Worker(settings, SCRAPER, ConsumerOptions(
        ack_wait=settings.ack_wait_seconds, max_deliver=settings.max_deliver,
        concurrency=settings.concurrency))
    bus, db = await worker.start()
    scraping = Scraping(settings, db)

    async def answer(req: ScrapeRequest) -> ScrapeReply:
        return await answer_scrape(scraping, req)

    stop_answering = await bus.serve(bus.subjects.scraper_scrape, ScrapeRequest, answer,
                                     queue=SCRAPER)
    try:
        await worker.run(routes(scraping, bus, db), on_stop=[scraping.close])
    finally:
        await stop_answering()
