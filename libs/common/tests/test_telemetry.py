"""Traces and logs, unit by unit: a job published on a real NATS bus is a producer span whose
child is the consumer's span, and a line logged while the job runs names its trace, span, job
and project; log lines as JSON and as text; tracing set up from the standard ``OTEL_*``
variables, exporting to a loopback OTLP receiver and to the traces file."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio, TraceIdRatioBased
from pydantic import ValidationError

from paynto_common.bus import Bus, ConsumerOptions, Delivery
from paynto_common.logs import JobScope, bind_job, current_job, log_handler, unbind_job
from paynto_common.messages import GenerateRequest
from paynto_common.settings import CommonSettings
from paynto_common.telemetry import (
    JsonLinesSpanExporter,
    traced,
    tracer_provider,
    traces_dir,
    traces_endpoint,
)
from paynto_common.testing.otlp import OtlpReceiver
from paynto_common.testing.serve import serving_in_thread

OTEL_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
             "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
             "PAYNTO_TRACES_FILE", "LOG_FORMAT")


class Collected(SpanProcessor):
    """Keeps the spans that end while it is on."""

    def __init__(self) -> None:
        self.on = True
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        if self.on:
            self.spans.append(span)

    def get_finished_spans(self) -> list[ReadableSpan]:
        return list(self.spans)


@pytest.fixture
def spans() -> Iterator[Collected]:
    """Every span this process finishes during the test (the bus traces with the global
    provider, which a process can set only once, and which keeps its processors)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the first test of the process to trace
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    collected = Collected()
    provider.add_span_processor(collected)
    try:
        yield collected
    finally:
        collected.on = False


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No OTEL_* or log variable from the shell, and no .env file, in the settings read."""
    for name in OTEL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def json_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    logger = logging.getLogger(name)
    logger.handlers = [log_handler("json", "test-service", out)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def only(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    (found,) = [s for s in spans if s.name == name]
    return found


async def test_a_job_on_the_bus_continues_the_publishers_trace_and_logs_name_it(
        bus: Bus, spans: Collected) -> None:
    logger, out = json_logger("paynto.test.job")
    seen: list[tuple[trace.SpanContext, JobScope | None]] = []
    done = asyncio.Event()

    async def handler(_: Delivery) -> None:
        seen.append((trace.get_current_span().get_span_context(), current_job()))
        logger.info("working on it")
        done.set()

    async def on_failure(_data: bytes, reason: str) -> None:
        raise AssertionError(reason)

    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("POST /api/generate-ai-code-stream") as request:
        await bus.publish_job(bus.subjects.generate,
                              GenerateRequest(job_id="job-7", project_id="proj-3", prompt="x"),
                              msg_id="job-7")
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        bus.run_consumer("generator", handler, on_failure, stop, ConsumerOptions()))
    await asyncio.wait_for(done.wait(), 10)
    stop.set()
    await consumer

    finished = spans.get_finished_spans()
    publish = only(list(finished), f"publish {bus.subjects.generate}")
    handle = only(list(finished), f"handle {bus.subjects.generate}")
    trace_id = request.get_span_context().trace_id
    assert publish.kind == trace.SpanKind.PRODUCER and handle.kind == trace.SpanKind.CONSUMER
    assert publish.parent is not None and handle.parent is not None
    assert publish.parent.span_id == request.get_span_context().span_id
    assert handle.parent.span_id == publish.context.span_id
    assert {publish.context.trace_id, handle.context.trace_id} == {trace_id}
    for span in (publish, handle):
        attributes = dict(span.attributes or {})
        assert attributes["paynto.job_id"] == "job-7"
        assert attributes["paynto.project_id"] == "proj-3"
        assert attributes["paynto.job_kind"] == "generate"
        assert attributes["messaging.destination.name"] == bus.subjects.generate
    # The handler ran in the consumer's span, with its job bound; the binding ends with it.
    context, job = seen[0]
    assert context.span_id == handle.context.span_id
    assert job is not None and (job.job_id, job.project_id) == ("job-7", "proj-3")
    assert current_job() is None
    line = json.loads(out.getvalue().splitlines()[0])
    assert line["trace_id"] == format(trace_id, "032x")
    assert line["span_id"] == format(handle.context.span_id, "016x")
    assert (line["job_id"], line["project_id"]) == ("job-7", "proj-3")
    assert line["message"] == "working on it" and line["service"] == "test-service"


def test_json_lines_carry_level_logger_ids_and_the_exception(
        spans: Collected) -> None:
    logger, out = json_logger("paynto.test.json")
    logger.info("before any job")
    token = bind_job("job-1", "proj-1", "apply")
    try:
        with trace.get_tracer("test").start_as_current_span("step") as span:
            try:
                raise ValueError("the sandbox went away")
            except ValueError:
                logger.exception("applying failed for %s", "job-1")
    finally:
        unbind_job(token)
    outside, failed = (json.loads(line) for line in out.getvalue().splitlines())
    assert outside["level"] == "INFO" and outside["logger"] == "paynto.test.json"
    assert outside["message"] == "before any job" and outside["time"].endswith("Z")
    assert "job_id" not in outside and "trace_id" not in outside
    assert failed["level"] == "ERROR" and failed["message"] == "applying failed for job-1"
    assert failed["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert (failed["job_id"], failed["project_id"]) == ("job-1", "proj-1")
    assert failed["exception"].startswith("Traceback")
    assert "ValueError: the sandbox went away" in failed["exception"]


def test_text_lines_stay_readable_and_name_the_job() -> None:
    out = io.StringIO()
    logger = logging.getLogger("paynto.test.text")
    logger.handlers = [log_handler("text", "svc", out)]
    logger.propagate = False
    token = bind_job("job-9")
    try:
        logger.warning("retrying")
    finally:
        unbind_job(token)
    logger.warning("idle")
    with_job, idle = out.getvalue().splitlines()
    assert with_job.endswith(" WARNING paynto.test.text [job job-9]: retrying")
    assert idle.endswith(" WARNING paynto.test.text: idle")


def test_settings_read_the_standard_otel_variables(clean_env: pytest.MonkeyPatch) -> None:
    assert traces_endpoint(CommonSettings()) is None
    clean_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")
    clean_env.setenv("OTEL_SERVICE_NAME", "generator-eu")
    clean_env.setenv("OTEL_TRACES_SAMPLER", "ParentBased_TraceIdRatio")
    clean_env.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    clean_env.setenv("LOG_FORMAT", "JSON")
    settings = CommonSettings()
    assert traces_endpoint(settings) == "http://collector:4318/v1/traces"
    assert settings.log_format == "json"
    provider = tracer_provider("generator", settings)
    assert provider.resource.attributes["service.name"] == "generator-eu"
    assert isinstance(provider.sampler, ParentBasedTraceIdRatio)
    provider.shutdown()
    # The traces URL, when given, is used as it is; the service names itself without a name.
    clean_env.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://otel.example/x/traces")
    clean_env.delenv("OTEL_SERVICE_NAME")
    clean_env.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    settings = CommonSettings()
    assert traces_endpoint(settings) == "https://otel.example/x/traces"
    provider = tracer_provider("generator", settings)
    assert provider.resource.attributes["service.name"] == "generator"
    assert isinstance(provider.sampler, TraceIdRatioBased) and provider.sampler.rate == 0.25
    provider.shutdown()
    clean_env.setenv("OTEL_TRACES_SAMPLER", "sometimes")
    with pytest.raises(ValidationError, match="otel_traces_sampler"):
        CommonSettings()


def test_spans_reach_an_otlp_receiver(clean_env: pytest.MonkeyPatch) -> None:
    receiver = OtlpReceiver()
    with serving_in_thread(receiver.app()) as url:
        clean_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
        provider = tracer_provider("scraper", CommonSettings())
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("handle jobs.scraper.scrape") as parent, \
                tracer.start_as_current_span("scrape", attributes={"paynto.scrape.pages": 2}):
            pass
        assert provider.force_flush(10_000)
        provider.shutdown()
    by_name = {s.name: s for s in receiver.spans}
    assert set(by_name) == {"handle jobs.scraper.scrape", "scrape"}
    assert by_name["scrape"].parent_id == format(parent.get_span_context().span_id, "016x")
    assert by_name["scrape"].service == "scraper"
    assert by_name["scrape"].attributes == {"paynto.scrape.pages": 2}


async def test_traced_runs_a_step_in_a_span_of_its_own(spans: Collected) -> None:
    @traced("preview check")
    async def check(files: int) -> int:
        trace.get_current_span().set_attribute("paynto.preview.files", files)
        return files

    with trace.get_tracer("test").start_as_current_span("apply") as apply:
        assert await check(3) == 3
    step = only(list(spans.get_finished_spans()), "preview check")
    assert step.parent is not None and step.parent.span_id == apply.get_span_context().span_id
    assert dict(step.attributes or {}) == {"paynto.preview.files": 3}


def test_the_traces_file_keeps_finished_spans_as_json_lines(
        clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("PAYNTO_TRACES_FILE", "true")
    clean_env.setenv("PAYNTO_DATA_DIR", str(tmp_path / "data"))
    settings = CommonSettings()
    provider = tracer_provider("sandbox-pool", settings)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("apply", attributes={"paynto.job_id": "j1"}), \
            tracer.start_as_current_span("npm install"):
        pass
    assert provider.force_flush(10_000)
    provider.shutdown()
    lines = (traces_dir(settings.data_dir) / "sandbox-pool.jsonl").read_text().splitlines()
    records = {r["name"]: r for r in map(json.loads, lines)}
    apply, install = records["apply"], records["npm install"]
    assert apply["service"] == "sandbox-pool" and apply["parent_id"] is None
    assert apply["attributes"] == {"paynto.job_id": "j1"} and apply["status"] == "UNSET"
    assert install["parent_id"] == apply["span_id"] and install["trace_id"] == apply["trace_id"]
    assert apply["end_ns"] >= install["end_ns"] >= install["start_ns"] >= apply["start_ns"]
    assert len(apply["trace_id"]) == 32 and len(apply["span_id"]) == 16


def test_a_full_traces_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "traces" / "gateway.jsonl"
    provider = TracerProvider()
    # Smaller than one span's line: each write finds the file full and moves it aside.
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path, max_bytes=200)))
    tracer = provider.get_tracer("test")
    for n in range(4):
        with tracer.start_as_current_span(f"span {n}"):
            pass
    provider.shutdown()
    kept = [[json.loads(line)["name"] for line in f.read_text().splitlines()]
            for f in (path.with_name("gateway.jsonl.1"), path)]
    assert kept == [["span 2"], ["span 3"]]
