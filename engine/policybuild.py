"""Model objects from checked draft items: the last step of loading a policy, once
every schema and semantic check has passed (so values have their checked shapes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .draft import Item
from .durations import parse_duration
from .model import (
    DelegationLimits,
    DelegationRule,
    Effect,
    Enforcement,
    Escalation,
    EscalationLevel,
    Group,
    Kind,
    Rule,
    Signoff,
    Topic,
    User,
    Waiver,
)


def delegation(items: dict[str, Item]) -> DelegationLimits:
    limit = items.get("max_duration")
    rules = items.get("allow")
    return DelegationLimits(
        max_seconds=parse_duration(limit.value) if limit and limit.value else None,
        allow=None
        if rules is None or rules.value is None
        else tuple(
            DelegationRule(
                from_=tuple(r["from"]),
                to=tuple(r["to"]) if isinstance(r["to"], list) else (),
                same_group=r["to"] == "same-group",
            )
            for r in rules.value
        ),
    )


_PLAIN_USER = frozenset(("name", "email", "description"))


def user(item: Item) -> User:
    v = item.value or {}
    if v.keys() <= _PLAIN_USER:  # most users, and every one from a CSV: no attributes
        attrs = ()
    else:
        found = v.get("attrs") or {k: a for k, a in v.items() if k not in _PLAIN_USER}
        attrs = tuple(found.items())
    return User(item.id, v.get("name") or "", v.get("email") or "", attrs, item.where)


def group(item: Item) -> Group:
    v = item.value or {}
    return Group(
        id=item.id,
        members=_unique(v.get("members") or ()),
        includes=_unique(v.get("includes") or ()),
        loc=item.where,
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def rule(item: Item) -> Rule:
    v = item.value
    effect = Effect.ALLOW if "allow" in v else Effect.DENY
    return Rule(
        id=item.id,
        effect=effect,
        principals=tuple(v[effect.value]),
        channels=tuple(v["channels"]),
        kinds=tuple(Kind(k) for k in v["kinds"]) if v.get("kinds") else (Kind.POST, Kind.REPLY),
        enforcement=Enforcement(v.get("enforcement", "enforced")),
        description=v.get("description", ""),
        loc=item.where,
    )


def topic(item: Item) -> Topic:
    v = item.value
    requires = v.get("requires")
    signoff = (
        Signoff(tuple(requires["signoff"]), requires.get("approvals", 1)) if requires else None
    )
    action = v.get("action") or ("signoff" if requires else "warn")
    return Topic(
        id=item.id,
        keywords=tuple(v.get("keywords") or ()),
        patterns=tuple(v.get("patterns") or ()),
        action=Effect(action),
        requires=signoff,
        message=v.get("message", ""),
        except_=tuple(v.get("except") or ()),
        escalation=v.get("escalation"),
        channels=tuple(v.get("channels") or ("*",)),
        enforcement=Enforcement(v.get("enforcement", "enforced")),
        loc=item.where,
    )


def escalation(item: Item) -> Escalation:
    levels = tuple(
        EscalationLevel(parse_duration(level["after"]), tuple(level["to"])) for level in item.value
    )
    return Escalation(id=item.id, levels=levels, loc=item.where)


def waiver(item: Item) -> Waiver:
    v = item.value
    targets = tuple(t for section in ("rules", "topics", "checks") for t in v.get(section) or ())
    return Waiver(
        id=item.id,
        principals=tuple(v["principals"]),
        targets=targets,
        reason=v["reason"],
        expires=date.fromisoformat(v["expires"]),
        loc=item.where,
    )
