"""The lean client a local sandbox's dev server is asked with (``sandbox_pool.unix_http``),
against servers on a Unix socket that answer with raw bytes: every way an HTTP/1.1 body may
end, connections kept or closed, and every failure as the httpx error callers catch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from sandbox_pool.unix_http import UnixHttp

Answer = Callable[[bytes], bytes]


@asynccontextmanager
async def raw_server(path: Path, answer: Answer) -> AsyncIterator[list[bytes]]:
    """A server answering each request head with ``answer(head)``, keeping the connection
    unless the answer says ``Connection: close``; yields the heads it was sent. Stopping it
    closes the connections it kept, as a dev server that stops does."""
    heads: list[bytes] = []
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head)
                reply = answer(head)
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply or (b"Content-Length" not in reply \
                        and b"chunked" not in reply):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_unix_server(serve, str(path))
    try:
        yield heads
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()
        path.unlink(missing_ok=True)


def fixed(reply: bytes) -> Answer:
    return lambda _head: reply


BODY = b'{"errors": []}'
CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\n{\"err\r\n9;ext=1\r\nors\": []}\r\n0\r\nX-Trailer: t\r\n\r\n")


@pytest.mark.parametrize("reply, kept", [
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
     % (len(BODY), BODY), True),
    (CHUNKED, True),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
     % (len(BODY), BODY), False),
    # No length, not chunked: the body ends with the connection.
    (b"HTTP/1.1 200 OK\r\n\r\n" + BODY, False),
])
async def test_every_way_a_body_ends_is_read_and_a_kept_connection_reused(
        tmp_path: Path, reply: bytes, kept: bool) -> None:
    client = UnixHttp(str(tmp_path / "s.sock"))
    async with raw_server(tmp_path / "s.sock", fixed(reply)) as heads:
        for _ in range(3):
            response = await client.get("/p/__paynto/check?path=src%2FApp.jsx", timeout=5)
            assert (response.status_code, response.json()) == (200, {"errors": []})
        assert heads[0].startswith(b"GET /p/__paynto/check?path=src%2FApp.jsx HTTP/1.1\r\n")
        assert b"\r\nHost: localhost\r\n" in heads[0]
        assert len(client._idle) == (1 if kept else 0)
    client.close()


async def test_a_connection_the_server_closed_is_tried_again_on_a_new_one(
        tmp_path: Path) -> None:
    reply = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNot found"
    client = UnixHttp(str(tmp_path / "s.sock"))
    async with raw_server(tmp_path / "s.sock", fixed(reply)):
        assert (await client.get("/a", timeout=5)).status_code == 404
    # The server restarted (its keep-alive ended, or it was replaced) on the same socket.
    async with raw_server(tmp_path / "s.sock", fixed(reply)) as heads:
        response = await client.get("/b", timeout=5)
        assert (response.status_code, response.text) == (404, "Not found")
        assert len(heads) == 1
    client.close()


@pytest.mark.parametrize("reply, error", [
    (b"SSH-2.0-OpenSSH\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n", httpx.RemoteProtocolError),
    # Cut off before the body it announced.
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 50\r\n\r\nshort",
     httpx.ReadError),
])
async def test_a_malformed_answer_is_an_httpx_error_and_the_connection_dropped(
        tmp_path: Path, reply: bytes, error: type[Exception]) -> None:
    client = UnixHttp(str(tmp_path / "s.sock"))
    async with raw_server(tmp_path / "s.sock", fixed(reply)):
        with pytest.raises(error):
            await client.get("/x", timeout=5)
    assert client._idle == []


async def test_no_server_and_a_silent_server_are_httpx_errors(tmp_path: Path) -> None:
    with pytest.raises(httpx.ConnectError):
        await UnixHttp(str(tmp_path / "none.sock")).get("/x", timeout=5)
    silent = await asyncio.start_unix_server(lambda r, w: None, str(tmp_path / "q.sock"))
    client = UnixHttp(str(tmp_path / "q.sock"))
    try:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/x", timeout=0.2)
        assert client._idle == []
    finally:
        silent.close()
