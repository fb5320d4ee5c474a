"""The studio's Ship tab in Chromium: link a git remote (the token sent once, never shown
again), its status and pushes live from the project's channel, a push that found the remote's
branch moved told as a notice (but not when the channel only replays it), Sync now and Unlink,
and each version's "pushed" badge; publish with the job's status lines and the live address,
a failed build's errors, a job's error, make an earlier publish live, auto-publish, unpublish
and the deploy tokens; GitHub connect, repositories, create, link and commit, and import from
the home page; and at a phone's width, the Chat / Preview switch.

The stub gateway answers the git routes with the gateway's own code where it can: ``LinkBody``
reads the link form's body and ``link_out`` answers from ``GitLink`` and ``GitPush`` rows in a
real SQLite database; the channel's and the jobs' events are the models of
``paynto_common.messages`` (checked against their job kind's table), pushed by the test one by
one, so the page is seen mid-job without any timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import col, delete, select

from gateway.api.routes.git import LinkBody, link_out
from gateway.api.schemas import TurnOut, VersionOut
from paynto_common.db import LOCAL_USER_ID, Database, GitLink, GitPush, Project
from paynto_common.messages import (
    DeployView,
    GitPushed,
    GitSyncEnded,
    JobFailed,
    Published,
    SitePublished,
    Status,
)
from paynto_common.testing.axe import assert_accessible
from paynto_common.testing.browser import eventually, until, watch_page
from services.gateway.tests import studio_stub
from services.gateway.tests.studio_stub import NOW, HeldJob, no_sideways_scroll, studio_browser

pytestmark = pytest.mark.slow

PID = "shop"
SLUG = "coffee-shop-k3x9pq"
LIVE = f"/sites/{SLUG}/"
GIT_TOKEN = "ghp_secret-git-token-0001"
VERCEL_TOKEN = "vercel-secret-token-0002"
GITHUB_TOKEN = "ghp_secret-github-token-0003"
COMMITS = {n: f"{n}{n}{n}c0ffee".ljust(40, str(n)) for n in range(1, 6)}
BUILD_ERRORS = "src/App.jsx:3:10: ERROR: Unexpected \"}\"\n  3 │   return <h1>}</h1>;"


def sha7(n: int) -> str:
    return COMMITS[n][:7]


def repo(name: str, *, private: bool = False) -> dict[str, Any]:
    """A repository as ``GET /api/github/repos`` lists it."""
    return {"full_name": f"octo/{name}", "name": name, "owner": "octo", "private": private,
            "default_branch": "main", "html_url": f"https://github.test/octo/{name}",
            "clone_url": f"https://github.test/octo/{name}.git",
            "updated_at": NOW.isoformat()}


@dataclass
class Studio(studio_stub.Studio):
    """One project with three versions, its git link in ``db``, its publishes, the account's
    deploy tokens and GitHub connection."""

    db: Database | None = None
    versions: int = 3
    site: dict[str, Any] = field(default_factory=lambda: {"slug": None, "auto_publish": False,
                                                          "live": None})
    publishes: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, bool] = field(default_factory=lambda: {"vercel": False, "netlify": True})
    github: dict[str, Any] = field(default_factory=lambda: {"connected": False, "login": None,
                                                            "via": None})
    repos: list[dict[str, Any]] = field(default_factory=lambda: [repo("site"),
                                                                 repo("blog", private=True)])

    @property
    def channel(self) -> HeldJob:
        return self.project_channels[PID]

    def publish_status(self) -> dict[str, Any]:
        """``GET /api/projects/{id}/publish``: the site, the live publish and every one."""
        live_id = self.site["live"]
        rows = [{**p, "live": p["id"] == live_id} for p in reversed(self.publishes)]
        slug = self.site["slug"]
        return {"slug": slug, "url": f"/sites/{slug}/" if slug else None,
                "auto_publish": self.site["auto_publish"],
                "live": next((p for p in rows if p["live"]), None), "publishes": rows}

    def add_publish(self, version: int, status: str = "building",
                    error: str | None = None) -> dict[str, Any]:
        self.site["slug"] = SLUG
        row = {"id": f"pb{len(self.publishes) + 1}", "version": version, "status": status,
               "error": error, "url": f"{LIVE}v{version}/", "live": False, "files": 0,
               "bytes": 0, "created_at": NOW.isoformat(), "deploys": []}
        self.publishes.append(row)
        return row

    async def set_link(self, **changes: Any) -> None:
        assert self.db is not None
        async with self.db.session() as s:
            link = await s.get(GitLink, PID)
            assert link is not None
            for name, value in changes.items():
                setattr(link, name, value)
            s.add(link)
            await s.commit()

    async def pushed(self, version: int, *, branch: str = "main", moved: bool = False) -> None:
        """git-sync pushed ``version``: its row, the link's head, and the channel's event."""
        assert self.db is not None
        async with self.db.session() as s:
            s.add(GitPush(project_id=PID, version=version, branch=branch,
                          commit=COMMITS[version], moved=moved))
            await s.commit()
        await self.set_link(head=COMMITS[version], pushed_version=version, branch=branch,
                            status="moved" if moved else "synced",
                            error=f"the remote's main had moved: pushed to {branch} instead"
                            if moved else None)
        self.channel.push(GitPushed(version=version, commit=COMMITS[version], branch=branch,
                                    moved=moved))


def studio_gateway(studio: Studio) -> FastAPI:
    app = studio_stub.studio_gateway(
        studio, sandbox_status="none", site_heading="Coffee shop",
        models=[{"id": "offline", "ai": False, "roles": ["default"]}])
    db = studio.db
    assert db is not None

    async def asked(request: Request) -> None:
        body = await request.body()
        studio.asked.append((request.method, request.url.path,
                             await request.json() if body else None))

    @app.get("/api/projects/{pid}/jobs", response_model=list[TurnOut])
    async def turns(pid: str) -> list[TurnOut]:
        return []

    @app.get("/api/projects/{pid}/files")
    async def files(pid: str) -> dict[str, Any]:
        return {"files": {"src/App.jsx": "export default () => null;\n"},
                "version": studio.versions}

    @app.get("/api/projects/{pid}/versions", response_model=list[VersionOut])
    async def versions(pid: str) -> list[VersionOut]:
        return [VersionOut(number=n, created_at=NOW, model="offline", job_id=None,
                           files=["src/App.jsx"]) for n in range(studio.versions, 0, -1)]

    # --- git: the gateway's own body model and answer -----------------------------------

    @app.put("/api/projects/{pid}/git")
    async def link(pid: str, request: Request) -> Response:
        await asked(request)
        body = LinkBody.model_validate(await request.json())
        async with db.session() as s:
            row = await s.get(GitLink, pid) or GitLink(project_id=pid, user_id=LOCAL_USER_ID,
                                                        remote_url=body.remote_url)
            row.remote_url, row.branch, row.username = body.remote_url, body.branch, \
                body.username
            row.secret = f"git:{pid}" if body.token else None
            row.status, row.error = "linked", None
            s.add(row)
            await s.commit()
            await s.refresh(row)
        return JSONResponse(await link_out(db, row))

    @app.get("/api/projects/{pid}/git")
    async def git_status(pid: str) -> Response:
        async with db.session() as s:
            row = await s.get(GitLink, pid)
        if row is None:
            return JSONResponse({"detail": f"project {pid} is not linked to a git remote"},
                                status_code=404)
        return JSONResponse(await link_out(db, row))

    @app.post("/api/projects/{pid}/git/sync", status_code=202)
    async def sync(pid: str, request: Request) -> dict[str, Any]:
        await asked(request)
        job = studio.hold(f"sync{len(studio.jobs) + 1}", kind="git-sync")
        return {"job_id": job.id}

    @app.delete("/api/projects/{pid}/git", status_code=204)
    async def unlink(pid: str, request: Request) -> Response:
        await asked(request)
        async with db.session() as s:
            await s.exec(delete(GitPush).where(col(GitPush.project_id) == pid))
            await s.exec(delete(GitLink).where(col(GitLink.project_id) == pid))
            await s.commit()
        return Response(status_code=204)

    # --- publishing ---------------------------------------------------------------------

    @app.get("/api/projects/{pid}/publish")
    async def publish_status(pid: str) -> dict[str, Any]:
        return studio.publish_status()

    @app.post("/api/projects/{pid}/publish", status_code=202)
    async def publish(pid: str, request: Request) -> dict[str, Any]:
        await asked(request)
        row = studio.add_publish(studio.versions)
        job = studio.hold(f"pub{len(studio.jobs) + 1}", kind="publish")
        return {"job_id": job.id, "publish_id": row["id"], "version": row["version"],
                "url": row["url"]}

    @app.patch("/api/projects/{pid}/publish")
    async def settings(pid: str, request: Request) -> dict[str, Any]:
        await asked(request)
        studio.site["auto_publish"] = bool((await request.json())["auto_publish"])
        return studio.publish_status()

    @app.post("/api/projects/{pid}/publish/rollback")
    async def rollback(pid: str, request: Request) -> dict[str, Any]:
        await asked(request)
        version = (await request.json())["version"]
        studio.site["live"] = next(p["id"] for p in studio.publishes
                                   if p["version"] == version and p["status"] == "ready")
        return studio.publish_status()

    @app.delete("/api/projects/{pid}/publish", status_code=204)
    async def unpublish(pid: str, request: Request) -> Response:
        await asked(request)
        studio.site["live"] = None
        return Response(status_code=204)

    @app.get("/api/account/deploy-tokens")
    async def deploy_tokens() -> dict[str, bool]:
        return studio.tokens

    @app.put("/api/account/deploy-tokens/{provider}", status_code=204)
    async def save_token(provider: str, request: Request) -> Response:
        await asked(request)
        studio.tokens[provider] = True
        return Response(status_code=204)

    @app.delete("/api/account/deploy-tokens/{provider}", status_code=204)
    async def remove_token(provider: str, request: Request) -> Response:
        await asked(request)
        studio.tokens[provider] = False
        return Response(status_code=204)

    # --- GitHub -------------------------------------------------------------------------

    @app.get("/api/github")
    async def github() -> dict[str, Any]:
        return studio.github

    @app.put("/api/github/token")
    async def github_token(request: Request) -> Response:
        await asked(request)
        if (await request.json())["token"] != GITHUB_TOKEN:
            return JSONResponse({"detail": "GitHub refused the token: Bad credentials"},
                                status_code=422)
        studio.github = {"connected": True, "login": "octo", "via": "token"}
        return JSONResponse({"connected": True, "login": "octo"})

    @app.delete("/api/github/token", status_code=204)
    async def github_disconnect(request: Request) -> Response:
        await asked(request)
        studio.github = {"connected": False, "login": None, "via": None}
        return Response(status_code=204)

    @app.get("/api/github/repos")
    async def repos(page: int = 1) -> list[dict[str, Any]]:
        return studio.repos if page == 1 else []

    @app.post("/api/github/repos", status_code=201)
    async def new_repo(request: Request) -> dict[str, Any]:
        await asked(request)
        body = await request.json()
        made = repo(body["name"], private=body["private"])
        studio.repos.insert(0, made)
        return made

    @app.post("/api/github/commit")
    async def commit(request: Request) -> Response:
        await asked(request)
        if not studio.github["connected"]:
            return JSONResponse({"detail": "connect GitHub first"}, status_code=409)
        body = await request.json()
        return JSONResponse({"commit": COMMITS[5], "branch": body["branch"], "moved": False,
                             "html_url": f"https://github.test/{body['repo']}/commit/"
                                         f"{COMMITS[5]}",
                             "version": studio.versions})

    @app.post("/api/github/import", status_code=201)
    async def import_(request: Request) -> dict[str, Any]:
        await asked(request)
        studio.add_project("imp1", "site")
        return studio.projects["imp1"].model_dump(mode="json")

    return app


async def new_studio(db: Database) -> Studio:
    studio = Studio(db=db)
    studio.add_project(PID, "Coffee shop", latest_version=3)
    studio.project_channels[PID] = HeldJob(id=f"project:{PID}")
    async with db.session() as s:
        s.add(Project(id=PID, name="Coffee shop"))
        await s.commit()
    return studio


async def dom_has(page: Any, secret: str) -> bool:
    """Whether ``secret`` is anywhere in the page: its markup, or a field's value."""
    found: bool = await page.evaluate(
        """(s) => document.documentElement.outerHTML.includes(s) ||
                  [...document.querySelectorAll("input, textarea")]
                    .some((i) => i.value.includes(s))""",
        secret)
    return found


