"""Local sandboxes with real bubblewrap, Node and Vite.

One sandbox is started for the whole module and shared by most tests. Workspaces live under the
repository's ``.data/`` (not /tmp, which every sandbox hides anyway), so the test that looks for a
sibling workspace proves the data folder is hidden, not just /tmp. The shared dependency cache
is kept between runs (the ``node_modules`` fixture of conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, unix_connect

from paynto_common.safety.paths import UnsafePathError
from sandbox_pool.local import LocalProvider, LocalSandbox
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.provider import SandboxStartError, SandboxUnavailableError

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[3]
SITE_ID = "site-a"
SIBLING_ID = "site-b"


class Env:
    """What the module's tests share."""

    def __init__(self, data: Path, provider: LocalProvider, site: LocalSandbox) -> None:
        self.data = data
        self.provider = provider
        self.site = site
        self.sibling: LocalSandbox | None = None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(node_modules: NodeModulesCache,
              sandboxing: Callable[[LocalProvider], Awaitable[None]]) -> AsyncIterator[Env]:
    # A short name: the sockets' paths must fit in 107 bytes.
    data = REPO / ".data" / f"t-{secrets.token_hex(3)}"
    provider = LocalProvider(data / "sandboxes", node_modules)
    await sandboxing(provider)
    started = time.monotonic()
    await node_modules.ensure()
    print(f"\ndeps base entry ready in {time.monotonic() - started:.2f}s")
    site = await provider.create(SITE_ID, f"/preview/{SITE_ID}/")
    started = time.monotonic()
    await site.start()
    print(f"create+start to ready: {time.monotonic() - started:.2f}s")
    shared = Env(data, provider, site)
    try:
        yield shared
    finally:
        for sandbox in (site, shared.sibling):
            if sandbox is not None:
                await sandbox.destroy()
        shutil.rmtree(data, ignore_errors=True)


async def _get(sandbox: LocalSandbox, path: str) -> tuple[int, str]:
    async with sandbox.http_client() as client:
        response = await client.get(path)
    return response.status_code, response.text


