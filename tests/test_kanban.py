"""Plan and build: a plan's tickets run as jobs on the bus, each after its dependencies, on
several generator processes; every ticket is its own version; a failed ticket blocks what
needs it and can be retried; a paused run starts nothing new and resumes where it stopped."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from paynto_cli.sse import Event, JobStream, parse_sse
from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import (
    assert_stream_of,
    completed,
    create_project,
    generate,
    running_system,
    scripted_model_env,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PLAN = {
    "blueprint": {"title": "Kiln & Co", "summary": "A pottery studio's site", "theme": "earthy",
                  "routes": ["/"], "navigation": ["Classes", "Shop"], "entities": ["class"]},
    "tickets": [
        {"key": "T1", "title": "Page shell", "type": "setup", "priority": "high",
         "complexity": "S", "depends_on": [], "acceptance": "App renders the sections",
         "files": ["src/App.jsx"]},
        {"key": "T2", "title": "Classes section", "type": "component", "priority": "medium",
         "complexity": "S", "depends_on": ["T1"], "acceptance": "lists three classes",
         "files": ["src/components/Classes.jsx"]},
        {"key": "T3", "title": "Shop section", "type": "component", "priority": "medium",
         "complexity": "S", "depends_on": ["T1"], "acceptance": "shows four mugs",
         "files": ["src/components/Shop.jsx"]},
        {"key": "T4", "title": "Footer with newsletter", "type": "feature", "priority": "low",
         "complexity": "M", "depends_on": ["T2", "T3"], "acceptance": "a signup field",
         "files": ["src/components/Footer.jsx"]},
    ],
}
APP = ('import Classes from "./components/Classes.jsx";\n'
       'import Shop from "./components/Shop.jsx";\nimport Footer from "./components/Footer.jsx";\n'
       "export default function App() {\n"
       "  return <main><Classes /><Shop /><Footer /></main>\n}\n")


def component(name: str, text: str) -> str:
    return (f'<file path="src/components/{name}.jsx">\nexport default function {name}() {{\n'
            f"  return <section>{text}</section>\n}}\n</file>")


ANSWERS = {
    "Page shell": f'<file path="src/App.jsx">\n{APP}</file>',
    "Classes section": component("Classes", "Wheel throwing, glazing, handbuilding"),
    "Shop section": component("Shop", "Four mugs"),
    "Footer with newsletter": component("Footer", "Sign up for the newsletter"),
}


def ticket_of(body: dict[str, Any]) -> str:
    """Which ticket a request builds (the ticket's title is in the last message)."""
    text = body["messages"][-1]["content"]
    for title in ANSWERS:
        if re.search(rf"\b{re.escape(title)}\b", text.split("Already built")[0]):
            return title
    raise AssertionError(f"no ticket in {text[:300]}")


async def plan_build(c: httpx.AsyncClient, project: str, prompt: str) -> list[Event]:
    stream = JobStream(c)
    events = [ev async for ev in stream.run("POST", "/api/plan-build",
                                            json={"project_id": project, "prompt": prompt})]
    assert_stream_of("plan", events)
    return events


async def run(c: httpx.AsyncClient, url: str, pause: str | None = None) -> list[Event]:
    """A build run's events until it ends; with ``pause``, pause the plan at the first one."""
    events: list[Event] = []
    async with c.stream("POST", url) as resp:
        assert resp.status_code == 200, await resp.aread()
        async for ev in parse_sse(resp.aiter_lines()):
            events.append(ev)
            if pause and ev.event == "ticket":
                paused = await c.post(pause)
                assert paused.status_code == 200, paused.text
                pause = None
            if ev.event == "complete":
                return events
    raise AssertionError(f"the run ended without complete: {[e.event for e in events]}")


async def board(c: httpx.AsyncClient, plan_id: str) -> dict[str, Any]:
    resp = await c.get(f"/api/plans/{plan_id}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_offline_plan_builds_the_whole_site(tmp_path: Path, nats_url: str) -> None:
    prompt = "a bakery in Lyon with a menu and opening hours"
    with running_system(tmp_path, nats_url) as system:
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            planned = await plan_build(c, project, prompt)
            plan_id = completed(planned).data["plan_id"]
            before = await board(c, plan_id)
            ran = await run(c, f"/api/plans/{plan_id}/build")
            after = await board(c, plan_id)
            built = (await c.get(f"/api/projects/{project}/files")).json()["files"]
            whole = await create_project(c)
            completed(await generate(c, whole, prompt))
            reference = (await c.get(f"/api/projects/{whole}/files")).json()["files"]
            listed = (await c.get(f"/api/projects/{project}/plans")).json()

    names = [e.event for e in planned]
    assert names[:1] == ["job"] and names[-2:] == ["plan_complete", "complete"], names
    tickets = [e.data for e in planned if e.event == "ticket"]
    assert names.index("blueprint") < names.index("ticket")
    assert len(tickets) == len(before["tickets"]) >= 4
    assert {t["state"] for t in before["tickets"]} == {"backlog"}
    assert before["state"] == "planned" and before["model"] == "offline"
    assert [p["id"] for p in listed] == [plan_id]

    assert ran[-1].data["state"] == "done", ran[-1].data
    assert after["state"] == "done"
    assert {t["state"] for t in after["tickets"]} == {"done"}
    # Each ticket is its own version; the shell (everything depends on it) came first.
    numbers = [t["version"] for t in after["tickets"]]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert after["tickets"][0]["key"] == "T1" and after["tickets"][0]["version"] == 1
    # Every ticket moved through the board's columns, in order.
    seen: dict[str, list[str]] = {}
    for ev in ran:
        if ev.event == "ticket":
            seen.setdefault(ev.data["key"], []).append(ev.data["state"])
    for key, states in seen.items():
        assert states == ["queued", "generating", "applying", "checking", "done"], (key, states)
    # Ticket by ticket, the offline generator's plan builds the same site as one generation.
    assert built == reference


async def test_dependencies_failure_retry_and_pause(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    fail_shop = {"on": True}
    requests: list[str] = []

    def answer(body: dict[str, Any]) -> Reply:
        if "JSON object" in body["messages"][0]["content"]:
            if len(body["messages"]) == 2:  # the first try: a plan whose tickets wait in a ring
                ring = json.loads(json.dumps(PLAN))
                ring["tickets"][0]["depends_on"] = ["T4"]
                return Reply(json.dumps(ring))
            return Reply("Here is the plan.\n```json\n" + json.dumps(PLAN) + "\n```")
        title = ticket_of(body)
        requests.append(title)
        if title == "Shop section" and fail_shop["on"]:
            # An edit of a file that does not exist: the ticket fails, cleanly.
            return Reply('<edit path="src/components/Nope.jsx">\n<<<<<<< SEARCH\nx\n=======\n'
                         "y\n>>>>>>> REPLACE\n</edit>")
        return Reply(ANSWERS[title], delay=1.0 if title == "Page shell" else 0.2)

    env = {**scripted_model_env(port), "AUTOFIX_ROUNDS": "0"}
    with running_system(tmp_path, nats_url, extra_env=env,
                        replicas={"generator": 2}) as system:
        async with ScriptedLLM.running(port) as llm, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            llm.default = answer
            project = await create_project(c)
            planned = await plan_build(c, project, "a pottery studio")
            plan_id = completed(planned).data["plan_id"]
            plan_job = (await c.get(f"/api/jobs/{planned[0].data['job_id']}")).json()
            repair = llm.requests[1]["messages"][-1]["content"]

            # Paused as soon as the first ticket is queued: it finishes, nothing else starts.
            paused = await run(c, f"/api/plans/{plan_id}/build",
                               pause=f"/api/plans/{plan_id}/pause")
            at_pause = await board(c, plan_id)

            stopped = await run(c, f"/api/plans/{plan_id}/resume")
            at_stop = await board(c, plan_id)
            prompts_at_stop = list(requests)

            fail_shop["on"] = False
            retried = await c.post(f"/api/plans/{plan_id}/tickets/T3/retry")
            not_failed = await c.post(f"/api/plans/{plan_id}/tickets/T1/retry")
            finished = await run(c, f"/api/plans/{plan_id}/build")
            at_end = await board(c, plan_id)
            footer_request = next(r for r in llm.requests
                                  if "Footer with newsletter" in r["messages"][-1]["content"])
            files = (await c.get(f"/api/projects/{project}/files")).json()["files"]

    # The first plan had a dependency cycle: it went back once, saying so, and was corrected.
    assert [e.data["repair"] for e in planned if e.event == "status" and "repair" in e.data] \
        == [1]
    assert repair.startswith("That plan cannot be used: dependency cycle: T1 -> T4")
    assert (plan_job["model"], plan_job["result"]["model_reason"]) == \
        ("openai/scripted", "a plan: the default model")
    assert plan_job["result"]["usage"]["prompt_tokens"] > 0  # both rounds, in the ledger
    assert paused[-1].data["state"] == "paused", paused[-1].data
    states = {t["key"]: t["state"] for t in at_pause["tickets"]}
    assert states == {"T1": "done", "T2": "backlog", "T3": "backlog", "T4": "backlog"}

    # T3 fails; T4 needs it and is blocked; T2 still gets built; the run stops.
    assert stopped[-1].data["state"] == "stopped"
    states = {t["key"]: t["state"] for t in at_stop["tickets"]}
    assert states == {"T1": "done", "T2": "done", "T3": "failed", "T4": "blocked"}, states
    t3 = next(t for t in at_stop["tickets"] if t["key"] == "T3")
    assert "Nope.jsx" in t3["error"]
    assert "Footer with newsletter" not in prompts_at_stop

    assert retried.status_code == 200 and not_failed.status_code == 409
    assert finished[-1].data["state"] == "done"
    versions = {t["key"]: t["version"] for t in at_end["tickets"]}
    assert versions["T1"] < versions["T2"] < versions["T4"]
    assert versions["T1"] < versions["T3"] < versions["T4"]
    # When the footer was asked for, both tickets it depends on were done and said so.
    done_part = footer_request["messages"][-1]["content"].split("Already built")[-1]
    assert "Classes section" in done_part and "Shop section" in done_part
    assert set(files) >= {"src/App.jsx", "src/components/Classes.jsx",
                          "src/components/Shop.jsx", "src/components/Footer.jsx"}
    assert "Four mugs" in files["src/components/Shop.jsx"]
    # Later tickets saw the project's files, fenced as data.
    assert '<data path="src/App.jsx">' in footer_request["messages"][-1]["content"]


async def test_killed_workers_lose_no_ticket(tmp_path: Path, nats_url: str) -> None:
    """A generator killed while a ticket is generating, then the sandbox pool killed while
    one is applying: the run still ends done, each ticket built once, as one version."""
    port = free_port()

    def answer(body: dict[str, Any]) -> Reply:
        if "JSON object" in body["messages"][0]["content"]:
            return Reply(json.dumps(PLAN))
        return Reply(ANSWERS[ticket_of(body)], delay=1.0)

    env = {**scripted_model_env(port), "AUTOFIX_ROUNDS": "0"}
    kills: list[str] = []
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(port, default=answer), \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            project = await create_project(c)
            plan_id = completed(await plan_build(c, project, "a pottery studio")).data["plan_id"]
            events: list[Event] = []
            async with c.stream("POST", f"/api/plans/{plan_id}/build") as resp:
                async for ev in parse_sse(resp.aiter_lines()):
                    events.append(ev)
                    state = ev.data.get("state") if ev.event == "ticket" else None
                    if state == "generating" and "generator" not in kills:
                        system.restart("generator", kill=True)
                        kills.append("generator")
                    elif state == "applying" and "sandbox-pool" not in kills and kills:
                        system.restart("sandbox_pool", kill=True)
                        kills.append("sandbox-pool")
                    if ev.event == "complete":
                        break
            after = await board(c, plan_id)
            versions = (await c.get(f"/api/projects/{project}/versions")).json()

    assert kills == ["generator", "sandbox-pool"]
    assert events[-1].event == "complete" and events[-1].data["state"] == "done", \
        events[-1].data
    assert {t["state"] for t in after["tickets"]} == {"done"}
    # Once each: four tickets, four versions, each ticket's job its own.
    assert len(versions) == 4
    assert sorted(t["version"] for t in after["tickets"]) == [1, 2, 3, 4]
    assert len({t["job_id"] for t in after["tickets"]}) == 4
