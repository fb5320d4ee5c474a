"""``paynto traces [JOB_ID]``: a trace the local services kept, printed as a tree.

With ``PAYNTO_TRACES_FILE`` on (``make run`` turns it on), every service appends its finished
spans to ``<data dir>/traces/<service>.jsonl`` (:mod:`paynto_common.telemetry`). This joins
the files, picks the traces of a job (every trace with a span naming it: the request that
started it, and any later request that followed its stream), or the newest trace, and prints
each span under its parent with its service, duration and the attributes worth reading.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Attributes shown beside a span's name (the rest are in the file).
SHOWN = ("paynto.job_kind", "gen_ai.request.model", "gen_ai.usage.input_tokens",
         "gen_ai.usage.output_tokens", "paynto.cost_usd", "paynto.packages",
         "paynto.preview.errors", "paynto.sse.events", "paynto.scrape.pages",
         "paynto.git.branch", "paynto.deploy.provider", "paynto.attempt",
         "http.status_code", "http.response.status_code")


@dataclass
class Span:
    """One span as a traces file holds it."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start_ns: int
    end_ns: int
    status: str
    attributes: dict[str, Any]
    children: list[Span] = field(default_factory=list)

    @property
    def ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def read_spans(folder: Path) -> list[Span]:
    """Every span in the folder's files (older rotated files too); unreadable lines, such as
    one a process was writing when it died, are left out."""
    spans: list[Span] = []
    for path in sorted(folder.glob("*.jsonl*")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                raw = json.loads(line)
                spans.append(Span(
                    raw["trace_id"], raw["span_id"], raw.get("parent_id"), raw["name"],
                    str(raw.get("service") or "?"), int(raw["start_ns"]), int(raw["end_ns"]),
                    str(raw.get("status", "")), dict(raw.get("attributes") or {})))
            except (ValueError, KeyError, TypeError):
                continue
    return spans


def pick_traces(spans: list[Span], job_id: str | None) -> list[list[Span]]:
    """The traces of ``job_id`` (oldest first), or the newest trace; each as its spans."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    if job_id is not None:
        chosen = [t for t in by_trace.values()
                  if any(s.attributes.get("paynto.job_id") == job_id for s in t)]
    else:
        chosen = [max(by_trace.values(), key=lambda t: min(s.start_ns for s in t))] \
            if by_trace else []
    return sorted(chosen, key=lambda t: min(s.start_ns for s in t))


def render(spans: list[Span]) -> str:
    """One trace as an indented tree: a span under its parent, siblings in start order; a
    span whose parent is not in the files (a service that keeps none) at the top."""
    known = {s.span_id: s for s in spans}
    roots: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start_ns):
        span.children = []
    for span in sorted(spans, key=lambda s: s.start_ns):
        parent = known.get(span.parent_id or "")
        (parent.children if parent is not None else roots).append(span)
    start = min(s.start_ns for s in spans)
    end = max(s.end_ns for s in spans)
    services = sorted({s.service for s in spans})
    lines = [f"trace {spans[0].trace_id}: {len(spans)} spans, {', '.join(services)}, "
             f"{(end - start) / 1e6:.1f} ms"]

    def walk(span: Span, depth: int) -> None:
        details = [f"{key.rsplit('.', 1)[-1]}={_shown(span.attributes[key])}"
                   for key in SHOWN if key in span.attributes]
        if span.status.startswith("ERROR"):
            details.append(span.status)
        offset = (span.start_ns - start) / 1e6
        lines.append(f"{'  ' * depth}{span.name}  [{span.service}]  {span.ms:.1f} ms "
                     f"(+{offset:.1f})" + (f"  {' '.join(details)}" if details else ""))
        for child in span.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 1)
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def print_traces(folder: Path, job_id: str | None) -> int:
    """Print the job's traces (or the newest one); 1 when there is none to print."""
    if not folder.is_dir():
        print(f"no traces kept in {folder}: run with PAYNTO_TRACES_FILE=true "
              "(`make run` does)", file=sys.stderr)
        return 1
    traces = pick_traces(read_spans(folder), job_id)
    if not traces:
        print(f"no trace of job {job_id} in {folder}" if job_id else f"no spans in {folder}",
              file=sys.stderr)
        return 1
    print("\n\n".join(render(spans) for spans in traces))
    return 0
