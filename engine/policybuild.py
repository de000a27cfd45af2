"""Model objects from checked draft items: the last step of loading a policy, once
every schema and semantic check has passed (so values have their checked shapes).
`policy(draft, ...)` builds the whole `Policy`; the other functions one entry each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from .draft import Draft, Item
from .durations import parse_duration
from .fastinit import constructor
from .inbound import policy as inbound_policy
from .model import (
    Channel,
    CheckConfig,
    DelegationLimits,
    DelegationRule,
    Effect,
    Enforcement,
    Escalation,
    EscalationLevel,
    Group,
    Kind,
    Limits,
    PluginConfig,
    Policy,
    PolicyProblem,
    Rule,
    Signoff,
    Topic,
    User,
    Waiver,
)
from .schema import CHECK_KEYS
from .version import policy_version


def policy(
    d: Draft, files: dict[str, bytes], warnings: tuple[PolicyProblem, ...], timezone: str
) -> Policy:
    """The whole policy from a checked draft (`files`: every file read, by relative path)."""
    files = dict(sorted(files.items()))
    routes, default, sources = inbound_policy.build(d)
    return Policy(
        version=policy_version(files),
        users={k: user(i) for k, i in d.users.items()},
        groups={k: group(i) for k, i in d.groups.items()},
        channels={k: channel(i, _options(d, i)) for k, i in d.channels.items()},
        rules=tuple(rule(i) for i in d.rules.values()),
        topics={k: topic(i) for k, i in d.topics.items()},
        escalations={k: escalation(i) for k, i in d.escalations.items()},
        checks=tuple(check(i, _options(d, i)) for i in d.checks.values()),
        roles={k: tuple(i.value or ()) for k, i in d.roles.items()},
        waivers=tuple(waiver(i) for i in d.waivers.values()),
        notifiers=tuple(PluginConfig(i.id, _options(d, i), i.where) for i in d.notifiers),
        delegation=delegation(d.delegation),
        inbound_routes=routes,
        inbound_default=default,
        inbound_sources=sources,
        limits=Limits(**{k: i.value for k, i in d.limits.items()}),
        files=files,
        warnings=warnings,
        timezone=timezone,
    )


def _options(d: Draft, item: Item) -> tuple[tuple[str, Any], ...]:
    """The plugin options of an entry, as the plugin's schema normalised them."""
    return tuple(d.options.get((item.src.rel, item.path), {}).items())


def channel(item: Item, options: tuple[tuple[str, Any], ...]) -> Channel:
    v = item.value or {}
    return Channel(
        id=item.id,
        platform=v.get("platform") or item.id.split("/", 1)[0],
        max_length=v.get("max_length"),
        publisher=v.get("publisher", "outbox"),
        publisher_options=options,
        attrs=tuple((v.get("attrs") or {}).items()),
        loc=item.where,
        publish_grace=parse_duration(v.get("publish_grace") or "1h"),
    )


def check(item: Item, options: tuple[tuple[str, Any], ...]) -> CheckConfig:
    v = item.value
    signoff = v.get("signoff")
    return CheckConfig(
        id=item.id,
        use=v["use"],
        options=tuple((k, o) for k, o in options if k not in CHECK_KEYS),
        action=Effect(v["action"]) if "action" in v else None,
        requires=Signoff(tuple(signoff), v.get("approvals", 1)) if signoff else None,
        message=v.get("message", ""),
        escalation=v.get("escalation"),
        channels=tuple(v.get("channels") or ("*",)),
        enforcement=Enforcement(v.get("enforcement", "enforced")),
        loc=item.where,
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
_User = constructor(User)  # one for every person of the directory


def user(item: Item) -> User:
    v = item.value or {}
    if v.keys() <= _PLAIN_USER:  # most users, and every one from a CSV: no attributes
        attrs = ()
    else:
        found = v.get("attrs") or {k: a for k, a in v.items() if k not in _PLAIN_USER}
        attrs = tuple(found.items())
    return _User(item.id, v.get("name") or "", v.get("email") or "", attrs, item.where)


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
