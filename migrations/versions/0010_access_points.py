"""access_point: the radios behind each NAS (from Called-Station-Id), with name and place;
radius_session.access_point_id, auth_event.access_point_id and the per radio hourly roll-up usage_hour_ap

Sessions and auth events recorded before this revision keep no access point (their NAS totals stand).

Revision ID: access_points
Revises: ap_groups
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "access_points"
down_revision = "ap_groups"
branch_labels = None
depends_on = None

COUNTERS = ("sessions", "input_octets", "output_octets", "session_seconds", "auth_accepts", "auth_rejects")


def upgrade() -> None:
    op.create_table(
        "access_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nas_id", sa.Integer(), nullable=False),
        sa.Column("radio_mac", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("location_name", sa.String(length=128), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["nas_id"], ["nas.id"], name=op.f("fk_access_point_nas_id_nas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_point")),
        sa.UniqueConstraint("nas_id", "radio_mac", name="uq_access_point_nas_radio"),
    )
    op.create_table(
        "usage_hour_ap",
        sa.Column("access_point_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        *(
            sa.Column(
                name,
                sa.BigInteger() if "octets" in name or "seconds" in name else sa.Integer(),
                nullable=False,
            )
            for name in COUNTERS
        ),
        sa.ForeignKeyConstraint(
            ["access_point_id"],
            ["access_point.id"],
            name=op.f("fk_usage_hour_ap_access_point_id_access_point"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("access_point_id", "hour", name=op.f("pk_usage_hour_ap")),
    )
    op.create_index("ix_usage_hour_ap_hour", "usage_hour_ap", ["hour"])
    for table in ("radius_session", "auth_event"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("access_point_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_access_point_id_access_point"),
                "access_point",
                ["access_point_id"],
                ["id"],
                ondelete="SET NULL",
            )
    op.create_index("ix_radius_session_ap_start", "radius_session", ["access_point_id", "start_time"])
    op.create_index("ix_auth_event_ap_time", "auth_event", ["access_point_id", "time"])


def downgrade() -> None:
    op.drop_index("ix_auth_event_ap_time", table_name="auth_event")
    op.drop_index("ix_radius_session_ap_start", table_name="radius_session")
    for table in ("auth_event", "radius_session"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_access_point_id_access_point"), type_="foreignkey"
            )
            batch_op.drop_column("access_point_id")
    op.drop_index("ix_usage_hour_ap_hour", table_name="usage_hour_ap")
    op.drop_table("usage_hour_ap")
    op.drop_table("access_point")
