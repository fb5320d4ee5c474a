"""A project's jobs by creation time: its history and its turns are read newest first.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_job_project_id_created_at", "job", ["project_id", "created_at"])


def downgrade() -> None:
    raise NotImplementedError("Paynto's migrations go forward only: restore a backup instead")
