"""Resource limits of a local sandbox: processes, memory, file size, /tmp and workspace size.

bubblewrap isolates what a sandbox can see; these bound what it can use:

- **processes and memory** through a cgroup per sandbox (``pids.max``, and ``memory.max`` or
  v1's ``memory.limit_in_bytes``), on cgroup v2 or v1, wherever this process may create one.
  (``RLIMIT_NPROC`` is no substitute: the kernel ignores it for root.) Where no cgroup can be
  made, :attr:`Cgroups.available` is False and the service logs that these two are not
  enforced;
- **a single file's size** with ``RLIMIT_FSIZE`` (``prlimit``), which holds for root too;
- **/tmp** is a tmpfs of a fixed size;
- **the workspace** is measured while the server runs and the server is stopped when it grows
  past its quota (files are written by the host in one place, by sandboxed code anywhere).

A sandboxed process joins its cgroups before it executes anything: the command is wrapped in a
tiny shell that writes its own pid into each ``cgroup.procs`` and then ``exec``s, so every
process the sandbox ever starts is counted.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MB = 1024 * 1024
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Joins the cgroups named before "--", then runs the rest.
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"'


@dataclass(frozen=True)
class ResourceLimits:
    memory_mb: int = 1024
    processes: int = 256
    file_mb: int = 64
    tmp_mb: int = 256
    disk_mb: int = 512


class Cgroups:
    """Creates one cgroup per sandbox under ``<hierarchy>/paynto`` (v2, or v1's pids and
    memory hierarchies)."""

    def __init__(self, root: Path = CGROUP_ROOT, group: str = "paynto") -> None:
        self.group = group
        self._bases: dict[str, Path] = {}
        self.why_not = ""
        try:
            self._bases = self._find(root)
        except OSError as exc:
            self.why_not = f"{exc.strerror or exc}"
        if not self._bases and not self.why_not:
            self.why_not = "no writable pids and memory cgroup controllers"

    @property
    def available(self) -> bool:
        return bool(self._bases)

    def _find(self, root: Path) -> dict[str, Path]:
        if (root / "cgroup.controllers").is_file():
            return self._find_v2(root)
        # Under this process's own group in each hierarchy, so the sandboxes stay inside
        # whatever limits and accounting this service itself runs under.
        own = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            for name in names.split(","):
                own[name] = path
        bases: dict[str, Path] = {}
        for controller in ("pids", "memory"):
            base = root / controller / own.get(controller, "/").lstrip("/")
            if (base / "cgroup.procs").is_file():
                bases[controller] = base / self.group
        if len(bases) != 2:
            return {}
        for base in bases.values():
            base.mkdir(exist_ok=True)
        return bases

    def _find_v2(self, root: Path) -> dict[str, Path]:
        own = "/"
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                own = line[3:]
        parent = root / own.lstrip("/")
        if not {"pids", "memory"} <= set((parent / "cgroup.controllers").read_text().split()):
            return {}
        base = parent / self.group
        base.mkdir(exist_ok=True)
        # The group holds no process itself, so it may hand its controllers down.
        (base / "cgroup.subtree_control").write_text("+pids +memory")
        return {"unified": base}

    def create(self, name: str, limits: ResourceLimits) -> list[Path]:
        """Make the sandbox's cgroup(s) with the limits; return the ``cgroup.procs`` files a
        process writes its pid to, to join."""
        procs = []
        for controller, base in self._bases.items():
            path = base / name
            path.mkdir(exist_ok=True)
            if controller in ("unified", "pids"):
                (path / "pids.max").write_text(str(limits.processes))
            if controller == "unified":
                (path / "memory.max").write_text(str(limits.memory_mb * MB))
                with contextlib.suppress(OSError):  # absent without swap accounting
                    (path / "memory.swap.max").write_text("0")
            elif controller == "memory":
                (path / "memory.limit_in_bytes").write_text(str(limits.memory_mb * MB))
            procs.append(path / "cgroup.procs")
        return procs

    def remove(self, name: str) -> None:
        """Kill whatever is left in the sandbox's cgroups and remove them."""
        for base in self._bases.values():
            path = base / name
            if not path.is_dir():
                continue
            for _attempt in range(50):
                try:
                    path.rmdir()
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY:
                        log.warning("cannot remove cgroup %s: %s", path, exc)
                        break
                    for pid in _pids(path):
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    time.sleep(0.02)

    def memory_used(self, name: str) -> int | None:
        """The sandbox's memory use now, in bytes (None without a memory cgroup)."""
        for controller, base in self._bases.items():
            file = "memory.current" if controller == "unified" else "memory.usage_in_bytes"
            if controller in ("unified", "memory"):
                with contextlib.suppress(OSError, ValueError):
                    return int((base / name / file).read_text())
        return None


def _pids(path: Path) -> list[int]:
    try:
        return [int(p) for p in (path / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def wrap(command: list[str], procs: list[Path], limits: ResourceLimits) -> list[str]:
    """``command`` run inside the cgroups whose ``cgroup.procs`` are given, with the file size
    limit set, from its very first instruction."""
    prlimit = shutil.which("prlimit")
    limited = command
    if prlimit is not None:
        limited = [prlimit, f"--fsize={limits.file_mb * MB}", "--", *command]
    if not procs:
        return limited
    return ["/bin/sh", "-c", _JOIN, "paynto-limits", *map(str, procs), "--", *limited]


def workspace_bytes(workspace: Path) -> int:
    """Bytes in a workspace's files, not following links and not counting node_modules (a
    read-only mount of the shared cache inside the sandbox, an empty folder outside)."""
    total = 0
    stack = [workspace]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not (folder == workspace and entry.name == "node_modules"):
                        stack.append(Path(entry.path))
                else:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total