async def test_git_link_pushes_sync_and_unlink(db: Database, screens: Any) -> None:
    studio = await new_studio(db)
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_page(page)
        await page.goto(f"{url}/p/{PID}?tab=ship")
        form = page.locator("#git-form")
        await form.wait_for()
        assert await page.get_attribute("#tab-ship", "aria-selected") == "true"

        # --- Link: a refused address is named before anything is sent.
        await page.get_by_label("Remote address").fill("git@github.test:octo/site.git")
        await page.get_by_role("button", name="Link", exact=True).click()
        await page.locator('#git-form-status[data-kind="error"]').wait_for()
        assert "whole address" in await page.inner_text("#git-form-status")
        assert studio.asked == []

        remote = f"{url}/git/octo/site.git"
        await page.get_by_label("Remote address").fill(remote)
        await form.get_by_label("Branch").fill("trunk")
        await page.get_by_label("Access token").fill(GIT_TOKEN)
        await page.get_by_role("button", name="Link", exact=True).click()
        linked = page.locator("#git-linked")
        await linked.wait_for()
        assert studio.asked[-1] == ("PUT", f"/api/projects/{PID}/git", {
            "remote_url": remote, "branch": "trunk", "username": "x-access-token",
            "token": GIT_TOKEN})
        assert await form.is_hidden()
        assert await page.inner_text("#git-shown-remote") == remote
        assert await page.inner_text("#git-shown-branch") == "trunk"
        assert await page.text_content("#git-state") == "linked"
        assert await page.inner_text("#git-head") == "nothing pushed yet"
        assert not await dom_has(page, GIT_TOKEN)

        # --- git-sync pushes versions 1 and 2: the channel says so and the section follows.
        await studio.set_link(branch="main")
        await studio.pushed(1)
        await studio.pushed(2)
        pushes = page.locator("#git-pushes > li")
        await until(page, "() => document.querySelectorAll('#git-pushes > li.ship-item')"
                          ".length === 2")
        assert await page.text_content("#git-state") == "synced"
        assert await page.inner_text("#git-state-text") == \
            "Up to date: version 2 is on the remote."
        assert await page.inner_text("#git-head") == sha7(2)
        first = " ".join((await pushes.first.inner_text()).split())
        assert first.startswith(f"v2 → {sha7(2)} main")
        assert await page.locator("#notice").is_hidden()
        await assert_accessible(page)
        await screens.shot(page, "ship-git")

        # --- The versions show which are on the remote.
        await page.click("#tab-versions")
        badges = page.locator("#version-list .pushed")
        await until(page, "() => document.querySelectorAll('#version-list .pushed').length === 2")
        assert await badges.all_inner_texts() == [f"pushed {sha7(2)}", f"pushed {sha7(1)}"]
        latest = page.get_by_role("button", name="Version 3", exact=True)
        assert await latest.locator(".pushed").count() == 0
        assert await page.get_by_role("button", name=f"Version 2, pushed as {sha7(2)}").count() \
            == 1
        await screens.shot(page, "versions-pushed")

        # --- The remote's branch had moved: version 3 went to a new branch; a notice says so.
        await studio.pushed(3, branch="paynto/v3", moved=True)
        notice = page.locator("#notice")
        await notice.wait_for()
        text = await page.inner_text("#notice-text")
        assert "version 3 went to the branch paynto/v3" in text
        assert "Nothing was overwritten" in text
        await page.locator("#version-list .pushed", has_text=sha7(3)).wait_for()
        await page.click("#notice-close")
        await page.click("#tab-ship")
        await until(page, "() => document.querySelector('#git-state').textContent === 'moved'")
        assert "new branch, paynto/v3, instead" in await page.inner_text("#git-state-text")
        moved = pushes.first
        assert "moved" in (await moved.text_content() or "")

        # --- Another browser, the channel replayed from its start: no notice for old news.
        other = await browser.new_page(viewport={"width": 1280, "height": 900})
        other_errors = watch_page(other)
        await other.goto(f"{url}/p/{PID}?tab=ship")
        await until(other, "() => document.querySelectorAll('#git-pushes > li.ship-item')"
                           ".length === 3")
        last = str(len(studio.channel.events))
        await until(other, """(last) => {
            const saved = JSON.parse(localStorage.getItem("paynto.studio") || "{}");
            return saved.problems && saved.problems.shop &&
                   saved.problems.shop.lastEventId === last; }""", last)
        assert await other.locator("#notice").is_hidden()
        await other.close()
        assert other_errors == []

        # --- Sync now: a git-sync job whose status and end show.
        await page.get_by_role("button", name="Sync now").click()
        await eventually(lambda: "sync1" in studio.jobs)
        assert studio.asked[-1] == ("POST", f"/api/projects/{PID}/git/sync", None)
        job = studio.jobs["sync1"]
        job.push(Status(message="Looking at the remote"))
        await page.locator("#git-line", has_text="Looking at the remote").wait_for()
        assert await page.is_disabled("#git-sync")
        job.push(GitSyncEnded(pushed=[], branch="paynto/v3", head=COMMITS[3], status="moved"))
        await page.locator('#git-line[data-kind="ok"]').wait_for()
        assert await page.inner_text("#git-line") == \
            "Synced: the remote had every version already."
        assert await page.is_enabled("#git-sync")

        # --- A failed sync says why in words.
        await page.get_by_role("button", name="Sync now").click()
        await eventually(lambda: "sync2" in studio.jobs)
        studio.jobs["sync2"].end(JobFailed(message="the remote refused the token"))
        await page.locator('#git-line[data-kind="error"]').wait_for()
        assert await page.inner_text("#git-line") == (
            "The sync failed: the remote refused the token. Check the address and the token, "
            "then try again.")

        # --- Unlink, once confirmed: the form again, the badges gone.
        await page.get_by_role("button", name="Unlink").click()
        dialog = page.get_by_role("dialog", name="Unlink the git remote?")
        await dialog.wait_for()
        await dialog.get_by_role("button", name="Unlink").click()
        await form.wait_for()
        assert studio.asked[-1] == ("DELETE", f"/api/projects/{PID}/git", None)
        assert await page.input_value("#git-branch") == "main"
        assert await page.input_value("#git-token") == ""
        assert await page.locator("#version-list .pushed").count() == 0
        async with db.session() as s:
            assert (await s.exec(select(GitLink))).all() == []
        assert errors == []


