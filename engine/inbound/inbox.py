"""The inbox: open items a person owns now, through their own principals (user,
groups, `*`) or through anyone who delegated to them; oldest due first.

Views: `all`; `mine` (owned as themself, by user id); `groups` (through a group);
`escalated` (owned through an escalation level reached); `overdue`.

A page costs about the same with 100 or 100,000 open items. Each view is read from
the side that has few rows: a person who owns few items gets them from the owners
index (principal, level), fetches those by primary key and sorts them (never with a
status filter SQLite could answer by walking every open item); one who owns DENSE or
more walks the open items in due order (`ix_inbound_inbox`, or `ix_inbound_overdue`)
and checks each one's owners by primary key until the page is full. Counts stop at COUNT_CAP ("1000+"): a
number for the navigation, not a report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select

from ..errors import SaysoError
from ..workflow.delegation import identities, principals_for
from ..workflow.rules import known_user, moment
from .items import InboundItem, InboundStatus
from .tables import inbound_items, inbound_owners

VIEWS = ("all", "mine", "groups", "escalated", "overdue")
COUNT_CAP = 1000
DENSE = 2000  # owned open items from which walking the due-ordered index is cheaper

c, o = inbound_items.c, inbound_owners.c
OPEN = c.status == InboundStatus.OPEN.value


def _everyone(inbound: Any, conn, user: str, now: datetime) -> list[str]:
    """Every principal through which `user` owns items now (themself, their groups,
    `*`, and the same for everyone who delegated to them)."""
    known_user(inbound.engine, user)
    return sorted(principals_for(inbound.engine, identities(conn, user, now)))


def _in_view(principals: list[str], view: str) -> list[str]:
    if view not in VIEWS:
        raise SaysoError(f"unknown inbox view '{view[:40]}' (one of: {', '.join(VIEWS)})")
    if view == "mine":
        return [p for p in principals if p.startswith("user:")]
    if view == "groups":
        return [p for p in principals if p.startswith("group:")]
    return principals


def _principals(inbound: Any, conn, user: str, view: str, now: datetime) -> list[str]:
    _in_view([], view)  # an unknown view is an error before anything is read
    return _in_view(_everyone(inbound, conn, user, now), view)


def _owned(principals: list[str], view: str):
    """Open item ids the principals own in the view, driven from the owners index
    (each owner row's item checked by primary key)."""
    item = exists().where(c.id == o.item_id, OPEN)
    if view == "overdue":
        item = item.where(c.overdue.is_(True))
    query = select(o.item_id).where(o.principal.in_(principals), item)
    if view == "escalated":
        query = query.where(o.level > 0)
    return query


def _probe(principals: list[str], view: str):
    """Whether the item at hand has an owner among the principals (a primary-key probe)."""
    probe = exists().where(o.item_id == c.id, o.principal.in_(principals))
    return probe.where(o.level > 0) if view == "escalated" else probe


def _capped(conn, query, cap: int) -> int:
    return conn.execute(select(func.count()).select_from(query.limit(cap).subquery())).scalar_one()


def _walk(principals: list[str], view: str):
    """The dense side: open items in due order (an index), each probed for an owner."""
    where = OPEN & _probe(principals, view)
    return where & c.overdue.is_(True) if view == "overdue" else where


def _sparse_ids(conn, principals: list[str], view: str) -> list[int] | None:
    """The open item ids the view holds when they are few, else None (walk instead).

    Overdue is a filter on the items, not on the owners: a person who owns many
    items of which none is overdue would read all their owner rows to learn so. The
    overdue items are walked instead when there are few of them in all, or when the
    person owns many open items."""
    if not principals:
        return []
    owned = _owned(principals, view)
    if view == "overdue":
        if _capped(conn, select(c.id).where(OPEN & c.overdue.is_(True)), DENSE) < DENSE:
            return None
        if _capped(conn, _owned(principals, "all"), DENSE) >= DENSE:
            return None
    elif _capped(conn, owned, DENSE) >= DENSE:  # counted in SQL: no rows to Python
        return None
    return sorted(set(conn.execute(owned).scalars()))


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
    with inbound.store.read() as conn:
        principals = _principals(inbound, conn, user, view, now)
        ids = _sparse_ids(conn, principals, view)
        if ids == []:
            return []
        query = select(inbound_items).offset(offset)
        if ids is None:  # walk the due-ordered index until the page is full
            order = (c.status, c.overdue) if view == "overdue" else (c.status,)
            query = query.where(_walk(principals, view)).order_by(*order)
        else:  # fetch the few by primary key and sort them (no status filter here, so
            # the planner cannot pick the walk over every open item instead)
            query = query.where(c.id.in_(ids))
        query = query.order_by(c.due_sort, c.received_at, c.id)
        if limit is not None:
            query = query.limit(limit)
        return inbound.views(conn, conn.execute(query).all())


def _count(conn, principals: list[str], view: str) -> int:
    if view == "overdue":
        ids = _sparse_ids(conn, principals, view)
        if ids is None:
            return _capped(conn, select(c.id).where(_walk(principals, view)), COUNT_CAP)
        return min(len(ids), COUNT_CAP)
    if not principals:
        return 0
    return _capped(conn, _owned(principals, view).distinct(), COUNT_CAP)


def count(inbound: Any, user: str, view: str = "all", *, now: datetime | None = None) -> int:
    """How many open items one view holds, up to COUNT_CAP."""
    now = moment(now)
    with inbound.store.read() as conn:
        return _count(conn, _principals(inbound, conn, user, view, now), view)


def counts(inbound: Any, user: str, *, now: datetime | None = None) -> dict[str, int]:
    """How many open items each view holds, up to COUNT_CAP."""
    now = moment(now)
    with inbound.store.read() as conn:
        everyone = _everyone(inbound, conn, user, now)
        return {view: _count(conn, _in_view(everyone, view), view) for view in VIEWS}


def count_all(inbound: Any, user: str, *, now: datetime | None = None) -> int:
    """Open items the user owns now, up to COUNT_CAP (the navigation's badge)."""
    return count(inbound, user, "all", now=now)
