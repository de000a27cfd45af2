"""Lint rules about what a policy defines but does not use, and its upkeep:
unused users, groups, channels and escalations, waivers about to expire, owners an
email notifier cannot reach, topics no policy test exercises."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from .compiler import KINDS
from .lint import LintContext, Severity, rule
from .lintrules import people

WARNING = Severity.WARNING
EXPIRY_WARNING_DAYS = 14

Found = Iterator[tuple[Any, str, str]]


def named_principals(ctx: LintContext) -> set[str]:
    """Every principal the policy writes anywhere (rules, topics, checks, escalations...)."""
    p = ctx.policy
    out: set[str] = set()
    for r in p.rules:
        out.update(r.principals)
    for t in p.topics.values():
        out.update(t.except_)
        if t.requires:
            out.update(t.requires.principals)
    for c in p.checks:
        if c.requires:
            out.update(c.requires.principals)
    for chain in p.escalations.values():
        for level in chain.levels:
            out.update(level.to)
    for principals in p.roles.values():
        out.update(principals)
    for w in p.waivers:
        out.update(w.principals)
    for doc in ctx.where.documents:  # sections the model does not keep (e.g. inbound owners)
        out.update(s for s in _strings(doc) if s.startswith(("user:", "group:")))
    return out


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _values_of(node: Any, key: str) -> Iterator[Any]:
    """Every value written under `key`, at any depth."""
    if isinstance(node, dict):
        for k, value in node.items():
            if k == key:
                yield value
            yield from _values_of(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _values_of(value, key)


@rule("unused-user", WARNING, "A user in no group and named by nothing: remove them.")
def unused_user(ctx: LintContext) -> Found:
    named = ctx.cached("named", lambda: named_principals(ctx))
    if "*" in named:
        return
    for user in ctx.policy.users.values():
        if f"user:{user.id}" not in named and not ctx.engine.groups_of(user.id):
            yield (
                ctx.where.at("users", user.id, fallback=user.loc),
                f"user '{user.id}' is in no group and no rule, topic, escalation or role "
                "names them: remove them or give them a group",
                user.id,
            )


@rule("unused-group", WARNING, "A group no rule, topic, escalation, role or group names.")
def unused_group(ctx: LintContext) -> Found:
    named = ctx.cached("named", lambda: named_principals(ctx))
    included = {g for group in ctx.policy.groups.values() for g in group.includes}
    for group in ctx.policy.groups.values():
        if f"group:{group.id}" not in named and group.id not in included:
            yield (
                ctx.where.at("groups", group.id, fallback=group.loc),
                f"group '{group.id}' is named by no rule, topic, check, escalation, role "
                "or group: remove it or use it",
                group.id,
            )


@rule("unused-channel", WARNING, "A channel no allow rule covers: nobody may ever post there.")
def unused_channel(ctx: LintContext) -> Found:
    for channel in ctx.policy.channels.values():
        if not any(ctx.engine.rule_index(channel.id, k).allow for k in KINDS):
            yield (
                ctx.where.at("channels", channel.id, fallback=channel.loc),
                f"no allow rule covers channel '{channel.id}', so nobody may post there: "
                "add a rule or remove the channel",
                channel.id,
            )


@rule("unused-escalation", WARNING, "An escalation no topic, check or route uses.")
def unused_escalation(ctx: LintContext) -> Found:
    used = {v for doc in ctx.where.documents for v in _values_of(doc, "escalation")}
    for chain in ctx.policy.escalations.values():
        if chain.id not in used:
            yield (
                ctx.where.at("escalations", chain.id, fallback=chain.loc),
                f"escalation '{chain.id}' is used by no topic, check or route: "
                "remove it or name it with 'escalation:'",
                chain.id,
            )


@rule(
    "waiver-expiring",
    WARNING,
    f"A waiver that expires within {EXPIRY_WARNING_DAYS} days: renew it or let it go on purpose.",
)
def waiver_expiring(ctx: LintContext) -> Found:
    soon = ctx.today + timedelta(days=EXPIRY_WARNING_DAYS)
    for waiver in ctx.policy.waivers:
        if ctx.today <= waiver.expires <= soon:
            days = (waiver.expires - ctx.today).days
            yield (
                ctx.where.at("waivers", waiver.id, "expires", fallback=waiver.loc),
                f"waiver '{waiver.id}' expires on {waiver.expires.isoformat()} "
                f"(in {days} day{'s' if days != 1 else ''}): renew it or plan for it to end",
                waiver.id,
            )


@rule(
    "owner-without-email",
    WARNING,
    "A sign-off or escalation owner without an email while an email notifier is configured.",
)
def owner_without_email(ctx: LintContext) -> Found:
    p = ctx.policy
    if not any(n.use == "email" for n in p.notifiers):
        return
    owners: set[str] = set()
    for t in p.topics.values():
        if t.requires:
            owners.update(t.requires.principals)
    for c in p.checks:
        if c.requires:
            owners.update(c.requires.principals)
    for chain in p.escalations.values():
        for level in chain.levels:
            owners.update(level.to)
    for user_id in sorted(people(ctx, owners)):
        user = p.users[user_id]
        if not user.email:
            yield (
                ctx.where.at("users", user_id, fallback=user.loc),
                f"user '{user_id}' approves or is escalated to but has no email, and the "
                "email notifier cannot reach them: give them an email",
                user_id,
            )


@rule(
    "topic-untested",
    WARNING,
    "A topic no policy test exercises (only when the policy has tests).",
)
def topic_untested(ctx: LintContext) -> Found:
    from .errors import PolicyError
    from .policytest import case_files, run_policy_tests

    if not os.path.isdir(ctx.tests_dir) or not case_files(ctx.tests_dir):
        return
    try:
        report = run_policy_tests(ctx.engine, ctx.tests_dir)
    except PolicyError:
        return  # `sayso test` reports broken test files
    for kind, ident in report.coverage.uncovered:
        if kind == "topic":
            topic = ctx.policy.topics[ident]
            yield (
                ctx.where.at("topics", ident, fallback=topic.loc),
                f"no policy test exercises topic '{ident}': add a case to tests/ whose "
                "text matches it",
                ident,
            )
