"""Alembic's entry point: runs the revisions on the connection paynto_common.migrations gives
it, in that connection's transaction. There is no offline (SQL script) mode."""

from alembic import context
from sqlmodel import SQLModel

import paynto_common.db  # noqa: F401  (defines the tables in SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through paynto_common.migrations (Database.migrate)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite alters most things by copying the table; Alembic's batch mode does that.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
