"""Writing JavaScript and JSX source text: literals, data constants, escaped text, templates."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from string import Template


def js(value: object) -> str:
    """A JavaScript literal; JSON strings are valid JS strings, and keep Unicode readable."""
    return json.dumps(value, ensure_ascii=False)


def _js_object(obj: Mapping[str, object]) -> str:
    return "{ " + ", ".join(f"{k}: {js(v)}" for k, v in obj.items()) + " }"


def js_const(name: str, rows: Sequence[Mapping[str, object]]) -> str:
    lines = []
    for row in rows:
        one = f"  {_js_object(row)},"
        if len(one) <= 100:
            lines.append(one)
        else:
            inner = "".join(f"    {k}: {js(v)},\n" for k, v in row.items())
            lines.append("  {\n" + inner + "  },")
    return f"const {name} = [\n" + "\n".join(lines) + "\n];"


def jsx_text(text: str) -> str:
    """Text safe to place between JSX tags; ``{title}`` becomes the ``title`` prop."""
    parts = text.split("{title}")
    escaped = []
    for part in parts:
        part = part.replace("&", "&amp;").replace("'", "’").replace('"', "&quot;")
        # Braces and angle brackets would start an expression or a tag.
        part = "".join('{"' + c + '"}' if c in "{}<>" else c for c in part)
        escaped.append(part)
    return "{title}".join(escaped)


def render(template: str, **values: str) -> str:
    return Template(textwrap.dedent(template).lstrip("\n")).substitute(values)
