"""Two sandbox-pool processes share one warm pool; killing the one that holds a project's
sandbox loses nothing: the next edit restores every file on the other and says so."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx
import nats
import pytest

from paynto_cli.sse import Event, JobStream
from paynto_common.messages import Subjects
from tests.system import completed, create_project, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def component(name: str, marker: str) -> str:
    return f"export default function {name}() {{ return <p>{marker}</p> }}\n"


async def apply(c: httpx.AsyncClient, project: str, files: dict[str, str]) -> list[Event]:
    response = "".join(f'<file path="{path}">{text}</file>' for path, text in files.items())
    body = {"project_id": project, "response": response}
    return [ev async for ev in JobStream(c).run("POST", "/api/apply-ai-code-stream", json=body)]


async def lease_owner(nats_url: str, namespace: str, project: str) -> str:
    nc = await nats.connect(nats_url)
    try:
        kv = await nc.jetstream().key_value(Subjects(namespace).sandbox_bucket)
        entry = await kv.get(f"project.{project}")
        assert entry.value is not None
        return str(json.loads(entry.value)["owner"])
    finally:
        await nc.close()


async def test_killing_the_owner_replica_loses_nothing(tmp_path: Path, nats_url: str) -> None:
    env = {"SANDBOX_POOL_SIZE": "1"}
    with running_system(tmp_path, nats_url, extra_env=env,
                        replicas={"sandbox_pool": 2}) as system:
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            first = completed(await apply(c, project, {
                "src/App.jsx": "import A from './A.jsx'\nimport B from './B.jsx'\n"
                               "export default function App() { return <><A /><B /></> }\n",
                "src/A.jsx": component("A", "alpha-1"),
                "src/B.jsx": component("B", "beta-1"),
            }))
            second = completed(await apply(c, project, {"src/B.jsx": component("B", "beta-2")}))
            assert second.data["preview_url"] == first.data["preview_url"]

            owner = await lease_owner(nats_url, system.env["PAYNTO_BUS_NAMESPACE"], project)
            # The replica id carries its process id: <host>-<pid>-<random>.
            pid = int(owner.split("-")[-2])
            (name,) = [n for n, p in system.procs.items() if p.pid == pid]
            os.kill(pid, signal.SIGKILL)
            system.procs[name].wait()

            third = await apply(c, project, {"src/A.jsx": component("A", "alpha-3")})
            done = completed(third)
            recovered = [e for e in third if e.event == "status" and e.data.get("recovered")]
            assert recovered, [e.data for e in third]
            assert "version 2" in recovered[0].data["message"]
            preview = done.data["preview_url"]
            assert preview != first.data["preview_url"]
            # Every file of the project is back, with the last edit on top.
            page = await c.get(preview)
            assert page.status_code == 200
            a = await c.get(preview + "src/A.jsx")
            b = await c.get(preview + "src/B.jsx")
            assert "alpha-3" in a.text and "beta-2" in b.text
            files = (await c.get(f"/api/projects/{project}/files")).json()
            assert files["version"] == 3
