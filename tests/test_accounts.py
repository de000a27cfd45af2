"""Local passwords and API tokens: stored hashed, checked, revoked."""

from __future__ import annotations

import sqlite3

import pytest

from engine import accounts
from engine.errors import NotFound, SaysoError
from engine.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'a.db'}")
    yield s
    s.close()


def test_password_round_trip_and_hash_at_rest(store, tmp_path):
    accounts.set_password(store, "cat", "correct horse")
    assert accounts.check_password(store, "cat", "correct horse")
    assert not accounts.check_password(store, "cat", "wrong horse!")
    assert not accounts.check_password(store, "nobody", "correct horse")
    with sqlite3.connect(tmp_path / "a.db") as conn:
        [stored] = conn.execute("SELECT password_hash FROM accounts").fetchone()
    assert "correct horse" not in stored and stored.startswith("scrypt$")
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
