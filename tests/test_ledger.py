"""The cost ledger: what each generation used is recorded, summed per project, per person and
in all, and a project (or a person) whose budget is spent starts no more generations."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import completed, create_project, generate, running_system, scripted_model_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
ANSWER = '<file path="src/App.jsx">export default () => "priced"</file>'


async def test_usage_adds_up_and_a_spent_budget_refuses(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    # A priced model name (litellm's bundled price map) served by the scripted server.
    env = scripted_model_env(port, "openai/gpt-4o-mini") | {
        "PROJECT_BUDGET_USD": "0.01", "USER_HEADER": "X-Forwarded-User",
        "USER_BUDGET_USD": "0.012"}
    reply = Reply(ANSWER, prompt_tokens=40_000, completion_tokens=2_000)
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(port, default=reply), \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            other = await create_project(c, "other")
            completed(await generate(c, project, "a priced site"))
            first = (await c.get(f"/api/projects/{project}/usage")).json()
            completed(await generate(c, project, "again"))
            spent = (await c.get(f"/api/projects/{project}/usage")).json()
            refused = await c.post("/api/generate-ai-code-stream",
                                   json={"project_id": project, "prompt": "once more"})
            elsewhere = (await c.get(f"/api/projects/{other}/usage")).json()
            total = (await c.get("/api/usage")).json()
            missing = await c.get("/api/projects/nope/usage")

            # One person's two projects, each under the project budget, together past theirs.
            ada = {"X-Forwarded-User": "ada"}
            first_of_ada = (await c.post("/api/projects", json={"name": "a"}, headers=ada))
            second_of_ada = (await c.post("/api/projects", json={"name": "b"}, headers=ada))
            adas = [first_of_ada.json()["id"], second_of_ada.json()["id"]]
            for owned in adas:
                completed(await generate(c, owned, "a site of ada's", headers=ada))
            ada_refused = await c.post("/api/generate-ai-code-stream", headers=ada,
                                       json={"project_id": adas[0], "prompt": "more"})
            ada_usage = (await c.get("/api/usage", headers=ada)).json()
            ada_id = (await c.get("/api/auth/me", headers=ada)).json()["id"]
            bob = {"X-Forwarded-User": "bob"}
            bobs = (await c.post("/api/projects", json={"name": "c"}, headers=bob)).json()["id"]
            completed(await generate(c, bobs, "a site of bob's", headers=bob))
    assert (first["calls"], first["prompt_tokens"], first["completion_tokens"]) == \
        (1, 40_000, 2_000)
    # gpt-4o-mini's listed prices: $0.15 and $0.60 per million tokens.
    assert first["cost_usd"] == pytest.approx(40_000 * 0.15e-6 + 2_000 * 0.6e-6)
    # Under the budget after one call, past it after two: the third is refused before it runs.
    assert first["cost_usd"] < 0.01 <= spent["cost_usd"]
    assert spent["calls"] == 2 and spent["cost_usd"] == pytest.approx(2 * first["cost_usd"])
    assert refused.status_code == 402 and "budget" in refused.json()["detail"]
    assert elsewhere["calls"] == 0
    assert total["calls"] == 2 and sum(m["calls"] for m in total["by_model"].values()) == 2
    assert missing.status_code == 404

    assert ada_usage["user"] == ada_id and ada_usage["calls"] == 2
    assert ada_usage["cost_usd"] == pytest.approx(2 * first["cost_usd"])
    assert ada_refused.status_code == 402, ada_refused.text
    assert "your model budget of $0.01" in ada_refused.json()["detail"]
