"""audit provenance: recorded time, origin, MAC; retired_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("manual_clock", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("backdated", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("via", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("os_user", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("mac", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_audit_recorded", ["recorded_at"], unique=False)
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("max_ts", sa.String(length=40), nullable=True))
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("max_ts")
        batch_op.drop_column("recorded_at")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_recorded")
        for name in ("mac", "host", "os_user", "via", "backdated", "manual_clock", "recorded_at"):
            batch_op.drop_column(name)
