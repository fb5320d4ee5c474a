"""Which model a job uses, and why: short edits go to the fast model, new builds to the default
one; when the chosen model fails, the configured fallback finishes the job."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import completed, create_project, generate, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
SITE = '<file path="src/App.jsx">export default () => "site"</file>'


async def job_of(c: httpx.AsyncClient, events: list) -> dict:  # type: ignore[type-arg]
    job_id = events[0].data["job_id"]
    return dict((await c.get(f"/api/jobs/{job_id}")).json())


async def test_routing_and_fallback(tmp_path: Path, nats_url: str) -> None:
    primary_port, backup_port = free_port(), free_port()
    env = {"LLM_MODEL": "openai/strong", "LLM_FAST_MODEL": "openai/fast",
           "LLM_API_BASE": f"http://127.0.0.1:{primary_port}/v1", "LLM_API_KEY": "k",
           "LLM_FALLBACK_MODEL": "openai/backup",
           "LLM_FALLBACK_API_BASE": f"http://127.0.0.1:{backup_port}/v1",
           "LLM_FALLBACK_API_KEY": "k2"}
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(primary_port, default=Reply(SITE)) as primary, \
                ScriptedLLM.running(backup_port, default=Reply(SITE)) as backup, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            listed = (await c.get("/api/models")).json()["models"]
            project = await create_project(c)
            new_build = await generate(c, project, "a bakery site")
            edit = await generate(c, project, "make the title bigger")
            long_edit = await generate(c, project, "rework the layout " * 40)
            built, edited, reworked = [await job_of(c, e) for e in (new_build, edit, long_edit)]

            # The primary server fails: the backup model continues the job.
            primary.default = Reply("", status=503)
            failed_over = await generate(c, project, "a second page")
            rescued = await job_of(c, failed_over)
    for events in (new_build, edit, long_edit, failed_over):
        completed(events)
    assert [r["model"] for r in primary.requests[:3]] == ["strong", "fast", "strong"]
    assert (built["result"]["model_reason"], edited["result"]["model_reason"]) == \
        ("a new build: the default model",
         "a short change to an existing project (at most 400 characters): the fast model")
    assert reworked["result"]["model_reason"] == "a longer change: the default model"
    # A short change, so the fast model was chosen; it failed, the backup finished.
    assert (rescued["model"], rescued["result"]["fallback_from"]) == \
        ("openai/backup", "openai/fast")
    assert rescued["result"]["model_reason"] == "openai/fast failed: the fallback model"
    notice = [e.data for e in failed_over if e.event == "status" and e.data.get("fallback")]
    assert notice and notice[0]["reset"] is True and "openai/backup" in notice[0]["message"]
    assert [r["model"] for r in backup.requests] == ["backup"]
    roles = {m["id"]: m["roles"] for m in listed}
    assert roles == {"openai/strong": ["default"], "openai/fast": ["fast"],
                     "openai/backup": ["fallback"], "offline": ["offline: built in, not AI"]}
    assert "k2" not in str(listed) and str(backup_port) not in str(listed)
