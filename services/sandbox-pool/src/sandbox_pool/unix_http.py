"""Questions to a local sandbox's dev server over its Unix socket, on kept connections.

Every apply asks its sandbox's server three small things (is it alive, does what was written
compile, and, a moment later, did the file watcher see every change). Through httpx each GET
cost about 2 ms of CPU here, in its client, transport and connection layers, about a quarter
of the pool's CPU per apply. The server is our own ``serve.mjs`` on Node's http module, so a
minimal HTTP/1.1 client on asyncio streams is enough: a GET, then a response with a
``Content-Length``, a chunked body, or a body that ends with the connection.

Failures are httpx's errors (``httpx.HTTPError``), as the callers expect of the httpx client
a hosted sandbox's URL is still asked with.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]

# Idle connections kept per socket: a sandbox is asked at most a few things at once.
KEPT = 4
# A response head longer than this is no answer of serve.mjs; nor a body longer than this.
MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


class UnixHttp:
    """GETs to the HTTP server on the Unix socket at ``path``, on kept connections."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._idle: list[Connection] = []

    async def get(self, target: str, timeout: float) -> httpx.Response:
        """GET ``target`` (a path with its query). A kept connection the server closed
        meanwhile (it restarted, or its keep-alive ran out) costs one more try on a new one."""
        try:
            async with asyncio.timeout(timeout):
                while self._idle:
                    conn = self._idle.pop()
                    try:
                        return await self._exchange(conn, target)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        continue  # stale: the server closed it; try the next
                conn = await self._connect()
                try:
                    return await self._exchange(conn, target)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    raise httpx.ReadError(f"the dev server closed the connection: {exc!r}") \
                        from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"no answer to GET {target} within {timeout} s") from exc

    async def _connect(self) -> Connection:
        try:
            return await asyncio.open_unix_connection(self.path, limit=MAX_HEAD)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot reach the dev server at {self.path}: {exc}") \
                from exc

    async def _exchange(self, conn: Connection, target: str) -> httpx.Response:
        """One request and its response on ``conn``; ``conn`` is kept again only when the
        whole response was read and the server keeps it open."""
        reader, writer = conn
        kept = False
        try:
            writer.write(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            await writer.drain()
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.LimitOverrunError as exc:
                raise httpx.RemoteProtocolError("the response head is too long") from exc
            status, headers = _parse_head(head)
            fields = {name.lower(): value for name, value in headers}
            if "content-length" in fields:
                body = await reader.readexactly(_length(fields["content-length"]))
                kept = True
            elif fields.get("transfer-encoding", "").lower() == "chunked":
                body = await _read_chunked(reader)
                kept = True
            else:
                body = await _read_to_end(reader)
            kept = kept and fields.get("connection", "").lower() != "close"
            return httpx.Response(status, headers=headers, content=body)
        finally:
            if kept and len(self._idle) < KEPT:
                self._idle.append(conn)
            else:
                writer.close()

    def close(self) -> None:
        """Close the kept connections."""
        for _, writer in self._idle:
            with contextlib.suppress(Exception):
                writer.close()
        self._idle.clear()


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"not an HTTP/1.1 status line: {lines[0][:100]!r}")
    headers = []
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise httpx.RemoteProtocolError(f"a malformed header line: {line[:100]!r}")
            headers.append((name.strip(), value.strip()))
    return int(parts[1]), headers


def _length(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_BODY:
        raise httpx.RemoteProtocolError(f"a malformed or too large Content-Length: "
                                        f"{text[:40]!r}")
    return int(text)


async def _read_to_end(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while chunk := await reader.read(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY:
            raise httpx.RemoteProtocolError("the response body is over 64 MiB")
    return bytes(body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise httpx.RemoteProtocolError(f"a malformed chunk size: {line[:40]!r}") from exc
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailer fields, which nothing here needs
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise httpx.RemoteProtocolError("the response body is over 64 MiB")
        body += await reader.readexactly(size)
        await reader.readexactly(2)
