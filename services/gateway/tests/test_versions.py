"""A project's versions: listed, read, restored, forked and downloaded."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from paynto_cli.sse import parse_sse
from paynto_common.bus import Bus
from paynto_common.db import Database, Version
from paynto_common.messages import Applied, ApplyRequest

TakeJob = Callable[..., Awaitable[Any]]


async def test_versions_are_listed_and_readable(client: httpx.AsyncClient,
                                                sqlite_url: str) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    db = Database(sqlite_url)
    async with db.session() as s:
        s.add(Version(project_id=project, number=1, files={"src/App.jsx": "one"}, model="x"))
        s.add(Version(project_id=project, number=2,
                      files={"src/App.jsx": "two", "src/index.css": "css"}))
        await s.commit()
    await db.close()
    listed = (await client.get(f"/api/projects/{project}/versions")).json()
    assert [(v["number"], v["files"]) for v in listed] == [
        (2, ["src/App.jsx", "src/index.css"]), (1, ["src/App.jsx"])]
    first = (await client.get(f"/api/projects/{project}/versions/1")).json()
    assert first == {"files": {"src/App.jsx": "one"}, "version": 1}
    latest = (await client.get(f"/api/projects/{project}/files")).json()
    assert latest["version"] == 2 and latest["files"]["src/App.jsx"] == "two"
    assert (await client.get(f"/api/projects/{project}/versions/3")).status_code == 404
    assert (await client.get("/api/projects/nope/versions")).status_code == 404


async def test_project_downloads_as_a_runnable_zip(client: httpx.AsyncClient,
                                                   sqlite_url: str) -> None:
    project = (await client.post("/api/projects", json={"name": "Bean There!"})).json()["id"]
    assert (await client.get(f"/api/projects/{project}/zip")).status_code == 404
    app = 'import clsx from "clsx";\nexport default () => clsx("a")\n'
    db = Database(sqlite_url)
    async with db.session() as s:
        s.add(Version(project_id=project, number=1, files={"src/App.jsx": app}))
        await s.commit()
    await db.close()
    r = await client.post("/api/create-zip", json={"project_id": project})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert 'filename="bean-there-v1.zip"' in r.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = set(archive.namelist())
    assert {"package.json", "index.html", "vite.config.js", "src/main.jsx", "src/index.css",
            "src/App.jsx"} <= names
    assert "serve.mjs" not in names  # the sandbox's server is ours, not the site's
    assert archive.read("src/App.jsx").decode() == app
    manifest = json.loads(archive.read("package.json"))
    assert manifest["dependencies"]["clsx"] == "latest"
    assert manifest["scripts"]["dev"] == "vite"
    same = await client.get(f"/api/projects/{project}/zip", params={"version": 1})
    assert same.content == r.content


async def two_versions(client: httpx.AsyncClient, db: Database) -> str:
    project = (await client.post("/api/projects", json={"name": "Bakery"})).json()["id"]
    async with db.session() as s:
        s.add(Version(project_id=project, number=1, files={"src/App.jsx": "one"}))
        s.add(Version(project_id=project, number=2, files={"src/App.jsx": "two"}))
        await s.commit()
    return project


async def test_a_fork_starts_from_a_version_of_the_project(client: httpx.AsyncClient,
                                                          db: Database) -> None:
    project = await two_versions(client, db)
    latest = await client.post(f"/api/projects/{project}/fork", json={})
    assert latest.status_code == 201 and latest.json()["name"] == "Bakery (fork)"
    files = (await client.get(f"/api/projects/{latest.json()['id']}/files")).json()
    assert files == {"files": {"src/App.jsx": "two"}, "version": 1}
    first = await client.post(f"/api/projects/{project}/fork",
                              json={"name": "Old bakery", "version": 1})
    assert first.status_code == 201 and first.json()["name"] == "Old bakery"
    versions = (await client.get(f"/api/projects/{first.json()['id']}/versions")).json()
    assert [(v["number"], v["model"]) for v in versions] == [
        (1, f"forked from {project} version 1")]
    missing = await client.post(f"/api/projects/{project}/fork", json={"version": 3})
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"project {project} has no version 3"
    assert (await client.post("/api/projects/nope/fork", json={})).status_code == 404


async def test_restore_asks_the_sandbox_pool_for_the_version_again(
    client: httpx.AsyncClient, db: Database, bus: Bus, take_job: TakeJob,
) -> None:
    project = await two_versions(client, db)
    assert (await client.post(f"/api/projects/{project}/versions/3/restore")).status_code == 404
    assert (await client.post("/api/projects/nope/versions/1/restore")).status_code == 404
    done = Applied(files=["src/App.jsx"], version=3, restored_from=1)
    worker = asyncio.create_task(take_job(bus.subjects.apply, ApplyRequest, done))
    async with client.stream("POST", f"/api/projects/{project}/versions/1/restore") as r:
        events = [ev async for ev in parse_sse(r.aiter_lines())]
    job = await worker
    assert (job.project_id, job.restore_version, job.response) == (project, 1, "")
    assert [(e.event, e.data) for e in events[1:]] == [("complete", done.wire())]
    assert (await client.get(f"/api/jobs/{job.job_id}")).json()["kind"] == "restore"


async def test_a_versions_diff_against_the_one_before_or_any_other(
    client: httpx.AsyncClient, db: Database,
) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    app_v1 = "".join(f"line {n}\n" for n in range(1, 9))
    async with db.session() as s:
        s.add(Version(project_id=project, number=1,
                      files={"src/App.jsx": app_v1, "src/old.css": "a {}\n"}))
        s.add(Version(project_id=project, number=2,
                      files={"src/App.jsx": app_v1.replace("line 4\n", "line four\n"),
                             "src/new.css": "b {}\n"}))
        await s.commit()
    url = f"/api/projects/{project}/versions"

    diff = (await client.get(f"{url}/2/diff")).json()

    assert (diff["number"], diff["against"]) == (2, 1)
    assert [(f["path"], f["status"], f["additions"], f["deletions"], f["too_large"])
            for f in diff["files"]] == [("src/App.jsx", "changed", 1, 1, False),
                                        ("src/new.css", "added", 1, 0, False),
                                        ("src/old.css", "removed", 0, 1, False)]
    assert diff["files"][0]["hunks"] == [{
        "old_start": 1, "old_lines": 7, "new_start": 1, "new_lines": 7,
        "lines": [" line 1", " line 2", " line 3", "-line 4", "+line four", " line 5",
                  " line 6", " line 7"]}]
    # Version 1 against nothing (0, the one before it): every file added.
    first = (await client.get(f"{url}/1/diff")).json()
    assert first["against"] == 0
    assert [(f["path"], f["status"]) for f in first["files"]] == [
        ("src/App.jsx", "added"), ("src/old.css", "added")]
    # Backwards, and a version against itself.
    back = (await client.get(f"{url}/1/diff", params={"against": 2})).json()
    assert [(f["path"], f["status"]) for f in back["files"]] == [
        ("src/App.jsx", "changed"), ("src/new.css", "removed"), ("src/old.css", "added")]
    assert (await client.get(f"{url}/2/diff", params={"against": 2})).json()["files"] == []
    emptied = (await client.get(f"{url}/2/diff", params={"against": 0})).json()
    assert {f["status"] for f in emptied["files"]} == {"added"}


async def test_a_diff_of_what_is_not_there(client: httpx.AsyncClient, db: Database) -> None:
    project = await two_versions(client, db)
    url = f"/api/projects/{project}/versions"

    for missing, params in (("3", {}), ("0", {}), ("2", {"against": 5})):
        answer = await client.get(f"{url}/{missing}/diff", params=params)
        assert answer.status_code == 404, (missing, params)
        assert "has no version" in answer.json()["detail"]
    assert (await client.get(f"{url}/2/diff", params={"against": -1})).status_code == 422
    # Another user's project answers as one that does not exist (test_tenancy.py walks it).
    assert (await client.get("/api/projects/nope/versions/1/diff")).status_code == 404


async def test_version_numbers_no_database_column_holds_are_refused(
        client: httpx.AsyncClient, db: Database) -> None:
    """A version number past a 4-byte INTEGER is a 422 naming where it was, not a query that
    fails (a 500 on SQLite past 8 bytes, on Postgres past 4); the last number that fits is
    merely a version the project does not have."""
    project = await two_versions(client, db)
    base = f"/api/projects/{project}"
    for method, url, body, where in [
            ("GET", f"{base}/versions/{2**63}", None, ["path", "number"]),
            ("GET", f"{base}/versions/{2**63}/diff", None, ["path", "number"]),
            ("GET", f"{base}/versions/2/diff?against={2**63}", None, ["query", "against"]),
            ("POST", f"{base}/versions/{2**63}/restore", None, ["path", "number"]),
            ("GET", f"{base}/zip?version={2**63}", None, ["query", "version"]),
            ("POST", f"{base}/fork", {"version": 2**63}, ["body", "version"])]:
        r = await client.request(method, url, json=body)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["detail"][0]["loc"] == where
        assert r.json()["detail"][0]["msg"] == \
            "Input should be less than or equal to 2147483647"
    assert (await client.get(f"{base}/versions/{2**31 - 1}")).status_code == 404
