"""The audit export's two formats, written batch by batch so memory stays flat:
CSV (cells that could start a spreadsheet formula neutralized, engine.csvcells) and
JSONL (each event's stored canonical details kept byte for byte)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

import orjson

from . import csvcells

Batches = Iterable[Sequence[Sequence]]


def csv_chunks(batches: Batches, fields: Sequence[str]) -> Iterator[tuple[str, int]]:
    """(text, events in it): the header with the first batch, then one chunk a batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for rows in batches:  # details are stored as canonical JSON text
        writer.writerows(csvcells.row(row) for row in rows)
        yield buffer.getvalue(), len(rows)
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header of an empty export
        yield buffer.getvalue(), 0


def jsonl_chunks(batches: Batches, fields: Sequence[str]) -> Iterator[tuple[str, int]]:
    dumps, fragment, sort = orjson.dumps, orjson.Fragment, orjson.OPT_SORT_KEYS
    details_at = list(fields).index("details")
    for rows in batches:
        lines = []
        for row in rows:
            record = dict(zip(fields, row, strict=True))
            record["details"] = fragment(row[details_at])  # already canonical
            lines.append(dumps(record, option=sort).decode())
        lines.append("")
        yield "\n".join(lines), len(rows)
