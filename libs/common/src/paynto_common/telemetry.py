"""OpenTelemetry set-up, trace context carried in NATS message headers, and spans kept as
JSON lines for ``paynto traces``.

There is no official NATS instrumentation, so the W3C ``traceparent`` travels in the headers
by hand: publishers inject, consumers extract and continue the trace. One person's request is
then one trace: the gateway's HTTP span is its root, each job published on the bus is a
``publish`` span under whatever published it, and each service's ``handle`` span continues
from there.

Export follows the standard variables (``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, ``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER`` and
``_ARG``), read through the settings so a ``.env`` file sets them too; the exporter itself
reads the rest (``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_BSP_SCHEDULE_DELAY``...). With
``PAYNTO_TRACES_FILE`` on, each process also appends its finished spans to
``<data dir>/traces/<service>.jsonl``, which ``paynto traces`` prints as a tree: a local
run shows its traces with no collector at all.

Span attributes never hold prompts, model output, file contents, tokens or URLs with their
queries: only ids, names, counts, sizes, durations and outcomes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_OFF,
    DEFAULT_ON,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from paynto_common.settings import CommonSettings

__all__ = [
    "JsonLinesSpanExporter", "extract_context", "inject_headers", "job_attributes",
    "make_sampler", "setup_tracing", "traced", "tracer_provider", "traces_dir",
    "traces_endpoint",
]

log = logging.getLogger(__name__)
_propagator = TraceContextTextMapPropagator()

P = ParamSpec("P")
R = TypeVar("R")

# A span file past this size is moved aside (one old file kept) before more is written.
TRACES_FILE_MAX_BYTES = 20 * 1024 * 1024


def traces_endpoint(settings: CommonSettings) -> str | None:
    """Where spans are sent: the traces URL as given, else the base URL + ``/v1/traces``
    (the OTLP/HTTP rules); None exports nothing."""
    if settings.otel_exporter_otlp_traces_endpoint:
        return settings.otel_exporter_otlp_traces_endpoint
    if settings.otel_exporter_otlp_endpoint:
        return settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    return None


def make_sampler(name: str, arg: float = 1.0) -> Sampler:
    """The sampler an ``OTEL_TRACES_SAMPLER`` name stands for (``arg``: the ratio)."""
    fixed = {"always_on": ALWAYS_ON, "always_off": ALWAYS_OFF,
             "parentbased_always_on": DEFAULT_ON, "parentbased_always_off": DEFAULT_OFF}
    if name in fixed:
        return fixed[name]
    if name == "traceidratio":
        return TraceIdRatioBased(arg)
    if name == "parentbased_traceidratio":
        return ParentBasedTraceIdRatio(arg)
    raise ValueError(f"unknown OTEL_TRACES_SAMPLER {name!r}")


def traces_dir(data_dir: Path) -> Path:
    """Where ``PAYNTO_TRACES_FILE`` keeps the span files of a data directory."""
    return data_dir / "traces"


def tracer_provider(service_name: str, settings: CommonSettings) -> TracerProvider:
    """A tracer provider for ``service_name`` (``OTEL_SERVICE_NAME`` wins) exporting where the
    settings say: OTLP/HTTP when an endpoint is set, the traces file when it is on."""
    name = settings.otel_service_name or service_name
    provider = TracerProvider(
        resource=Resource.create({"service.name": name}),
        sampler=make_sampler(settings.otel_traces_sampler, settings.otel_traces_sampler_arg),
    )
    endpoint = traces_endpoint(settings)
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        # Scheme, host and path only: a URL may carry credentials.
        shown = urlsplit(endpoint)
        port = f":{shown.port}" if shown.port else ""
        log.info("exporting traces to %s://%s%s%s", shown.scheme, shown.hostname or "", port,
                 shown.path)
    if settings.traces_file:
        path = traces_dir(settings.data_dir) / f"{name}.jsonl"
        provider.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(path)))
        log.info("keeping finished spans in %s (read them with `paynto traces`)", path)
    return provider


def setup_tracing(service_name: str, settings: CommonSettings) -> TracerProvider:
    """Install this process's tracer provider (:func:`tracer_provider`). Without an endpoint
    or the traces file, spans still carry context across services but go nowhere."""
    provider = tracer_provider(service_name, settings)
    trace.set_tracer_provider(provider)
    return provider


def flush_spans(timeout_millis: int = 5000) -> None:
    """Export the spans this process still holds. A process that ends by its signal's default
    action (uvicorn re-raises SIGTERM once it has drained) runs no ``atexit`` hook, so the
    provider's own flush at exit never comes: call this as it shuts down."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis)


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``headers`` with the current trace context added."""
    carrier = dict(headers or {})
    _propagator.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> context.Context:
    """The trace context a message carried (an empty context when it carried none)."""
    return _propagator.extract(dict(headers or {}))


def job_attributes(job_id: str | None, project_id: str | None = None,
                   kind: str | None = None) -> dict[str, str]:
    """The attributes naming a job on its spans (those known)."""
    named = {"paynto.job_id": job_id, "paynto.project_id": project_id,
             "paynto.job_kind": kind}
    return {key: value for key, value in named.items() if value}


def traced(name: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Run each call of an async function in a span called ``name`` (a step of a job: the
    function may add attributes to ``trace.get_current_span()``)."""
    tracer = trace.get_tracer("paynto")

    def decorate(step: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(step)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with tracer.start_as_current_span(name):
                return await step(*args, **kwargs)

        return run

    return decorate


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """One finished span as a line of a traces file (what ``paynto traces`` reads)."""
    ctx = span.get_span_context()
    assert ctx is not None
    status = span.status.status_code.name
    if span.status.description:
        status += f": {span.status.description}"
    return {
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("service.name"),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": status,
        "attributes": dict(span.attributes or {}),
    }


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans to a file, one JSON object a line. Each batch is one write to
    a file opened for appending, so the replicas of a service may share the file."""

    def __init__(self, path: Path, max_bytes: int = TRACES_FILE_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        data = "".join(json.dumps(span_record(s), default=str) + "\n" for s in spans).encode()
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.path.exists() and self.path.stat().st_size > self.max_bytes:
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                with self.path.open("ab") as out:
                    out.write(data)
        except OSError as exc:
            log.warning("could not write spans to %s: %s", self.path, exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing held open between batches."""
