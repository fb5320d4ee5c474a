"""Screenshots: Chromium renders the page but every request it makes goes through the SSRF guard.

The sites are served on loopback and allowed by host:port; a "canary" (a TCP and a UDP socket
on other loopback ports, not allowed) must never hear from Chromium, whatever the page tries.
Requests that reach the allowed site are checked to have come from our fetcher (its
User-Agent), not from Chromium.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from paynto_common.safety.urls import FetchPolicy, Resolver, UrlRefused, parse_allow_hosts
from paynto_common.testing.browser import require_chromium
from paynto_common.testing.serve import serve_app
from scraper import screenshot
from scraper.screenshot import (
    NOT_INSTALLED,
    ScreenshotFailed,
    Screenshotter,
    ScreenshotUnavailable,
    chromium_executable,
)

SITES = Path(__file__).parent / "sites"
USER_AGENT = FetchPolicy().user_agent
MISSING_CHROMIUM = "/nonexistent/chromium"
PIXEL = (b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
         b'<rect width="1" height="1"/></svg>')


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG must start with."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# --- the canary: TCP and UDP on loopback, allowed to nobody ---------------------------------


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, received: list[bytes]) -> None:
        self.received = received

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.received.append(data)


@dataclass
class Canary:
    host: str  # "127.0.0.1:port" of the TCP listener
    udp: str  # "127.0.0.1:port" of the UDP socket
    connections: list[bytes] = field(default_factory=list)  # the first bytes of each
    datagrams: list[bytes] = field(default_factory=list)

    def heard(self) -> int:
        return len(self.connections) + len(self.datagrams)


@pytest_asyncio.fixture
async def canary() -> AsyncIterator[Canary]:
    connections: list[bytes] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            connections.append(await asyncio.wait_for(reader.read(200), 2))
        except TimeoutError:
            connections.append(b"")  # a bare connection (a preconnect) counts too
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    datagrams: list[bytes] = []
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Datagrams(datagrams), local_addr=("127.0.0.1", 0))
    tcp_port = server.sockets[0].getsockname()[1]
    udp_port = transport.get_extra_info("sockname")[1]
    try:
        yield Canary(f"127.0.0.1:{tcp_port}", f"127.0.0.1:{udp_port}", connections, datagrams)
    finally:
        transport.close()
        server.close()
        await server.wait_closed()


# --- the site: the roastery, the hostile pages, and a record of every request ---------------


@dataclass
class Site:
    base: str
    policy: FetchPolicy
    hits: list[tuple[str, str]]  # (path, User-Agent)

    def paths(self) -> list[str]:
        return [path for path, _ in self.hits]


def _recording(app: ASGIApp, hits: list[tuple[str, str]]) -> ASGIApp:
    async def record(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            agent = dict(scope["headers"]).get(b"user-agent", b"").decode("latin-1")
            hits.append((scope["path"], agent))
        await app(scope, receive, send)
    return record


@pytest_asyncio.fixture
async def site(canary: Canary) -> AsyncIterator[Site]:
    ran = asyncio.Event()

    async def hostile(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in {p.name for p in (SITES / "hostile").glob("*.html")}:
            return Response(status_code=404)
        text = (SITES / "hostile" / name).read_text()
        return HTMLResponse(text.replace("CANARY_UDP", canary.udp)
                            .replace("CANARY", canary.host))

    async def hold(request: Request) -> Response:
        # Keeps the page's "load" waiting until its scripts report (or a bound passes).
        try:
            await asyncio.wait_for(ran.wait(), 10)
        except TimeoutError:
            pass
        return Response(PIXEL, media_type="image/svg+xml")

    async def report(request: Request) -> Response:
        ran.set()
        return Response(status_code=204)

    app = Starlette(routes=[
        Route("/hostile/{name}", hostile),
        Route("/hold", hold),
        Route("/ran", report),
        Route("/go", lambda request: RedirectResponse("/index.html", status_code=302)),
        Route("/away", lambda request: RedirectResponse(f"http://{canary.host}/",
                                                        status_code=302)),
        Mount("/", StaticFiles(directory=SITES / "roastery")),
    ])
    hits: list[tuple[str, str]] = []
    async with serve_app(_recording(app, hits)) as base:
        host = base.removeprefix("http://")
        yield Site(base, FetchPolicy(allow_hosts=parse_allow_hosts(host)), hits)


def resolver_of(answers: dict[str, Sequence[str]], asked: list[str] | None = None) -> Resolver:
    """A resolver that knows only ``answers``; no test asks the real DNS."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        if asked is not None:
            asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown in this test")
        return answers[host]
    return resolve


NO_DNS = resolver_of({})


# --- without Chromium -----------------------------------------------------------------------


def test_chromium_is_found_through_the_setting_then_the_usual_paths() -> None:
    assert chromium_executable({"CHROMIUM_PATH": "/opt/chromium/chrome"}) == "/opt/chromium/chrome"
    usual = next((path for path in screenshot.CHROMIUM_CANDIDATES if Path(path).is_file()), None)
    assert chromium_executable({}) == usual
    assert chromium_executable({"CHROMIUM_PATH": "  "}) == usual


async def test_a_missing_executable_is_unavailable_with_the_reason(site: Site) -> None:
    async with Screenshotter(site.policy, resolver=NO_DNS, executable=MISSING_CHROMIUM) as shot:
        with pytest.raises(ScreenshotUnavailable) as caught:
            await shot.take(f"{site.base}/index.html")
    assert MISSING_CHROMIUM in caught.value.reason
    assert "apt-get install chromium" in caught.value.reason
    assert site.hits == []  # nothing was fetched for a screenshot that cannot be taken


