"""A model's answer, checked before anything of it is written: a pure function of the answer's
text and the project's files, with no bus, sandbox or database behind it.

An answer that can never be applied (no files, an unsafe path, an edit that does not match) is
refused as a whole. Otherwise the check says what to write and what to tell the client:

- files whose answer looks cut off, and ``<command>`` tags (never run), are warned about;
- an App or main entry written in another language than the template's ``.jsx`` is wired in;
- ``<edit>`` blocks are applied to the project's files (a whole file of the same answer wins);
- local modules the code imports but nobody wrote get a placeholder, so the preview shows what
  is missing instead of going blank.

Each thing to tell is a ``status`` event with a key under which the job publishes it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from paynto_common.answer import parse_answer
from paynto_common.edits import EditError, apply_edits, parse_edits, without_edits
from paynto_common.errors import PermanentJobError
from paynto_common.messages import Status
from paynto_common.packages import template_files
from paynto_common.safety.paths import is_forbidden
from sandbox_pool.writeorder import missing_local_imports, placeholder_module

# The template's index.html loads src/main.jsx, which imports ./App.jsx; a model may write
# either in TypeScript (or plain .js) instead.
_OTHER_ENTRIES = {
    "src/App.jsx": ("src/App.tsx", "src/App.ts", "src/App.js"),
    "src/main.jsx": ("src/main.tsx", "src/main.ts", "src/main.js"),
}


class RefusedAnswer(PermanentJobError):
    """The answer can never be applied, however often it is tried."""


@dataclass(frozen=True)
class Notice:
    """A status to tell the client about the answer, once per ``key`` (a redelivered job
    tells it again under the same key, and the job's stream keeps one)."""

    key: str
    status: Status


@dataclass
class CheckedAnswer:
    """What an answer changes: ``changed`` is what to write (the answer's files, the edited
    ones, wired entries and placeholders), ``files`` the project's files afterwards."""

    changed: dict[str, str]
    files: dict[str, str]
    packages: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def check_answer(response: str, base: Mapping[str, str],
                 stored: Mapping[str, str] | None = None) -> CheckedAnswer:
    """Check ``response`` against the project's files ``base``; raise RefusedAnswer for an
    answer that can never be applied.

    ``stored`` is the version an earlier delivery of the same answer stored: its files are the
    result then, and the edits (already applied there) are taken from it, not applied again.
    """
    parsed = parse_answer(without_edits(response))
    try:
        edits = parse_edits(response)
    except EditError as exc:
        raise RefusedAnswer(f"refused the answer's edit of {exc}") from exc
    if not parsed.files and not edits:
        raise RefusedAnswer("the answer holds no files (expected <file path=...> tags "
                            "or <edit path=...> blocks)")
    for path in [f.path for f in parsed.files] + [e.path for e in edits]:
        reason = is_forbidden(path)
        if reason:
            raise RefusedAnswer(f"refused unsafe path {path!r}: {reason}")
    notices = [Notice(f"truncated:{path}", Status(
        message=f"{path} looks truncated (the answer was cut or elided code)",
        warning="truncated", path=path,
    )) for path in parsed.truncated]
    notices += [Notice(
        # hash() differs between processes; a redelivery must find the same key.
        "command:" + hashlib.sha256(command.encode()).hexdigest()[:16],
        Status(message="ignored a <command> from the model: commands are never run",
               warning="command_ignored", command=command[:200]),
    ) for command in parsed.commands]
    changed = {f.path: f.content for f in parsed.files}
    entry = _wire_app_entry(changed)
    if entry:
        notices.append(Notice("entry", Status(
            message=f"wired {entry} into the app (the template starts from src/main.jsx and "
                    "src/App.jsx)",
        )))
    if stored is not None:
        changed.update({e.path: stored[e.path] for e in edits if e.path in stored})
        return CheckedAnswer(changed, dict(stored), parsed.packages, notices)
    try:
        edited = apply_edits(dict(base), edits)
    except EditError as exc:
        raise RefusedAnswer(f"could not apply the edit of {exc}") from exc
    for edit in edits:
        if edit.path in changed and changed[edit.path] != edited.get(edit.path):
            # The same answer also wrote the file whole: the whole file wins.
            continue
        changed[edit.path] = edited[edit.path]
        blocks = len(edit.blocks)
        notices.append(Notice(f"edit:{edit.path}", Status(
            message=f"edited {edit.path} ({blocks} block{'s' if blocks != 1 else ''})",
            edit=edit.path,
        )))
    files = {**base, **changed}
    placeholders = _placeholders(files)
    notices += [Notice(f"missing:{path}", Status(
        message=f"{path} is imported but was not written: showing a placeholder there",
        warning="missing_import", path=path,
    )) for path in placeholders]
    changed.update(placeholders)
    files.update(placeholders)
    return CheckedAnswer(changed, files, parsed.packages, notices)


def _wire_app_entry(changed: dict[str, str]) -> str | None:
    """When the answer has an App or a main entry in another language but not the template's
    .jsx one, make the .jsx one lead to it (Vite compiles TS/TSX as is); return the entries
    wired, if any."""
    wired = []
    for template_entry, others in _OTHER_ENTRIES.items():
        if template_entry in changed:
            continue
        for entry in others:
            if entry in changed:
                name = entry.removeprefix("src/")
                changed[template_entry] = (
                    f"export {{ default }} from './{name}'\n" if template_entry.endswith("App.jsx")
                    else f"import './{name}'\n"
                )
                wired.append(entry)
                break
    return " and ".join(wired) or None


def _placeholders(files: dict[str, str]) -> dict[str, str]:
    """Stand-ins for local modules the code imports but nobody wrote."""
    missing = missing_local_imports({**template_files(), **files})
    return {path: placeholder_module(path, importer, names)
            for path, (importer, names) in missing.items()}
