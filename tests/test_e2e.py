"""End to end: the services as separate processes on the real bus, SQLite and Postgres.

A prompt goes in through the gateway; the SSE stream runs to ``complete``; the preview is
fetched through the gateway's proxy from the sandboxed Vite server.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paynto_cli.launcher import System
from paynto_cli.sse import Event, JobStream, parse_sse
from paynto_common.runtime import free_port
from tests.system import (
    assert_stream_of,
    completed,
    create_project,
    generate,
    running_system,
    terminal,
)

pytestmark = pytest.mark.e2e
PROMPT = "a landing page for a coffee roastery"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("e2e"), nats_url) as sys_:
        yield sys_


def client_for(system: System) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=system.gateway_url, timeout=httpx.Timeout(30, read=120))


async def assert_generates_live_preview(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c, "coffee")
        events = await generate(c, project, PROMPT)
        names = [e.event for e in events]
        assert names[0] == "job"
        assert "stream" in names and "file" in names and "preview" in names
        done = completed(events)
        assert "src/App.jsx" in done.data["files"]
        ids = [int(e.id) for e in events if e.id]
        assert ids == sorted(set(ids)), "every event once, in order"
        # The stream said, truthfully, that no AI wrote this.
        assert any(e.event == "status" and e.data.get("ai") is False for e in events)

        preview = done.data["preview_url"]
        page = await c.get(preview)
        assert page.status_code == 200
        assert '<div id="root">' in page.text
        app_js = await c.get(preview + "src/App.jsx")
        assert app_js.status_code == 200
        assert "Coffee Roastery" in app_js.text
        # Vite transformed it (JSX compiled away), so the dev server really served it.
        assert "jsxDEV" in app_js.text or "jsx(" in app_js.text

        files = (await c.get(f"/api/projects/{project}/files")).json()
        assert files["version"] == 1
        assert files["files"]["src/App.jsx"].count("Coffee Roastery") >= 1


async def test_prompt_to_live_preview(system: System) -> None:
    await assert_generates_live_preview(system)


def niceness(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[16])


def dev_servers(pid: int) -> dict[int, int]:
    """The niceness of each node process under ``pid``; one that ends while it is looked at
    (a short-lived child) is left out."""
    found: dict[int, int] = {}
    try:
        children = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                    for child in (task / "children").read_text().split()]
    except FileNotFoundError:
        return found
    for child in children:
        try:
            program = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]
            if b"node" in program:
                found[child] = niceness(child)
        except FileNotFoundError:
            continue
        found.update(dev_servers(child))
    return found


async def test_sandboxes_give_way_to_the_requests_people_wait_on(system: System) -> None:
    # SANDBOX_POOL_NICE (10 by default): the pool's worker and the dev servers it starts
    # run at a lower CPU priority than the gateway and the generator.
    async with client_for(system) as c:
        project = await create_project(c, "nice")
        completed(await generate(c, project, PROMPT))
    base = niceness(os.getpid())
    assert niceness(system.procs["gateway"].pid) == base
    assert niceness(system.procs["generator"].pid) == base
    pool = system.procs["sandbox_pool"].pid
    assert niceness(pool) == max(base, 10)
    servers = dev_servers(pool)
    assert servers, "a running site has a dev server"
    assert set(servers.values()) == {max(base, 10)}


async def test_dropped_stream_resumes_with_last_event_id(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        first: list[Event] = []
        body = {"project_id": project, "prompt": "a portfolio for a photographer"}
        async with c.stream("POST", "/api/generate-ai-code-stream", json=body) as resp:
            async for ev in parse_sse(resp.aiter_lines()):
                first.append(ev)
                if len(first) == 5:
                    break  # the connection drops half-way
        job_id = first[0].data["job_id"]
        rest: list[Event] = []
        headers = {"Last-Event-ID": first[-1].id or ""}
        async with c.stream("GET", f"/api/jobs/{job_id}/events", headers=headers) as resp:
            rest = [ev async for ev in parse_sse(resp.aiter_lines())]
        async with c.stream("GET", f"/api/jobs/{job_id}/events") as resp:
            everything = [ev async for ev in parse_sse(resp.aiter_lines())]
        resumed = first + rest
        assert [(e.id, e.event) for e in resumed] == [(e.id, e.event) for e in everything]
        assert len({e.id for e in resumed}) == len(resumed)
        assert [e.event for e in terminal(resumed)] == ["complete"]


async def test_gateway_restart_loses_no_job(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        seen: list[Event] = []
        stream = JobStream(c)
        body = {"project_id": project, "prompt": "a gym with yoga classes"}
        restarted = False
        async for ev in stream.run("POST", "/api/generate-ai-code-stream", json=body):
            seen.append(ev)
            if not restarted and ev.event == "stream":
                system.restart("gateway")
                restarted = True
        assert restarted
        assert [e.event for e in terminal(seen)] == ["complete"]
        assert len({e.id for e in seen}) == len(seen)


async def test_bad_input_is_refused_clearly(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        r = await c.post("/api/generate-ai-code-stream", content=b"{not json",
                         headers={"content-type": "application/json"})
        assert r.status_code == 400 and "malformed" in r.json()["detail"]
        r = await c.post("/api/generate-ai-code-stream", json={"prompt": "x"})
        assert r.status_code == 422
        assert any(d["loc"][-1] == "project_id" for d in r.json()["detail"])
        r = await c.post("/api/generate-ai-code-stream",
                         json={"project_id": project, "prompt": "x" * 100_000})
        assert r.status_code == 422 and "limit" in r.json()["detail"]
        r = await c.post("/api/generate-ai-code-stream", content=b"x" * 2_000_000,
                         headers={"content-type": "application/json"})
        assert r.status_code == 413
        r = await c.post("/api/generate-ai-code-stream",
                         json={"project_id": "nope", "prompt": "hello"})
        assert r.status_code == 404 and "unknown project" in r.json()["detail"]
        r = await c.get("/api/jobs/nope/events")
        assert r.status_code == 404
        r = await c.get("/preview/nope/")
        assert r.status_code == 404


async def apply(c: httpx.AsyncClient, project: str, response: str) -> list[Event]:
    stream = JobStream(c)
    body = {"project_id": project, "response": response}
    events = [ev async for ev in stream.run("POST", "/api/apply-ai-code-stream", json=body)]
    assert_stream_of("apply", events)
    return events


@pytest.mark.parametrize("path", ["../../etc/x", "/abs/path", "src/../../x",
                                  "node_modules/react/index.js", "package.json"])
async def test_unsafe_model_paths_are_refused(system: System, path: str) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        events = await apply(c, project, f'<file path="{path}">pwned</file>')
        (end,) = terminal(events)
        assert end.event == "error"
        assert "unsafe path" in end.data["message"]
        assert not any(e.event == "file" for e in events)
        assert (await c.get(f"/api/projects/{project}/files")).json()["version"] == 0
    assert not Path("/etc/x").exists() and not Path("/abs/path").exists()


async def test_symlink_planted_in_workspace_is_not_followed(
    system: System, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    async with client_for(system) as c:
        project = await create_project(c)
        ok = await apply(c, project, '<file path="src/App.jsx">export default () => null'
                                     "</file>")
        done = completed(ok)
        sandbox_id = done.data["preview_url"].strip("/").split("/")[-1]
        workspace = Path(system.env["PAYNTO_DATA_DIR"]) / "sandboxes" / sandbox_id
        (workspace / "src" / "evil").symlink_to(outside)
        events = await apply(c, project, '<file path="src/evil/x.js">pwned</file>')
        (end,) = terminal(events)
        assert end.event == "error", end.data
        assert list(outside.iterdir()) == []
        # The project and its other jobs are unaffected.
        again = await apply(c, project, '<file path="src/App.jsx">export default () => "ok"'
                                        "</file>")
        assert [e.event for e in terminal(again)] == ["complete"]


async def test_sandbox_endpoint_gives_a_preview(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        r = await c.post("/api/create-ai-sandbox-v2", json={"project_id": project})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["preview_url"] == f"/preview/{body['sandbox_id']}/"
        page = await c.get(body["preview_url"])
        assert page.status_code == 200


async def test_every_service_answers_health_and_metrics(system: System) -> None:
    async with client_for(system) as c:
        r = await c.get("/metrics")
        assert r.status_code == 200 and "paynto_http_requests_total" in r.text
        r = await c.get("/readyz")
        assert r.json()["checks"] == {"nats": True, "database": True, "redis": True}
        for name, port in system.health_ports.items():
            base = f"http://127.0.0.1:{port}"
            assert (await c.get(base + "/healthz")).status_code == 200, name
            ready = await c.get(base + "/readyz")
            assert ready.status_code == 200 and ready.json()["ready"], name
            metrics = (await c.get(base + "/metrics")).text
            assert "paynto_jobs_in_flight" in metrics, name
        # The workers that ran a job counted it (one of its own: tests may run alone).
        await generate(c, await create_project(c), "a bakery")
        gen = (await c.get(f"http://127.0.0.1:{system.health_ports['generator']}/metrics")).text
        handled = [line for line in gen.splitlines()
                   if line.startswith("paynto_jobs_handled_total{") and 'outcome="ok"' in line]
        assert handled and float(handled[0].rsplit(" ", 1)[1]) >= 1


async def test_events_are_json(system: System) -> None:
    """The contract: every event's data is JSON (checked on a replay of a finished job)."""
    async with client_for(system) as c:
        project = await create_project(c)
        events = await generate(c, project, "a bakery")
        async with c.stream("GET", f"/api/jobs/{events[0].data['job_id']}/events") as r:
            lines = [line async for line in r.aiter_lines() if line.startswith("data:")]
        assert len(lines) == len(events)
        for line in lines:
            json.loads(line[5:])


