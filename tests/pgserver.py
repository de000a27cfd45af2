"""A real PostgreSQL server for the tests: initdb + pg_ctl into a temporary directory on a
free 127.0.0.1 port, started once per test process (each xdist worker has its own)
and stopped at the end.

`postgres_url` is a database on the session's server; `postgres_db` a fresh, empty
database per test. Tests using either are marked `postgres`, so `-m "not postgres"`
leaves them out. PostgreSQL refuses to run as root, so as root the server runs as
the `postgres` system user (through runuser). Without PostgreSQL's binaries the
tests fail, naming the command that installs them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

MISSING = "run scripts/bootstrap --test (it installs Debian's postgresql package)"
FIXTURES = frozenset({"postgres_server", "postgres_url", "postgres_db"})


def find_binary(name: str) -> str | None:
    """`name` on PATH, else the newest /usr/lib/postgresql/*/bin/`name`."""
    found = shutil.which(name)
    if found:
        return found
    versions = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    versions.sort(key=lambda p: int(v) if (v := Path(p).parts[-3]).isdigit() else 0)
    return versions[-1] if versions else None


def _binary(name: str) -> str:
    found = find_binary(name)
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is missing: {MISSING}", pytrace=False)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable  # fsync on (benchmarks) or off (tests, faster)
        self.initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(f"running as root needs the postgres system user: {MISSING}")
            self.user = "postgres"
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.root = Path(tempfile.mkdtemp(prefix="sayso-pg-"))
        if self.as_root:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def _check(self, result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{what} failed: {result.stderr or result.stdout}\n{log}")

    def start(self) -> None:
        initdb = (
            self.initdb, "-D", str(self.data), "-U", self.user, "-A", "trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self._check(self._run(*initdb), "initdb")
        for _ in range(5):  # another process may take the free port before we bind it
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
                " -c max_connections=200"
            )
            if not self.durable:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            started = self._run(
                self.pg_ctl, "-D", str(self.data), "-o", options,
                "-l", str(self.log), "-w", "-t", "60", "start",
            )  # fmt: skip
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            if started.returncode == 0 or "in use" not in log:
                break
            self.log.unlink(missing_ok=True)
        self._check(started, "pg_ctl start")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """A database of its own on the session's server, shared by the session's tests."""
    return postgres_server.url(postgres_server.create_database())


@pytest.fixture
def postgres_db(postgres_server):
    """A fresh, empty database on the session's server, dropped after the test."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
