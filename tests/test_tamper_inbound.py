"""The tamper suite for inbound listening: every column of the inbound tables is
either evidence, re-derived from the `inbound.*` events by `audit verify`, or named
below as operational (scheduling and ordering, which change without an event)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.compiler import load_engine
from engine.inbound.items import Message
from engine.store import Store, metadata
from engine.workflow import Workflow
from tests.test_tamper import change, sql, verify

POLICY = Path(__file__).parent / "fixtures" / "policies" / "inbound"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

OPERATIONAL = {"inbound_items": {"next_escalation_at", "due_sort", "updated_at"}}
TABLES = ("inbound_items", "inbound_owners", "inbound_replies")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """An answered complaint (escalated, overdue), a closed one and an open one."""
    base = tmp_path_factory.mktemp("tamper-inbound")
    mp = pytest.MonkeyPatch()
    mp.chdir(base)  # the outbox publisher writes here
    mp.delenv("SAYSO_AUDIT_KEY", raising=False)
    try:
        store = Store.create(f"sqlite:///{base / 'inbound.db'}")
        wf = Workflow(load_engine(str(POLICY)), store)
        complaint = "Terrible service, I want a refund"
        first = wf.inbound.receive(
            Message("twitter/help", "@joe", complaint, name="Joe", message_id="m1", thread_id="t1"),
            now=at(0),
        )
        second = wf.inbound.receive(Message("twitter/help", "@kim", complaint), now=at(0))
        wf.inbound.receive(
            Message("twitter/help", "@lou", "Where is my parcel?", received_at=at(-1)), now=at(0)
        )
        wf.tick(now=at(4))  # two levels, overdue
        wf.submit("ann", "twitter/help", "We are on it, DM us.", in_reply_to=first.id, now=at(5))
        wf.inbound.close(second.id, "ann", "handled by phone", now=at(5))
        store.close()
    finally:
        mp.undo()
    return base / "inbound.db"


@pytest.fixture
def copy(pristine, tmp_path, monkeypatch):
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    target = tmp_path / "inbound.db"
    shutil.copy(pristine, target)
    return target


def test_pristine_copy_verifies(copy):
    result = verify(copy)
    assert result.ok, result.message


@pytest.mark.parametrize(
    ("table", "column"),
    [pytest.param(t, c.name, id=f"{t}.{c.name}") for t in TABLES for c in metadata.tables[t].c],
)
def test_every_field(copy, table, column):
    statement = change(table, metadata.tables[table].c[column])
    if column == "topics":  # a JSON list, which json_set on '$.x' leaves alone
        statement = f"UPDATE {table} SET topics = json_insert(topics, '$[#]', 'x')"
    sql(copy, statement)
    result = verify(copy)
    if column in OPERATIONAL.get(table, ()):
        assert result.ok, result.message  # documented: not evidence
    else:
        assert not result.ok, f"changing {table}.{column} went unnoticed"


@pytest.mark.parametrize("table", TABLES)
def test_deleting_a_row(copy, table):
    sql(copy, f"DELETE FROM {table} WHERE rowid = (SELECT min(rowid) FROM {table})")
    assert not verify(copy).ok


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO inbound_owners (item_id, principal, level) VALUES (3, 'user:zed', 0)",
        "UPDATE inbound_items SET status = 'closed', closed_by = 'ann', closed_reason = 'x', "
        "resolved_at = '2026-05-04 12:00:00.000000' WHERE id = 3",
    ],
    ids=["owner", "closing"],
)
def test_changes_without_their_event(copy, statement):
    sql(copy, statement)
    assert not verify(copy).ok


def test_every_column_is_classified():
    for table, columns in OPERATIONAL.items():
        assert columns <= set(metadata.tables[table].c.keys()), table