async def test_publish_rollback_auto_publish_and_deploy_tokens(db: Database,
                                                              screens: Any) -> None:
    studio = await new_studio(db)
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_page(page)
        await page.goto(f"{url}/p/{PID}")
        await page.locator("#tab-ship").click()
        assert page.url.endswith(f"/p/{PID}?tab=ship")
        await page.locator("#publish-settings").wait_for()
        assert await page.locator("#live").is_hidden()
        assert await page.locator("#publish-list").is_hidden()

        # --- Publish: the job's status lines, then the live address as a link.
        await page.get_by_role("button", name="Publish", exact=True).click()
        await eventually(lambda: "pub1" in studio.jobs)
        assert ("POST", f"/api/projects/{PID}/publish", {}) in studio.asked
        job = studio.jobs["pub1"]
        job.push(Status(message="Installing packages"))
        job.push(Status(message="Building for production"))
        log = page.locator("#publish-log li")
        await page.locator("#publish-log li", has_text="Building for production").wait_for()
        assert await log.all_inner_texts() == [
            "Publishing version 3", "Installing packages", "Building for production"]
        assert await page.is_disabled("#publish")
        await page.locator("#publish-list .badge", has_text="building…").wait_for()
        studio.publishes[0].update(status="ready", files=12, bytes=48_200)
        studio.site["live"] = "pb1"
        job.push(Published(publish_id="pb1", version=3, url=LIVE, ok=True, files=12,
                           bytes=48_200))
        live = page.get_by_role("link", name=f"{url}{LIVE}", exact=True)
        await live.wait_for()
        assert await live.get_attribute("href") == f"{url}{LIVE}"
        assert await live.get_attribute("target") == "_blank"
        assert await page.text_content("#live-version") == "version 3"
        assert await page.inner_text("#publish-line") == "Version 3 is live (12 files, 48 kB)."
        assert await page.is_enabled("#publish")
        item = page.locator("#publish-list > li").first
        assert await item.locator(".tag.live").text_content() == "live"
        pinned = item.get_by_role("link", name=f"{url}{LIVE}v3/", exact=True)
        assert await pinned.get_attribute("target") == "_blank"
        assert await item.get_by_role("button", name="Make live").count() == 0
        assert (await item.locator(".item-line .meta").inner_text()).startswith(
            "12 files · 48 kB · ")

        # --- A deploy and a publish made elsewhere come on the project's channel.
        studio.publishes[0]["deploys"] = [{"provider": "vercel", "status": "ready",
                                           "url": "https://coffee-shop.vercel.test",
                                           "error": None}]
        studio.channel.push(DeployView(publish_id="pb1", provider="vercel", status="ready",
                                       url="https://coffee-shop.vercel.test"))
        await item.locator(".deploys li", has_text="Vercel: ready").wait_for()
        assert await item.get_by_role("link", name="https://coffee-shop.vercel.test") \
            .get_attribute("href") == "https://coffee-shop.vercel.test/"
        studio.add_publish(2, status="ready")
        studio.channel.push(SitePublished(publish_id="pb2", version=2, url=LIVE, ok=True))
        older = page.locator('#publish-list > li[data-version="2"]')
        await older.wait_for()
        await assert_accessible(page)
        await screens.shot(page, "ship-published")

        # --- A build that fails: its errors, in full, and nothing changed online.
        studio.versions = 4
        await page.get_by_role("button", name="Publish", exact=True).click()
        await eventually(lambda: "pub2" in studio.jobs)
        studio.publishes[-1].update(status="failed", error="vite build failed")
        studio.jobs["pub2"].push(Published(publish_id="pb3", version=4, url=f"{LIVE}v4/",
                                           ok=False, output=BUILD_ERRORS))
        await page.locator('#publish-line[data-kind="error"]').wait_for()
        assert (await page.inner_text("#publish-line")).startswith(
            "Version 4 did not build, so nothing changed online.")
        assert await page.inner_text("#publish-output") == BUILD_ERRORS
        failed = page.locator('#publish-list > li[data-version="4"]')
        await failed.locator(".badge", has_text="failed: vite build failed").wait_for()
        assert await failed.get_by_role("button", name="Make live").count() == 0
        assert await page.text_content("#live-version") == "version 3"
        await screens.shot(page, "ship-build-failed")

        # --- A job that errs: the reason in words.
        await page.get_by_role("button", name="Publish", exact=True).click()
        await eventually(lambda: "pub3" in studio.jobs)
        studio.publishes[-1].update(status="failed", error="the sandbox pool is not running")
        studio.jobs["pub3"].end(JobFailed(message="the sandbox pool is not running"))
        await page.locator("#publish-line", has_text="Publishing failed").wait_for()
        assert await page.inner_text("#publish-line") == (
            "Publishing failed: the sandbox pool is not running. Nothing changed online; "
            "try again in a moment.")

        # --- Make an earlier one live again.
        await older.get_by_role("button", name="Make version 2 live").click()
        await page.locator("#live-version", has_text="version 2").wait_for()
        assert studio.asked[-1] == ("POST", f"/api/projects/{PID}/publish/rollback",
                                    {"version": 2})
        assert await page.inner_text("#publish-line") == "Version 2 is live again."
        await page.locator('#publish-list > li[data-version="3"]').get_by_role(
            "button", name="Make version 3 live").wait_for()

        # --- Auto-publish.
        await page.get_by_label("Auto-publish on every sync").check()
        await eventually(lambda: studio.asked[-1][0] == "PATCH")
        assert studio.asked[-1] == ("PATCH", f"/api/projects/{PID}/publish",
                                    {"auto_publish": True})
        await page.locator('#publish-line[data-kind="ok"]', has_text="Every new version").wait_for()
        assert await page.is_checked("#auto-publish")
        await page.get_by_label("Auto-publish on every sync").uncheck()
        await eventually(lambda: studio.asked[-1][2] == {"auto_publish": False})

        # --- Deploy tokens: saved ones say so, never showing the token.
        await page.get_by_text("Also deploy to Vercel or Netlify").click()
        assert await page.inner_text("#token-state-netlify") == "Saved."
        assert await page.inner_text("#token-state-vercel") == "None saved."
        assert await page.locator("#token-remove-vercel").is_hidden()
        assert await page.get_attribute("#token-vercel", "type") == "password"
        await page.get_by_label("Vercel token", exact=True).fill(VERCEL_TOKEN)
        await page.locator("#token-form-vercel").get_by_role("button", name="Save").click()
        await page.locator("#token-state-vercel", has_text="Vercel token saved.").wait_for()
        assert studio.asked[-1] == ("PUT", "/api/account/deploy-tokens/vercel",
                                    {"token": VERCEL_TOKEN})
        assert await page.input_value("#token-vercel") == ""
        assert not await dom_has(page, VERCEL_TOKEN)
        await page.get_by_role("button", name="Remove the Netlify token").click()
        await page.locator("#token-state-netlify", has_text="Netlify token removed.").wait_for()
        assert studio.asked[-1] == ("DELETE", "/api/account/deploy-tokens/netlify", None)
        assert await page.locator("#token-remove-netlify").is_hidden()
        await assert_accessible(page)
        await screens.shot(page, "ship-tokens")
        await page.emulate_media(color_scheme="dark")
        await assert_accessible(page)
        await screens.shot(page, "ship-dark")
        await page.emulate_media(color_scheme="light")

        # --- Unpublish, once confirmed.
        await page.get_by_role("button", name="Unpublish").click()
        dialog = page.get_by_role("dialog", name="Unpublish the site?")
        await dialog.get_by_role("button", name="Unpublish").click()
        await page.locator("#live").wait_for(state="hidden")
        assert studio.asked[-1] == ("DELETE", f"/api/projects/{PID}/publish", None)
        assert await page.locator("#unpublish").is_hidden()
        assert errors == []


