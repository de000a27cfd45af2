"""The lint rules of `sayso lint` about sign-offs, escalations and who may post where,
one function each (see engine.lint and docs/lint.md), and the helpers the other rule
modules share (`people`, `channels_of`, `posters`). Topics and keywords:
engine.linttopics; unused entries and upkeep: engine.lintinventory.

Each rule yields `(Loc, message, item)`: where the problem is written, what to do
about it, and the id of the thing it is about (what a `lint: ignore` entry names).
Who may post where is read from the compiled engine's rule index, the same one
`Engine.may_post` answers from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .compiler import KINDS, resolve_globs
from .lint import LintContext, Severity, rule
from .model import Effect, Enforcement, Rule, Signoff

ERROR, WARNING = Severity.ERROR, Severity.WARNING
Found = Iterator[tuple[Any, str, str]]


# ---------------------------------------------------------------- helpers


def people(ctx: LintContext, principals: Iterable[str]) -> frozenset[str]:
    """The user ids any of `principals` stands for (memoised per lint run)."""
    key = ("people", tuple(principals))
    found = ctx.memo.get(key)
    if found is None:
        out: set[str] = set()
        for principal in key[1]:
            out |= ctx.engine.members(principal)
        found = ctx.memo[key] = frozenset(out)
    return found


def _names(users: Iterable[str], limit: int = 5) -> str:
    users = sorted(users)
    shown = ", ".join(users[:limit])
    return shown + (f" and {len(users) - limit} more" if len(users) > limit else "")


def channels_of(ctx: LintContext, globs: Iterable[str]) -> frozenset[str]:
    key = ("channels", tuple(globs))
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = resolve_globs(key[1], ctx.policy.channels)
    return found


def posters(ctx: LintContext, channels: Iterable[str]) -> frozenset[str]:
    """Everyone the enforced rules let post (as any kind) to any of `channels`."""
    out: set[str] = set()
    for channel in channels:
        for kind in KINDS:
            index = ctx.engine.rule_index(channel, kind)
            allowed = people(ctx, index.allow)
            out |= allowed - people(ctx, index.deny)
    return frozenset(out)


def _chain_people(ctx: LintContext, escalation: str | None) -> frozenset[str]:
    chain = ctx.policy.escalations.get(escalation or "")
    if chain is None:
        return frozenset()
    return people(ctx, (p for level in chain.levels for p in level.to))


def _requirers(ctx: LintContext) -> Iterator[tuple[str, str, Signoff, Any, tuple[str, ...]]]:
    """(section, id, sign-off, escalation, channel globs) of every topic and check sign-off."""
    for topic in ctx.policy.topics.values():
        if topic.requires is not None and topic.action != Effect.WARN:
            yield "topics", topic.id, topic.requires, topic.escalation, topic.channels
    for check in ctx.policy.checks:
        if check.requires is not None:
            yield "checks", check.id, check.requires, check.escalation, check.channels


def _signoff_path(section: str) -> tuple:
    return ("requires", "signoff") if section == "topics" else ("signoff",)


# ---------------------------------------------------------------- errors


@rule(
    "signoff-no-approver",
    ERROR,
    "A sign-off whose principals resolve to no person, or only to people who can never "
    "approve (the only possible authors: nobody approves their own post).",
)
def signoff_no_approver(ctx: LintContext) -> Found:
    for section, ident, signoff, escalation, globs in _requirers(ctx):
        what = f"{section[:-1]} '{ident}'"
        approvers = people(ctx, signoff.principals)
        at = ctx.where.at(section, ident, *_signoff_path(section))
        if not approvers:
            later = " (only its escalation owners could ever approve)" if escalation else ""
            yield (
                at,
                f"the sign-off of {what} resolves to no person{later}: "
                "name a user or a group with members",
                ident,
            )
            continue
        everyone = approvers | _chain_people(ctx, escalation)
        if len(everyone) > signoff.approvals:
            continue
        authors = posters(ctx, channels_of(ctx, globs))
        if authors and authors <= everyone:
            yield (
                at,
                f"the sign-off of {what} can never be given: its approvers "
                f"({_names(everyone)}) are the only people who may post where it applies, "
                "and nobody approves their own post; add another approver",
                ident,
            )


def _empty_levels(ctx: LintContext, chain) -> list[int]:
    return [i for i, level in enumerate(chain.levels) if not people(ctx, level.to)]


@rule(
    "escalation-level-empty",
    ERROR,
    "An escalation level whose owners resolve to no person: nobody new is told or may "
    "approve when it is reached.",
)
def escalation_level_empty(ctx: LintContext) -> Found:
    for chain in ctx.policy.escalations.values():
        empty = _empty_levels(ctx, chain)
        if len(empty) == len(chain.levels):
            continue  # escalation-chain-empty
        for index in empty:
            yield (
                ctx.where.at("escalations", chain.id, index, "to", fallback=chain.loc),
                f"level {index + 1} of escalation '{chain.id}' resolves to no person: "
                "name a user or a group with members",
                chain.id,
            )


@rule(
    "escalation-chain-empty",
    ERROR,
    "An escalation chain whose every level resolves to no person: a held post never "
    "reaches anyone.",
)
def escalation_chain_empty(ctx: LintContext) -> Found:
    for chain in ctx.policy.escalations.values():
        if chain.levels and len(_empty_levels(ctx, chain)) == len(chain.levels):
            yield (
                ctx.where.at("escalations", chain.id, fallback=chain.loc),
                f"every level of escalation '{chain.id}' resolves to no person: "
                "give its levels owners with members",
                chain.id,
            )


# ---------------------------------------------------------------- rules


def _cells(ctx: LintContext, r: Rule) -> list[tuple[str, str]]:
    return [(c, str(k)) for c in sorted(channels_of(ctx, r.channels)) for k in r.kinds]


def _enforced(rules: Iterable[Rule], effect: Effect) -> list[Rule]:
    return [r for r in rules if r.effect == effect and r.enforcement == Enforcement.ENFORCED]


def _covering(ctx: LintContext, candidates: list[Rule], r: Rule) -> list[Rule] | None:
    """The candidate rules that together cover every (person, channel, kind) `r` names,
    or None when some are left uncovered (or `r` names nobody or nothing)."""
    members = people(ctx, r.principals)
    cells = _cells(ctx, r)
    if not members or not cells:
        return None
    covered_by: dict[str, Rule] = {}
    for channel, kind in cells:
        covering = [
            c for c in candidates if kind in c.kinds and channel in channels_of(ctx, c.channels)
        ]
        left = set(members)
        for c in covering:
            hit = left & people(ctx, c.principals)
            if hit:
                covered_by.setdefault(c.id, c)
                left -= hit
        if left:
            return None
    return list(covered_by.values())


def _rules(effect: str, rules: list[Rule]) -> str:
    names = ", ".join(f"'{r.id}'" for r in rules)
    return f"{effect} rule{'s' if len(rules) > 1 else ''} {names}"


@rule(
    "rule-shadowed-by-deny",
    WARNING,
    "An allow rule every post of which a deny rule denies: it never lets anyone post.",
)
def rule_shadowed_by_deny(ctx: LintContext) -> Found:
    denies = _enforced(ctx.policy.rules, Effect.DENY)
    for r in _enforced(ctx.policy.rules, Effect.ALLOW):
        covering = _covering(ctx, denies, r)
        if covering:
            yield (
                ctx.where.at("rules", r.id, fallback=r.loc),
                f"allow rule '{r.id}' is shadowed entirely by {_rules('deny', covering)}: "
                "everyone it allows is denied wherever it applies; remove it or narrow the deny",
                r.id,
            )


@rule(
    "rule-shadowed-by-allow",
    WARNING,
    "An allow rule that earlier allow rules already cover entirely: it changes nothing.",
)
def rule_shadowed_by_allow(ctx: LintContext) -> Found:
    allows = _enforced(ctx.policy.rules, Effect.ALLOW)
    denies = _enforced(ctx.policy.rules, Effect.DENY)
    for position, r in enumerate(allows):
        if not position or _covering(ctx, denies, r):
            continue
        covering = _covering(ctx, allows[:position], r)
        if covering:
            yield (
                ctx.where.at("rules", r.id, fallback=r.loc),
                f"allow rule '{r.id}' adds nothing: earlier {_rules('allow', covering)} "
                "already let everyone it names post wherever it applies; remove it",
                r.id,
            )


@rule(
    "channel-glob-unmatched",
    WARNING,
    "A channel glob in a rule, topic or check that matches no channel.",
)
def channel_glob_unmatched(ctx: LintContext) -> Found:
    entries = [("rules", r.id, r.channels, r.loc) for r in ctx.policy.rules]
    entries += [("topics", t.id, t.channels, t.loc) for t in ctx.policy.topics.values()]
    entries += [("checks", c.id, c.channels, c.loc) for c in ctx.policy.checks]
    for section, ident, globs, loc in entries:
        for index, glob in enumerate(globs):
            if any(ch in glob for ch in "*?[") and not channels_of(ctx, [glob]):
                yield (
                    ctx.where.at(section, ident, "channels", index, fallback=loc),
                    f"channel glob '{glob}' in {section[:-1]} '{ident}' matches no channel: "
                    "fix the glob or remove it",
                    ident,
                )


# ---------------------------------------------------------------- topics and keywords
