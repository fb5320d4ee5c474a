"""Sync jobs in-process on real NATS and SQLite, pushing to a git smart-HTTP server on
loopback: a linked project's versions become one commit each, in order, with their request
as the message; a sync killed between a push and its record pushes nothing twice; a branch
that moved is left alone; a refused token fails the link with the reason and never shows the
token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from dulwich.objects import Commit
from sqlmodel import select

from git_sync.app import routes
from git_sync.remote import Remote, push_files
from git_sync.settings import GitSyncSettings
from git_sync.sync import marker
from git_sync.testing.git_server import GitServer, serve_git
from paynto_common.bus import Bus, Router
from paynto_common.db import LOCAL_USER_ID, Database, GitLink, GitPush, Job, Version
from paynto_common.gitsync import request_sync
from paynto_common.messages import GIT_SYNC, JobEvent, project_channel
from paynto_common.testing.worker import consuming, events_until_end, new_job
from paynto_common.vault import Vault, put_secret

PROMPTS = ["a bakery in Leeds", "make the hero darker", "add a menu page"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with serve_git(tmp_path / "remote") as served:
        yield served


@pytest.fixture
def vault() -> Vault:
    return Vault(Fernet.generate_key().decode())


def settings(server: GitServer) -> GitSyncSettings:
    return GitSyncSettings(git_allow_hosts=server.base.removeprefix("http://"))


async def linked_project(db: Database, vault: Vault, server: GitServer, versions: int,
                         token: str | None = None) -> str:
    """A project of the local user with ``versions`` versions (each made by a prompt), linked
    to the server's repository with the token stored sealed."""
    project_id = (await new_job(db, "generate")).project_id
    async with db.session() as s:
        for n in range(versions):
            job = Job(project_id=project_id, kind="generate", prompt=PROMPTS[n])
            s.add(job)
            await s.flush()
            s.add(Version(project_id=project_id, number=n + 1, job_id=job.id,
                          files={"src/App.jsx": f"export default () => <h1>{n + 1}</h1>\n"}))
        s.add(GitLink(project_id=project_id, user_id=LOCAL_USER_ID,
                      remote_url=server.url("site"), secret="git:site"))
        await s.commit()
    await put_secret(db, vault, LOCAL_USER_ID, "git:site", token or server.token)
    return project_id


async def sync(bus: Bus, db: Database, vault: Vault, server: GitServer,
               project_id: str) -> list[JobEvent]:
    handler = Router(routes(settings(server), bus, db, vault))
    async with consuming(bus, db, GIT_SYNC, handler):
        job_id = await request_sync(db, bus, project_id)
        assert job_id is not None
        return await events_until_end(bus, job_id)


def history(server: GitServer, branch: str = "main") -> list[str]:
    repo = server.repos["site"]
    sha = server.head("site", branch)
    messages = []
    while sha:
        commit = repo[sha]
        assert isinstance(commit, Commit)
        messages.append(commit.message.decode())
        sha = commit.parents[0] if commit.parents else None
    return list(reversed(messages))


async def test_versions_are_pushed_in_order_once_each(bus: Bus, db: Database, vault: Vault,
                                                      server: GitServer) -> None:
    project_id = await linked_project(db, vault, server, 3)
    first = await sync(bus, db, vault, server, project_id)
    again = await sync(bus, db, vault, server, project_id)
    assert [e.event for e in first] == ["job", "git_sync", "git_sync", "git_sync", "complete"]
    assert first[-1].data["pushed"] == [1, 2, 3] and again[-1].data["pushed"] == []
    assert history(server) == [
        f"{prompt}\n\n{marker(project_id, n + 1)}\n" for n, prompt in enumerate(PROMPTS)]
    async with db.session() as s:
        link = await s.get(GitLink, project_id)
        pushes = (await s.exec(select(GitPush).where(GitPush.project_id == project_id))).all()
    assert link is not None and (link.status, link.pushed_version) == ("synced", 3)
    assert link.head == server.head("site", "main").decode()  # type: ignore[union-attr]
    assert sorted(p.version for p in pushes) == [1, 2, 3]
    # The project's channel tells the studio, version by version.
    seen = [e.data["version"] async for _s, e in _first(bus, project_channel(project_id), 3)]
    assert seen == [1, 2, 3]


async def _first(bus: Bus, channel: str, count: int):  # type: ignore[no-untyped-def]
    n = 0
    async for item in bus.job_events(channel):
        yield item
        n += 1
        if n == count:
            return


async def test_a_push_whose_record_was_lost_is_not_pushed_twice(
        bus: Bus, db: Database, vault: Vault, server: GitServer) -> None:
    project_id = await linked_project(db, vault, server, 2)
    # A sync pushed version 1, then died before recording it: the link still says 0.
    await push_files(Remote(server.url("site"), server.token), "main",
                     {"src/App.jsx": "export default () => <h1>1</h1>\n"},
                     f"{PROMPTS[0]}\n\n{marker(project_id, 1)}\n", author="Paynto <p@x>",
                     expected=None, policy=settings(server).fetch_policy(),
                     marker=marker(project_id, 1))
    events = await sync(bus, db, vault, server, project_id)
    pushed = [e.data for e in events if e.event == "git_sync"]
    assert [(p["version"], p["already"]) for p in pushed] == [(1, True), (2, False)]
    assert len(history(server)) == 2  # version 1 once, then version 2


async def test_a_branch_that_moved_is_not_overwritten(bus: Bus, db: Database, vault: Vault,
                                                      server: GitServer) -> None:
    project_id = await linked_project(db, vault, server, 1)
    await sync(bus, db, vault, server, project_id)
    theirs = await push_files(Remote(server.url("site"), server.token), "main",
                              {"README.md": "theirs"}, "their change", author="Them <t@x>",
                              expected=server.head("site", "main").decode(),  # type: ignore[union-attr]
                              policy=settings(server).fetch_policy())
    async with db.session() as s:
        s.add(Version(project_id=project_id, number=2, files={"src/App.jsx": "two"}))
        await s.commit()
    events = await sync(bus, db, vault, server, project_id)
    [pushed] = [e.data for e in events if e.event == "git_sync"]
    assert pushed["moved"] and pushed["branch"].startswith("paynto/main-")
    assert server.head("site", "main") == theirs.commit.encode()
    async with db.session() as s:
        link = await s.get(GitLink, project_id)
    assert link is not None and (link.status, link.branch) == ("moved", pushed["branch"])
    assert link.error is not None and "had moved" in link.error


async def test_a_refused_token_fails_the_link_and_never_shows_the_token(
        bus: Bus, db: Database, vault: Vault, server: GitServer,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    project_id = await linked_project(db, vault, server, 1, token="wrong-secret-token-123")
    events = await sync(bus, db, vault, server, project_id)
    assert events[-1].event == "error"
    assert "refused the credentials" in events[-1].data["message"]
    async with db.session() as s:
        link = await s.get(GitLink, project_id)
    assert link is not None and link.status == "failed"
    everything = caplog.text + repr([e.data for e in events]) + (link.error or "")
    assert "wrong-secret-token-123" not in everything
    assert server.head("site", "main") is None


async def test_a_project_without_a_link_starts_no_sync(bus: Bus, db: Database) -> None:
    project_id = (await new_job(db, "generate")).project_id
    assert await request_sync(db, bus, project_id) is None
