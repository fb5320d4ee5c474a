"""OpenTelemetry set-up and trace context carried in NATS message headers.

There is no official NATS instrumentation, so the W3C ``traceparent`` travels in the headers
by hand: publishers inject, consumers extract and continue the trace.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()


def setup_tracing(service_name: str, otlp_endpoint: str | None) -> TracerProvider:
    """Install a tracer provider; spans are exported only when an OTLP endpoint is set."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``headers`` with the current trace context added."""
    carrier = dict(headers or {})
    _propagator.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> context.Context:
    """The trace context a message carried (an empty context when it carried none)."""
    return _propagator.extract(dict(headers or {}))
