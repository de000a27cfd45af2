"""The PostgreSQL test server of tests/pgserver.py: a real server on 127.0.0.1, a database
per test, a clear failure when PostgreSQL is not installed."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.pgserver import _binary, find_binary


def connect(url: str) -> psycopg.Connection:
    u = make_url(url)
    return psycopg.connect(
        host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True
    )


def test_server_answers_on_loopback_with_fsync_off(postgres_url):
    assert postgres_url.startswith("postgresql+psycopg://")
    assert make_url(postgres_url).host == "127.0.0.1"
    with connect(postgres_url) as conn:
        [version] = conn.execute("select version()").fetchone()
        [listen] = conn.execute("show listen_addresses").fetchone()
        [fsync] = conn.execute("show fsync").fetchone()
    assert version.startswith("PostgreSQL ")
    assert listen == "127.0.0.1" and fsync == "off"


def test_each_test_database_is_fresh_and_separate(postgres_url, postgres_db):
    assert make_url(postgres_db).database != make_url(postgres_url).database
    with connect(postgres_db) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("create table note (id int)")
    with connect(postgres_url) as conn:
        found = conn.execute("select to_regclass('public.note')").fetchone()
    assert found == (None,)


def test_dropped_databases_are_gone(postgres_server):
    name = postgres_server.create_database()
    postgres_server.drop_database(name)
    with connect(postgres_server.url()) as conn:
        rows = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchall()
    assert rows == []


def test_tests_using_the_server_are_marked_postgres(request, postgres_url):
    assert request.node.get_closest_marker("postgres") is not None


def test_finds_the_binaries_and_fails_clearly_without_them():
    assert find_binary("pg_ctl")
    assert find_binary("sayso-no-such-tool") is None
    with pytest.raises(pytest.fail.Exception, match=r"scripts/bootstrap --test"):
        _binary("sayso-no-such-tool")
