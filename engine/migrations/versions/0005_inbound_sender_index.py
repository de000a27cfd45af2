"""inbound: messages by sender on any channel (replies to the same sender)

The sender index leads with the sender, so it serves both the conversation on one
channel (sender, channel, earlier ids) and canned-reply's look-up of earlier replies
to the same sender on every channel.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01 17:00:00
"""

from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_items", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_sender")
        batch_op.create_index("ix_inbound_from", ["sender", "channel", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_items", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_from")
        batch_op.create_index("ix_inbound_sender", ["channel", "sender", "id"], unique=False)
