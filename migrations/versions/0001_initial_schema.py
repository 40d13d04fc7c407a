"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_user")),
        sa.UniqueConstraint("username", name=op.f("uq_admin_user_username")),
    )
    op.create_table(
        "nas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("ip_range", sa.String(length=64), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("vendor", sa.String(length=16), nullable=False),
        sa.Column("location_name", sa.String(length=128), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("require_message_authenticator", sa.Boolean(), nullable=False),
        sa.Column("uam_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("login_host", sa.String(length=255), nullable=True),
        sa.Column("identifier", sa.String(length=128), nullable=True),
        sa.Column("coa_port", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nas")),
        sa.UniqueConstraint("name", name=op.f("uq_nas_name")),
    )
    op.create_table(
        "one_time_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_code")),
    )
    with op.batch_alter_table("one_time_code", schema=None) as batch_op:
        batch_op.create_index("ix_one_time_code_phone_created", ["phone", "created_at"], unique=False)

    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=True),
        sa.Column("daily_minutes", sa.Integer(), nullable=True),
        sa.Column("daily_mb", sa.Integer(), nullable=True),
        sa.Column("down_kbps", sa.Integer(), nullable=True),
        sa.Column("up_kbps", sa.Integer(), nullable=True),
        sa.Column("idle_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("interim_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("free_access", sa.Boolean(), nullable=False),
        sa.Column("mac_relogin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("name", name=op.f("uq_plan_name")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_account_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("phone", name=op.f("uq_account_phone")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admin_user.id"], name=op.f("fk_api_token_admin_id_admin_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_admin_id"), ["admin_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_id"],
            ["admin_user.id"],
            name=op.f("fk_audit_event_admin_id_admin_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_time", ["time"], unique=False)

    op.create_table(
        "auth_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nas_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("calling_station_id", sa.String(length=32), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["nas_id"], ["nas.id"], name=op.f("fk_auth_event_nas_id_nas"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_event")),
    )
    with op.batch_alter_table("auth_event", schema=None) as batch_op:
        batch_op.create_index("ix_auth_event_nas_time", ["nas_id", "time"], unique=False)
        batch_op.create_index("ix_auth_event_time", ["time"], unique=False)

    op.create_table(
        "usage_hour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nas_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("unique_users", sa.Integer(), nullable=False),
        sa.Column("input_octets", sa.BigInteger(), nullable=False),
        sa.Column("output_octets", sa.BigInteger(), nullable=False),
        sa.Column("session_seconds", sa.BigInteger(), nullable=False),
        sa.Column("auth_accepts", sa.Integer(), nullable=False),
        sa.Column("auth_rejects", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["nas_id"], ["nas.id"], name=op.f("fk_usage_hour_nas_id_nas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_hour")),
        sa.UniqueConstraint("nas_id", "hour", name="uq_usage_hour_nas_hour"),
    )
    with op.batch_alter_table("usage_hour", schema=None) as batch_op:
        batch_op.create_index("ix_usage_hour_hour", ["hour"], unique=False)

    op.create_table(
        "usage_hour_user",
        sa.Column("nas_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["nas_id"], ["nas.id"], name=op.f("fk_usage_hour_user_nas_id_nas")),
        sa.PrimaryKeyConstraint("nas_id", "hour", "username", name=op.f("pk_usage_hour_user")),
    )
    op.create_table(
        "voucher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_voucher_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher")),
        sa.UniqueConstraint("code", name=op.f("uq_voucher_code")),
    )
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voucher_batch"), ["batch"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_device_account_id_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_device_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("mac", name=op.f("uq_device_mac")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_account_id"), ["account_id"], unique=False)

    op.create_table(
        "login_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("nas_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_login_ticket_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_login_ticket_device_id_device"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["nas_id"], ["nas.id"], name=op.f("fk_login_ticket_nas_id_nas"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_login_ticket_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["voucher.id"],
            name=op.f("fk_login_ticket_voucher_id_voucher"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_ticket")),
        sa.UniqueConstraint("username", name=op.f("uq_login_ticket_username")),
    )
    with op.batch_alter_table("login_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_ticket_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "radius_session",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unique_id", sa.String(length=64), nullable=False),
        sa.Column("nas_id", sa.Integer(), nullable=False),
        sa.Column("acct_session_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("calling_station_id", sa.String(length=32), nullable=True),
        sa.Column("called_station_id", sa.String(length=128), nullable=True),
        sa.Column("nas_port_id", sa.String(length=64), nullable=True),
        sa.Column("framed_ip", sa.String(length=45), nullable=True),
        sa.Column("nas_ip_address", sa.String(length=45), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stop_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_time", sa.Integer(), nullable=False),
        sa.Column("input_octets", sa.BigInteger(), nullable=False),
        sa.Column("output_octets", sa.BigInteger(), nullable=False),
        sa.Column("interim_interval", sa.Integer(), nullable=True),
        sa.Column("terminate_cause", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_radius_session_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_radius_session_device_id_device"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["nas_id"], ["nas.id"], name=op.f("fk_radius_session_nas_id_nas")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_radius_session_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["voucher.id"],
            name=op.f("fk_radius_session_voucher_id_voucher"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radius_session")),
        sa.UniqueConstraint("unique_id", name=op.f("uq_radius_session_unique_id")),
    )
    with op.batch_alter_table("radius_session", schema=None) as batch_op:
        batch_op.create_index("ix_radius_session_account_start", ["account_id", "start_time"], unique=False)
        batch_op.create_index("ix_radius_session_device_start", ["device_id", "start_time"], unique=False)
        batch_op.create_index("ix_radius_session_ip_start", ["framed_ip", "start_time"], unique=False)
        batch_op.create_index(
            "ix_radius_session_mac_start", ["calling_station_id", "start_time"], unique=False
        )
        batch_op.create_index("ix_radius_session_nas_start", ["nas_id", "start_time"], unique=False)
        batch_op.create_index("ix_radius_session_start_id", ["start_time", "id"], unique=False)
        batch_op.create_index("ix_radius_session_status_update", ["status", "update_time"], unique=False)
        batch_op.create_index("ix_radius_session_username_start", ["username", "start_time"], unique=False)
        batch_op.create_index("ix_radius_session_voucher_start", ["voucher_id", "start_time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("radius_session", schema=None) as batch_op:
        batch_op.drop_index("ix_radius_session_voucher_start")
        batch_op.drop_index("ix_radius_session_username_start")
        batch_op.drop_index("ix_radius_session_status_update")
        batch_op.drop_index("ix_radius_session_start_id")
        batch_op.drop_index("ix_radius_session_nas_start")
        batch_op.drop_index("ix_radius_session_mac_start")
        batch_op.drop_index("ix_radius_session_ip_start")
        batch_op.drop_index("ix_radius_session_device_start")
        batch_op.drop_index("ix_radius_session_account_start")

    op.drop_table("radius_session")
    with op.batch_alter_table("login_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_ticket_expires_at"))

    op.drop_table("login_ticket")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_account_id"))

    op.drop_table("device")
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_batch"))

    op.drop_table("voucher")
    op.drop_table("usage_hour_user")
    with op.batch_alter_table("usage_hour", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_hour_hour")

    op.drop_table("usage_hour")
    with op.batch_alter_table("auth_event", schema=None) as batch_op:
        batch_op.drop_index("ix_auth_event_time")
        batch_op.drop_index("ix_auth_event_nas_time")

    op.drop_table("auth_event")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_time")

    op.drop_table("audit_event")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_admin_id"))

    op.drop_table("api_token")
    op.drop_table("account")
    op.drop_table("plan")
    with op.batch_alter_table("one_time_code", schema=None) as batch_op:
        batch_op.drop_index("ix_one_time_code_phone_created")

    op.drop_table("one_time_code")
    op.drop_table("nas")
    op.drop_table("admin_user")
