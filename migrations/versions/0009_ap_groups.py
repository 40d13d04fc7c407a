"""ap_group: access point groups with their own free plan, opening hours and splash text; nas.group_id;
plan.random_mac_limit (random MACs a site lets in free per day before it asks for a phone login)

Revision ID: ap_groups
Revises: alert_rules
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ap_groups"
down_revision = "plan_throttle_max_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ap_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("free_plan_id", sa.Integer(), nullable=True),
        sa.Column("opening_hours", sa.String(length=255), nullable=False),
        sa.Column("splash_text", sa.Text(), nullable=False),
        sa.Column("splash_text_en", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["free_plan_id"], ["plan.id"], name=op.f("fk_ap_group_free_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_group")),
        sa.UniqueConstraint("name", name=op.f("uq_ap_group_name")),
    )
    with op.batch_alter_table("nas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_nas_group_id_ap_group"), "ap_group", ["group_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("random_mac_limit", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("random_mac_limit")
    with op.batch_alter_table("nas", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_nas_group_id_ap_group"), type_="foreignkey")
        batch_op.drop_column("group_id")
    op.drop_table("ap_group")
