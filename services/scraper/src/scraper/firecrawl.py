"""Scraping through Firecrawl (its hosted API, or a self-hosted one), with the official SDK.

Firecrawl loads the page in its own browser, on its own network, and answers with the page's
HTML, its markdown, links and (when asked) a full-page screenshot. The HTML is then read by the
built-in extractor (:func:`scraper.extract.extract_page`), so sections, navigation, images,
forms and brand come out exactly as the built-in provider reports them; Firecrawl's markdown
and metadata (title, description, language, final URL) take precedence where it gives them.

The target URL still passes our SSRF guard first: Firecrawl fetching it from elsewhere is no
reason to let a user aim Paynto at an internal address by name. The screenshot Firecrawl
returns is a URL to its storage (or, self-hosted, a ``data:`` URL); it is downloaded through
the guard like any other fetch, and a screenshot that cannot be had never fails the scrape.

Every failure is a :class:`FirecrawlError` with an HTTP-ish ``status`` and a message fit to
show the user; the API key never appears in one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from firecrawl import AsyncFirecrawl
from firecrawl import FirecrawlError as SdkError
from firecrawl.v2.types import Document, ScreenshotFormat

from paynto_common.messages.scrape import MAX_LINKS, MAX_SHORT, Link, ScrapedPage, clip
from paynto_common.safety.urls import FetchPolicy, Resolver, UrlRefused, check_url, fetch
from scraper.brand import absolute_url
from scraper.extract import extract_page

__all__ = ["SCREENSHOT_TYPES", "FirecrawlError", "FirecrawlResult", "scrape_with_firecrawl"]

log = logging.getLogger(__name__)

SCREENSHOT_TYPES: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
# Firecrawl's API caps a scrape's own timeout (milliseconds) at five minutes.
MAX_SERVER_TIMEOUT_MS = 300_000
# On top of the scrape's own time: the round trip to Firecrawl and its queueing.
NETWORK_MARGIN = 15.0
# Attempts the SDK makes at a request that fails on the network (or answers 502), half a
# second apart; more would only delay the user's answer.
SDK_ATTEMPTS = 2

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[^,;]*)*?)(;base64)?,", re.IGNORECASE)


class FirecrawlError(Exception):
    """Scraping through Firecrawl failed; ``status`` is the HTTP status to answer with.

    502: Firecrawl could not scrape the site, or answered something unusable. 503: Firecrawl is
    not configured, refused our key, or cannot be reached. 504: no answer in time. 429:
    Firecrawl is rate-limiting us.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class FirecrawlResult:
    """A page scraped through Firecrawl; ``screenshot`` holds the image's bytes (PNG, JPEG or
    WebP) when one was asked for and could be had, else ``screenshot_note`` says why not."""

    page: ScrapedPage
    screenshot: bytes | None
    screenshot_note: str | None


async def scrape_with_firecrawl(
    url: str,
    *,
    api_key: str | None,
    api_url: str | None,
    policy: FetchPolicy,
    resolver: Resolver | None = None,
    screenshot: bool = False,
    timeout: float = 60.0,
) -> FirecrawlResult:
    """Scrape ``url`` through Firecrawl and read it as the built-in provider would.

    ``api_key`` may be left out for a self-hosted Firecrawl (``api_url`` set) that needs none;
    without both there is nothing to call (503). ``url`` must pass :func:`check_url` under
    ``policy`` (UrlRefused otherwise, before Firecrawl is asked anything); the screenshot is
    downloaded under ``policy`` too. ``timeout`` is how long Firecrawl may take to scrape.
    """
    key = api_key or ""
    client = _client(key, api_url, timeout)
    await check_url(url, policy, resolver)
    doc = await _scrape(client, url, screenshot=screenshot, timeout=timeout, key=key)
    page = await _page(doc, url, policy)
    shot: bytes | None = None
    note: str | None = None
    if screenshot:
        shot, note = await _screenshot(doc.screenshot, policy, resolver)
        page.screenshot_note = clip(note, MAX_SHORT) if note else None
    return FirecrawlResult(page=page, screenshot=shot, screenshot_note=note)


