"""Publisher `outbox` (the default): appends each approved post as one JSON line to a file
that a person or another system reads and forwards to the platform.

Lines from several processes never interleave: each is written with one `write`
call under an exclusive lock, then flushed and fsynced before `publish` returns.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from engine.hookspecs import Publication, PublishError, PublisherSpec, hookimpl

OPTIONS = {"path": {"type": "string", "empty": False}}


class Outbox:
    def __init__(self, path: str = "outbox.jsonl"):
        self.path = Path(path)

    def publish(self, publication: Publication) -> str:
        record = asdict(publication)
        record["publish_at"] = (
            publication.publish_at.astimezone(UTC).isoformat() if publication.publish_at else None
        )
        record["approved_by"] = list(publication.approved_by)
        record["published_at"] = datetime.now(UTC).isoformat()
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        try:
            if self.path.parent != Path():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                offset = os.lseek(fd, 0, os.SEEK_END)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)  # also releases the lock
        except OSError as err:
            raise PublishError(f"cannot write the outbox {self.path}: {err.strerror}") from None
        return f"{self.path}@{offset}"  # the byte offset where the line starts


@hookimpl
def register_publishers() -> list[PublisherSpec]:
    return [
        PublisherSpec(
            name="outbox",
            build=lambda options: Outbox(**options),
            options_schema=OPTIONS,
            description="Append approved posts as JSON lines to a file (default outbox.jsonl).",
        )
    ]
