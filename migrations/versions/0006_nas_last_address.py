"""nas.last_address: where a router last spoke from, for Disconnect/CoA to routers behind NAT

Revision ID: nas_last_address
Revises: authlog_indexes
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "nas_last_address"
down_revision = "alert_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nas") as batch:
        batch.add_column(sa.Column("last_address", sa.String(length=45), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nas") as batch:
        batch.drop_column("last_address")
