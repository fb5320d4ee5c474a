"""Signing in with GitHub and out again, the signed-in user's API tokens, and the admins' list
of users.

Signing in is OAuth 2's authorization-code flow with PKCE:

1. ``/login`` stores an attempt (its ``state`` hashed, its PKCE verifier), binds it to this
   browser with a short-lived cookie holding the state, and sends the browser to GitHub.
2. GitHub sends the browser back to ``/callback`` with a code and the state. The state must be
   this browser's (else anyone could sign a victim in to the attacker's account by sending them
   a callback link) and an attempt still waiting, taken and deleted in one statement (so a
   replayed callback finds nothing). The code and the verifier buy a GitHub token, which says
   who the person is; the token is kept, encrypted, for git sync.
3. A new server-side session (a new secret at every sign-in); the cookie holds its secret.

Codes, tokens, states and cookies go into no log line and no error's text (errors name GitHub's
error code at most), and no trace (:func:`redact_query_in_trace`).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from opentelemetry.trace import Span
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import col, delete, func, select

from gateway.api.deps import DbDep, SettingsDep, UserDep
from gateway.api.schemas import Body
from gateway.auth import session_cookie_name
from gateway.settings import GatewaySettings
from paynto_common import accounts, ledger
from paynto_common.db import ApiToken, Database, OAuthAttempt, Project, User, utcnow
from paynto_common.vault import Vault, put_secret

CALLBACK_PATH = "/api/auth/github/callback"
# How long a sign-in may stay at GitHub before its callback is refused.
ATTEMPT_TTL = timedelta(minutes=10)
# The cookie that binds a sign-in attempt to the browser that started it.
ATTEMPT_COOKIE = "paynto_oauth"
SECURE_ATTEMPT_COOKIE = "__Host-paynto_oauth"
# Under this name the user's GitHub access token is kept (see paynto_common.vault).
GITHUB_SECRET = "github"
GITHUB_TIMEOUT_S = 10.0
# GitHub's error codes are snake_case words; anything else in their place is not repeated.
PROVIDER_ERROR_RE = re.compile(r"^[a-z0-9_]{1,64}$")
# Token errors that mean this server's OAuth app is set up wrong, not that the person should
# try again.
APP_ERRORS = frozenset({"incorrect_client_credentials", "redirect_uri_mismatch"})

# Anyone may call these (the steps of signing in and out).
public = APIRouter()
# The signed-in user's own account.
router = APIRouter()


async def _vault(request: Request) -> Vault:
    """The app's vault (made at start: ``gateway.app``)."""
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(_vault)]


class Me(BaseModel):
    id: str
    name: str
    role: str
    github_login: str | None
    auth_mode: str


class TokenCreate(Body):
    name: str = Field(default="", max_length=100)


class TokenCreated(BaseModel):
    """The only answer that holds the token itself."""

    id: str
    token: str
    prefix: str


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class UserRow(BaseModel):
    id: str
    name: str
    role: str
    github_login: str | None
    created_at: datetime
    projects: int
    cost_usd: float


class GitHubProfile(BaseModel):
    """What Paynto reads of ``GET /user``."""

    id: int
    login: str


# -- signing in ---------------------------------------------------------------------------


@public.get("/api/auth/github/login")
async def github_login(settings: SettingsDep, db: DbDep,
                       next_path: Annotated[str, Query(alias="next")] = "/") -> Response:
    """Send the browser to GitHub to sign in; back at ``next`` (a path of ours) afterwards."""
    _require_github(settings)
    state = secrets.token_urlsafe(32)
    # RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~]; this makes 64.
    verifier = secrets.token_urlsafe(48)
    async with _oauth_client(settings) as client:
        url, _ = client.create_authorization_url(
            f"{settings.github_url}/login/oauth/authorize", state=state,
            code_verifier=verifier)
    async with db.session() as s:
        # Abandoned attempts (the person never came back) go here rather than by a timer.
        await s.exec(delete(OAuthAttempt)
                     .where(col(OAuthAttempt.created_at) < utcnow() - ATTEMPT_TTL))
        s.add(OAuthAttempt(state_hash=accounts.digest(state), code_verifier=verifier,
                           next_path=_local_path(next_path)))
        await s.commit()
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(_attempt_cookie_name(settings), state,
                        max_age=int(ATTEMPT_TTL.total_seconds()), path="/",
                        secure=settings.is_https, httponly=True, samesite="lax")
    return response


