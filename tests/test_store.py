"""The store: migrations create exactly the declared schema; SQLite runs in WAL mode."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from engine.store import Store, StoreError, metadata, open_store  # with the inbound tables


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_db")


def test_migrations_build_the_declared_schema(url):
    store = Store.create(url)
    with store.read() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert store.current_revision() is not None
    store.close()


def test_migrating_twice_is_a_no_op(url):
    Store.create(url).close()
    again = Store.create(url)
    with again.read() as conn:
        assert conn.execute(text("SELECT seq FROM audit_head")).scalar() == 0
    again.close()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    store = Store.create(f"sqlite:///{tmp_path / 'w.db'}")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


@pytest.mark.parametrize("bad", ["nosuch://x", "sqlite:////nonexistent-dir/x/y.db"])
@pytest.mark.parametrize("opener", [Store.create, open_store])
def test_unusable_url_is_a_clear_error(bad, opener):
    with pytest.raises(StoreError, match="database"):
        opener(bad)


def test_opening_a_store_leaves_an_empty_database_empty(url):
    store = Store(url)
    with store.write() as conn:
        conn.execute(text("SELECT 1"))
    assert store.current_revision() is None
    with store.read() as conn:
        assert inspect(conn).get_table_names() == []
    store.close()
