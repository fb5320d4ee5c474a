"""Who is asking: a request's user, from (in this order) an API token, a session cookie, the
trusted proxy's header, or — in ``AUTH_MODE=local`` only — the one local user.

Every route under ``/api/`` depends on :func:`current_user` (the API router declares it), so a
new route cannot forget to ask; the few that anyone may call (signing in) are on their own
router. An absent or wrong credential answers 401 in ``required`` mode. A credential that is
present but wrong answers 401 in ``local`` mode too: a script that means to be someone must not
quietly become the local user.

Preview links carry a :class:`PreviewSigner` token bound to the user, the project and the
sandbox, valid for minutes: the preview is an opaque-origin document that sends no cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from gateway.client_address import from_trusted_proxy
from gateway.settings import GatewaySettings
from paynto_common import accounts
from paynto_common.db import Database, User

log = logging.getLogger(__name__)
SESSION_COOKIE = "paynto_session"
# The cookie's name over https: the __Host- prefix makes the browser refuse it unless it is
# Secure, host-only and for path /.
SECURE_SESSION_COOKIE = "__Host-paynto_session"


def session_cookie_name(settings: GatewaySettings) -> str:
    return SECURE_SESSION_COOKIE if settings.is_https else SESSION_COOKIE


def unauthorized(detail: str = "sign in, or send Authorization: Bearer <token>") -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="paynto"'})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthorized("Authorization must be 'Bearer <token>'")
    return value.strip()


async def resolve_user(request: Request) -> User:
    """The request's user, or 401. Remembered on the request, so it is looked up once."""
    cached: User | None = getattr(request.state, "user", None)
    if cached is not None:
        return cached
    user = await _resolve(request)
    request.state.user = user
    return user


async def _resolve(request: Request) -> User:
    settings: GatewaySettings = request.app.state.settings
    db: Database = request.app.state.db
    token = _bearer(request)
    if token is not None:
        user = await accounts.user_for_token(db, token)
        if user is None:
            raise unauthorized("the API token is not valid (revoked, or never issued)")
        return user
    cookie = request.cookies.get(session_cookie_name(settings))
    if cookie:
        user = await accounts.user_for_session(db, cookie)
        if user is not None:
            return user
        if settings.auth_mode == "required":
            raise unauthorized("the session has ended; sign in again")
    if settings.user_header:
        name = request.headers.get(settings.user_header, "").strip()
        # Behind TRUSTED_PROXIES, only they may name the user (a client sending the header
        # itself past them is ignored); without any, the operator vouches for the network.
        if name and (not settings.trusted_proxies
                     or from_trusted_proxy(request, settings.trusted_proxies)):
            try:
                return await accounts.user_from_header(db, name[:100])
            except accounts.AccountError as exc:
                raise unauthorized(f"{settings.user_header}: {exc}") from None
    if settings.auth_mode == "local":
        # The local user never changes: looked up once per process.
        local: User | None = getattr(request.app.state, "local_user", None)
        if local is None:
            local = request.app.state.local_user = await accounts.local_user(db)
        return local
    raise unauthorized()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PreviewSigner:
    """Short-lived tokens that let a browser load one sandbox's preview document for one user
    and project: ``<claims>.<HMAC-SHA256>``, both base64url."""

    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self._key = key
        self.ttl_seconds = ttl_seconds

    def sign(self, user_id: str, project_id: str, sandbox_id: str) -> str:
        claims = {"u": user_id, "p": project_id, "s": sandbox_id,
                  "e": int(time.time()) + self.ttl_seconds}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, sandbox_id: str) -> tuple[str, str] | None:
        """(user id, project id) when ``token`` is ours, unexpired and for ``sandbox_id``."""
        body, _, mac = token.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            claims = json.loads(_unb64(body))
        except ValueError:
            return None
        if claims.get("s") != sandbox_id or int(claims.get("e", 0)) < time.time():
            return None
        return str(claims["u"]), str(claims["p"])

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


# The query parameter of a preview link's token; not "token", which Vite's HMR socket uses.
LINK_PARAM = "preview_token"
PREVIEW_PATH_RE = re.compile(r"^/preview/([A-Za-z0-9_-]{1,64})/")


@dataclass(frozen=True)
class PreviewLinks:
    """Signs the preview links a user is shown (in answers and in job events) for a project;
    without a signer (``AUTH_MODE=local``: the preview is open to the one user) links stay
    as they are."""

    signer: PreviewSigner | None
    user_id: str

    def sign(self, project_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with its ``preview_url`` (if it has one, of ours) carrying a token."""
        if self.signer is None:
            return data
        url = data.get("preview_url")
        match = PREVIEW_PATH_RE.match(url) if isinstance(url, str) else None
        if match is None:
            return data
        token = self.signer.sign(self.user_id, project_id, match.group(1))
        base = str(url).split("?", 1)[0]
        return {**data, "preview_url": f"{base}?{LINK_PARAM}={token}"}


def signing_key(settings: GatewaySettings) -> bytes:
    """``SESSION_SECRET``; without it (local mode only) a key kept in the data folder, so
    preview links survive a restart."""
    if settings.session_secret is not None:
        return hashlib.sha256(settings.session_secret.get_secret_value().encode()).digest()
    if settings.auth_mode == "required":
        raise RuntimeError("AUTH_MODE=required needs SESSION_SECRET (the same on every "
                           "gateway replica): it signs preview links")
    path = Path(settings.data_dir) / "session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()  # made by an earlier start (or another replica just now)
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
    return path.read_bytes()
