"""The tamper suite: what someone with write access to the database can change,
and what `audit verify` says about it. One row per attack, with the expected
result; every column of every table is either evidence (a change is detected)
or named below as operational (not evidence, not compared)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Boolean, DateTime, Integer, String, Text, text

from engine import accounts, integrity
from engine.audit import FIELDS, GENESIS, event_hash, mac_body
from engine.auditkey import load_keyring
from engine.checkpoint import current_head
from engine.compiler import load_engine
from engine.store import Store, metadata  # with the inbound tables
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
KEY = "tamper-suite-key-0123456789abcdef0123"

# Columns that change without an audit event (scheduling, claims, counters, the
# approval-queue index, the notification queue): not evidence, so not compared.
OPERATIONAL = {
    "submissions": {
        "updated_at",
        "publish_at",
        "next_escalation_at",
        "overdue",
        "publish_error",
        "publish_attempts",
        "publish_claimed_at",
    },
    "eligibility": {"submission_id", "requirement", "principal", "source"},
    "api_tokens": {"last_used_at"},
    "notifications": {
        "id",
        "submission_id",
        "event",
        "notifier",
        "payload",
        "created_at",
        "sent_at",
        "attempts",
        "error",
    },
}
# Surrogate keys: verdicts and publications are compared with their events in
# order, so a renumbering that keeps the order (the only publication here)
# changes nothing recorded; one that reorders verdicts is detected.
SURROGATE = {"publications": {"id"}}
TABLES = (
    "policy_snapshots",
    "submissions",
    "revisions",
    "verdicts",
    "escalations_reached",
    "eligibility",
    "delegations",
    "publications",
    "notifications",
    "accounts",
    "api_tokens",
    "audit_events",
    "audit_head",
)


def fill(wf: Workflow) -> None:
    """Every kind of record: revisions, approvals by two people, a rejection, a
    withdrawal, escalation levels, a publication, a delegation given and revoked,
    a password and a token created and revoked."""
    a = wf.submit("ann", "twitter/help", "We regret the closure.", now=T0)
    wf.revise(a.id, "ann", "We regret the closure of the branch.", now=T0 + timedelta(minutes=5))
    wf.tick(now=T0 + timedelta(hours=5))  # two escalation levels
    b = wf.submit("bob", "facebook/page", "The outage is over.", now=T0)
    wf.approve(b.id, "eve", comment="fine", now=T0 + timedelta(hours=1))
    wf.approve(b.id, "fay", now=T0 + timedelta(hours=2))  # approved and published
    c = wf.submit("ann", "twitter/help", "A recall notice.", now=T0)
    wf.reject(c.id, "cat", "tone", now=T0 + timedelta(hours=1))
    d = wf.submit("ann", "twitter/help", "Closure of the old site.", now=T0)
    wf.withdraw(d.id, "ann", now=T0 + timedelta(hours=1))
    g = wf.delegate("eve", "fay", T0 + timedelta(days=9), reason="leave", now=T0)
    wf.revoke_delegation(g.id, "eve", now=T0 + timedelta(days=1))
    accounts.set_password(wf.store, "ann", "correct horse")
    accounts.create_token(wf.store, "bob", "ci")
    accounts.revoke_token(wf.store, 1)


def build(path: Path, key: str | None, monkeypatch) -> None:
    if key:
        monkeypatch.setenv("SAYSO_AUDIT_KEY", key)
    else:
        monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    store = Store.create(f"sqlite:///{path}")
    fill(Workflow(load_engine(str(POLICY)), store))
    store.close()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """Two filled databases, without and with the audit key, built once."""
    base = tmp_path_factory.mktemp("tamper")
    mp = pytest.MonkeyPatch()
    mp.chdir(base)  # the outbox publisher writes here
    try:
        build(base / "plain.db", None, mp)
        build(base / "keyed.db", KEY, mp)
    finally:
        mp.undo()
    return base


@pytest.fixture
def copy(pristine, tmp_path, monkeypatch):
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    monkeypatch.delenv("SAYSO_AUDIT_OLD_KEYS", raising=False)

    def make(kind: str = "plain") -> Path:
        target = tmp_path / f"{kind}.db"
        shutil.copy(pristine / f"{kind}.db", target)
        return target

    return make


def verify(path: Path, *, key: str | None = None, heads=()):
    store = Store.create(f"sqlite:///{path}")
    store.audit_keyring = load_keyring({"SAYSO_AUDIT_KEY": key} if key else {})
    try:
        return integrity.verify(store, heads=heads)
    finally:
        store.close()


def head_of(path: Path):
    store = Store.create(f"sqlite:///{path}")
    try:
        return current_head(store)
    finally:
        store.close()


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            for statement in statements:
                conn.execute(statement)
    finally:
        conn.close()


# ---- every field of every table -------------------------------------------------------


def change(table: str, column) -> str:
    """An UPDATE that changes `column` in the table's first row, whatever its type."""
    name = column.name
    where = f"rowid = (SELECT min(rowid) FROM {table})"
    if isinstance(column.type, Boolean):
        value = f"NOT coalesce({name}, 0)"
    elif isinstance(column.type, Integer):
        value = f"coalesce({name}, 0) + 1000"  # clear of the other rows' keys
    elif isinstance(column.type, DateTime):
        value = f"coalesce(datetime({name}, '+1 hour'), '2030-01-01 00:00:00.000000')"
    elif isinstance(column.type, String | Text):
        value = f"coalesce({name}, '') || 'x'"
    elif name == "files":
        value = "json_set(files, '$.\"evil.yaml\"', 'x')"
    elif name == "decision":
        value = "json_set(decision, '$.reasons', json('[]'))"
    else:
        value = f"json_set({name}, '$.x', 1)"
    if table == "audit_events":
        where = "seq = 3"  # a `submitted` event, with details and text hash
    if table == "revisions":
        where = "submission_id = 1 AND number = 1"
    return f"UPDATE {table} SET {name} = {value} WHERE {where}"


