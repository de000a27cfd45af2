"""Local passwords and API bearer tokens, stored hashed.

Passwords use scrypt (memory-hard, in the standard library) with a per-user
salt; tokens are 256-bit random strings of which only the SHA-256 is kept, so a
copy of the database never reveals a usable credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from . import audit
from .errors import NotFound, SaysoError
from .store import Store, accounts, api_tokens

_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 8
TOKEN_PREFIX = "sayso_"


@dataclass(frozen=True, slots=True)
class Token:
    id: int
    user_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


def _hash_password(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def _credential(hashed: str) -> str:
    """What the audit log keeps of a stored credential: its SHA-256, so a swapped
    password hash or an inserted token is detected by `audit verify`."""
    return hashlib.sha256(hashed.encode()).hexdigest()


def set_password(store: Store, user: str, password: str, *, actor: str | None = None) -> None:
    """Set `user`'s password (an audited event, by `actor`, default the user)."""
    if len(password) < MIN_PASSWORD:
        raise SaysoError(f"a password needs at least {MIN_PASSWORD} characters")
    hashed = _hash_password(password, secrets.token_bytes(16))
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


def check_password(store: Store, user: str, password: str) -> bool:
    with store.read() as conn:
        stored = conn.execute(
            select(accounts.c.password_hash).where(accounts.c.user_id == user)
        ).scalar()
    if not stored:
        _hash_password(password, b"0" * 16)  # same work whether or not the user exists
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate.hex(), digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, user: str, name: str = "", *, actor: str | None = None) -> str:
    """A new bearer token for `user`; the only time its text is available."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    hashed, now = _token_hash(token), datetime.now(UTC)
    with store.write() as conn:
        tid = conn.execute(
            api_tokens.insert().values(user_id=user, token_hash=hashed, name=name, created_at=now)
        ).inserted_primary_key[0]
        audit.append(
            store,
            conn,
            event="token_created",
            actor=actor or user,
            now=now,
            details={
                "token": tid,
                "user": user,
                "name": name,
                "credential_sha256": _credential(hashed),
            },
        )
    return token


def user_for_token(store: Store, token: str) -> str | None:
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with store.read() as conn:
        return conn.execute(
            select(api_tokens.c.user_id).where(
                api_tokens.c.token_hash == _token_hash(token), api_tokens.c.revoked_at.is_(None)
            )
        ).scalar()


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


def tokens(store: Store, user: str) -> list[Token]:
    with store.read() as conn:
        rows = conn.execute(
            select(api_tokens).where(api_tokens.c.user_id == user).order_by(api_tokens.c.id)
        ).all()
    return [Token(r.id, r.user_id, r.name, r.created_at, r.revoked_at) for r in rows]
