"""Fast-apply with Morph: a model sends only the changed parts of a long file, and Morph's
apply model merges them into the file as it is.

A model told about it (only when ``MORPH_API_KEY`` is set) may answer
``<update path="src/App.jsx">`` with the changed lines and ``// ... existing code ...`` for
every stretch left as it is. Before anything is stored, each update goes to Morph's
OpenAI-compatible API as ``<instruction>``, ``<code>`` (the file now) and ``<update>``, and
comes back as the whole merged file, which replaces the update in the answer as a ``<file>``:
the sandbox pool only ever sees whole files and search/replace blocks. A merge that still
holds an "existing code" marker, or comes back empty, is refused, never written.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from opentelemetry import trace

from generator.llm import ModelConfig, Usage, stream_completion
from paynto_common.safety.paths import is_forbidden
from paynto_common.telemetry import traced

UPDATE_RE = re.compile(r'<update\s+path="([^"]+)"\s*>\n?(.*?)</update\s*>', re.DOTALL)
MARKER_RE = re.compile(r"\.\.\.\s*existing code\s*\.\.\.", re.IGNORECASE)
_FENCE_RE = re.compile(r"^```[\w-]*\n(.*?)\n?```\s*$", re.DOTALL)

PROMPT_NOTE = """\
For a long existing file that changes in several places you may instead send only the \
changed parts, with a comment `// ... existing code ...` standing for each stretch of \
unchanged lines; a merge model puts them into the file:

<update path="src/components/Menu.jsx">
// ... existing code ...
      <h2 className="text-3xl font-bold">Our menu</h2>
// ... existing code ...
</update>
"""


class FastApplyError(ValueError):
    """An update that cannot be merged safely; the message says which and why."""


@dataclass(frozen=True)
class Update:
    path: str
    snippet: str
    start: int
    end: int


def find_updates(response: str) -> list[Update]:
    return [Update(m.group(1).strip(), m.group(2), m.start(), m.end())
            for m in UPDATE_RE.finditer(response)]


def morph_messages(instruction: str, code: str, snippet: str) -> list[dict[str, str]]:
    """One apply request in the format Morph's apply models read."""
    return [{"role": "user", "content": f"<instruction>{instruction.strip()}</instruction>\n"
                                        f"<code>{code}</code>\n<update>{snippet}</update>"}]


async def merge_updates(
    response: str, files: dict[str, str], cfg: ModelConfig, instruction: str,
    on_call: Callable[[Usage], Awaitable[None]] | None = None,
) -> tuple[str, Usage | None, list[str]]:
    """``response`` with each ``<update>`` replaced by the merged file; Morph's usage; the
    paths merged. ``on_call`` hears each Morph call's usage as it ends (before the merge is
    checked). Raises FastApplyError (permanent) or the model's ModelError."""
    usage: Usage | None = None
    merged_paths: list[str] = []
    out: list[str] = []
    at = 0
    for update in find_updates(response):
        reason = is_forbidden(update.path)
        if reason:
            raise FastApplyError(f"refused the update of {update.path!r}: {reason}")
        base = files.get(update.path)
        if base is None:
            if MARKER_RE.search(update.snippet):
                raise FastApplyError(f"{update.path} does not exist, so its update has "
                                     "nothing to merge into")
            merged = update.snippet  # a new file, sent whole in update tags
        else:
            merged, spent = await _merge(cfg, instruction, base, update.snippet)
            if on_call is not None:
                await on_call(spent)
            usage = spent if usage is None else Usage(
                usage.prompt_tokens + spent.prompt_tokens,
                usage.completion_tokens + spent.completion_tokens,
                usage.cost_usd + spent.cost_usd, spent.finish_reason)
            if not merged.strip():
                raise FastApplyError(f"the merge of {update.path} came back empty")
            if MARKER_RE.search(merged):
                raise FastApplyError(f"the merge of {update.path} still holds an "
                                     "'... existing code ...' marker")
        out += [response[at:update.start],
                f'<file path="{update.path}">\n{merged.rstrip()}\n</file>']
        at = update.end
        merged_paths.append(update.path)
    out.append(response[at:])
    return "".join(out), usage, merged_paths


@traced("chat fast-apply")
async def _merge(cfg: ModelConfig, instruction: str, code: str,
                 snippet: str) -> tuple[str, Usage]:
    span = trace.get_current_span()
    span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": cfg.model})
    parts: list[str] = []
    usage = Usage(0, 0, 0.0, None)
    async for piece in stream_completion(cfg, morph_messages(instruction, code, snippet)):
        if isinstance(piece, Usage):
            usage = piece
        else:
            parts.append(piece)
    span.set_attributes({"gen_ai.usage.input_tokens": usage.prompt_tokens,
                         "gen_ai.usage.output_tokens": usage.completion_tokens,
                         "paynto.cost_usd": usage.cost_usd})
    text = "".join(parts)
    fenced = _FENCE_RE.match(text.strip())
    return (fenced.group(1) if fenced else text), usage
