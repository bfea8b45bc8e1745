"""Alert evaluation: progress and lease per alert, state per alert group, history of evaluations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_runs",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("last_window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_runs_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_runs")),
    )
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("group_hash", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_states_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_states")),
        sa.UniqueConstraint("alert_id", "group_hash", name=op.f("uq_alert_states_alert_id")),
    )
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_states_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "alert_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.JSON(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("query_ms", sa.Float(), nullable=True),
        sa.Column("notification", sa.String(length=16), nullable=False),
        sa.Column("notification_error", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_history_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_history")),
    )
    with op.batch_alter_table("alert_history", schema=None) as batch_op:
        batch_op.create_index("ix_alert_history_alert_id_window_end", ["alert_id", "window_end"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_history", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_history_alert_id_window_end")
    op.drop_table("alert_history")
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_states_alert_id"))
    op.drop_table("alert_states")
    op.drop_table("alert_runs")