@public.get(CALLBACK_PATH)
async def github_callback(request: Request, settings: SettingsDep, db: DbDep, vault: VaultDep,
                          code: str = "", state: str = "", error: str = "") -> Response:
    """Where GitHub sends the browser back: end the attempt, learn who signed in, start a
    session."""
    _require_github(settings)
    bound = request.cookies.get(_attempt_cookie_name(settings), "")
    if not state or not bound or not secrets.compare_digest(bound.encode(), state.encode()):
        raise HTTPException(400, "this sign-in did not start in this browser (or its cookie "
                                 "expired); sign in again")
    taken = await _take_attempt(db, state)
    if taken is None:
        raise HTTPException(400, "this sign-in was finished already or took longer than "
                                 f"{int(ATTEMPT_TTL.total_seconds() // 60)} minutes; sign in "
                                 "again")
    if error:
        raise HTTPException(400, f"GitHub did not sign you in ({_provider_error(error)})")
    if not code:
        raise HTTPException(400, "GitHub sent no authorization code; sign in again")
    verifier, next_path = taken
    token, profile = await _github_identity(settings, code, verifier)
    user = await accounts.user_for_github(db, profile.id, profile.login)
    await put_secret(db, vault, user.id, GITHUB_SECRET, token)
    earlier = request.cookies.get(session_cookie_name(settings))
    if earlier:
        await accounts.end_session(db, earlier)  # this browser's session before; one at a time
    secret = await accounts.start_session(db, user.id,
                                          timedelta(hours=settings.session_ttl_hours))
    response = RedirectResponse(next_path, status_code=302)
    response.set_cookie(session_cookie_name(settings), secret,
                        max_age=int(settings.session_ttl_hours * 3600), path="/",
                        secure=settings.is_https, httponly=True, samesite="lax")
    response.delete_cookie(_attempt_cookie_name(settings), path="/", secure=settings.is_https,
                           httponly=True, samesite="lax")
    return response


@public.post("/api/auth/logout", status_code=204)
async def logout(request: Request, settings: SettingsDep, db: DbDep) -> Response:
    """End the session the cookie names (on every replica at once: it is a row) and clear
    the cookie."""
    name = session_cookie_name(settings)
    secret = request.cookies.get(name)
    if secret:
        await accounts.end_session(db, secret)
    response = Response(status_code=204)
    response.delete_cookie(name, path="/", secure=settings.is_https, httponly=True,
                           samesite="lax")
    return response


def _require_github(settings: GatewaySettings) -> None:
    if not settings.github_client_id or settings.github_client_secret is None:
        raise HTTPException(503, "sign-in with GitHub is not set up on this server: the "
                                 "operator sets GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET "
                                 "(a GitHub OAuth app whose callback URL is PUBLIC_URL"
                                 f"{CALLBACK_PATH})")


def _attempt_cookie_name(settings: GatewaySettings) -> str:
    return SECURE_ATTEMPT_COOKIE if settings.is_https else ATTEMPT_COOKIE


def _local_path(path: str) -> str:
    """``path`` when it is a path on this site, else ``/``: after signing in, a browser must
    not be sent elsewhere (``//host`` and ``/\\host`` are other sites to a browser)."""
    if (not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 2000
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path)):
        return "/"
    return path


def _oauth_client(settings: GatewaySettings) -> AsyncOAuth2Client:
    assert settings.github_client_secret is not None
    return AsyncOAuth2Client(
        client_id=settings.github_client_id,
        client_secret=settings.github_client_secret.get_secret_value(),
        # GitHub documents the secret as a form field of the token request.
        token_endpoint_auth_method="client_secret_post",
        redirect_uri=settings.public_url.rstrip("/") + CALLBACK_PATH,
        scope=settings.github_scopes,
        code_challenge_method="S256",
        timeout=GITHUB_TIMEOUT_S,
    )


async def _take_attempt(db: Database, state: str) -> tuple[str, str] | None:
    """The PKCE verifier and the path to go back to of the live attempt of ``state``, deleted
    by the same statement that finds it: of two callbacks with one state, only one gets it."""
    stmt = (delete(OAuthAttempt)
            .where(col(OAuthAttempt.state_hash) == accounts.digest(state),
                   col(OAuthAttempt.created_at) >= utcnow() - ATTEMPT_TTL)
            .returning(col(OAuthAttempt.code_verifier), col(OAuthAttempt.next_path)))
    async with db.session() as s:
        row = (await s.exec(stmt)).first()
        await s.commit()
    return None if row is None else (row.code_verifier, row.next_path)


