"""The gateway's metrics: HTTP by route template (never by raw path, which would grow without
bound), and the event streams it relays. The families are defined in ``paynto_common.metrics``
with every other one."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paynto_common.metrics import HTTP_REQUESTS, HTTP_SECONDS, SSE_STREAMS_OPEN

T = TypeVar("T")

# What a channel's prefix says it follows (``paynto_common.messages``' channel names); any
# other channel is a job's.
_STREAM_KINDS = {"project": "project", "run": "plan", "batch": "batch"}


class HttpMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                HTTP_SECONDS.labels(scope["method"], _route(scope)).observe(
                    time.perf_counter() - started
                )
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            HTTP_REQUESTS.labels(scope["method"], _route(scope), str(status)).inc()


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def stream_kind(channel: str) -> str:
    """What an event channel follows: ``job``, ``project``, ``plan`` or ``batch``."""
    prefix = channel.split(".", 1)[0] if "." in channel else ""
    return _STREAM_KINDS.get(prefix, "job")


async def counted_stream(channel: str, events: AsyncGenerator[T, None]) -> AsyncIterator[T]:
    """``events``, counted in ``paynto_sse_streams_open`` from the first read until the stream
    ends or its client goes (the response cancels the read or closes this generator; either
    way ``finally`` runs, and ``events`` is closed with it)."""
    gauge = SSE_STREAMS_OPEN.labels(stream_kind(channel))
    gauge.inc()
    try:
        async with contextlib.aclosing(events):
            async for event in events:
                yield event
    finally:
        gauge.dec()
