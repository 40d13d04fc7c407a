"""usage_day: per access point per local day totals for the reports

Revision ID: admin_0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "admin_0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_day",
        sa.Column("nas_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("input_octets", sa.BigInteger(), nullable=False),
        sa.Column("output_octets", sa.BigInteger(), nullable=False),
        sa.Column("session_seconds", sa.BigInteger(), nullable=False),
        sa.Column("auth_accepts", sa.Integer(), nullable=False),
        sa.Column("auth_rejects", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["nas_id"], ["nas.id"], name=op.f("fk_usage_day_nas_id_nas")),
        sa.PrimaryKeyConstraint("nas_id", "day", name=op.f("pk_usage_day")),
    )


def downgrade() -> None:
    op.drop_table("usage_day")
