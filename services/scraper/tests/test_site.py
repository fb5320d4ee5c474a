"""The built-in reader on a real site served on loopback (allowed by the test's allowlist):
pages, stylesheets and robots.txt fetched through the SSRF guard, robots.txt obeyed, further
pages found from the first, failures said."""

from __future__ import annotations

import pytest
from starlette.responses import PlainTextResponse

from paynto_common.safety.urls import FetchPolicy, UrlRefused, parse_allow_hosts
from scraper.site import ReadFailed, SiteReader
from scraper.testing.sites import ServedSite, serve_site

NO_DELAY = {"/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /admin/\n")}


def reader(site: ServedSite, **options: object) -> SiteReader:
    return SiteReader(FetchPolicy(allow_hosts=parse_allow_hosts(site.host)), **options)  # type: ignore[arg-type]


async def test_a_page_is_read_with_its_stylesheets_after_robots_txt() -> None:
    async with serve_site(overrides=NO_DELAY) as site:
        read = await reader(site).read(f"{site.url}/")
    [page] = read.pages
    assert page.title.startswith("Ember & Oak")
    assert page.final_url == f"{site.url}/"
    assert [h.text for h in page.headings][:1] == ["Roasted slowly. Brewed with care."]
    # The palette comes from the stylesheet (and the one it imports), which were fetched.
    assert page.brand.colors and page.brand.fonts
    paths = site.paths()
    assert paths[0] == "/robots.txt"
    assert {"/", "/css/site.css", "/css/fonts.css"} <= set(paths)
    assert "/css/print.css" not in paths  # a print stylesheet says nothing of the brand
    # Every request came from the guarded fetcher.
    assert {agent for _path, agent in site.requests} == {FetchPolicy().user_agent}


async def test_further_pages_come_from_the_navigation_and_a_broken_one_is_skipped() -> None:
    async with serve_site(overrides=NO_DELAY) as site:
        read = await reader(site).read(f"{site.url}/", pages=3)
    urls = [page.final_url for page in read.pages]
    assert urls[0] == f"{site.url}/"
    assert f"{site.url}/menu.html" in urls
    # /shop/ is in the navigation but not on this site: left out, and said.
    assert read.skipped == [f"{site.url}/shop/ answered 404"]
    assert len(read.pages) == 2


async def test_robots_txt_forbidding_the_page_stops_the_reading_unless_turned_off() -> None:
    closed = {"/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /\n")}
    async with serve_site(overrides=closed) as site:
        with pytest.raises(ReadFailed) as refused:
            await reader(site).read(f"{site.url}/")
        assert refused.value.status == 403 and "robots.txt" in refused.value.message
        assert site.paths() == ["/robots.txt"]
        read = await reader(site, respect_robots=False).read(f"{site.url}/")
    assert read.pages[0].title


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (503, False)])
async def test_a_missing_robots_txt_allows_all_and_a_failing_one_nothing(
        status: int, allowed: bool) -> None:
    answer = {"/robots.txt": PlainTextResponse("no", status_code=status)}
    async with serve_site(overrides=answer) as site:
        if allowed:
            assert (await reader(site).read(f"{site.url}/")).pages
        else:
            with pytest.raises(ReadFailed) as refused:
                await reader(site).read(f"{site.url}/")
            assert refused.value.status == 403


async def test_a_page_answering_an_error_is_a_failed_read() -> None:
    async with serve_site(overrides=NO_DELAY) as site:
        with pytest.raises(ReadFailed) as failed:
            await reader(site).read(f"{site.url}/nowhere.html")
    assert (failed.value.status, failed.value.message) == (
        502, f"{site.url}/nowhere.html answered 404")


async def test_a_loopback_site_off_the_allowlist_is_refused_before_any_request() -> None:
    async with serve_site() as site:
        with pytest.raises(UrlRefused):
            await SiteReader(FetchPolicy()).read(f"{site.url}/")
    assert site.requests == []


async def test_an_unreachable_site_is_a_failed_read() -> None:
    async with serve_site() as site:
        allowed = FetchPolicy(allow_hosts=parse_allow_hosts(site.host))
    # The server is gone: nothing listens on its port any more.
    with pytest.raises(ReadFailed) as failed:
        await SiteReader(allowed).read(f"{site.url}/")
    assert failed.value.status == 502 and "could not be reached" in failed.value.message
