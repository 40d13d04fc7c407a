"""plan: a throttle rate for after today's quota, and a cap on sessions at once

Revision ID: plan_throttle_max_sessions
Revises: authlog_indexes
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "plan_throttle_max_sessions"
down_revision = "signin_replay_terms_purge_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan") as batch:
        batch.add_column(sa.Column("throttle_kbps", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_sessions", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("max_sessions")
        batch.drop_column("throttle_kbps")
