"""Each resource promise of the local sandbox, tried from inside one and shown to hold.

(What a sandbox can see and reach — files outside its workspace, other sandboxes, NATS, Redis,
Postgres, any network — is tried in test_local.py.) Limits here are small so that the attempts
end quickly: 32 processes, 160 MB of memory, 4 MB per file, 8 MB of /tmp, 24 MB of workspace
(the dev server itself runs with the defaults, but for the workspace).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from sandbox_pool.local import LocalProvider, LocalSandbox
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.resource_limits import MB, Cgroups, ResourceLimits

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[3]
LIMITS = ResourceLimits(memory_mb=160, processes=32, file_mb=4, tmp_mb=8, disk_mb=24)


class Env:
    def __init__(self, provider: LocalProvider, sandbox: LocalSandbox) -> None:
        self.provider = provider
        self.sandbox = sandbox


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(node_modules: NodeModulesCache,
              sandboxing: Callable[[LocalProvider], Awaitable[None]]) -> AsyncIterator[Env]:
    data = REPO / ".data" / f"i-{secrets.token_hex(3)}"
    provider = LocalProvider(data / "sandboxes", node_modules, limits=LIMITS)
    await sandboxing(provider)
    await node_modules.ensure()
    sandbox = await provider.create(f"iso{secrets.token_hex(4)}", "/preview/iso/")
    try:
        yield Env(provider, sandbox)
    finally:
        await sandbox.destroy()
        shutil.rmtree(data, ignore_errors=True)


async def run_inside(env: Env, script: str, timeout: float = 60) -> tuple[int, dict[str, object]]:
    """Run a Node script in the sandbox (its cgroup and limits included): (exit code, the JSON
    it printed last, or {} if it printed none)."""
    entry = await env.provider.node_modules.ensure()
    argv = env.provider.jail.argv(env.sandbox.workspace, entry / "node_modules",
                                  ["node", "-e", script], cgroup=env.sandbox.id)
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env.provider.jail.env(env.sandbox.workspace, env.sandbox.base_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        await asyncio.to_thread(env.provider.jail.cgroups.remove, env.sandbox.id)
    lines = [line for line in out.decode(errors="replace").splitlines() if line.startswith("{")]
    return proc.returncode or 0, json.loads(lines[-1]) if lines else {}


def require_cgroups(env: Env) -> None:
    if not env.provider.jail.cgroups.available:
        if os.environ.get("CI"):
            pytest.fail(f"no cgroups for sandbox limits in CI: {env.provider.jail.cgroups.why_not}")
        pytest.skip(f"process and memory limits need cgroups: {env.provider.jail.cgroups.why_not}")


async def test_processes_are_bounded(env: Env) -> None:
    require_cgroups(env)
    code, seen = await run_inside(env, """
const { spawn } = require('node:child_process')
let started = 0, refused = 0
const children = []
const next = (i) => {
  if (i === 100) return finish()
  const child = spawn('sleep', ['30'])
  child.on('spawn', () => { started++; children.push(child); next(i + 1) })
  child.on('error', (e) => { refused++; next(i + 1) })
}
const finish = () => {
  for (const c of children) c.kill('SIGKILL')
  console.log(JSON.stringify({ started, refused }))
  process.exit(0)
}
next(0)
""")
    assert code == 0, seen
    # Node itself uses some of the 32 (its threads count); the rest of the 100 were refused.
    assert isinstance(seen["started"], int) and seen["started"] < LIMITS.processes
    assert isinstance(seen["refused"], int) and seen["refused"] >= 100 - LIMITS.processes


async def test_memory_is_bounded(env: Env) -> None:
    require_cgroups(env)
    code, seen = await run_inside(env, """
const held = []
let mb = 0
for (; mb < 1024; mb += 16) held.push(Buffer.alloc(16 << 20, 1))
console.log(JSON.stringify({ allocated: mb }))
""")
    # The kernel kills it long before it holds a gigabyte.
    assert code != 0
    assert seen == {}


async def test_a_file_cannot_outgrow_its_limit(env: Env) -> None:
    code, seen = await run_inside(env, """
const fs = require('node:fs')
process.on('SIGXFSZ', () => {})
let error = null
try {
  const chunk = Buffer.alloc(1 << 20, 1)
  const fd = fs.openSync('big.bin', 'w')
  for (let i = 0; i < 64; i++) fs.writeSync(fd, chunk)
} catch (e) { error = e.code }
console.log(JSON.stringify({ error, size: fs.statSync('big.bin').size }))
""")
    assert seen["error"] == "EFBIG", (code, seen)
    assert isinstance(seen["size"], int) and seen["size"] <= LIMITS.file_mb * MB
    (env.sandbox.workspace / "big.bin").unlink()


async def test_tmp_is_bounded(env: Env) -> None:
    _code, seen = await run_inside(env, """
const fs = require('node:fs')
let error = null, written = 0
try {
  for (let i = 0; i < 16; i++) {
    fs.writeFileSync(`/tmp/f${i}`, Buffer.alloc(1 << 20, 1))
    written++
  }
} catch (e) { error = e.code }
console.log(JSON.stringify({ error, written }))
""")
    assert seen["error"] == "ENOSPC"
    assert isinstance(seen["written"], int) and seen["written"] < 16


async def test_a_workspace_past_its_quota_stops_the_server(env: Env) -> None:
    # Vite itself needs more memory and /tmp than the limits above: default limits here,
    # but for the workspace.
    provider = LocalProvider(env.provider.root, env.provider.node_modules,
                             limits=ResourceLimits(disk_mb=LIMITS.disk_mb))
    sandbox = await provider.create(f"quota{secrets.token_hex(4)}", "/preview/quota/")
    await sandbox.start()
    assert await sandbox.alive(), sandbox.logs()
    # Fill it as sandboxed code could, in files each under the per-file limit.
    for i in range(8):
        (sandbox.workspace / f"junk{i}.bin").write_bytes(os.urandom(4 * MB - 1))
    for _ in range(200):
        if not await sandbox.alive():
            break
        await asyncio.sleep(0.05)
    assert not await sandbox.alive()
    assert any("over its 24 MB quota" in line for line in sandbox.logs()), sandbox.logs()
    await sandbox.destroy()


async def test_cgroups_are_found_and_cleaned_up() -> None:
    groups = Cgroups()
    if not groups.available:
        pytest.skip(f"no cgroups here: {groups.why_not}")
    name = f"t{secrets.token_hex(4)}"
    procs = groups.create(name, LIMITS)
    assert procs and all(p.is_file() for p in procs)
    groups.remove(name)
    assert not any(p.parent.exists() for p in procs)
