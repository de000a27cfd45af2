"""Publisher `outbox` (the default): appends each approved post as one JSON line to a file
that a person or another system reads and forwards to the platform.

Lines from several processes never interleave: each is written with one `write`
call on a file opened for appending, under an exclusive `flock`, and fsynced before
`publish` returns. The reference is `PATH@OFFSET`, the byte offset where the line starts.

Each line carries the publication's `idempotency_key`; `delivered` finds it again, so a
post whose delivery was not recorded (the process was killed after writing its line)
is recorded on recovery instead of being written twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.hookspecs import PublishError, hookimpl

if TYPE_CHECKING:
    from engine.deliveryspecs import Publication, PublisherSpec

OPTIONS = {"path": {"type": "string", "empty": False}}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def record_of(publication: Publication) -> dict:
    """Every Publication field (times in ISO 8601 UTC) plus `published_at`."""
    record = asdict(publication)
    record["approved_by"] = list(publication.approved_by)
    record["publish_at"] = _iso(publication.publish_at)
    record["published_at"] = _iso(datetime.now(UTC))
    return record


class Outbox:
    def __init__(self, path: str = "outbox.jsonl"):
        self.path = Path(path)

    def publish(self, publication: Publication) -> str:
        import fcntl  # here: loading the plugin must stay cheap

        line = json.dumps(record_of(publication), ensure_ascii=False, sort_keys=True) + "\n"
        data = line.encode("utf-8")
        try:
            if self.path.parent != Path():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                offset = os.lseek(fd, 0, os.SEEK_END)
                if offset and os.pread(fd, 1, offset - 1) != b"\n":
                    data, offset = b"\n" + data, offset + 1  # a torn line from a crash: end it
                while data:  # a regular file takes it in one call; a full disk may not
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            finally:
                os.close(fd)  # also releases the lock
        except OSError as err:
            raise PublishError(f"cannot write the outbox {self.path}: {err.strerror}") from None
        return f"{self.path}@{offset}"  # the byte offset where its line starts

    def delivered(self, publication: Publication) -> str | None:
        """The reference of the line already holding this publication's key, if any."""
        key = publication.idempotency_key
        if not key:
            return None
        import fcntl

        needle = json.dumps(key).encode("utf-8")
        try:
            with self.path.open("rb") as f:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH)  # no half-written line
                offset = 0
                for line in f:
                    if needle in line and _key_of(line) == key:
                        return f"{self.path}@{offset}"
                    offset += len(line)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise PublishError(f"cannot read the outbox {self.path}: {err.strerror}") from None
        return None


def _key_of(line: bytes) -> str | None:
    try:
        record = json.loads(line)
    except ValueError:  # a torn line from a crash
        return None
    return record.get("idempotency_key") if isinstance(record, dict) else None


@hookimpl
def register_publishers() -> list[PublisherSpec]:
    from engine.deliveryspecs import PublisherSpec  # not needed by a decision

    return [
        PublisherSpec(
            name="outbox",
            build=lambda options: Outbox(**options),
            options_schema=OPTIONS,
            description="Append approved posts as JSON lines to a file (default outbox.jsonl).",
        )
    ]
