"""The durable store: SQLAlchemy 2 Core over SQLite (default) or PostgreSQL.

One code path for both databases. Every state change runs in `Store.write()`, a
transaction that serialises writers: SQLite takes the write lock up front
(`BEGIN IMMEDIATE`, WAL journal, busy timeout), PostgreSQL locks the rows it
changes (`SELECT ... FOR UPDATE`). Reads use `Store.read()`, which never blocks
writers. The schema is created and upgraded by Alembic (engine/migrations).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from .errors import SaysoError, first_line

metadata = MetaData()

policy_snapshots = Table(
    "policy_snapshots",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("files", JSON, nullable=False),  # relative path -> text
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author", String(200), nullable=False),
    Column("channel", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("publish_at", DateTime(timezone=True)),
    Column("published_at", DateTime(timezone=True)),
    Column("next_escalation_at", DateTime(timezone=True)),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("publish_error", Text),
    Column("publish_attempts", Integer, nullable=False, default=0),
    Column("publish_claimed_at", DateTime(timezone=True)),
    Column("retired_at", DateTime(timezone=True)),  # taken down or superseded (`retire`)
    Index("ix_submissions_status_next", "status", "next_escalation_at"),
    Index("ix_submissions_author", "author", "id"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("policy_version", String(64), ForeignKey("policy_snapshots.version"), nullable=False),
    Column("decision", JSON, nullable=False),  # Decision.to_dict()
    Column("outcome", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Approvals and rejections, bound to one revision. `on_behalf_of` is set when a
# delegate acted for someone else.
verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("verdict", String(10), nullable=False),  # approve | reject
    Column("actor", String(200), nullable=False),
    Column("on_behalf_of", String(200)),
    Column("comment", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_verdicts_submission", "submission_id", "revision"),
)

# Escalation levels reached, per submission and escalation chain.
escalations_reached = Table(
    "escalations_reached",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("escalation", String(200), primary_key=True),
    Column("level", Integer, primary_key=True),  # 1-based
    Column("at", DateTime(timezone=True), nullable=False),
)

# Who may act on a submission: each requirement's sign-off principals plus the
# owners of every escalation level reached. An index for the approval queue.
eligibility = Table(
    "eligibility",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("requirement", String(200), primary_key=True),
    Column("principal", String(200), primary_key=True),
    Column("source", String(40), nullable=False),  # "signoff" or "escalation:LEVEL"
    Index("ix_eligibility_principal", "principal", "submission_id"),
)

delegations = Table(
    "delegations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("from_user", String(200), nullable=False),
    Column("to_user", String(200), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
    Column("reason", Text),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_delegations_to", "to_user"),
)

publications = Table(
    "publications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("publisher", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("ref", Text),
    Column("error", Text),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id")),
    Column("event", String(40), nullable=False),
    Column("notifier", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Index("ix_notifications_pending", "sent_at"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

# Web sign-in sessions, kept server-side so sign-out and a password change end every
# copy of the cookie. `id` is the SHA-256 of the secret the cookie carries.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(200), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

# Failed sign-ins per account and per address, shared by every worker.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", DateTime(timezone=True), nullable=False),
)

# The hash chain. `audit_head` is one row holding the last sequence number and
# hash; appenders lock it, which serialises the chain on every database.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("ts", String(40), nullable=False),  # ISO 8601 UTC, microseconds, as hashed
    # The system clock when appended (non-decreasing), beside `ts`, the effective
    # time that `--at` may set (then `manual_clock`); NULL only on events written
    # before migration 0002.
    Column("recorded_at", String(40)),
    Column("manual_clock", Boolean),
    Column("backdated", Boolean),  # `ts` earlier than an earlier event's
    Column("via", String(20)),  # cli, web, api, tick, engine
    Column("os_user", String(200)),  # the CLI's operating-system account and host
    Column("host", String(200)),
    Column("actor", String(200), nullable=False),
    Column("on_behalf_of", String(200)),
    Column("event", String(40), nullable=False),
    Column("submission_id", Integer),
    Column("author", String(200)),
    Column("channel", String(200)),
    Column("text_sha256", String(64)),
    Column("policy_version", String(64)),
    Column("details", Text, nullable=False),  # canonical JSON, as hashed
    Column("mac", String(100)),  # "keyid:HMAC-SHA256" when SAYSO_AUDIT_KEY is set
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_submission", "submission_id"),
    Index("ix_audit_ts", "ts"),
    Index("ix_audit_recorded", "recorded_at"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", String(40)),  # the newest event's, kept non-decreasing
    Column("max_ts", String(40)),  # the latest effective time so far
)

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCKED_MARKERS = ("database is locked", "database table is locked")


class StoreError(SaysoError):
    """The database cannot be opened or used."""


def _sqlite_setup(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        dbapi_conn.isolation_level = None  # sqlite3 must not open transactions itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # a returned commit survives power loss
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _in_memory_sqlite(url: str) -> bool:
    """`sqlite://`, `sqlite:///:memory:`, `sqlite:///file::memory:?cache=shared` and the like."""
    if not url.startswith("sqlite"):
        return False
    rest = url.split("://", 1)[-1]
    return rest in ("", "/") or ":memory:" in rest or "mode=memory" in rest


class Store:
    """A database connection pool. Opening one never changes the schema: `migrate()`
    (`sayso migrate`) does, `Store.create(url)` opens and migrates, and `open_store`
    is what commands and `serve` use."""

    def __init__(self, url: str, *, migrate: bool = False):
        self.url = url
        if _in_memory_sqlite(url):
            raise StoreError(
                "an in-memory SQLite database keeps nothing and is not shared between "
                "connections; give a file (sqlite:///sayso.db)"
            )
        try:
            self.is_sqlite = url.startswith("sqlite")
            options = {"future": True}
            if self.is_sqlite:
                options["connect_args"] = {"timeout": 30, "check_same_thread": False}
                self._writer = create_engine(url, **options)
                self._reader = create_engine(url, **options)
                _sqlite_setup(self._writer, immediate=True)
                _sqlite_setup(self._reader, immediate=False)
            else:
                self._writer = create_engine(url, pool_pre_ping=True, **options)
                self._reader = self._writer
        except (ArgumentError, ImportError, ValueError) as err:
            raise StoreError(f"cannot use database URL {url!r}: {err}") from None
        if migrate:
            self.migrate()

    @classmethod
    def create(cls, url: str) -> Store:
        """A store whose schema is at head: created or upgraded as needed (tests, tools)."""
        store = cls(url)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    # ---- transactions -------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; retried only if it could not even start."""
        for attempt in range(200):
            try:
                conn = self._writer.connect()
                trans = conn.begin()
            except OperationalError as err:
                if not _is_locked(err) or attempt == 199:
                    raise StoreError(f"database unavailable: {first_line(err)}") from None
                time.sleep(min(0.5, 0.005 * (attempt + 1)) * random.uniform(0.5, 1.5))
                continue
            break
        try:
            yield conn
            trans.commit()
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise
        finally:
            conn.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        conn = self._reader.connect()
        try:
            with conn.begin():
                yield conn
        finally:
            conn.close()

    def lock_clause(self, select):
        """`SELECT ... FOR UPDATE` where the database supports row locks."""
        return select if self.is_sqlite else select.with_for_update()

    # ---- schema -------------------------------------------------------------

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to the newest Alembic revision, or to `revision` (no-op when
        already there)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        target = head_revision() if revision == "head" else revision
        try:
            if self.current_revision() == target:
                return
            with self.write() as conn:
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(741852)"))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)
        except OperationalError as err:
            raise StoreError(f"cannot open database {self.url}: {first_line(err)}") from None

    def current_revision(self) -> str | None:
        with self._reader.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def close(self) -> None:
        self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()


def _is_locked(err: OperationalError) -> bool:
    return any(marker in str(err.orig) for marker in _LOCKED_MARKERS)


def head_revision() -> str:
    """The newest schema revision this sayso knows (its Alembic head)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None, "no migrations"
    return head


def open_store(url: str) -> Store:
    """The store for commands and `serve`: a new, empty database gets the schema; one
    whose schema is behind is refused with one line (`sayso migrate` upgrades it)."""
    store = Store(url, migrate=False)
    try:
        current = store.current_revision()
    except OperationalError as err:
        store.close()
        raise StoreError(f"cannot open database {url}: {first_line(err)}") from None
    if current is None:
        store.migrate()  # starting from nothing
    elif current != head_revision():
        store.close()
        raise StoreError(
            f"the database schema is at revision {current} but this sayso needs "
            f"{head_revision()}: run `sayso migrate` first"
        )
    return store


from .inbound import tables as _inbound_tables  # noqa: E402,F401  (its tables join `metadata`)
