"""Which of a project's files a request concerns: only those go to the model.

A one-line change to a 30-file site should not pay for 30 files. The search plan here is
plain and deterministic (no model call): the request's words are looked for in each file's
path and contents, files that match well are ranked, and the best go first until a budget is
spent. Every other path is still listed, by name only, so the model knows the project's
shape (and can ask for a file by writing it whole). A small project is sent whole.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Selection", "select_files"]

# Sent whole below this size: selecting would save little and risk leaving out what matters.
SMALL_PROJECT_CHARS = 12_000
BUDGET_CHARS = 24_000
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")
# The words of a path: folders and CamelCase or kebab-case parts ("PricingCard" → pricing, card).
_PART_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_IMPORT_RE = re.compile(r"""(?:from|import)\s*['"](\.{1,2}/[^'"]+)['"]""")
_STOP = frozenset("""
the and for with that this from into onto make change changes update please add remove use
set page site app web want would could should can all its it's them then than there their
text color colour more less new old some any each every also just like look looks section
""".split())
_STYLE_WORDS = frozenset("""
style styles color colour colors theme font fonts dark light background palette css
tailwind spacing
""".split())


@dataclass
class Selection:
    sent: dict[str, str]
    """The files sent whole, path → text."""
    left_out: list[str] = field(default_factory=list)
    """The other paths, named to the model without their contents."""
    reason: str = ""


def select_files(prompt: str, files: dict[str, str], budget: int = BUDGET_CHARS,
                 must: Sequence[str] = ()) -> Selection:
    """The files of ``files`` that ``prompt`` concerns, within ``budget`` characters; the
    paths in ``must`` (files an error points at) come first, whatever the prompt says."""
    total = sum(len(text) for text in files.values())
    if total <= SMALL_PROJECT_CHARS:
        return Selection(dict(files), [], "the project is small: every file")
    words = {w.lower() for w in _WORD_RE.findall(prompt)} - _STOP
    lowered = {path: text.lower() for path, text in files.items()}
    # A word most files contain tells them apart no better than a stop word.
    common = {w for w in words
              if sum(w in text for text in lowered.values()) > max(2, len(files) // 2)}
    scores = {path: _score(path, lowered[path], words, common) for path in files}
    best = max(scores.values(), default=0)
    # Files that merely mention a word in passing (an import line) stay out.
    ranked = sorted((p for p in files if scores[p] > 0 and scores[p] * 4 >= best),
                    key=lambda p: (-scores[p], p))
    if words & _STYLE_WORDS:
        ranked += [p for p in files if p.endswith(".css") and p not in ranked]
    reason = "files matching the request"
    if not ranked:
        # Nothing matches by name or content: the app's entry and what it imports.
        entry = [p for p in ("src/App.jsx", "src/App.tsx") if p in files]
        ranked = entry + [i for p in entry for i in _local_imports(p, files)]
        reason = "nothing matched the request: the app's entry and what it imports"
    pinned = [p for p in must if p in files]
    if pinned:
        ranked = pinned + [p for p in ranked if p not in pinned]
        reason = "the files with errors, then " + reason
    chosen: dict[str, str] = {}
    spent = 0
    for path in ranked:
        size = len(files[path])
        if path in chosen or (chosen and spent + size > budget):
            continue
        chosen[path] = files[path]
        spent += size
    left_out = sorted(p for p in files if p not in chosen)
    return Selection(chosen, left_out, reason)


def _score(path: str, text: str, words: set[str], common: set[str]) -> int:
    """Ten for each word naming a part of the path, and each rarer word's occurrences in the
    text (up to five)."""
    parts = {p.lower() for p in _PART_RE.findall(path)}
    score = 0
    for word in words:
        if word in parts or word.removesuffix("s") in parts or f"{word}s" in parts:
            score += 10
        if word not in common:
            score += min(text.count(word), 5)
    return score


def _local_imports(path: str, files: dict[str, str]) -> list[str]:
    """The project files ``path`` imports (relative specifiers, extension resolved)."""
    found = []
    folder = posixpath.dirname(path)
    for spec in _IMPORT_RE.findall(files[path]):
        base = posixpath.normpath(posixpath.join(folder, spec))
        for candidate in (base, *(base + ext for ext in (".jsx", ".tsx", ".js", ".ts")),
                          *(f"{base}/index{ext}" for ext in (".jsx", ".tsx", ".js", ".ts"))):
            if candidate in files:
                found.append(candidate)
                break
    return found
