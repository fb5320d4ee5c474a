"""Git sync through the real system: a project linked to a git smart-HTTP server on loopback
(token auth) gets each version pushed as one commit, in order, with its prompt as the
message; with the git-sync process dead while versions are made, they are pushed in order
once it is back, none twice; bad links are refused; the token appears in no answer and no
log."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dulwich.objects import Commit

from git_sync.testing.git_server import GitServer, serve_git
from paynto_cli.launcher import System
from tests.system import completed, create_project, generate, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TOKEN = "tok-e2e-5f1c9a7d2b"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    env = {"GIT_ALLOW_HOSTS": "127.0.0.1"}
    with running_system(tmp_path_factory.mktemp("gitsync"), nats_url, extra_env=env) as sys_:
        yield sys_


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with serve_git(tmp_path / "remote", names=("site",), token=TOKEN) as served:
        yield served


def messages(server: GitServer) -> list[str]:
    repo = server.repos["site"]
    sha = server.head("site", "main")
    found = []
    while sha:
        commit = repo[sha]
        assert isinstance(commit, Commit)
        found.append(commit.message.decode().split("\n", 1)[0])
        sha = commit.parents[0] if commit.parents else None
    return list(reversed(found))


async def pushed(c: httpx.AsyncClient, project: str, version: int) -> dict[str, Any]:
    async with asyncio.timeout(120):
        while True:
            link = (await c.get(f"/api/projects/{project}/git")).json()
            if link["pushed_version"] >= version:
                return dict(link)
            await asyncio.sleep(0.2)


async def test_each_version_is_pushed_once_in_order_even_with_git_sync_down(
        system: System, server: GitServer) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
        project = await create_project(c, "synced site")
        completed(await generate(c, project, "a bakery in Leeds"))
        linked = await c.put(f"/api/projects/{project}/git", json={
            "remote_url": server.url("site"), "token": TOKEN})
        assert linked.status_code == 200, linked.text
        assert linked.json()["has_token"] is True and TOKEN not in linked.text
        await pushed(c, project, 1)  # the version made before linking goes too
        completed(await generate(c, project, "make the hero darker"))
        await pushed(c, project, 2)
        # git-sync dies; two more versions are made meanwhile.
        system.procs["git_sync"].kill()
        system.procs["git_sync"].wait()
        completed(await generate(c, project, "add a menu page"))
        completed(await generate(c, project, "add opening hours"))
        system.start_service("git_sync")
        link = await pushed(c, project, 4)
    assert messages(server) == ["a bakery in Leeds", "make the hero darker",
                                "add a menu page", "add opening hours"]
    assert link["status"] == "synced" and link["head"] == server.head("site", "main").decode()
    assert [p["version"] for p in link["pushes"]] == [4, 3, 2, 1]
    logs = "".join(p.read_text(errors="replace") for p in system.log_dir.glob("*.log"))
    assert TOKEN not in logs


async def test_bad_links_are_refused(system: System, server: GitServer) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        project = await create_project(c, "refused links")
        answers = [await c.put(f"/api/projects/{project}/git", json=body) for body in (
            {"remote_url": "http://10.0.0.1/site.git"},
            {"remote_url": "http://169.254.169.254/site.git"},
            {"remote_url": server.url("site").replace("http://", "http://u:p@")},
            {"remote_url": "ssh://git@example.com/site.git"},
            {"remote_url": server.url("site"), "branch": "../main"},
            {"remote_url": server.url("site"), "branch": "main.lock"},
        )]
        unknown = await c.put("/api/projects/nope/git", json={"remote_url": server.url("site")})
        status = await c.get(f"/api/projects/{project}/git")
        sync = await c.post(f"/api/projects/{project}/git/sync")
    assert [a.status_code for a in answers] == [422] * 6, [a.text for a in answers]
    assert (unknown.status_code, status.status_code, sync.status_code) == (404, 404, 404)
    assert server.requests == []


async def test_a_refused_token_shows_on_the_link_and_unlink_forgets_it(
        system: System, server: GitServer) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60) as c:
        project = await create_project(c, "wrong token")
        completed(await generate(c, project, "a tea room"))
        await c.put(f"/api/projects/{project}/git", json={
            "remote_url": server.url("site"), "token": "not-the-token-9c8e"})
        async with asyncio.timeout(60):
            while (link := (await c.get(f"/api/projects/{project}/git")).json())[
                    "status"] != "failed":
                await asyncio.sleep(0.2)
        gone = await c.delete(f"/api/projects/{project}/git")
        after = await c.get(f"/api/projects/{project}/git")
    assert "refused the credentials" in link["error"]
    assert "not-the-token-9c8e" not in str(link)
    assert (gone.status_code, after.status_code) == (204, 404)
    assert server.head("site", "main") is None
