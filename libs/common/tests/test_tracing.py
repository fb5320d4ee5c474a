"""Trace context crosses the bus: a consumer's span continues the publisher's trace."""

from __future__ import annotations

import asyncio

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from paynto_common.bus import Bus, ConsumerOptions, Delivery
from paynto_common.messages import GenerateRequest


async def test_consumer_span_continues_the_publishers_trace(bus: Bus) -> None:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the first test of the process to trace
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    seen: list[trace.SpanContext] = []
    done = asyncio.Event()

    async def handler(d: Delivery) -> None:
        seen.append(trace.get_current_span().get_span_context())
        done.set()

    async def on_failure(_data: bytes, reason: str) -> None:
        raise AssertionError(reason)

    with tracer.start_as_current_span("http request") as parent:
        await bus.publish_job(
            bus.subjects.generate,
            GenerateRequest(job_id="t1", project_id="p", prompt="x"),
            msg_id="t1",
        )
    stop = asyncio.Event()
    task = asyncio.create_task(
        bus.run_consumer("generator", handler, on_failure, stop, ConsumerOptions())
    )
    await asyncio.wait_for(done.wait(), 10)
    stop.set()
    await task
    # The handler ran inside a span of the same trace as the publisher's request.
    assert seen[0].trace_id == parent.get_span_context().trace_id
    assert seen[0].span_id != parent.get_span_context().span_id
    # The consumer's span is the child of the publish (producer) span, under the request.
    finished = exporter.get_finished_spans()
    consumer = [s for s in finished if s.kind == trace.SpanKind.CONSUMER]
    producer = [s for s in finished if s.kind == trace.SpanKind.PRODUCER]
    assert consumer and consumer[0].parent is not None
    assert producer and producer[0].parent is not None
    assert consumer[0].parent.span_id == producer[0].context.span_id
    assert producer[0].parent.span_id == parent.get_span_context().span_id
