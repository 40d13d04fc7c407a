"""admin_session: server-side record of each console sign-in, so sign-out ends a copied cookie too

Revision ID: websec_0003
Revises: admin_0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "websec_0003"
down_revision = "admin_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"],
            ["admin_user.id"],
            name=op.f("fk_admin_session_admin_id_admin_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admin_session_token_hash")),
    )
    op.create_index(op.f("ix_admin_session_admin_id"), "admin_session", ["admin_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_admin_session_admin_id"), table_name="admin_session")
    op.drop_table("admin_session")
