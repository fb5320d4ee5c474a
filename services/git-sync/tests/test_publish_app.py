"""Deploy jobs in-process on real NATS and SQLite, against loopback doubles of Vercel's and
Netlify's APIs: a stored build goes to each provider its owner keeps a token for, as it is
served at /sites/ (pages rooted at "/", a deep link answered with the page); the provider's
site is kept for the next publish; a refused token fails the deploy with the reason and never
shows the token. Also what git-sync starts for publishing: a site that publishes on sync gets
the newest pushed version published, and quick versions join a sync job still waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from sqlmodel import select

from git_sync.app import routes
from git_sync.settings import GitSyncSettings
from git_sync.testing.git_server import serve_git
from git_sync.testing.netlify import NetlifyDouble
from git_sync.testing.vercel import VercelDouble
from paynto_common.bus import Bus, Router
from paynto_common.db import (
    LOCAL_USER_ID,
    Database,
    Deploy,
    GitLink,
    Job,
    Project,
    Publish,
    PublishFile,
    PublishStatus,
    Site,
    Version,
)
from paynto_common.gitsync import request_sync
from paynto_common.messages import GIT_SYNC, DeployView, project_channel
from paynto_common.publishing import deploy_secret, request_deploys
from paynto_common.testing.worker import consuming, events_until_end
from paynto_common.vault import Vault, put_secret

INDEX = b'<!doctype html><html><head><script type="module" src="./assets/app.js"></script>' \
        b"</head><body><div id=root></div></body></html>"
BUILD = {"index.html": (INDEX, "text/html; charset=utf-8"),
         "assets/app.js": (b"document.title = 'Corner Bakery'", "text/javascript; charset=utf-8"),
         "assets/logo.png": (bytes(range(256)), "image/png")}


@pytest.fixture
def vault() -> Vault:
    return Vault(Fernet.generate_key().decode())


@pytest_asyncio.fixture
async def vercel() -> AsyncIterator[VercelDouble]:
    double = VercelDouble()
    async with double.running():
        yield double


@pytest_asyncio.fixture
async def netlify() -> AsyncIterator[NetlifyDouble]:
    double = NetlifyDouble()
    async with double.running():
        yield double


def settings(vercel: VercelDouble, netlify: NetlifyDouble, **more: Any) -> GitSyncSettings:
    assert vercel.url and netlify.url
    return GitSyncSettings(vercel_api_url=vercel.url, netlify_api_url=netlify.url,
                           deploy_poll_seconds=0.02, deploy_timeout_seconds=20, **more)


async def published_build(db: Database) -> tuple[Project, Publish]:
    """A project of the local user whose version 1 is built and live at /sites/."""
    async with db.session() as s:
        project = Project(name="Corner Bakery")
        s.add(project)
        await s.flush()
        s.add(Site(project_id=project.id, user_id=LOCAL_USER_ID, slug=f"bakery-{project.id[:6]}"))
        publish = Publish(project_id=project.id, version=1, status=PublishStatus.READY)
        s.add(publish)
        await s.flush()
        for path, (data, kind) in BUILD.items():
            s.add(PublishFile(publish_id=publish.id, path=path, media_type=kind, data=data))
        await s.commit()
        await s.refresh(project)
        await s.refresh(publish)
    return project, publish


async def deploy(bus: Bus, db: Database, vault: Vault, config: GitSyncSettings,
                 publish: Publish) -> dict[str, Deploy]:
    """Start the deploys of ``publish`` and run them (at once) to their end: its deploys."""
    started = await request_deploys(db, bus, publish, LOCAL_USER_ID)
    async with consuming(bus, db, GIT_SYNC, Router(routes(config, bus, db, vault))):
        for provider in started:
            async with db.session() as s:
                row = await s.get(Deploy, (publish.id, provider))
            assert row is not None
            await events_until_end(bus, row.job_id, timeout=30)
    async with db.session() as s:
        rows = (await s.exec(select(Deploy).where(Deploy.publish_id == publish.id))).all()
    return {row.provider: row for row in rows}


async def test_a_build_goes_to_each_provider_with_a_token(
        bus: Bus, db: Database, vault: Vault, vercel: VercelDouble,
        netlify: NetlifyDouble) -> None:
    config = settings(vercel, netlify)
    await put_secret(db, vault, LOCAL_USER_ID, deploy_secret("vercel"), vercel.token)
    await put_secret(db, vault, LOCAL_USER_ID, deploy_secret("netlify"), netlify.token)
    project, publish = await published_build(db)

    deploys = await deploy(bus, db, vault, config, publish)
    # Both at once, each in its own row: neither writes over the other.
    assert {name: d.status for name, d in deploys.items()} == {"vercel": "ready",
                                                               "netlify": "ready"}
    assert deploys["netlify"].url and deploys["netlify"].url.startswith("https://bakery-")
    assert deploys["vercel"].url and deploys["vercel"].url.endswith(".vercel.app")
    (sent_vercel,) = [d.files for d in vercel.deployments.values()]
    (sent_netlify,) = [d.files for d in netlify.deployments.values()]
    for sent in (sent_vercel, sent_netlify):
        # The page's base is the site's root there, the assets go as they are.
        assert sent["index.html"].startswith(b'<!doctype html><html><head><base href="/">')
        assert sent["assets/app.js"] == BUILD["assets/app.js"][0]
        assert sent["assets/logo.png"] == bytes(range(256))
    # Each provider's own way of answering a deep link with the page.
    assert json.loads(sent_vercel["vercel.json"])["rewrites"][0]["destination"] == \
        "/index.html"
    assert sent_netlify["_redirects"].split() == [b"/*", b"/index.html", b"200"]
    assert "_redirects" not in sent_vercel and "vercel.json" not in sent_netlify

    # The next publish updates the same sites.
    async with db.session() as s:
        site = await s.get(Site, project.id)
    assert site is not None and site.netlify_site_id in netlify.sites
    assert site.vercel_project is not None
    _, again = await published_build(db)
    async with db.session() as s:
        row = await s.get(Publish, again.id)
        assert row is not None
        row.project_id = project.id
        s.add(row)
        await s.commit()
        await s.refresh(row)
    await deploy(bus, db, vault, config, row)
    assert len(netlify.sites) == 1 and len(netlify.deployments) == 2

    # The project's channel told each step.
    seen = []
    async for event in _channel(bus, project.id):
        seen.append((event.provider, event.status))
    assert ("vercel", "ready") in seen and ("netlify", "ready") in seen


async def _channel(bus: Bus, project_id: str) -> AsyncIterator[DeployView]:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(1):
            async for _seq, event in bus.job_events(project_channel(project_id)):
                if event.event == "deploy":
                    yield DeployView.model_validate(event.data)


async def test_no_token_means_no_deploy(bus: Bus, db: Database) -> None:
    _, publish = await published_build(db)
    assert await request_deploys(db, bus, publish, LOCAL_USER_ID) == []
    async with db.session() as s:
        rows = (await s.exec(select(Deploy))).all()
        kinds = (await s.exec(select(Job.kind).where(Job.kind == "deploy"))).all()
    assert rows == [] and kinds == []


async def test_a_refused_token_fails_the_deploy_with_the_reason(
        bus: Bus, db: Database, vault: Vault, vercel: VercelDouble, netlify: NetlifyDouble,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "nfp_wrong-token-" + "x" * 20
    await put_secret(db, vault, LOCAL_USER_ID, deploy_secret("netlify"), wrong)
    _, publish = await published_build(db)
    deploys = await deploy(bus, db, vault, settings(vercel, netlify), publish)
    failed = deploys["netlify"]
    assert failed.status == "failed" and failed.error and failed.error.startswith("netlify: ")
    assert netlify.deployments == {}
    async with db.session() as s:
        job = await s.get(Job, failed.job_id)
    assert job is not None and job.status == "error"
    assert wrong not in caplog.text and wrong not in failed.model_dump_json()
    assert wrong not in (job.error or "")


async def test_a_site_that_publishes_on_sync_publishes_the_newest_pushed_version(
        bus: Bus, db: Database, vault: Vault, vercel: VercelDouble, netlify: NetlifyDouble,
        tmp_path: Path) -> None:
    with serve_git(tmp_path / "remote") as server:
        config = settings(vercel, netlify,
                          git_allow_hosts=server.base.removeprefix("http://"))
        async with db.session() as s:
            project = Project(name="Auto")
            s.add(project)
            await s.flush()
            for n in (1, 2):
                s.add(Version(project_id=project.id, number=n,
                              files={"src/App.jsx": f"export default () => <h1>{n}</h1>\n"}))
            s.add(GitLink(project_id=project.id, user_id=LOCAL_USER_ID,
                          remote_url=server.url("site"), secret="git:site"))
            s.add(Site(project_id=project.id, user_id=LOCAL_USER_ID, slug="auto-abc123",
                       auto_publish=True))
            await s.commit()
            await s.refresh(project)
        await put_secret(db, vault, LOCAL_USER_ID, "git:site", server.token)
        # Two quick requests while the first waits: one job.
        first = await request_sync(db, bus, project.id)
        assert await request_sync(db, bus, project.id) == first
        assert first is not None
        async with consuming(bus, db, GIT_SYNC, Router(routes(config, bus, db, vault))):
            await events_until_end(bus, first, timeout=30)
    async with db.session() as s:
        publishes = (await s.exec(select(Publish).where(
            Publish.project_id == project.id))).all()
        syncs = (await s.exec(select(Job).where(Job.project_id == project.id,
                                                 Job.kind == "git-sync"))).all()
    assert [(p.version, p.status) for p in publishes] == [(2, PublishStatus.BUILDING)]
    assert len(syncs) == 1
    # A sync once that one started is a job of its own.
    assert await request_sync(db, bus, project.id) != first
