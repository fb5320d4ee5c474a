"""A one-line edit on a 30-file project, through the real services and a scripted model: the
model is sent the one file the request concerns and answers with a search/replace block; the
new version changes that file only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from paynto_common.testing.sites import sectioned_site
from tests.system import completed, create_project, generate, running_system, scripted_model_env
from tests.test_sandbox_replicas import apply

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

EDIT = """Changing the footer's line.
<edit path="src/components/Footer.jsx">
<<<<<<< SEARCH
      <p className="text-gray-600">Footer line 3 of the copy</p>
=======
      <p className="text-gray-600">Made in Lisbon</p>
>>>>>>> REPLACE
</edit>
"""


async def test_a_one_line_edit_sends_and_changes_one_file(tmp_path: Path,
                                                          nats_url: str) -> None:
    port = free_port()
    env = scripted_model_env(port)
    site = sectioned_site()
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(port, default=Reply(EDIT)) as llm, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            completed(await apply(c, project, site))
            events = await generate(c, project, "Change the footer's line 3 to 'Made in Lisbon'")
            done = completed(events)
            files = (await c.get(f"/api/projects/{project}/files")).json()
            shown = await c.get(done.data["preview_url"] + "src/components/Footer.jsx")
    (request,) = llm.requests
    sent = request["messages"][-1]["content"]
    assert "Footer line 3 of the copy" in sent
    assert "Pricing line 3 of the copy" not in sent and "src/components/Pricing.jsx" in sent
    context = [e.data for e in events if e.event == "status" and "context" in e.data]
    assert context and context[0]["context"] == ["src/components/Footer.jsx"]
    assert done.data["files"] == ["src/components/Footer.jsx"] and files["version"] == 2
    changed = {p for p, text in files["files"].items() if site.get(p) != text}
    assert changed == {"src/components/Footer.jsx"}
    assert "Made in Lisbon" in shown.text
