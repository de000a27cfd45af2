"""inbound listening: items, owners, replies, source cursors

Revision ID: 0003
Revises: 0004
Create Date: 2026-12-01 14:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=300), nullable=True),
        sa.Column("parent_id", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("escalation", sa.String(length=200), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_sort", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_escalation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inbound_items", schema=None) as batch_op:
        batch_op.create_index("ux_inbound_channel_message", ["channel", "message_id"], unique=True)
        batch_op.create_index(
            "ix_inbound_status_next", ["status", "next_escalation_at"], unique=False
        )
        batch_op.create_index(
            "ix_inbound_inbox", ["status", "due_sort", "received_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_inbound_overdue",
            ["status", "overdue", "due_sort", "received_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_inbound_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_inbound_sender", ["channel", "sender", "id"], unique=False)

    op.create_table(
        "inbound_owners",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["inbound_items.id"]),
        sa.PrimaryKeyConstraint("item_id", "principal"),
    )
    with op.batch_alter_table("inbound_owners", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbound_owners_principal", ["principal", "level", "item_id"], unique=False
        )

    op.create_table(
        "inbound_replies",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["inbound_items.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("submission_id"),
    )
    with op.batch_alter_table("inbound_replies", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_replies_item", ["item_id"], unique=False)

    op.create_table(
        "inbound_cursors",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("inbound_cursors")
    with op.batch_alter_table("inbound_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_replies_item")
    op.drop_table("inbound_replies")
    with op.batch_alter_table("inbound_owners", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_owners_principal")
    op.drop_table("inbound_owners")
    with op.batch_alter_table("inbound_items", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_sender")
        batch_op.drop_index("ix_inbound_status_due")
        batch_op.drop_index("ix_inbound_inbox")
        batch_op.drop_index("ix_inbound_overdue")
        batch_op.drop_index("ix_inbound_status_next")
        batch_op.drop_index("ux_inbound_channel_message")
    op.drop_table("inbound_items")
