"""Local passwords and API tokens: stored hashed, checked, revoked."""

from __future__ import annotations

import sqlite3

import pytest

from engine import accounts
from engine.errors import NotFound, SaysoError
from engine.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store.create(f"sqlite:///{tmp_path / 'a.db'}")
    yield s
    s.close()


def test_password_round_trip_and_hash_at_rest(store, tmp_path):
    accounts.set_password(store, "cat", "correct horse")
    assert accounts.check_password(store, "cat", "correct horse")
    assert not accounts.check_password(store, "cat", "wrong horse!")
    assert not accounts.check_password(store, "nobody", "correct horse")
    with sqlite3.connect(tmp_path / "a.db") as conn:
        [stored] = conn.execute("SELECT password_hash FROM accounts").fetchone()
    assert "correct horse" not in stored and stored.startswith("$argon2id$")
    accounts.set_password(store, "cat", "another one")
    assert accounts.check_password(store, "cat", "another one")
    assert not accounts.check_password(store, "cat", "correct horse")


def test_short_password_refused(store):
    with pytest.raises(SaysoError, match="at least"):
        accounts.set_password(store, "cat", "short")


def test_tokens_are_hashed_and_revocable(store, tmp_path):
    token = accounts.create_token(store, "cat", "ci")
    assert accounts.user_for_token(store, token) == "cat"
    assert accounts.user_for_token(store, token + "x") is None
    assert accounts.user_for_token(store, "") is None
    with sqlite3.connect(tmp_path / "a.db") as conn:
        [stored] = conn.execute("SELECT token_hash FROM api_tokens").fetchone()
    assert token not in stored
    [listed] = accounts.tokens(store, "cat")
    with pytest.raises(NotFound):
        accounts.revoke_token(store, listed.id, user="dan")
    accounts.revoke_token(store, listed.id, user="cat")
    assert accounts.user_for_token(store, token) is None
    with pytest.raises(NotFound):
        accounts.revoke_token(store, listed.id)


def test_scrypt_hashes_of_earlier_versions_are_upgraded_at_sign_in(store, tmp_path):
    import hashlib

    salt = bytes(range(16))
    digest = hashlib.scrypt(b"old password", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    with sqlite3.connect(tmp_path / "a.db") as conn:
        conn.execute(
            "INSERT INTO accounts (user_id, password_hash, updated_at) VALUES (?, ?, ?)",
            ("cat", legacy, "2026-01-01 00:00:00"),
        )
    assert not accounts.check_password(store, "cat", "wrong password")
    with sqlite3.connect(tmp_path / "a.db") as conn:
        assert conn.execute("SELECT password_hash FROM accounts").fetchone()[0] == legacy
    assert accounts.check_password(store, "cat", "old password")
    with sqlite3.connect(tmp_path / "a.db") as conn:
        [upgraded] = conn.execute("SELECT password_hash FROM accounts").fetchone()
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert accounts.check_password(store, "cat", "old password")
    assert not accounts.check_password(store, "cat", "wrong password")


def test_expired_tokens_stop_working_and_use_is_noted(store):
    from datetime import UTC, datetime, timedelta

    soon = datetime.now(UTC) + timedelta(seconds=2)
    token_id, token = accounts.create_token_with_id(store, "cat", "ci", expires_at=soon)
    [listed] = accounts.tokens(store, "cat")
    assert listed.id == token_id and listed.last_used_at is None and listed.state() == "active"
    assert accounts.user_for_token(store, token) == "cat"
    [used] = accounts.tokens(store, "cat")
    assert used.last_used_at is not None
    later = soon + timedelta(seconds=1)
    assert used.state(later) == "expired"
    with pytest.raises(SaysoError, match="future"):
        accounts.create_token(store, "cat", expires_at=datetime.now(UTC) - timedelta(days=1))
    import time

    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    assert accounts.user_for_token(store, token) is None


def test_revoke_by_name(store):
    keep = accounts.create_token(store, "cat", "keep")
    gone = [accounts.create_token(store, "cat", "ci") for _ in range(2)]
    other = accounts.create_token(store, "dan", "ci")
    assert accounts.revoke_token_named(store, "cat", "ci") == 2
    assert [accounts.user_for_token(store, t) for t in gone] == [None, None]
    assert accounts.user_for_token(store, keep) == "cat"
    assert accounts.user_for_token(store, other) == "dan"
    with pytest.raises(NotFound):
        accounts.revoke_token_named(store, "cat", "ci")
