"""``paynto traces``: the spans two services kept in their traces files, joined into one tree
per trace, found by job id (or the newest trace)."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from paynto_cli.main import main
from paynto_common.telemetry import JsonLinesSpanExporter


def provider(folder: Path, service: str) -> TracerProvider:
    made = TracerProvider(resource=Resource.create({"service.name": service}))
    made.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(folder / f"{service}.jsonl")))
    return made


def keep_a_job(folder: Path, job_id: str) -> None:
    """A request in the gateway whose job the generator handled, each writing its own file."""
    gateway = provider(folder, "gateway").get_tracer("t")
    generator = provider(folder, "generator").get_tracer("t")
    with gateway.start_as_current_span("POST /api/generate-ai-code-stream",
                                       attributes={"paynto.job_id": job_id}) as request:
        with gateway.start_as_current_span("publish jobs.generator.generate") as publish:
            pass
        handled = trace.set_span_in_context(publish)
        with generator.start_as_current_span("handle jobs.generator.generate", context=handled,
                                             attributes={"paynto.job_kind": "generate"}), \
                generator.start_as_current_span("chat openai/gpt-4o-mini", attributes={
                    "gen_ai.usage.input_tokens": 40, "paynto.cost_usd": 0.000123}):
            pass
        assert request.is_recording()


def test_a_jobs_trace_prints_as_one_tree_across_services(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keep_a_job(tmp_path, "job-a")
    keep_a_job(tmp_path, "job-b")
    assert main(["traces", "job-a", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("trace ") and "4 spans, gateway, generator" in out[0]
    # Each span one indent under its parent, whichever file it came from.
    assert [line.split("  [")[0] for line in out[1:]] == [
        "  POST /api/generate-ai-code-stream",
        "    publish jobs.generator.generate",
        "      handle jobs.generator.generate",
        "        chat openai/gpt-4o-mini",
    ]
    assert "[generator]" in out[4] and "input_tokens=40" in out[4]
    assert "cost_usd=0.000123" in out[4] and " ms (+" in out[4]
    assert "job_kind=generate" in out[3]

    # Without a job: the newest trace, job-b's.
    assert main(["traces", "--dir", str(tmp_path)]) == 0
    newest = capsys.readouterr().out
    assert newest.count("trace ") == 1
    assert main(["traces", "job-b", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == newest


def test_nothing_to_show_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "--dir", str(tmp_path / "none")]) == 1
    assert "PAYNTO_TRACES_FILE" in capsys.readouterr().err
    keep_a_job(tmp_path, "job-a")
    assert main(["traces", "job-z", "--dir", str(tmp_path)]) == 1
    assert "no trace of job job-z" in capsys.readouterr().err
