"""Bring the database at ``DATABASE_URL`` to the newest schema and exit:
``python -m paynto_common.migrate``.

Every service already migrates on start (``Database.migrate``, taking turns on a lock), so this
is not needed for correctness. It exists so that a deployment can migrate once, ahead of a
rollout, as a step of its own (the Kubernetes migration Job): its log says what happened, a
failing migration stops there with a non-zero exit instead of in every new pod's start, and
the new pods then find nothing left to do.

Reads the same settings as the services (``DATABASE_URL``, ``PAYNTO_DATA_DIR``, ``LOG_LEVEL``,
``LOG_FORMAT``), so an empty ``DATABASE_URL`` means the SQLite file in the data directory.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from urllib.parse import quote

from sqlalchemy import make_url

from paynto_common.db import Database
from paynto_common.settings import CommonSettings, configure_logging

log = logging.getLogger("paynto_common.migrate")


def shown_url(url: str) -> str:
    """The database URL as it may be logged: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        # Unparsable: say nothing of it rather than risk printing a credential.
        return "<unparsable DATABASE_URL>"


def redacted(message: str, url: str) -> str:
    """``message`` with the URL's password taken out (drivers quote the connection string in
    some errors), as written and as percent-encoded in the URL."""
    try:
        password = make_url(url).password
    except Exception:
        return "<error message withheld: unparsable DATABASE_URL>"
    if password:
        for form in {str(password), quote(str(password), safe="")}:
            message = message.replace(form, "***")
    return message


async def migrate(url: str) -> None:
    """Migrate the database at ``url`` (an async SQLAlchemy URL) to the newest revision."""
    db = Database(url)
    try:
        await db.migrate()
    finally:
        await db.close()


def main(settings: CommonSettings | None = None) -> int:
    """Migrate, log the outcome, and return the process's exit code (0: migrated or already
    current; 1: the migration failed, its error logged without the URL's password)."""
    settings = settings or CommonSettings(service_name="migrate")
    configure_logging(settings.log_level, settings.log_format, "migrate")
    url = settings.resolved_database_url()
    log.info("migrating %s", shown_url(url))
    try:
        asyncio.run(migrate(url))
    except Exception as exc:
        # No traceback: its frames' text could hold the URL. The error itself, redacted.
        log.error("migration failed: %s: %s", type(exc).__name__, redacted(str(exc), url))
        return 1
    log.info("database is at the newest revision")
    return 0


if __name__ == "__main__":
    sys.exit(main())
