"""Parse the tagged-file answers that models (and the offline generator) give.

An answer carries files as ``<file path="src/App.jsx">...</file>`` plus optional
``<package>``/``<packages>``, ``<command>`` and ``<explanation>`` tags. Real model output is
messy: the last file is often cut off, files are repeated, bodies get wrapped in markdown fences,
and some models ignore the tags altogether and answer with fenced code blocks. This module turns
all of that into a :class:`ParsedAnswer` and reports what it had to tolerate.

It decides nothing about safety: paths are normalised for placement only, and a separate
confinement check must still reject ``..`` or absolute paths. Commands are recorded, never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "ParsedAnswer",
    "ParsedFile",
    "StreamFileTracker",
    "normalize_path",
    "parse_answer",
    "summarize_answer",
]


@dataclass(frozen=True)
class ParsedFile:
    """One file from an answer; ``complete`` is False when its closing tag never came."""

    path: str
    content: str
    complete: bool


@dataclass
class ParsedAnswer:
    """Everything :func:`parse_answer` found in one answer."""

    files: list[ParsedFile] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    explanation: str | None = None
    truncated: list[str] = field(default_factory=list)
    """Paths whose code looks cut short (unclosed, or with a ``...`` placeholder)."""
    warnings: list[str] = field(default_factory=list)


# --- paths -------------------------------------------------------------------------------------

# Files that live at the project root rather than under src/. Matching on the bare name only:
# a config-looking name inside a folder ("lib/vite.config.js") is just a source file.
_ROOT_FILE_RE = re.compile(
    r"""^(?:
        index\.html
      | package(?:-lock)?\.json | npm-shrinkwrap\.json | pnpm-lock\.yaml | yarn\.lock
      | (?:vite|vitest|tailwind|postcss|prettier|eslint|svelte|astro|next)\.config\.[\w.]+
      | [tj]sconfig(?:\.[\w-]+)*\.json
      | \.eslintrc(?:\.[\w]+)? | \.eslintignore | \.prettierrc(?:\.[\w]+)? | \.prettierignore
      | \.gitignore | \.gitattributes | \.editorconfig | \.npmrc | \.nvmrc | \.node-version
      | \.env(?:\.[\w.-]+)?
      | components\.json | vercel\.json | netlify\.toml
      | README(?:\.md)? | LICENSE(?:\.md|\.txt)?
    )$""",
    re.VERBOSE,
)
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


def normalize_path(path: str) -> str:
    """Return where a model-supplied path belongs in the project.

    Strips whitespace and quotes, turns backslashes into ``/``, drops leading ``./``, and a
    leading ``/`` before a project folder (``/src/...``; any other absolute path stays absolute),
    and prefixes ``src/`` unless the path is already under ``src/`` or ``public/``, is
    ``index.html`` or a root config file. ``..`` segments are kept as they are, so that the
    confinement check that runs later still sees them. An empty result means "no path".
    """
    p = path.strip().strip(_QUOTES).strip().replace("\\", "/")
    absolute = p.startswith("/")
    # "." segments and doubled slashes carry no meaning; ".." segments are deliberately left.
    p = re.sub(r"/{2,}", "/", p)
    p = re.sub(r"(?:^|/)\.(?=/|$)", "", p)
    stripped = p.lstrip("/")
    if absolute and stripped and not (
        stripped.startswith(("src/", "public/")) or _ROOT_FILE_RE.match(stripped)
    ):
        # "/src/App.jsx" is a project path written absolutely; "/etc/x" is not: keep it
        # absolute so the confinement check refuses it instead of quietly moving it to src/.
        return p
    p = stripped
    if not p:
        return ""
    # "C:/x" stays as it is: under src/ it would pass for a relative path.
    if p.startswith(("src/", "public/")) or _ROOT_FILE_RE.match(p) or _DRIVE_RE.match(p):
        return p
    return f"src/{p}"


# --- scanning <file> tags ----------------------------------------------------------------------

# One token regex shared by the whole-text parser and the streaming tracker, so that both agree
# on where files start and end. Case-sensitive on purpose: a JSX component named <File> must not
# open a new file. The third alternative is a top-level tag at the start of a line; met inside an
# open file it means the model forgot that file's closing tag and went on with the answer.
_TOKEN_RE = re.compile(
    r"<file\b(?P<attrs>[^<>]*)>|</file\s*>|(?<=\n)<(?:packages?|command|explanation)>"
)
_OPEN, _CLOSE, _RESUME = "open", "close", "resume"


def _kind(m: re.Match[str]) -> str:
    if m.group("attrs") is not None:
        return _OPEN
    return _CLOSE if m.group(0).startswith("</") else _RESUME


_ATTR_RE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_PATH_ATTRS = ("path", "filename", "file", "name")


def _path_attr(attrs: str) -> str | None:
    found: dict[str, str] = {}
    for m in _ATTR_RE.finditer(attrs):
        found.setdefault(m.group(1).lower(), next(g for g in m.groups()[1:] if g is not None))
    for key in _PATH_ATTRS:
        if key in found:
            return found[key]
    return None


@dataclass
class _RawFile:
    raw_path: str | None
    body: str
    complete: bool
    start: int  # offset of the opening tag
    end: int  # offset just past the closing tag (or where the body stopped)


def _scan_files(text: str, warnings: list[str]) -> list[_RawFile]:
    """Cut ``text`` into file spans.

    A new opening tag (or a top-level tag at the start of a line) while a file is still open
    ends that file as incomplete: models that forget one closing tag usually go straight on.
    """
    out: list[_RawFile] = []
    open_path: str | None = None
    open_start = body_start = -1
    for m in _TOKEN_RE.finditer(text):
        kind = _kind(m)
        if body_start >= 0:
            body = text[body_start : m.start()]
            end = m.end() if kind == _CLOSE else m.start()
            out.append(_RawFile(open_path, body, kind == _CLOSE, open_start, end))
            body_start = -1
        elif kind == _CLOSE:
            warnings.append("ignored a stray </file> tag")
        if kind == _OPEN:
            open_path = _path_attr(m.group("attrs"))
            open_start, body_start = m.start(), m.end()
    if body_start >= 0:
        out.append(_RawFile(open_path, text[body_start:], False, open_start, len(text)))
    return out


def _outside_text(text: str, spans: list[_RawFile]) -> str:
    """The text between file spans, where packages, commands and the explanation live."""
    parts: list[str] = []
    pos = 0
    for f in spans:
        parts.append(text[pos : f.start])
        pos = f.end
    parts.append(text[pos:])
    return "\n".join(parts)


# --- bodies ------------------------------------------------------------------------------------

_FENCE_OPEN_RE = re.compile(r"^\s*(`{3,}|~{3,})[^`]*$")


def _strip_wrapping_fence(content: str) -> str:
    lines = content.split("\n")
    m = _FENCE_OPEN_RE.match(lines[0])
    if not m:
        return content
    fence = m.group(1)
    lines = lines[1:]
    # The closing fence may be missing when the body was cut off; drop the opening one anyway.
    if lines and re.fullmatch(rf"\s*{re.escape(fence[0])}{{{len(fence)},}}\s*", lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines)


def _clean_body(body: str) -> str:
    content = body.replace("\r\n", "\n").strip("\n").rstrip()
    content = _strip_wrapping_fence(content).strip("\n").rstrip()
    return content + "\n" if content else ""


# Placeholders models leave instead of code. Ellipses are only suspicious on a line of their own
# or opening a comment: "...props" and "Loading..." are ordinary code. "(?<!:)" keeps URLs such
# as "https://..." from reading as a "//" comment.
_COMMENT = r"(?:(?<!:)//|/\*|<!--)"
_TRUNCATION_RES = (
    re.compile(r"^\s*(?://|/\*|\{\s*/\*|<!--|#)?\s*(?:\.{3}|\u2026)\s*(?:\*/\s*\}?|-->)?\s*$"),
    re.compile(_COMMENT + r"\s*(?:\.{3}|\u2026)"),
    re.compile(r"(?:\.{3}|\u2026)\s*(?:the\s+)?rest\s+of\b", re.IGNORECASE),
    re.compile(
        _COMMENT + r".*?\b(?:"
        r"rest\s+of\s+(?:the\s+|your\s+|this\s+)?(?:code|file|component|components|content|"
        r"markup|implementation|styles?|sections?|page|app|jsx|logic)"
        r"|(?:code|file|component|content|styles?|markup|everything\s+else|the\s+rest)"
        r"\s+(?:remains?|stays?|is)\s+(?:the\s+same|unchanged)"
        r"|existing\s+(?:code|content|styles?|components?|sections?|markup|jsx)"
        r"|same\s+as\s+(?:before|above)"
        r"|for\s+brevity|(?:code|content|implementation|markup)\s+(?:omitted|truncated)"
        r")",
        re.IGNORECASE,
    ),
)


def _looks_truncated(content: str) -> bool:
    return any(rx.search(line) for line in content.split("\n") for rx in _TRUNCATION_RES)


# --- fallback: fenced code blocks --------------------------------------------------------------

_FENCE_LINE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)$")
_INFO_PATH_RE = re.compile(
    r"""\b(?:path|file|filename|title)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s"']+))""", re.IGNORECASE
)
# "```jsx:src/App.jsx" and "```jsx src/App.jsx": a second word that looks like a file name.
_INFO_BARE_RE = re.compile(r"^\s*(?:[\w+-]+(?::|\s+))?([\w@./\\-]+\.[A-Za-z][A-Za-z0-9]*)\s*$")
_FILE_COMMENT_RE = re.compile(
    r"""^\s*(?://|/\*|<!--|\{\s*/\*|\#)\s*(?:file(?:name)?|path)\s*:\s*
        ([^\s*]+?)\s*(?:\*/\s*\}?|-->)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _fenced_files(text: str) -> list[_RawFile]:
    """Files from fenced blocks that name their path; used only when there are no <file> tags."""
    out: list[_RawFile] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE_LINE_RE.match(lines[i])
        # A backtick in a backtick fence's info string means it is inline code, not a fence.
        if not m or ("`" in m.group(2) and m.group(1)[0] == "`"):
            i += 1
            continue
        fence, info = m.group(1), m.group(2)
        close_re = re.compile(rf"^\s{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close_re.match(lines[j]):
            j += 1
        body_lines = lines[i + 1 : j]
        complete = j < len(lines)
        path: str | None = None
        pm = _INFO_PATH_RE.search(info)
        if pm:
            path = next(g for g in pm.groups() if g)
        elif bm := _INFO_BARE_RE.match(info):
            path = bm.group(1)
        elif body_lines and (cm := _FILE_COMMENT_RE.match(body_lines[0])):
            path = cm.group(1)
            # The marker is a note to us, not code; in JSON it would even break the file.
            body_lines = body_lines[1:]
        if path is not None:
            out.append(_RawFile(path, "\n".join(body_lines), complete, 0, 0))
        i = j + 1
    return out


# --- other tags --------------------------------------------------------------------------------

_PACKAGES_RE = re.compile(r"<(packages?)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMAND_RE = re.compile(r"<command\b[^>]*>(.*?)</command\s*>", re.IGNORECASE | re.DOTALL)
# An explanation cut off by the end of the answer (or by the next tag) still says something.
_EXPLANATION_RE = re.compile(
    r"<explanation\b[^>]*>(.*?)(?:</explanation\s*>|(?=<(?:packages?|command|explanation)\b)|\Z)",
    re.IGNORECASE | re.DOTALL,
)


def _split_packages(raw: str) -> list[str]:
    names = []
    for item in re.split(r"[,\n]", raw):
        # Models like bulleted lists; the bullet needs a following space so "-x" stays intact.
        name = re.sub(r"^\s*(?:[-*\u2022]\s+|\d+[.)]\s+)", "", item)
        name = name.strip().strip(_QUOTES).strip()
        if name:
            names.append(name)
    return names


def _packages(outside: str) -> list[str]:
    seen: dict[str, None] = {}
    for m in _PACKAGES_RE.finditer(outside):
        for name in _split_packages(m.group(2)):
            seen.setdefault(name, None)
    return list(seen)


# --- the parser --------------------------------------------------------------------------------


def parse_answer(text: str) -> ParsedAnswer:
    """Parse a model answer into files, packages, commands and an explanation.

    Tolerates an unclosed last file (kept with ``complete=False``), repeated paths (a complete
    version beats an incomplete one, then the longer beats the shorter, ties go to the later
    one; the first-seen position is kept), one markdown fence wrapped around a file body, and
    answers without ``<file>`` tags whose fenced blocks name their path. Unclosed files and
    files with ``...``-style placeholders are listed in ``truncated``.
    """
    result = ParsedAnswer()
    warnings = result.warnings
    spans = _scan_files(text, warnings)
    outside = _outside_text(text, spans)

    raws = spans
    if not spans:
        raws = _fenced_files(text)
        if raws:
            warnings.append(f"no <file> tags; took {len(raws)} file(s) from fenced code blocks")

    chosen: dict[str, ParsedFile] = {}
    for raw in raws:
        if raw.raw_path is None:
            warnings.append("ignored a <file> tag without a path attribute")
            continue
        path = normalize_path(raw.raw_path)
        if not path:
            warnings.append(f"ignored a file with an empty path ({raw.raw_path!r})")
            continue
        new = ParsedFile(path, _clean_body(raw.body), raw.complete)
        if not new.complete:
            warnings.append(f"{path}: no closing tag, the file may be cut off")
        old = chosen.get(path)
        if old is None:
            chosen[path] = new
            continue
        if old.complete != new.complete:
            keep_new, why = new.complete, "complete"
        else:
            keep_new, why = len(new.content) >= len(old.content), "longer"
            if len(new.content) == len(old.content):
                why = "later"
        winner = new if keep_new else old
        warnings.append(f"{path}: appeared more than once; kept the {why} version")
        # Reassigning an existing key keeps its first-seen position in the dict.
        chosen[path] = winner

    result.files = list(chosen.values())
    for f in result.files:
        if not f.content:
            warnings.append(f"{f.path}: empty file")
        if not f.complete or _looks_truncated(f.content):
            result.truncated.append(f.path)

    result.packages = _packages(outside)
    result.commands = [c for m in _COMMAND_RE.finditer(outside) if (c := m.group(1).strip())]
    explanations = [e for m in _EXPLANATION_RE.finditer(outside) if (e := m.group(1).strip())]
    result.explanation = "\n\n".join(explanations) if explanations else None
    return result


# --- a short account ----------------------------------------------------------------------------

_TAGGED_RE = re.compile(r"<(file|edit)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.DOTALL)


def summarize_answer(response: str, limit: int = 600) -> str:
    """An earlier answer, short: its words outside the file and edit tags, and the files it
    wrote or edited (their contents now are in the project's files). The generator gives it
    to the model as a turn of the conversation; the gateway shows it in a project's history."""
    # Imported here: paynto_common.edits imports normalize_path from this module.
    from paynto_common.edits import EditError, parse_edits, without_edits

    note = " ".join(_TAGGED_RE.sub(" ", response).split())[:limit]
    wrote = [f.path for f in parse_answer(without_edits(response)).files]
    try:
        edited = [e.path for e in parse_edits(response)]
    except EditError:
        edited = []
    done = "; ".join(part for part in (
        f"wrote {', '.join(wrote)}" if wrote else "",
        f"edited {', '.join(edited)}" if edited else "") if part)
    return " ".join(part for part in (note, f"({done})" if done else "") if part) or "(done)"


# --- streaming ---------------------------------------------------------------------------------

_TAG_PREFIXES = ("<file", "</file", "<packages>", "<command>", "<explanation>")
_PARTIAL_OPEN_RE = re.compile(r"<file(?:\s[^<>]*)?\Z")


def _may_become_token(tail: str) -> bool:
    """Whether ``tail`` (starting at a ``<``) could still grow into a token."""
    if _PARTIAL_OPEN_RE.match(tail):
        return True
    return any(
        p.startswith(tail) or (tail.startswith(p) and ">" not in tail) for p in _TAG_PREFIXES
    )


class StreamFileTracker:
    """Follow a streamed answer and report each file as soon as its closing tag arrives.

    Feed it the text deltas in order; :meth:`feed` returns the (normalised) paths of files
    whose ``</file>`` was just completed, which lets callers emit live ``file`` events. Tags
    split across deltas are handled. It cuts files exactly as :func:`parse_answer` does, so
    the paths it reports over a whole answer are that answer's complete files, in order.
    """

    def __init__(self) -> None:
        self._buf = ""
        self._pos = 0  # everything before this offset has been classified
        self._inside = False
        self._open_path: str | None = None
        self._outside: list[str] = []
        self._outside_len = 0
        self._packages_cache: tuple[int, list[str]] = (-1, [])

    def feed(self, delta: str) -> list[str]:
        """Add the next delta; return the paths of files closed by it, in order."""
        self._buf += delta
        closed: list[str] = []
        while (m := _TOKEN_RE.search(self._buf, self._pos)) is not None:
            kind = _kind(m)
            if not self._inside:
                if kind == _OPEN:
                    # "\n" keeps the text on either side of a file from running together.
                    self._note_outside(self._buf[self._pos : m.start()] + "\n")
                else:
                    self._note_outside(self._buf[self._pos : m.end()])
            if kind == _OPEN:
                self._inside, self._open_path = True, _path_attr(m.group("attrs"))
                self._pos = m.end()
            elif kind == _CLOSE and self._inside:
                self._inside = False
                path = normalize_path(self._open_path) if self._open_path is not None else ""
                if path:
                    closed.append(path)
                self._pos = m.end()
            elif kind == _RESUME and self._inside:
                # The open file ended unclosed; its tag is re-read as top-level text.
                self._inside = False
                self._pos = m.start()
            else:
                self._pos = m.end()
        # Hold back a tail that may be the start of a token split across deltas.
        cut = len(self._buf)
        lt = self._buf.rfind("<", self._pos)
        if lt >= 0 and _may_become_token(self._buf[lt:]):
            cut = lt
        if not self._inside:
            self._note_outside(self._buf[self._pos : cut])
        self._pos = cut
        if self._pos > 8192:
            # Drop what is classified; keep one character for the "\n" look-behind.
            self._buf = self._buf[self._pos - 1 :]
            self._pos = 1
        return closed

    def _note_outside(self, text: str) -> None:
        if text:
            self._outside.append(text)
            self._outside_len += len(text)

    def packages_seen(self) -> list[str]:
        """Packages named by complete ``<package>``/``<packages>`` tags so far, deduplicated."""
        if self._packages_cache[0] != self._outside_len:
            self._packages_cache = (self._outside_len, _packages("".join(self._outside)))
        return list(self._packages_cache[1])

    @property
    def current_path(self) -> str | None:
        """The normalised path of the file being streamed right now, if any."""
        if not self._inside or self._open_path is None:
            return None
        return normalize_path(self._open_path) or None