async def test_a_reload_picks_up_the_publish_under_way(db: Database) -> None:
    studio = await new_studio(db)
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page()
        errors = watch_page(page)
        await page.goto(f"{url}/p/{PID}?tab=ship")
        await page.get_by_role("button", name="Publish", exact=True).click()
        await eventually(lambda: "pub1" in studio.jobs)
        job = studio.jobs["pub1"]
        job.push(Status(message="Building for production"))
        await page.locator("#publish-log li", has_text="Building for production").wait_for()
        await page.reload()
        await eventually(lambda: studio.resumes.count(("pub1", None)) == 2)
        await page.locator("#publish-log li", has_text="Building for production").wait_for()
        assert await page.is_disabled("#publish")
        studio.publishes[0].update(status="ready")
        studio.site["live"] = "pb1"
        job.push(Published(publish_id="pb1", version=3, url=LIVE, ok=True, files=3, bytes=900))
        await page.locator("#live").wait_for()
        assert await page.is_enabled("#publish")
        # Over: a reload follows it no more.
        await page.reload()
        await page.locator("#live").wait_for()
        assert studio.resumes.count(("pub1", None)) == 2
        assert errors == []


async def test_github_connect_repos_create_link_commit(db: Database, screens: Any) -> None:
    studio = await new_studio(db)
    studio.auth_mode = "required"
    studio.github["reason"] = "GitHub refused the stored token; connect again"
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_page(page)
        await page.goto(f"{url}/p/{PID}?tab=ship")
        connect = page.locator("#github-connect")
        await connect.wait_for()
        # Where people sign in with GitHub, that connects it too.
        sign_in = page.get_by_role("link", name="Sign in with GitHub")
        assert await sign_in.get_attribute("href") == \
            f"/api/auth/github/login?next=%2Fp%2F{PID}%3Ftab%3Dship"
        assert await page.inner_text("#github-line") == \
            "GitHub refused the stored token; connect again"

        # --- A token GitHub refuses: its words; then one it takes.
        await page.get_by_label("GitHub token").fill("not-a-token")
        await page.get_by_role("button", name="Connect").click()
        await page.locator('#github-line[data-kind="error"]').wait_for()
        assert await page.inner_text("#github-line") == "GitHub refused the token: Bad credentials"
        await page.get_by_label("GitHub token").fill(GITHUB_TOKEN)
        await page.get_by_role("button", name="Connect").click()
        await page.locator("#github-connected").wait_for()
        assert studio.asked[-1] == ("PUT", "/api/github/token", {"token": GITHUB_TOKEN})
        assert await page.inner_text("#github-who") == "Connected as octo."
        assert not await dom_has(page, GITHUB_TOKEN)
        repos = page.locator("#github-repos input[type=radio]")
        await until(page, "() => document.querySelectorAll('#github-repos input').length === 2")
        assert await page.locator("#github-repos label .mono").all_inner_texts() == [
            "octo/site", "octo/blog"]
        assert await page.locator("#github-repos li", has_text="octo/blog").locator(".tag") \
            .text_content() == "private"
        assert await page.locator("#github-more").is_hidden()  # fewer than a page
        assert await repos.count() == 2

        # --- Create a repository: it is listed first and chosen.
        await page.get_by_text("Create a new repository").click()
        await page.locator("#github-create-form").get_by_label("Name").fill("coffee-shop")
        await page.locator("#github-create-form").get_by_role("button", name="Create").click()
        await page.locator("#github-chosen").wait_for()
        assert studio.asked[-1] == ("POST", "/api/github/repos",
                                    {"name": "coffee-shop", "private": True})
        assert await page.locator("#github-repos label .mono").all_inner_texts() == [
            "octo/coffee-shop", "octo/site", "octo/blog"]
        assert await page.get_by_label("octo/coffee-shop").is_checked()
        chosen = page.get_by_role("link", name="octo/coffee-shop")
        assert await chosen.get_attribute("href") == "https://github.test/octo/coffee-shop"

        # --- Pick another: Link for background sync (no token: the GitHub connection's).
        await page.get_by_label("octo/site").check()
        assert await page.input_value("#github-branch") == "main"
        await page.get_by_role("button", name="Link for background sync").click()
        await page.locator('#github-result[data-kind="ok"]').wait_for()
        assert studio.asked[-1] == ("PUT", f"/api/projects/{PID}/git", {
            "remote_url": "https://github.test/octo/site.git", "branch": "main"})
        await page.locator("#git-linked").wait_for()
        assert await page.inner_text("#git-shown-remote") == "https://github.test/octo/site.git"

        # --- Commit this version now: the commit, linked.
        await page.locator("#github-chosen").get_by_label("Branch").fill("paynto")
        await page.get_by_role("button", name="Commit this version now").click()
        commit = page.locator("#github-result").get_by_role("link", name=sha7(5))
        await commit.wait_for()
        assert studio.asked[-1] == ("POST", "/api/github/commit", {
            "project_id": PID, "repo": "octo/site", "branch": "paynto"})
        assert await commit.get_attribute("href") == \
            f"https://github.test/octo/site/commit/{COMMITS[5]}"
        assert await page.inner_text("#github-result") == \
            f"Committed version 3 to paynto: {sha7(5)}."
        await assert_accessible(page)
        await screens.shot(page, "ship-github")

        # --- GitHub no longer connected: a commit says to connect first.
        studio.github = {"connected": False, "login": None, "via": None}
        await page.get_by_role("button", name="Commit this version now").click()
        await connect.wait_for()
        assert await page.inner_text("#github-line") == \
            "Connect GitHub first: save a token, or sign in with GitHub."

        # --- Connected through the sign-in: nothing to disconnect here.
        studio.github = {"connected": True, "login": "octo", "via": "oauth"}
        await page.reload()
        await page.locator("#github-connected").wait_for()
        assert await page.inner_text("#github-who") == \
            "Connected as octo (through your GitHub sign-in)."
        assert await page.locator("#github-disconnect").is_hidden()
        studio.github["via"] = "token"
        await page.reload()
        await page.get_by_role("button", name="Disconnect").click()
        await connect.wait_for()
        assert studio.asked[-1] == ("DELETE", "/api/github/token", None)

        # --- Import from GitHub on the home page: the new project opens.
        await page.goto(f"{url}/")
        await page.get_by_text("Import from GitHub").click()
        importer = page.locator("#import-form")
        await importer.get_by_label("Repository").fill("octo/site")
        await importer.get_by_label("Branch or tag").fill("v2")
        await assert_accessible(page)
        await screens.shot(page, "home-import")
        await importer.get_by_role("button", name="Import").click()
        await page.wait_for_url(f"{url}/p/imp1")
        assert studio.asked[-1] == ("POST", "/api/github/import",
                                    {"repo": "octo/site", "ref": "v2"})
        assert errors == []


