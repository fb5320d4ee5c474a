"""The order to write a batch of files in, so the dev server never sees a dangling import.

Vite's watcher reacts to each file as it lands. If ``App.jsx`` arrives before the new
``components/Hero.jsx`` it imports, the HMR update fails ("Failed to resolve import") and the
preview flashes an error overlay. Writing dependencies before their importers avoids that:
stylesheets first, then other assets, then JS/TS modules leaves-first, then HTML pages.
"""

from __future__ import annotations

import heapq
import posixpath
import re
from collections.abc import Mapping

from paynto_common.packages import import_specifiers

__all__ = ["order_for_write"]

_STYLE_SUFFIXES = (".css", ".scss", ".sass", ".less", ".pcss", ".styl")
_MODULE_SUFFIXES = (".jsx", ".js", ".tsx", ".ts", ".mjs", ".cjs", ".mts", ".cts")
_HTML_SUFFIXES = (".html", ".htm")
# How Vite resolves an import written without an extension, in our preference order.
_RESOLVE_EXTENSIONS = (".jsx", ".js", ".tsx", ".ts", ".mjs", ".mts", ".json")

_CSS_IMPORT_RE = re.compile(r"@import\s+(?:url\(\s*)?(['\"])([^'\"\n]+)\1")
_CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)([^'\")\s]+)\1\s*\)")
_HTML_REF_RE = re.compile(r"\b(?:src|href)\s*=\s*(['\"])([^'\"\n]+)\1", re.IGNORECASE)


def _rank(path: str) -> int:
    lower = path.lower()
    if lower.endswith(_STYLE_SUFFIXES):
        return 0
    if lower.endswith(_MODULE_SUFFIXES):
        return 2
    if lower.endswith(_HTML_SUFFIXES):
        return 3
    return 1  # images, fonts, JSON, SVG...: leaves that modules may import


def _specifiers(path: str, text: str) -> list[str]:
    lower = path.lower()
    if lower.endswith(_MODULE_SUFFIXES):
        return import_specifiers(text)
    if lower.endswith(_STYLE_SUFFIXES):
        return [m.group(2) for m in _CSS_IMPORT_RE.finditer(text)] + [
            m.group(2) for m in _CSS_URL_RE.finditer(text)
        ]
    if lower.endswith(_HTML_SUFFIXES):
        return [m.group(2) for m in _HTML_REF_RE.finditer(text)]
    return []


def _resolve(importer: str, specifier: str, known: Mapping[str, str]) -> str | None:
    """Map ``specifier`` (as written in ``importer``) to one of the batch's paths, if it is one."""
    spec = specifier.split("?", 1)[0].split("#", 1)[0]
    if spec.startswith(("./", "../")) or spec in (".", ".."):
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    elif spec.startswith("/") and not spec.startswith("//"):
        base = posixpath.normpath(spec.lstrip("/"))  # Vite resolves these from the project root
    elif spec.startswith("@/"):
        base = posixpath.normpath("src/" + spec[2:])  # the usual alias for src/
    else:
        return None  # a package, a URL or a data: URI
    if base.startswith("../") or base == "..":
        return None
    candidates = [base, *(base + ext for ext in _RESOLVE_EXTENSIONS)]
    candidates += [f"{base}/index{ext}" for ext in _RESOLVE_EXTENSIONS]
    for candidate in candidates:
        if candidate in known:
            return known[candidate]
    return None


def order_for_write(files: Mapping[str, str]) -> list[str]:
    """Return the keys of ``files`` (path → content) in a safe order to write them.

    A file comes after every file of the batch it references (relative, root-relative or ``@/``
    imports in JS/TS, resolving extensionless imports and ``index.*``; ``@import``/``url()`` in
    CSS; ``src``/``href`` in HTML). Among files that are ready, stylesheets go first, then other
    assets, then modules, then HTML, each alphabetically. Import cycles are broken
    deterministically: the remaining file with the fewest unwritten dependencies goes next.
    """
    known: dict[str, str] = {}
    for path in files:
        known.setdefault(posixpath.normpath(path.removeprefix("./")), path)
    deps: dict[str, set[str]] = {path: set() for path in files}
    for path, text in files.items():
        importer = posixpath.normpath(path.removeprefix("./"))
        for specifier in _specifiers(path, text):
            target = _resolve(importer, specifier, known)
            if target is not None and target != path:
                deps[path].add(target)

    dependents: dict[str, set[str]] = {path: set() for path in files}
    for path, needed in deps.items():
        for target in needed:
            dependents[target].add(path)
    waiting = {path: len(needed) for path, needed in deps.items()}
    ready = [(_rank(path), path) for path, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(files):
        if ready:
            _, path = heapq.heappop(ready)
            if path in done:
                continue
        else:
            # Only cycles remain: take the file closest to ready.
            path = min(
                (p for p in files if p not in done),
                key=lambda p: (waiting[p], _rank(p), p),
            )
        done.add(path)
        order.append(path)
        for dependent in dependents[path]:
            if dependent in done:
                continue
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (_rank(dependent), dependent))
    return order


# import Default, { A, B as C } from './x'  → the names a placeholder for './x' must export.
_NAMED_IMPORT_RE = re.compile(
    r"import\s+(?:(?P<default>[\w$]+)\s*,?\s*)?(?:\{(?P<named>[^}]*)\})?\s*from\s*(['\"])"
    r"(?P<spec>[^'\"\n]+)\3"
)


def missing_local_imports(files: Mapping[str, str]) -> dict[str, tuple[str, set[str]]]:
    """Local imports that no file in ``files`` satisfies.

    Returns ``{path to create: (importer, named exports wanted)}``: an extensionless
    specifier becomes ``<base>.jsx``. Only JavaScript modules are considered; a missing
    stylesheet or asset is left to Vite's own error.
    """
    known = {path: path for path in files}
    missing: dict[str, tuple[str, set[str]]] = {}
    for importer, text in files.items():
        if not importer.lower().endswith(_MODULE_SUFFIXES):
            continue
        names_by_spec: dict[str, set[str]] = {}
        for m in _NAMED_IMPORT_RE.finditer(text):
            wanted = names_by_spec.setdefault(m.group("spec"), set())
            for part in (m.group("named") or "").split(","):
                name = part.strip().split(" as ")[0].strip()
                if name and name != "default" and name.isidentifier():
                    wanted.add(name)
        for spec in import_specifiers(text):
            if not spec.startswith(("./", "../", "@/")) or _resolve(importer, spec, known):
                continue
            base = _resolve_base(importer, spec)
            if base is None or not base.startswith("src/"):
                continue
            suffix = posixpath.splitext(base)[1].lower()
            if suffix and suffix not in _MODULE_SUFFIXES:
                continue
            path = base if suffix else base + ".jsx"
            entry = missing.setdefault(path, (importer, set()))
            entry[1].update(names_by_spec.get(spec, set()))
    return missing


def _resolve_base(importer: str, spec: str) -> str | None:
    if spec.startswith("@/"):
        base = posixpath.normpath("src/" + spec[2:])
    else:
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    return None if base.startswith("..") else base


def placeholder_module(path: str, importer: str, names: set[str]) -> str:
    """A visible stand-in for a module the model imported but never wrote."""
    stem = re.sub(r"\W", "", posixpath.splitext(posixpath.basename(path))[0]) or "Module"
    component = "Missing" + stem[:1].upper() + stem[1:]
    lines = [
        f"// Paynto wrote this placeholder: {importer} imports {path}, which the answer",
        "// did not include. Ask for it, or write it, and this file is replaced.",
        f"export default function {component}() {{",
        "  return (",
        '    <div className="m-4 rounded-lg border-2 border-dashed border-amber-400 bg-amber-50 '
        'p-4 text-sm text-amber-900">',
        f"      Missing file: {path}",
        "    </div>",
        "  )",
        "}",
    ]
    lines += [f"export const {name} = {component}" for name in sorted(names)]
    return "\n".join(lines) + "\n"
