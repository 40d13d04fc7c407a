"""TOTP replay guard, accepted terms per device and account, sign-in throttle per address and name,
purge jobs, health heartbeat; device MAC and account phone wide enough for a retention pseudonym

Revision ID: signin_replay_terms_purge_jobs
Revises: authlog_indexes
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "signin_replay_terms_purge_jobs"
down_revision = "nas_last_address"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admin_user") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    for table, personal, width in (("account", "phone", 20), ("device", "mac", 17)):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("terms_version", sa.String(length=32), nullable=True))
            batch.add_column(sa.Column("terms_accepted_at", sa.DateTime(timezone=True), nullable=True))
            batch.alter_column(
                personal,
                type_=sa.String(length=32),
                existing_type=sa.String(length=width),
                existing_nullable=False,
            )
    op.create_table(
        "sign_in_throttle",
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address", "username", name=op.f("pk_sign_in_throttle")),
    )
    op.create_table(
        "purge_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("older_than_days", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purge_job")),
    )
    op.create_table(
        "health_beat",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_health_beat")),
    )


def downgrade() -> None:
    op.drop_table("health_beat")
    op.drop_table("purge_job")
    op.drop_table("sign_in_throttle")
    for table, personal, width in (("device", "mac", 17), ("account", "phone", 20)):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                personal,
                type_=sa.String(length=width),
                existing_type=sa.String(length=32),
                existing_nullable=False,
            )
            batch.drop_column("terms_accepted_at")
            batch.drop_column("terms_version")
    with op.batch_alter_table("admin_user") as batch:
        batch.drop_column("totp_last_step")