async def test_phone_switches_between_chat_and_preview(db: Database, screens: Any) -> None:
    studio = await new_studio(db)
    async with studio_browser(studio_gateway(studio)) as (url, browser):
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        errors = watch_page(page)
        await page.goto(f"{url}/p/{PID}")
        chat = page.get_by_role("button", name="Chat", exact=True)
        preview = page.get_by_role("button", name="Preview", exact=True)
        await chat.wait_for()
        side, work = page.locator("#workspace > .side"), page.locator("#workspace > .main")
        assert await chat.get_attribute("aria-pressed") == "true"
        assert await preview.get_attribute("aria-pressed") == "false"
        assert await side.is_visible() and await work.is_hidden()
        await no_sideways_scroll(page)
        await assert_accessible(page)
        await screens.shot(page, "phone-chat")

        await preview.click()
        assert await preview.get_attribute("aria-pressed") == "true"
        assert await chat.get_attribute("aria-pressed") == "false"
        assert await work.is_visible() and await side.is_hidden()
        await page.locator("#frame-box").wait_for()
        await no_sideways_scroll(page)
        await screens.shot(page, "phone-preview")

        # The Ship tab at a phone's width: one column, nothing sideways, accessible.
        await page.click("#tab-ship")
        await page.locator("#git-form").wait_for()
        await no_sideways_scroll(page)
        await assert_accessible(page)
        await screens.shot(page, "phone-ship")
        await page.emulate_media(color_scheme="dark")
        await assert_accessible(page)
        await screens.shot(page, "phone-ship-dark")

        await chat.click()
        assert await side.is_visible() and await work.is_hidden()
        # A link to a tab opens the work area.
        await page.goto(f"{url}/p/{PID}?tab=ship")
        await page.locator("#git-form").wait_for()
        assert await preview.get_attribute("aria-pressed") == "true"

        # Wider than a phone: both, and no switch.
        await page.set_viewport_size({"width": 1280, "height": 900})
        assert await chat.is_hidden()
        assert await side.is_visible() and await work.is_visible()
        assert errors == []
