"""Replay (engine/replay.py): its count agrees with what it replays, `since` included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.compiler import load_engine
from engine.replay import count, replay
from engine.store import Store
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_count_honours_since_like_replay(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store.create(f"sqlite:///{tmp_path / 'sayso.db'}")
    engine = load_engine(str(POLICY))
    wf = Workflow(engine, store)
    for hours in (0, 1, 2):
        wf.submit(
            "ann",
            "twitter/help",
            f"We regret the closure {hours}.",
            now=T0 + timedelta(hours=hours),
        )
    since = T0 + timedelta(hours=1)
    assert count(store) == 3
    assert count(store, since) == 2 == replay(store, engine, since=since).total
    assert count(store, T0 + timedelta(days=1)) == 0
    store.close()
