"""What every provider shares: the checks of a new sandbox's arguments, the preview errors
its dev server prints, and the kept connections its questions go over."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from sandbox_pool.provider import (
    PREVIEW_ERROR_MARKER,
    ask_sandbox,
    check_sandbox_args,
    parse_preview_error,
)


@pytest.mark.parametrize("sandbox_id, base", [("../x", "/p/"), ("ok", "no-slash"),
                                               ("ok", "/a b/"), ("", "/"), ("x" * 65, "/p/")])
def test_bad_sandbox_ids_and_base_paths_are_refused(sandbox_id: str, base: str) -> None:
    with pytest.raises(ValueError):
        check_sandbox_args(sandbox_id, base)
    check_sandbox_args("a1_b-2", "/preview/a1_b-2/")


def test_a_preview_error_line_becomes_an_error_with_only_its_fields() -> None:
    line = PREVIEW_ERROR_MARKER + json.dumps({
        "kind": "compile", "message": "m" * 3000, "file": "src/App.jsx", "line": 3,
        "column": "4", "plugin": "", "extra": "ignored"})
    error = parse_preview_error(line)
    assert error is not None
    assert error.wire() == {"kind": "compile", "message": "m" * 2000, "file": "src/App.jsx",
                            "line": 3}
    thrown = parse_preview_error(PREVIEW_ERROR_MARKER + '{"kind": "x", "message": "boom"}')
    assert thrown is not None and thrown.wire() == {"kind": "runtime", "message": "boom"}


@pytest.mark.parametrize("line", ["VITE ready", PREVIEW_ERROR_MARKER + "not json",
                                  PREVIEW_ERROR_MARKER + "[1]",
                                  PREVIEW_ERROR_MARKER + '{"kind": "compile"}'])
def test_other_lines_are_no_errors(line: str) -> None:
    assert parse_preview_error(line) is None


class KeepAliveServer:
    """A dev server stand-in on a Unix socket: answers every request with its name, keeps
    each connection open, and counts the connections it was given."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.connections = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, str(self.path))

    async def stop(self) -> None:
        """Stop, closing the kept connections too (what a restarted dev server does)."""
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()
        self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        body = self.name.encode()
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away, or we were stopped


async def test_questions_to_a_sandbox_share_a_kept_connection_across_a_restart(
        tmp_path: Path) -> None:
    endpoint = f"unix:{tmp_path / 's.sock'}"
    first = KeepAliveServer(tmp_path / "s.sock", "first")
    await first.start()
    answers = [(await ask_sandbox(endpoint, "/p/__paynto/check", {"path": ["a"]})).text
               for _ in range(3)]
    assert answers == ["first"] * 3
    assert first.connections == 1
    # The server restarts on the same socket: the kept connection is dead, the question is
    # still answered (by the new server), not failed.
    await first.stop()
    second = KeepAliveServer(tmp_path / "s.sock", "second")
    await second.start()
    try:
        assert (await ask_sandbox(endpoint, "/p/__paynto/render")).text == "second"
        assert second.connections == 1
    finally:
        await second.stop()
