"""What a Paynto site project is: its template, and the rules for the npm packages it uses.

Shared by the sandbox pool (seeding workspaces, installing what the code imports) and by
exports (a zip, later a git commit), which need the same template and the same package list.
The template is a Vite + React + Tailwind app; a project's stored files overlay it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

TEMPLATE_DIR = Path(__file__).with_name("template")

MAX_NAME_LENGTH = 214
# One part of a name (the scope or the bare name) as npm accepts it for new packages: lowercase,
# URL-safe, not starting with "." or "_". A leading "-" is refused too: npm would read it as an
# option on its command line.
_PART = r"[a-z0-9][a-z0-9._-]*"
_NAME_RE = re.compile(rf"^(?:@{_PART}/)?{_PART}$")
# What may follow "@": semver ranges ("^1.2", ">=1 <2", "1.x || 2"), exact versions and dist-tags.
# No ":" or "/", so no git, file, http or alias specs that would fetch from elsewhere.
_VERSION_RE = re.compile(r"^[0-9A-Za-z.^~<>=*|+\- ]{1,64}$")
_BLOCKED_NAMES = frozenset({"node_modules", "favicon.ico"})

# Node's built-in modules (``require('module').builtinModules`` of Node 24, without internals):
# a bare ``import fs from 'fs'`` names one of these, not an npm package.
NODE_BUILTINS = frozenset(
    "assert async_hooks buffer child_process cluster console constants crypto dgram "
    "diagnostics_channel dns domain events fs http http2 https inspector module net os path "
    "perf_hooks process punycode querystring readline repl stream string_decoder sys timers tls "
    "trace_events tty url util v8 vm wasi worker_threads zlib".split()
)

_SOURCE_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")
# Comments are removed before scanning so a commented-out import is not installed. Only block
# comments and whole-line "//" comments: a "//" later in a line is too often inside a string
# ("https://...") to strip safely without a real tokenizer.
_BLOCK_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
_LINE_COMMENT_RE = re.compile(r"^\s*//.*$", re.MULTILINE)
# import x from 'a' / import {a, b} from "a" / export * from 'a' / export {x} from 'a' /
# import type {T} from 'a'. The clause between the keyword and "from" may span lines but holds
# only identifiers, braces, commas, "*" and whitespace, which keeps prose such as
# "<p>Quote from 'Bob'</p>" from matching.
_FROM_RE = re.compile(
    r"(?:^|[;\n}])\s*(?:import|export)\s+[\w$*{},\s]*?\s*\bfrom\s*(['\"])([^'\"\n]+)\1"
)
_SIDE_EFFECT_RE = re.compile(r"(?:^|[;\n}])\s*import\s*(['\"])([^'\"\n]+)\1")
_CALL_RE = re.compile(r"\b(?:import|require)\s*\(\s*(['\"])([^'\"\n]+)\1\s*\)")


def validate_package_name(spec: str) -> str:
    """Check an npm package spec (``name`` or ``name@range``) and return it normalized.

    Names follow npm's rules for new packages: at most 214 characters, lowercase, URL-safe
    (letters, digits, ``-``, ``.``, ``_``), optionally scoped as ``@scope/name``, not starting with
    ``.`` or ``_``. An optional ``@version`` suffix may hold only semver-range characters or a
    dist-tag; git, file, URL and alias specs are refused. Raises ValueError with the reason.
    """
    if not isinstance(spec, str):
        raise ValueError(f"package spec must be a string, not {type(spec).__name__}")
    text = spec.strip()
    if not text:
        raise ValueError("empty package name")
    # A scoped name starts with "@", so the version separator is the next "@" after it.
    at = text.find("@", 1)
    name, version = (text, None) if at == -1 else (text[:at], text[at + 1 :].strip())
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"package name longer than {MAX_NAME_LENGTH} characters: {name[:40]!r}…")
    if name in _BLOCKED_NAMES:
        raise ValueError(f"{name!r} is not a valid package name")
    if name != name.lower():
        raise ValueError(f"package name must be lowercase: {name!r}")
    if not _NAME_RE.match(name):
        raise ValueError(
            f"invalid package name {name!r}: use lowercase letters, digits, '-', '.', '_', "
            "optionally '@scope/name', not starting with '.', '_' or '-'"
        )
    if version is None:
        return name
    if not version or not _VERSION_RE.match(version) or version.startswith("-"):
        raise ValueError(f"invalid version range for {name}: {version!r}")
    return f"{name}@{version}"


def package_name(spec: str) -> str:
    """Return the name part of a validated spec (``@scope/pkg@^1`` → ``@scope/pkg``)."""
    at = spec.find("@", 1)
    return spec if at == -1 else spec[:at]


def template_dependencies(template_dir: Path = TEMPLATE_DIR) -> dict[str, str]:
    """Return the template's dependencies and devDependencies as ``{name: range}``."""
    manifest = json.loads((template_dir / "package.json").read_text())
    deps: dict[str, str] = {}
    for section in ("dependencies", "devDependencies"):
        deps.update(manifest.get(section, {}))
    return deps


