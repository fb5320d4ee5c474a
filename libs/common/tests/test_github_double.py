"""The GitHub double holds to GitHub's OAuth rules, so a sign-in test against it means
something: a code works once and only with its PKCE verifier and the app's secret, redirects go
only to the registered callback, and the API wants a token it handed out."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest_asyncio

from paynto_common.testing.github import GitHubDouble

CALLBACK = "http://paynto.test/api/auth/github/callback"


@pytest_asyncio.fixture
async def github() -> AsyncIterator[GitHubDouble]:
    async with GitHubDouble(CALLBACK).running() as double:
        yield double


@pytest_asyncio.fixture
async def http(github: GitHubDouble) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=str(github.url), trust_env=False) as client:
        yield client


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


async def authorize(http: httpx.AsyncClient, github: GitHubDouble, verifier: str,
                    **extra: str) -> dict[str, str]:
    """Ask for a code as a browser would; the query GitHub redirects back with."""
    params = {"client_id": github.client_id, "redirect_uri": CALLBACK, "state": "s1",
              "scope": "read:user", "code_challenge": challenge_of(verifier),
              "code_challenge_method": "S256", **extra}
    r = await http.get("/login/oauth/authorize", params=params)
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.split("?")[0] == CALLBACK
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def exchange(http: httpx.AsyncClient, github: GitHubDouble, code: str, verifier: str,
                   secret: str | None = None) -> dict[str, str]:
    r = await http.post("/login/oauth/access_token", headers={"Accept": "application/json"},
                        data={"client_id": github.client_id,
                              "client_secret": secret or github.client_secret,
                              "code": code, "redirect_uri": CALLBACK,
                              "code_verifier": verifier})
    assert r.status_code == 200  # GitHub answers 200 even with an error
    answer: dict[str, str] = r.json()
    return answer


async def test_a_code_buys_a_token_once(github: GitHubDouble, http: httpx.AsyncClient) -> None:
    octocat = github.add_user("octocat", "The Octocat")
    verifier = secrets.token_urlsafe(48)
    back = await authorize(http, github, verifier)
    assert back["state"] == "s1"

    answer = await exchange(http, github, back["code"], verifier)
    assert answer["token_type"] == "bearer" and answer["access_token"].startswith("gho_")
    me = await http.get("/user", headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == octocat.id and me.json()["login"] == "octocat"

    again = await exchange(http, github, back["code"], verifier)
    assert again["error"] == "bad_verification_code" and "access_token" not in again
    assert github.exchanges == ["ok", "bad_verification_code"]


async def test_the_verifier_and_the_secret_must_match(github: GitHubDouble,
                                                      http: httpx.AsyncClient) -> None:
    github.add_user("octocat")
    verifier = secrets.token_urlsafe(48)
    back = await authorize(http, github, verifier)
    wrong = await exchange(http, github, back["code"], secrets.token_urlsafe(48))
    assert wrong["error"] == "bad_verification_code"
    # The failed try spent the code.
    assert (await exchange(http, github, back["code"], verifier))["error"] == \
        "bad_verification_code"

    back = await authorize(http, github, verifier)
    bad_secret = await exchange(http, github, back["code"], verifier, secret="nope")
    assert bad_secret["error"] == "incorrect_client_credentials"


async def test_redirects_only_to_the_registered_callback(github: GitHubDouble,
                                                         http: httpx.AsyncClient) -> None:
    github.add_user("octocat")
    r = await http.get("/login/oauth/authorize", params={
        "client_id": github.client_id, "redirect_uri": "http://evil.test/cb", "state": "s",
        "code_challenge": challenge_of("v" * 43), "code_challenge_method": "S256"})
    assert r.status_code == 302
    assert r.headers["location"].startswith(CALLBACK + "?")
    assert "error=redirect_uri_mismatch" in r.headers["location"]
    assert "code=" not in r.headers["location"]

    unknown = await http.get("/login/oauth/authorize",
                             params={"client_id": "someone-else", "redirect_uri": CALLBACK})
    assert unknown.status_code == 404


async def test_pkce_is_required_and_a_cancel_is_access_denied(
    github: GitHubDouble, http: httpx.AsyncClient,
) -> None:
    github.add_user("octocat")
    r = await http.get("/login/oauth/authorize", params={
        "client_id": github.client_id, "redirect_uri": CALLBACK, "state": "s"})
    assert "error=invalid_request" in r.headers["location"]

    github.deny = True
    back = await authorize(http, github, secrets.token_urlsafe(48))
    assert back["error"] == "access_denied" and back["state"] == "s1" and "code" not in back


async def test_the_api_wants_a_token_it_issued(github: GitHubDouble,
                                               http: httpx.AsyncClient) -> None:
    r = await http.get("/user", headers={"Authorization": "Bearer gho_made-up"})
    assert r.status_code == 401 and r.json()["message"] == "Bad credentials"
    assert (await http.get("/user")).status_code == 401


async def test_without_accept_json_the_answer_is_form_encoded(
    github: GitHubDouble, http: httpx.AsyncClient,
) -> None:
    github.add_user("octocat")
    verifier = secrets.token_urlsafe(48)
    back = await authorize(http, github, verifier)
    r = await http.post("/login/oauth/access_token", data={
        "client_id": github.client_id, "client_secret": github.client_secret,
        "code": back["code"], "code_verifier": verifier})
    assert r.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(r.text)["token_type"] == ["bearer"]
