"""``paynto admin``: the operator's commands, run where the services run, straight on the
database (``DATABASE_URL`` / ``PAYNTO_DATA_DIR``, as the services read them)."""

from __future__ import annotations

import sys

from paynto_common import accounts
from paynto_common.db import Database, Role
from paynto_common.settings import CommonSettings


async def _database() -> Database:
    settings = CommonSettings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    await db.migrate()
    return db


async def create_user(name: str, admin: bool) -> int:
    """Make a user and a first API token; the token is the last word printed."""
    db = await _database()
    try:
        try:
            user = await accounts.create_user(db, name, Role.ADMIN if admin else Role.USER)
        except accounts.AccountError as exc:
            print(f"could not create the user: {exc}", file=sys.stderr)
            return 1
        issued = await accounts.issue_token(db, user.id, "created with paynto admin")
    finally:
        await db.close()
    print(f"created {user.role} {user.name} (id {user.id}). "
          f"Their API token, shown only now: {issued.token}")
    return 0


async def new_token(name: str) -> int:
    """Another API token for an existing user (the token is the last word printed)."""
    db = await _database()
    try:
        user = await accounts.user_named(db, name)
        if user is None:
            print(f"no user named {name!r}", file=sys.stderr)
            return 1
        issued = await accounts.issue_token(db, user.id, "made with paynto admin token")
    finally:
        await db.close()
    print(f"a new API token for {user.name}, shown only now: {issued.token}")
    return 0