async def _github_identity(settings: GatewaySettings, code: str,
                           verifier: str) -> tuple[str, GitHubProfile]:
    """Exchange the code for the person's GitHub token and ask GitHub whose it is."""
    async with _oauth_client(settings) as client:
        try:
            token = await client.fetch_token(f"{settings.github_url}/login/oauth/access_token",
                                             code=code, code_verifier=verifier)
            answer = await client.get(f"{settings.github_api_url}/user", headers={
                "Accept": "application/vnd.github+json", "User-Agent": "paynto"})
        except OAuthError as exc:
            reason = _provider_error(exc.error)
            if reason in APP_ERRORS:
                raise HTTPException(502, f"GitHub refused this server's OAuth app ({reason}): "
                                         "the operator checks GITHUB_CLIENT_ID, "
                                         "GITHUB_CLIENT_SECRET and the app's callback URL "
                                         f"(PUBLIC_URL{CALLBACK_PATH})") from None
            raise HTTPException(400, f"GitHub refused the sign-in ({reason}); sign in "
                                     "again") from None
        except (httpx2.HTTPError, ValueError, TypeError):
            # ValueError, TypeError: an answer that is not the JSON asked for
            raise HTTPException(502, "GitHub did not answer the sign-in; try again "
                                     "later") from None
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise HTTPException(502, "GitHub's answer held no access token; sign in again")
    if answer.status_code != 200:
        raise HTTPException(502, f"GitHub answered {answer.status_code} when asked who signed "
                                 "in; sign in again")
    try:
        return access_token, GitHubProfile.model_validate_json(answer.content)
    except ValidationError:
        raise HTTPException(502, "GitHub's answer about who signed in was not as "
                                 "expected") from None


def redact_query_in_trace(span: Span, scope: dict[str, Any]) -> None:
    """A ``server_request_hook`` for OpenTelemetry's FastAPI instrumentation: the request's
    URL goes into the trace with its query values replaced, since credentials ride there (the
    sign-in callback's code and state, a preview link's token). The names stay, for
    debugging."""
    attributes = getattr(span, "attributes", None)  # an SDK span's; a no-op span has none
    if not scope.get("query_string") or not span.is_recording() or attributes is None:
        return
    url = attributes.get("http.url")  # the older semantic conventions
    if isinstance(url, str) and "?" in url:
        base, _, query = url.partition("?")
        span.set_attribute("http.url", f"{base}?{_redacted(query)}")
    query = attributes.get("url.query")  # the stable ones
    if isinstance(query, str):
        span.set_attribute("url.query", _redacted(query))


def _redacted(query: str) -> str:
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    return "&".join(f"{name}=REDACTED" for name in names)


def _provider_error(error: Any) -> str:
    text = str(error)
    return text if PROVIDER_ERROR_RE.match(text) else "an unknown error"


# -- the signed-in user -------------------------------------------------------------------


@router.get("/api/auth/me", response_model=Me)
async def me(user: UserDep, settings: SettingsDep) -> Me:
    return Me(id=user.id, name=user.name, role=user.role, github_login=user.github_login,
              auth_mode=settings.auth_mode)


@router.get("/api/auth/tokens", response_model=list[TokenOut])
async def list_tokens(user: UserDep, db: DbDep) -> list[ApiToken]:
    """The caller's tokens, revoked ones too; never a token or its hash."""
    return await accounts.tokens_of(db, user.id)


@router.post("/api/auth/tokens", status_code=201, response_model=TokenCreated)
async def create_token(body: TokenCreate, user: UserDep, db: DbDep) -> TokenCreated:
    """A new API token, shown in this answer and never again."""
    issued = await accounts.issue_token(db, user.id, body.name)
    return TokenCreated(id=issued.id, token=issued.token, prefix=issued.prefix)


@router.delete("/api/auth/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: str, user: UserDep, db: DbDep) -> Response:
    """Revoke one of the caller's tokens: the next request with it is refused, on every
    replica. Revoking a revoked token is fine; another user's token is unknown here."""
    if not await accounts.revoke_token(db, user.id, token_id):
        async with db.session() as s:
            row = await s.get(ApiToken, token_id)
        if row is None or row.user_id != user.id:
            raise HTTPException(404, f"unknown token {token_id}")
    return Response(status_code=204)


# -- admins -------------------------------------------------------------------------------


async def _admins_only(user: UserDep) -> None:
    if not user.is_admin:
        raise HTTPException(403, "admins only")


admin = APIRouter(dependencies=[Depends(_admins_only)])


@admin.get("/api/admin/users", response_model=list[UserRow])
async def list_users(db: DbDep) -> list[UserRow]:
    """Every user, with how many projects they own and what their model calls cost."""
    async with db.session() as s:
        users = (await s.exec(select(User).order_by(col(User.created_at)))).all()
        counts = dict((await s.exec(select(Project.owner_id, func.count())
                                    .group_by(col(Project.owner_id)))).all())
    rows = []
    for user in users:
        spent = (await ledger.usage(db, owner=user.id))["cost_usd"]
        rows.append(UserRow(id=user.id, name=user.name, role=user.role,
                            github_login=user.github_login, created_at=user.created_at,
                            projects=counts.get(user.id, 0), cost_usd=spent))
    return rows


# The API router includes ``router``, so the admin routes get its authentication too.
router.include_router(admin)
