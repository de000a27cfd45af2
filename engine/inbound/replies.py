"""What a reply to an inbound message is compared with: the earlier replies to the
same sender (the `ReplyContext` a check receives), and which message a stored reply
answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..hookspecs import ReplyContext
from ..tables import revisions, submissions
from ..workflow.queries import HISTORY_LIMIT
from .items import InboundItem
from .tables import inbound_items, inbound_replies


def answered_item(conn: Connection, submission_id: int) -> int | None:
    """The inbound item a stored reply answers, if any."""
    return conn.execute(
        select(inbound_replies.c.item_id).where(inbound_replies.c.submission_id == submission_id)
    ).scalar_one_or_none()


def context(store, item: InboundItem, *, exclude: int | None = None) -> ReplyContext:
    """The item as a check sees it; `earlier` reads, when asked, the newest texts of
    replies to messages from the item's sender (each reply's current revision, any
    status), leaving out the submission `exclude` (the reply being revised)."""
    i, r, s, v = inbound_items.c, inbound_replies.c, submissions.c, revisions.c

    def earlier(channel: str | None) -> list[str]:
        query = (
            select(v.text)
            .select_from(inbound_items)
            .join(inbound_replies, r.item_id == i.id)
            .join(submissions, s.id == r.submission_id)
            .join(revisions, (v.submission_id == s.id) & (v.number == s.revision))
            .where(i.sender == item.sender)
            .order_by(r.submission_id.desc())
            .limit(HISTORY_LIMIT)
        )
        if channel is not None:
            query = query.where(i.channel == channel)
        if exclude is not None:
            query = query.where(r.submission_id != exclude)
        with store.read() as conn:
            return [row.text for row in conn.execute(query)]

    return ReplyContext(item_id=item.id, channel=item.channel, sender=item.sender, earlier=earlier)
