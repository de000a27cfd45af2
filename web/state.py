"""What the web app shares across requests: the compiled policy and the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.auditkey import keyring
from engine.auditlog import AuditLog
from engine.compiler import load_engine
from engine.store import Store, open_store
from engine.workflow import Workflow


@dataclass
class Sayso:
    """`app.extensions["sayso"]`: one engine, one store, and the workflow over them."""

    policy_dir: str
    engine: Any
    store: Store
    workflow: Workflow
    audit: AuditLog

    @classmethod
    def open(cls, policy_dir: str, db_url: str) -> Sayso:
        engine = load_engine(policy_dir)
        store = open_store(db_url)
        keyring(store)  # a malformed SAYSO_AUDIT_KEY stops the app at start, not a request
        return cls(policy_dir, engine, store, Workflow(engine, store), AuditLog(store))

    def close(self) -> None:
        self.store.close()
