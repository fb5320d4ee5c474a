"""Users and their credentials: API tokens and browser sessions.

A credential is a random secret given to its holder once; the database keeps only its SHA-256,
so a copy of the database signs no one in. Both kinds are looked up on every request (no cache),
so a revoked token or an ended session stops working at once on every gateway replica.

The gateway resolves a request to a :class:`~paynto_common.db.User` with these; the ``paynto
admin`` command makes users and tokens with them directly against the database.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update

from paynto_common.db import (
    LOCAL_USER_ID,
    ApiToken,
    AuthSession,
    Database,
    Role,
    User,
    utcnow,
)

TOKEN_PREFIX = "pnt_"
"""Every API token starts with this, so a leaked one is easy to recognise (and to scan for)."""
# How often a token's ``last_used_at`` is written: not on every request.
LAST_USED_EVERY = timedelta(minutes=1)
USER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


class AccountError(ValueError):
    """A user or credential cannot be made as asked (a taken or malformed name)."""


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256, hex. The secrets are 256 random bits, so a
    plain hash is enough (nothing to guess a dictionary word from)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; ours are all UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


async def create_user(db: Database, name: str, role: str = Role.USER) -> User:
    """A new user named ``name`` (letters, digits, ``.``, ``_``, ``@``, ``-``)."""
    if not USER_NAME_RE.match(name):
        raise AccountError(
            f"invalid user name {name!r}: 1-100 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit")
    if role not in (Role.USER, Role.ADMIN):
        raise AccountError(f"unknown role {role!r}")
    user = User(name=name, role=role)
    try:
        async with db.session() as s:
            s.add(user)
            await s.commit()
            await s.refresh(user)
    except IntegrityError:
        raise AccountError(f"a user named {name!r} exists already") from None
    return user


async def user_named(db: Database, name: str) -> User | None:
    async with db.session() as s:
        return (await s.exec(select(User).where(User.name == name))).first()


async def get_user(db: Database, user_id: str) -> User | None:
    async with db.session() as s:
        return await s.get(User, user_id)


async def local_user(db: Database) -> User:
    """The one user of ``AUTH_MODE=local`` (made by the migrations; made here if missing)."""
    found = await get_user(db, LOCAL_USER_ID)
    if found is not None:
        return found
    try:
        async with db.session() as s:
            s.add(User(id=LOCAL_USER_ID, name=LOCAL_USER_ID, role=Role.ADMIN))
            await s.commit()
    except IntegrityError:
        pass  # another process made it first
    found = await get_user(db, LOCAL_USER_ID)
    assert found is not None
    return found


async def user_from_header(db: Database, name: str) -> User:
    """The user an auth proxy names (``USER_HEADER``), made on first sight."""
    found = await user_named(db, name)
    if found is not None:
        return found
    try:
        return await create_user(db, name)
    except AccountError:
        found = await user_named(db, name)  # made by a concurrent request
        if found is None:
            raise
        return found


@dataclass(frozen=True)
class IssuedToken:
    """A token as its holder sees it once: ``token`` is never stored or shown again."""

    id: str
    token: str
    prefix: str


async def issue_token(db: Database, user_id: str, name: str = "") -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=name[:100], token_hash=digest(token),
                   prefix=token[:len(TOKEN_PREFIX) + 6])
    async with db.session() as s:
        s.add(row)
        await s.commit()
    return IssuedToken(id=row.id, token=token, prefix=row.prefix)


async def tokens_of(db: Database, user_id: str) -> list[ApiToken]:
    async with db.session() as s:
        rows = await s.exec(select(ApiToken).where(ApiToken.user_id == user_id)
                            .order_by(col(ApiToken.created_at)))
        return list(rows)


async def revoke_token(db: Database, user_id: str, token_id: str) -> bool:
    """Revoke one of ``user_id``'s tokens; False when they have no such (live) token."""
    stmt = (update(ApiToken)
            .where(col(ApiToken.id) == token_id, col(ApiToken.user_id) == user_id,
                   col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=utcnow()))
    async with db.session() as s:
        result = await s.exec(stmt)
        await s.commit()
    return bool(result.rowcount)