async def test_postgres_path(tmp_path: Path, nats_url: str, postgres_url: str) -> None:
    with running_system(tmp_path, nats_url, database_url=postgres_url) as sys_:
        await assert_generates_live_preview(sys_)


async def test_fresh_machine_starts_embedded_servers(tmp_path: Path) -> None:
    """No NATS and no Redis at their URLs: the embedded ones start and serve the whole flow."""
    nats_url = f"nats://127.0.0.1:{free_port()}"
    redis_url = f"redis://127.0.0.1:{free_port()}/0"
    with running_system(tmp_path, nats_url, redis_url=redis_url) as sys_:
        assert sorted(sys_.infra.started) == ["nats", "redis"]
        assert sys_.infra.nats_url == nats_url
        await assert_generates_live_preview(sys_)


async def test_hmr_websocket_through_the_gateway_sees_an_edit(system: System) -> None:
    """The Vite HMR socket, proxied by the gateway, announces an applied edit."""
    import websockets
    from websockets.typing import Subprotocol

    async with client_for(system) as c:
        project = await create_project(c)
        first = await apply(c, project, '<file path="src/App.jsx">export default () => "one"'
                                        "</file>")
        done = completed(first)
        preview = done.data["preview_url"]
        await c.get(preview + "src/App.jsx")  # the browser has loaded the module
        ws_url = system.gateway_url.replace("http://", "ws://") + preview
        async with websockets.connect(ws_url, subprotocols=[Subprotocol("vite-hmr")]) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connected"
            second = await apply(c, project, '<file path="src/App.jsx">export default () => '
                                             '"two"</file>')
            assert [e.event for e in terminal(second)] == ["complete"]
            async with asyncio.timeout(15):
                while True:
                    msg = json.loads(await ws.recv())
                    if msg["type"] in ("update", "full-reload"):
                        break
        assert '"two"' in (await c.get(preview + "src/App.jsx")).text


