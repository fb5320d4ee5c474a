"""FastAPI dependency aliases, so route signatures stay short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database


def _bus(request: Request) -> Bus:
    return request.app.state.bus


def _db(request: Request) -> Database:
    return request.app.state.db


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


async def _rate_limited(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limiter
    await limiter.check(request)


def _user(request: Request) -> str | None:
    """Who is asking, from the operator's auth proxy header (USER_HEADER); None without it."""
    header = request.app.state.settings.user_header
    value = request.headers.get(header, "").strip() if header else ""
    return value[:200] or None


BusDep = Annotated[Bus, Depends(_bus)]
UserDep = Annotated[str | None, Depends(_user)]
# Declared on the routes that start jobs.
JobRateLimit = Depends(_rate_limited)
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
