"""Reading sites: the built-in reader on the fixture roastery site served on loopback.

- Pages per second of a whole reading (robots.txt, the page, its stylesheets through the
  SSRF guard, then extraction), against the baseline measured in the same run: the same
  requests with plain httpx and no extraction. Their ratio is what the guard and the
  extraction cost.
- Extraction alone, per page.
- A full-page Chromium screenshot per page (the first one starts the browser).
- A clone through the whole system with the offline clone writer: request to preview ready.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
from starlette.responses import PlainTextResponse

from bench.stats import ms, summary
from paynto_common.safety.urls import FetchPolicy, parse_allow_hosts
from scraper.extract import extract_page, stylesheet_urls
from scraper.screenshot import Screenshotter, ScreenshotUnavailable, chromium_executable
from scraper.site import SiteReader
from scraper.testing.sites import serve_site

READS = int(os.environ.get("BENCH_SCRAPE_READS", "60"))
SHOTS = int(os.environ.get("BENCH_SCREENSHOTS", "6"))
CLONES = int(os.environ.get("BENCH_CLONES", "4"))
# The fixture's robots.txt asks for 2 s between pages; one page a reading needs none.
QUICK_ROBOTS = {"/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /admin/\n")}


async def _plain(client: httpx.AsyncClient, url: str) -> None:
    """The baseline: the same requests a reading makes, unguarded, nothing extracted."""
    await client.get(url.rsplit("/", 1)[0] + "/robots.txt")
    page = await client.get(url)
    for sheet in stylesheet_urls(page.text, url):
        await client.get(sheet)
    await client.get(url.rsplit("/", 1)[0] + "/css/fonts.css")


async def scraping(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    async with serve_site(overrides=QUICK_ROBOTS) as site:
        url = f"{site.url}/"
        policy = FetchPolicy(allow_hosts=parse_allow_hosts(site.host))
        reader = SiteReader(policy)
        async with httpx.AsyncClient() as client:
            await _plain(client, url)
            plain: list[float] = []
            for _ in range(READS):
                started = time.perf_counter()
                await _plain(client, url)
                plain.append(time.perf_counter() - started)
        await reader.read(url)
        reads: list[float] = []
        for _ in range(READS):
            started = time.perf_counter()
            await reader.read(url)
            reads.append(time.perf_counter() - started)
        html = (await httpx.AsyncClient().get(url)).text
        extracts: list[float] = []
        for _ in range(READS):
            started = time.perf_counter()
            extract_page(html, url)
            extracts.append(time.perf_counter() - started)
        r, p, e = summary(reads), summary(plain), summary(extracts)
        rows.append(("read a page (robots, page, CSS via guard, extract)",
                     f"{1 / r['mean']:.1f} pages/s",
                     f"p50 {ms(r['p50'])}, p99 {ms(r['p99'])}; plain httpx, nothing "
                     f"extracted: p50 {ms(p['p50'])} ({r['p50'] / p['p50']:.1f}x)"))
        rows.append(("extract one page (HTML already read)", ms(e["p50"]),
                     f"p99 {ms(e['p99'])}, n={READS}"))
        rows += await _screenshots(url, policy)
    rows += await _clones(nats_url, data)
    return rows


async def _screenshots(url: str, policy: FetchPolicy) -> list[tuple[str, str, str]]:
    if chromium_executable() is None:
        return [("screenshot of a page", "skipped", "Chromium is not installed")]
    async with Screenshotter(policy) as shots:
        started = time.perf_counter()
        try:
            await shots.take(url)
        except ScreenshotUnavailable as exc:
            return [("screenshot of a page", "skipped", exc.reason)]
        cold = time.perf_counter() - started
        warm: list[float] = []
        for _ in range(SHOTS):
            started = time.perf_counter()
            await shots.take(url)
            warm.append(time.perf_counter() - started)
    s = summary(warm)
    return [("full-page screenshot (Chromium, every request via the guard)",
             f"{s['p50']:.2f} s", f"p99 {s['p99']:.2f} s, n={SHOTS}; the first, starting "
             f"the browser: {cold:.2f} s")]


async def _clones(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    from paynto_cli.sse import JobStream
    from tests.system import running_system

    env = {"SCRAPER_ALLOW_HOSTS": "127.0.0.1", "LLM_MODEL": "offline"}
    times: list[float] = []
    async with serve_site(overrides=QUICK_ROBOTS) as site:
        with running_system(data, nats_url, extra_env=env) as system:
            async with httpx.AsyncClient(base_url=system.gateway_url, timeout=300) as c:
                for _ in range(CLONES + 1):
                    started = time.perf_counter()
                    ended = None
                    body = {"url": f"{site.url}/", "screenshot": False}
                    async for ev in JobStream(c).run("POST", "/api/clone", json=body):
                        if ev.event in ("complete", "error", "cancelled"):
                            ended = ev
                    assert ended is not None and ended.event == "complete", ended
                    times.append(time.perf_counter() - started)
    cold, warm = times[0], summary(times[1:])
    return [("clone a 1-page site to preview ready (offline writer, new project each)",
             f"{warm['p50']:.2f} s", f"p99 {warm['p99']:.2f} s, n={CLONES}; the first "
             f"(cold caches): {cold:.2f} s")]
