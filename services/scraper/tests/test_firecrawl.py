"""Scraping through Firecrawl, with the unmodified SDK against a fake of Firecrawl's API on
loopback: the page reads as the built-in provider reads it, the screenshot comes through the
SSRF guard, and every failure has a status and a reason (never the key)."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from paynto_common.safety.urls import FetchPolicy, UrlRefused, parse_allow_hosts
from paynto_common.testing.serve import serve_app
from scraper.extract import extract_page
from scraper.firecrawl import FirecrawlError, FirecrawlResult, scrape_with_firecrawl
from scraper.testing.firecrawl import FakeSite, Pages, data_url, firecrawl_app, png

ROASTERY = Path(__file__).parent / "sites" / "roastery"
SITE = "https://emberandoak.example/"
# Where the site "ended up" by Firecrawl's account (after a redirect).
FINAL = "https://www.emberandoak.example/"
KEY = "fc-test-0123456789abcdef"
MARKDOWN = "# Roasted slowly. Brewed with care.\n\nSingle-origin beans, roasted every Tuesday.\n"
PUBLIC = "93.184.215.14"


class StubResolver:
    """Every name resolves to a public address; nothing connects to it (Firecrawl fetches)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return [PUBLIC]


@dataclass
class Fake:
    url: str
    app: Starlette
    policy: FetchPolicy
    resolver: StubResolver

    async def scrape(self, url: str = SITE, *, key: str | None = KEY,
                     screenshot: bool = False, policy: FetchPolicy | None = None
                     ) -> FirecrawlResult:
        return await scrape_with_firecrawl(
            url, api_key=key, api_url=self.url, policy=policy or self.policy,
            resolver=self.resolver, screenshot=screenshot, timeout=10,
        )

    def scrapes(self) -> list[Any]:
        return [r.body for r in self.app.state.requests if r.path == "/v2/scrape"]


@contextlib.asynccontextmanager
async def fake_firecrawl(pages: Pages, *, api_key: str | None = KEY) -> AsyncIterator[Fake]:
    app = firecrawl_app(pages, api_key=api_key)
    async with serve_app(app) as url:
        # The screenshot is downloaded from the fake: its host is let through the guard.
        policy = FetchPolicy(allow_hosts=parse_allow_hosts(url.removeprefix("http://")))
        yield Fake(url, app, policy, StubResolver())


def roastery(**overrides: Any) -> FakeSite:
    site = FakeSite(
        raw_html=(ROASTERY / "index.html").read_text(),
        markdown=MARKDOWN,
        links=[f"{FINAL}menu.html", f"{FINAL}wholesale/order", "https://partner.example/"],
        title="Ember & Oak Coffee Roasters",
        description="Small-batch specialty coffee from Bristol.",
        language="en-GB",
        final_url=FINAL,
    )
    return replace(site, **overrides)


async def test_a_page_reads_as_the_built_in_provider_reads_it() -> None:
    async with fake_firecrawl({SITE: roastery()}) as fake:
        result = await fake.scrape()
        [asked] = fake.scrapes()
        [request] = fake.app.state.requests
    page = result.page
    local = extract_page((ROASTERY / "index.html").read_text(), FINAL, requested_url=SITE)

    assert (page.provider, page.url, page.final_url) == ("firecrawl", SITE, FINAL)
    assert page.markdown == MARKDOWN
    assert page.title == "Ember & Oak Coffee Roasters"
    assert page.description == "Small-batch specialty coffee from Bristol."
    assert page.language == "en-GB"
    # Everything read from the HTML is the built-in extractor's reading.
    assert page.headings == local.headings
    assert page.sections == local.sections
    assert page.navigation == local.navigation
    assert page.images == local.images
    assert page.forms == local.forms
    assert page.brand == local.brand
    assert [h.text for h in page.headings][:2] == ["Roasted slowly. Brewed with care.",
                                                   "From farm to cup"]
    assert [s.id for s in page.sections if s.tag == "section"] == [
        "top", "story", "menu", "reviews", "newsletter"]
    assert [link.text for link in page.navigation] == ["Home", "Menu", "Shop beans", "Visit us"]
    assert f"{FINAL}img/roaster.svg" in [image.src for image in page.images]
    # Colours from the page's own <style> and theme-color (no stylesheet is fetched).
    assert {c.hex for c in page.brand.colors} >= {"#8b3a1d", "#2b211c"}
    assert page.brand.theme_color == "#8b3a1d"
    # Links only Firecrawl saw are added once, after the extractor's.
    hrefs = [link.href for link in page.links]
    assert hrefs[: len(local.links)] == [link.href for link in local.links]
    assert hrefs.count(f"{FINAL}menu.html") == 1
    extra = {link.href: link.internal for link in page.links[len(local.links):]}
    assert extra == {f"{FINAL}wholesale/order": True, "https://partner.example/": False}
    assert (result.screenshot, result.screenshot_note) == (None, None)

    # What Firecrawl was asked, in its API's words.
    assert asked["url"] == SITE
    assert asked["formats"] == ["markdown", "rawHtml", "links"]
    assert asked["onlyMainContent"] is False
    assert request.authorization == f"Bearer {KEY}"
    assert fake.resolver.calls == [("emberandoak.example", 443)]


