"""The rules step of a decision: who may post where, with the reasons a person reads.

Which rules apply is the one permission evaluator's answer (engine.permissions:
deny overrides allow, default deny); this module turns it into reasons, advisory
warnings and trace steps, and names what is unknown (author, channel, kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from .model import Effect, Reason, Rule, TraceRecord, Waiver
from .permissions import evaluate, matching_rules

if TYPE_CHECKING:
    from .compiler import Engine

# Enum members as module constants: looking a member up on its Enum class is slow.
_ALLOW, _DENY, _WARN = Effect.ALLOW, Effect.DENY, Effect.WARN

# Reasons and trace steps are named tuples built by the dozen in every decision:
# `_new(Reason, (...))` (every field given) skips the Python-level __new__.
_new = tuple.__new__

NO_ALLOW_RULE = "default-deny"  # reason id when no allow rule matches
_KINDS = ("post", "reply")


def principal_list(principals: Iterable[str]) -> str:
    """`group:legal, user:kim` for a message ("nobody" for none)."""
    return ", ".join(principals) or "nobody"


class Listed:
    """Principals in a trace step's args, listed (`principal_list`) when it is written out."""

    __slots__ = ("principals",)

    def __init__(self, principals: Iterable[str]):
        self.principals = principals

    def __format__(self, spec: str) -> str:
        return principal_list(self.principals)


class RuleVerdict(NamedTuple):
    allowed: bool
    known: bool  # author, channel and kind all exist
    reasons: tuple[Reason, ...]  # why not allowed, or the rules that allow
    warnings: tuple[Reason, ...]
    trace: tuple[TraceRecord, ...]  # (stage, id, matched, template, args): see model.Trace


def _unknown(engine: Engine, author: str, channel_id: str, kind: str) -> list[Reason]:
    reasons = []
    if author not in engine.policy.users:
        reasons.append(
            _new(Reason, ("author", "author", f"unknown author '{author}'", _DENY, False))
        )
    if channel_id not in engine.policy.channels:
        message = f"unknown channel '{channel_id}'"
        from difflib import get_close_matches  # only for an unknown channel

        close = get_close_matches(channel_id, engine.policy.channels, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
        reasons.append(_new(Reason, ("channel", "channel", message, _DENY, False)))
    if kind not in _KINDS:
        message = f"unknown kind '{kind}' (use post or reply)"
        reasons.append(_new(Reason, ("kind", "kind", message, _DENY, False)))
    return reasons


def check_rules(
    engine: Engine, author: str, channel_id: str, kind: str, today: date, explain: bool = False
) -> RuleVerdict:
    """Who may post where: unknowns, deny rules (unless waived), then allow rules."""
    policy = engine.policy
    if author not in policy.users or channel_id not in policy.channels or kind not in _KINDS:
        unknown = tuple(_unknown(engine, author, channel_id, kind))
        return _new(RuleVerdict, (False, False, unknown, (), ()))
    principals = engine.principals_of(author)
    index = engine.rule_index(channel_id, kind)
    order = engine.rule_order
    warnings: list[Reason] = []
    trace: list[TraceRecord] = []
    exempt = None
    if engine.waiver_targets:

        def exempt(rule: Rule) -> Waiver | None:
            return engine.waiver_for(rule.id, author, today)

    allows, denials, waived = evaluate(index, principals, order, exempt)
    exemptions: dict[str, Waiver] = {}
    denying: Sequence[Rule] = denials
    if waived:
        exemptions = {rule.id: waiver for rule, waiver in waived}
        denying = sorted((*denials, *(rule for rule, _ in waived)), key=lambda r: order[r.id])
    for rule in denying:  # in policy order, as the rules are written
        waiver = exemptions.get(rule.id)
        if waiver is not None:
            until = waiver.expires.isoformat()
            message = f"waived by {waiver.id}: {waiver.reason} (until {until})"
            warnings.append(_new(Reason, (rule.id, "waiver", message, _WARN, False)))
            trace.append(("waiver", waiver.id, True, "exempts from rule {}", (rule.id,)))
        else:
            trace.append(("rule", rule.id, True, "denies {} on {}", (author, channel_id)))
    for rule in allows:
        trace.append(("rule", rule.id, True, "allows {} on {} ({})", (author, channel_id, kind)))
    if index.advisory_deny:
        for rule in matching_rules(index.advisory_deny, principals, order):
            message = f"rule {rule.id} would forbid {author} to post to {channel_id}"
            warnings.append(_new(Reason, (rule.id, "rule", f"advisory: {message}", _DENY, True)))
    if not allows and index.advisory_allow:
        for rule in matching_rules(index.advisory_allow, principals, order):
            message = f"rule {rule.id} would let {author} post to {channel_id}"
            warnings.append(_new(Reason, (rule.id, "rule", f"advisory: {message}", _ALLOW, True)))
    if explain:
        trace.extend(_unmatched_rules(engine, author, channel_id, kind, principals, trace))
    if denials:
        reasons = tuple([deny_reason(rule, author, channel_id) for rule in denials])
        return _new(RuleVerdict, (False, True, reasons, tuple(warnings), tuple(trace)))
    if not allows:
        reason = no_allow_reason(author, channel_id, kind)
        trace.append(("rule", NO_ALLOW_RULE, True, reason.message, ()))
        return _new(RuleVerdict, (False, True, (reason,), tuple(warnings), tuple(trace)))
    reasons = allow_reasons(allows, author, channel_id)
    return _new(RuleVerdict, (True, True, reasons, tuple(warnings), tuple(trace)))


def deny_reason(rule: Rule, author: str, channel_id: str) -> Reason:
    message = rule.description or f"rule {rule.id} forbids {author} to post to {channel_id}"
    return _new(Reason, (rule.id, "rule", message, _DENY, False))


def no_allow_reason(author: str, channel_id: str, kind: str) -> Reason:
    message = f"no rule lets {author} post to {channel_id}"
    if kind != "post":
        message += f" as a {kind}"
    return _new(Reason, (NO_ALLOW_RULE, "rule", message, _DENY, False))


def allow_reasons(rules: Iterable[Rule], author: str, channel_id: str) -> tuple[Reason, ...]:
    """One reason per allowing rule (`rules` in policy order)."""
    where = f"lets {author} post to {channel_id}"
    return tuple(
        [
            _new(Reason, (rule.id, "rule", f"rule {rule.id} {where}", _ALLOW, False))
            for rule in rules
        ]
    )


def _unmatched_rules(
    engine: Engine,
    author: str,
    channel_id: str,
    kind: str,
    principals: frozenset[str],
    matched: list[TraceRecord],
) -> list[TraceRecord]:
    seen = {step[1] for step in matched}
    steps = []
    for rule in engine.policy.rules:
        if rule.id in seen:
            continue
        if channel_id not in engine.rule_channels[rule.id]:
            why = f"channels {', '.join(rule.channels)} do not include {channel_id}"
        elif kind not in rule.kinds:
            why = f"applies to {', '.join(rule.kinds)} only, not {kind}"
        elif principals.isdisjoint(rule.principals):
            why = f"{principal_list(rule.principals)} do not include {author}"
        else:
            why = "advisory: reported as a warning only"
        steps.append(("rule", rule.id, False, why, ()))
    return steps
