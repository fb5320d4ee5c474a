"""A stand-in for Firecrawl's scrape API (``POST /v2/scrape``), to serve on loopback.

It answers the way Firecrawl's v2 API does, closely enough for the unmodified ``firecrawl-py``
SDK to parse every answer:

- ``Authorization: Bearer <key>`` is checked when the app has an ``api_key`` (a self-hosted
  Firecrawl may run without one: ``api_key=None``); a wrong or missing key answers 401
  ``{"success": false, "error": ...}``.
- ``app.state.rate_limited`` (settable at any time) answers 429, as Firecrawl does when a team
  exceeds its rate limit.
- The JSON body names the ``url`` and the ``formats`` wanted (strings, or objects with a
  ``type`` such as ``{"type": "screenshot", "fullPage": true}``; markdown alone when none are
  named). The answer is ``{"success": true, "data": {...}}`` with only the formats asked for,
  and ``metadata`` in Firecrawl's camelCase (``sourceURL`` is what was asked for, ``url``
  where the page ended up, ``statusCode`` what the site answered).
- A URL the fake has no page for (or a :class:`FakeSite` with ``error``) fails the way a
  failed scrape does: 500 with ``success: false``, a ``code`` and Firecrawl's ``error`` reason.
- A screenshot is a URL to the fake itself, ``/screenshots/<name>.png``, as hosted Firecrawl
  answers with a URL to its storage; ``FakeSite.screenshot_ref`` answers something else
  (another URL, or a ``data:`` URL from :func:`data_url`, as a self-hosted one may).

Every request (screenshot downloads too) is recorded in ``app.state.requests``.
"""

from __future__ import annotations

import base64
import json
import struct
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["FakeSite", "Pages", "RecordedRequest", "data_url", "firecrawl_app", "png"]

FAILED_CODE = "SCRAPE_ALL_ENGINES_FAILED"


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (139, 58, 29)) -> bytes:
    """A valid PNG of one colour, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def data_url(image: bytes, media_type: str = "image/png") -> str:
    """``image`` as a base64 ``data:`` URL, the way a self-hosted Firecrawl may answer."""
    return f"data:{media_type};base64,{base64.b64encode(image).decode('ascii')}"


@dataclass
class FakeSite:
    """What the fake Firecrawl reports for one URL."""

    raw_html: str
    markdown: str = ""
    # Firecrawl's ``links`` format: the page's links, absolute.
    links: Sequence[str] = ()
    # Metadata; left out of the answer when None.
    title: str | None = None
    description: str | None = None
    language: str | None = None
    # What the site answered Firecrawl, and where it ended after redirects (default: the URL).
    status_code: int = 200
    final_url: str | None = None
    # The image served at the fake's screenshot URL, and what to answer instead of that URL.
    screenshot: bytes = field(default_factory=png)
    screenshot_ref: str | None = None
    # When set, the scrape fails with this reason (Firecrawl's ``error``).
    error: str | None = None


# The pages the fake knows: by exact URL, or a function of the URL (None: no page there).
Pages = Mapping[str, FakeSite] | Callable[[str], FakeSite | None]


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received; ``body`` is the JSON body, when there was one."""

    method: str
    path: str
    authorization: str | None
    body: Any = None


def firecrawl_app(
    pages: Pages, *, api_key: str | None = "fc-test", rate_limited: bool = False
) -> Starlette:
    """The fake's ASGI app; see the module's description for what it answers."""

    def lookup(url: str) -> FakeSite | None:
        if callable(pages):
            return pages(url)
        return pages.get(url)

    def record(request: Request, body: Any = None) -> None:
        app.state.requests.append(RecordedRequest(
            method=request.method, path=request.url.path,
            authorization=request.headers.get("authorization"), body=body,
        ))

    async def scrape(request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record(request, body)
        if api_key is not None:
            given = request.headers.get("authorization")
            if given is None:
                return _failure(401, "Unauthorized: no API key was sent")
            if given != f"Bearer {api_key}":
                return _failure(401, "Unauthorized: Invalid token")
        if app.state.rate_limited:
            return _failure(429, "Rate limit exceeded: too many requests per minute; retry "
                                 "after 60s", headers={"Retry-After": "60"})
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            return JSONResponse({"success": False, "error": "Bad Request",
                                 "details": [{"path": ["url"], "message": "Required"}]},
                                status_code=400)
        url = body["url"]
        site = lookup(url)
        if site is None:
            return _failure(500, f"All scraping engines failed for {url}: nothing answered "
                                 "there", code=FAILED_CODE)
        if site.error is not None:
            return _failure(500, site.error, code=FAILED_CODE)
        formats = _formats(body.get("formats"))
        data: dict[str, Any] = {}
        if "markdown" in formats:
            data["markdown"] = site.markdown
        if "html" in formats:
            data["html"] = site.raw_html
        if "rawHtml" in formats:
            data["rawHtml"] = site.raw_html
        if "links" in formats:
            data["links"] = list(site.links)
        if "screenshot" in formats:
            data["screenshot"] = site.screenshot_ref or _store(request, site.screenshot)
        scrape_id = str(uuid.uuid4())
        metadata: dict[str, Any] = {
            "title": site.title, "description": site.description, "language": site.language,
            "sourceURL": url, "url": site.final_url or url, "statusCode": site.status_code,
            "contentType": "text/html; charset=utf-8", "scrapeId": scrape_id,
            "proxyUsed": "basic", "cacheState": "miss", "creditsUsed": 1,
        }
        data["metadata"] = {k: v for k, v in metadata.items() if v is not None}
        return JSONResponse({"success": True, "data": data})

    def _store(request: Request, image: bytes) -> str:
        name = uuid.uuid4().hex
        app.state.screenshots[name] = image
        return f"{str(request.base_url).rstrip('/')}/screenshots/{name}.png"

    async def screenshot(request: Request) -> Response:
        record(request)
        image = app.state.screenshots.get(request.path_params["name"])
        if image is None:
            return Response(b"not found", status_code=404, media_type="text/plain")
        return Response(image, media_type="image/png")

    app = Starlette(routes=[
        Route("/v2/scrape", scrape, methods=["POST"]),
        Route("/screenshots/{name}.png", screenshot, methods=["GET"]),
    ])
    app.state.requests = []
    app.state.rate_limited = rate_limited
    app.state.screenshots = {}
    return app


def _formats(requested: Any) -> set[str]:
    """The format names a request asks for (Firecrawl's default: markdown alone)."""
    if not isinstance(requested, list) or not requested:
        return {"markdown"}
    names: set[str] = set()
    for item in requested:
        kind = item.get("type") if isinstance(item, dict) else item
        if isinstance(kind, str):
            # "screenshot@fullPage" is the older spelling of a full-page screenshot.
            names.add(kind.split("@", 1)[0])
    return names


def _failure(status: int, error: str, *, code: str | None = None,
             headers: Mapping[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"success": False, "error": error}
    if code is not None:
        body["code"] = code
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))
