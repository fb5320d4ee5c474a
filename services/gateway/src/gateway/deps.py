"""FastAPI dependency aliases, so route signatures stay short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.settings import GatewaySettings
from paynto_common.bus import Bus
from paynto_common.db import Database


def _bus(request: Request) -> Bus:
    return request.app.state.bus


def _db(request: Request) -> Database:
    return request.app.state.db


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


BusDep = Annotated[Bus, Depends(_bus)]
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
