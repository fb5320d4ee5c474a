"""Accounts and tenancy: users, API tokens, sign-in sessions, OAuth attempts and users'
secrets; who started each job and model call; a model call's spend outlives its project.

Every project gets an owner: those without one (made before accounts) go to the local user,
and each name the old ``USER_HEADER`` mode stored as an owner becomes a user of that id and
name. Jobs and model calls take their project's owner.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

LOCAL_USER_ID = "local"

# How batch mode (SQLite) names the foreign keys it reflects, which SQLite keeps unnamed.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_account_tables()
    with op.batch_alter_table("job") as job:
        job.add_column(sa.Column("user_id", sa.String(), nullable=True))
        job.create_index("ix_job_user_id", ["user_id"])
    project_fk = _foreign_key_name("modelcall", "project_id", "project")
    with op.batch_alter_table("modelcall", naming_convention=NAMING) as modelcall:
        modelcall.add_column(sa.Column("user_id", sa.String(), nullable=True))
        modelcall.create_index("ix_modelcall_user_id", ["user_id"])
        modelcall.drop_constraint(project_fk, type_="foreignkey")
    _assign_owners()


def downgrade() -> None:
    raise NotImplementedError("Paynto's migrations go forward only: restore a backup instead")


def _create_account_tables() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("github_id", sa.BigInteger(), nullable=True),
        sa.Column("github_login", sa.String(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("github_id"),
    )
    op.create_table(
        "apitoken",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("last_used_at", _timestamp(), nullable=True),
        sa.Column("revoked_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_apitoken_user_id", "apitoken", ["user_id"])
    op.create_table(
        "authsession",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("secret_hash", sa.String(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("ended_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_index("ix_authsession_user_id", "authsession", ["user_id"])
    op.create_table(
        "oauthattempt",
        sa.Column("state_hash", sa.String(), nullable=False),
        sa.Column("code_verifier", sa.String(), nullable=False),
        sa.Column("next_path", sa.String(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    op.create_table(
        "usersecret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
    )
    op.create_index("ix_usersecret_user_id", "usersecret", ["user_id"])


def _foreign_key_name(table: str, column: str, referred: str) -> str:
    """The name the database gave a foreign key create_all left unnamed (Postgres:
    ``<table>_<column>_fkey``); where it keeps none (SQLite), the name ``NAMING`` gives it."""
    for fk in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if fk["referred_table"] == referred and fk["constrained_columns"] == [column]:
            if fk["name"]:
                return str(fk["name"])
            return NAMING["fk"] % {"table_name": table, "column_0_name": column,
                                   "referred_table_name": referred}
    raise RuntimeError(f"{table}.{column} has no foreign key to {referred}")


def _assign_owners() -> None:
    bind = op.get_bind()
    user = sa.table("user", sa.column("id", sa.String), sa.column("name", sa.String),
                    sa.column("role", sa.String), sa.column("created_at", _timestamp()))
    project = sa.table("project", sa.column("id", sa.String), sa.column("owner_id", sa.String))
    job = sa.table("job", sa.column("project_id", sa.String), sa.column("user_id", sa.String))
    modelcall = sa.table("modelcall", sa.column("project_id", sa.String),
                         sa.column("user_id", sa.String))
    now = datetime.now(UTC)

    bind.execute(user.insert().values(id=LOCAL_USER_ID, name=LOCAL_USER_ID, role="admin",
                                      created_at=now))
    bind.execute(project.update().where(project.c.owner_id.is_(None))
                 .values(owner_id=LOCAL_USER_ID))
    # Behind an auth proxy (USER_HEADER) the owner was the person's name: each becomes a user
    # whose id and name are that name, so their projects and ledger stay theirs.
    owners = bind.scalars(sa.select(project.c.owner_id).distinct()
                          .where(project.c.owner_id != LOCAL_USER_ID)).all()
    for owner in owners:
        taken = bind.scalar(sa.select(sa.func.count()).select_from(user)
                            .where(sa.or_(user.c.id == owner, user.c.name == owner)))
        if not taken:
            bind.execute(user.insert().values(id=owner, name=owner, role="user",
                                              created_at=now))
    for table in (job, modelcall):
        owner_of_project = (sa.select(project.c.owner_id)
                            .where(project.c.id == table.c.project_id).scalar_subquery())
        bind.execute(table.update().where(table.c.user_id.is_(None))
                     .values(user_id=owner_of_project))
