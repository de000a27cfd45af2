"""What changed in each topic, escalation chain, check, waiver, role, rule, user, group
and channel between two policies, field by field (lists compared as sets: added and
removed items)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .durations import format_duration

if TYPE_CHECKING:
    from .model import Policy

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


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


def item_changes(a: Policy, b: Policy) -> tuple[tuple[str, tuple[ItemChange, ...]], ...]:
    """(section, changes) for every section, in SECTIONS order."""
    roles = _fields_of((("principals", lambda v: tuple(v)),))
    return (
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
