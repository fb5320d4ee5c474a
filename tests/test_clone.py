"""Reading and cloning sites through the real system (every service a process): a multi-page
site served on loopback, allowed by SCRAPER_ALLOW_HOSTS, is scraped over HTTP and cloned with
the offline clone writer and with a scripted model; internal addresses are refused with a 422
before any job starts, and never reached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paynto_cli.launcher import System
from paynto_cli.sse import Event, JobStream
from paynto_common.runtime import free_port
from paynto_common.testing.browser import require_chromium
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from scraper.testing.sites import ServedSite, serve_site
from tests.system import assert_stream_of, completed, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

LLM_PORT = free_port()
SCRIPTED_SITE = (
    '<file path="src/App.jsx">export default function App() {\n'
    '  return <h1 className="text-[#2b1a12]">Roasted slowly. Brewed with care.</h1>\n}\n'
    "</file>"
)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    env = {
        # Loopback on any port: the sites these tests serve. Nothing else internal.
        "SCRAPER_ALLOW_HOSTS": "127.0.0.1",
        "LLM_MODEL": "offline",
        "LLM_API_BASE": f"http://127.0.0.1:{LLM_PORT}/v1", "LLM_API_KEY": "k",
        "AUTOFIX_ROUNDS": "0",
    }
    with running_system(tmp_path_factory.mktemp("clone"), nats_url, extra_env=env) as sys_:
        yield sys_


@pytest.fixture
async def site() -> Any:
    # robots.txt of the fixture asks for 2 s between pages; these tests read several.
    from starlette.responses import PlainTextResponse

    quick = {"/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /admin/\n")}
    async with serve_site(overrides=quick) as served:
        yield served


async def clone(c: httpx.AsyncClient, body: dict[str, Any]) -> list[Event]:
    events = [ev async for ev in JobStream(c).run("POST", "/api/clone", json=body)]
    assert_stream_of("clone", events)
    return events


async def test_scrape_website_reads_the_pages_and_brand(system: System,
                                                        site: ServedSite) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        read = await c.post("/api/scrape-website", json={"url": f"{site.url}/", "pages": 2})
        brand = await c.post("/api/extract-brand-styles", json={"url": f"{site.url}/"})
        again = await c.get(f"/api/scrapes/{read.json()['scrape_id']}")
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["title"].startswith("Ember & Oak")
    assert "Roasted slowly" in body["markdown"]
    assert body["branding"]["colors"] and body["branding"]["fonts"]
    assert [page["final_url"] for page in body["pages"]] == [f"{site.url}/",
                                                           f"{site.url}/menu.html"]
    assert body["screenshot"] is None  # not asked for
    assert brand.status_code == 200 and brand.json()["branding"] == body["branding"]
    assert again.status_code == 200 and again.json()["pages"] == body["pages"]
    # The scraper fetched every page through the guard, robots.txt first.
    assert site.paths()[0] == "/robots.txt"
    assert {agent for _p, agent in site.requests} == {"Paynto/0.1 (website import)"}


async def test_a_screenshot_is_taken_and_served_to_its_user(system: System,
                                                            site: ServedSite) -> None:
    require_chromium()
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        shot = await c.post("/api/scrape-screenshot", json={"url": f"{site.url}/"})
        assert shot.status_code == 200, shot.text
        image = await c.get(shot.json()["screenshot"])
        unknown = await c.get("/api/scrapes/nope/screenshot.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert unknown.status_code == 404


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/",
    "http://0x7f.1/", "http://localhost/", "ftp://127.0.0.1/", "http://user:pw@127.0.0.1/",
    "file:///etc/passwd",
])
async def test_internal_or_odd_urls_are_refused_before_any_job(system: System,
                                                               url: str) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        before = len((await c.get("/api/projects")).json())
        answers = [await c.post(path, json={"url": url}) for path in (
            "/api/scrape-website", "/api/scrape-screenshot", "/api/extract-brand-styles",
            "/api/clone")]
        after = len((await c.get("/api/projects")).json())
    assert [a.status_code for a in answers] == [422] * 4, [a.text for a in answers]
    assert all("may not be read" in a.json()["detail"] for a in answers)
    assert after == before  # the clone made no project


async def test_bad_bodies_are_refused_clearly(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        missing = await c.post("/api/clone", json={})
        extra = await c.post("/api/scrape-website", json={"url": "http://x/", "depth": 3})
        pages = await c.post("/api/clone", json={"url": "http://x/", "pages": 50})
        project = await c.post("/api/clone", json={"url": "http://127.0.0.1:1/",
                                                   "project_id": "nope"})
    assert [r.status_code for r in (missing, extra, pages)] == [422, 422, 422]
    assert project.status_code == 404


async def test_a_site_is_cloned_by_the_offline_clone_writer(system: System,
                                                            site: ServedSite) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=180) as c:
        events = await clone(c, {"url": f"{site.url}/", "pages": 2})
        job = (await c.get(f"/api/jobs/{events[0].data['job_id']}")).json()
        files = (await c.get(f"/api/projects/{job['project_id']}/files")).json()["files"]
        project = (await c.get(f"/api/projects/{job['project_id']}")).json()
        [card] = [p for p in (await c.get("/api/projects")).json() if p["id"] == project["id"]]
    names = [e.event for e in events]
    assert names[0] == "job" and names[1] == "scrape"
    scraped = events[1].data
    assert scraped["title"].startswith("Ember & Oak") and scraped["pages"] == 2
    assert scraped["palette"]
    done = completed(events)
    assert done.data["preview_url"]
    assert project["name"] == "Clone of 127.0.0.1"
    # The home page's card shows the screenshot (Chromium took one), or the scrape says why not.
    if scraped.get("screenshot_url"):
        assert card["thumbnail_url"] == scraped["screenshot_url"]
    else:
        assert scraped["screenshot_note"] and card["thumbnail_url"] is None
    assert (job["kind"], job["model"]) == ("clone", "offline")
    assert job["result"]["cloned_url"] == f"{site.url}/"
    code = "\n".join(files.values())
    # Its headings, text, links, images and palette are in the app.
    assert "Roasted slowly. Brewed with care." in code
    assert f"{site.url}/img/" in code
    assert "mailto:hello@emberandoak.example" in code
    assert scraped["palette"][0] in code
    # The second page came along.
    assert "menu" in code.lower()


async def test_a_site_is_cloned_by_a_model_that_gets_the_page_as_data(system: System,
                                                                       site: ServedSite) -> None:
    async with ScriptedLLM.running(LLM_PORT, default=Reply(SCRIPTED_SITE)) as llm, \
            httpx.AsyncClient(base_url=system.gateway_url, timeout=180) as c:
        events = await clone(c, {"url": f"{site.url}/", "model": "openai/scripted",
                                 "prompt": "use a darker header"})
    completed(events)
    assert [e.event for e in events][:2] == ["job", "scrape"]
    [request] = llm.requests
    asked = "\n".join(str(m.get("content", "")) for m in request["messages"])
    assert "<scraped-site" in asked and "</scraped-site>" in asked
    fenced = asked[asked.index("<scraped-site"):asked.rindex("</scraped-site>")]
    assert "Roasted slowly. Brewed with care." in fenced
    assert "use a darker header" in asked and "use a darker header" not in fenced


async def test_a_clone_of_a_missing_page_fails_with_the_reason(system: System,
                                                               site: ServedSite) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        events = await clone(c, {"url": f"{site.url}/gone.html"})
    [end] = [e for e in events if e.event in ("complete", "error", "cancelled")]
    assert end.event == "error" and end.data["message"] == f"{site.url}/gone.html answered 404"
    assert "scrape" not in [e.event for e in events]

