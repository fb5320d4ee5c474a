"""The contract every sandbox provider keeps, as tests any provider's test module inherits.

A provider's tests subclass :class:`ProviderContract` and give a ``provider`` fixture (an
async fixture yielding a ready :class:`~sandbox_pool.provider.SandboxProvider`); pytest then
runs every test below against it. The local provider runs them always; the hosted ones run
them against their loopback fakes always and against the real service when its key is set.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from paynto_common.messages import preview_path
from paynto_common.safety.paths import UnsafePathError
from sandbox_pool.provider import (
    ProviderSandbox,
    SandboxGoneError,
    SandboxProvider,
    check_sandbox,
    http_client_for,
    render_error,
)

APP = "export default function App() {{ return <h1>{marker}</h1> }}\n"
THROWS = ("function Menu() {\n  throw new Error('contract-render-probe')\n}\n"
          "export default function App() { return <Menu /> }\n")
LOOPS = "export default function App() { while (true) {} }\n"




async def fetch(sandbox: ProviderSandbox, rel: str = "") -> tuple[int, str]:
    """GET ``base_path + rel`` from the sandbox's dev server: (status, body)."""
    async with http_client_for(sandbox.endpoint) as client:
        response = await client.get(sandbox.base_path + rel)
    return response.status_code, response.text


def new_id() -> str:
    return f"c{secrets.token_hex(5)}"


@asynccontextmanager
async def made(provider: SandboxProvider, start: bool = True) -> AsyncIterator[ProviderSandbox]:
    """A new sandbox of ``provider``, destroyed afterwards whatever happens."""
    sandbox_id = new_id()
    sandbox = await provider.create(sandbox_id, preview_path(sandbox_id))
    try:
        if start:
            await sandbox.start()
        yield sandbox
    finally:
        await sandbox.destroy()


class ProviderContract:
    """Inherit, and give a ``provider`` fixture."""

    async def test_serves_the_written_site_under_its_base_path(
        self, provider: SandboxProvider
    ) -> None:
        sandbox_id = new_id()
        sandbox = await provider.create(sandbox_id, preview_path(sandbox_id))
        try:
            assert sandbox.id == sandbox_id
            assert sandbox.base_path == f"/preview/{sandbox_id}/"
            written = await sandbox.write_files({"src/App.jsx": APP.format(marker="first-mark")})
            assert written == ["src/App.jsx"]
            await sandbox.start()
            assert await sandbox.alive()
            status, page = await fetch(sandbox)
            assert status == 200
            assert '<div id="root">' in page
            status, module = await fetch(sandbox, "src/App.jsx")
            assert status == 200
            assert "first-mark" in module
        finally:
            await sandbox.destroy()

    async def test_a_write_to_a_running_sandbox_is_served_at_once(
        self, provider: SandboxProvider
    ) -> None:
        async with made(provider) as sandbox:
            written = await sandbox.write_files({
                "src/App.jsx": "import Note from './components/Note.jsx'\n"
                               "export default function App() { return <Note /> }\n",
                "src/components/Note.jsx": APP.format(marker="second-mark"),
            })
            # Leaf modules first: the importer never points at a file that is not there yet.
            assert written == ["src/components/Note.jsx", "src/App.jsx"]
            status, module = await fetch(sandbox, "src/components/Note.jsx")
            assert (status, "second-mark" in module) == (200, True)

    async def test_one_unsafe_path_refuses_the_whole_batch(
        self, provider: SandboxProvider
    ) -> None:
        async with made(provider) as sandbox:
            with pytest.raises(UnsafePathError):
                await sandbox.write_files({
                    "src/Fine.jsx": APP.format(marker="must-not-land"),
                    "../outside.js": "alert(1)",
                })
            _status, body = await fetch(sandbox, "src/Fine.jsx")
            assert "must-not-land" not in body

    async def test_package_names_are_checked_before_anything_runs(
        self, provider: SandboxProvider
    ) -> None:
        async with made(provider) as sandbox:
            with pytest.raises(ValueError):
                await sandbox.ensure_packages(["left-pad; rm -rf /"])
            # The template's own packages are there already: nothing to install.
            lines: list[str] = []
            assert await sandbox.ensure_packages(["react"], lines.append) == []
            assert await sandbox.alive()

    async def test_restart_keeps_the_files(self, provider: SandboxProvider) -> None:
        async with made(provider) as sandbox:
            await sandbox.write_files({"src/App.jsx": APP.format(marker="kept-mark")})
            await sandbox.restart()
            assert await sandbox.alive()
            status, module = await fetch(sandbox, "src/App.jsx")
            assert (status, "kept-mark" in module) == (200, True)
            await sandbox.keep_alive(120)
            assert isinstance(sandbox.logs(), list)

    async def test_a_destroyed_sandbox_is_gone(self, provider: SandboxProvider) -> None:
        sandbox_id = new_id()
        sandbox = await provider.create(sandbox_id, preview_path(sandbox_id))
        await sandbox.start()
        remote_id = sandbox.remote_id
        again = await provider.connect(sandbox_id, remote_id, sandbox.base_path)
        assert again.base_path == sandbox.base_path
        await sandbox.destroy()
        assert not await sandbox.alive()
        with pytest.raises(SandboxGoneError):
            await provider.connect(sandbox_id, remote_id, sandbox.base_path)


class DevServerContract:
    """What needs the sandbox's dev server itself: inherited beside :class:`ProviderContract`
    by the providers that run it (local, and the hosted ones live), not by loopback fakes that
    serve a sandbox's files statically."""

    async def test_the_first_render_is_checked_without_a_browser(
        self, provider: SandboxProvider
    ) -> None:
        async with made(provider) as sandbox:
            await sandbox.write_files({"src/App.jsx": THROWS})
            thrown = await render_error(sandbox)
            assert thrown is not None, "a component that throws rendered cleanly"
            assert thrown["kind"] == "runtime" and thrown["path"] == "src/App.jsx"
            assert thrown["message"] == "Error: contract-render-probe"
            # Asked with the compile check, in the same question, the render says the same;
            # a module that does not compile is not rendered.
            compiled, again = await check_sandbox(sandbox, ["src/App.jsx"], render=True)
            assert compiled == [] and again is not None
            assert (again["path"], again["message"]) == (thrown["path"], thrown["message"])
            await sandbox.write_files({"src/App.jsx": "export default function App( {\n"})
            compiled, again = await check_sandbox(sandbox, ["src/App.jsx"], render=True)
            assert [e.get("path") for e in compiled] == ["src/App.jsx"] and again is None
            # An endless loop is cut off, and the dev server serves on meanwhile.
            await sandbox.write_files({"src/App.jsx": LOOPS})
            looped = await render_error(sandbox)
            assert looped is not None and "did not finish" in looped["message"]
            status, _ = await fetch(sandbox, "src/App.jsx")
            assert status == 200
            # A fresh renderer takes over from the one that was cut off.
            await sandbox.write_files({"src/App.jsx": APP.format(marker="renders")})
            assert await render_error(sandbox) is None
