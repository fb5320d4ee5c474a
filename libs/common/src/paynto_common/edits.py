"""Surgical edits: search/replace blocks a model sends instead of whole files.

An edit names one file and holds one or more blocks::

    <edit path="src/App.jsx">
    <<<<<<< SEARCH
    <h1>Old title</h1>
    =======
    <h1>New title</h1>
    >>>>>>> REPLACE
    </edit>

Each SEARCH text must occur **exactly once** in the file as it is after the blocks before it;
otherwise the whole answer is refused (:class:`EditError` says which file and block, and why),
never applied in part. Only the files edited change; every other file stays as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paynto_common.answer import normalize_path

__all__ = ["Edit", "EditBlock", "EditError", "apply_edits", "parse_edits", "without_edits"]

_EDIT_RE = re.compile(r"<edit\b(?P<attrs>[^<>]*)>(?P<body>.*?)</edit\s*>", re.DOTALL)
_ATTR_RE = re.compile(r"""\bpath\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_BLOCK_RE = re.compile(
    r"^<{5,9} ?SEARCH[ \t]*\r?\n(?P<search>.*?)^={5,9}[ \t]*\r?\n(?P<replace>.*?)"
    r"^>{5,9} ?REPLACE[ \t]*$",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class EditBlock:
    search: str
    replace: str


@dataclass(frozen=True)
class Edit:
    path: str
    blocks: tuple[EditBlock, ...]


class EditError(ValueError):
    """An edit that cannot be applied exactly; nothing of the answer may be applied."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def parse_edits(text: str) -> list[Edit]:
    """The edits in a model's answer, in order. An ``<edit>`` tag without a path or without
    any well-formed block raises EditError: a half-understood edit must not pass silently."""
    edits = []
    for match in _EDIT_RE.finditer(text):
        attr = _ATTR_RE.search(match.group("attrs"))
        raw_path = next((g for g in attr.groups() if g is not None), "") if attr else ""
        path = normalize_path(raw_path)
        if not path:
            raise EditError(raw_path or "<edit>", "the edit names no file (path=\"...\")")
        blocks = tuple(
            EditBlock(_strip_newline(b.group("search")), _strip_newline(b.group("replace")))
            for b in _BLOCK_RE.finditer(match.group("body"))
        )
        if not blocks:
            raise EditError(path, "no SEARCH/REPLACE block in the edit")
        edits.append(Edit(path, blocks))
    return edits


def without_edits(text: str) -> str:
    """The answer with its ``<edit>`` tags taken out, for the whole-file parser (code inside
    an edit must never pass for a file of its own)."""
    return _EDIT_RE.sub("", text)


def apply_edits(files: dict[str, str], edits: list[Edit]) -> dict[str, str]:
    """Apply ``edits`` to ``files`` (path → text); return the changed files' new texts.

    Raises EditError, and changes nothing, when a file does not exist, a SEARCH text is empty
    or is not found exactly once.
    """
    changed: dict[str, str] = {}
    for edit in edits:
        if edit.path not in changed and edit.path not in files:
            raise EditError(edit.path, "no such file in the project (write it whole instead)")
        text = changed.get(edit.path, files.get(edit.path, ""))
        for n, block in enumerate(edit.blocks, start=1):
            if not block.search:
                raise EditError(edit.path, f"block {n} has an empty SEARCH text")
            count = text.count(block.search)
            if count != 1:
                where = ("is not in the file" if count == 0 else
                         f"occurs {count} times; include more surrounding lines")
                raise EditError(edit.path, f"block {n}: the SEARCH text {where}: "
                                           f"{_preview(block.search)}")
            text = text.replace(block.search, block.replace, 1)
        changed[edit.path] = text
    return changed


def _strip_newline(text: str) -> str:
    """The block's text without the line break before its closing marker."""
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def _preview(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")
