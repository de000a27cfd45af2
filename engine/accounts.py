"""Local passwords and API bearer tokens, stored hashed.

Passwords use argon2id (argon2-cffi, OWASP's parameters: 19 MiB, 2 passes, 1 lane).
Hashes made by earlier versions (scrypt) still verify and are replaced by an
argon2id hash at the next successful sign-in. Tokens are 256-bit random strings
of which only the SHA-256 is kept, so a copy of the database never reveals a
usable credential. Setting a password ends every web session of that user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import overload

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update

from . import audit
from .errors import NotFound, SaysoError
from .store import Store, new_id
from .tables import accounts, api_tokens, web_sessions

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
TOKEN_PREFIX = "sayso_"
# Writing "last used" on every request would turn each API read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _hasher.hash("no such account: the same work as a real check")


@dataclass(frozen=True, slots=True)
class Token:
    id: int
    user_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC)):
            return "expired"
        return "active"

    def to_dict(self, now: datetime | None = None) -> dict:
        def when(moment: datetime | None) -> str | None:
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None

        return {
            "id": self.id,
            "user": self.user_id,
            "name": self.name,
            "state": self.state(now),
            "created_at": when(self.created_at),
            "expires_at": when(self.expires_at),
            "last_used_at": when(self.last_used_at),
            "revoked_at": when(self.revoked_at),
        }


@overload
def _aware(moment: datetime) -> datetime: ...
@overload
def _aware(moment: None) -> None: ...
def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


# ---- passwords -------------------------------------------------------------------


def _credential(hashed: str) -> str:
    """What the audit log keeps of a stored credential: its SHA-256, so a swapped
    password hash or an inserted token is detected by `audit verify`."""
    return hashlib.sha256(hashed.encode()).hexdigest()


def _scrypt_matches(stored: str, password: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate.hex(), digest)


def hash_password(password: str) -> str:
    """The stored form of a password (argon2id with a random salt)."""
    return _hasher.hash(password)


def store_password_hash(store: Store, user: str, hashed: str) -> None:
    """Store a hash made by `hash_password` (with its audit event), e.g. to load many
    accounts without hashing one password per account."""
    if not hashed.startswith("$argon2id$"):
        raise SaysoError("not an argon2id password hash")
    _store_hash(store, user, hashed)


def _store_hash(store: Store, user: str, hashed: str, *, actor: str | None = None) -> None:
    """Store a password hash with its audit event (also when a sign-in rehashes)."""
    now = datetime.now(UTC)
    with store.write() as conn:
        done = conn.execute(
            update(accounts)
            .where(accounts.c.user_id == user)
            .values(password_hash=hashed, updated_at=now)
        ).rowcount
        if not done:
            conn.execute(
                accounts.insert().values(user_id=user, password_hash=hashed, updated_at=now)
            )
        audit.append(
            store,
            conn,
            event="password_set",
            actor=actor or user,
            now=now,
            details={"user": user, "credential_sha256": _credential(hashed)},
        )


def set_password(store: Store, user: str, password: str, *, actor: str | None = None) -> None:
    """Set (or replace) `user`'s password (an audited event, by `actor`, default the
    user); every web session of `user` ends."""
    if len(password) < MIN_PASSWORD:
        raise SaysoError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise SaysoError(f"a password has at most {MAX_PASSWORD} characters")
    _store_hash(store, user, _hasher.hash(password), actor=actor)
    end_sessions(store, user)


def check_password(store: Store, user: str, password: str) -> bool:
    """Whether `password` is `user`'s; one hash computation whether or not the user exists."""
    password = password[: MAX_PASSWORD + 1]
    with store.read() as conn:
        stored = conn.execute(
            select(accounts.c.password_hash).where(accounts.c.user_id == user)
        ).scalar()
    if not stored:
        _verify_argon2(_DUMMY_HASH, password)
        return False
    if stored.startswith("scrypt$"):
        if not _scrypt_matches(stored, password):
            return False
        _store_hash(store, user, _hasher.hash(password))  # upgrade to argon2id
        return True
    if not _verify_argon2(stored, password):
        return False
    if _hasher.check_needs_rehash(stored):
        _store_hash(store, user, _hasher.hash(password))
    return True


