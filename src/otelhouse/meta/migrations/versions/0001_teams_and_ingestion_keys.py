"""Teams and ingestion keys.

Revision ID: 0001
Revises:
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("name", name="uq_teams_name"),
    )
    op.create_table(
        "ingestion_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "team_id",
            sa.Integer(),
            sa.ForeignKey("teams.id", name="fk_ingestion_keys_team_id_teams", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ingestion_keys"),
    )
    op.create_index("ix_ingestion_keys_prefix", "ingestion_keys", ["prefix"], unique=True)
    op.create_index("ix_ingestion_keys_team_id", "ingestion_keys", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_ingestion_keys_team_id", table_name="ingestion_keys")
    op.drop_index("ix_ingestion_keys_prefix", table_name="ingestion_keys")
    op.drop_table("ingestion_keys")
    op.drop_table("teams")
