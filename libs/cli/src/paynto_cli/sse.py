"""A Server-Sent Events client that resumes a dropped stream with ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

TERMINAL = frozenset({"complete", "error", "cancelled"})


@dataclass
class Event:
    id: str | None
    event: str
    data: dict[str, Any]


class AnswerText:
    """A job's answer as its stream tells it. A ``status`` with ``reset`` starts the text
    again and names the attempt writing from then on; ``stream`` pieces of another attempt
    (a worker cut off by a bus restart may still send a few) are not the answer. A piece
    that names no attempt is the current one's. The studio's ``panels/jobs.js`` keeps the
    same rule."""

    def __init__(self) -> None:
        self.text = ""
        self.attempt: int | None = None

    def add(self, ev: Event) -> bool:
        """Take one event; True when it is a piece of the answer (added to ``text``)."""
        named = ev.data.get("attempt")
        if ev.event == "status" and ev.data.get("reset"):
            self.text, self.attempt = "", int(named or 1)
            return False
        if ev.event != "stream" or not (self.attempt is None or named is None
                                        or int(named) == self.attempt):
            return False
        self.text += ev.data.get("text", "")
        return True


async def parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    """Turn the lines of an event stream into events (comments and pings skipped)."""
    ev_id: str | None = None
    name = "message"
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield Event(ev_id, name, json.loads("\n".join(data)))
            ev_id, name, data = None, "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            ev_id = value
        elif field == "event":
            name = value
        elif field == "data":
            data.append(value)


class JobStream:
    """Follows one job's events to its end, reconnecting with ``Last-Event-ID`` on a drop."""

    def __init__(self, client: httpx.AsyncClient, retries: int = 20) -> None:
        self.client = client
        self.retries = retries
        self.job_id: str | None = None
        self.last_id: str | None = None

    async def run(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[Event]:
        """Events of the job started by ``method url``, each exactly once, until terminal."""
        request: tuple[str, str, dict[str, Any]] = (method, url, kwargs)
        failures = 0
        while True:
            try:
                async for ev in self._once(*request):
                    failures = 0
                    yield ev
                    if ev.event in TERMINAL:
                        return
            except (httpx.TransportError, httpx.RemoteProtocolError):
                pass
            if self.job_id is None:
                raise RuntimeError("the stream dropped before the job started")
            failures += 1
            if failures > self.retries:
                raise RuntimeError(f"could not resume job {self.job_id}")
            await asyncio.sleep(min(0.2 * 2 ** failures, 5.0))
            headers = {"Last-Event-ID": self.last_id} if self.last_id else {}
            request = ("GET", f"/api/jobs/{self.job_id}/events", {"headers": headers})

    async def _once(self, method: str, url: str, kwargs: dict[str, Any]) -> AsyncIterator[Event]:
        async with self.client.stream(method, url, **kwargs) as resp:
            if resp.status_code >= 400:
                await resp.aread()
                raise ApiError(resp.status_code, _detail(resp))
            # The job is named before its first event too: a stream that drops before that
            # event can still be resumed.
            self.job_id = self.job_id or resp.headers.get("x-job-id")
            lines = resp.aiter_lines()
            async for ev in parse_sse(lines):
                if ev.event == "job":
                    self.job_id = ev.data["job_id"]
                if ev.id is not None:
                    self.last_id = ev.id
                if ev.event in TERMINAL:
                    # The server ends the response here: read that end (it is on its way),
                    # so the connection goes back to the pool instead of being closed
                    # mid-response, and the next request need not open another.
                    with contextlib.suppress(TimeoutError, httpx.HTTPError):
                        async with asyncio.timeout(1):
                            async for _ in lines:
                                pass
                yield ev


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def _detail(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("detail"))
    except ValueError:
        return resp.text[:500]