async def _next_message(ws: ClientConnection, wanted: str, timeout: float = 15.0) -> dict[str, Any]:
    """Return the next HMR message of type ``wanted``; fail on an error message."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "error":
                raise AssertionError(f"Vite reported an error: {message}")
            if message.get("type") == wanted:
                return dict(message)


async def test_page_is_served_under_the_prefix(env: Env) -> None:
    status, html = await _get(env.site, f"/preview/{SITE_ID}/")
    assert status == 200
    assert f'src="/preview/{SITE_ID}/src/main.jsx"' in html
    assert f'src="/preview/{SITE_ID}/@vite/client"' in html
    assert '<div id="root"></div>' in html


async def test_alive_means_the_server_answers_with_the_page_there(env: Env) -> None:
    # The health check does not render the page, but it fails as asking for the page would
    # when the workspace lost its index.html.
    page = env.site.workspace / "index.html"
    assert await env.site.alive()
    kept = page.read_bytes()
    page.unlink()
    try:
        assert not await env.site.alive()
        assert (await _get(env.site, f"/preview/{SITE_ID}/__paynto/alive"))[0] == 503
    finally:
        page.write_bytes(kept)
    assert await env.site.alive()


async def test_modules_are_transformed(env: Env) -> None:
    status, code = await _get(env.site, f"/preview/{SITE_ID}/src/App.jsx")
    assert status == 200
    assert "Your site will appear here" in code
    assert "<main" not in code  # JSX was compiled away
    assert f"/preview/{SITE_ID}/@vite/client" in code
    # The rest of what a browser loads: pre-bundled React (from the sandbox's private cache,
    # since node_modules is read-only) and Tailwind's CSS built from the classes in use.
    status, main = await _get(env.site, f"/preview/{SITE_ID}/src/main.jsx")
    assert status == 200
    dep_urls = re.findall(rf'"(/preview/{SITE_ID}/@fs/[^"]+/deps/react[^"]*)"', main)
    assert dep_urls
    for url in dep_urls:
        assert (await _get(env.site, url))[0] == 200, url
    status, css = await _get(env.site, f"/preview/{SITE_ID}/src/index.css")
    assert status == 200 and "tracking-tight" in css
    # Only the workspace's sources were scanned, not node_modules.
    assert "align-baseline" not in css and "accent-auto" not in css


async def test_write_triggers_hmr_update_and_new_code_is_served(env: Env) -> None:
    site = env.site
    # The module graph only knows modules a client asked for.
    assert (await _get(site, f"/preview/{SITE_ID}/src/App.jsx"))[0] == 200
    marker = f"hello-{secrets.token_hex(4)}"
    uri = f"ws://localhost/preview/{SITE_ID}/"
    async with unix_connect(str(site.socket_path), uri=uri, subprotocols=["vite-hmr"]) as ws:
        await _next_message(ws, "connected")
        started = time.monotonic()
        written = await site.write_files(
            {
                "src/App.jsx": (
                    "import Badge from './components/Badge'\n"
                    f'export default function App() {{ return <Badge text="{marker}" /> }}\n'
                ),
                "src/components/Badge.jsx": (
                    "export default function Badge({ text }) {\n"
                    '  return <span className="rounded bg-sky-100 px-2">{text}</span>\n'
                    "}\n"
                ),
            }
        )
        update = await _next_message(ws, "update")
        latency = time.monotonic() - started
    print(f"\nwrite -> HMR update: {latency * 1000:.0f} ms")
    # The new component went first, so the update never saw a dangling import.
    assert written == ["src/components/Badge.jsx", "src/App.jsx"]
    assert any(u["path"].endswith("/src/App.jsx") for u in update["updates"])
    status, code = await _get(site, f"/preview/{SITE_ID}/src/App.jsx")
    assert status == 200 and marker in code
    status, code = await _get(site, f"/preview/{SITE_ID}/src/components/Badge.jsx")
    assert status == 200 and "rounded bg-sky-100" in code


async def test_quick_successive_writes_are_never_left_stale(env: Env) -> None:
    """A file replaced again within milliseconds can slip past Vite's watcher; the sandbox has
    it announced, so every write gets its HMR update and the last one is what is served."""
    site = env.site
    assert (await _get(site, f"/preview/{SITE_ID}/src/App.jsx"))[0] == 200
    uri = f"ws://localhost/preview/{SITE_ID}/"
    async with unix_connect(str(site.socket_path), uri=uri, subprotocols=["vite-hmr"]) as ws:
        await _next_message(ws, "connected")
        for n in range(4):
            marker = f"quick-{n}-{secrets.token_hex(3)}"
            await site.write_files({"src/App.jsx": "export default function App() "
                                                   f"{{ return <p>{marker}</p> }}\n"})
            update = await _next_message(ws, "update")
            # As a browser does right after an update; the next write follows at once.
            stamp = update["updates"][0]["timestamp"]
            status, code = await _get(site, f"/preview/{SITE_ID}/src/App.jsx?t={stamp}")
            assert status == 200 and marker in code, n


@pytest.mark.parametrize("bad", ["../../etc/x", "/abs/path", "src/../../x", "package.json"])
async def test_unsafe_paths_refuse_the_whole_batch(env: Env, bad: str) -> None:
    good = f"src/ok-{secrets.token_hex(3)}.js"
    with pytest.raises(UnsafePathError) as caught:
        await env.site.write_files({good: "export const ok = 1\n", bad: "pwned"})
    assert repr(bad) in str(caught.value)
    assert not (env.site.workspace / good).exists()
    assert not _exists("/etc/x") and not _exists("/abs/path")
    assert not (env.site.workspace.parent / "x").exists()


async def test_planted_symlinks_are_refused(env: Env) -> None:
    site = env.site
    outside = env.data / "outside"
    outside.mkdir(exist_ok=True)
    secret = outside / "secret.txt"
    secret.write_text("keep me")
    # As sandboxed code could: a folder link and a file link pointing out of the workspace.
    (site.workspace / "src" / "escape").symlink_to(outside, target_is_directory=True)
    (site.workspace / "src" / "Linked.jsx").symlink_to(secret)
    try:
        for rel in ("src/escape/x.jsx", "src/Linked.jsx"):
            with pytest.raises(UnsafePathError, match="symlink") as caught:
                await site.write_files({"src/fine.js": "export default 1\n", rel: "pwned"})
            assert repr(rel) in str(caught.value)
        # A link planted between the check and the write (bypassing the check) is refused too.
        with pytest.raises(UnsafePathError, match="changed while writing"):
            await asyncio.to_thread(site.provider.workspaces.write, site.workspace,
                                    [("src/escape/late.jsx", "pwned")])
        assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
        assert secret.read_text() == "keep me"
        assert not (site.workspace / "src" / "fine.js").exists()
    finally:
        (site.workspace / "src" / "escape").unlink()
        (site.workspace / "src" / "Linked.jsx").unlink()


async def test_sandbox_has_no_network_and_no_view_of_other_data(env: Env) -> None:
    provider, site = env.provider, env.site
    sibling = env.sibling = await provider.create(SIBLING_ID, f"/preview/{SIBLING_ID}/")
    sibling_file = sibling.workspace / "src" / "App.jsx"
    (env.data / "paynto.db").write_text("secret rows")
    # A TCP listener on the host's loopback that the sandbox must not reach.
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pg_socket = "/run/postgresql/.s.PGSQL.5432"
    probe = """
