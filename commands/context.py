"""What every command shares: the policy directory and the store, built on first use."""

from __future__ import annotations

import click


class Context:
    """Where the policy and the store are; the engine, store and workflow are built
    when a command first asks for them, so `--help` and `check` stay fast."""

    def __init__(self, policy_dir: str, db_url: str, use_cache: bool = True):
        self.policy_dir = policy_dir
        self.db_url = db_url
        self.use_cache = use_cache
        self._engine = None
        self._store = None
        self._workflow = None

    @property
    def engine(self):
        """The compiled policy (raises PolicyError, printed as FILE:LINE:COL lines)."""
        if self._engine is None:
            from engine.compiler import load_engine

            self._engine = load_engine(self.policy_dir, use_cache=self.use_cache)
        return self._engine

    @property
    def store(self):
        """The database; a new one gets the schema, one that is behind is refused."""
        if self._store is None:
            from engine.store import open_store

            self._store = open_store(self.db_url)
        return self._store

    @property
    def workflow(self):
        if self._workflow is None:
            from engine.workflow import Workflow

            self._workflow = Workflow(self.engine, self.store)
        return self._workflow


pass_ctx = click.make_pass_decorator(Context)
