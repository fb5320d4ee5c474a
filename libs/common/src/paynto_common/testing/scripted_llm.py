"""A scripted model provider that speaks the OpenAI Chat Completions protocol.

Tests and benchmarks point a real client (litellm's ``openai/`` provider, the OpenAI SDK, plain
httpx) at this server instead of a paid provider. It listens on loopback, answers
``POST /v1/chat/completions`` (streaming as server-sent events, or a single JSON body) and
``GET /v1/models``, and plays back a queue of :class:`Reply` objects: text split into chunks,
HTTP errors, slow answers, and streams cut off mid-way.

In-process use::

    async with ScriptedLLM.running(replies=[Reply("hello")]) as llm:
        ...  # litellm.acompletion(model="openai/x", api_base=llm.base_url, api_key="k", ...)
        assert llm.requests[0]["stream"] is True

As a separate process (it prints ``READY <port>`` once it accepts connections, and exits on
SIGTERM or SIGINT)::

    python -m paynto_common.testing.scripted_llm --port 0 --script replies.json

where ``replies.json`` is ``{"replies": [{"text": "hi"}, {"status": 429}], "default": {...}}``
(or just a list of replies); each object holds :class:`Reply` fields.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import signal
import sys
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from paynto_common.testing.serve import loopback_socket, start_server

__all__ = ["STAMP", "Reply", "ReplyFactory", "ScriptedLLM", "load_script", "main"]

# Where a stamped reply's send times go (see Reply.stamp).
STAMP = "{t}"
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


@dataclass
class Reply:
    """One scripted answer.

    ``delay`` waits before the response starts (time to first byte); ``chunk_delay`` waits
    between streamed chunks (zero means none at all, so streaming runs at full speed).
    A ``status`` other than 200 answers with an OpenAI-style error body (``error_body`` if
    given) and, with ``retry_after``, ``Retry-After`` headers. ``cut_after_chars`` streams that
    many characters of ``text`` and then drops the connection without ending the chunked body
    (``cut_cleanly=True`` ends the body normally instead, but still with no ``finish_reason``,
    usage or ``[DONE]``). Token counts default to a rough estimate (4 characters a token);
    ``send_usage=False`` leaves the usage chunk out even when the client asks for it, as some
    OpenAI-compatible servers do.

    ``stamp=True`` is for measuring how late a stream's pieces arrive: the text is streamed in
    pieces that each end at a ``{t}`` placeholder (``chunk_size`` is ignored), and each ``{t}``
    becomes the time the piece is sent (``time.time()``, 6 decimals); a client compares it with
    the time it reads the piece.

    Benchmark text should vary: litellm treats 100 identical consecutive chunks (of more than
    two characters) as a model stuck in a loop and aborts the stream.
    """

    text: str = ""
    chunk_size: int = 16
    delay: float = 0.0
    status: int = 200
    error_body: dict[str, Any] | None = None
    cut_after_chars: int | None = None
    retry_after: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    chunk_delay: float = 0.0
    cut_cleanly: bool = False
    finish_reason: str = "stop"
    send_usage: bool = True
    stamp: bool = False

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Build a reply from a JSON object of field names; unknown names are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown Reply fields: {sorted(unknown)}")
        return cls(**data)


ReplyFactory = Callable[[dict[str, Any]], Reply]
"""Builds the reply for a request body when the queue is empty."""


class _DeliberateCut(Exception):
    """Raised inside a response to make uvicorn drop the connection mid-body."""


class _QuietCuts(logging.Filter):
    # uvicorn logs every exception escaping the app with a traceback; a scripted cut is the
    # point of the exercise, so its record is noise.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, _DeliberateCut)



class _SSEResponse:
    """Writes each server-sent event with its own ``send``, as a real provider flushes them."""

    _HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
    ]

    def __init__(self, events: AsyncIterator[bytes]) -> None:
        self._events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self._HEADERS})
        async for event in self._events:
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class ScriptedLLM:
    """An OpenAI-compatible HTTP server that plays back scripted replies.

    ``replies`` are used in order, one per chat completion request; once they run out,
    ``default`` answers (a fixed :class:`Reply`, or a factory given the request body).
    Every request body is appended to ``requests``, and the client's address and port (which
    tell one kept connection from a new one) to ``peers``. If ``required_api_key`` is set, requests
    without ``Authorization: Bearer <that key>`` get a 401.
    """

    def __init__(
        self,
        replies: Iterable[Reply] = (),
        default: Reply | ReplyFactory | None = None,
        *,
        required_api_key: str | None = None,
    ) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.default: Reply | ReplyFactory = default if default is not None else Reply("OK")
        self.required_api_key = required_api_key
        self.requests: list[dict[str, Any]] = []
        self.peers: list[tuple[str, int]] = []
        self.host = "127.0.0.1"
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self._log_filter = _QuietCuts()

    # -- scripting -------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Append replies to the queue."""
        self.replies.extend(replies)

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        if self.replies:
            return self.replies.popleft()
        if isinstance(self.default, Reply):
            return self.default
        return self.default(body)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in ``/v1`` (only while running)."""
        if self.port is None:
            raise RuntimeError("ScriptedLLM is not running")
        return f"http://{self.host}:{self.port}/v1"

    def app(self) -> Starlette:
        """The ASGI application (usable without a socket, e.g. with httpx's ASGITransport)."""
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> None:
        """Listen on ``host:port`` (a free port when 0) and return once connections are served."""
        if self._task is not None:
            raise RuntimeError("ScriptedLLM is already running")
        sock = loopback_socket(host, port)
        self.host, self.port = host, sock.getsockname()[1]
        self._closing = asyncio.Event()
        config = uvicorn.Config(
            self.app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        logging.getLogger("uvicorn.error").addFilter(self._log_filter)
        try:
            self._server, self._task = await start_server(config, [sock])
        except BaseException:
            logging.getLogger("uvicorn.error").removeFilter(self._log_filter)
            self.port = None
            raise

    async def stop(self) -> None:
        """Stop serving; in-flight scripted delays end at once and their responses are dropped."""
        if self._server is None or self._task is None:
            return
        assert self._closing is not None
        self._closing.set()
        self._server.should_exit = True
        try:
            await self._task
        finally:
            logging.getLogger("uvicorn.error").removeFilter(self._log_filter)
            self._server = self._task = None
            self.port = None

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        replies: Iterable[Reply] = (),
        default: Reply | ReplyFactory | None = None,
        required_api_key: str | None = None,
    ) -> AsyncIterator[ScriptedLLM]:
        """Run a server for the duration of an ``async with`` block."""
        llm = cls(replies, default, required_api_key=required_api_key)
        await llm.start(port=port, host=host)
        try:
            yield llm
        finally:
            await llm.stop()

    # -- HTTP handlers ---------------------------------------------------------------------

    async def _models(self, request: Request) -> Response:
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": "scripted", "object": "model", "created": 0, "owned_by": "paynto"}],
            }
        )

    async def _chat_completions(self, request: Request) -> Response | _SSEResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error_response(400, "request body is not JSON")
        if not isinstance(body, dict):
            return _error_response(400, "request body must be a JSON object")
        self.requests.append(body)
        if request.client is not None:
            self.peers.append((request.client.host, request.client.port))

        if self.required_api_key is not None:
            if request.headers.get("authorization") != f"Bearer {self.required_api_key}":
                return _error_response(401, "Incorrect API key provided")

        reply = self._next_reply(body)
        if reply.delay > 0:
            await self._sleep(reply.delay)
        if reply.status != 200:
            return _error_response(
                reply.status,
                f"scripted error {reply.status}",
                body=reply.error_body,
                retry_after=reply.retry_after,
            )

        model = str(body.get("model", "scripted"))
        prompt_tokens = (
            reply.prompt_tokens
            if reply.prompt_tokens is not None
            else _estimate_tokens(_prompt_text(body))
        )
        completion_tokens = (
            reply.completion_tokens
            if reply.completion_tokens is not None
            else _estimate_tokens(reply.text)
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if body.get("stream"):
            options = body.get("stream_options") or {}
            include_usage = bool(options.get("include_usage")) and reply.send_usage
            return _SSEResponse(self._events(reply, model, usage if include_usage else None))
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.text},
                        "logprobs": None,
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": usage,
            }
        )

    async def _events(
        self, reply: Reply, model: str, usage: dict[str, int] | None
    ) -> AsyncIterator[bytes]:
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

        def chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            data: dict[str, Any] = {**base, "choices": [choice]}
            if usage is not None:
                # OpenAI sends "usage": null on every chunk but the last when usage is asked for.
                data["usage"] = None
            return b"data: " + json.dumps(data).encode() + b"\n\n"

        text = reply.text
        cut = reply.cut_after_chars
        if cut is not None:
            text = text[:cut]
        yield chunk({"role": "assistant", "content": ""})
        for n, piece in enumerate(_pieces(text, reply)):
            if reply.chunk_delay > 0 and n > 0:
                await self._sleep(reply.chunk_delay)
            if reply.stamp:
                piece = piece.replace(STAMP, f"{time.time():.6f}")
            yield chunk({"content": piece})
        if cut is not None:
            if reply.cut_cleanly:
                return
            raise _DeliberateCut(f"scripted cut after {cut} characters")
        yield chunk({}, reply.finish_reason)
        if usage is not None:
            final = {**base, "choices": [], "usage": usage}
            yield b"data: " + json.dumps(final).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    async def _sleep(self, seconds: float) -> None:
        # Scripted waits end early when the server stops, so a test's teardown never waits
        # out a long "slow provider" delay.
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        if self._closing.is_set():
            raise _DeliberateCut("server stopping")


