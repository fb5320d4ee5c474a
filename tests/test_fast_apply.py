"""Fast-apply with Morph: with MORPH_API_KEY set, a model's partial ``<update>`` of a long file
is merged by Morph's apply model (here a loopback server speaking its OpenAI-compatible
protocol) before anything is stored; without it, such an answer is refused clearly."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import completed, create_project, generate, running_system, scripted_model_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

MENU = "".join(f"      <li>Dish {n}</li>\n" for n in range(1, 40))
ORIGINAL = ("export default function App() {\n  return (\n    <main>\n"
            '      <h1 className="text-3xl">Trattoria</h1>\n'
            f"      <ul>\n{MENU}      </ul>\n    </main>\n  )\n}}\n")
UPDATE = ('<update path="src/App.jsx">\n// ... existing code ...\n'
          '      <h1 className="text-3xl">Trattoria Lucia</h1>\n'
          "// ... existing code ...\n</update>")
MERGED = ORIGINAL.replace("Trattoria</h1>", "Trattoria Lucia</h1>")


async def seed(c: httpx.AsyncClient) -> str:
    project = await create_project(c)
    events = []
    async with c.stream("POST", "/api/apply-ai-code-stream", json={
            "project_id": project,
            "response": f'<file path="src/App.jsx">\n{ORIGINAL}</file>'}) as resp:
        async for line in resp.aiter_lines():
            events.append(line)
    assert "event: complete" in events, events
    return project


async def test_updates_are_merged_by_morph(tmp_path: Path, nats_url: str) -> None:
    port, morph_port = free_port(), free_port()
    env = {**scripted_model_env(port), "MORPH_API_KEY": "morph-key",
           "MORPH_API_BASE": f"http://127.0.0.1:{morph_port}/v1"}
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(port) as llm, \
                ScriptedLLM.running(morph_port, required_api_key="morph-key") as morph, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            listed = (await c.get("/api/models")).json()["models"]
            project = await seed(c)
            llm.script(Reply(f"Renamed it.\n{UPDATE}"))
            morph.script(Reply(f"```jsx\n{MERGED}```", prompt_tokens=900,
                               completion_tokens=400))
            events = await generate(c, project, "Rename the restaurant to Trattoria Lucia")
            files = (await c.get(f"/api/projects/{project}/files")).json()["files"]
            job = (await c.get(f"/api/jobs/{events[0].data['job_id']}")).json()
            told = llm.requests[-1]["messages"][-1]["content"]

            # Morph answers with a marker left in: refused, nothing written.
            llm.script(Reply(UPDATE.replace("Lucia", "Rosa")))
            morph.script(Reply("// ... existing code ...\n<h1>Trattoria Rosa</h1>\n"))
            refused = await generate(c, project, "Rename the restaurant to Trattoria Rosa")
            after_refusal = (await c.get(f"/api/projects/{project}/files")).json()["files"]
            spent = (await c.get(f"/api/projects/{project}/usage")).json()

    completed(events)
    assert {"id": "morph/morph-v3-fast", "ai": True,
            "roles": ["fast-apply: merges partial updates"]} in listed
    assert "morph-key" not in str(listed) and str(morph_port) not in str(listed)
    assert files["src/App.jsx"].strip() == MERGED.strip()
    (merge,) = morph.requests[:1]
    assert merge["model"] == "morph-v3-fast"
    content = merge["messages"][0]["content"]
    assert content.startswith("<instruction>Rename the restaurant to Trattoria Lucia")
    assert f"<code>{ORIGINAL}</code>" in content
    assert "<update>// ... existing code ...\n      <h1 className=\"text-3xl\">Trattoria Lucia" \
        in content
    notes = [e.data for e in events if e.event == "status" and "fast_apply" in e.data]
    assert notes and notes[0]["fast_apply"] == ["src/App.jsx"]
    # Morph's tokens count in the job's usage, beside the model's.
    assert job["result"]["usage"]["prompt_tokens"] > 900
    assert "<update path=" in told  # the model was told it may send updates

    (end,) = [e for e in refused if e.event in ("complete", "error")]
    assert end.event == "error" and "existing code" in end.data["message"], end.data
    assert after_refusal == files
    # Every call is in the ledger, those of the refused job too: it was spent all the same.
    assert spent["calls"] == 4
    assert {m: row["calls"] for m, row in spent["by_model"].items()} == \
        {"openai/scripted": 2, "morph/morph-v3-fast": 2}
    assert spent["by_model"]["morph/morph-v3-fast"]["prompt_tokens"] > 900


async def test_updates_without_morph_are_refused(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    with running_system(tmp_path, nats_url, extra_env=scripted_model_env(port)) as system:
        async with ScriptedLLM.running(port) as llm, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await seed(c)
            llm.script(Reply(UPDATE))
            events = await generate(c, project, "Rename the restaurant to Trattoria Lucia")
            told = llm.requests[-1]["messages"][-1]["content"]
            files = (await c.get(f"/api/projects/{project}/files")).json()["files"]
    (end,) = [e for e in events if e.event in ("complete", "error")]
    assert end.event == "error" and "MORPH_API_KEY" in end.data["message"], end.data
    assert "<update path=" not in told
    assert files["src/App.jsx"] == ORIGINAL
