"""A project's conversation lives in the database, not in a process: after the generator
restarts, the next request still carries the earlier turns (and other projects' never)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from paynto_cli.launcher import wait_ready
from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import completed, create_project, generate, running_system, scripted_model_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
FIRST = ('Built a bakery site with a menu.\n'
         '<file path="src/App.jsx">export default () => "bakery"</file>')
SECOND = '<file path="src/App.jsx">export default () => "blue bakery"</file>'


async def test_earlier_turns_survive_a_restart(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    env = scripted_model_env(port)
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(port) as llm, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            llm.script(Reply(FIRST))
            completed(await generate(c, project, "a bakery site"))
            system.restart("generator")
            wait_ready(system)
            llm.script(Reply(SECOND), Reply(SECOND))
            completed(await generate(c, project, "make the title blue"))
            other = await create_project(c, "other")
            completed(await generate(c, other, "a florist"))
    first, second, unrelated = llm.requests
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    roles = [m["role"] for m in second["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert second["messages"][1]["content"] == "a bakery site"
    assert second["messages"][2]["content"] == \
        "Built a bakery site with a menu. (wrote src/App.jsx)"
    assert second["messages"][3]["content"].endswith("make the title blue")
    assert [m["role"] for m in unrelated["messages"]] == ["system", "user"]
