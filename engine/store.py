"""The durable store: SQLAlchemy 2 Core over SQLite (default) or PostgreSQL.

One code path for both databases. Every state change runs in `Store.write()`, a
transaction that serialises writers: SQLite takes the write lock up front
(`BEGIN IMMEDIATE`, WAL journal, busy timeout), PostgreSQL locks the rows it
changes (`SELECT ... FOR UPDATE`). Reads use `Store.read()`, which never blocks
writers. The schema (engine/tables.py) is created and upgraded by Alembic
(engine/migrations) only when asked: `Store.migrate()`, `sayso migrate`, or
`open_store` on a new, empty database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from .errors import SaysoError, first_line

if TYPE_CHECKING:
    from .auditkey import Keyring

# The tables, re-exported for code that imports them from here (their home: engine.tables).
from .tables import (  # noqa: F401
    accounts,
    api_tokens,
    audit_events,
    audit_head,
    delegations,
    eligibility,
    escalations_reached,
    metadata,
    notifications,
    policy_snapshots,
    publications,
    revisions,
    sign_in_failures,
    submissions,
    verdicts,
    web_sessions,
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

    audit_keyring: Keyring | None = None  # read from the environment on first use (auditkey)

    def __init__(self, url: str, *, migrate: bool = False):
        self.url = url
        if _in_memory_sqlite(url):
            raise StoreError(
                "an in-memory SQLite database keeps nothing and is not shared between "
                "connections; give a file (sqlite:///sayso.db)"
            )
        try:
            self.is_sqlite = url.startswith("sqlite")
            options: dict[str, Any] = {"future": True}
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


def new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just added."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


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