async def test_imported_package_is_installed_and_served(system: System) -> None:
    app = ('import clsx from "clsx";\n'
           'export default function App() { return <p className={clsx("a", "b")}>pkg</p> }\n')
    async with client_for(system) as c:
        project = await create_project(c)
        events = await apply(c, project, f'<file path="src/App.jsx">{app}</file>')
        done = completed(events)
        assert [e.data["name"] for e in events if e.event == "package"] == ["clsx"]
        module = await c.get(done.data["preview_url"] + "src/App.jsx")
        assert module.status_code == 200 and "clsx" in module.text
        # Vite resolved the bare import to the installed package.
        assert "/node_modules/" in module.text or "/@fs/" in module.text or ".vite/deps" in \
            module.text


async def test_unknown_package_name_is_refused_before_anything_runs(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        events = await apply(c, project, '<package>$(touch /tmp/pwned)</package>\n'
                                         '<file path="src/App.jsx">export default () => null'
                                         "</file>")
        assert [e.event for e in terminal(events)] == ["complete"]
        warnings = [e for e in events if e.data.get("warning") == "bad_package"]
        assert warnings and "$(touch" in warnings[0].data["message"]
    assert not Path("/tmp/pwned").exists()


async def install(c: httpx.AsyncClient, project: str, packages: list[str]) -> list[Event]:
    body = {"project_id": project, "packages": packages}
    events = [ev async for ev in JobStream(c).run("POST", "/api/install-packages", json=body)]
    assert_stream_of("install", events)
    return events


async def test_install_packages_endpoint(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        events = await install(c, project, ["clsx"])
        done = completed(events)
        assert done.data["packages"] == ["clsx"]
        assert done.data["installed"] == ["clsx"]
        assert [e.data["name"] for e in events if e.event == "package"] == ["clsx"]
        again = await install(c, project, ["clsx"])
        assert terminal(again)[0].data["installed"] == []

        bad = await install(c, project, ["clsx", "$(touch /tmp/pwned2)"])
        (end,) = terminal(bad)
        assert end.event == "error" and "refused package" in end.data["message"]
        r = await c.post("/api/install-packages", json={"project_id": project, "packages": []})
        assert r.status_code == 422
    assert not Path("/tmp/pwned2").exists()


async def test_sandbox_status_logs_restart_and_kill(system: System) -> None:
    async with client_for(system) as c:
        project = await create_project(c)
        status = (await c.get("/api/sandbox-status", params={"project_id": project})).json()
        assert status["status"] == "none"
        events = await apply(c, project, '<file path="src/App.jsx">export default () => "s"'
                                         "</file>")
        preview = terminal(events)[0].data["preview_url"]
        status = (await c.get("/api/sandbox-status", params={"project_id": project})).json()
        assert (status["status"], status["preview_url"], status["version"]) == \
            ("running", preview, 1)
        held = (await c.get("/api/get-sandbox-files", params={"project_id": project})).json()
        assert held["version"] == 1 and held["structure"] == ["src/App.jsx"]
        assert held["files"]["src/App.jsx"].strip() == 'export default () => "s"'
        assert (await c.get("/api/get-sandbox-files",
                            params={"project_id": "nope"})).status_code == 404

        logs = (await c.get("/api/sandbox-logs", params={"project_id": project})).json()
        assert logs["running"] is True and any("PAYNTO_READY" in line for line in logs["lines"])

        restarted = await c.post("/api/restart-vite", json={"project_id": project})
        assert restarted.status_code == 200 and restarted.json()["preview_url"] == preview
        assert (await c.get(preview + "src/App.jsx")).status_code == 200

        killed = await c.post("/api/kill-sandbox", json={"project_id": project})
        assert killed.json() == {"stopped": True}
        status = (await c.get("/api/sandbox-status", params={"project_id": project})).json()
        assert status["status"] == "stopped" and status["preview_url"] is None
        # The files are safe: a restart builds a new sandbox from the stored version.
        revived = (await c.post("/api/restart-vite", json={"project_id": project})).json()
        assert revived["preview_url"] != preview
        assert '"s"' in (await c.get(revived["preview_url"] + "src/App.jsx")).text
        again = await c.post("/api/kill-sandbox", json={"project_id": project})
        assert again.json() == {"stopped": True}
        assert (await c.post("/api/kill-sandbox", json={"project_id": project})).json() == \
            {"stopped": False}
        r = await c.get("/api/sandbox-status", params={"project_id": "nope"})
        assert r.status_code == 404


async def test_missing_imports_get_visible_placeholders(system: System) -> None:
    app = ("import Hero from './components/Hero'\n"
           "import { Nav } from './components/Nav'\n"
           "export default function App() { return <main><Nav /><Hero /></main> }\n")
    async with client_for(system) as c:
        project = await create_project(c)
        events = await apply(c, project, f'<file path="src/App.jsx">{app}</file>')
        done = completed(events)
        warned = {e.data["path"] for e in events if e.data.get("warning") == "missing_import"}
        assert warned == {"src/components/Hero.jsx", "src/components/Nav.jsx"}
        module = await c.get(done.data["preview_url"] + "src/components/Nav.jsx")
        assert module.status_code == 200 and "Missing file: src/components/Nav.jsx" in \
            module.text
        # The placeholders are part of the version, so a rebuilt sandbox has them too.
        files = (await c.get(f"/api/projects/{project}/files")).json()["files"]
        assert "src/components/Hero.jsx" in files
        # Writing the real file replaces its placeholder.
        real = '<file path="src/components/Hero.jsx">export default () => "hero"</file>'
        again = await apply(c, project, real)
        assert not any(e.data.get("warning") == "missing_import" and
                       e.data["path"] == "src/components/Hero.jsx" for e in again)
        # Vite's file watcher picks the new file up a moment after it is written.
        async with asyncio.timeout(10):
            while '"hero"' not in (await c.get(done.data["preview_url"] +
                                                "src/components/Hero.jsx")).text:
                await asyncio.sleep(0.05)


async def test_a_tsx_app_is_wired_into_the_template(system: System) -> None:
    app = ("type Props = { title: string }\n"
           "function Title({ title }: Props) { return <h1>{title}</h1> }\n"
           'export default function App() { return <Title title="Typed Site" /> }\n')
    async with client_for(system) as c:
        project = await create_project(c)
        events = await apply(c, project, f'<file path="src/App.tsx">{app}</file>')
        done = completed(events)
        preview = done.data["preview_url"]
        entry = await c.get(preview + "src/App.jsx")
        assert entry.status_code == 200 and "App.tsx" in entry.text
        compiled = await c.get(preview + "src/App.tsx")
        assert compiled.status_code == 200 and "Typed Site" in compiled.text
        assert "type Props" not in compiled.text  # Vite stripped the types

        # A TypeScript entry of its own is what index.html ends up running.
        main = ("import { createRoot } from 'react-dom/client'\n"
                "import App from './App'\n"
                "const root: HTMLElement = document.getElementById('root')!\n"
                "createRoot(root).render(<App />)\n")
        events = await apply(c, project, f'<file path="src/main.tsx">{main}</file>')
        completed(events)
        assert any("wired src/main.tsx" in e.data.get("message", "") for e in events
                   if e.event == "status"), [e.data for e in events]
        entry = await c.get(preview + "src/main.jsx")
        assert entry.status_code == 200 and "main.tsx" in entry.text
        compiled = await c.get(preview + "src/main.tsx")
        assert compiled.status_code == 200 and "HTMLElement" not in compiled.text


async def test_restore_and_fork_a_version(system: System) -> None:
    def page(marker: str) -> str:
        return f"export default function App() {{ return <h1>{marker}</h1> }}\n"

    async with client_for(system) as c:
        project = await create_project(c, "versions")
        completed(await apply(c, project, f'<file path="src/App.jsx">{page("first-v")}</file>'))
        completed(await apply(c, project, f'<file path="src/App.jsx">{page("second-v")}</file>'
                                          '<file path="src/Extra.jsx">export const x = '
                                          "'extra-file'</file>"))
        url = f"/api/projects/{project}/versions/1/restore"
        events = [ev async for ev in JobStream(c).run("POST", url)]
        assert_stream_of("restore", events)
        done = completed(events)
        assert (done.data["version"], done.data["restored_from"]) == (3, 1)
        assert any("restoring version 1 as version 3" in e.data.get("message", "")
                   for e in events if e.event == "status")
        files = (await c.get(f"/api/projects/{project}/files")).json()
        assert files["version"] == 3
        assert sorted(files["files"]) == ["src/App.jsx"]
        assert "first-v" in files["files"]["src/App.jsx"]
        versions = (await c.get(f"/api/projects/{project}/versions")).json()
        assert versions[0]["model"] == "restored from version 1"
        status = (await c.get("/api/sandbox-status", params={"project_id": project})).json()
        assert status["version"] == 3 and status["status"] == "running"
        shown = await c.get(status["preview_url"] + "src/App.jsx")
        assert "first-v" in shown.text
        assert "extra-file" not in (await c.get(status["preview_url"] + "src/Extra.jsx")).text

        fork = await c.post(f"/api/projects/{project}/fork", json={"version": 2})
        assert fork.status_code == 201, fork.text
        forked = fork.json()
        assert forked["id"] != project and forked["name"] == "versions (fork)"
        copied = (await c.get(f"/api/projects/{forked['id']}/files")).json()
        assert copied["version"] == 1
        assert sorted(copied["files"]) == ["src/App.jsx", "src/Extra.jsx"]
        assert "second-v" in copied["files"]["src/App.jsx"]

        assert (await c.post(f"/api/projects/{project}/versions/9/restore")).status_code == 404
        assert (await c.post(f"/api/projects/{project}/fork", json={"version": 9})).status_code \
            == 404
        assert (await c.post("/api/projects/nope/fork", json={})).status_code == 404
        assert (await c.post(f"/api/projects/{project}/fork",
                             json={"version": 0})).status_code == 422


async def test_an_edit_changes_one_file_exactly_or_nothing(system: System) -> None:
    app = ("import Footer from './Footer.jsx'\n"
           "export default function App() {\n"
           "  return <main><h1>Old title</h1><p>same</p><p>same</p><Footer /></main>\n}\n")
    footer = "export default function Footer() { return <footer>footer-v1</footer> }\n"

    def edit(search: str, replace: str) -> str:
        return (f'<edit path="src/App.jsx">\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n'
                ">>>>>>> REPLACE\n</edit>")

    async with client_for(system) as c:
        project = await create_project(c, "edits")
        completed(await apply(c, project, f'<file path="src/App.jsx">{app}</file>'
                                          f'<file path="src/Footer.jsx">{footer}</file>'))
        events = await apply(c, project, "New title.\n" + edit("<h1>Old title</h1>",
                                                                 "<h1>New title</h1>"))
        done = completed(events)
        assert done.data["files"] == ["src/App.jsx"] and done.data["version"] == 2
        assert [e.data["path"] for e in events if e.event == "file"] == ["src/App.jsx"]
        assert any(e.data.get("edit") == "src/App.jsx" for e in events if e.event == "status")
        files = (await c.get(f"/api/projects/{project}/files")).json()["files"]
        assert files["src/App.jsx"] == app.replace("Old title", "New title")
        assert files["src/Footer.jsx"] == footer
        shown = await c.get(done.data["preview_url"] + "src/App.jsx")
        assert "New title" in shown.text

        for bad, reason in ((edit("<h1>Missing</h1>", "x"), "is not in the file"),
                            (edit("<p>same</p>", "<p>x</p>"), "occurs 2 times")):
            (end,) = terminal(await apply(c, project, bad))
            assert end.event == "error" and reason in end.data["message"], end.data
        # Nothing of a refused answer was applied.
        assert (await c.get(f"/api/projects/{project}/files")).json()["version"] == 2
        shown = await c.get(done.data["preview_url"] + "src/App.jsx")
        assert "New title" in shown.text
