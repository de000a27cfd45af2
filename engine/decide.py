"""Deciding on a post with a compiled `Engine` (SPEC "Decision semantics").

1. Unknown author, channel or kind: denied, naming it.
2. Rules: a matching deny rule denies whatever allows it; no matching allow rule denies.
3. Topics found in the text and in force on the channel: `deny` denies unless the
   author is in `except`; `signoff` adds a requirement; `warn` warns. Being in
   `except` also exempts from `signoff` and `warn`; for a `deny` topic that has
   `requires`, the excepted author still needs that sign-off.
4. Checks: each may deny, require sign-off or warn; a check that fails denies (fail closed).
5. Denied if anything denies, else needs_signoff if any requirement, else approved.

`enforcement: advisory` items are evaluated and reported as warnings only. A
waiver in force exempts its principals from the rules, topics and checks it names.
`reasons` holds what denies or requires sign-off; an approved decision's reasons
are the rules that allow the post. `trace` always lists what matched and, for a
decision that is not approved, `hint` steps saying what would change it; with
`explain=True` it also lists what was considered and did not match.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .fastinit import constructor
from .hookspecs import CheckInput, Finding
from .keywords import MAX_SPANS, KeywordMatcher, PatternMatcher, SpanList
from .model import (
    Decision,
    Effect,
    Enforcement,
    Escalation,
    Outcome,
    Post,
    Reason,
    Requirement,
    Signoff,
    Span,
    TopicMatch,
    Trace,
    TraceRecord,
    Waiver,
)
from .rulecheck import (  # noqa: F401  (compiler and callers import them from here)
    NO_ALLOW_RULE,
    Listed,
    RuleVerdict,
    allow_reasons,
    check_rules,
    deny_reason,
    no_allow_reason,
    principal_list,
)
from .times import utc_today

if TYPE_CHECKING:
    from .compiler import Engine

# Enum members as module constants: looking a member up on its Enum class is slow.
_DENY, _SIGNOFF, _WARN = Effect.DENY, Effect.SIGNOFF, Effect.WARN
_ADVISORY = Enforcement.ADVISORY
_APPROVED, _DENIED, _NEEDS_SIGNOFF = Outcome.APPROVED, Outcome.DENIED, Outcome.NEEDS_SIGNOFF

# Reasons, trace steps and topic matches are named tuples built by the dozen in every
# decision: `_new(Reason, (...))` (every field given) skips the Python-level __new__.
_new = tuple.__new__
# Built on every decision: constructors without the frozen-field look-up.
_Decision, _CheckInput = constructor(Decision), constructor(CheckInput)

_OWN_DETECTORS = (KeywordMatcher, PatternMatcher)  # built from the policy's own topics

MAX_TEXT = "max-text"  # reason id when the text is longer than the policy's limits.max_text


class _Collector:
    """What one decision accumulates, stage after stage."""

    __slots__ = ("denials", "signoffs", "requirements", "warnings", "trace", "hints", "explain")

    def __init__(self, explain: bool):
        self.denials: list[Reason] = []
        self.signoffs: list[Reason] = []
        self.requirements: list[Requirement] = []
        self.warnings: list[Reason] = []
        # trace steps as (stage, id, matched, template, args): see model.Trace
        self.trace: list[TraceRecord] = []
        self.hints: list[TraceRecord] = []
        self.explain = explain

    def advisory(self, id: str, kind: str, message: str, effect: Effect) -> None:
        self.warnings.append(_new(Reason, (id, kind, f"advisory: {message}", effect, True)))

    def waived(self, id: str, kind: str, waiver: Waiver) -> None:
        until = waiver.expires.isoformat()
        message = f"waived by {waiver.id}: {waiver.reason} (until {until})"
        self.warnings.append(_new(Reason, (id, "waiver", message, _WARN, False)))
        self.trace.append(("waiver", waiver.id, True, "exempts from {} {}", (kind, id)))

    def hint(self, id: str, template: str, *args: object) -> None:
        """A hint step: `template.format(*args)`, or the template as it is without args."""
        self.hints.append(("hint", id, False, template, args))


def decide(
    engine: Engine,
    post: Post,
    *,
    now: datetime | None = None,
    history: Any = None,
    explain: bool = False,
    reply_to: Any = None,
) -> Decision:
    """The decision on a post (also `Engine.decide`). `explain=True` also traces what did
    not match; `reply_to` (a `ReplyContext`) is the inbound message the post answers."""
    today = now.date() if now is not None else utc_today()
    kind = str(post.kind)
    out = _Collector(explain)
    verdict = check_rules(engine, post.author, post.channel, kind, today, explain)
    out.warnings.extend(verdict.warnings)
    out.trace.extend(verdict.trace)
    if not verdict.known:
        for reason in verdict.reasons:
            out.hint(reason.id, _unknown_hint(engine, reason))
        return _decision(engine, post, verdict.reasons, (), (), out)
    if not verdict.allowed:
        out.denials.extend(verdict.reasons)
        _rule_hints(engine, post, kind, verdict.reasons, out)

    if _too_long(engine, post, out):
        matches: tuple[TopicMatch, ...] = ()
    else:
        matches = _topics(engine, post, today, out)
        _checks(engine, post, now, history, today, out, reply_to)

    blocked = out.denials or out.requirements
    reasons = (*out.denials, *out.signoffs) if blocked else verdict.reasons
    return _decision(engine, post, reasons, tuple(out.requirements), matches, out)


def _decision(
    engine: Engine,
    post: Post,
    reasons: tuple[Reason, ...],
    requirements: tuple[Requirement, ...],
    topics: tuple[TopicMatch, ...],
    out: _Collector,
) -> Decision:
    outcome = _NEEDS_SIGNOFF if requirements else _APPROVED
    for reason in reasons:
        if reason.effect == _DENY:
            outcome = _DENIED
            break
    trace = Trace(out.trace if outcome == _APPROVED else out.trace + out.hints)
    return _Decision(
        outcome,
        post,
        reasons,
        requirements,
        topics,
        tuple(out.warnings),
        engine.version,
        trace,
    )


# ---- topics -----------------------------------------------------------------


def _too_long(engine: Engine, post: Post, out: _Collector) -> bool:
    """A text over `limits.max_text` is denied before any detector or check reads it."""
    limit = engine.policy.limits.max_text
    if len(post.text) <= limit:
        return False
    message = f"the post is {len(post.text)} characters; the policy reads at most {limit}"
    out.denials.append(_new(Reason, (MAX_TEXT, "limit", message, _DENY, False)))
    out.trace.append(("limit", MAX_TEXT, True, message, ()))
    out.hint(MAX_TEXT, "shorten the post to {} characters or fewer", limit)
    return True


def detect_topics(engine: Engine, text: str) -> dict[str, list[Span]]:
    """Topic id -> spans, merged over every detector, for topics of the policy.

    At most MAX_SPANS spans per topic are kept; `spans_more(spans)` counts the rest."""
    found: dict[str, list[Span]] = {}
    known = engine.topic_order
    for detector in engine.detectors:
        result = detector.detect(text)
        if not result:
            continue
        if not found and detector.__class__ in _OWN_DETECTORS and detector.max_spans <= MAX_SPANS:
            found.update(result)  # only the policy's topics, each with spans, at most MAX_SPANS
            continue
        for topic_id, spans in result.items():
            if not spans or topic_id not in known:
                continue
            earlier = found.get(topic_id)
            if earlier is None:
                if len(spans) > MAX_SPANS:
                    spans = _bounded(spans, spans_more(spans))
                found[topic_id] = spans
                continue
            more = spans_more(spans) + spans_more(earlier)
            merged = {(s.start, s.end, s.source): s for s in (*earlier, *spans)}
            spans = sorted(merged.values(), key=lambda s: (s.start, s.end))
            found[topic_id] = _bounded(spans, more)
    return found


def spans_more(spans: list[Span]) -> int:
    """How many spans of a topic were found but not listed."""
    return getattr(spans, "more", 0)


def _bounded(spans: list[Span], more: int) -> list[Span]:
    if len(spans) <= MAX_SPANS and more == spans_more(spans):
        return spans
    kept = SpanList(spans[:MAX_SPANS])
    kept.more = more + max(0, len(spans) - MAX_SPANS)
    return kept


def _words(spans: list[Span]) -> str:
    """The distinct texts found, quoted, for messages: `'APR', 'rate'`."""
    if len(spans) == 1:
        text = spans[0].text
        return f"'{text}'" if text.isalnum() else f"'{' '.join(text.split())}'"
    return ", ".join(dict.fromkeys([f"'{' '.join(s.text.split())}'" for s in spans]))


def _topics(engine: Engine, post: Post, today: date, out: _Collector) -> tuple[TopicMatch, ...]:
    try:
        found = detect_topics(engine, post.text)
    except Exception as err:  # fail closed: a broken detector plugin must not approve
        message = f"topic detection failed: {type(err).__name__}: {err}"
        out.denials.append(_new(Reason, ("topics", "topic", message, _DENY, False)))
        out.trace.append(("topic", "topics", True, message, ()))
        return ()
    in_force = engine.topics_by_channel.get(post.channel, frozenset())
    trace = out.trace
    if out.explain:
        for topic_id in engine.policy.topics:
            if topic_id not in found:
                where = "not in the text" if topic_id in in_force else "not on this channel"
                trace.append(("topic", topic_id, False, where, ()))
    if not found:
        return ()
    matches = []
    topics, waived, author = engine.policy.topics, engine.waiver_targets, post.author
    for topic_id in sorted(found, key=engine.topic_order.__getitem__) if len(found) > 1 else found:
        spans = found[topic_id]
        words = _words(spans)
        if topic_id not in in_force:
            trace.append(("topic", topic_id, False, "{} found; not on this channel", (words,)))
            continue
        matches.append(_new(TopicMatch, (topic_id, tuple(spans), spans_more(spans))))
        trace.append(("topic", topic_id, True, "found {}", (words,)))
        _apply_topic(engine, topics[topic_id], author, words, today, out, topic_id in waived)
    return tuple(matches)


def _apply_topic(
    engine: Engine, topic, author: str, words: str, today: date, out: _Collector, waivable: bool
) -> None:
    """What a topic found on its channel asks for (`waivable`: some waiver names it)."""
    if waivable:
        waiver = engine.waiver_for(topic.id, author, today)
        if waiver is not None:
            out.waived(topic.id, "topic", waiver)
            return
    topic_id, except_ = topic.id, topic.except_
    excepted = bool(except_) and engine.covers(author, except_)
    advisory = topic.enforcement is _ADVISORY
    action = topic.action
    if action == _DENY and not excepted:
        message = topic.message or f"topic {topic_id} ({words}) may not be posted here"
        if advisory:
            out.advisory(topic_id, "topic", message, _DENY)
            return
        out.denials.append(_new(Reason, (topic_id, "topic", message, _DENY, False)))
        if except_:
            template = "remove or rephrase {} (topic {}), or ask {} to post it"
            out.hints.append(
                ("hint", topic_id, False, template, (words, topic_id, Listed(except_)))
            )
        else:
            template = "remove or rephrase {} (topic {})"
            out.hints.append(("hint", topic_id, False, template, (words, topic_id)))
        return
    if excepted:
        out.trace.append(("topic", topic_id, True, "{} is excepted", (author,)))
        if action != _DENY or topic.requires is None:
            return
    if action == _WARN:
        message = topic.message or f"mentions topic {topic_id} ({words})"
        if advisory:
            out.advisory(topic_id, "topic", message, _WARN)
        else:
            out.warnings.append(_new(Reason, (topic_id, "topic", message, _WARN, False)))
        return
    requirement, signers = engine.topic_signoffs[topic_id]
    message = f"topic {topic_id} ({words}) needs sign-off by {signers}"
    if topic.message:
        message = f"{topic.message} ({message})"
    if advisory:
        out.advisory(topic_id, "topic", message, _SIGNOFF)
        return
    out.signoffs.append(_new(Reason, (topic_id, "topic", message, _SIGNOFF, False)))
    out.requirements.append(requirement)
    template = "wait for sign-off by {}, or remove {}"
    out.hints.append(("hint", topic_id, False, template, (signers, words)))


def topic_signoffs(policy) -> dict[str, tuple[Requirement, str]]:
    """Topic id -> the sign-off it asks for and who gives it, as messages name them
    (compiled once: both depend on the policy only)."""
    out = {}
    for topic in policy.topics.values():
        levels = policy.escalations.get(topic.escalation) if topic.escalation else None
        requirement = _requirement(levels, topic.id, "topic", topic.requires, topic.escalation)
        out[topic.id] = requirement, _signers(requirement)
    return out


def _requirement(
    levels: Escalation | None,
    id: str,
    kind: str,
    requires: Signoff | None,
    escalation: str | None,
) -> Requirement:
    """The sign-off asked for; without `requires`, the escalation chain's first level."""
    if requires is not None:
        return Requirement(id, kind, requires.principals, requires.approvals, escalation)
    first = levels.levels[0].to if levels and levels.levels else ()
    return Requirement(id, kind, first, 1, escalation)


