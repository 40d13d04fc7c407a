"""auth_event indexes for the failed-login log: by device (MAC) and by username, newest first

Revision ID: authlog_indexes
Revises: websec_0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "authlog_indexes"
down_revision = "websec_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_auth_event_station_time", "auth_event", ["calling_station_id", "time"], unique=False)
    op.create_index("ix_auth_event_username_time", "auth_event", ["username", "time"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_auth_event_username_time", table_name="auth_event")
    op.drop_index("ix_auth_event_station_time", table_name="auth_event")