const fs = require('node:fs'), net = require('node:net')
const [port, sibling, db, sockets, pg] = process.argv.slice(1)
const tryConnect = (opts) => new Promise((done) => {
  const s = net.connect(opts)
  s.on('connect', () => { s.destroy(); done('connected') })
  s.on('error', (e) => done(e.code))
})
const tryRead = (p) => { try { fs.readFileSync(p); return 'read' } catch (e) { return e.code } }
const tryWrite = (p) => {
  try { fs.writeFileSync(p, 'x'); return 'wrote' } catch (e) { return e.code }
}
;(async () => {
  console.log(JSON.stringify({
    loopback: await tryConnect({ host: '127.0.0.1', port: Number(port) }),
    nats: await tryConnect({ host: '127.0.0.1', port: 4222 }),
    outside: await tryConnect({ host: '1.1.1.1', port: 80 }),
    postgres: await tryConnect({ path: pg }),
    sibling: tryRead(sibling),
    database: tryRead(db),
    sockets: tryRead(sockets),
    etc: tryWrite('/etc/paynto-probe'),
    nodeModules: tryWrite('node_modules/paynto-probe'),
    workspace: tryWrite('paynto-probe.txt'),
    ownSource: tryRead('src/App.jsx'),
  }))
})()
"""
    entry = site.deps_entry
    assert entry is not None
    argv = provider.jail.argv(
        site.workspace, entry / "node_modules", ["node", "-e", probe, "--"]
    )
    argv += [str(port), str(sibling_file), str(env.data / "paynto.db")]
    argv += [str(site.socket_path), pg_socket]
    try:
        # The host reaches the listener, so a refusal inside means isolation, not absence.
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=provider.jail.env(site.workspace, site.base_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        server.close()
        await server.wait_closed()
    assert proc.returncode == 0, err.decode()
    seen = json.loads(out.decode().strip().splitlines()[-1])
    assert sibling_file.is_file()
    assert seen["loopback"] in ("ECONNREFUSED", "ENETUNREACH")
    assert seen["nats"] in ("ECONNREFUSED", "ENETUNREACH")
    assert seen["outside"] in ("ENETUNREACH", "ECONNREFUSED", "EAI_AGAIN")
    assert seen["postgres"] in ("ENOENT", "ECONNREFUSED")
    assert seen["sibling"] == "ENOENT"
    assert seen["database"] == "ENOENT"
    assert seen["sockets"] == "ENOENT"
    assert seen["etc"] == "EROFS"
    assert seen["nodeModules"] == "EROFS"
    assert seen["workspace"] == "wrote"
    assert seen["ownSource"] == "read"
    (site.workspace / "paynto-probe.txt").unlink()


async def test_ensure_packages_installs_and_restarts(env: Env) -> None:
    site = env.site
    with pytest.raises(ValueError, match="lowercase"):
        await site.ensure_packages(["Not-Valid"])
    before = site.deps_entry
    await site.write_files(
        {
            "src/App.jsx": (
                "import clsx from 'clsx'\n"
                "export default function App() {\n"
                "  return <p className={clsx('text-lg', 'font-bold')}>with clsx</p>\n"
                "}\n"
            )
        }
    )
    started = time.monotonic()
    assert await site.ensure_packages(["clsx"]) == ["clsx"]
    print(f"\nensure_packages(clsx) incl. restart: {time.monotonic() - started:.2f}s")
    assert site.deps_entry != before
    assert site.extra_packages == ("clsx",)
    assert await site.alive()
    status, code = await _get(site, f"/preview/{SITE_ID}/src/App.jsx")
    assert status == 200, code
    assert "clsx" in code and "with clsx" in code
    # Asking again changes nothing and does not restart.
    entry = site.deps_entry
    assert await site.ensure_packages(["clsx", "react"]) == []
    assert site.deps_entry == entry


async def test_stop_leaves_no_process(env: Env) -> None:
    sandbox = await env.provider.create("site-c", "/preview/site-c/")
    try:
        await sandbox.start()
        assert await sandbox.alive()
        proc = sandbox.server.proc
        assert proc is not None
        pids = {proc.pid, sandbox.server.child_pid}
        assert _processes_mentioning(str(sandbox.workspace))
        await sandbox.stop()
        assert proc.returncode is not None
        assert not await sandbox.alive()
        for pid in pids:
            assert pid is not None and not _exists(f"/proc/{pid}")
        assert _processes_mentioning(str(sandbox.workspace)) == []
        assert not sandbox.socket_path.exists()
        assert any("stopping (SIGTERM)" in line for line in sandbox.logs())
    finally:
        await sandbox.destroy()
    assert not sandbox.workspace.exists()


async def test_broken_server_reports_its_output(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = env.provider
    sandbox = await provider.create("site-d", "/preview/site-d/")
    # Sandboxed code may rewrite the server's files; a restart puts them back.
    (sandbox.workspace / "vite.config.js").write_text("throw new Error('tampered')\n")
    # Stands in for any crash: a dependency entry without Vite.
    broken = tmp_path / "broken-entry"
    (broken / "node_modules").mkdir(parents=True)

    async def no_vite(extra: object = ()) -> Path:
        return broken

    monkeypatch.setattr(provider.node_modules, "ensure", no_vite)
    try:
        with pytest.raises(SandboxStartError, match="Cannot find package 'vite'"):
            await sandbox.start()
        assert sandbox.server.proc is None
        assert _processes_mentioning(str(sandbox.workspace)) == []
        template = provider.node_modules.template_dir / "vite.config.js"
        assert (sandbox.workspace / "vite.config.js").read_text() == template.read_text()
    finally:
        await sandbox.destroy()


async def test_refuses_to_run_without_a_working_bwrap(env: Env, tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    provider = LocalProvider(env.data / "nobwrap", env.provider.node_modules, bwrap=fake)
    sandbox = await provider.create("site-e", "/preview/site-e/")
    with pytest.raises(SandboxUnavailableError, match=r"No permissions.*unsandboxed"):
        await sandbox.start()
    assert sandbox.server.proc is None
    assert _processes_mentioning(str(sandbox.workspace)) == []


async def test_create_validates_ids_and_base_paths(env: Env) -> None:
    for sandbox_id, base in [("../x", "/p/"), ("ok", "no-slash"), ("ok", "/a b/"), ("", "/")]:
        with pytest.raises(ValueError):
            await env.provider.create(sandbox_id, base)
    with pytest.raises(ValueError, match="longer than 107 bytes"):
        await env.provider.create("x" * 64, "/p/")


def _exists(path: str) -> bool:
    return os.path.lexists(path)


def _processes_mentioning(workspace: str) -> list[int]:
    """PIDs whose command line names ``workspace`` or whose working folder is inside it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if workspace in cmdline or cwd == workspace or cwd.startswith(workspace + "/"):
            found.append(int(entry.name))
    return found
