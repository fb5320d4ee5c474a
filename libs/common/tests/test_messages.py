"""What crosses between services: event payloads keep the wire format clients read, results
round-trip through a job row, and the table of job kinds holds together."""

from __future__ import annotations

import pytest

from paynto_common.messages import (
    JOB_KINDS,
    Applied,
    Completed,
    GenerateResult,
    JobEvent,
    JobMessage,
    ModelUsage,
    PackageInstalled,
    PreviewError,
    Status,
    Subjects,
    read_result,
    stored,
    stream_problem,
)


def test_an_event_carries_only_what_its_publisher_set() -> None:
    assert Status(message="hi").wire() == {"message": "hi"}
    assert PackageInstalled(name="zod").wire() == {"name": "zod"}
    # An explicit None is kept: the old dicts sent it too.
    error = PreviewError(kind="compile", path="src/App.jsx", message="bad", plugin=None)
    assert error.wire() == {"kind": "compile", "path": "src/App.jsx", "message": "bad",
                            "plugin": None}
    envelope = JobEvent.of("job1", error)
    assert (envelope.job_id, envelope.event) == ("job1", "preview_error")
    assert JobEvent.model_validate_json(envelope.model_dump_json()) == envelope


def test_a_model_jobs_result_round_trips_through_its_row() -> None:
    row = {"model_reason": "a new build: the default model",
           "usage": {"prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.01}}
    result = read_result(row, GenerateResult)
    assert result.usage is not None and result.usage.tokens == 15
    # The sandbox pool adds the applied change; the generator's part stays.
    applied = Applied(files=["src/App.jsx"], preview_url="/preview/s/", version=2)
    both = read_result({**stored(result), **applied.wire()}, GenerateResult)
    assert (both.version, both.model_reason) == (2, "a new build: the default model")
    assert stored(both)["usage"] == row["usage"]
    assert read_result(None, GenerateResult).usage is None


def test_usage_adds_up() -> None:
    total = ModelUsage(prompt_tokens=1, completion_tokens=2, cost_usd=0.5) + ModelUsage(
        prompt_tokens=3, completion_tokens=4, cost_usd=0.25)
    assert (total.prompt_tokens, total.completion_tokens, total.cost_usd) == (4, 6, 0.75)


@pytest.mark.parametrize("kind", sorted(JOB_KINDS))
def test_every_job_kind_goes_to_a_job_subject_and_ends_with_a_result(kind: str) -> None:
    spec = JOB_KINDS[kind]
    assert spec.subject(Subjects()).startswith("jobs.")
    assert issubclass(spec.request, JobMessage)
    assert issubclass(spec.result, Completed)
    assert {"job", "complete", "error"} <= spec.events


def test_a_stream_is_checked_against_its_kind() -> None:
    assert stream_problem("generate", "stream", {"text": "<file", "attempt": 1}) is None
    assert stream_problem("generate", "complete", {"files": ["a"], "version": 1}) is None
    assert stream_problem("sandbox-kill", "stream", {"text": "x"}) == (
        "a sandbox-kill job may not emit 'stream'")
    problem = stream_problem("generate", "file", {"name": "src/App.jsx"})
    assert problem is not None and "is not a FileWritten" in problem
    problem = stream_problem("sandbox-kill", "complete", {})
    assert problem is not None and "is not a SandboxKilled" in problem
