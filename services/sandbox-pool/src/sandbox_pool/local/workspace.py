"""The folders of local sandboxes under one root, and how the host writes into them.

- ``root/<sandbox id>/``: a workspace, the site template plus the project's files, with an
  empty ``node_modules`` folder where the shared cache is mounted;
- ``root/.sockets/``: where the host binds each sandbox's socket (never visible inside one);
- ``root/.tmp/``: where the host writes files before renaming them into a workspace;
- ``root/.owners/<sandbox id>``: which replica made the workspace, so a replica that starts
  removes only those whose maker is gone.

Sandboxed code can write anywhere in its workspace, planted symlinks included. Host-side writes
therefore walk each folder with ``O_NOFOLLOW`` and rename files into place from ``.tmp``, so a
symlink cannot redirect a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import shutil
import stat
from collections.abc import Container, Mapping
from pathlib import Path

from paynto_common.safety.paths import UnsafePathError, confine
from sandbox_pool.provider import SANDBOX_ID_RE, SERVE_MJS, Alive, SandboxError

log = logging.getLogger(__name__)

# Template files restored before every start: the model may not own them (see
# paynto_common.safety.paths) and sandboxed code must not be able to keep changes to them.
RUNTIME_FILES = ("package.json", "serve.mjs", "vite.config.js")
# sun_path holds 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 107
_SEED_IGNORE = shutil.ignore_patterns("node_modules", ".vite", "dist", ".vite.sock", ".paynto*")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Workspaces:
    """The workspaces under ``root``, seeded from the site template in ``template_dir``."""

    def __init__(self, root: Path, template_dir: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.template_dir = template_dir

    @property
    def sockets_dir(self) -> Path:
        return self.root / ".sockets"

    @property
    def tmp_dir(self) -> Path:
        # Same file system as the workspaces, and the dev server's watcher sees only the
        # finished file appear.
        return self.root / ".tmp"

    @property
    def owners_dir(self) -> Path:
        return self.root / ".owners"

    def socket_path(self, sandbox_id: str) -> Path:
        """Where the sandbox's server socket is bound; ValueError when the path is too long
        for a Unix socket."""
        path = self.sockets_dir / f"{sandbox_id}.sock"
        if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
            raise ValueError(
                f"socket path {path} is longer than {_MAX_SOCKET_PATH} bytes; "
                "use a shorter sandbox root"
            )
        return path

    def ids(self) -> list[str]:
        """Ids of the workspaces on disk (held by a live sandbox or left by a dead run)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and SANDBOX_ID_RE.match(p.name))

    def seed(self, sandbox_id: str, owner: str) -> Path:
        """Make the workspace of ``sandbox_id`` from the template, recorded as ``owner``'s."""
        for folder in (self.root, self.sockets_dir, self.tmp_dir, self.owners_dir):
            folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.sockets_dir, 0o700)
        workspace = self.root / sandbox_id
        if os.path.lexists(workspace):
            raise SandboxError(f"sandbox workspace {workspace} already exists")
        # Before the workspace exists, so no other replica's reclaim can take it for a leftover.
        (self.owners_dir / sandbox_id).write_text(owner)
        shutil.copytree(self.template_dir, workspace, ignore=_SEED_IGNORE, symlinks=False)
        shutil.copyfile(SERVE_MJS, workspace / "serve.mjs")
        # The mount point for the shared, read-only node_modules.
        (workspace / "node_modules").mkdir()
        # Marks the workspace as its own git root. When the data folder lies inside a git
        # checkout that ignores it (.data/ in a dev clone), Tailwind's scanner otherwise drops
        # its default ignores and scans node_modules: a bloated stylesheet and slow rebuilds.
        (workspace / ".git").mkdir()
        return workspace

    def forget(self, sandbox_id: str) -> None:
        """Drop the record of who made a workspace (once the workspace is gone)."""
        (self.owners_dir / sandbox_id).unlink(missing_ok=True)

    async def reclaim(self, alive: Alive, keep: Container[str]) -> list[str]:
        """Delete the workspaces, but those in ``keep``, whose maker is no longer ``alive`` (a
        replica that died leaves them behind: its servers died with it); return their ids."""
        removed = []
        for sandbox_id in self.ids():
            if sandbox_id in keep:
                continue
            try:
                owner = (self.owners_dir / sandbox_id).read_text().strip()
            except FileNotFoundError:
                owner = ""
            if owner and await alive(owner):
                continue
            await asyncio.to_thread(shutil.rmtree, self.root / sandbox_id, True)
            self.forget(sandbox_id)
            removed.append(sandbox_id)
        if removed:
            log.info("removed %d workspace(s) left by stopped replicas", len(removed))
        return removed

    def checked(self, workspace: Path, files: Mapping[str, str]) -> dict[str, str]:
        """``files`` by their canonical path in ``workspace``; UnsafePathError for the first
        path that is not safe to write (nothing is written then)."""
        canonical: dict[str, str] = {}
        for rel, text in files.items():
            target = confine(workspace, rel)
            if not isinstance(text, str):
                raise TypeError(f"content of {rel!r} must be str, not {type(text).__name__}")
            canonical[target.relative_to(workspace).as_posix()] = text
        return canonical

    def write(self, workspace: Path, items: list[tuple[str, str]]) -> None:
        """Write each (path, text) into ``workspace``, in order, each one atomically."""
        for rel, text in items:
            try:
                write_confined(workspace, self.tmp_dir, rel, text.encode())
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR):
                    # Planted after the check: a link or file where a folder should be.
                    raise UnsafePathError(rel, f"changed while writing ({exc.strerror})") from exc
                raise

    def restore_runtime_files(self, workspace: Path) -> None:
        """Put back the files that decide what runs, so whatever sandboxed code changed there
        does not survive a restart, and a plain ``node_modules`` mount point."""
        for name in RUNTIME_FILES:
            data = (SERVE_MJS if name == "serve.mjs" else self.template_dir / name).read_bytes()
            write_confined(workspace, self.tmp_dir, name, data)
        mount_point = workspace / "node_modules"
        st = os.lstat(mount_point) if os.path.lexists(mount_point) else None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            # Sandboxed code replaced the mount point (say, with a symlink): bwrap would follow
            # it, so put back a plain folder.
            os.unlink(mount_point)
            st = None
        if st is None:
            mount_point.mkdir()


def write_confined(workspace: Path, tmp_dir: Path, rel: str, data: bytes) -> None:
    """Write ``data`` to ``workspace/rel`` without following any symlink on the way.

    Each folder is opened relative to its parent with O_NOFOLLOW (created if missing), and the
    file is written in ``tmp_dir`` and renamed over the target, which replaces (never follows)
    whatever is there.
    """
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    dir_fd = os.open(workspace, _DIR_FLAGS)
    tmp_fd = os.open(tmp_dir, _DIR_FLAGS)
    tmp_name = f"{secrets.token_hex(8)}.tmp"
    try:
        for part in parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=dir_fd)
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = next_fd
        fd = os.open(
            tmp_name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o644,
            dir_fd=tmp_fd,
        )
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.rename(tmp_name, parts[-1], src_dir_fd=tmp_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name, dir_fd=tmp_fd)
        raise
    finally:
        os.close(dir_fd)
        os.close(tmp_fd)