FIELD_CASES = [
    pytest.param(t, c.name, id=f"{t}.{c.name}") for t in TABLES for c in metadata.tables[t].columns
]


@pytest.mark.parametrize(("table", "column"), FIELD_CASES)
def test_every_field(copy, table, column):
    path = copy()
    sql(path, change(table, metadata.tables[table].c[column]))
    result = verify(path)
    if column in OPERATIONAL.get(table, ()) or column in SURROGATE.get(table, ()):
        assert result.ok, result.message  # documented: not evidence
    else:
        assert not result.ok, f"changing {table}.{column} went unnoticed"


@pytest.mark.parametrize("table", [t for t in TABLES if t not in OPERATIONAL or t == "submissions"])
def test_deleting_a_row(copy, table):
    path = copy()
    sql(path, f"DELETE FROM {table} WHERE rowid = (SELECT min(rowid) FROM {table})")
    assert not verify(path).ok


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO verdicts (submission_id, revision, verdict, actor, at) "
        "VALUES (1, 2, 'approve', 'dan', '2026-05-04 12:00:00.000000')",
        "INSERT INTO publications (submission_id, revision, publisher, at, ok) "
        "VALUES (1, 2, 'outbox', '2026-05-04 12:00:00.000000', 1)",
        "INSERT INTO api_tokens (user_id, token_hash, name, created_at) "
        "VALUES ('zed', '" + "a" * 64 + "', 'mine', '2026-05-04 12:00:00.000000')",
        "INSERT INTO delegations (from_user, to_user, starts_at, until) VALUES "
        "('ceo', 'zed', '2026-05-04 12:00:00.000000', '2027-05-04 12:00:00.000000')",
    ],
    ids=["verdict", "publication", "token", "delegation"],
)
def test_inserting_a_row_without_its_event(copy, statement):
    path = copy()
    sql(path, statement)
    result = verify(path)
    assert not result.ok and "no audit event records it" in result.message


def test_every_column_is_classified():
    """A new column in these tables needs a decision: evidence or operational."""
    for table, columns in OPERATIONAL.items():
        assert columns <= set(metadata.tables[table].c.keys()), table


def test_pristine_copies_verify(copy):
    assert verify(copy()).ok
    keyed = verify(copy("keyed"), key=KEY)
    assert keyed.ok and "MACs checked" in keyed.message


