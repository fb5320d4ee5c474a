"""Sites on loopback for tests and benchmarks: a folder of files served as a website, with
every request it receives recorded (path and user agent)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from paynto_common.testing.serve import serve_app

# The fixture site of the scraper's tests: a coffee roastery of three pages, with its
# stylesheets, images, favicon and robots.txt.
ROASTERY = Path(__file__).resolve().parents[3] / "tests" / "sites" / "roastery"


@dataclass
class ServedSite:
    """A site being served: its base URL (``http://127.0.0.1:PORT``), ``host:port`` (for an
    allowlist) and what it was asked for."""

    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def paths(self) -> list[str]:
        return [path for path, _agent in self.requests]


def site_app(root: Path, served: ServedSite,
             overrides: Mapping[str, Response] | None = None) -> Starlette:
    """Serve the files under ``root`` (``/`` is index.html); ``overrides`` answers some paths
    itself (a robots.txt of a test's own, an error page). It is read on each request, so a
    test may add answers once it knows the site's URL."""
    base = root.resolve()
    fixed = overrides if overrides is not None else {}

    async def serve(request: Request) -> Response:
        path = request.url.path
        served.requests.append((path, request.headers.get("user-agent", "")))
        if path in fixed:
            return fixed[path]
        target = (base / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(base) or not target.is_file():
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(target)

    return Starlette(routes=[Route("/{path:path}", serve)])


@contextlib.asynccontextmanager
async def serve_site(root: Path = ROASTERY, overrides: Mapping[str, Response] | None = None
                     ) -> AsyncIterator[ServedSite]:
    served = ServedSite(url="")
    async with serve_app(site_app(root, served, overrides)) as url:
        served.url = url
        yield served
