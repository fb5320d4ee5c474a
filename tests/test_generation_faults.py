"""The litellm path end to end, against a scripted OpenAI-compatible server on loopback:
provider errors, cut streams and a generator killed mid-job all end in one ``complete`` or
one clear ``error``, never a hang and never a second result."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from paynto_cli.launcher import System
from paynto_cli.sse import Event, JobStream
from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import create_project, generate, running_system, terminal

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

GOOD = (
    "<explanation>A tiny page.</explanation>\n"
    '<file path="src/App.jsx">export default function App() {\n'
    '  return <main className="p-8"><h1>Scripted Bakery</h1></main>\n}\n</file>\n'
)
LLM_PORT = free_port()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    env = {
        "LLM_MODEL": "openai/scripted",
        "LLM_API_BASE": f"http://127.0.0.1:{LLM_PORT}/v1",
        "LLM_API_KEY": "test-key",
        "LLM_TIMEOUT_SECONDS": "10",
        "MAX_DELIVER": "4",
    }
    with running_system(tmp_path_factory.mktemp("faults"), nats_url, extra_env=env) as s:
        yield s


async def run_job(system: System, prompt: str = "a bakery") -> list[Event]:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        project = await create_project(c)
        return await generate(c, project, prompt)


def streamed_text(events: list[Event]) -> str:
    """What a client shows: stream text since the last reset."""
    text = ""
    for e in events:
        if e.data.get("reset"):
            text = ""
        if e.event == "stream":
            text += e.data["text"]
    return text


async def test_streams_usage_and_completes(system: System) -> None:
    async with ScriptedLLM.running(LLM_PORT, replies=[Reply(GOOD, prompt_tokens=321,
                                                            completion_tokens=45)]) as llm:
        events = await run_job(system)
    (end,) = terminal(events)
    assert end.event == "complete", end.data
    assert streamed_text(events) == GOOD
    assert any(e.event == "status" and e.data.get("model") == "openai/scripted"
               and e.data.get("ai") is True for e in events)
    assert len(llm.requests) == 1
    assert llm.requests[0]["stream"] is True
    assert llm.requests[0]["messages"][0]["role"] == "system"
    async with httpx.AsyncClient(base_url=system.gateway_url) as c:
        job = (await c.get(f"/api/jobs/{events[0].data['job_id']}")).json()
    assert job["status"] == "complete"
    assert job["result"]["version"] == 1
    usage = job["result"]["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (321, 45)


async def test_rate_limit_and_cut_stream_are_retried(system: System) -> None:
    replies = [Reply(status=429, retry_after=0.1), Reply(GOOD, cut_after_chars=40),
               Reply(GOOD)]
    async with ScriptedLLM.running(LLM_PORT, replies=replies) as llm:
        events = await run_job(system)
    assert [e.event for e in terminal(events)] == ["complete"]
    assert len(llm.requests) == 3
    retries = [e for e in events if e.event == "status" and "will retry" in
               e.data.get("message", "")]
    assert len(retries) == 2
    assert streamed_text(events) == GOOD


async def test_refused_key_fails_at_once(system: System) -> None:
    async with ScriptedLLM.running(LLM_PORT, replies=[Reply(status=401)]) as llm:
        events = await run_job(system)
    (end,) = terminal(events)
    assert end.event == "error"
    assert "refused" in end.data["message"]
    assert len(llm.requests) == 1


async def test_outage_ends_in_a_clear_error(system: System) -> None:
    async with ScriptedLLM.running(LLM_PORT, default=Reply(status=500)) as llm:
        events = await run_job(system)
    (end,) = terminal(events)
    assert end.event == "error"
    assert "gave up after 4 attempts" in end.data["message"]
    assert len(llm.requests) == 4


async def test_generator_killed_mid_job_is_redelivered_and_completes_once(
    system: System,
) -> None:
    slow = Reply(GOOD, chunk_size=4, chunk_delay=0.1)  # about six seconds of streaming
    async with ScriptedLLM.running(LLM_PORT, replies=[slow], default=Reply(GOOD)) as llm:
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            events: list[Event] = []
            killed = False
            body = {"project_id": project, "prompt": "a bakery"}
            async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream", json=body):
                events.append(ev)
                if ev.event == "stream" and not killed:
                    system.restart("generator", kill=True)
                    killed = True
            files = (await c.get(f"/api/projects/{project}/files")).json()
    assert killed
    assert [e.event for e in terminal(events)] == ["complete"]
    assert any(e.data.get("reset") for e in events), "the client was told to start over"
    assert streamed_text(events) == GOOD
    assert len(llm.requests) == 2
    assert files["version"] == 1, "one version, not two"



async def test_a_generation_cancelled_mid_stream_stops_and_stores_nothing(
    system: System,
) -> None:
    slow = Reply(GOOD, chunk_size=4, chunk_delay=0.1)  # about six seconds of streaming
    async with ScriptedLLM.running(LLM_PORT, replies=[slow], default=Reply(GOOD)) as llm:
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            events: list[Event] = []
            job_id = ""
            body = {"project_id": project, "prompt": "a bakery"}
            async for ev in JobStream(c).run("POST", "/api/generate-ai-code-stream", json=body):
                events.append(ev)
                if ev.event == "job":
                    job_id = ev.data["job_id"]
                if ev.event == "stream" and len(events) == 3:
                    assert (await c.post(f"/api/jobs/{job_id}/cancel")).status_code == 200
            row = (await c.get(f"/api/jobs/{job_id}")).json()
            # The generator is free again at once: the next job runs to its end.
            after = await generate(c, await create_project(c), "a second bakery")
            files = (await c.get(f"/api/projects/{project}/files")).json()
    assert events[-1].event == "cancelled"
    assert row["status"] == "cancelled"
    assert files["version"] == 0, "a cancelled generation stored a version"
    assert len(llm.requests) == 2, "the cancelled job was asked again, or never stopped"
    assert [e.event for e in terminal(after)] == ["complete"]
