"""What a policy change does, for the person reviewing it (`sayso diff OLD NEW`).

Two parts:
- who gains or loses the right to post where, from the rules, group membership and
  waivers of both compiled engines. The answer is exactly `Engine.may_post` for every
  (user, channel, kind), but computed as set algebra over the compiled rule index, so
  thousands of users times dozens of channels take milliseconds. Each change is then
  summarised per group where every member of the group changed the same way;
- what changed in each topic, escalation chain, check, waiver, role, rule, user, group
  and channel, field by field (lists compared as sets: added and removed items).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from .compiler import KINDS
from .durations import format_duration

if TYPE_CHECKING:
    from .compiler import Engine

GAINS, LOSES = "gains", "loses"
ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True, slots=True)
class PermissionChange:
    """A principal gains or loses the right to post to a channel as a kind."""

    principal: str  # "group:ID", "user:ID" or "*" (everyone)
    change: str  # GAINS or LOSES
    channel: str
    kind: str

    def __str__(self) -> str:
        return f"{self.principal} {self.change} {self.kind} on {self.channel}"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an item; for list fields, `added` and `removed` hold the difference."""

    field: str
    old: Any
    new: Any
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A topic, check, waiver... that was added, removed or changed."""

    id: str
    change: str  # ADDED, REMOVED or CHANGED
    fields: tuple[FieldChange, ...] = ()


SECTIONS: tuple[str, ...] = (
    "topics",
    "escalations",
    "checks",
    "waivers",
    "roles",
    "rules",
    "users",
    "groups",
    "channels",
)


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


# ---- who may post where ------------------------------------------------------


def allowed_users(engine: Engine, channel: str, kind: str, today: date) -> frozenset[str]:
    """Users for whom `engine.may_post(user, channel, kind, today=today)` is true."""
    if channel not in engine.policy.channels:
        return frozenset()
    index = engine.rule_index(channel, kind)
    candidates = _members_of(engine, index.allowing_principals) & engine.policy.users.keys()
    if not index.denied_principals:
        return candidates  # nobody is denied here: every user an allow rule names may post
    return frozenset(u for u in candidates if engine.may_post(u, channel, kind, today=today)[0])


def _members_of(engine: Engine, principals: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for principal in principals:
        out |= engine.members(principal)
    return frozenset(out)


def permission_changes(
    old: Engine, new: Engine, today: date | None = None
) -> tuple[PermissionChange, ...]:
    """Every (principal, channel, kind) that gains or loses the right to post, summarised."""
    today = today or datetime.now(UTC).date()
    channels = sorted(set(old.policy.channels) | set(new.policy.channels))
    out: list[PermissionChange] = []
    for channel in channels:
        for kind in KINDS:
            before = allowed_users(old, channel, kind, today)
            after = allowed_users(new, channel, kind, today)
            if before == after:
                continue
            for change, users, engine in (
                (GAINS, after - before, new),
                (LOSES, before - after, old),
            ):
                for principal in summarise(engine, users):
                    out.append(PermissionChange(principal, change, channel, kind))
    order = {GAINS: 0, LOSES: 1}
    return tuple(
        sorted(out, key=lambda p: (_principal_order(p.principal), order[p.change], p.channel))
    )


def summarise(engine: Engine, users: frozenset[str]) -> list[str]:
    """Principals standing for exactly `users`: `*`, whole groups (largest first), then users.

    A group is named when every one of its members is in `users`; a group whose
    members a larger named group already covers is left out.
    """
    if not users:
        return []
    everyone = frozenset(engine.policy.users)
    if everyone and everyone <= users:
        return ["*", *(f"user:{u}" for u in sorted(users - everyone))]
    candidates = []
    for group_id in engine.policy.groups:
        members = engine.members(f"group:{group_id}")
        if members and len(members) <= len(users) and members <= users:
            candidates.append((-len(members), group_id, members))
    covered: set[str] = set()
    named = []
    for _, group_id, members in sorted(candidates):
        if not members <= covered:
            named.append(f"group:{group_id}")
            covered |= members
    return sorted(named) + [f"user:{u}" for u in sorted(users - covered)]


def _principal_order(principal: str) -> tuple[int, str]:
    rank = 0 if principal == "*" else 1 if principal.startswith("group:") else 2
    return rank, principal


# ---- items, field by field ----------------------------------------------------

Getter = Callable[[Any], Any]


def _compare(old: Any, new: Any, fields: Iterable[tuple[str, Getter]]) -> tuple[FieldChange, ...]:
    out = []
    for name, get in fields:
        a, b = get(old), get(new)
        if isinstance(a, tuple) and isinstance(b, tuple):
            added = tuple(x for x in dict.fromkeys(b) if x not in a)
            removed = tuple(x for x in dict.fromkeys(a) if x not in b)
            if added or removed:
                out.append(FieldChange(name, a, b, added, removed))
        elif a != b:
            out.append(FieldChange(name, a, b))
    return tuple(out)


def _items(
    old: dict[str, Any], new: dict[str, Any], compare: Callable[[Any, Any], tuple[FieldChange, ...]]
) -> tuple[ItemChange, ...]:
    out = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            out.append(ItemChange(key, REMOVED))
        elif key not in old:
            out.append(ItemChange(key, ADDED))
        else:
            fields = compare(old[key], new[key])
            if fields:
                out.append(ItemChange(key, CHANGED, fields))
    return tuple(out)


def _value(v: Any) -> Any:
    """An enum's value, anything else as is."""
    return getattr(v, "value", v)