def _specifier_package(specifier: str) -> str | None:
    """Map an import specifier to the npm package it names, or None if it names none."""
    spec = specifier.strip().split("?", 1)[0].split("#", 1)[0]
    if not spec or spec.startswith((".", "/", "~", "#", "@/")):
        # Relative, absolute, root-relative, or an alias / subpath import: not a package.
        return None
    if ":" in spec:
        # node:fs, virtual:..., data:, https://...: not something npm installs.
        return None
    parts = spec.split("/")
    if spec.startswith("@"):
        if len(parts) < 2 or not parts[1]:
            return None
        name = f"{parts[0]}/{parts[1]}"
    else:
        name = parts[0]
    if name in NODE_BUILTINS:
        return None
    try:
        return validate_package_name(name)
    except ValueError:
        return None


def import_specifiers(code: str) -> list[str]:
    """Return the module specifiers a JS/TS source imports, re-exports or requires, in order."""
    code = _LINE_COMMENT_RE.sub("", _BLOCK_COMMENT_RE.sub("", code))
    found: list[tuple[int, str]] = []
    for pattern in (_FROM_RE, _SIDE_EFFECT_RE, _CALL_RE):
        found += [(m.start(2), m.group(2)) for m in pattern.finditer(code)]
    return [spec for _, spec in sorted(found)]


def detect_imports(files: dict[str, str], ignore: Iterable[str] | None = None) -> set[str]:
    """Return the npm packages the JS/TS sources in ``files`` import.

    Reads ``import … from 'x'``, ``import 'x'``, ``import('x')``, ``require('x')`` and
    ``export … from 'x'``, maps each bare specifier to its package (``@scope/pkg/sub`` →
    ``@scope/pkg``, ``lodash/fp`` → ``lodash``) and skips relative and absolute paths, ``@/``
    aliases, ``node:`` and other ``scheme:`` specifiers, Node built-ins, invalid names, and the
    packages in ``ignore`` (default: the template's own dependencies).
    """
    skip = set(template_dependencies() if ignore is None else ignore)
    found: set[str] = set()
    for path, text in files.items():
        if not path.endswith(_SOURCE_SUFFIXES):
            continue
        for specifier in import_specifiers(text):
            name = _specifier_package(specifier)
            if name is not None and name not in skip:
                found.add(name)
    return found


@functools.cache
def template_files() -> Mapping[str, str]:
    """The template's files as ``{relative path: text}`` (read once: every apply asks)."""
    return MappingProxyType({
        p.relative_to(TEMPLATE_DIR).as_posix(): p.read_text()
        for p in sorted(TEMPLATE_DIR.rglob("*")) if p.is_file()
    })


def runnable_project(files: dict[str, str]) -> dict[str, str]:
    """A project's files over the template, with package.json listing what the code imports,
    so ``npm install && npm run dev`` runs it anywhere."""
    project = {**template_files(), **files}
    extra = sorted(detect_imports(files))
    if extra:
        manifest = json.loads(project["package.json"])
        manifest.setdefault("dependencies", {}).update({name: "latest" for name in extra})
        project["package.json"] = json.dumps(manifest, indent=2) + "\n"
    return project
