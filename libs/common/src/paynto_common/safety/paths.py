"""Confine model-chosen file paths to a workspace.

Every path a model names is untrusted: it may try to climb out of the workspace, write through a
symlink planted earlier, or overwrite the files that decide what runs (package.json, the Vite
config, the server script). ``is_forbidden`` judges the text alone; ``confine`` also looks at the
file system under the workspace.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

__all__ = ["UnsafePathError", "confine", "is_forbidden"]

MAX_PATH_CHARS = 1024
MAX_COMPONENT_BYTES = 255

# Folders whose contents are owned by the package manager or version control, at any depth.
_FORBIDDEN_DIRS = frozenset({"node_modules", ".git"})

# Files that configure what Node runs or installs. The model owns the app's source, not these:
# a changed vite.config.js or package.json runs arbitrary code in the dev server.
_FORBIDDEN_NAMES = frozenset(
    {"package.json", "package-lock.json", ".npmrc", "serve.mjs", ".vite.sock"}
)
_FORBIDDEN_NAME_RE = re.compile(
    r"^(?:(?:vite|tailwind|postcss)\.config\..*|tsconfig.*\.json|\.paynto.*)$"
)
# A drive letter ("C:", "c:/x") makes a path absolute on Windows; never valid here.
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class UnsafePathError(ValueError):
    """A path was refused: it would leave the workspace or touch a file the model must not own."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"refusing path {path!r}: {reason}")
        self.path = path
        self.reason = reason


def is_forbidden(rel: str) -> str | None:
    """Return why the workspace-relative path ``rel`` may not be written, or None if it may.

    Only the text is judged (no file-system access): absolute paths, ``..`` components, NUL and
    control characters, backslashes, ``node_modules/`` and ``.git/`` at any depth, runtime files
    Paynto owns (``.vite.sock``, ``.paynto*``) and config files (``package.json``,
    ``vite.config.*``, ``tsconfig*.json``, ...). ``index.html`` is allowed.
    """
    if not rel or not rel.strip():
        return "empty path"
    if "\x00" in rel:
        return "contains a NUL byte"
    if _CONTROL_RE.search(rel):
        return "contains a control character"
    if "\\" in rel:
        # Backslashes are separators on Windows (C:\x, \\server\share) and never needed here.
        return "contains a backslash"
    if len(rel) > MAX_PATH_CHARS:
        return f"longer than {MAX_PATH_CHARS} characters"
    if rel.startswith("/"):
        return "absolute path"
    if _DRIVE_RE.match(rel):
        return "absolute path (drive letter)"
    if rel.endswith("/"):
        return "names a directory, not a file"
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts:
        return "empty path"
    for part in parts:
        if part == "..":
            # Refused even when it would resolve inside: it is never needed and hides intent.
            return "contains a '..' component"
        if len(part.encode()) > MAX_COMPONENT_BYTES:
            return f"a component is longer than {MAX_COMPONENT_BYTES} bytes"
        lower = part.lower()
        if lower in _FORBIDDEN_DIRS:
            return f"inside {part}/, which the package manager or git owns"
    for part in parts:
        lower = part.lower()
        if lower in _FORBIDDEN_NAMES or _FORBIDDEN_NAME_RE.match(lower):
            return f"{part} is a runtime or config file Paynto owns"
    return None


def confine(root: Path, rel: str) -> Path:
    """Return the absolute path of ``rel`` inside ``root``, or raise UnsafePathError.

    Besides the textual rules of :func:`is_forbidden`, every component that already exists under
    ``root`` (and the target itself) must not be a symlink, so a write can never go through a link
    planted earlier, and existing intermediate components must be directories. Components that do
    not exist yet are fine: the writer creates them.

    This check alone cannot stop a link planted *after* it returns; writers that share the
    workspace with untrusted processes should also open each component with ``O_NOFOLLOW``.
    """
    reason = is_forbidden(rel)
    if reason is not None:
        raise UnsafePathError(rel, reason)
    base = Path(os.path.abspath(root))
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    current = base
    for index, part in enumerate(parts):
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            break
        if stat.S_ISLNK(st.st_mode):
            shown = "/".join(parts[: index + 1])
            raise UnsafePathError(rel, f"{shown} is a symlink")
        is_last = index == len(parts) - 1
        if not is_last and not stat.S_ISDIR(st.st_mode):
            shown = "/".join(parts[: index + 1])
            raise UnsafePathError(rel, f"{shown} exists and is not a directory")
        if is_last and stat.S_ISDIR(st.st_mode):
            raise UnsafePathError(rel, "names an existing directory, not a file")
    return base.joinpath(*parts)