def _signoff(x: Any) -> tuple[str, ...]:
    return tuple(x.requires.principals) if x.requires else ()


def _approvals(x: Any) -> int | None:
    return x.requires.approvals if x.requires else None


TOPIC_FIELDS: tuple[tuple[str, Getter], ...] = (
    ("signoff", _signoff),
    ("approvals", _approvals),
    ("action", lambda t: _value(t.action)),
    ("except", lambda t: tuple(t.except_)),
    ("keywords", lambda t: tuple(t.keywords)),
    ("patterns", lambda t: tuple(t.patterns)),
    ("enforcement", lambda t: _value(t.enforcement)),
    ("escalation", lambda t: t.escalation),
    ("channels", lambda t: tuple(t.channels)),
    ("message", lambda t: t.message),
)

CHECK_FIELDS: tuple[tuple[str, Getter], ...] = (
    ("use", lambda c: c.use),
    ("action", lambda c: _value(c.action) if c.action else None),
    ("signoff", _signoff),
    ("approvals", _approvals),
    ("enforcement", lambda c: _value(c.enforcement)),
    ("escalation", lambda c: c.escalation),
    ("channels", lambda c: tuple(c.channels)),
    ("message", lambda c: c.message),
)

WAIVER_FIELDS: tuple[tuple[str, Getter], ...] = (
    ("principals", lambda w: tuple(w.principals)),
    ("targets", lambda w: tuple(w.targets)),
    ("expires", lambda w: w.expires),
    ("reason", lambda w: w.reason),
)

RULE_FIELDS: tuple[tuple[str, Getter], ...] = (
    ("effect", lambda r: _value(r.effect)),
    ("principals", lambda r: tuple(r.principals)),
    ("channels", lambda r: tuple(r.channels)),
    ("kinds", lambda r: tuple(_value(k) for k in r.kinds)),
    ("enforcement", lambda r: _value(r.enforcement)),
)

USER_FIELDS: tuple[tuple[str, Getter], ...] = (
    ("name", lambda u: u.name),
    ("email", lambda u: u.email),
)

GROUP_FIELDS: tuple[tuple[str, Getter], ...] = (
    ("members", lambda g: tuple(g.members)),
    ("includes", lambda g: tuple(g.includes)),
)

CHANNEL_FIELDS: tuple[tuple[str, Getter], ...] = (
    ("platform", lambda c: c.platform),
    ("max_length", lambda c: c.max_length),
    ("publisher", lambda c: c.publisher),
)


def _check_fields(old: Any, new: Any) -> tuple[FieldChange, ...]:
    fields = list(_compare(old, new, CHECK_FIELDS))
    a, b = old.options_dict(), new.options_dict()
    for key in sorted(set(a) | set(b), key=str):
        if a.get(key) != b.get(key):
            x, y = _freeze(a.get(key)), _freeze(b.get(key))
            if isinstance(x, tuple) and isinstance(y, tuple):
                fields.extend(_compare(x, y, ((f"option {key}", lambda v: v),)))
            else:
                fields.append(FieldChange(f"option {key}", x, y))
    return tuple(fields)


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _escalation_fields(old: Any, new: Any) -> tuple[FieldChange, ...]:
    out: list[FieldChange] = []
    if len(old.levels) != len(new.levels):
        out.append(FieldChange("levels", len(old.levels), len(new.levels)))
    for i in range(max(len(old.levels), len(new.levels))):
        a = old.levels[i] if i < len(old.levels) else None
        b = new.levels[i] if i < len(new.levels) else None
        after_a = format_duration(a.after_seconds) if a else None
        after_b = format_duration(b.after_seconds) if b else None
        if after_a != after_b:
            out.append(FieldChange(f"level {i + 1} after", after_a, after_b))
        to_a, to_b = tuple(a.to) if a else (), tuple(b.to) if b else ()
        out.extend(_compare(to_a, to_b, ((f"level {i + 1} to", lambda v: v),)))
    return tuple(out)


def _by_id(items: Iterable[Any]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _fields_of(spec: tuple[tuple[str, Getter], ...]) -> Callable[[Any, Any], tuple]:
    return lambda a, b: _compare(a, b, spec)


def diff_policies(old: Engine, new: Engine, *, today: date | None = None) -> PolicyDiff:
    """What changes from `old` to `new`; `today` decides which waivers are in force."""
    a, b = old.policy, new.policy
    roles = _fields_of((("principals", lambda v: tuple(v)),))
    items = (
        ("topics", _items(a.topics, b.topics, _fields_of(TOPIC_FIELDS))),
        ("escalations", _items(a.escalations, b.escalations, _escalation_fields)),
        ("checks", _items(_by_id(a.checks), _by_id(b.checks), _check_fields)),
        ("waivers", _items(_by_id(a.waivers), _by_id(b.waivers), _fields_of(WAIVER_FIELDS))),
        ("roles", _items(a.roles, b.roles, roles)),
        ("rules", _items(_by_id(a.rules), _by_id(b.rules), _fields_of(RULE_FIELDS))),
        ("users", _items(a.users, b.users, _fields_of(USER_FIELDS))),
        ("groups", _items(a.groups, b.groups, _fields_of(GROUP_FIELDS))),
        ("channels", _items(a.channels, b.channels, _fields_of(CHANNEL_FIELDS))),
    )
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