# ---- attacks on the chain itself -------------------------------------------------------


def events(path: Path) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT * FROM audit_events ORDER BY seq").fetchall()
    finally:
        conn.close()
    out = []
    for row in rows:
        record = {k: row[k] for k in FIELDS}
        record["details"] = orjson.loads(record["details"])
        for flag in ("manual_clock", "backdated"):
            if record[flag] is not None:
                record[flag] = bool(record[flag])
        out.append(record)
    return out


def rewrite(path: Path, records: list[dict], *, strip_macs: bool = False) -> None:
    """Recompute every hash from the first event, as an attacker without the key can."""
    prev = GENESIS
    for record in records:
        record["prev_hash"] = prev
        if strip_macs:
            record["mac"] = None
        record["hash"] = prev = event_hash(record)
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("DELETE FROM audit_events")
            for r in records:
                row = dict(r, details=orjson.dumps(r["details"], option=orjson.OPT_SORT_KEYS))
                names = ", ".join(FIELDS)
                marks = ", ".join(f":{k}" for k in FIELDS)
                conn.execute(f"INSERT INTO audit_events ({names}) VALUES ({marks})", row)
            last = records[-1] if records else {"seq": 0, "hash": GENESIS, "recorded_at": None}
            latest = max((r["ts"] for r in records), default=None)
            conn.execute(
                "UPDATE audit_head SET seq = ?, hash = ?, recorded_at = ?, max_ts = ?",
                (last["seq"], last["hash"], last["recorded_at"], latest),
            )
    finally:
        conn.close()


def forge_approver(path: Path) -> None:
    """Consistent forgery: fay's approval becomes dan's in the table and the log."""
    records = events(path)
    for r in records:
        if r["event"] == "approved" and r["actor"] == "fay":
            r["actor"] = "dan"
        if r["event"] == "published":
            r["details"]["approved_by"] = ["eve", "dan"]
    sql(path, "UPDATE verdicts SET actor = 'dan' WHERE actor = 'fay'")
    return records


def truncate(path: Path, keep: int) -> None:
    rewrite(path, events(path)[:keep])


def truncate_with_records(path: Path) -> None:
    """Drop the last two events (a token created and revoked) and their row too."""
    truncate(path, len(events(path)) - 2)
    sql(path, "DELETE FROM api_tokens")


def edit_one_event(path: Path) -> None:
    """An event changed and its own hash recomputed; the events after it left alone."""
    record = events(path)[4]
    record["actor"] = "mallory"
    sql(
        path,
        f"UPDATE audit_events SET actor = 'mallory', hash = '{event_hash(record)}' "
        f"WHERE seq = {record['seq']}",
    )


def rewrite_one(path: Path, field: str, value) -> None:
    """One event's field changed, every hash recomputed (no key)."""
    records = events(path)
    records[5][field] = value(records[5]) if callable(value) else value
    rewrite(path, records)


