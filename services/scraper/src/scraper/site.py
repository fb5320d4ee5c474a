"""The built-in reader: a site's pages fetched through the SSRF guard and extracted here.

One reading shares one guarded client (so its pages share connections). robots.txt is read
first and obeyed unless the operator turned that off; the page's stylesheets are fetched (a
bounded number, with one level of ``@import``) so its brand can be read from them; further
pages are the first page's same-site links, fetched with the site's crawl delay.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

import httpx

from paynto_common.messages.scrape import ScrapedPage
from paynto_common.safety.urls import (
    Fetched,
    FetchPolicy,
    Resolver,
    UrlRefused,
    check_url,
    fetch,
    guarded_client,
)
from scraper.extract import extract_page, same_site_links, stylesheet_imports, stylesheet_urls
from scraper.robots import MAX_ROBOTS_BYTES, Robots, robots_url

log = logging.getLogger(__name__)

HTML = ("text/html", "application/xhtml+xml")
CSS = ("text/css",)
TEXT = ("text/plain", "text/*", "*/*")
# Stylesheets read per page (the ones it links, then what those import).
MAX_STYLESHEETS = 12
# The longest a site may ask us to wait between pages.
MAX_CRAWL_DELAY = 10.0


class ReadFailed(Exception):
    """The site could not be read; ``status`` says how in HTTP's words (403: robots.txt
    forbids it, 502: the site failed or answered with an error)."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class SiteRead:
    """What one reading of a site found: its pages, the asked-for one first."""

    pages: list[ScrapedPage]
    # Pages left out, and why (robots.txt, an error), for the person to see.
    skipped: list[str] = field(default_factory=list)


class SiteReader:
    """Reads sites for users within one fetch policy."""

    def __init__(self, policy: FetchPolicy, *, resolver: Resolver | None = None,
                 respect_robots: bool = True, page_delay: float = 0.0) -> None:
        self.policy = policy
        self.resolver = resolver
        self.respect_robots = respect_robots
        self.page_delay = page_delay

    async def read(self, url: str, pages: int = 1) -> SiteRead:
        """Read ``url``, then up to ``pages - 1`` pages it links on the same site. Raises
        UrlRefused for a URL the guard refuses, ReadFailed when the first page cannot be
        read; a further page that fails is skipped and said."""
        # The asked-for URL first, so a refused one is said as such (not as robots.txt).
        await check_url(url, self.policy, self.resolver)
        async with guarded_client(self.policy, self.resolver) as client:
            robots = await self._robots(url, client)
            first = await self._page(url, client, robots)
            read = SiteRead([first])
            delay = min(robots.crawl_delay() or self.page_delay, MAX_CRAWL_DELAY)
            further = same_site_links(first, limit=pages - 1) if pages > 1 else []
            for link in further:
                if delay:
                    await asyncio.sleep(delay)
                try:
                    read.pages.append(await self._page(link, client, robots))
                except (ReadFailed, UrlRefused) as exc:
                    # A ReadFailed names the page already; a refusal says only why.
                    why = exc.message if isinstance(exc, ReadFailed) else f"{link}: {exc.reason}"
                    read.skipped.append(why)
                    log.info("skipped a page: %s", why)
            return read

    async def _fetch(self, url: str, client: httpx.AsyncClient,
                     accept: tuple[str, ...]) -> Fetched:
        try:
            return await fetch(url, self.policy, resolver=self.resolver, accept=accept,
                               client=client)
        except httpx.HTTPError as exc:
            raise ReadFailed(f"{url} could not be reached ({type(exc).__name__})") from exc

    async def _robots(self, url: str, client: httpx.AsyncClient) -> Robots:
        if not self.respect_robots:
            return Robots.allowing_all()
        policy = replace(self.policy, max_bytes=MAX_ROBOTS_BYTES)
        try:
            answer = await fetch(robots_url(url), policy, resolver=self.resolver, accept=TEXT,
                                 client=client)
        except UrlRefused as exc:
            # Too large, too slow, or redirected somewhere refused: RFC 9309 reads a
            # robots.txt that cannot be read as "nothing may be fetched".
            log.info("robots.txt of %s unreadable: %s", url, exc.reason)
            return Robots.forbidding_all()
        except httpx.HTTPError as exc:
            # Nothing answers there at all: say so, rather than "robots.txt forbids it".
            raise ReadFailed(f"{url} could not be reached ({type(exc).__name__})") from exc
        return Robots.from_response(answer.status, answer.text())

    async def _page(self, url: str, client: httpx.AsyncClient, robots: Robots) -> ScrapedPage:
        if not robots.allowed(url):
            raise ReadFailed(f"the site's robots.txt does not allow reading {url}", 403)
        answer = await self._fetch(url, client, HTML)
        if answer.status >= 400:
            raise ReadFailed(f"{url} answered {answer.status}")
        html = answer.text()
        css, css_urls = await self._stylesheets(html, answer.url, client)
        return extract_page(html, answer.url, css, css_urls=css_urls, requested_url=url)

    async def _stylesheets(self, html: str, url: str, client: httpx.AsyncClient
                           ) -> tuple[list[str], list[str]]:
        """The text of the page's stylesheets and where each came from; a sheet that fails
        is left out (the page is still worth reading)."""
        queue = stylesheet_urls(html, url)
        seen: set[str] = set()
        texts: list[str] = []
        sources: list[str] = []
        while queue and len(seen) < MAX_STYLESHEETS:
            sheet = queue.pop(0)
            if sheet in seen:
                continue
            seen.add(sheet)
            try:
                answer = await self._fetch(sheet, client, CSS)
            except (ReadFailed, UrlRefused) as exc:
                log.info("stylesheet %s left out: %s", sheet, exc)
                continue
            if answer.status >= 400:
                continue
            text = answer.text()
            texts.append(text)
            sources.append(answer.url)
            queue.extend(stylesheet_imports(text, answer.url))
        return texts, sources
