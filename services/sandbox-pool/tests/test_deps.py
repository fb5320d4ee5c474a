"""The shared dependency cache (real npm)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox_pool.deps import DepsCache, DepsError
from sandbox_pool.node import find_node, run_npm

REPO = Path(__file__).resolve().parents[3]


def _shared_cache_root() -> Path:
    return Path(os.environ.get("PAYNTO_DEPS_CACHE", REPO / ".data" / "test-deps"))


# ----- the cache -----


def test_keys_depend_only_on_the_full_sorted_set(tmp_path: Path) -> None:
    cache = DepsCache(tmp_path)
    base = cache.key_for()
    assert cache.key_for(["react"]) == base  # template packages are already there
    assert cache.key_for(["clsx", "zod"]) == cache.key_for(["zod", " clsx "])
    assert cache.key_for(["clsx"]) != base
    assert cache.key_for(["clsx@2"]) != cache.key_for(["clsx"])
    assert cache.normalize_extra(["zod", "clsx@1", "clsx@2", "react@18"]) == ("clsx@2", "zod")
    with pytest.raises(ValueError):
        cache.key_for(["Bad Name"])


async def test_invalid_names_are_refused_before_anything_runs(tmp_path: Path) -> None:
    cache = DepsCache(tmp_path / "cache")
    with pytest.raises(ValueError, match="invalid version"):
        await cache.ensure(["clsx", "evil@file:/etc"])
    assert not (tmp_path / "cache").exists()


async def test_run_npm_streams_lines(tmp_path: Path) -> None:
    lines: list[str] = []
    code, output = await run_npm(["--version"], tmp_path, on_line=lines.append)
    assert code == 0
    assert output.strip().split(".")[0].isdigit()
    assert lines and lines[-1] == output.splitlines()[-1]
    assert find_node().npm_cli.name == "npm-cli.js"


async def test_entries_are_built_once_and_shared_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh cache root (so entries really get built) on the shared npm download cache.
    shared = DepsCache(_shared_cache_root())
    cache = DepsCache(tmp_path / "deps", npm_cache=shared.npm_cache)
    runs: list[list[str]] = []
    real_npm = cache._npm

    async def counting_npm(args: list[str], cwd: Path, what: str,
                           on_line: Callable[[str], None] | None) -> None:
        runs.append(args)
        await real_npm(args, cwd, what, on_line)

    monkeypatch.setattr(cache, "_npm", counting_npm)

    started = time.monotonic()
    base = await cache.ensure()
    print(f"\nbase entry, warm npm cache: {time.monotonic() - started:.2f}s")
    assert (base / "node_modules" / "vite" / "package.json").is_file()
    assert (base / "node_modules" / "react-dom" / "package.json").is_file()
    started = time.monotonic()
    assert await cache.ensure() == base
    print(f"base entry, already built: {(time.monotonic() - started) * 1000:.1f} ms")
    before = _manifest(base)

    # Two concurrent requests for the same new entry: one build, one result.
    first, second = await asyncio.gather(cache.ensure(["clsx"]), cache.ensure(["clsx"]))
    assert first == second != base
    assert len(runs) == 2  # the base install and one extra install
    assert "--ignore-scripts" in runs[1] and "--no-save" in runs[1] and "clsx" in runs[1]
    assert (first / "node_modules" / "clsx" / "package.json").is_file()
    # The extra entry shares file data with the base entry...
    react = "node_modules/react/package.json"
    assert (first / react).stat().st_ino == (base / react).stat().st_ino
    # ...but installing into it changed nothing in the base entry.
    assert _manifest(base) == before
    assert not (base / "node_modules" / "clsx").exists()
    assert list((tmp_path / "deps" / "tmp").iterdir()) == []


def _manifest(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``root`` with its size, mtime and inode."""
    result = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            result[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return result


async def test_failed_install_leaves_nothing_behind() -> None:
    cache = DepsCache(_shared_cache_root())
    await cache.ensure()
    with pytest.raises(DepsError, match="npm exit"):
        await cache.ensure(["clsx@>=9999.0.0"])
    assert not cache.entry_path(["clsx@>=9999.0.0"]).exists()
    key = cache.key_for(["clsx@>=9999.0.0"])
    assert not list((cache.root / "tmp").glob(f"{key}-*"))