async def test_no_chromium_at_all_says_how_to_install_it(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    monkeypatch.setattr(screenshot, "CHROMIUM_CANDIDATES", ("/nonexistent/chromium-browser",))
    async with Screenshotter(site.policy, resolver=NO_DNS) as shot:
        with pytest.raises(ScreenshotUnavailable) as caught:
            await shot.take(f"{site.base}/index.html")
    assert caught.value.reason == NOT_INSTALLED


async def test_a_page_url_the_guard_refuses_fails_before_chromium_starts(
    canary: Canary,
) -> None:
    # A missing executable would raise ScreenshotUnavailable: the refusal comes first.
    async with Screenshotter(FetchPolicy(), resolver=NO_DNS, executable=MISSING_CHROMIUM) as shot:
        with pytest.raises(UrlRefused) as caught:
            await shot.take(f"http://{canary.host}/")
    assert "loopback" in caught.value.reason
    assert canary.heard() == 0


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254", "127.0.0.1", "::1"])
async def test_a_name_for_an_internal_address_is_refused(address: str, canary: Canary) -> None:
    asked: list[str] = []
    resolver = resolver_of({"shop.example": [address]}, asked)
    async with Screenshotter(FetchPolicy(), resolver=resolver,
                             executable=MISSING_CHROMIUM) as shot:
        with pytest.raises(UrlRefused) as caught:
            await shot.take("http://shop.example/")
    assert asked == ["shop.example"]
    assert f"resolves to {address}" in caught.value.reason


# --- with Chromium --------------------------------------------------------------------------


@pytest.mark.slow
async def test_a_full_page_screenshot_whose_every_request_went_through_the_guard(
    site: Site,
) -> None:
    chromium = require_chromium()
    async with Screenshotter(site.policy, resolver=NO_DNS, executable=chromium) as shot:
        png = await shot.take(f"{site.base}/index.html")
        stats = shot.last_stats
    width, height = png_size(png)
    assert width == 1280
    assert 800 < height <= 6000  # the whole page, not the viewport
    assert {"/index.html", "/css/site.css", "/img/logo.svg", "/img/hero-beans.svg"} <= set(
        site.paths())
    assert {agent for _, agent in site.hits} == {USER_AGENT}
    assert stats is not None
    # One fetch per request that reached the site, and the image on cdn.example.org (which
    # does not resolve here) refused.
    assert stats.fulfilled == len(site.hits)
    assert stats.refused >= 1
    assert stats.bytes > 0


@pytest.mark.slow
async def test_resources_on_a_host_not_allowed_are_never_reached(
    site: Site, canary: Canary
) -> None:
    chromium = require_chromium()
    async with Screenshotter(site.policy, resolver=NO_DNS, executable=chromium) as shot:
        result = await shot.capture(f"{site.base}/hostile/references.html")
    assert png_size(result.png)[0] == 1280
    assert "/img/logo.svg" in site.paths()  # the page did load its allowed resources
    assert result.stats.refused >= 4  # stylesheet, background, image, frame at least
    assert canary.connections == []


@pytest.mark.slow
async def test_scripts_cannot_reach_a_host_not_allowed(site: Site, canary: Canary) -> None:
    chromium = require_chromium()
    async with Screenshotter(site.policy, resolver=NO_DNS, executable=chromium) as shot:
        result = await shot.capture(f"{site.base}/hostile/scripts.html")
    assert png_size(result.png)[0] == 1280
    (ran,) = [path for path in site.paths() if path == "/ran"]  # every probe had its go
    assert ran
    assert {agent for _, agent in site.hits} == {USER_AGENT}
    assert result.stats.refused >= 3  # fetch, beacon, worker's fetch (the pop-up may close first)
    assert result.stats.aborted >= 1  # the WebSocket
    assert canary.connections == []
    assert canary.datagrams == []  # WebRTC's STUN to the canary's UDP port


@pytest.mark.slow
async def test_redirects_are_followed_by_the_guard(site: Site, canary: Canary) -> None:
    chromium = require_chromium()
    async with Screenshotter(site.policy, resolver=NO_DNS, executable=chromium) as shot:
        result = await shot.capture(f"{site.base}/go")
        # Chromium navigated to where the redirect led, so relative links resolved there.
        assert result.url == f"{site.base}/index.html"
        assert "/css/site.css" in site.paths()
        with pytest.raises(UrlRefused):
            await shot.take(f"{site.base}/away")
        with pytest.raises(ScreenshotFailed) as caught:
            await shot.take(f"{site.base}/no-such-page.html")
    assert "404" in caught.value.reason
    assert canary.heard() == 0


@pytest.mark.slow
async def test_requests_beyond_the_cap_are_aborted(site: Site) -> None:
    chromium = require_chromium()
    async with Screenshotter(site.policy, resolver=NO_DNS, executable=chromium,
                             max_requests=3) as shot:
        result = await shot.capture(f"{site.base}/index.html")
    png_size(result.png)
    assert len(site.hits) <= 3
    assert result.stats.fulfilled + result.stats.refused <= 3
    assert result.stats.aborted >= 1


@pytest.mark.slow
async def test_a_page_that_never_finishes_fails_in_time_and_the_browser_goes_on(
    site: Site,
) -> None:
    chromium = require_chromium()
    async with Screenshotter(site.policy, resolver=NO_DNS, executable=chromium,
                             timeout=3) as shot:
        with pytest.raises(ScreenshotFailed) as caught:
            await shot.take(f"{site.base}/hostile/busy.html")
        assert "3 s" in caught.value.reason
        shot.timeout = 30  # read at each screenshot; the next one may need a new browser
        png = await shot.take(f"{site.base}/index.html")
    assert png_size(png)[0] == 1280
