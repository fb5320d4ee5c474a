"""Serve an ASGI app inside the caller's event loop, for tests that need a real server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn

from paynto_common.service import EmbeddedServer


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
        sock = socket.socket()
        # Accepted connections inherit it; uvicorn sets it only on sockets it binds itself.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        sockets = [sock]
        config = uvicorn.Config(app, log_level="critical", timeout_graceful_shutdown=2)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=sockets))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn exited before starting")
                await asyncio.sleep(0.01)
        yield url
    finally:
        server.should_exit = True
        await task
        if sockets:
            sockets[0].close()