def _verify_argon2(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def end_sessions(store: Store, user: str) -> int:
    """End every open web session of `user`; returns how many were open."""
    with store.write() as conn:
        return conn.execute(
            update(web_sessions)
            .where(web_sessions.c.user_id == user, web_sessions.c.ended_at.is_(None))
            .values(ended_at=datetime.now(UTC))
        ).rowcount


# ---- tokens ----------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    store: Store,
    user: str,
    name: str = "",
    *,
    expires_at: datetime | None = None,
    actor: str | None = None,
) -> str:
    """A new bearer token for `user`; the only time its text is available."""
    return create_token_with_id(store, user, name, expires_at=expires_at, actor=actor)[1]


def create_token_with_id(
    store: Store,
    user: str,
    name: str = "",
    *,
    expires_at: datetime | None = None,
    actor: str | None = None,
) -> tuple[int, str]:
    """(id, text) of a new bearer token for `user`."""
    now = datetime.now(UTC)
    if expires_at is not None and _aware(expires_at) <= now:
        raise SaysoError("a token's expiry must be in the future")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    hashed, now = _token_hash(token), datetime.now(UTC)
    with store.write() as conn:
        token_id = new_id(
            conn.execute(
                api_tokens.insert().values(
                    user_id=user,
                    token_hash=hashed,
                    name=name,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        )
        audit.append(
            store,
            conn,
            event="token_created",
            actor=actor or user,
            now=now,
            details={
                "token": token_id,
                "user": user,
                "name": name,
                "expires_at": audit.iso(_aware(expires_at)) if expires_at else None,
                "credential_sha256": _credential(hashed),
            },
        )
    return token_id, token


# Built once: every API request looks its token up.
_TOKEN_LOOKUP = select(
    api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.expires_at, api_tokens.c.last_used_at
).where(api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None))


def user_for_token(store: Store, token: str) -> str | None:
    """The user of an active (not revoked, not expired) token; notes when it was used."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = datetime.now(UTC)
    with store.read() as conn:
        row = conn.execute(_TOKEN_LOOKUP, {"token_hash": _token_hash(token)}).first()
    if row is None or (row.expires_at is not None and _aware(row.expires_at) <= now):
        return None
    last = _aware(row.last_used_at)
    if last is None or now - last >= LAST_USED_PRECISION:
        with store.write() as conn:
            conn.execute(
                update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now)
            )
    return row.user_id


def revoke_token(store: Store, token_id: int, user: str | None = None) -> None:
    """Revoke a token (only `user`'s own when `user` is given)."""
    now = datetime.now(UTC)
    with store.write() as conn:
        query = update(api_tokens).where(
            api_tokens.c.id == int(token_id), api_tokens.c.revoked_at.is_(None)
        )
        if user is not None:
            query = query.where(api_tokens.c.user_id == user)
        if not conn.execute(query.values(revoked_at=now)).rowcount:
            raise NotFound(f"no active token {token_id}")
        owner = conn.execute(
            select(api_tokens.c.user_id).where(api_tokens.c.id == int(token_id))
        ).scalar_one()
        audit.append(
            store,
            conn,
            event="token_revoked",
            actor=user or owner,
            now=now,
            details={"token": int(token_id), "user": owner},
        )


def revoke_token_named(store: Store, user: str, name: str) -> int:
    """Revoke `user`'s active tokens called `name` (one audit event each); returns how many."""
    now = datetime.now(UTC)
    with store.write() as conn:
        ids = (
            conn.execute(
                select(api_tokens.c.id).where(
                    api_tokens.c.user_id == user,
                    api_tokens.c.name == name,
                    api_tokens.c.revoked_at.is_(None),
                )
            )
            .scalars()
            .all()
        )
        if not ids:
            raise NotFound(f"{user} has no active token named '{name}'")
        conn.execute(update(api_tokens).where(api_tokens.c.id.in_(ids)).values(revoked_at=now))
        for token_id in ids:
            audit.append(
                store,
                conn,
                event="token_revoked",
                actor=user,
                now=now,
                details={"token": token_id, "user": user},
            )
    return len(ids)


def tokens(store: Store, user: str | None = None) -> list[Token]:
    """Tokens of `user` (every user's when None), oldest first."""
    query = select(api_tokens).order_by(api_tokens.c.id)
    if user is not None:
        query = query.where(api_tokens.c.user_id == user)
    with store.read() as conn:
        rows = conn.execute(query).all()
    return [
        Token(
            r.id,
            r.user_id,
            r.name,
            _aware(r.created_at),
            _aware(r.revoked_at),
            _aware(r.expires_at),
            _aware(r.last_used_at),
        )
        for r in rows
    ]
