"""What a policy change does, for the person reviewing it (`sayso diff OLD NEW`).

Two parts:
- who gains or loses the right to post where (engine.diffaccess);
- what changed in each topic, escalation chain, check, waiver, role, rule, user, group
  and channel, field by field (engine.diffitems).
This module puts them together (`diff_policies`) and writes them for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .diffaccess import GAINS, LOSES, PermissionChange, allowed_users, permission_changes, summarise
from .diffitems import ADDED, CHANGED, REMOVED, SECTIONS, FieldChange, ItemChange, item_changes

if TYPE_CHECKING:
    from .compiler import Engine

__all__ = [
    "ADDED",
    "CHANGED",
    "GAINS",
    "LOSES",
    "REMOVED",
    "SECTIONS",
    "FieldChange",
    "ItemChange",
    "PermissionChange",
    "PolicyDiff",
    "allowed_users",
    "diff_policies",
    "format_diff",
    "permission_changes",
    "summarise",
]


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    old_version: str
    new_version: str
    permissions: tuple[PermissionChange, ...]
    items: tuple[tuple[str, tuple[ItemChange, ...]], ...]  # (section, changes), SECTIONS order

    @property
    def changed(self) -> bool:
        return bool(self.permissions) or any(changes for _, changes in self.items)

    def section(self, name: str) -> tuple[ItemChange, ...]:
        return dict(self.items).get(name, ())

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `sayso diff --json`."""
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "changed": self.changed,
            "permissions": [
                {"principal": p.principal, "change": p.change, "channel": p.channel, "kind": p.kind}
                for p in self.permissions
            ],
            **{
                name: [
                    {
                        "id": item.id,
                        "change": item.change,
                        "fields": [_field_dict(f) for f in item.fields],
                    }
                    for item in changes
                ]
                for name, changes in self.items
            },
        }


def _field_dict(f: FieldChange) -> dict[str, Any]:
    out = {"field": f.field, "old": _plain(f.old), "new": _plain(f.new)}
    if f.added or f.removed:
        out["added"], out["removed"] = list(f.added), list(f.removed)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def diff_policies(old: Engine, new: Engine, *, today: date | None = None) -> PolicyDiff:
    """What changes from `old` to `new`; `today` decides which waivers are in force."""
    items = item_changes(old.policy, new.policy)
    return PolicyDiff(old.version, new.version, permission_changes(old, new, today), items)


# ---- for people ----------------------------------------------------------------


def format_diff(diff: PolicyDiff) -> str:
    """A readable report, grouped by section; "no changes" when there are none."""
    head = f"policy {diff.old_version[:12]} -> {diff.new_version[:12]}"
    if not diff.changed:
        return f"{head}\nno changes"
    lines, count = [head], 0
    if diff.permissions:
        merged: dict[tuple[str, str, str], list[str]] = {}
        for p in diff.permissions:
            merged.setdefault((p.principal, p.change, p.channel), []).append(p.kind)
        lines += ["", "who may post"]
        for (principal, change, channel), kinds in merged.items():
            who = "everyone" if principal == "*" else principal
            lines.append(f"  {who} {change} {', '.join(kinds)} on {channel}")
        count += len(merged)
    for name, changes in diff.items:
        if changes:
            lines += ["", name]
            for item in changes:
                lines.extend(_item_lines(item))
            count += len(changes)
    lines += ["", f"{count} change{'s' if count != 1 else ''}"]
    return "\n".join(lines)


def _item_lines(item: ItemChange) -> list[str]:
    mark = {ADDED: "+", REMOVED: "-", CHANGED: "~"}[item.change]
    lines = [f"  {mark} {item.id}" + ("" if item.change == CHANGED else f" ({item.change})")]
    for f in item.fields:
        if f.added or f.removed:
            parts = [f"+{_show(x)}" for x in f.added] + [f"-{_show(x)}" for x in f.removed]
            lines.append(f"      {f.field}: {'  '.join(parts)}")
        else:
            lines.append(f"      {f.field}: {_show(f.old)} -> {_show(f.new)}")
    return lines


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value if value and not any(c.isspace() for c in value) else f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
