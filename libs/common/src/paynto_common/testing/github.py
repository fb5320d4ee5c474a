"""A stand-in for GitHub: a real HTTP server on loopback speaking GitHub's OAuth web flow and
the REST API calls Paynto makes, so sign-in is tested with real redirects and real requests.

It plays both sides GitHub plays: the page a browser is sent to (``/login/oauth/authorize``,
which here answers as if the person signed in to GitHub — :attr:`GitHubDouble.browser_user` —
clicked "Authorize" or, with :attr:`GitHubDouble.deny`, "Cancel"), and the endpoints the server
calls (``/login/oauth/access_token``, ``/user``). One server answers both ``github_url`` and
``github_api_url``: the API paths do not overlap the web ones.

Checked as GitHub checks them: the client id, the redirect URI (the registered callback or a
path under it), the client secret, the PKCE verifier against the challenge; a code works once
(its first use spends it, good or bad). Errors are GitHub's: a token request that fails still
answers 200, with ``{"error": ...}``.

To serve more of GitHub (repositories, for git sync), add routes in :meth:`GitHubDouble.routes`
and find the caller with :meth:`GitHubDouble.api_user`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from paynto_common.testing.serve import serve_app

ERROR_DOCS = "https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"


@dataclass
class GitHubUser:
    """A GitHub account."""

    id: int
    login: str
    name: str | None = None

    def as_json(self) -> dict[str, Any]:
        """What ``GET /user`` answers for it (the fields Paynto reads, and a few more)."""
        return {"id": self.id, "login": self.login, "name": self.name, "type": "User",
                "node_id": f"U_{self.id}", "html_url": f"https://github.com/{self.login}"}


@dataclass
class _Grant:
    """An authorization code waiting to be exchanged."""

    user: GitHubUser
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None


class GitHubDouble:
    """The state of the fake GitHub (its users, codes and tokens) and its ASGI app."""

    def __init__(self, callback_url: str, *, client_id: str = "Iv1.paynto-test",
                 client_secret: str | None = None, require_pkce: bool = True) -> None:
        # The OAuth app: its id, secret and registered callback URL.
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_hex(20)
        self.callback_url = callback_url
        # Refuse an authorization request without a PKCE challenge (GitHub allows one;
        # Paynto must always send it).
        self.require_pkce = require_pkce
        self.users: dict[int, GitHubUser] = {}
        # Who is signed in to GitHub in "the browser": the person who authorizes the app.
        self.browser_user: GitHubUser | None = None
        # The person clicks "Cancel" instead of "Authorize".
        self.deny = False
        # Access tokens handed out, and whose they are.
        self.tokens: dict[str, GitHubUser] = {}
        # Every token request's outcome, in order: "ok" or GitHub's error code.
        self.exchanges: list[str] = []
        # Where it serves, while it does.
        self.url: str | None = None
        self._grants: dict[str, _Grant] = {}
        self._ids = itertools.count(1001)

    # -- the world ------------------------------------------------------------------------

    def add_user(self, login: str, name: str | None = None, *, id: int | None = None,
                 sign_in: bool = True) -> GitHubUser:
        """A new GitHub account; by default also the one signed in to GitHub in the browser."""
        user = GitHubUser(id=id if id is not None else next(self._ids), login=login, name=name)
        self.users[user.id] = user
        if sign_in:
            self.browser_user = user
        return user

    # -- serving --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("/login/oauth/authorize", self._authorize, methods=["GET"]),
            Route("/login/oauth/access_token", self._access_token, methods=["POST"]),
            Route("/user", self._user, methods=["GET"]),
        ]

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[GitHubDouble]:
        """Serve on a free loopback port for the ``async with`` block; :attr:`url` is where."""
        async with serve_app(self.app()) as url:
            self.url = url
            try:
                yield self
            finally:
                self.url = None

    # -- the web flow ---------------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != self.client_id:
            # GitHub shows a page, not a redirect: the redirect URI of an unknown app is
            # not to be trusted.
            return PlainTextResponse("404: this OAuth app does not exist", status_code=404)
        redirect_uri = query.get("redirect_uri") or self.callback_url
        state = query.get("state")
        if not _under(redirect_uri, self.callback_url):
            return self._back(self.callback_url, state, error="redirect_uri_mismatch",
                              error_description="The redirect_uri MUST match the registered "
                                                "callback URL for this application.")
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method")
        if (challenge is None and self.require_pkce) or (challenge and method != "S256"):
            return self._back(redirect_uri, state, error="invalid_request",
                              error_description="PKCE with code_challenge_method=S256 is "
                                                "required.")
        if self.deny or self.browser_user is None:
            return self._back(redirect_uri, state, error="access_denied",
                              error_description="The user has denied your application access.")
        code = secrets.token_hex(10)
        self._grants[code] = _Grant(self.browser_user, redirect_uri, challenge, method)
        return self._back(redirect_uri, state, code=code)

    @staticmethod
    def _back(redirect_uri: str, state: str | None, **params: str) -> RedirectResponse:
        if state is not None:
            params["state"] = state
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(params)}", status_code=302)

    async def _access_token(self, request: Request) -> Response:
        # GitHub takes the parameters as a form, JSON or the query string. (Parsed by hand:
        # Starlette's form parser needs python-multipart.)
        fields = dict(request.query_params)
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            fields.update({key: str(value) for key, value in json.loads(body).items()})
        else:
            fields.update(parse_qsl(body.decode()))
        outcome = self._exchange(fields)
        self.exchanges.append(outcome.get("error", "ok"))
        if "json" in request.headers.get("accept", ""):
            return JSONResponse(outcome)
        # Without Accept: application/json, GitHub answers form-encoded.
        return Response(urlencode(outcome), media_type="application/x-www-form-urlencoded")

    def _exchange(self, fields: dict[str, str]) -> dict[str, str]:
        if (fields.get("client_id") != self.client_id
                or not secrets.compare_digest(fields.get("client_secret", ""),
                                              self.client_secret)):
            return _error("incorrect_client_credentials",
                          "The client_id and/or client_secret passed are incorrect.")
        grant = self._grants.pop(fields.get("code", ""), None)
        if grant is None:
            return _error("bad_verification_code", "The code passed is incorrect or expired.")
        if fields.get("redirect_uri", grant.redirect_uri) != grant.redirect_uri:
            return _error("redirect_uri_mismatch",
                          "The redirect_uri MUST match the registered callback URL for this "
                          "application.")
        if grant.code_challenge is not None:
            verifier = fields.get("code_verifier", "")
            if _s256(verifier) != grant.code_challenge:
                return _error("bad_verification_code",
                              "The code_verifier does not match the code_challenge.")
        token = "gho_" + secrets.token_urlsafe(27)
        self.tokens[token] = grant.user
        return {"access_token": token, "token_type": "bearer", "scope": "read:user"}

    # -- the REST API ---------------------------------------------------------------------

    def api_user(self, request: Request) -> GitHubUser | None:
        """Whose token a REST API request carries (``Bearer`` or GitHub's ``token`` scheme)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.tokens.get(token.strip())

    async def _user(self, request: Request) -> Response:
        user = self.api_user(request)
        if user is None:
            return bad_credentials()
        return JSONResponse(user.as_json())


def bad_credentials() -> JSONResponse:
    """GitHub's answer to a REST request without a valid token."""
    return JSONResponse({"message": "Bad credentials",
                         "documentation_url": "https://docs.github.com/rest", "status": "401"},
                        status_code=401)


def _error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "error_description": description,
            "error_uri": f"{ERROR_DOCS}#{code.replace('_', '-')}"}


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _under(uri: str, registered: str) -> bool:
    """GitHub's rule: the same scheme, host and port as the callback URL, and its path or a
    path under it."""
    got, want = urlsplit(uri), urlsplit(registered)
    if (got.scheme, got.netloc) != (want.scheme, want.netloc):
        return False
    base = want.path.rstrip("/")
    return got.path == want.path or got.path.startswith(base + "/")
