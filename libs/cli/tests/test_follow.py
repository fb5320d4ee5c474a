"""How the CLI follows a job's events, against a loopback server speaking the gateway's SSE:
a restarted attempt's ``reset`` voids what was written, pieces the replaced attempt still
sends afterwards (a worker cut off by a bus restart) are not counted, a finished stream
leaves its connection to the next request, and a stream that drops before its first event is
resumed by the job its header names."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from paynto_cli.main import _follow
from paynto_cli.sse import JobStream
from paynto_common.testing.serve import serve_app

EVENTS = [
    ("job", {"job_id": "j1"}),
    ("stream", {"text": "abcd", "attempt": 1}),
    ("status", {"message": "the worker restarted; writing again", "reset": True, "attempt": 2}),
    # Late pieces of the attempt the reset replaced.
    ("stream", {"text": "zzzzzzzzzz", "attempt": 1}),
    ("stream", {"text": "xy", "attempt": 2}),
    # A piece that names no attempt is the current one's.
    ("stream", {"text": "z"}),
    ("status", {"message": "fix round 1", "reset": True, "attempt": 1}),
    # A fix round counts its attempts again: its pieces are counted.
    ("stream", {"text": "fixed", "attempt": 1}),
    ("complete", {"version": 1}),
]


async def stream(_: Request) -> Response:
    body = "".join(f"id: {n}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
                   for n, (name, data) in enumerate(EVENTS, 1))
    return Response(body, media_type="text/event-stream")


async def test_a_replaced_attempts_late_pieces_are_not_counted(
        capsys: pytest.CaptureFixture[str]) -> None:
    app = Starlette(routes=[Route("/api/generate", stream, methods=["POST"])])
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as c:
        outcome, job_id = await _follow(c, "/api/generate", {"prompt": "a page"})
    assert (outcome, job_id) == ({"event": "complete", "version": 1}, "j1")
    counts = [line.rsplit("writing code… ", 1)[1]
              for line in capsys.readouterr().out.replace("\r", "\n").splitlines()
              if "writing code…" in line]
    assert counts == ["4 characters", "2 characters", "3 characters", "5 characters"]


async def test_the_next_job_reuses_the_connection_a_finished_stream_ends_on() -> None:
    app = Starlette(routes=[Route("/api/generate", stream, methods=["POST"])])
    connections: list[object] = []

    async def note(response: httpx.Response) -> None:
        connections.append(response.extensions["network_stream"])

    async with serve_app(app) as url, httpx.AsyncClient(
            base_url=url, event_hooks={"response": [note]}) as c:
        for _ in range(3):
            events = [ev.event async for ev in JobStream(c).run("POST", "/api/generate")]
            assert events[-1] == "complete"
    assert len(connections) == 3
    assert len({id(conn) for conn in connections}) == 1


async def test_a_stream_that_drops_before_its_first_event_is_resumed_by_its_header() -> None:
    asked: list[tuple[str, str | None]] = []

    async def dropped(request: Request) -> Response:
        # The job started; its stream ended before any event reached the client.
        asked.append((request.url.path, request.headers.get("last-event-id")))
        return Response("", media_type="text/event-stream", headers={"X-Job-Id": "j1"})

    async def resumed(request: Request) -> Response:
        asked.append((request.url.path, request.headers.get("last-event-id")))
        return await stream(request)

    app = Starlette(routes=[Route("/api/generate", dropped, methods=["POST"]),
                            Route("/api/jobs/j1/events", resumed)])
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as c:
        follow = JobStream(c)
        events = [ev.event async for ev in follow.run("POST", "/api/generate")]
    assert follow.job_id == "j1"
    assert events[0] == "job" and events[-1] == "complete"
    assert asked == [("/api/generate", None), ("/api/jobs/j1/events", None)]
