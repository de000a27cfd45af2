"""`sayso inbound pull`: ask each configured source plugin for messages newer than its
stored cursor, store them like any other delivery, then store the new cursor.

The cursor moves only after the messages are stored, so a crash in between repeats
the pull on the next run; the repeats are then ignored as duplicates (same channel
and message id). A restart neither loses nor duplicates a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import SaysoError, first_line
from ..hookspecs import Pulled
from ..plugins import sources as source_specs
from ..workflow.rules import moment
from .importer import message_from
from .tables import inbound_cursors


@dataclass
class PullReport:
    source: str
    added: int = 0
    duplicates: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (position, why)
    cursor: str | None = None
    error: str | None = None  # the source failed; nothing was stored, the cursor kept

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "added": self.added,
            "duplicate": self.duplicates,
            "invalid": [{"index": i, "error": why} for i, why in self.invalid],
            "cursor": self.cursor,
            "error": self.error,
        }


def cursor_of(store: Any, name: str) -> str | None:
    with store.read() as conn:
        row = conn.execute(
            select(inbound_cursors.c.cursor).where(inbound_cursors.c.source == name)
        ).first()
    return row.cursor if row else None


def _save_cursor(store: Any, name: str, cursor: str, now: datetime) -> None:
    dialect = sqlite if store.is_sqlite else postgresql
    with store.write() as conn:
        conn.execute(
            dialect.insert(inbound_cursors)
            .values(source=name, cursor=cursor, updated_at=now)
            .on_conflict_do_update(
                index_elements=["source"], set_={"cursor": cursor, "updated_at": now}
            )
        )


def pull(inbound: Any, pm: Any, *, name: str | None = None, now=None) -> list[PullReport]:
    """Pull every configured source (or only `name`); one report per source."""
    configured = inbound.engine.policy.inbound_sources
    if name is not None:
        chosen = [s for s in configured if s.name == name]
        if not chosen:
            names = ", ".join(s.name for s in configured) or "none configured"
            raise SaysoError(f"no inbound source '{name[:60]}' (sources: {names})")
    else:
        chosen = list(configured)
    specs = source_specs(pm)
    return [_pull_one(inbound, specs, source, now) for source in chosen]


def _pull_one(inbound: Any, specs: dict, source: Any, now) -> PullReport:
    report = PullReport(source.name)
    spec = specs.get(source.use)
    if spec is None:
        report.error = f"no source plugin named '{source.use}'"
        return report
    cursor = cursor_of(inbound.store, source.name)
    try:
        pulled = spec.build(source.options_dict()).pull(cursor)
        if not isinstance(pulled, Pulled):
            raise TypeError(f"pull() returned {type(pulled).__name__}, not Pulled")
    except Exception as err:  # a platform being down is reported, never a crash
        report.error = first_line(err) or type(err).__name__
        report.cursor = cursor
        return report
    messages = []
    for index, raw in enumerate(pulled.messages):
        try:
            given = dict(raw)
            given.setdefault("channel", source.channel)
            messages.append((index, message_from(given)))
        except (SaysoError, TypeError, ValueError) as err:
            report.invalid.append((index, str(err)))
    results = inbound.receive_many(
        [m for _, m in messages], source=source.name, actor=f"source:{source.name}"
    )
    for (index, _), (item, error) in zip(messages, results, strict=True):
        if error is not None:
            report.invalid.append((index, str(error)))
        elif item.duplicate:
            report.duplicates += 1
        else:
            report.added += 1
    report.invalid.sort()
    report.cursor = pulled.cursor or cursor
    if pulled.cursor and pulled.cursor != cursor:
        _save_cursor(inbound.store, source.name, pulled.cursor, moment(now))
    return report
