"""Every route and dependency of the gateway is ``async def``.

FastAPI runs a plain ``def`` endpoint or dependency on its thread pool: a thread hop (and a
wait for the GIL) on every request that uses it. Reading the app's state needs no thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from gateway.app import create_app
from gateway.settings import GatewaySettings


def _calls(dependant: Dependant) -> Iterator[object]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _routes(app: FastAPI) -> Iterator[Any]:
    """Every API route with its dependencies: those on the app, and those of the included
    routers as included (with the routers' own dependencies)."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()


def test_no_route_or_dependency_runs_on_the_thread_pool(tmp_path: Path) -> None:
    routes = list(_routes(create_app(GatewaySettings(data_dir=tmp_path))))
    assert len(routes) > 50  # the whole API, not an empty app
    sync = sorted({f"{route.path}: {getattr(call, '__qualname__', call)}"
                   for route in routes
                   # (a websocket route's context keeps its dependant on the route itself)
                   for call in _calls(route.dependant or route.original_route.dependant)
                   if not inspect.iscoroutinefunction(call)})
    assert sync == []