CHAIN_CASES = [
    # (id, database, attack, verify with key?, pin the original head?, expected ok, message)
    ("truncate-tail-fixed-head", "plain", lambda p: truncate(p, len(events(p)) - 1),
     False, False, False, "revoked_at"),  # the token row still says revoked
    ("truncate-tail-and-records", "plain", truncate_with_records,
     False, False, True, "intact"),  # consistent with itself: only a kept head shows it
    ("truncate-tail-and-records-pinned", "plain", truncate_with_records,
     False, True, False, "no longer in the log"),
    ("truncate-records-tail", "plain", lambda p: truncate(p, 20),
     False, False, False, "no audit event records it"),
    ("recompute-without-key", "plain", lambda p: rewrite(p, forge_approver(p)),
     False, False, True, "intact"),  # the documented limit of an unkeyed chain
    ("recompute-without-key-pinned", "plain", lambda p: rewrite(p, forge_approver(p)),
     False, True, False, "now has hash"),
    ("recompute-keyed-chain", "keyed", lambda p: rewrite(p, forge_approver(p)),
     True, False, False, "MAC does not match"),
    ("recompute-keyed-strip-macs", "keyed",
     lambda p: rewrite(p, forge_approver(p), strip_macs=True),
     True, False, False, "carries no MAC"),
    ("wipe-events", "plain", lambda p: rewrite(p, []),
     False, False, False, "no audit event records it"),
    ("wipe-events-keyed", "keyed", lambda p: rewrite(p, []),
     True, False, False, "no audit event records it"),
    ("drop-head-row", "plain", lambda p: sql(p, "DELETE FROM audit_head"),
     False, False, False, "no head row"),
    ("drop-events-table", "plain", lambda p: sql(p, "DROP TABLE audit_events"),
     False, False, False, "unusable"),
    ("delete-one-event", "plain", lambda p: sql(p, "DELETE FROM audit_events WHERE seq = 5"),
     False, False, False, "event 5 is missing"),
    ("edit-one-event-own-hash", "plain", edit_one_event,
     False, False, False, "previous hash does not match event 5"),
    ("strip-one-mac", "keyed", lambda p: rewrite_one(p, "mac", None),
     True, False, False, "carries no MAC although event 1 did"),
    ("recorded-time-goes-back", "plain",
     lambda p: rewrite_one(p, "recorded_at", lambda r: "1" + r["recorded_at"][1:]),
     False, False, False, "events were reordered or backdated"),
    ("backdated-mark-flipped", "plain",
     lambda p: rewrite_one(p, "backdated", lambda r: not r["backdated"]),
     False, False, False, "its backdated mark is wrong"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("db", "attack", "keyed", "pinned", "ok", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in CHAIN_CASES],
)
def test_chain_attacks(copy, db, attack, keyed, pinned, ok, message):
    path = copy(db)
    original = head_of(path)
    attack(path)
    result = verify(path, key=KEY if keyed else None, heads=[original] if pinned else [])
    assert result.ok is ok, result.message
    assert message in result.message


def test_wiping_everything_is_caught_only_by_a_kept_head(copy):
    path = copy()
    original = head_of(path)
    sql(path, *(f"DELETE FROM {t}" for t in reversed(TABLES) if t != "audit_head"))
    sql(
        path,
        f"UPDATE audit_head SET seq = 0, hash = '{GENESIS}', recorded_at = NULL, max_ts = NULL",
    )
    assert verify(path).ok  # an empty database is a valid one
    result = verify(path, heads=[original])
    assert not result.ok and "no longer in the log" in result.message


def test_a_forged_mac_needs_the_key(copy):
    """An attacker who knows the MAC format but not the key still fails."""
    path = copy("keyed")
    records = forge_approver(path)
    fake = load_keyring({"SAYSO_AUDIT_KEY": "not-the-key-" + "0" * 30})
    for r in records:
        r["mac"] = fake.sign(mac_body(r))
    rewrite(path, records)
    result = verify(path, key=KEY)
    assert not result.ok and "unknown key" in result.message


def test_rotated_key_still_verifies_old_events(copy, monkeypatch):
    path = copy("keyed")
    new_key = "rotated-key-" + "1" * 30
    monkeypatch.setenv("SAYSO_AUDIT_KEY", new_key)
    monkeypatch.setenv("SAYSO_AUDIT_OLD_KEYS", KEY)
    store = Store.create(f"sqlite:///{path}")
    accounts.set_password(store, "bob", "another horse")  # signed with the new key
    store.close()
    store = Store.create(f"sqlite:///{path}")
    try:
        assert integrity.verify(store).ok
        store.audit_keyring = load_keyring({"SAYSO_AUDIT_KEY": new_key})  # old key forgotten
        result = integrity.verify(store)
        assert not result.ok and "unknown key" in result.message
    finally:
        store.close()


def test_sha256_of_the_credential_only(copy):
    """The log keeps digests of credentials, never the stored hash or a token."""
    path = copy()
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute("SELECT password_hash FROM accounts").fetchone()[0]
        log = "\n".join(r[0] for r in conn.execute("SELECT details FROM audit_events"))
    finally:
        conn.close()
    assert stored not in log
    assert hashlib.sha256(stored.encode()).hexdigest() in log


# ---- PostgreSQL --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE revisions SET text = 'We regret nothing.' WHERE submission_id = 1 AND number = 1",
         "does not hash"),
        ("UPDATE verdicts SET actor = 'dan' WHERE actor = 'fay'", "actor is 'dan'"),
        ("UPDATE submissions SET status = 'approved' WHERE id = 3", "status is 'approved'"),
    ],
    ids=["revision-text", "verdict-actor", "status"],
)  # fmt: skip
def test_postgres_records(postgres_db, tmp_path, monkeypatch, statement, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    store = Store.create(postgres_db)
    fill(Workflow(load_engine(str(POLICY)), store))
    assert integrity.verify(store).ok
    with store.write() as conn:
        conn.execute(text(statement))
    result = integrity.verify(store)
    store.close()
    assert not result.ok and message in result.message


# ---- a log begun before migration 0002 ---------------------------------------------------


def legacy_store(tmp_path) -> Store:
    """A database whose first events and account predate recorded_at (0002)."""
    from sqlalchemy import insert

    from engine.audit import LEGACY_FIELDS, canonical
    from engine.tables import accounts as accounts_table
    from engine.tables import audit_events, audit_head

    store = Store.create(f"sqlite:///{tmp_path / 'legacy.db'}")
    record = {k: None for k in LEGACY_FIELDS}
    record.update(seq=1, ts="2025-01-01T00:00:00.000000Z", actor="eve", event="delegated",
                  details={"delegation": 99, "to": "fay", "until": "2025-02-01T00:00:00.000000Z",
                           "reason": None}, prev_hash=GENESIS)  # fmt: skip
    record["hash"] = event_hash(record)
    with store.write() as conn:
        conn.execute(
            insert(audit_events), dict(record, details=canonical(record["details"]).decode())
        )
        conn.execute(audit_head.update().values(seq=1, hash=record["hash"]))
        conn.execute(
            insert(accounts_table).values(
                user_id="ann", password_hash="scrypt$old", updated_at=datetime(2025, 1, 1)
            )
        )
        conn.execute(text(
            "INSERT INTO delegations (id, from_user, to_user, starts_at, until) VALUES "
            "(99, 'eve', 'fay', '2025-01-01 00:00:00.000000', '2025-02-01 00:00:00.000000')"
        ))  # fmt: skip
    return store


def test_a_log_begun_before_recorded_time_still_verifies(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    store = legacy_store(tmp_path)
    Workflow(load_engine(str(POLICY)), store).submit("bob", "twitter/help", "hello")
    assert integrity.verify(store).ok, integrity.verify(store).message
    # an account row made after auditing began still needs its event
    with store.write() as conn:
        conn.execute(text(
            "INSERT INTO api_tokens (user_id, token_hash, name, created_at) VALUES "
            "('zed', '" + "b" * 64 + "', 'x', '2030-01-01 00:00:00.000000')"
        ))  # fmt: skip
    result = integrity.verify(store)
    store.close()
    assert not result.ok and "API token" in result.message


@pytest.mark.postgres
def test_postgres_truncation_needs_a_kept_head(postgres_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAYSO_AUDIT_KEY", raising=False)
    store = Store.create(postgres_db)
    fill(Workflow(load_engine(str(POLICY)), store))
    original = current_head(store)
    with store.write() as conn:  # the last two events (a token) and the token row go
        conn.execute(text("DELETE FROM audit_events WHERE seq > :n"), {"n": original.seq - 2})
        conn.execute(text("DELETE FROM api_tokens"))
        conn.execute(
            text(
                "UPDATE audit_head SET seq = e.seq, hash = e.hash, recorded_at = e.recorded_at, "
                "max_ts = (SELECT max(ts) FROM audit_events) "
                "FROM (SELECT seq, hash, recorded_at FROM audit_events "
                "ORDER BY seq DESC LIMIT 1) AS e"
            )
        )
    assert integrity.verify(store).ok
    result = integrity.verify(store, heads=[original])
    store.close()
    assert not result.ok and "no longer in the log" in result.message


def test_a_malformed_key_is_one_clear_error(tmp_path, monkeypatch):
    from engine.auditkey import AuditKeyError

    monkeypatch.setenv("SAYSO_AUDIT_KEY", "short")
    with pytest.raises(AuditKeyError, match="at least 32 characters"):
        load_keyring()