def _client(key: str, api_url: str | None, timeout: float) -> AsyncFirecrawl:
    if not key and not api_url:
        raise FirecrawlError(503, "Firecrawl is not configured: set FIRECRAWL_API_KEY, or "
                                  "FIRECRAWL_API_URL for a self-hosted Firecrawl")
    if api_url:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FirecrawlError(503, "FIRECRAWL_API_URL is not an http(s) URL")
    # Always a string: given None, the SDK would read FIRECRAWL_API_KEY from the environment
    # itself. An empty key sends no Authorization header, which is what a self-hosted
    # Firecrawl without authentication expects.
    return AsyncFirecrawl(
        api_key=key,
        api_url=api_url or None,
        timeout=timeout + NETWORK_MARGIN,
        max_retries=SDK_ATTEMPTS,
    )


async def _scrape(
    client: AsyncFirecrawl, url: str, *, screenshot: bool, timeout: float, key: str
) -> Document:
    formats: list[Any] = ["markdown", "rawHtml", "links"]
    if screenshot:
        formats.append(ScreenshotFormat(full_page=True))
    limit = timeout + NETWORK_MARGIN
    try:
        # The SDK's timeout bounds each network operation; this bounds the whole call, its
        # retries included.
        async with asyncio.timeout(limit):
            doc = await client.scrape(
                url,
                formats=formats,
                # Navigation, header and footer are what a clone needs most.
                only_main_content=False,
                timeout=min(max(int(timeout * 1000), 1), MAX_SERVER_TIMEOUT_MS),
            )
    except SdkError as exc:
        raise _sdk_failure(exc, url, key) from None
    except (TimeoutError, httpx.TimeoutException):
        raise FirecrawlError(504, f"Firecrawl did not answer within {limit:g} s") from None
    except httpx.HTTPError as exc:
        raise FirecrawlError(
            503, f"Firecrawl cannot be reached ({type(exc).__name__})"
        ) from None
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # A body that is no JSON, or JSON that is no document (pydantic's ValidationError is
        # a ValueError).
        log.warning("unusable answer from Firecrawl: %s", _scrub(str(exc), key)[:500])
        raise FirecrawlError(502, "Firecrawl answered something that is not a page") from None
    if not isinstance(doc, Document):
        raise FirecrawlError(502, "Firecrawl answered something that is not a page")
    return doc


def _sdk_failure(exc: SdkError, url: str, key: str) -> FirecrawlError:
    status = exc.status_code
    reason = _scrub(_reason(exc), key)
    if status == 401:
        return FirecrawlError(503, "FIRECRAWL_API_KEY was refused by Firecrawl (401 "
                                   "Unauthorized): check the key")
    if status == 402:
        return FirecrawlError(503, f"Firecrawl refused to scrape for lack of credits: {reason}")
    if status == 429:
        return FirecrawlError(429, f"Firecrawl is rate-limiting requests: {reason}")
    if status == 408:
        return FirecrawlError(504, f"Firecrawl could not load {url} in time: {reason}")
    return FirecrawlError(502, f"Firecrawl could not scrape {url}: {reason}")


def _reason(exc: SdkError) -> str:
    """Firecrawl's own words for a failure (its ``error`` field), else the SDK's message."""
    response: Any = exc.response
    try:
        body = response.json() if response is not None else None
    except ValueError:
        body = None
    text = body.get("error") if isinstance(body, dict) else None
    return _squash(text if isinstance(text, str) and text.strip() else str(exc))


def _squash(text: str) -> str:
    return clip(" ".join(text.split()), 500)


def _scrub(text: str, key: str) -> str:
    # Firecrawl has no reason to echo the key, but a message that reaches a user must not
    # carry it on anyone's word.
    return text.replace(key, "[FIRECRAWL_API_KEY]") if key else text


# --- the answer -----------------------------------------------------------------------------


