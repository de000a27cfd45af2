"""Server-side sign-in sessions and sign-in throttling, shared by every worker.

A browser's cookie carries only a random secret; the database keeps its SHA-256
with the user, the start and the last request. A session ends on sign-out, on a
password change, when an admin ends all of a user's sessions, after `idle` without
a request, or `absolute` after it began; a copied cookie then stops working too.

Failed sign-ins are counted per account and per client address in one table, so
the limit holds across gunicorn workers and restarts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .store import Store
from .tables import sign_in_failures, web_sessions

# Refreshing "last seen" on every request would make each page view a write.
TOUCH_PRECISION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)


def start(store: Store, user: str, *, now: datetime | None = None) -> str:
    """A new session for `user`; returns the secret for the cookie."""
    now = now or datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    with store.write() as conn:
        conn.execute(
            web_sessions.insert().values(
                id=_digest(secret), user_id=user, created_at=now, last_seen_at=now
            )
        )
    return secret


def user_of(
    store: Store, secret: object, lifetime: Lifetime, *, now: datetime | None = None
) -> str | None:
    """The user of a live session, or None (unknown, ended, idle or too old)."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 100:
        return None
    now = now or datetime.now(UTC)
    key = _digest(secret)
    with store.read() as conn:
        row = conn.execute(select(web_sessions).where(web_sessions.c.id == key)).first()
    if row is None or row.ended_at is not None:
        return None
    seen, began = _aware(row.last_seen_at), _aware(row.created_at)
    if now - seen > lifetime.idle or now - began > lifetime.absolute:
        end(store, secret, now=now)
        return None
    if now - seen >= TOUCH_PRECISION:
        with store.write() as conn:
            conn.execute(
                update(web_sessions).where(web_sessions.c.id == key).values(last_seen_at=now)
            )
    return row.user_id


def end(store: Store, secret: object, *, now: datetime | None = None) -> None:
    if not isinstance(secret, str):
        return
    with store.write() as conn:
        conn.execute(
            update(web_sessions)
            .where(web_sessions.c.id == _digest(secret), web_sessions.c.ended_at.is_(None))
            .values(ended_at=now or datetime.now(UTC))
        )


# ---- throttling ------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """At most `per_account` failures for one account and `per_address` from one
    address within `window`; past that, sign-in is refused until the window ends."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    def keys(self, user: str, address: str | None) -> dict[str, int]:
        keys = {f"user:{user[:200]}": self.per_account}
        if address:
            keys[f"addr:{address[:200]}"] = self.per_address
        return keys

    def wait(
        self, store: Store, user: str, address: str | None, *, now: datetime | None = None
    ) -> timedelta | None:
        """How long sign-in stays refused for this account or address, or None."""
        now = now or datetime.now(UTC)
        limits = self.keys(user, address)
        with store.read() as conn:
            rows = conn.execute(
                select(sign_in_failures).where(sign_in_failures.c.key.in_(list(limits)))
            ).all()
        waits = [
            _aware(row.window_start) + self.window - now
            for row in rows
            if row.failures >= limits[row.key] and _aware(row.window_start) + self.window > now
        ]
        return max(waits) if waits else None

    def failed(
        self, store: Store, user: str, address: str | None, *, now: datetime | None = None
    ) -> None:
        """Count a failure; one upsert per key, so concurrent workers never collide."""
        now = now or datetime.now(UTC)
        table = sign_in_failures
        insert = pg_insert if not store.is_sqlite else sqlite_insert
        expired = table.c.window_start <= now - self.window
        with store.write() as conn:
            for key in self.keys(user, address):
                statement = insert(table).values(key=key, failures=1, window_start=now)
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=[table.c.key],
                        set_={
                            "failures": case((expired, 1), else_=table.c.failures + 1),
                            "window_start": case((expired, now), else_=table.c.window_start),
                        },
                    )
                )

    def succeeded(self, store: Store, user: str) -> None:
        """A correct password clears the account's count (not the address's)."""
        with store.write() as conn:
            conn.execute(delete(sign_in_failures).where(sign_in_failures.c.key == f"user:{user}"))
