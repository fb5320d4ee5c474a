"""The gateway's edge: security headers on every answer, and CORS for configured origins.

Both are plain ASGI middleware, not ``BaseHTTPMiddleware``: they only add headers to the
``http.response.start`` message, so event streams flow through unbuffered and websockets (the
preview's HMR socket) are not touched at all.

The studio and the API get a strict policy. The studio runs only its own files
(``/static/js/*.js``, ``/static/css/*.css``): no inline script or style, nothing from another
origin, and it may frame only the gateway's own pages (the preview). Nobody may frame the
studio (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for browsers that predate
CSP), so another site cannot overlay it to steal clicks.

``/preview/`` is the sandbox's untrusted site (``/sites/`` a published one, treated alike),
served with its own ``Content-Security-Policy: sandbox ...`` (see :mod:`gateway.preview`),
which must stay. Its answers get a second CSP header, ``frame-ancestors 'self'``: browsers
enforce every CSP header of a response, so the sandbox still holds and the preview may be
framed by the studio but not by another site. The studio's policy would break the generated
site (Vite's inline scripts and styles), so it is not applied there.

``Referrer-Policy: strict-origin-when-cross-origin`` rather than ``no-referrer``: another site
learns at most the gateway's origin, never a path or a preview link's token, while same-origin
requests keep their ``Origin`` header (``no-referrer`` makes a browser send ``Origin: null`` on
a same-origin POST, which breaks an origin check against cross-site requests).

HSTS only when ``PUBLIC_URL`` is https: pinning https on a plain-http deployment would lock
browsers out of it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREVIEW_PREFIX = "/preview/"
# Published sites (gateway.sites): untrusted code too, under the same rules as the preview.
SITES_PREFIX = "/sites/"

STUDIO_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
])
# Added beside the proxy's sandbox policy, never instead of it.
PREVIEW_FRAMING_CSP = "frame-ancestors 'self'"
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS = "max-age=31536000; includeSubDomains"

# What a browser on another origin may send and read (CORS_ORIGINS).
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "Accept", "Last-Event-ID"]
CORS_EXPOSED_HEADERS = ["Retry-After", "Content-Disposition"]
CORS_MAX_AGE_S = 600


def is_preview(scope: Scope) -> bool:
    """A sandbox's preview or a published site: a generated site, with its own sandbox CSP
    and CORS (set where it is served)."""
    return str(scope.get("path", "")).startswith((PREVIEW_PREFIX, SITES_PREFIX))


class SecurityHeaders:
    """Adds the security headers to every HTTP answer (see the module docstring).

    A header an answer already carries is left as it is, except on ``/preview/``, where the
    framing policy is added beside whatever CSP the proxy set.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        common = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", REFERRER_POLICY)]
        if hsts:
            common.append(("Strict-Transport-Security", HSTS))
        self.studio = [*common, ("Content-Security-Policy", STUDIO_CSP),
                       ("X-Frame-Options", "DENY")]
        self.preview = common

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        preview = is_preview(scope)
        wanted = self.preview if preview else self.studio

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in wanted:
                    if name not in headers:
                        headers.append(name, value)
                if preview:
                    headers.append("Content-Security-Policy", PREVIEW_FRAMING_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ConfiguredCors:
    """Starlette's ``CORSMiddleware`` for ``origins`` (CORS_ORIGINS), outside ``/preview/``.

    Exact origins get credentialed access (cookies, and the ``Authorization`` header); ``*``
    gets access without credentials, since a wildcard with credentials would hand every site on
    the web the signed-in user's session. The preview proxy answers its own CORS (an opaque-origin
    document loading its modules), so its paths skip this middleware.
    """

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        anyone = origins == ["*"]
        self.cors = CORSMiddleware(
            app, allow_origins=origins, allow_credentials=not anyone,
            allow_methods=CORS_METHODS, allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS, max_age=CORS_MAX_AGE_S,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_preview(scope):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
