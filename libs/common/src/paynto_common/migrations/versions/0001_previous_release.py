"""The schema of the last release before migrations (projects, versions, jobs, model calls,
sandboxes, plans, tickets), exactly as its ``create_all`` made it.

A database that release made has these tables and no ``alembic_version``: then only the
tables it lacks are created (it may come from a release older still), and the rest is kept.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())

    def missing(table: str) -> bool:
        return table not in existing

    if missing("project"):
        op.create_table(
            "project",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("owner_id", sa.String(), nullable=True),
            sa.Column("created_at", _timestamp(), nullable=False),
            sa.Column("updated_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_project_owner_id", "project", ["owner_id"])

    if missing("version"):
        op.create_table(
            "version",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("project_id", sa.String(), nullable=False),
            sa.Column("number", sa.Integer(), nullable=False),
            sa.Column("job_id", sa.String(), nullable=True),
            sa.Column("files", sa.JSON(), nullable=False),
            sa.Column("model", sa.String(), nullable=True),
            sa.Column("created_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("project_id", "number"),
            sa.UniqueConstraint("job_id"),
            sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        )
        op.create_index("ix_version_project_id", "version", ["project_id"])

    if missing("job"):
        op.create_table(
            "job",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("project_id", sa.String(), nullable=False),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("prompt", sa.Text(), nullable=True),
            sa.Column("model", sa.String(), nullable=True),
            sa.Column("response", sa.Text(), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("result", sa.JSON(), nullable=True),
            sa.Column("created_at", _timestamp(), nullable=False),
            sa.Column("updated_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        )
        op.create_index("ix_job_project_id", "job", ["project_id"])

    if missing("modelcall"):
        op.create_table(
            "modelcall",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("job_id", sa.String(), nullable=False),
            sa.Column("project_id", sa.String(), nullable=False),
            sa.Column("model", sa.String(), nullable=False),
            sa.Column("purpose", sa.String(), nullable=False),
            sa.Column("prompt_tokens", sa.Integer(), nullable=False),
            sa.Column("completion_tokens", sa.Integer(), nullable=False),
            sa.Column("cost_usd", sa.Float(), nullable=False),
            sa.Column("created_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            # Unnamed, as create_all made it: Postgres names it modelcall_project_id_fkey,
            # SQLite not at all. 0002 drops it.
            sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        )
        op.create_index("ix_modelcall_job_id", "modelcall", ["job_id"])
        op.create_index("ix_modelcall_project_id", "modelcall", ["project_id"])

    if missing("sandbox"):
        op.create_table(
            "sandbox",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("project_id", sa.String(), nullable=False),
            sa.Column("provider", sa.String(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("endpoint", sa.String(), nullable=True),
            sa.Column("version", sa.Integer(), nullable=True),
            sa.Column("created_at", _timestamp(), nullable=False),
            sa.Column("updated_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        )
        op.create_index("ix_sandbox_project_id", "sandbox", ["project_id"])

    if missing("plan"):
        op.create_table(
            "plan",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("project_id", sa.String(), nullable=False),
            sa.Column("job_id", sa.String(), nullable=False),
            sa.Column("prompt", sa.Text(), nullable=False),
            sa.Column("model", sa.String(), nullable=True),
            sa.Column("blueprint", sa.JSON(), nullable=False),
            sa.Column("state", sa.String(), nullable=False),
            sa.Column("run_id", sa.String(), nullable=True),
            sa.Column("limits", sa.JSON(), nullable=False),
            sa.Column("created_at", _timestamp(), nullable=False),
            sa.Column("updated_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
            sa.UniqueConstraint("job_id"),
        )
        op.create_index("ix_plan_project_id", "plan", ["project_id"])

    if missing("ticket"):
        op.create_table(
            "ticket",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("plan_id", sa.String(), nullable=False),
            sa.Column("project_id", sa.String(), nullable=False),
            sa.Column("key", sa.String(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("title", sa.String(), nullable=False),
            sa.Column("type", sa.String(), nullable=False),
            sa.Column("priority", sa.String(), nullable=False),
            sa.Column("complexity", sa.String(), nullable=False),
            sa.Column("depends_on", sa.JSON(), nullable=False),
            sa.Column("acceptance", sa.Text(), nullable=False),
            sa.Column("description", sa.Text(), nullable=False),
            sa.Column("files", sa.JSON(), nullable=False),
            sa.Column("state", sa.String(), nullable=False),
            sa.Column("job_id", sa.String(), nullable=True),
            sa.Column("version", sa.Integer(), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.Column("updated_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("plan_id", "key"),
            sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
            sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        )
        op.create_index("ix_ticket_project_id", "ticket", ["project_id"])
        op.create_index("ix_ticket_plan_id", "ticket", ["plan_id"])
        op.create_index("ix_ticket_job_id", "ticket", ["job_id"])


def downgrade() -> None:
    raise NotImplementedError("Paynto's migrations go forward only: restore a backup instead")
