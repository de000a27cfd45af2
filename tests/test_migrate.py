"""`sayso migrate`: commands and `serve` never migrate a database behind their schema."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.store import Store, StoreError, head_revision, open_store

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"


def invoke(tmp_path, *args):
    db = f"sqlite:///{tmp_path / 'sayso.db'}"
    return CliRunner().invoke(cli, ["--policy", str(POLICY), "--db", db, *args])


def revision(tmp_path) -> str | None:
    store = Store(f"sqlite:///{tmp_path / 'sayso.db'}")
    try:
        return store.current_revision()
    finally:
        store.close()


def recorded_as(tmp_path, old: str) -> None:
    """A database whose recorded schema revision is not this sayso's."""
    Store.create(f"sqlite:///{tmp_path / 'sayso.db'}").close()
    with sqlite3.connect(tmp_path / "sayso.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (old,))


def test_a_new_database_gets_the_schema_from_any_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(tmp_path, "queue", "--as", "cat", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []
    assert revision(tmp_path) == head_revision()


def test_commands_and_serve_refuse_a_database_that_is_behind_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recorded_as(tmp_path, "0000older")
    args = ("submit", "--author", "ann", "--channel", "twitter/help", "--text", "hi")
    result = invoke(tmp_path, *args)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: the database schema is at revision 0000older but this sayso needs "
        f"{head_revision()}: run `sayso migrate` first"
    ]
    assert revision(tmp_path) == "0000older"  # untouched
    with pytest.raises(StoreError, match="run `sayso migrate` first"):
        open_store(f"sqlite:///{tmp_path / 'sayso.db'}")  # what `serve` opens


def test_migrate_from_nothing_then_current(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = json.loads(invoke(tmp_path, "migrate", "--json").output)
    assert first == {"from": None, "to": head_revision(), "head": head_revision()}
    again = invoke(tmp_path, "migrate")
    assert again.exit_code == 0
    assert again.output == f"database schema is current (revision {head_revision()})\n"
    open_store(f"sqlite:///{tmp_path / 'sayso.db'}").close()


def previous_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from engine.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    previous = ScriptDirectory.from_config(cfg).get_revision(head_revision()).down_revision
    assert isinstance(previous, str)
    return previous


def test_a_database_one_migration_behind_is_refused_until_migrated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'sayso.db'}")
    store.migrate(previous_revision())
    store.close()
    args = ("submit", "--author", "ann", "--channel", "twitter/help", "--text", "hi", "--json")
    refused = invoke(tmp_path, *args)
    assert refused.exit_code != 0
    assert len(refused.output.splitlines()) == 1 and "run `sayso migrate`" in refused.output
    assert revision(tmp_path) == previous_revision()

    assert invoke(tmp_path, "migrate").output == (
        f"database schema upgraded from {previous_revision()} to {head_revision()}\n"
    )
    submitted = invoke(tmp_path, *args)
    assert json.loads(submitted.output)["id"] == 1
