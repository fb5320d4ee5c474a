"""One trace across the services, read back from a loopback OTLP receiver.

The whole system runs as separate processes, exporting by the standard ``OTEL_*`` variables to
a receiver on loopback that parses the real OTLP/HTTP protobuf bodies. A generate job is one
trace: the gateway's HTTP span is its root; the job's publish, the generator's handling and
its model call, the sandbox pool's apply with its steps, and the SSE relay hang under it, each
from its own process, correctly parented, with the model, tokens, cost, job kind and ids as
attributes, and neither the prompt nor the answer anywhere in a span. The same job's spans
are in the local traces files that ``paynto traces`` prints as a tree, and the services' JSON
log lines name the job, its project and its trace.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from paynto_cli.launcher import System
from paynto_cli.traces import pick_traces, read_spans, render
from paynto_common.messages import Subjects
from paynto_common.telemetry import traces_dir
from paynto_common.testing.otlp import OtlpReceiver, ReceivedSpan
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from paynto_common.testing.serve import serving_in_thread
from tests.system import completed, create_project, generate, running_system, scripted_model_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# Written by the scripted model: a marker that must not leave the files it is in.
ANSWER_MARKER = "answer-" + uuid.uuid4().hex
ANSWER = f'<file path="src/App.jsx">export default () => <h1>{ANSWER_MARKER}</h1></file>'
PROMPT_TOKENS, COMPLETION_TOKENS = 1234, 56
MODEL = "openai/gpt-4o-mini"  # priced in litellm's bundled map: the call has a cost


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[OtlpReceiver, str]]:
    received = OtlpReceiver()
    with serving_in_thread(received.app()) as url:
        yield received, url


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str,
           receiver: tuple[OtlpReceiver, str]) -> Iterator[System]:
    llm = ScriptedLLM(default=Reply(ANSWER, prompt_tokens=PROMPT_TOKENS,
                                    completion_tokens=COMPLETION_TOKENS))
    with serving_in_thread(llm.app()) as llm_url:
        env = scripted_model_env(int(urlsplit(llm_url).port or 0), MODEL) | {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver[1],
            # Export within a tenth of a second of a span's end, not the default five.
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "PAYNTO_TRACES_FILE": "true",
            "LOG_FORMAT": "json",
            "AUTOFIX_ROUNDS": "0",
        }
        with running_system(tmp_path_factory.mktemp("tracing"), nats_url,
                            extra_env=env) as sys_:
            yield sys_


def job_id_of(events: list[Any]) -> str:
    return str(next(e.data["job_id"] for e in events if e.event == "job"))


def trace_spans(spans: list[ReceivedSpan], job_id: str) -> list[ReceivedSpan]:
    """The spans of the trace the gateway's request for ``job_id`` started."""
    roots = {s.trace_id for s in spans
             if s.attributes.get("paynto.job_id") == job_id and s.kind == "SERVER"}
    return [s for s in spans if s.trace_id in roots]


async def wait_for_trace(received: OtlpReceiver, job_id: str,
                         names: set[tuple[str, str]]) -> list[ReceivedSpan]:
    """The job's trace, once it holds a span of each (service, name) in ``names``."""
    async with asyncio.timeout(30):
        while True:
            spans = trace_spans(received.spans, job_id)
            if names <= {(s.service, s.name) for s in spans}:
                return spans
            await asyncio.sleep(0.1)


def one(spans: list[ReceivedSpan], service: str, name: str) -> ReceivedSpan:
    (found,) = [s for s in spans if (s.service, s.name) == (service, name)]
    return found


def parent_of(spans: list[ReceivedSpan], span: ReceivedSpan) -> ReceivedSpan:
    (found,) = [s for s in spans if s.span_id == span.parent_id]
    return found


def chain(spans: list[ReceivedSpan], span: ReceivedSpan) -> list[tuple[str, str]]:
    """(service, name) of ``span`` and each ancestor, up to the root."""
    found = [(span.service, span.name)]
    while span.parent_id is not None:
        span = parent_of(spans, span)
        found.append((span.service, span.name))
    return found