async def test_the_screenshot_is_downloaded_through_the_guard() -> None:
    image = png(8, 6, (217, 163, 63))
    async with fake_firecrawl({SITE: roastery(screenshot=image)}) as fake:
        result = await fake.scrape(screenshot=True)
        [asked] = fake.scrapes()
        downloads = [r.path for r in fake.app.state.requests if r.method == "GET"]
    assert result.screenshot == image
    assert result.screenshot_note is None and result.page.screenshot_note is None
    assert {"type": "screenshot", "fullPage": True} in asked["formats"]
    assert len(downloads) == 1 and downloads[0].startswith("/screenshots/")


@pytest.mark.parametrize(("ref", "why"), [
    ("http://169.254.169.254/latest/meta-data/shot.png", "cloud metadata"),
    ("http://10.0.0.7/shot.png", "private address"),
])
async def test_a_screenshot_on_a_host_not_allowed_is_left_out_saying_why(
    ref: str, why: str
) -> None:
    async with fake_firecrawl({SITE: roastery(screenshot_ref=ref)}) as fake:
        result = await fake.scrape(screenshot=True)
        downloads = [r for r in fake.app.state.requests if r.method == "GET"]
    assert result.screenshot is None
    assert result.screenshot_note is not None and why in result.screenshot_note
    assert result.page.screenshot_note == result.screenshot_note
    assert result.page.title == "Ember & Oak Coffee Roasters"
    assert downloads == []


async def test_the_fakes_own_screenshot_url_needs_its_host_on_the_allowlist() -> None:
    async with fake_firecrawl({SITE: roastery()}) as fake:
        result = await fake.scrape(screenshot=True, policy=FetchPolicy())
    assert result.screenshot is None
    assert result.screenshot_note is not None and "loopback" in result.screenshot_note