async def _page(doc: Document, url: str, policy: FetchPolicy) -> ScrapedPage:
    meta = doc.metadata_typed
    if meta.status_code is not None and meta.status_code >= 400:
        detail = f": {_squash(meta.error)}" if meta.error else ""
        raise FirecrawlError(502, f"{url} answered HTTP {meta.status_code} to Firecrawl"
                                  f"{detail}")
    html = doc.raw_html or doc.html
    if not html:
        raise FirecrawlError(502, "Firecrawl answered without the page's HTML")
    if len(html) > policy.max_bytes:
        raise FirecrawlError(502, f"the page is larger than {policy.max_bytes} bytes")
    final_url = _final_url(meta.url, meta.source_url, url)
    # No stylesheet is fetched here: the extractor reads the page's <style> elements and
    # inline styles from the HTML itself. Parsing a large page takes a while: off the loop.
    page = await asyncio.to_thread(extract_page, html, final_url, (), requested_url=url)
    fields = page.model_dump()
    fields["provider"] = "firecrawl"
    fields["links"] = [link.model_dump() for link in
                       _merged_links(page.links, doc.links or [], final_url)]
    if _given(doc.markdown):
        fields["markdown"] = doc.markdown
    if _given(meta.title):
        fields["title"] = " ".join(str(meta.title).split())
    if _given(meta.description):
        fields["description"] = " ".join(str(meta.description).split())
    if _given(meta.language):
        fields["language"] = str(meta.language).strip()
    # Validated once more, so Firecrawl's text is held to the same caps as ours.
    return ScrapedPage.model_validate(fields)


def _given(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _final_url(reported: str | None, source: str | None, url: str) -> str:
    """Where the page ended up, by Firecrawl's account, if that is a web URL."""
    for candidate in (reported, source):
        if isinstance(candidate, str) and candidate.strip():
            resolved = absolute_url(candidate, url, web_only=True)
            if resolved:
                return resolved
    return url


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _merged_links(found: list[Link], extra: list[str], base: str) -> list[Link]:
    """The extractor's links, then those only Firecrawl saw (added by script, say)."""
    links = list(found)
    seen = {link.href for link in links}
    site = _site(base)
    for href in extra:
        if len(links) >= MAX_LINKS:
            break
        resolved = absolute_url(href, base) if isinstance(href, str) else None
        if not resolved or resolved in seen:
            continue
        seen.add(resolved)
        internal = urlsplit(resolved).scheme in ("http", "https") and _site(resolved) == site
        links.append(Link(href=resolved, internal=internal))
    return links


# --- the screenshot -------------------------------------------------------------------------


async def _screenshot(
    ref: str | None, policy: FetchPolicy, resolver: Resolver | None
) -> tuple[bytes | None, str | None]:
    """The screenshot's bytes, or None and why not."""
    if not ref or not ref.strip():
        return None, "Firecrawl returned no screenshot"
    ref = ref.strip()
    if ref.lower().startswith("data:"):
        return _from_data_url(ref, policy.max_bytes)
    if ref.lower().startswith(("http://", "https://")):
        return await _download(ref, policy, resolver)
    # A bare base64 image, as some self-hosted versions answer.
    return _decoded(ref, policy.max_bytes)


async def _download(
    url: str, policy: FetchPolicy, resolver: Resolver | None
) -> tuple[bytes | None, str | None]:
    try:
        fetched = await fetch(url, policy, resolver=resolver, accept=SCREENSHOT_TYPES)
    except UrlRefused as exc:
        return None, f"the screenshot could not be downloaded: {exc.reason}"
    except httpx.HTTPError as exc:
        return None, f"the screenshot could not be downloaded ({type(exc).__name__})"
    if fetched.status != 200:
        return None, f"the screenshot could not be downloaded (HTTP {fetched.status})"
    return _checked(fetched.content)


def _from_data_url(ref: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    match = _DATA_URL.match(ref)
    if not match or not match.group(3):
        return None, "the screenshot Firecrawl returned is not a base64 data URL"
    kind = (match.group(1) or "").lower()
    if kind not in SCREENSHOT_TYPES:
        return None, f"the screenshot Firecrawl returned is not an image ({kind or 'no type'})"
    return _decoded(ref[match.end():], max_bytes)


def _decoded(text: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    # Checked before decoding: base64 takes four characters for every three bytes.
    if len(text) // 4 * 3 > max_bytes:
        return None, f"the screenshot is larger than {max_bytes} bytes"
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None, "the screenshot Firecrawl returned is not valid base64"
    return _checked(data)


def _checked(data: bytes) -> tuple[bytes | None, str | None]:
    """``data`` if it really is a PNG, JPEG or WebP image (the studio shows it as one)."""
    if data.startswith((_PNG, _JPEG)):
        return data, None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return data, None
    return None, "the screenshot Firecrawl returned is not a PNG, JPEG or WebP image"