async def test_a_generate_job_is_one_trace_across_the_services(
        system: System, receiver: tuple[OtlpReceiver, str]) -> None:
    received, _ = receiver
    prompt = f"a tea room called Prompt-{uuid.uuid4().hex} in Whitby"
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        project = await create_project(c, "traced site")
        events = await generate(c, project, prompt)
    completed(events)
    job_id = job_id_of(events)
    names = Subjects(system.env["PAYNTO_BUS_NAMESPACE"])
    subject = {"generate": names.generate, "apply": names.apply}
    spans = await wait_for_trace(received, job_id, {
        ("gateway", "POST /api/generate-ai-code-stream"), ("gateway", "sse relay"),
        ("generator", f"chat {MODEL}"), ("sandbox-pool", "apply"),
        ("sandbox-pool", "preview check")})

    # One trace, rooted at the gateway's HTTP span: every span naming the job is in it.
    (root,) = [s for s in spans if s.parent_id is None]
    assert (root.service, root.kind, root.name) == (
        "gateway", "SERVER", "POST /api/generate-ai-code-stream")
    assert {s.trace_id for s in received.spans
            if s.attributes.get("paynto.job_id") == job_id} == {root.trace_id}
    assert {"gateway", "generator", "sandbox-pool"} <= {s.service for s in spans}

    model_call = one(spans, "generator", f"chat {MODEL}")
    assert chain(spans, model_call) == [
        ("generator", f"chat {MODEL}"),
        ("generator", f"handle {subject['generate']}"),
        ("gateway", f"publish {subject['generate']}"),
        ("gateway", "POST /api/generate-ai-code-stream"),
    ]
    check = one(spans, "sandbox-pool", "preview check")
    assert chain(spans, check) == [
        ("sandbox-pool", "preview check"),
        ("sandbox-pool", "apply"),
        ("sandbox-pool", f"handle {subject['apply']}"),
        ("generator", f"publish {subject['apply']}"),
        ("generator", f"handle {subject['generate']}"),
        ("gateway", f"publish {subject['generate']}"),
        ("gateway", "POST /api/generate-ai-code-stream"),
    ]
    kinds = {s.name: s.kind for s in spans}
    assert kinds[f"publish {subject['generate']}"] == "PRODUCER"
    assert kinds[f"handle {subject['apply']}"] == "CONSUMER"
    assert model_call.kind == "CLIENT"

    # The model call: model, tokens and cost, and whose job it was.
    assert model_call.attributes["gen_ai.request.model"] == MODEL
    assert model_call.attributes["gen_ai.provider.name"] == "openai"
    assert model_call.attributes["gen_ai.usage.input_tokens"] == PROMPT_TOKENS
    assert model_call.attributes["gen_ai.usage.output_tokens"] == COMPLETION_TOKENS
    # gpt-4o-mini's listed prices: $0.15 and $0.60 per million tokens.
    assert model_call.attributes["paynto.cost_usd"] == pytest.approx(
        PROMPT_TOKENS * 0.15e-6 + COMPLETION_TOKENS * 0.6e-6)
    assert model_call.attributes["paynto.job_id"] == job_id
    assert model_call.attributes["paynto.project_id"] == project
    for kind, service in (("generate", "generator"), ("apply", "sandbox-pool")):
        handled = one(spans, service, f"handle {subject[kind]}")
        assert handled.attributes["paynto.job_kind"] == kind
        assert handled.attributes["paynto.job_id"] == job_id
        assert handled.attributes["paynto.project_id"] == project
    assert root.attributes["paynto.job_kind"] == "generate"

    # The SSE relay: under the request, with what it delivered.
    relay = one(spans, "gateway", "sse relay")
    assert relay.parent_id == root.span_id
    assert relay.attributes["paynto.sse.events"] == len(events)
    assert relay.attributes["paynto.sse.end"] == "complete"

    # Neither the prompt nor the model's answer is in any span of any service.
    texts = [text for span in received.spans for text in span.texts()]
    assert not [t for t in texts if "Prompt-" in t or ANSWER_MARKER in t]


async def test_the_offline_generator_is_traced_kept_locally_and_logged_by_job(
        system: System, receiver: tuple[OtlpReceiver, str]) -> None:
    received, _ = receiver
    marker = f"Offline-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        project = await create_project(c, "offline traced site")
        events = await generate(c, project, f"a bakery called {marker}", model="offline")
    completed(events)
    job_id = job_id_of(events)
    spans = await wait_for_trace(received, job_id, {
        ("generator", "chat offline"), ("sandbox-pool", "preview check"),
        ("gateway", "sse relay")})
    offline = one(spans, "generator", "chat offline")
    assert offline.attributes["gen_ai.request.model"] == "offline"
    assert offline.attributes["paynto.offline"] is True
    assert offline.attributes["paynto.output_chars"] > 0
    assert "gen_ai.usage.input_tokens" not in offline.attributes  # no tokens: not a model
    texts = [text for span in received.spans for text in span.texts()]
    assert not [t for t in texts if marker in t]

    # The same spans are in the services' traces files, joined into one tree by `paynto
    # traces` (polled: each service writes its file on its own schedule).
    folder = traces_dir(Path(system.env["PAYNTO_DATA_DIR"]))
    async with asyncio.timeout(30):
        while True:
            kept = pick_traces(read_spans(folder), job_id)
            names = {(s.service, s.name) for t in kept for s in t}
            if {("generator", "chat offline"), ("sandbox-pool", "preview check"),
                    ("gateway", "sse relay")} <= names:
                break
            await asyncio.sleep(0.1)
    tree = render(next(t for t in kept if any(s.parent_id is None and s.service == "gateway"
                                              for s in t))).splitlines()
    assert tree[0].startswith(f"trace {offline.trace_id}")
    depth = {line.split("  [")[0].strip(): len(line) - len(line.lstrip())
             for line in tree[1:]}
    # request → publish → handle → the model call; handle → publish → handle → apply → check
    assert [depth[name] for name in ("POST /api/generate-ai-code-stream", "chat offline",
                                     "apply", "preview check")] == [2, 8, 12, 14]
    assert not [line for line in tree if marker in line]

    # JSON log lines of the job's handling name the job, its project and its trace.
    lines = []
    for log in system.log_dir.glob("*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
    mine = [line for line in lines if line.get("job_id") == job_id]
    assert {line["service"] for line in mine} >= {"sandbox-pool"}
    assert all(line["project_id"] == project for line in mine)
    assert all(line["trace_id"] == offline.trace_id for line in mine)
    assert all({"time", "level", "logger", "message", "span_id"} <= set(line) for line in mine)
