"""Publishing through the real system (every service a process): a version is built in the
sandbox pool's jail, stored, and served by the gateway at /sites/<slug>/, checked in
Chromium (the heading shows, a deep link works, the site's code runs in an opaque origin
that cannot read the studio's cookies); a newer publish replaces it, a rollback brings the
earlier build back, a pinned URL keeps its version; with the person's Vercel and Netlify
tokens kept, git-sync deploys the build to loopback doubles of both APIs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from git_sync.testing.netlify import NetlifyDouble
from git_sync.testing.vercel import VercelDouble
from paynto_cli.launcher import System
from paynto_cli.sse import JobStream
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from paynto_common.testing.serve import serving_in_thread
from tests.system import create_project, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


@pytest.fixture(scope="module")
def doubles() -> Iterator[tuple[VercelDouble, NetlifyDouble]]:
    vercel, netlify = VercelDouble(), NetlifyDouble()
    with serving_in_thread(vercel.app()) as vercel_url, \
            serving_in_thread(netlify.app()) as netlify_url:
        vercel.url, netlify.url = vercel_url, netlify_url
        yield vercel, netlify


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str,
           doubles: tuple[VercelDouble, NetlifyDouble]) -> Iterator[System]:
    vercel, netlify = doubles
    assert vercel.url and netlify.url
    env = {"VERCEL_API_URL": vercel.url, "NETLIFY_API_URL": netlify.url,
           "DEPLOY_POLL_SECONDS": "0.05"}
    with running_system(tmp_path_factory.mktemp("publish"), nats_url, extra_env=env) as sys_:
        yield sys_


def app_saying(heading: str) -> str:
    return ('<file path="src/App.jsx">export default function App() {\n'
            f'  return <main className="p-8"><h1 className="text-4xl">{heading}</h1></main>\n'
            "}\n</file>")


async def apply(c: httpx.AsyncClient, project: str, heading: str) -> None:
    events = [e async for e in JobStream(c).run("POST", "/api/apply-ai-code-stream", json={
        "project_id": project, "response": app_saying(heading)})]
    assert events[-1].event == "complete", events[-1]


async def publish(c: httpx.AsyncClient, project: str, version: int | None = None
                  ) -> dict[str, Any]:
    """Publish and follow the job to its end: the job's result."""
    started = await c.post(f"/api/projects/{project}/publish",
                           json={"version": version} if version else {})
    assert started.status_code == 202, started.text
    job = started.json()["job_id"]
    events = [e async for e in JobStream(c).run("GET", f"/api/jobs/{job}/events")]
    assert events[-1].event == "complete", events[-1]
    result = dict(events[-1].data)
    assert result["ok"], result["output"]
    return result


def headings(url: str) -> tuple[str, str, str]:
    """What Chromium shows at ``url``: the heading, and whether the page's own code could read
    the cookies and local storage (an opaque origin throws)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=require_chromium(), args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            heading = page.locator("h1").inner_text(timeout=30_000)
            probe = "() => { try { return String(document.cookie) } catch (e) { return e.name } }"
            cookies = page.evaluate(probe)
            storage = page.evaluate(
                "() => { try { localStorage.length; return 'readable' } "
                "catch (e) { return e.name } }")
        finally:
            browser.close()
    return heading, cookies, storage


async def test_a_published_site_is_served_and_rolled_back(system: System) -> None:
    require_chromium()
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=240) as c:
        project = await create_project(c, "Corner Bakery")
        await apply(c, project, "Fresh bread daily")
        first = await publish(c, project)
        assert first["version"] == 1 and first["files"] >= 3
        site = system.gateway_url + first["url"]

        heading, cookies, storage = await asyncio.to_thread(headings, site)
        assert heading == "Fresh bread daily"
        # The site's own code runs in an opaque origin: no cookie, no storage of the studio.
        assert cookies == "SecurityError" and storage == "SecurityError"
        deep, _, _ = await asyncio.to_thread(headings, site + "menu/today")
        assert deep == "Fresh bread daily"

        await apply(c, project, "Now with croissants")
        second = await publish(c, project)
        assert second["version"] == 2 and second["url"] == first["url"]
        assert (await asyncio.to_thread(headings, site))[0] == "Now with croissants"

        back = await c.post(f"/api/projects/{project}/publish/rollback", json={"version": 1})
        assert back.status_code == 200 and back.json()["live"]["version"] == 1
        assert (await asyncio.to_thread(headings, site))[0] == "Fresh bread daily"
        # Pinned: version 2 stays where it was.
        assert (await asyncio.to_thread(headings, site + "v2/"))[0] == "Now with croissants"


async def test_a_publish_is_deployed_with_the_persons_tokens(
        system: System, doubles: tuple[VercelDouble, NetlifyDouble]) -> None:
    vercel, netlify = doubles
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=240) as c:
        for provider, token in (("vercel", vercel.token), ("netlify", netlify.token)):
            saved = await c.put(f"/api/account/deploy-tokens/{provider}", json={"token": token})
            assert saved.status_code == 204
        project = await create_project(c, "Deployed Bakery")
        await apply(c, project, "Baked on Vercel and Netlify")
        result = await publish(c, project)
        async with asyncio.timeout(120):
            while True:
                status = (await c.get(f"/api/projects/{project}/publish")).json()
                deploys = {d["provider"]: d for d in status["live"]["deploys"]}
                if all(d["status"] != "deploying" for d in deploys.values()) and \
                        len(deploys) == 2:
                    break
                await asyncio.sleep(0.2)
        await c.delete("/api/account/deploy-tokens/vercel")
        await c.delete("/api/account/deploy-tokens/netlify")
    assert {name: d["status"] for name, d in deploys.items()} == {"vercel": "ready",
                                                                  "netlify": "ready"}, deploys
    assert deploys["netlify"]["url"].endswith(".netlify.app")
    served = await httpx.AsyncClient(base_url=system.gateway_url).get(result["url"])
    (sent,) = [d.files for d in netlify.deployments.values()
               if any(b"Baked on Vercel" in data for data in d.files.values())]
    # The same build as at /sites/, rooted at "/" there.
    assert sent["index.html"] == served.content.replace(
        f'<base href="{result["url"]}">'.encode(), b'<base href="/">')
    assert vercel.token not in status.__repr__() and netlify.token not in str(status)
