"""Wiring of the gateway: settings → database, bus, the API's routes (``gateway.api``), preview
proxy, studio pages (``/`` and a project's ``/p/<id>``)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from redis.asyncio import Redis
from sqlalchemy.exc import OperationalError

from gateway import sites
from gateway.api import public_router, router
from gateway.api.routes.auth import redact_query_in_trace
from gateway.api.schemas import ID_PATTERN, document_refusals
from gateway.auth import PreviewSigner, signing_key
from gateway.body_limit import BodySizeLimit
from gateway.metrics import HttpMetrics
from gateway.preview import Admission, PreviewProxy
from gateway.preview_access import PreviewAccess
from gateway.ratelimit import RateLimiter
from gateway.security import ConfiguredCors, SecurityHeaders
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database, Sandbox
from paynto_common.messages import Subjects
from paynto_common.telemetry import flush_spans
from paynto_common.vault import load_vault

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# A sandbox's endpoint rarely changes; a short cache spares the database on every asset.
ENDPOINT_TTL_S = 2.0


class EndpointCache:
    """Looks up where a sandbox's preview answers (from the database)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def resolve(self, sandbox_id: str) -> str | None:
        if not re.fullmatch(ID_PATTERN, sandbox_id):
            return None  # no sandbox has such an id (and Postgres would refuse a NUL in it)
        hit = self._cache.get(sandbox_id)
        now = time.monotonic()
        if hit and now - hit[0] < ENDPOINT_TTL_S:
            return hit[1]
        async with self.db.session() as s:
            row = await s.get(Sandbox, sandbox_id)
        endpoint = row.endpoint if row is not None and row.status == "running" else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[sandbox_id] = (now, endpoint)
        return endpoint


class StudioAssets(StaticFiles):
    """The studio's script and styles, revalidated on each load like the page itself, so the
    page and its script never come from two versions."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def create_app(settings: GatewaySettings, bus: Bus | None = None) -> FastAPI:
    """Build the gateway; a test may pass its own bus."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url())
        await db.migrate()
        own_bus = bus is None
        app.state.bus = bus or await Bus.connect(
            settings.nats_url, Subjects(settings.bus_namespace), name="gateway",
            replicas=settings.jetstream_replicas,
        )
        app.state.db = db
        app.state.vault = load_vault(settings.secrets_key, settings.data_dir,
                                     required=settings.auth_mode == "required")
        app.state.preview_signer = PreviewSigner(signing_key(settings),
                                                 settings.preview_token_ttl_seconds)
        app.state.preview_access = PreviewAccess(db, app.state.preview_signer)
        app.state.endpoints = EndpointCache(db)
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
        app.state.limiter = RateLimiter.from_settings(redis, settings)
        try:
            yield
        finally:
            await proxy.aclose()
            await redis.aclose()
            if own_bus:
                await app.state.bus.close()
            await db.close()
            flush_spans()

    async def resolve(sandbox_id: str) -> str | None:
        endpoints: EndpointCache = app.state.endpoints
        return await endpoints.resolve(sandbox_id)

    async def authorize(request: Request, sandbox_id: str) -> Admission:
        if settings.auth_mode != "required":
            return Admission(True)  # one local user: nobody else to keep out
        access: PreviewAccess = app.state.preview_access
        return await access(request, sandbox_id)

    proxy = PreviewProxy(resolve, authorize=authorize)
    app = FastAPI(title="Paynto gateway", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(public_router)
    app.include_router(router)
    app.include_router(proxy.router)
    app.include_router(sites.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_refusals(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"detail": "malformed JSON body"}, status_code=400)
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in errors
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(OperationalError)
    async def database_unavailable(_: Request, exc: OperationalError) -> JSONResponse:
        # The database went away (restarted, failing over): a 503 that says so and when to
        # try again, not a bare 500 and a traceback per request while it is away.
        log.warning("database unavailable: %s", str(exc.orig or exc).splitlines()[0])
        return JSONResponse({"detail": "the database is unavailable; try again"},
                            status_code=503, headers={"Retry-After": "2"})

    @app.get("/", include_in_schema=False)
    async def studio() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/p/{project_id}", include_in_schema=False)
    @app.get("/b/{project_id}", include_in_schema=False)
    async def studio_project(project_id: str) -> FileResponse:
        """A project's (or a batch's) page: the same studio shell for every id (so public,
        like ``/``: it shows nothing of it; the page asks the API, which checks who asks)."""
        if not re.fullmatch(ID_PATTERN, project_id):
            # Not FastAPI's 422: the address names no page.
            raise HTTPException(404, "no such page")
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/batches", include_in_schema=False)
    async def studio_batches() -> FileResponse:
        """The batches page: the same studio shell (public, like ``/``)."""
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StudioAssets(directory=STATIC), name="static")

    # Spans keep no query values: OAuth codes and states, preview tokens.
    FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"],
                                       server_request_hook=redact_query_in_trace)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HttpMetrics)
    if settings.cors_origins:
        app.add_middleware(ConfiguredCors, origins=settings.cors_origins)
    app.add_middleware(SecurityHeaders, hsts=settings.is_https)
    return app
