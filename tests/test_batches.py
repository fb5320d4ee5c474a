"""Batch cloning through the real system (every service a process, the batch worker on
dramatiq over the machine's Redis): 20 URLs with 2 broken sites end 18 done and 2 failed with
their reasons, retries visible; a batch worker killed mid-batch is replaced and the batch
ends with no site cloned twice; the build check runs vite build; pause, resume, cancel; the
CLI's progress bar and table."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.responses import PlainTextResponse

from paynto_cli.launcher import System
from paynto_cli.sse import parse_sse
from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from scraper.testing.sites import ServedSite, serve_site
from tests.system import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

LLM_PORT = free_port()
# What the scripted model answers a clone: a two-view app like the offline writer's, as a
# model would write it (its own components, a hash route for the second page).
SCRIPTED_CLONE = """<file path="src/components/Menu.jsx">export default function Menu() {
  return <section id="menu"><h2 className="text-2xl">Our menu</h2><p>Flat white 3.20</p></section>
}
</file>
<file path="src/App.jsx">import { useEffect, useState } from 'react'
import Menu from './components/Menu.jsx'

export default function App() {
  const [route, setRoute] = useState(location.hash)
  useEffect(() => {
    const moved = () => setRoute(location.hash)
    addEventListener('hashchange', moved)
    return () => removeEventListener('hashchange', moved)
  }, [])
  return (
    <main className="bg-[#fbf6ef] text-[#2b1a12]">
      <nav><a href="#/">Home</a> <a href="#/menu">Menu</a></nav>
      {route === '#/menu' ? <Menu /> : <h1>Roasted slowly. Brewed with care.</h1>}
    </main>
  )
}
</file>"""

QUICK = {
    "/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /admin/\n"),
    # A site that fails every time (a retry cannot help, but it may: it is tried again).
    "/down.html": PlainTextResponse("upstream is down", status_code=503),
}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    env = {
        "SCRAPER_ALLOW_HOSTS": "127.0.0.1", "SCRAPER_SCREENSHOTS": "false",
        "LLM_MODEL": "offline", "AUTOFIX_ROUNDS": "0",
        "LLM_API_BASE": f"http://127.0.0.1:{LLM_PORT}/v1", "LLM_API_KEY": "k",
        # Retries and takeovers in seconds, not minutes.
        "BATCH_RETRY_MIN_BACKOFF_MS": "200", "BATCH_RETRY_MAX_BACKOFF_MS": "1000",
        "BATCH_HEARTBEAT_TIMEOUT_MS": "3000", "BATCH_MAINTENANCE_CHANCE": "1000000",
        "BATCH_DOMAIN_CONCURRENCY": "3", "BATCH_DOMAIN_PER_MINUTE": "1000",
    }
    with running_system(tmp_path_factory.mktemp("batches"), nats_url, extra_env=env) as sys_:
        yield sys_


@pytest.fixture
async def site() -> AsyncIterator[ServedSite]:
    async with serve_site(overrides=QUICK) as served:
        yield served


async def ended(c: httpx.AsyncClient, batch_id: str, timeout: float = 300) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            state = (await c.get(f"/api/batches/{batch_id}")).json()
            if state["status"] in ("done", "cancelled"):
                return dict(state)
            await asyncio.sleep(0.3)


async def clone_jobs(c: httpx.AsyncClient, project_id: str) -> list[dict[str, Any]]:
    turns = (await c.get(f"/api/projects/{project_id}/jobs",
                         params={"kinds": "clone", "limit": 50})).json()
    return list(turns)


async def test_twenty_sites_with_two_broken_end_18_done_and_2_failed(
        system: System, site: ServedSite) -> None:
    good = [f"{site.url}/?copy={n}" for n in range(18)]
    broken = [f"{site.url}/down.html", f"{site.url}/gone.html"]
    urls = good[:9] + broken[:1] + good[9:] + broken[1:]
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        made = await c.post("/api/batches", json={"urls": urls, "build_check": False})
        assert made.status_code == 202, made.text
        batch_id = made.json()["batch_id"]
        events = asyncio.create_task(batch_stream(c, batch_id))
        state = await ended(c, batch_id)
        seen = await asyncio.wait_for(events, 30)
        report = (await c.get(f"/api/batches/{batch_id}/report")).json()["items"]
        table = (await c.get(f"/api/batches/{batch_id}/report", params={"format": "csv"}))
        jobs = {item["url"]: await clone_jobs(c, item["project_id"])
                for item in report if item["project_id"]}
    assert state["status"] == "done"
    assert state["counts"] == {"done": 18, "failed": 2}
    by_url = {item["url"]: item for item in report}
    down, gone = by_url[broken[0]], by_url[broken[1]]
    # A 503 may pass: tried three times (each failure kept), then failed.
    assert (down["status"], down["attempts"]) == ("failed", 3)
    assert down["error"] == f"{site.url}/down.html answered 503"
    assert down["failures"].count("answered 503") == 3
    # A 404 will not: failed at once.
    assert (gone["status"], gone["attempts"]) == ("failed", 1)
    assert gone["error"] == f"{site.url}/gone.html answered 404"
    for url in good:
        item = by_url[url]
        assert (item["status"], item["attempts"], item["version"]) == ("done", 1, 1), item
        assert item["title"].startswith("Ember & Oak")
        assert item["zip_url"] == f"/api/projects/{item['project_id']}/zip"
        # One clone job for the site: it was never cloned twice.
        assert [job["status"] for job in jobs[url]] == ["complete"]
    # The stream told every move and ended once.
    assert [e for e in seen if e[0] == "complete"] == [("complete", "done")]
    assert {data for name, data in seen if name == "batch_item"} >= {"done", "failed",
                                                                        "retrying"}
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert table.headers["content-type"].startswith("text/csv")
    assert [row["status"] for row in rows].count("done") == 18
    assert rows[9]["url"] == broken[0] and rows[9]["attempts"] == "3"


async def batch_stream(c: httpx.AsyncClient, batch_id: str) -> list[tuple[str, str]]:
    """(event, the item's status or the batch's) of the batch's SSE until ``complete``."""
    seen: list[tuple[str, str]] = []
    async with c.stream("GET", f"/api/batches/{batch_id}/events", timeout=None) as resp:
        assert resp.status_code == 200
        async for ev in parse_sse(resp.aiter_lines()):
            seen.append((ev.event, str(ev.data.get("status"))))
            if ev.event == "complete":
                return seen
    return seen


