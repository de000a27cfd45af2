"""Policy snapshots: every policy version that made a decision, stored whole."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from .. import audit
from ..compiler import Engine
from ..errors import NotFound, SaysoError
from ..model import EventType
from ..store import Store
from ..tables import policy_snapshots
from .views import aware, sha256


class PolicySnapshots:
    def __init__(self, engine: Engine, store: Store):
        self.engine = engine
        self.store = store
        self._known_versions: set[str] = set()

    def record(self, conn: Connection, now: datetime) -> None:
        """Store the policy behind a decision, whole, the first time it decides."""
        version = self.engine.version
        if version in self._known_versions:
            return
        files = {
            path: data.decode("utf-8", "replace") for path, data in self.engine.policy.files.items()
        }
        dialect = postgresql if not self.store.is_sqlite else sqlite
        result = conn.execute(
            dialect.insert(policy_snapshots)
            .values(version=version, files=files, first_seen=now)
            .on_conflict_do_nothing(index_elements=["version"])
        )
        if result.rowcount:
            audit.append(
                self.store,
                conn,
                event=EventType.POLICY_LOADED,
                actor="sayso",
                now=now,
                policy_version=version,
                details={"files": sorted(files), "sha256": sha256(audit.canonical(files).decode())},
            )
        self._known_versions.add(version)

    def get(self, version: str) -> dict[str, str]:
        """The exact policy files behind a decision (a version prefix is enough)."""
        if not version or len(version) < 6:
            raise SaysoError("give at least 6 characters of the policy version")
        with self.store.read() as conn:
            rows = conn.execute(
                select(policy_snapshots).where(
                    policy_snapshots.c.version.startswith(version, autoescape=True)
                )
            ).all()
        if not rows:
            raise NotFound(f"no stored policy version {version}")
        if len(rows) > 1:
            raise SaysoError(f"policy version {version} is ambiguous; give more characters")
        return dict(rows[0].files)

    def versions(self, limit: int = 20) -> list[tuple[str, datetime]]:
        with self.store.read() as conn:
            rows = conn.execute(
                select(policy_snapshots.c.version, policy_snapshots.c.first_seen)
                .order_by(policy_snapshots.c.first_seen.desc())
                .limit(limit)
            ).all()
        return [(r.version, aware(r.first_seen)) for r in rows]
