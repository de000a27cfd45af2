"""`sayso who`: who may post where, answered by `Engine.may_post` (the one evaluator).

`for_user(engine, U)`: every channel and kind, allowed or not, with the rules that
decide. `for_channel(engine, C)`: every person the rules let post there, by kind.
Waivers in force today count, as they do for a post.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .compiler import KINDS
from .errors import NotFound


@dataclass(frozen=True, slots=True)
class Access:
    user: str
    channel: str
    kind: str
    allowed: bool
    rules: tuple[str, ...]  # the allowing rules, or the deny rule / default-deny

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "channel": self.channel,
            "kind": self.kind,
            "allowed": self.allowed,
            "rules": list(self.rules),
        }


def _access(engine: Any, user: str, channel: str, kind: str, today: date) -> Access:
    allowed, reasons = engine.may_post(user, channel, kind, today=today)
    return Access(user, channel, kind, allowed, tuple(r.id for r in reasons))


def for_user(engine: Any, user: str, *, today: date | None = None) -> list[Access]:
    """Every channel and kind, and whether `user` may post there."""
    if user not in engine.policy.users:
        raise NotFound(f"unknown user '{user}' (not in the policy)")
    today = today or datetime.now(UTC).date()
    return [_access(engine, user, c, k, today) for c in engine.policy.channels for k in KINDS]


def for_channel(engine: Any, channel: str, *, today: date | None = None) -> list[Access]:
    """Everyone who may post to `channel`, per kind (those who may not are left out)."""
    if channel not in engine.policy.channels:
        raise NotFound(f"unknown channel '{channel}' (not in the policy)")
    today = today or datetime.now(UTC).date()
    rows = (_access(engine, u, channel, k, today) for u in engine.policy.users for k in KINDS)
    return [row for row in rows if row.allowed]


COLUMNS = ("user", "channel", "kind", "allowed", "rules")


def to_csv(rows: list[Access]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [row.user, row.channel, row.kind, "yes" if row.allowed else "no", " ".join(row.rules)]
        )
    return out.getvalue()


def to_table(rows: list[Access]) -> str:
    """Aligned columns for a terminal."""
    cells = [[c.upper() for c in COLUMNS]] + [
        [r.user, r.channel, r.kind, "yes" if r.allowed else "no", ", ".join(r.rules)] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS) - 1)]
    lines = []
    for row in cells:
        lines.append(
            "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    return "\n".join(line.rstrip() for line in lines)