async def test_a_self_hosted_firecrawl_needs_no_key_and_may_answer_a_data_url(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no key, the SDK would fall back to this variable; it must not.
    monkeypatch.setenv("FIRECRAWL_API_KEY", "fc-from-the-environment")
    image = png(3, 3)
    async with fake_firecrawl({SITE: roastery(screenshot_ref=data_url(image))},
                              api_key=None) as fake:
        result = await fake.scrape(key=None, screenshot=True)
        [request] = fake.app.state.requests
    assert result.page.provider == "firecrawl"
    assert result.screenshot == image
    assert request.authorization is None


async def test_a_data_url_that_is_no_image_is_left_out() -> None:
    ref = data_url(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png")
    async with fake_firecrawl({SITE: roastery(screenshot_ref=ref)}) as fake:
        result = await fake.scrape(screenshot=True)
    assert result.screenshot is None
    assert result.screenshot_note is not None and "not a PNG" in result.screenshot_note


async def test_a_refused_key_is_a_503_naming_the_setting_not_the_key() -> None:
    wrong = "fc-wrong-fedcba9876543210"
    async with fake_firecrawl({SITE: roastery()}) as fake:
        with pytest.raises(FirecrawlError) as caught:
            await fake.scrape(key=wrong)
        [request] = fake.app.state.requests
    assert request.authorization == f"Bearer {wrong}"
    assert caught.value.status == 503
    assert "FIRECRAWL_API_KEY" in str(caught.value)
    assert wrong not in str(caught.value) and KEY not in str(caught.value)


async def test_rate_limiting_is_a_429() -> None:
    async with fake_firecrawl({SITE: roastery()}) as fake:
        fake.app.state.rate_limited = True
        with pytest.raises(FirecrawlError) as caught:
            await fake.scrape()
        fake.app.state.rate_limited = False
        assert (await fake.scrape()).page.provider == "firecrawl"
    assert caught.value.status == 429
    assert "rate" in str(caught.value).lower()


@pytest.mark.parametrize(("pages", "reason"), [
    ({}, "nothing answered there"),
    ({SITE: FakeSite(raw_html="", error="the site reset every connection")},
     "the site reset every connection"),
    ({SITE: FakeSite(raw_html="<h1>Not found</h1>", status_code=404)}, "HTTP 404"),
])
async def test_a_failed_scrape_is_a_502_with_firecrawls_reason(
    pages: dict[str, FakeSite], reason: str
) -> None:
    async with fake_firecrawl(pages) as fake:
        with pytest.raises(FirecrawlError) as caught:
            await fake.scrape()
    assert caught.value.status == 502
    assert reason in str(caught.value)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:8080/admin",
])
async def test_an_internal_target_is_refused_before_firecrawl_is_asked(url: str) -> None:
    async with fake_firecrawl({url: roastery()}) as fake:
        with pytest.raises(UrlRefused):
            await fake.scrape(url, policy=FetchPolicy())
        assert fake.app.state.requests == []


async def test_without_a_key_or_url_nothing_is_asked() -> None:
    with pytest.raises(FirecrawlError) as caught:
        await scrape_with_firecrawl(SITE, api_key=None, api_url=None, policy=FetchPolicy(),
                                    resolver=StubResolver())
    assert caught.value.status == 503
    assert "FIRECRAWL_API_KEY" in str(caught.value)


async def test_an_unreachable_firecrawl_is_a_503() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there now: connections are refused.
    with pytest.raises(FirecrawlError) as caught:
        await scrape_with_firecrawl(SITE, api_key=KEY, api_url=f"http://127.0.0.1:{port}",
                                    policy=FetchPolicy(), resolver=StubResolver(), timeout=5)
    assert caught.value.status == 503
    assert "cannot be reached" in str(caught.value)


async def test_an_answer_that_is_no_page_is_a_502() -> None:
    async def garbage(request: Request) -> PlainTextResponse:
        return PlainTextResponse("<html>maintenance</html>")

    app = Starlette(routes=[Route("/v2/scrape", garbage, methods=["POST"])])
    async with serve_app(app) as url:
        with pytest.raises(FirecrawlError) as caught:
            await scrape_with_firecrawl(SITE, api_key=KEY, api_url=url, policy=FetchPolicy(),
                                        resolver=StubResolver())
    assert caught.value.status == 502


@pytest.mark.live
@pytest.mark.timeout(120)
@pytest.mark.skipif(not os.environ.get("FIRECRAWL_API_KEY"),
                    reason="FIRECRAWL_API_KEY is not set: the live Firecrawl test needs a key")
async def test_live_firecrawl() -> None:
    result = await scrape_with_firecrawl(
        "https://example.com/", api_key=os.environ["FIRECRAWL_API_KEY"],
        api_url=os.environ.get("FIRECRAWL_API_URL") or None, policy=FetchPolicy(),
        screenshot=True, timeout=60,
    )
    assert result.page.provider == "firecrawl"
    assert "Example Domain" in result.page.title
    assert result.page.markdown
    assert [h.text for h in result.page.headings] == ["Example Domain"]
    assert result.screenshot is not None or result.screenshot_note
