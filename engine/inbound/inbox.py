"""The inbox: open items a person owns now, through their own principals (user,
groups, `*`) or through anyone who delegated to them; oldest due first.

Views: `all`; `mine` (owned as themself, by user id); `groups` (through a group);
`escalated` (owned through an escalation level reached); `overdue`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..errors import SaysoError
from ..workflow.rules import known_user, moment
from . import owners
from .items import InboundItem, InboundStatus
from .tables import inbound_items, inbound_owners

VIEWS = ("all", "mine", "groups", "escalated", "overdue")


def _where_owned(principals: set[str], view: str):
    o = inbound_owners.c
    if view == "mine":
        principals = {p for p in principals if p.startswith("user:")}
    elif view == "groups":
        principals = {p for p in principals if p.startswith("group:")}
    owned = select(o.item_id).where(o.principal.in_(sorted(principals)))
    if view == "escalated":
        owned = owned.where(o.level > 0)
    return owned


def _query(inbound: Any, conn, user: str, view: str, now: datetime):
    if view not in VIEWS:
        raise SaysoError(f"unknown inbox view '{view[:40]}' (one of: {', '.join(VIEWS)})")
    known_user(inbound.engine, user)
    people = owners.identities(conn, user, now)
    principals = owners.principals_for(inbound.engine, people)
    c = inbound_items.c
    where = (c.status == InboundStatus.OPEN.value) & c.id.in_(_where_owned(principals, view))
    if view == "overdue":
        where = where & c.overdue.is_(True)
    return where


def inbox(
    inbound: Any,
    user: str,
    *,
    view: str = "all",
    limit: int | None = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> list[InboundItem]:
    now = moment(now)
    c = inbound_items.c
    with inbound.store.read() as conn:
        where = _query(inbound, conn, user, view, now)
        query = (
            select(inbound_items)
            .where(where)
            .order_by(c.due_at.is_(None), c.due_at, c.received_at, c.id)
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        return inbound.views(conn, conn.execute(query).all())


def counts(inbound: Any, user: str, *, now: datetime | None = None) -> dict[str, int]:
    """How many open items each view holds (for the navigation)."""
    now = moment(now)
    out = {}
    with inbound.store.read() as conn:
        for view in VIEWS:
            where = _query(inbound, conn, user, view, now)
            out[view] = conn.execute(
                select(func.count()).select_from(inbound_items).where(where)
            ).scalar_one()
    return out