async def test_a_killed_batch_worker_is_replaced_and_no_site_is_cloned_twice(
        system: System, site: ServedSite) -> None:
    urls = [f"{site.url}/?kill={n}" for n in range(8)]
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        batch_id = (await c.post("/api/batches", json={"urls": urls, "build_check": False})
                    ).json()["batch_id"]
        async with asyncio.timeout(120):
            while (await c.get(f"/api/batches/{batch_id}")).json()["counts"].get("done", 0) < 2:
                await asyncio.sleep(0.1)
        # Mid-batch: some done, some running. The worker dies without a word.
        system.restart("batch_worker", kill=True)
        state = await ended(c, batch_id)
        report = (await c.get(f"/api/batches/{batch_id}/report")).json()["items"]
        jobs = [await clone_jobs(c, item["project_id"]) for item in report]
    assert state["counts"] == {"done": 8}
    assert [item["attempts"] for item in report] == [1] * 8
    assert [[job["status"] for job in found] for found in jobs] == [["complete"]] * 8


async def test_the_build_check_runs_vite_build_on_each_copy(system: System,
                                                            site: ServedSite) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        batch_id = (await c.post("/api/batches", json={
            "urls": [f"{site.url}/", f"{site.url}/menu.html"], "build_check": True})
                    ).json()["batch_id"]
        state = await ended(c, batch_id)
    assert state["counts"] == {"done": 2}
    for item in state["items"]:
        assert item["result"]["build_ok"] is True and item["step"] == "export"


async def test_a_batch_written_by_a_model_reads_two_pages_and_builds(
        system: System, site: ServedSite) -> None:
    async with ScriptedLLM.running(LLM_PORT, default=Reply(SCRIPTED_CLONE)) as llm, \
            httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        batch_id = (await c.post("/api/batches", json={
            "urls": [f"{site.url}/"], "pages": 2, "model": "openai/scripted",
            "build_check": True})).json()["batch_id"]
        state = await ended(c, batch_id)
        files = (await c.get(f"/api/projects/{state['items'][0]['project_id']}/files")).json()
    [item] = state["items"]
    assert (item["status"], item["result"]["build_ok"], item["result"]["pages"]) == (
        "done", True, 2)
    assert "src/components/Menu.jsx" in files["files"]
    # The model was given both pages of the site, fenced as data.
    [request] = llm.requests
    asked = "\n".join(str(m.get("content", "")) for m in request["messages"])
    fenced = asked[asked.index("<scraped-site"):asked.rindex("</scraped-site>")]
    assert f"{site.url}/menu.html" in fenced and "Roasted slowly" in fenced


