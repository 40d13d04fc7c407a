"""alert_rules: alert rules an admin changed, alerts opened and closed, and the notification queue

Revision ID: alert_rules
Revises: authlog_indexes
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "alert_rules"
down_revision = "authlog_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rule",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("min_count", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_alert_rule")),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("nas_id", sa.Integer(), nullable=True),
        sa.Column("access_point", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("open_key", sa.String(length=160), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["nas_id"], ["nas.id"], name=op.f("fk_alert_nas_id_nas"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("open_key", name=op.f("uq_alert_open_key")),
    )
    op.create_index("ix_alert_opened_at", "alert", ["opened_at"], unique=False)
    op.create_index(op.f("ix_alert_nas_id"), "alert", ["nas_id"], unique=False)
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_notification_alert_id_alert"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(op.f("ix_notification_alert_id"), "notification", ["alert_id"], unique=False)
    op.create_index(
        "ix_notification_status_next_try", "notification", ["status", "next_try_at"], unique=False
    )
    op.create_index(
        "ix_notification_channel_attempt", "notification", ["channel", "last_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("alert")
    op.drop_table("alert_rule")
