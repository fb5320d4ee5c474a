"""Serve an ASGI app inside the caller's event loop, for tests that need a real server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Self

import uvicorn

from paynto_common.service import EmbeddedServer


def loopback_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound TCP socket (a free port when 0), so the port is known before serving starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this; without it Nagle's algorithm holds each response's
    # first chunk until the client's delayed ACK, about 40 ms, on a kept-alive connection
    # (uvicorn only sets it on sockets it binds itself).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def start_server(
    config: uvicorn.Config, sockets: list[socket.socket] | None = None
) -> tuple[EmbeddedServer, asyncio.Task[None]]:
    """Run uvicorn as a task of this loop; return once it accepts connections."""
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=sockets))
    # uvicorn exposes readiness only as a flag; poll it, but notice a failed start at once.
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn exited before starting")
            await asyncio.sleep(0.005)
    return server, task


@contextlib.asynccontextmanager
async def serve_app(app: Any, *, uds: Path | None = None) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on a free loopback port (or a Unix socket at ``uds``);
    yield its URL (``http://127.0.0.1:PORT`` or ``unix:PATH``) once it accepts connections."""
    sockets: list[socket.socket] | None = None
    if uds is not None:
        config = uvicorn.Config(app, uds=str(uds), log_level="critical",
                                timeout_graceful_shutdown=2)
        url = f"unix:{uds}"
    else:
        sock = loopback_socket()
        sockets = [sock]
        config = uvicorn.Config(app, log_level="critical", timeout_graceful_shutdown=2)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server, task = await start_server(config, sockets)
    try:
        yield url
    finally:
        server.should_exit = True
        await task
        if sockets:
            sockets[0].close()


@contextlib.contextmanager
def serving_in_thread(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread of its own (its own event loop) on a free
    loopback port, for a synchronous or module-scoped fixture; yield its URL once it accepts
    connections."""
    sock = loopback_socket()
    server = EmbeddedServer(uvicorn.Config(app, log_level="critical",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="paynto-test-server")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start in its thread")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class ServedDouble:
    """A stand-in for an outside service (GitHub, Vercel, Netlify): its state, its ASGI app
    (``app()``), and ``running()``, which serves it on a free loopback port for an ``async
    with`` block (:attr:`url` says where, while it serves)."""

    url: str | None = None

    def app(self) -> Any:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        async with serve_app(self.app()) as url:
            self.url = url
            try:
                yield self
            finally:
                self.url = None
