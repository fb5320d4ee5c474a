"""Full-page screenshots of untrusted pages, with Chromium kept off the network.

Chromium renders the page and runs its scripts, but never resolves a name or opens a
connection of its own:

- **Every request goes through the SSRF guard.** The context routes all requests to a handler
  that fetches them with :func:`paynto_common.safety.urls.fetch` (one guarded client per
  screenshot, shared by its sub-requests) and fulfils them with what came back, or aborts them:
  refused by the guard, not http(s), not a GET, over a cap, or the fetch failed. WebSockets are
  routed too, and closed. The requests Chromium makes carry nothing of the page's to the site
  (no cookies, no referrer): the fetcher sends its own headers.
- **Redirects are followed by the fetcher, never by Chromium.** Playwright lets Chromium follow
  a fulfilled 3xx by itself, outside the route (seen with Playwright 1.65), so no 3xx and no
  ``Location`` header is ever handed to it. The page's document is fetched before navigating
  and Chromium navigates straight to the URL it ended at, so its relative links resolve there;
  a sub-resource that redirected is served under the URL that asked for it.
- **A second line of defence**, should anything escape the route (a preconnect, a prefetch,
  something a later Chromium adds): all traffic is sent to a proxy at an address where nothing
  listens, loopback included; Chromium's resolver answers "not found" for every name; QUIC is
  off and WebRTC may not use UDP. Background networking (updates, sync, metrics) is off.
- Service workers are blocked, downloads refused, pop-ups closed as they open.
- **Caps**: requests per screenshot (beyond, aborted), bytes per screenshot (the guard's
  per-response cap also applies), sub-requests fetched at once, and one time limit for the
  whole screenshot once it starts (waiting for a free slot is not counted).

Chromium's own sandbox is used unless the process runs as root (where Chromium refuses it):
renderers run a stranger's JavaScript, and the guard is only as strong as the process that
runs it.

The browser is launched on first use and shared by later screenshots, each in a new context
closed afterwards; at most ``concurrency`` screenshots run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    WebSocketRoute,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from paynto_common.safety.urls import (
    Fetched,
    FetchPolicy,
    Resolver,
    UrlRefused,
    check_url,
    fetch,
    guarded_client,
)

__all__ = [
    "BROWSER_ARGS",
    "Screenshot",
    "ScreenshotFailed",
    "ScreenshotStats",
    "ScreenshotUnavailable",
    "Screenshotter",
    "chromium_executable",
]

log = logging.getLogger(__name__)

CHROMIUM_PATH_ENV = "CHROMIUM_PATH"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
NOT_INSTALLED = "Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)"

# Nothing listens on the discard port; with Playwright's "<-loopback>" bypass rule (added
# whenever a proxy is set and the bypass list does not name loopback) even loopback goes there.
DEAD_PROXY = "http://127.0.0.1:9"

BROWSER_ARGS: tuple[str, ...] = (
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-pings",
    # Names never resolve inside Chromium, so nothing that escapes the route finds a host.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    # QUIC (and WebTransport) and WebRTC speak UDP, which no proxy setting covers: off, and
    # WebRTC may only go through the (dead) proxy. Without this flag a page's
    # RTCPeerConnection sends STUN packets to any address it names.
    "--disable-quic",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
)

# A document (the page, a frame) must be of a type the policy accepts: anything else would be a
# download. Sub-resources may be of any type (scripts, fonts, JSON for the page's scripts).
SUBRESOURCE_TYPES: tuple[str, ...] = ("*/*",)

# Response headers handed to Chromium with a body; everything else stays with the fetcher
# (Set-Cookie, Location, Refresh, Content-Encoding of a body httpx has already decoded...).
PASSED_HEADERS = frozenset({
    "content-type",
    "content-language",
    "content-security-policy",
    "x-frame-options",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-expose-headers",
    "timing-allow-origin",
})

LOAD_SHARE = 0.6  # of the time left, for the page's "load" event
SETTLE_SECONDS = 2.0  # at most this long for the network to go quiet after "load"
CLOSE_SECONDS = 5.0  # for a context to close before the browser is deemed stuck
FETCHES_AT_ONCE = 6  # sub-requests of one screenshot fetched at once, like a browser per host


class ScreenshotUnavailable(Exception):
    """No screenshot can be taken on this machine; ``reason`` says why (no Chromium...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ScreenshotFailed(Exception):
    """The page could not be loaded or captured; ``reason`` is safe to show to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ScreenshotStats:
    """What became of the requests of one screenshot, the page's document included.

    ``fulfilled``: answered with what the guarded fetcher got (whatever its status).
    ``refused``: the guard refused the URL (an address it may not reach, a host it cannot
    resolve, a response over its caps...). ``aborted``: not fetched for another reason: not
    http(s), not a GET, a WebSocket, over the screenshot's request or byte cap, or the fetch
    failed. ``bytes``: response bodies handed to Chromium.
    """

    fulfilled: int = 0
    refused: int = 0
    aborted: int = 0
    bytes: int = 0

    @property
    def requests(self) -> int:
        return self.fulfilled + self.refused + self.aborted


@dataclass(frozen=True)
class Screenshot:
    """A PNG of ``url`` (the page's URL after redirects) and what its requests came to."""

    png: bytes
    url: str
    stats: ScreenshotStats


def chromium_executable(environ: Mapping[str, str] | None = None) -> str | None:
    """Chromium's path: ``CHROMIUM_PATH`` when set (as given), else the first of Debian's
    usual paths that exists, else None."""
    env = os.environ if environ is None else environ
    configured = env.get(CHROMIUM_PATH_ENV, "").strip()
    if configured:
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _first_line(exc: BaseException) -> str:
    # Playwright's messages go on with a call log (selectors, URLs): the first line says it.
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _passed_headers(fetched: Fetched) -> dict[str, str]:
    return {name: value for name, value in fetched.headers.items()
            if name.lower() in PASSED_HEADERS}


def _status(fetched: Fetched) -> int:
    # fetch returns a 3xx only when it had no Location; Chromium must not see one anyway.
    return 200 if 300 <= fetched.status < 400 else fetched.status


class _Capture:
    """One screenshot: its guarded client, its counts and caps, and its route handlers."""

    def __init__(self, shooter: Screenshotter, client: httpx.AsyncClient,
                 stats: ScreenshotStats, document: Fetched) -> None:
        self.shooter = shooter
        self.client = client
        self.stats = stats
        self.document: Fetched | None = document
        self.routed = 1  # the document, fetched before navigating
        self.slots = asyncio.Semaphore(FETCHES_AT_ONCE)
        self.page: Page | None = None

    async def on_request(self, route: Route) -> None:
        try:
            await self._answer(route)
        except PlaywrightError:
            # Mostly the context closing while this request was in flight; anything else
            # must not leave the request hanging.
            with contextlib.suppress(PlaywrightError):
                await route.abort("failed")
        except Exception:
            log.exception("screenshot: a request handler failed")
            self.stats.aborted += 1
            with contextlib.suppress(PlaywrightError):
                await route.abort("failed")

    async def _answer(self, route: Route) -> None:
        request = route.request
        shooter, stats = self.shooter, self.stats
        navigation = request.is_navigation_request()
        if (navigation and self.document is not None and self.page is not None
                and request.method == "GET" and request.frame == self.page.main_frame):
            # The navigation to the document fetched beforehand (and counted then).
            document, self.document = self.document, None
            await self._fulfil(route, document, counted=True)
            return
        self.routed += 1
        if self.routed > shooter.max_requests:
            stats.aborted += 1
            await route.abort("blockedbyclient")
            return
        if urlsplit(request.url).scheme not in ("http", "https") or request.method != "GET":
            stats.aborted += 1
            await route.abort("blockedbyclient")
            return
        remaining = shooter.max_total_bytes - stats.bytes
        if remaining <= 0:
            stats.aborted += 1
            await route.abort("blockedbyclient")
            return
        policy = dataclasses.replace(shooter.policy,
                                     max_bytes=min(shooter.policy.max_bytes, remaining))
        accept = shooter.policy.content_types if navigation else SUBRESOURCE_TYPES
        try:
            async with self.slots:
                fetched = await fetch(request.url, policy, resolver=shooter.resolver,
                                      accept=accept, client=self.client)
        except UrlRefused:
            stats.refused += 1
            await route.abort("blockedbyclient")
            return
        except httpx.HTTPError as exc:
            log.info("screenshot: a sub-request failed: %s", _first_line(exc))
            stats.aborted += 1
            await route.abort("failed")
            return
        await self._fulfil(route, fetched, counted=False)

    async def _fulfil(self, route: Route, fetched: Fetched, *, counted: bool) -> None:
        if not counted:
            self.stats.fulfilled += 1
            self.stats.bytes += len(fetched.content)
        await route.fulfill(status=_status(fetched), headers=_passed_headers(fetched),
                            body=fetched.content)

    async def on_websocket(self, route: WebSocketRoute) -> None:
        # Never connected to a server: closed as soon as the page opens it.
        self.stats.aborted += 1
        with contextlib.suppress(PlaywrightError):
            await route.close(code=1008, reason="not allowed")


class Screenshotter:
    """Full-page PNG screenshots of pages, every request of which passes the SSRF guard.

    ``take(url)`` returns the PNG and leaves the screenshot's :class:`ScreenshotStats` in
    ``last_stats`` (the last one to start, when several run at once); ``capture(url)``
    returns both together, for callers that run screenshots concurrently.

    ``sandbox``: Chromium's sandbox; None uses it unless running as root. ``max_total_bytes``
    caps the bodies of one screenshot; ``concurrency`` is how many screenshots run at once.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver | None = None,
        executable: str | None = None,
        width: int = 1280,
        height: int = 800,
        max_height: int = 6000,
        timeout: float = 30.0,
        max_requests: int = 150,
        max_total_bytes: int = 50 * 1024 * 1024,
        concurrency: int = 2,
        sandbox: bool | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.executable = executable
        self.width = width
        self.height = height
        self.max_height = max(max_height, height)
        self.timeout = timeout
        self.max_requests = max_requests
        self.max_total_bytes = max_total_bytes
        self.sandbox = os.geteuid() != 0 if sandbox is None else sandbox
        self.last_stats: ScreenshotStats | None = None
        self._slots = asyncio.Semaphore(concurrency)
        self._launching = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def __aenter__(self) -> Screenshotter:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def take(self, url: str) -> bytes:
        """A PNG of the page at ``url``, ``width`` wide and at most ``max_height`` tall.

        Raise UrlRefused if the guard refuses the URL (checked before Chromium starts) or
        where it redirects, ScreenshotUnavailable without a usable Chromium, ScreenshotFailed
        if the page cannot be loaded (an error status included) or captured in time.
        """
        stats = ScreenshotStats()
        self.last_stats = stats
        return (await self._capture(url, stats)).png

    async def capture(self, url: str) -> Screenshot:
        """Like :meth:`take`, with the final URL and the request counts."""
        return await self._capture(url, ScreenshotStats())

    async def close(self) -> None:
        """Close the browser (the next screenshot launches it again)."""
        async with self._launching:
            await self._shut_down()

    # --- the browser ------------------------------------------------------------------------

    async def _ensure_browser(self) -> Browser:
        async with self._launching:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            await self._shut_down()
            executable = self.executable or chromium_executable()
            if executable is None:
                raise ScreenshotUnavailable(NOT_INSTALLED)
            if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
                raise ScreenshotUnavailable(
                    f"Chromium was not found at {executable} (apt-get install chromium, "
                    f"or set CHROMIUM_PATH)")
            try:
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=executable,
                    args=list(BROWSER_ARGS),
                    proxy={"server": DEAD_PROXY},
                    chromium_sandbox=self.sandbox,
                    timeout=30_000,
                )
            except Exception as exc:
                await self._shut_down()
                raise ScreenshotUnavailable(
                    f"Chromium at {executable} did not start: {_first_line(exc)}") from exc
            log.info("screenshot: Chromium started (%s, sandbox %s)", executable,
                     "on" if self.sandbox else "off")
            return self._browser

    async def _shut_down(self) -> None:
        browser, self._browser = self._browser, None
        driver, self._playwright = self._playwright, None
        if browser is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_SECONDS):
                    await browser.close()
        if driver is not None:
            with contextlib.suppress(Exception):
                await driver.stop()

    async def _discard(self, browser: Browser) -> None:
        """Drop a browser that no longer answers, unless it was replaced meanwhile."""
        async with self._launching:
            if self._browser is browser:
                log.warning("screenshot: Chromium stopped answering; it will be restarted")
                await self._shut_down()

    # --- one screenshot ---------------------------------------------------------------------

    async def _capture(self, url: str, stats: ScreenshotStats) -> Screenshot:
        await check_url(url, self.policy, self.resolver)
        browser = await self._ensure_browser()
        async with self._slots:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._shoot(browser, url, stats)
            except TimeoutError:
                raise self._too_slow() from None

    def _too_slow(self) -> ScreenshotFailed:
        return ScreenshotFailed(
            f"the page took longer than {self.timeout:g} s to load and capture")

    async def _shoot(self, browser: Browser, url: str, stats: ScreenshotStats) -> Screenshot:
        deadline = asyncio.get_running_loop().time() + self.timeout

        def left_ms() -> float:
            return max(1.0, (deadline - asyncio.get_running_loop().time()) * 1000)

        async with guarded_client(self.policy, self.resolver) as client:
            try:
                document = await fetch(url, self.policy, resolver=self.resolver, client=client)
            except httpx.HTTPError as exc:
                stats.aborted += 1
                raise ScreenshotFailed(f"the page could not be loaded: {_first_line(exc)}"
                                       ) from None
            except UrlRefused:
                stats.refused += 1
                raise
            stats.fulfilled += 1
            stats.bytes += len(document.content)
            if document.status >= 400:
                raise ScreenshotFailed(f"the page answered HTTP {document.status}")
            capture = _Capture(self, client, stats, document)
            try:
                context = await browser.new_context(
                    viewport={"width": self.width, "height": self.height},
                    device_scale_factor=1,
                    service_workers="block",
                    accept_downloads=False,
                    reduced_motion="reduce",
                )
            except PlaywrightError as exc:
                await self._discard(browser)
                raise ScreenshotFailed(f"the browser failed: {_first_line(exc)}") from exc
            try:
                return await self._render(context, capture, document.url, left_ms)
            finally:
                await self._close_context(browser, context)

    async def _render(self, context: BrowserContext, capture: _Capture, url: str,
                      left_ms: Callable[[], float]) -> Screenshot:
        await context.route("**/*", capture.on_request)
        await context.route_web_socket("**/*", capture.on_websocket)
        page = await context.new_page()
        capture.page = page

        async def close_popup(popup: Page) -> None:
            if popup is not page:
                with contextlib.suppress(PlaywrightError):
                    await popup.close()

        context.on("page", close_popup)
        page.on("requestfailed", _warn_if_escaped)
        try:
            # Part of the time only: what loaded by then is still worth a picture.
            await page.goto(url, wait_until="load", timeout=left_ms() * LOAD_SHARE)
        except PlaywrightTimeoutError:
            if capture.document is not None:
                raise ScreenshotFailed("the page did not start loading") from None
        except PlaywrightError as exc:
            raise ScreenshotFailed(f"the page could not be shown: {_first_line(exc)}"
                                   ) from None
        with contextlib.suppress(PlaywrightTimeoutError):
            await page.wait_for_load_state(
                "networkidle", timeout=min(SETTLE_SECONDS * 1000, left_ms()))
        try:
            png = await page.screenshot(
                type="png",
                full_page=True,
                clip={"x": 0, "y": 0, "width": self.width, "height": self.max_height},
                animations="disabled",
                timeout=left_ms(),
            )
        except PlaywrightTimeoutError:
            raise self._too_slow() from None
        except PlaywrightError as exc:
            raise ScreenshotFailed(f"the page could not be captured: {_first_line(exc)}"
                                   ) from None
        log.info("screenshot: %d requests (%d fulfilled, %d refused, %d aborted), %d bytes",
                 capture.stats.requests, capture.stats.fulfilled, capture.stats.refused,
                 capture.stats.aborted, capture.stats.bytes)
        return Screenshot(png=png, url=url, stats=capture.stats)

    async def _close_context(self, browser: Browser, context: BrowserContext) -> None:
        try:
            # Not unroute_all() first: it waits on the page, which a busy script never frees.
            # Handlers still fetching find their route gone and give up.
            async with asyncio.timeout(CLOSE_SECONDS):
                await context.close()
        except (TimeoutError, PlaywrightError):
            await self._discard(browser)


def _warn_if_escaped(request: Any) -> None:
    # Only a request that reached Chromium's own network stack fails this way: the route
    # should have answered it. The dead proxy stopped it; say so, loudly.
    failure = request.failure or ""
    if "PROXY" in failure or "NAME_NOT_RESOLVED" in failure:
        log.warning("screenshot: a request escaped the route and was stopped (%s): %s",
                    failure, urlsplit(request.url).netloc)