async def user_for_token(db: Database, token: str) -> User | None:
    """The holder of a live API token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    async with db.session() as s:
        found = (await s.exec(
            select(ApiToken, User)
            .join(User, col(User.id) == col(ApiToken.user_id))
            .where(ApiToken.token_hash == digest(token), col(ApiToken.revoked_at).is_(None))
        )).first()
        if found is None:
            return None
        row, user = found
        now = utcnow()
        if row.last_used_at is None or now - _aware(row.last_used_at) > LAST_USED_EVERY:
            await s.exec(update(ApiToken).where(col(ApiToken.id) == row.id)
                         .values(last_used_at=now))
            await s.commit()
        return user


async def start_session(db: Database, user_id: str, ttl: timedelta) -> str:
    """A new session for ``user_id``; returns the secret for the cookie (a new one at every
    sign-in, so a session id planted before sign-in is worth nothing)."""
    secret = secrets.token_urlsafe(32)
    async with db.session() as s:
        s.add(AuthSession(user_id=user_id, secret_hash=digest(secret),
                          expires_at=utcnow() + ttl))
        await s.commit()
    return secret


async def end_session(db: Database, secret: str) -> None:
    async with db.session() as s:
        await s.exec(update(AuthSession)
                     .where(col(AuthSession.secret_hash) == digest(secret),
                            col(AuthSession.ended_at).is_(None))
                     .values(ended_at=utcnow()))
        await s.commit()


async def user_for_session(db: Database, secret: str) -> User | None:
    """The user of a live (not ended, not expired) session, or None."""
    async with db.session() as s:
        found = (await s.exec(
            select(AuthSession, User)
            .join(User, col(User.id) == col(AuthSession.user_id))
            .where(AuthSession.secret_hash == digest(secret),
                   col(AuthSession.ended_at).is_(None))
        )).first()
    if found is None:
        return None
    session, user = found
    return user if _aware(session.expires_at) > utcnow() else None


# Names tried for a new GitHub user, after the login itself: login-2, login-3, ...
GITHUB_NAME_TRIES = 50


async def user_for_github(db: Database, github_id: int, login: str) -> User:
    """The user who signs in as GitHub user ``github_id``, made on their first sign-in.

    The numeric id is who they are (a GitHub login can be renamed, and taken by someone else
    afterwards); the login is only the new user's name, with ``-2``, ``-3``, ... when a user of
    that name exists already. A later sign-in under a new login keeps the name and updates
    ``github_login``.
    """
    for _ in range(5):  # a concurrent sign-in may take a name (or make this user) meanwhile
        async with db.session() as s:
            found = (await s.exec(select(User).where(User.github_id == github_id))).first()
            if found is not None:
                if found.github_login != login:
                    found.github_login = login
                    s.add(found)
                    await s.commit()
                    await s.refresh(found)
                return found
            name = await _free_name(db, _github_names(github_id, login))
            user = User(name=name, github_id=github_id, github_login=login)
            s.add(user)
            try:
                await s.commit()
            except IntegrityError:
                continue
            await s.refresh(user)
            return user
    raise AccountError(f"could not make a user for GitHub user {github_id}")


def _github_names(github_id: int, login: str) -> list[str]:
    base = login[:90] if USER_NAME_RE.match(login) else f"github-{github_id}"
    return [base] + [f"{base}-{n}" for n in range(2, GITHUB_NAME_TRIES + 1)] + [
        f"github-{github_id}"]


async def _free_name(db: Database, candidates: list[str]) -> str:
    async with db.session() as s:
        taken = set((await s.exec(select(User.name)
                                  .where(col(User.name).in_(candidates)))).all())
    for name in candidates:
        if name not in taken:
            return name
    raise AccountError(f"every name from {candidates[0]!r} on is taken")
