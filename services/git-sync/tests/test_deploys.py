"""Deploying built files to Vercel and Netlify, against loopback doubles speaking their APIs:
what goes live is exactly the files given (binary included); Vercel gets each file once and a
redeploy of the same files uploads nothing; Netlify creates a site when there is none and
reuses it after; a wrong token, a failed build and a deploy that never goes live each end in a
DeployError that says why (never the token), permanent or not as retrying would help; an
unsafe path is refused before any request. Live tests run when the tokens are set."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from git_sync.deploys import (
    NAME_LIMIT,
    Deployed,
    DeployError,
    deploy_netlify,
    deploy_vercel,
    site_name,
    zip_files,
)
from git_sync.testing.netlify import NetlifyDouble
from git_sync.testing.vercel import VercelDouble

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)) * 3
DIST = {
    "index.html": b'<!doctype html><div id="root"></div><script src="/assets/index.js"></script>',
    "assets/index.js": b"console.log('bakery')\n",
    "assets/index.css": b"h1{color:#c0392b}\n",
    "assets/hero.png": PNG,
    # The same bytes as another file: one upload serves both paths.
    "assets/copy.css": b"h1{color:#c0392b}\n",
}
SECRET = "wrong-secret-token-3f9a"
UNSAFE = ["../x", "/etc/passwd", "a/../../b", "./index.html", "a//b", "a\\b", ""]


@pytest.fixture
async def vercel() -> AsyncIterator[VercelDouble]:
    async with VercelDouble().running() as double:
        yield double


@pytest.fixture
async def netlify() -> AsyncIterator[NetlifyDouble]:
    async with NetlifyDouble().running() as double:
        yield double


def sha(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


async def to_vercel(double: VercelDouble, files: dict[str, bytes], *, token: str | None = None,
                    team_id: str | None = None, timeout: float = 10.0,
                    poll_seconds: float = 0.001) -> Deployed:
    assert double.url is not None
    return await deploy_vercel(files, token=token or double.token, name="My Bakery",
                               api_url=double.url, team_id=team_id, timeout=timeout,
                               poll_seconds=poll_seconds)


async def to_netlify(double: NetlifyDouble, files: dict[str, bytes], *,
                     token: str | None = None, site_id: str | None = None,
                     timeout: float = 10.0, poll_seconds: float = 0.001) -> Deployed:
    assert double.url is not None
    return await deploy_netlify(files, token=token or double.token, name="My Bakery",
                                api_url=double.url, site_id=site_id, timeout=timeout,
                                poll_seconds=poll_seconds)


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("My Bakery", "my-bakery"), ("  Café -- Paris!! ", "caf-paris"), ("a---b", "a-b"),
    ("", "paynto-site"), ("!!!", "paynto-site"), ("x" * 80, "x" * NAME_LIMIT),
    ("a" * 51 + " b", "a" * 51),
])
def test_names_are_what_both_services_accept(given: str, expected: str) -> None:
    assert site_name(given) == expected


def test_the_same_files_make_the_same_zip() -> None:
    assert zip_files(DIST) == zip_files(dict(reversed(list(DIST.items()))))


# -- Vercel ---------------------------------------------------------------------------------


async def test_vercel_deploys_exactly_the_files_uploading_each_once(
        vercel: VercelDouble) -> None:
    deployed = await to_vercel(vercel, DIST)
    deployment = vercel.deployments[deployed.deploy_id]
    assert deployment.files == DIST
    assert deployment.name == "my-bakery" and deployment.target == "production"
    assert deployed.provider == "vercel" and deployed.site == "my-bakery"
    assert deployed.url == "https://my-bakery.vercel.app"
    # The deployment was asked for, answered missing_files, then the files went up: one
    # upload a distinct content (the two identical CSS files share one).
    assert vercel.missing_answers == 1
    assert sorted(vercel.uploads) == sorted({sha(data) for data in DIST.values()})


async def test_a_vercel_redeploy_uploads_only_what_changed(vercel: VercelDouble) -> None:
    await to_vercel(vercel, DIST)
    sent = len(vercel.uploads)
    again = await to_vercel(vercel, DIST)
    assert len(vercel.uploads) == sent and vercel.missing_answers == 1
    assert vercel.deployments[again.deploy_id].files == DIST

    changed = {**DIST, "assets/index.js": b"console.log('bakery, v2')\n"}
    third = await to_vercel(vercel, changed)
    assert vercel.uploads[sent:] == [sha(changed["assets/index.js"])]
    assert vercel.deployments[third.deploy_id].files == changed
    assert len({again.deploy_id, third.deploy_id}) == 2


async def test_vercel_requests_carry_the_team(vercel: VercelDouble) -> None:
    await to_vercel(vercel, DIST, team_id="team_paynto")
    assert vercel.requests and all(r.team_id == "team_paynto" for r in vercel.requests)
    assert all(r.authorized for r in vercel.requests)


async def test_vercel_waits_for_the_build(vercel: VercelDouble) -> None:
    vercel.ready_after_polls = 4
    deployed = await to_vercel(vercel, DIST)
    assert vercel.deployments[deployed.deploy_id].polls == 4


async def test_a_wrong_vercel_token_is_permanent_and_not_shown(
        vercel: VercelDouble, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeployError) as refused:
        await to_vercel(vercel, DIST, token=SECRET)
    assert refused.value.permanent and refused.value.status == 403
    assert "token" in refused.value.message and "Not authorized" in refused.value.message
    assert SECRET not in str(refused.value) and SECRET not in caplog.text
    assert vercel.deployments == {} and vercel.uploads == []


async def test_a_failed_vercel_build_says_why(vercel: VercelDouble) -> None:
    vercel.fail_next = "Command exited with 137: out of memory"
    with pytest.raises(DeployError) as failed:
        await to_vercel(vercel, DIST)
    assert "out of memory" in failed.value.message and "ERROR" in failed.value.message
    assert failed.value.permanent
    # The next one is fine again.
    assert (await to_vercel(vercel, DIST)).url == "https://my-bakery.vercel.app"


async def test_a_vercel_deployment_never_ready_times_out(vercel: VercelDouble) -> None:
    vercel.ready_after_polls = 10**9
    with pytest.raises(DeployError) as late:
        await to_vercel(vercel, DIST, timeout=0.3, poll_seconds=0.005)
    assert not late.value.permanent and "not live within 0.3 s" in late.value.message
    [deployment] = vercel.deployments.values()
    assert deployment.polls >= 2  # it was polled, and gave up


@pytest.mark.parametrize("path", UNSAFE)
async def test_vercel_refuses_an_unsafe_path_before_any_request(
        vercel: VercelDouble, path: str) -> None:
    with pytest.raises(DeployError) as refused:
        await to_vercel(vercel, {**DIST, path: b"x"})
    assert refused.value.permanent
    assert vercel.requests == []


async def test_vercel_unreachable_is_not_permanent() -> None:
    double = VercelDouble()
    async with double.running():
        url = double.url
    assert url is not None
    with pytest.raises(DeployError) as down:
        await deploy_vercel(DIST, token=SECRET, name="x", api_url=url, timeout=10.0)
    assert not down.value.permanent and "could not be reached" in down.value.message
    assert SECRET not in down.value.message


# -- Netlify --------------------------------------------------------------------------------


async def test_netlify_creates_a_site_and_deploys_exactly_the_files(
        netlify: NetlifyDouble) -> None:
    deployed = await to_netlify(netlify, DIST)
    site = netlify.sites[deployed.site]
    assert site.name == "my-bakery"
    assert deployed.provider == "netlify" and deployed.url == site.ssl_url
    deploy = netlify.deployments[deployed.deploy_id]
    assert deploy.files == DIST and deploy.site is site


async def test_netlify_reuses_the_site_it_is_given(netlify: NetlifyDouble) -> None:
    first = await to_netlify(netlify, DIST)
    changed = {**DIST, "index.html": b"<h1>v2</h1>"}
    second = await to_netlify(netlify, changed, site_id=first.site)
    assert second.site == first.site and len(netlify.sites) == 1
    assert second.deploy_id != first.deploy_id
    assert netlify.deployments[second.deploy_id].files == changed
    assert [r for r in netlify.requests if r[1] == "/api/v1/sites"] == [
        ("POST", "/api/v1/sites", True)]


async def test_netlify_sends_the_same_zip_for_the_same_files(netlify: NetlifyDouble) -> None:
    first = await to_netlify(netlify, DIST)
    second = await to_netlify(netlify, DIST, site_id=first.site)
    assert (netlify.deployments[first.deploy_id].archive
            == netlify.deployments[second.deploy_id].archive)


async def test_a_netlify_name_someone_has_gets_a_suffix(netlify: NetlifyDouble) -> None:
    netlify.taken_names.add("my-bakery")
    deployed = await to_netlify(netlify, DIST)
    name = netlify.sites[deployed.site].name
    assert name.startswith("my-bakery-") and len(name) == len("my-bakery-") + 6
    assert deployed.url == f"https://{name}.netlify.app"


async def test_netlify_waits_for_processing(netlify: NetlifyDouble) -> None:
    netlify.ready_after_polls = 3
    deployed = await to_netlify(netlify, DIST)
    assert netlify.deployments[deployed.deploy_id].polls == 3


async def test_a_wrong_netlify_token_is_permanent_and_not_shown(
        netlify: NetlifyDouble, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeployError) as refused:
        await to_netlify(netlify, DIST, token=SECRET)
    assert refused.value.permanent and refused.value.status == 401
    assert "token" in refused.value.message and "Access Denied" in refused.value.message
    assert SECRET not in str(refused.value) and SECRET not in caplog.text
    assert netlify.sites == {} and netlify.deployments == {}


async def test_an_unknown_netlify_site_is_permanent(netlify: NetlifyDouble) -> None:
    with pytest.raises(DeployError) as missing:
        await to_netlify(netlify, DIST, site_id="no-such-site")
    assert missing.value.permanent and missing.value.status == 404
    assert netlify.sites == {}  # not silently replaced by a new site


async def test_a_failed_netlify_deploy_says_why(netlify: NetlifyDouble) -> None:
    netlify.fail_next = "Failed to process the zip: too many files"
    with pytest.raises(DeployError) as failed:
        await to_netlify(netlify, DIST)
    assert "too many files" in failed.value.message and failed.value.permanent


async def test_a_netlify_deploy_never_ready_times_out(netlify: NetlifyDouble) -> None:
    netlify.ready_after_polls = 10**9
    with pytest.raises(DeployError) as late:
        await to_netlify(netlify, DIST, timeout=0.3, poll_seconds=0.005)
    assert not late.value.permanent and "not live within 0.3 s" in late.value.message
    [deploy] = netlify.deployments.values()
    assert deploy.polls >= 2


@pytest.mark.parametrize("path", UNSAFE)
async def test_netlify_refuses_an_unsafe_path_before_any_request(
        netlify: NetlifyDouble, path: str) -> None:
    with pytest.raises(DeployError) as refused:
        await to_netlify(netlify, {**DIST, path: b"x"})
    assert refused.value.permanent
    assert netlify.requests == []


# -- live -----------------------------------------------------------------------------------

LIVE_NAME = "paynto-live-test"


def live_page() -> dict[str, bytes]:
    marker = uuid.uuid4().hex
    return {"index.html": f"<!doctype html><title>Paynto live test</title>{marker}".encode()}


async def assert_serves(url: str, page: dict[str, bytes]) -> None:
    async with httpx.AsyncClient(follow_redirects=True, timeout=30) as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert page["index.html"].decode() in response.text


@pytest.mark.live
@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.environ.get("VERCEL_TOKEN"),
                    reason="VERCEL_TOKEN is not set: the live Vercel deploy needs a token")
async def test_live_vercel() -> None:
    page = live_page()
    deployed = await deploy_vercel(page, token=os.environ["VERCEL_TOKEN"], name=LIVE_NAME,
                                   team_id=os.environ.get("VERCEL_TEAM_ID") or None,
                                   timeout=240)
    assert deployed.url.startswith("https://") and deployed.site == LIVE_NAME
    await assert_serves(deployed.url, page)


@pytest.mark.live
@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.environ.get("NETLIFY_AUTH_TOKEN"),
                    reason="NETLIFY_AUTH_TOKEN is not set: the live Netlify deploy needs a "
                           "token")
async def test_live_netlify() -> None:
    # NETLIFY_SITE_ID reuses a site; without it each run creates one.
    page = live_page()
    deployed = await deploy_netlify(page, token=os.environ["NETLIFY_AUTH_TOKEN"],
                                    name=LIVE_NAME,
                                    site_id=os.environ.get("NETLIFY_SITE_ID") or None,
                                    timeout=240)
    assert deployed.url.startswith("https://") and deployed.site
    await assert_serves(deployed.url, page)
