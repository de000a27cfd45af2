"""Who owns an inbound item, and who may act for whom (the workflow's delegations)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..tables import delegations
from ..workflow.delegation import active
from .tables import inbound_owners


def delegates_by_user(conn: Connection, now: datetime) -> dict[str, list[str]]:
    """Every active delegation at `now`: user -> who acts for them."""
    c = delegations.c
    out: dict[str, list[str]] = {}
    for row in conn.execute(select(c.from_user, c.to_user).where(*active(now)).order_by(c.id)):
        out.setdefault(row.from_user, []).append(row.to_user)
    return out


def owners_of(conn: Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Item id -> owner principals, route owners first, then by escalation level."""
    found: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    if not ids:
        return {}
    c = inbound_owners.c
    for row in conn.execute(select(c.item_id, c.principal, c.level).where(c.item_id.in_(ids))):
        found[row.item_id].append((row.level, row.principal))
    return {i: tuple(p for _, p in sorted(rows)) for i, rows in found.items()}


def users_of(engine: Any, principals: Iterable[str]) -> list[str]:
    return sorted({u for p in principals for u in engine.members(p)})
