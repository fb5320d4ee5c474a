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
    check_sandbox,
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


class ScriptedDevServer:
    """A dev server stand-in on a Unix socket answering each path with its scripted JSON, and
    keeping the paths asked (one connection per question)."""

    def __init__(self, path: Path, answers: dict[str, object]) -> None:
        self.path = path
        self.answers = answers
        self.asked: list[str] = []
        self.endpoint = f"unix:{path}"
        self.base_path = "/p/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        target = head.split(" ", 2)[1]
        self.asked.append(target)
        body = json.dumps(self.answers[target.split("?")[0]]).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        await writer.drain()
        writer.close()


THROWN = {"name": "Error", "message": "boom", "stack": "Error: boom\n at Menu (src/Menu.jsx:2)"}


@pytest.mark.parametrize("renders_in_check", [True, False])
async def test_a_check_with_a_render_asks_once_or_falls_back_to_the_render_path(
        tmp_path: Path, renders_in_check: bool) -> None:
    # serve.mjs renders within the check; a server started from an older one answers the
    # check without a verdict, and is then asked on its render path.
    check: dict[str, object] = {"errors": []}
    if renders_in_check:
        check["render"] = {"error": THROWN}
    server = ScriptedDevServer(tmp_path / "d.sock", {"/p/__paynto/check": check,
                                                     "/p/__paynto/render": {"error": THROWN}})
    listening = await asyncio.start_unix_server(server._serve, str(server.path))
    try:
        errors, thrown = await check_sandbox(server, ["src/App.jsx"], render=True)
        assert errors == []
        assert thrown is not None
        assert (thrown["path"], thrown["message"]) == ("src/Menu.jsx", "Error: boom")
        paths = [target.split("?")[0] for target in server.asked]
        assert paths == (["/p/__paynto/check"] if renders_in_check
                         else ["/p/__paynto/check", "/p/__paynto/render"])
        assert "render=1" in server.asked[0]
        # Without the render, it is the plain check, and nothing renders.
        server.asked.clear()
        assert await check_sandbox(server, ["src/App.jsx"]) == ([], None)
        assert len(server.asked) == 1 and "render" not in server.asked[0]
    finally:
        listening.close()
        await listening.wait_closed()


@pytest.mark.parametrize("check", [["render"], {"errors": 3, "render": "x"}, {"errors": [1]}])
async def test_a_check_answer_of_the_wrong_shape_is_no_error_and_no_crash(
        tmp_path: Path, check: object) -> None:
    # The dev server's process runs the site's code too: its answer is checked, not trusted.
    server = ScriptedDevServer(tmp_path / "d.sock", {"/p/__paynto/check": check,
                                                     "/p/__paynto/render": {"error": None}})
    listening = await asyncio.start_unix_server(server._serve, str(server.path))
    try:
        assert await check_sandbox(server, ["src/App.jsx"], render=True) == ([], None)
        assert await check_sandbox(server, ["src/App.jsx"]) == ([], None)
    finally:
        listening.close()
        await listening.wait_closed()
