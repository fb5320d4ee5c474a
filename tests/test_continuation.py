"""An unfinished answer is finished by the model, not shown broken: a file cut off (the model
ran out of tokens) is continued from its last character, and a file with '...' in place of code
is asked for again in full."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import completed, create_project, generate, running_system, scripted_model_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
FULL = "export default function App() {\n  return <h1>Half and whole</h1>\n}\n"
ELIDED = "export default function App() {\n  // ... rest of the component\n}\n"


async def test_unfinished_answers_are_finished(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    env = scripted_model_env(port)
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(port) as llm, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            cut_at = FULL.index(" and")
            llm.script(Reply(f'<file path="src/App.jsx">{FULL[:cut_at]}', finish_reason="length"),
                       Reply(f"{FULL[cut_at:]}</file>"))
            cut = await generate(c, project, "a site")
            after_cut = (await c.get(f"/api/projects/{project}/files")).json()["files"]
            continue_request = llm.requests[-1]

            other = await create_project(c)
            llm.script(Reply(f'<file path="src/App.jsx">{ELIDED}</file>'),
                       Reply(f'Here it is in full.\n<file path="src/App.jsx">{FULL}</file>'))
            elided = await generate(c, other, "a site")
            after_elided = (await c.get(f"/api/projects/{other}/files")).json()["files"]
            elided_request = llm.requests[-1]
    for events in (cut, elided):
        completed(events)
        notes = [e.data for e in events if e.event == "status" and e.data.get("continuation")]
        assert [n["continuation"] for n in notes] == [1], notes
    assert after_cut["src/App.jsx"].strip() == FULL.strip()
    assert after_elided["src/App.jsx"].strip() == FULL.strip()
    # The model saw its own unfinished answer and was told what to do with it.
    roles = [m["role"] for m in continue_request["messages"]]
    assert roles[-2:] == ["assistant", "user"]
    assert "stopped inside src/App.jsx" in continue_request["messages"][-1]["content"]
    assert "placeholders" in elided_request["messages"][-1]["content"]
    # Nothing streamed twice: the client saw the answer once, in order.
    streamed = "".join(e.data["text"] for e in cut if e.event == "stream")
    assert streamed == f'<file path="src/App.jsx">{FULL}</file>'