def _pieces(text: str, reply: Reply) -> list[str]:
    """The text as it is streamed: ``chunk_size`` characters at a time, or (``stamp``) up to
    and including each ``{t}``."""
    if not reply.stamp:
        return [text[i:i + reply.chunk_size] for i in range(0, len(text), reply.chunk_size)]
    parts = text.split(STAMP)
    pieces = [part + STAMP for part in parts[:-1]]
    return pieces + ([parts[-1]] if parts[-1] else [])


def _error_response(
    status: int,
    message: str,
    *,
    body: dict[str, Any] | None = None,
    retry_after: float | None = None,
) -> JSONResponse:
    if body is None:
        kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "api_error")
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    headers: dict[str, str] = {}
    if retry_after is not None:
        # Retry-After holds whole seconds; OpenAI adds a millisecond header for finer hints.
        headers["retry-after"] = str(math.ceil(retry_after))
        headers["retry-after-ms"] = str(round(retry_after * 1000))
    return JSONResponse(body, status_code=status, headers=headers)


def _prompt_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n".join(parts)


def _estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def load_script(data: Any) -> tuple[list[Reply], Reply | None]:
    """Parse a script: ``{"replies": [...], "default": {...}}`` or a bare list of replies."""
    if isinstance(data, list):
        data = {"replies": data}
    if not isinstance(data, dict):
        raise ValueError("a script is a JSON object or a list of replies")
    unknown = set(data) - {"replies", "default"}
    if unknown:
        raise ValueError(f"unknown script keys: {sorted(unknown)}")
    replies = [Reply.from_dict(r) for r in data.get("replies", [])]
    default = data.get("default")
    return replies, Reply.from_dict(default) if default is not None else None


async def _serve_until_signalled(
    port: int, host: str, replies: list[Reply], default: Reply | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with ScriptedLLM.running(port, host=host, replies=replies, default=default) as llm:
        print(f"READY {llm.port}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: serve a script until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(
        prog="python -m paynto_common.testing.scripted_llm",
        description="Serve scripted OpenAI-compatible chat completions on loopback.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--script", type=Path, help="JSON file with replies and a default")
    args = parser.parse_args(argv)
    replies: list[Reply] = []
    default: Reply | None = None
    if args.script is not None:
        replies, default = load_script(json.loads(args.script.read_text()))
    asyncio.run(_serve_until_signalled(args.port, args.host, replies, default))
    return 0


if __name__ == "__main__":
    sys.exit(main())
