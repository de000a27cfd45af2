"""Reading, verifying and exporting the audit chain (`AuditLog`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import DBAPIError

from .auditevent import EVENTS, FIELDS, AuditEvent, VerifyResult
from .auditexport import csv_chunks, jsonl_chunks
from .auditkey import keyring
from .chaincheck import ChainChecker
from .errors import SaysoError, first_line
from .store import Store
from .tables import audit_events, audit_head
from .times import iso

_BATCH = 5000
EXPORT_FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv"}  # format -> media type
HEAD = select(
    audit_head.c.seq, audit_head.c.hash, audit_head.c.recorded_at, audit_head.c.max_ts
).where(audit_head.c.id == 1)


class AuditLog:
    """Reading, verifying and exporting the chain."""

    def __init__(self, store: Store):
        self.store = store

    def _where(self, since, until, author, channel, event, submission, text=None):
        c = audit_events.c
        conds = []
        if text:
            # case-insensitive, literal (% and _ match only themselves)
            needle = str(text).lower()
            conds.append(
                or_(
                    *(
                        func.lower(col).contains(needle, autoescape=True)
                        for col in (c.actor, c.on_behalf_of, c.event, c.details)
                    )
                )
            )
        # A time window matches an event whose effective time (`ts`) falls in it,
        # and a backdated event (dated before an earlier event) whose recorded
        # time does, so an event backdated with --at is never left out.
        if since is not None or until is not None:
            window = []
            for column in (c.ts, c.recorded_at):
                part = [] if column is c.ts else [c.backdated.is_(True)]
                if since is not None:
                    part.append(column >= (iso(since) if isinstance(since, datetime) else since))
                if until is not None:
                    part.append(column <= (iso(until) if isinstance(until, datetime) else until))
                window.append(and_(*part))
            conds.append(or_(*window))
        if author:
            conds.append(c.author == author)
        if channel:
            conds.append(c.channel == channel)
        if event:
            if event not in EVENTS:
                raise SaysoError(f"unknown event type '{event}' (one of: {', '.join(EVENTS)})")
            conds.append(c.event == event)
        if submission is not None:
            conds.append(c.submission_id == int(submission))
        return and_(*conds) if conds else None

    def _filtered(self, filters: dict[str, Any]):
        names = ("since", "until", "author", "channel", "event", "submission", "text")
        unknown = set(filters) - set(names)
        if unknown:
            raise TypeError(f"unknown audit filter {', '.join(sorted(unknown))}")
        return self._where(*(filters.get(n) for n in names))

    def events(
        self,
        *,
        since=None,
        until=None,
        author=None,
        channel=None,
        event=None,
        submission=None,
        text=None,
        after_seq: int = 0,
        before_seq: int | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> Iterator[AuditEvent]:
        """Events in sequence order (or newest first, below `before_seq`), fetched in
        batches (constant memory). `text` searches actor, event type and details."""
        where = self._where(since, until, author, channel, event, submission, text)
        for rows in self._batches(where, after_seq, limit, newest_first, before_seq):
            for row in rows:
                yield _event(row)

    def _batches(
        self, where, after_seq: int = 0, limit=None, newest_first: bool = False, before_seq=None
    ):
        """Lists of raw rows (columns in FIELDS order), each read in its own short
        transaction, keyed on the sequence number so memory stays flat."""
        c = audit_events.c
        columns = [c[name] for name in FIELDS]
        cursor = after_seq
        upper = before_seq
        left = limit
        while left is None or left > 0:
            size = _BATCH if left is None else min(_BATCH, left)
            query = select(*columns)
            if newest_first:
                if upper is not None:
                    query = query.where(c.seq < upper)
                query = query.order_by(c.seq.desc())
            else:
                query = query.where(c.seq > cursor).order_by(c.seq)
            if where is not None:
                query = query.where(where)
            with self.store.read() as conn:
                rows = conn.execute(query.limit(size)).all()
            if rows:
                yield rows
            if len(rows) < size:
                return
            cursor = upper = rows[-1][0]
            if left is not None:
                left -= len(rows)

    def count(self, **filters) -> int:
        where = self._filtered(filters)
        query = select(func.count()).select_from(audit_events)
        if where is not None:
            query = query.where(where)
        with self.store.read() as conn:
            return conn.execute(query).scalar_one()

    def verify(self, progress: Callable[[int], None] | None = None) -> VerifyResult:
        """Recompute the chain (hashes, MACs when a key is set, the recorded-time
        order); name the first event that does not fit."""
        try:
            with self.store.read() as conn:
                head = conn.execute(HEAD).first()
        except DBAPIError as err:
            return _bad(1, f"the audit log is unusable: {first_line(err)}")
        if head is None:
            return _bad(1, "the audit log has no head row (audit_head): it was removed")
        checker = ChainChecker(keyring(self.store))
        try:
            for rows in self._batches(None):
                for row in rows:
                    problem = checker.step(row)
                    if problem:
                        return _bad(checker.expected, problem)
                if progress is not None:
                    progress(len(rows))
        except DBAPIError as err:
            return _bad(checker.expected, f"the audit log is unusable: {first_line(err)}")
        last = checker.expected - 1
        if head.seq != last or (last and head.hash != checker.prev):
            return _bad(
                last + 1,
                f"the log ends at event {last} but its head records event {head.seq}: "
                "events were removed from the end",
            )
        if head.recorded_at is not None and head.recorded_at != (checker.recorded or None):
            return _bad(last, "the head's recorded time does not match the newest event's")
        if head.max_ts is not None and head.max_ts != (checker.max_ts or None):
            return _bad(last, "the head's latest effective time does not match the events'")
        problem = checker.finish()
        if problem:
            return _bad(last, problem)
        return VerifyResult(True, last, None, f"audit chain intact: {last} events{checker.note()}")

    def export(
        self,
        out: IO[str],
        fmt: str = "jsonl",
        progress: Callable[[int], None] | None = None,
        **filters,
    ) -> int:
        """Stream the filtered events to `out` as JSONL or CSV; returns how many."""
        written = 0
        for text, count in self._export_chunks(fmt, filters):
            out.write(text)
            written += count
            if progress is not None and count:
                progress(count)
        return written

    def export_chunks(self, fmt: str = "jsonl", **filters) -> Iterator[str]:
        """The same export as text chunks (a header, then one chunk per batch of
        events), for a caller that streams them itself, such as a web response."""
        return (text for text, _ in self._export_chunks(fmt, filters))

    def _export_chunks(self, fmt: str, filters: dict[str, Any]) -> Iterator[tuple[str, int]]:
        if fmt not in EXPORT_FORMATS:
            raise SaysoError(f"unknown export format '{fmt[:20]}' (jsonl or csv)")
        where = self._filtered(filters)  # checks the filters before the first chunk
        chunks = csv_chunks if fmt == "csv" else jsonl_chunks
        return chunks(self._batches(where), FIELDS)


def _bad(seq: int, message: str) -> VerifyResult:
    return VerifyResult(False, seq - 1, seq, message)


def _event(row) -> AuditEvent:
    data = dict(zip(FIELDS, row, strict=True))
    data["details"] = orjson.loads(data["details"])
    return AuditEvent(**data)
