"""Delegation: while active, a delegate may approve and reject for someone else."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from .. import audit, duties
from ..compiler import Engine
from ..errors import NotAuthor, NotFound, WorkflowError, WrongState
from ..model import EventType
from ..store import Store, new_id
from ..tables import delegations
from .rules import known_user, moment
from .views import Delegation, aware


def active(now: datetime) -> tuple[Any, ...]:
    """The conditions of a delegation active at `now`."""
    c = delegations.c
    return (c.starts_at <= now, c.until > now, c.revoked_at.is_(None))


def delegates_of(conn: Connection, users: list[str], now: datetime) -> list[str]:
    """Users to whom any of `users` has delegated, active at `now`."""
    if not users:
        return []
    c = delegations.c
    rows = conn.execute(
        select(c.to_user).where(c.from_user.in_(users), *active(now)).order_by(c.id)
    )
    return list(dict.fromkeys(r.to_user for r in rows))


def delegators_of(conn: Connection, user: str, now: datetime) -> list[str]:
    """Users who have delegated their approvals to `user`, active at `now`."""
    c = delegations.c
    rows = conn.execute(select(c.from_user).where(c.to_user == user, *active(now)).order_by(c.id))
    return list(dict.fromkeys(r.from_user for r in rows))


def identities(conn: Connection, user: str, now: datetime) -> list[str]:
    """The user, then everyone who has delegated to them (active at `now`)."""
    return list(dict.fromkeys([user, *delegators_of(conn, user, now)]))


def principals_for(engine: Engine, people: Iterable[str]) -> set[str]:
    """Every principal (user, groups, `*`) through which any of `people` acts."""
    out: set[str] = set()
    for who in people:
        out |= engine.principals_of(who)
    return out


class Delegations:
    """Who acts for whom, and when."""

    def __init__(self, engine: Engine, store: Store):
        self.engine = engine
        self.store = store

    def active_delegators(self, conn: Connection, user: str, now: datetime) -> list[str]:
        """Users who have delegated their approvals to `user`, active at `now`."""
        return delegators_of(conn, user, now)

    def delegate(
        self,
        from_user: str,
        to_user: str,
        until: datetime,
        *,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Delegation:
        """While active, `to_user` may approve and reject for `from_user`."""
        now = moment(now)
        known_user(self.engine, from_user)
        known_user(self.engine, to_user)
        until = aware(until)
        if from_user == to_user:
            raise WorkflowError("a user cannot delegate to themself")
        if until is None or until <= now:
            raise WorkflowError("a delegation must end in the future (--until)")
        refusal = duties.delegation_refusal(
            self.engine, from_user, to_user, (until - now).total_seconds()
        )
        if refusal:
            raise WorkflowError(refusal)
        with self.store.write() as conn:
            did = new_id(
                conn.execute(
                    insert(delegations).values(
                        from_user=from_user,
                        to_user=to_user,
                        starts_at=now,
                        until=until,
                        reason=reason,
                    )
                )
            )
            audit.append(
                self.store,
                conn,
                event=EventType.DELEGATED,
                actor=from_user,
                now=now,
                details={
                    "delegation": did,
                    "to": to_user,
                    "until": audit.iso(until),
                    "reason": reason,
                },
            )
        return self._delegation(did, now)

    def revoke(self, delegation_id: int, actor: str, *, now: datetime | None = None) -> None:
        now = moment(now)
        try:
            key = int(delegation_id)
        except (TypeError, ValueError):
            raise NotFound(f"no delegation '{delegation_id}'") from None
        if not 0 < key < 2**63:
            raise NotFound(f"no delegation {delegation_id}")
        with self.store.write() as conn:
            row = conn.execute(
                self.store.lock_clause(select(delegations).where(delegations.c.id == key))
            ).first()
            if row is None:
                raise NotFound(f"no delegation {delegation_id}")
            if actor != row.from_user:
                raise NotAuthor(f"only {row.from_user} may revoke delegation {row.id}")
            if row.revoked_at is not None:
                raise WrongState(f"delegation {row.id} is already revoked")
            conn.execute(
                update(delegations).where(delegations.c.id == row.id).values(revoked_at=now)
            )
            audit.append(
                self.store,
                conn,
                event=EventType.DELEGATION_REVOKED,
                actor=actor,
                now=now,
                details={"delegation": row.id, "to": row.to_user},
            )

    def of(self, user: str, *, now: datetime | None = None) -> list[Delegation]:
        """The user's delegations, given or received, active ones first."""
        now = moment(now)
        c = delegations.c
        with self.store.read() as conn:
            rows = conn.execute(
                select(delegations)
                .where(or_(c.from_user == user, c.to_user == user))
                .order_by(c.id.desc())
            ).all()
        out = [self._row_delegation(r, now) for r in rows]
        return sorted(out, key=lambda d: not d.active)

    def _delegation(self, did: int, now: datetime) -> Delegation:
        with self.store.read() as conn:
            row = conn.execute(select(delegations).where(delegations.c.id == did)).one()
        return self._row_delegation(row, now)

    @staticmethod
    def _row_delegation(row: Any, now: datetime) -> Delegation:
        starts, until, revoked = aware(row.starts_at), aware(row.until), aware(row.revoked_at)
        return Delegation(
            id=row.id,
            from_user=row.from_user,
            to_user=row.to_user,
            starts_at=starts,
            until=until,
            reason=row.reason,
            revoked_at=revoked,
            active=revoked is None and starts <= now < until,
        )