async def test_pause_resume_and_cancel(system: System, site: ServedSite) -> None:
    urls = [f"{site.url}/?pause={n}" for n in range(6)]
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        batch_id = (await c.post("/api/batches", json={"urls": urls, "build_check": False})
                    ).json()["batch_id"]
        paused = await c.post(f"/api/batches/{batch_id}/pause")
        assert paused.status_code == 200 and paused.json()["status"] == "paused"
        assert (await c.post(f"/api/batches/{batch_id}/pause")).status_code == 409
        # Items already taken finish; the others wait.
        await asyncio.sleep(3)
        waiting = (await c.get(f"/api/batches/{batch_id}")).json()
        assert waiting["status"] == "paused" and waiting["counts"].get("queued", 0) > 0
        resumed = await c.post(f"/api/batches/{batch_id}/resume")
        assert resumed.json()["status"] == "running"
        state = await ended(c, batch_id)
        assert state["counts"] == {"done": 6}
        # A batch cancelled at once: nothing of it runs on.
        other = (await c.post("/api/batches", json={
            "urls": [f"{site.url}/?cancel={n}" for n in range(4)], "build_check": False})
                 ).json()["batch_id"]
        cancelled = await c.post(f"/api/batches/{other}/cancel")
        assert cancelled.status_code == 200
        final = await ended(c, other)
        assert final["status"] == "cancelled"
        assert set(final["counts"]) <= {"cancelled", "done"}
        assert (await c.post(f"/api/batches/{other}/cancel")).status_code == 409


async def test_refused_urls_refuse_the_batch_before_anything_is_stored(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        before = (await c.get("/api/batches")).json()
        refused = await c.post("/api/batches", json={
            "urls": ["http://127.0.0.1:9/", "http://169.254.169.254/latest/", "ftp://x/"]})
        empty = await c.post("/api/batches", json={"urls": []})
        too_many = await c.post("/api/batches", json={
            "urls": [f"http://a.example/{n}" for n in range(501)]})
        after = (await c.get("/api/batches")).json()
        unknown = await c.get("/api/batches/nope")
    assert refused.status_code == 422
    # Loopback is on this system's allowlist; the metadata address and ftp are not.
    named = [line.split(": ", 1)[0] for line in refused.json()["detail"]["refused"]]
    assert named == ["http://169.254.169.254/latest/", "ftp://x/"]
    assert (empty.status_code, too_many.status_code) == (422, 422)
    assert after == before
    assert unknown.status_code == 404


async def test_a_sitemap_names_the_pages_of_a_batch(system: System) -> None:
    pages: dict[str, Any] = dict(QUICK)
    async with serve_site(overrides=pages) as site:
        pages["/sitemap.xml"] = PlainTextResponse(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{site.url}/</loc></url><url><loc>{site.url}/menu.html</loc></url>"
            "</urlset>", media_type="application/xml")
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
            made = await c.post("/api/batches", json={"sitemap": f"{site.url}/sitemap.xml",
                                                      "build_check": False})
            assert made.status_code == 202, made.text
            state = await ended(c, made.json()["batch_id"])
    assert [item["url"] for item in state["items"]] == [f"{site.url}/", f"{site.url}/menu.html"]
    assert state["counts"] == {"done": 2}


async def test_the_cli_draws_progress_and_a_final_table(system: System, site: ServedSite,
                                                        tmp_path: Path) -> None:
    listed = tmp_path / "sites.txt"
    listed.write_text(f"# two copies\n{site.url}/?cli=1\n\n{site.url}/gone.html\n")
    env = {**system.env, "PAYNTO_URL": system.gateway_url}
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "paynto_cli.main", "batch", str(listed), "--no-build-check",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(run.communicate(), 180)
    text = output.decode()
    # One failed site: the command says so with its exit status.
    assert run.returncode == 3, text
    assert "batch " in text and ": 2 sites" in text
    assert "[##############################] 2/2" in text
    table = text[text.index("#  status"):]
    assert f"done    1      {site.url}/?cli=1" in table
    assert f"{site.url}/gone.html answered 404" in table
