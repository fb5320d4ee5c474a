"""A loopback OTLP/HTTP trace receiver, for tests that read back what services export.

It speaks the collector's side of OTLP/HTTP with protobuf bodies: ``POST /v1/traces`` takes an
``ExportTraceServiceRequest`` (gzip or not, as the exporter's ``OTEL_EXPORTER_OTLP_COMPRESSION``
says) and answers an empty ``ExportTraceServiceResponse``. Serve :meth:`OtlpReceiver.app`
(``serving_in_thread`` for a module fixture) and point ``OTEL_EXPORTER_OTLP_ENDPOINT`` at it.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["OtlpReceiver", "ReceivedSpan"]

PROTOBUF = "application/x-protobuf"
# OTLP's span kinds by number (SPAN_KIND_UNSPECIFIED is 0).
KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER",
         5: "CONSUMER"}


@dataclass
class ReceivedSpan:
    """One span as it arrived, its ids in hex and its attributes as Python values."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str
    service: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def texts(self) -> list[str]:
        """Every string the span carries: its name, status, attribute keys and values,
        event names and attributes (what a test searches for text that must not be there)."""
        found = [self.name, self.status_message]
        for attributes in [self.attributes, *(attrs for _, attrs in self.events)]:
            for key, value in attributes.items():
                found.append(key)
                found.extend(str(v) for v in (value if isinstance(value, list) else [value]))
        found.extend(name for name, _ in self.events)
        return found


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which) if which else None


class OtlpReceiver:
    """Keeps every span posted to it; safe to read from another thread than its server's."""

    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        self.requests = 0

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def app(self) -> Starlette:
        """The receiver's ASGI app: ``POST /v1/traces``."""
        return Starlette(routes=[Route("/v1/traces", self._traces, methods=["POST"])])

    async def _traces(self, request: Request) -> Response:
        body = await request.body()
        encoding = request.headers.get("content-encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if request.headers.get("content-type", "").split(";")[0] != PROTOBUF:
            return Response("only protobuf bodies here", status_code=415)
        export = ExportTraceServiceRequest()
        export.ParseFromString(body)
        received = []
        for resource_spans in export.resource_spans:
            resource = {kv.key: _value(kv.value)
                        for kv in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(ReceivedSpan(
                        trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex() or None, name=span.name,
                        kind=KINDS.get(span.kind, str(span.kind)),
                        service=str(resource.get("service.name", "")),
                        start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                        attributes={kv.key: _value(kv.value) for kv in span.attributes},
                        status_code=span.status.code, status_message=span.status.message,
                        events=[(e.name, {kv.key: _value(kv.value) for kv in e.attributes})
                                for e in span.events]))
        with self._lock:
            self._spans.extend(received)
            self.requests += 1
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)