def _signers(requirement: Requirement) -> str:
    who = principal_list(requirement.signoff)
    if requirement.approvals > 1:
        return f"{who} ({requirement.approvals} approvals)"
    return who


# ---- checks -----------------------------------------------------------------


def _checks(engine, post: Post, now, history, today: date, out: _Collector, reply_to=None) -> None:
    checks = engine.checks_by_channel.get(post.channel, ())
    if not checks:
        return
    given = _CheckInput(post, engine.policy.channels[post.channel], now, history, reply_to)
    for check in checks:
        config = check.config
        action = check.action
        try:
            findings = check.run(given)
        except Exception as err:  # fail closed: a broken check must not approve
            findings = [Finding(f"check {config.id} failed: {type(err).__name__}: {err}")]
            action = _DENY
        if not findings:
            if out.explain:
                out.trace.append(("check", config.id, False, "passed", ()))
            continue
        details = "; ".join(f.message for f in findings)
        out.trace.append(("check", config.id, True, details, ()))
        waiver = engine.waiver_for(config.id, post.author, today)
        if waiver is not None:
            out.waived(config.id, "check", waiver)
            continue
        message = config.message or details
        advisory = config.enforcement == _ADVISORY
        if advisory:
            out.advisory(config.id, "check", message, action)
        elif action == _DENY:
            out.denials.append(_new(Reason, (config.id, "check", message, _DENY, False)))
            out.hint(config.id, "fix: {}", details)
        elif action == _SIGNOFF:
            escalation = config.escalation
            levels = engine.policy.escalations.get(escalation) if escalation else None
            requirement = _requirement(levels, config.id, "check", config.requires, escalation)
            out.signoffs.append(_new(Reason, (config.id, "check", message, _SIGNOFF, False)))
            out.requirements.append(requirement)
            signers = _signers(requirement)
            out.hint(config.id, "wait for sign-off by {}, or fix: {}", signers, details)
        else:
            out.warnings.append(_new(Reason, (config.id, "check", message, _WARN, False)))


# ---- hints --------------------------------------------------------------------


def _unknown_hint(engine: Engine, reason: Reason) -> str:
    if reason.id == "author":
        return "use the id of a user in the policy, or add the user to it"
    if reason.id == "channel":
        known = ", ".join(list(engine.policy.channels)[:8]) or "none"
        return f"use a channel of the policy ({known})"
    return "use kind post or reply"


def _rule_hints(
    engine: Engine, post: Post, kind: str, reasons: tuple[Reason, ...], out: _Collector
) -> None:
    for reason in reasons:
        if reason.id == NO_ALLOW_RULE:
            allowed = engine.rule_index(post.channel, kind).allowed_principals
            if allowed:
                template = "ask {} to post it, or add a rule for {}"
                out.hint(reason.id, template, Listed(allowed), post.author)
            else:
                out.hint(reason.id, "no rule lets anyone post to {} as a {}", post.channel, kind)
        else:
            template = "rule {} forbids it; ask someone it does not cover, or get a waiver"
            out.hint(reason.id, template, reason.id)
