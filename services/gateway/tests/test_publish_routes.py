"""Publishing through the gateway in-process (real NATS, Redis, SQLite): starting a publish
job, the site's status, rollback, publish on sync, unpublish, deploy tokens; and serving the
stored builds at /sites/ — live and pinned, pages with their base, deep links, the sandbox
policy that keeps a site's code away from the studio's cookies and API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import select

from paynto_common.bus import Bus
from paynto_common.db import (
    LOCAL_USER_ID,
    Database,
    JobStatus,
    Publish,
    PublishFile,
    PublishStatus,
    Site,
    UserSecret,
    Version,
    utcnow,
)
from paynto_common.messages import PublishRequest

PAGE = b'<!doctype html><html lang="en"><head><meta charset="UTF-8">' \
       b'<script type="module" crossorigin src="./assets/index-a1.js"></script></head>' \
       b'<body><div id="root"></div></body></html>'


async def project_with_versions(client: httpx.AsyncClient, db: Database, count: int) -> str:
    project = (await client.post("/api/projects", json={"name": "Corner Bakery"})).json()
    async with db.session() as s:
        for n in range(1, count + 1):
            s.add(Version(project_id=project["id"], number=n, files={"src/App.jsx": str(n)}))
        await s.commit()
    return str(project["id"])


async def built(db: Database, project_id: str, version: int, *, live: bool = True,
                age: int = 0) -> str:
    """A ready build of ``version`` as the sandbox pool stores one (live unless told)."""
    async with db.session() as s:
        site = await s.get(Site, project_id)
        if site is None:
            site = Site(project_id=project_id, user_id=LOCAL_USER_ID, slug="corner-bakery-x7k2pq")
        publish = Publish(project_id=project_id, version=version, status=PublishStatus.READY,
                          files=2, created_at=utcnow() - timedelta(minutes=age))
        s.add(publish)
        await s.flush()
        s.add(PublishFile(publish_id=publish.id, path="index.html",
                          media_type="text/html; charset=utf-8", data=PAGE))
        s.add(PublishFile(publish_id=publish.id, path="assets/index-a1.js",
                          media_type="text/javascript; charset=utf-8",
                          data=f"document.title = 'v{version}'".encode()))
        if live:
            site.live_publish_id = publish.id
        s.add(site)
        await s.commit()
        return publish.id


async def test_publish_starts_a_job_for_the_latest_version(
        client: httpx.AsyncClient, db: Database, bus: Bus,
        take_job: Callable[..., Awaitable[Any]]) -> None:
    project_id = await project_with_versions(client, db, 2)
    answer = await client.post(f"/api/projects/{project_id}/publish")
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert started["version"] == 2
    assert started["url"].startswith("/sites/corner-bakery-") and started["url"].endswith("/")
    job: PublishRequest = await take_job(bus.subjects.publish, PublishRequest)
    assert (job.job_id, job.publish_id, job.version, job.user_id) == (
        started["job_id"], started["publish_id"], 2, LOCAL_USER_ID)
    status = (await client.get(f"/api/projects/{project_id}/publish")).json()
    # Not live until it built.
    assert status["url"] is None and status["live"] is None
    assert [(p["version"], p["status"]) for p in status["publishes"]] == [(2, "building")]

    # An earlier version by number; the same site (one slug for good).
    again = (await client.post(f"/api/projects/{project_id}/publish",
                               json={"version": 1})).json()
    assert again["version"] == 1 and again["url"] == started["url"]


async def test_publish_refuses_what_cannot_be_built(client: httpx.AsyncClient,
                                                    db: Database) -> None:
    project_id = await project_with_versions(client, db, 0)
    empty = await client.post(f"/api/projects/{project_id}/publish")
    assert empty.status_code == 409 and "no version" in empty.json()["detail"]
    project_id = await project_with_versions(client, db, 1)
    missing = await client.post(f"/api/projects/{project_id}/publish", json={"version": 7})
    assert missing.status_code == 404
    bad = await client.post(f"/api/projects/{project_id}/publish", json={"version": 0})
    assert bad.status_code == 422
    odd = await client.post(f"/api/projects/{project_id}/publish", json={"slug": "mine"})
    assert odd.status_code == 422
    async with db.session() as s:
        assert (await s.exec(select(Publish))).all() == []


async def test_the_status_rollback_and_publish_on_sync(client: httpx.AsyncClient,
                                                       db: Database) -> None:
    project_id = await project_with_versions(client, db, 2)
    first = await built(db, project_id, 1, age=5)
    second = await built(db, project_id, 2)
    status = (await client.get(f"/api/projects/{project_id}/publish")).json()
    assert status["url"] == "/sites/corner-bakery-x7k2pq/"
    assert status["live"]["id"] == second and status["live"]["version"] == 2
    assert [(p["version"], p["live"], p["url"]) for p in status["publishes"]] == [
        (2, True, "/sites/corner-bakery-x7k2pq/v2/"),
        (1, False, "/sites/corner-bakery-x7k2pq/v1/")]

    back = await client.post(f"/api/projects/{project_id}/publish/rollback",
                             json={"version": 1})
    assert back.status_code == 200 and back.json()["live"]["id"] == first
    page = await client.get("/sites/corner-bakery-x7k2pq/assets/index-a1.js")
    assert page.text == "document.title = 'v1'"
    never = await client.post(f"/api/projects/{project_id}/publish/rollback",
                              json={"version": 9})
    assert never.status_code == 404

    on = await client.patch(f"/api/projects/{project_id}/publish", json={"auto_publish": True})
    assert on.status_code == 200 and on.json()["auto_publish"] is True
    async with db.session() as s:
        site = await s.get(Site, project_id)
    assert site is not None and site.auto_publish


async def test_a_publish_whose_job_died_reads_as_failed(client: httpx.AsyncClient,
                                                        db: Database) -> None:
    project_id = await project_with_versions(client, db, 1)
    started = (await client.post(f"/api/projects/{project_id}/publish")).json()
    await db.set_job_status(started["job_id"], JobStatus.ERROR,
                            error="the sandbox pool could not build here")
    (view,) = (await client.get(f"/api/projects/{project_id}/publish")).json()["publishes"]
    assert view["status"] == "failed"
    assert view["error"] == "the sandbox pool could not build here"


async def test_unpublish_takes_the_site_down_and_deleting_the_project_forgets_it(
        client: httpx.AsyncClient, db: Database) -> None:
    project_id = await project_with_versions(client, db, 1)
    await built(db, project_id, 1)
    assert (await client.get("/sites/corner-bakery-x7k2pq/")).status_code == 200
    assert (await client.delete(f"/api/projects/{project_id}/publish")).status_code == 204
    assert (await client.get("/sites/corner-bakery-x7k2pq/")).status_code == 404
    assert (await client.delete(f"/api/projects/{project_id}/publish")).status_code == 404
    await built(db, project_id, 1)
    assert (await client.delete(f"/api/projects/{project_id}")).status_code == 204
    async with db.session() as s:
        for table in (Site, Publish, PublishFile):
            assert (await s.exec(select(table))).all() == []


async def test_deploy_tokens_are_kept_sealed_and_never_shown(client: httpx.AsyncClient,
                                                             db: Database) -> None:
    assert (await client.get("/api/account/deploy-tokens")).json() == {
        "vercel": False, "netlify": False}
    token = "vcp_secret-" + "z" * 24
    saved = await client.put("/api/account/deploy-tokens/vercel", json={"token": token})
    assert saved.status_code == 204 and token not in saved.text
    assert (await client.get("/api/account/deploy-tokens")).json() == {
        "vercel": True, "netlify": False}
    async with db.session() as s:
        (row,) = (await s.exec(select(UserSecret))).all()
    assert row.name == "deploy:vercel" and token not in row.ciphertext
    assert (await client.put("/api/account/deploy-tokens/heroku",
                             json={"token": "x"})).status_code == 422
    assert (await client.put("/api/account/deploy-tokens/netlify",
                             json={"token": ""})).status_code == 422
    assert (await client.delete("/api/account/deploy-tokens/vercel")).status_code == 204
    assert (await client.get("/api/account/deploy-tokens")).json()["vercel"] is False


async def test_a_site_is_served_as_built_under_the_sandbox_policy(
        client: httpx.AsyncClient, db: Database) -> None:
    project_id = await project_with_versions(client, db, 2)
    await built(db, project_id, 1, live=False, age=5)
    await built(db, project_id, 2)
    root = "/sites/corner-bakery-x7k2pq/"

    page = await client.get(root)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # The page's relative assets resolve from the site's root, whatever the path.
    assert page.content == PAGE.replace(b"<head>", f'<head><base href="{root}">'.encode())
    # Untrusted code: an opaque origin (no cookies, no API as the person), modules loadable.
    policies = page.headers.get_list("content-security-policy")
    assert policies == ["sandbox allow-scripts allow-forms allow-popups allow-modals",
                        "frame-ancestors 'self'"]
    assert page.headers["access-control-allow-origin"] == "*"
    assert page.headers["cache-control"] == "no-cache"
    assert "x-frame-options" not in page.headers

    script = await client.get(f"{root}assets/index-a1.js")
    assert script.text == "document.title = 'v2'"
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "immutable" in script.headers["cache-control"]

    # A route of the app is its page; a missing file is not.
    deep = await client.get(f"{root}menu/today")
    assert deep.status_code == 200 and deep.content == page.content
    assert (await client.get(f"{root}assets/gone.js")).status_code == 404

    # Pinned to a version, whatever is live.
    pinned = await client.get(f"{root}v1/assets/index-a1.js")
    assert pinned.text == "document.title = 'v1'"
    pinned_page = await client.get(f"{root}v1/")
    assert f'<base href="{root}v1/">'.encode() in pinned_page.content
    assert (await client.get(f"{root}v9/")).status_code == 404

    assert (await client.get("/sites/corner-bakery-x7k2pq")).headers["location"] == root
    assert (await client.get("/sites/nobody-here/")).status_code == 404
    assert (await client.get("/sites/Bad$lug/")).status_code == 404


async def test_a_site_never_built_or_a_failed_build_is_not_served(
        client: httpx.AsyncClient, db: Database) -> None:
    project_id = await project_with_versions(client, db, 1)
    started = (await client.post(f"/api/projects/{project_id}/publish")).json()
    assert (await client.get(started["url"])).status_code == 404
    # Its build failed, as the sandbox pool records one: still nothing to serve, live or
    # pinned to its version.
    async with db.session() as s:
        row = await s.get(Publish, started["publish_id"])
        assert row is not None
        row.status, row.error = PublishStatus.FAILED, "vite build failed"
        s.add(row)
        await s.commit()
    assert (await client.get(started["url"])).status_code == 404
    assert (await client.get(f"{started['url']}v1/")).status_code == 404


async def test_versions_past_any_number_and_tokens_no_header_carries_are_refused(
        client: httpx.AsyncClient, db: Database) -> None:
    """A version no INTEGER column holds is a 422, not a query that fails (a 500); a deploy
    token with a character an HTTP header cannot carry is refused before it is stored."""
    project_id = await project_with_versions(client, db, 1)
    for url in (f"/api/projects/{project_id}/publish",
                f"/api/projects/{project_id}/publish/rollback"):
        r = await client.post(url, json={"version": 2**63})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "version"]
    for token in ("vcp_caf\u00e9", "two words"):
        r = await client.put("/api/account/deploy-tokens/vercel", json={"token": token})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "token"]
    assert (await client.get("/api/account/deploy-tokens")).json()["vercel"] is False
    async with db.session() as s:
        assert (await s.exec(select(Publish))).all() == []
