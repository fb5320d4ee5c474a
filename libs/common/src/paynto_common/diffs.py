"""Line diffs between two sets of files (two versions of a project), as unified-diff hunks.

Pure: no I/O. The gateway answers a version's diff with it, so the studio needs no diff
algorithm of its own and never holds two whole file maps to compare.

A hunk's ``lines`` each start with ``" "`` (context), ``"-"`` (only in the old file) or
``"+"`` (only in the new one), followed by the line without its ``\\n``. As in a unified diff,
a line that ends its file without a newline is followed by the marker line
``"\\ No newline at end of file"``, which counts in neither side's lines; so the hunks say
exactly how to get from the old text to the new one, a missing final newline included.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["NO_NEWLINE", "FileDiff", "Hunk", "diff_files"]

NO_NEWLINE = "\\ No newline at end of file"
"""The line after a hunk line whose file ends without a newline."""

DiffStatus = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Hunk:
    """One run of changes with its context. Starts are 1-based line numbers; a side with no
    lines in the hunk gives the line before it (0 at the top of the file), as unified diffs
    do."""

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    lines: list[str]


@dataclass(frozen=True)
class FileDiff:
    """How one file differs. A ``too_large`` file (more than ``max_lines`` lines on either
    side) has no hunks; an added or removed one still counts its lines."""

    path: str
    status: DiffStatus
    additions: int
    deletions: int
    too_large: bool = False
    hunks: list[Hunk] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    """The text's lines, each with its ``\\n`` (the last one may have none). Split on ``\\n``
    only: ``str.splitlines`` also splits on form feeds and Unicode separators, which are
    characters of a line here."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _hunk_lines(prefix: str, lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        out.append(prefix + line.removesuffix("\n"))
        if not line.endswith("\n"):
            out.append(NO_NEWLINE)
    return out


def _start(index: int, count: int) -> int:
    return index + 1 if count else index


def _hunks(old: list[str], new: list[str], context: int) -> list[Hunk]:
    matcher = difflib.SequenceMatcher(None, old, new)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines: list[str] = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += _hunk_lines(" ", old[a1:a2])
                continue
            lines += _hunk_lines("-", old[a1:a2])
            lines += _hunk_lines("+", new[b1:b2])
        hunks.append(Hunk(_start(i1, i2 - i1), i2 - i1, _start(j1, j2 - j1), j2 - j1, lines))
    return hunks


def _counts(hunks: list[Hunk]) -> tuple[int, int]:
    additions = sum(line.startswith("+") for hunk in hunks for line in hunk.lines)
    deletions = sum(line.startswith("-") for hunk in hunks for line in hunk.lines)
    return additions, deletions


def diff_files(old: Mapping[str, str], new: Mapping[str, str], context: int = 3,
               max_lines: int = 4000) -> list[FileDiff]:
    """What changed from the files ``old`` to the files ``new`` (path → text), by path, with
    ``context`` unchanged lines around each change; files that did not change are left out.
    A file with more than ``max_lines`` lines on either side is only marked ``too_large``:
    diffing it would cost more than anyone would read."""
    diffs = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        status: DiffStatus = ("added" if before is None
                              else "removed" if after is None else "changed")
        a, b = _lines(before or ""), _lines(after or "")
        if max(len(a), len(b)) > max_lines:
            # An added or removed file's counts cost nothing; a changed one's need the diff.
            diffs.append(FileDiff(path, status, additions=len(b) if before is None else 0,
                                  deletions=len(a) if after is None else 0, too_large=True))
            continue
        hunks = _hunks(a, b, context)
        additions, deletions = _counts(hunks)
        diffs.append(FileDiff(path, status, additions, deletions, hunks=hunks))
    return diffs
