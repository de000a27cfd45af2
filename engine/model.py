"""The engine's data model: a loaded policy and the decisions made under it.

Everything here is a frozen dataclass, a named tuple or an enum, so a compiled
engine and the decisions it returns can be shared across threads without copying.
The parts a decision builds by the dozen (spans, topic matches, reasons, trace
steps) are named tuples: as immutable as a frozen dataclass, and much cheaper to
build (`tuple.__new__(Reason, (...))` in the hot paths).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, NamedTuple

from .enums import (  # noqa: F401  (the model's enums, importable from here)
    Effect,
    Enforcement,
    EventType,
    Kind,
    Outcome,
    Role,
    Status,
    VerdictType,
)

# --------------------------------------------------------------------------
# Source policy, as loaded and validated (engine.loader produces a Policy).
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a node stands in a policy file (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NOWHERE = Loc("<policy>", 0, 0)


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """An error or warning about a policy, at its place in a policy file."""

    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str = ""
    email: str = ""
    attrs: tuple[tuple[str, Any], ...] = ()
    loc: Loc = NOWHERE


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    members: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    loc: Loc = NOWHERE


@dataclass(frozen=True, slots=True)
class Channel:
    id: str  # platform/handle
    platform: str
    max_length: int | None = None
    publisher: str = "outbox"  # name of a publisher plugin
    publisher_options: tuple[tuple[str, Any], ...] = ()
    attrs: tuple[tuple[str, Any], ...] = ()
    loc: Loc = NOWHERE
    publish_grace: int = 3600  # seconds a scheduled post may be late and still go out


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    effect: Effect  # ALLOW or DENY
    principals: tuple[str, ...]  # "user:x", "group:y", "*"
    channels: tuple[str, ...]  # globs on channel ids
    kinds: tuple[Kind, ...] = (Kind.POST, Kind.REPLY)
    enforcement: Enforcement = Enforcement.ENFORCED
    description: str = ""
    loc: Loc = NOWHERE


@dataclass(frozen=True, slots=True)
class Signoff:
    principals: tuple[str, ...]
    approvals: int = 1


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    action: Effect = Effect.SIGNOFF  # DENY, SIGNOFF or WARN
    requires: Signoff | None = None
    message: str = ""
    except_: tuple[str, ...] = ()  # principals exempt from a deny
    escalation: str | None = None
    channels: tuple[str, ...] = ("*",)  # globs: where the topic applies
    enforcement: Enforcement = Enforcement.ENFORCED
    loc: Loc = NOWHERE


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    after_seconds: int  # cumulative, since submission
    to: tuple[str, ...]  # principals


@dataclass(frozen=True, slots=True)
class Escalation:
    id: str
    levels: tuple[EscalationLevel, ...]
    loc: Loc = NOWHERE


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """One entry of `checks:`; `options` are the plugin's own keys."""

    id: str  # explicit `id`, else the `use` name
    use: str
    options: tuple[tuple[str, Any], ...] = ()
    action: Effect | None = None  # None: the plugin's default
    requires: Signoff | None = None
    message: str = ""
    escalation: str | None = None
    channels: tuple[str, ...] = ("*",)
    enforcement: Enforcement = Enforcement.ENFORCED
    loc: Loc = NOWHERE

    def options_dict(self) -> dict[str, Any]:
        return dict(self.options)


@dataclass(frozen=True, slots=True)
class PluginConfig:
    """An entry of `notifiers:` (or `directory:`): which plugin, with its options."""

    use: str
    options: tuple[tuple[str, Any], ...] = ()
    loc: Loc = NOWHERE

    def options_dict(self) -> dict[str, Any]:
        return dict(self.options)


@dataclass(frozen=True, slots=True)
class Waiver:
    """Exempts principals from named rules, topics or checks until `expires` (inclusive)."""

    id: str
    principals: tuple[str, ...]
    targets: tuple[str, ...]  # rule, topic or check ids
    reason: str
    expires: date
    loc: Loc = NOWHERE


@dataclass(frozen=True, slots=True)
class DelegationRule:
    """An entry of `delegation.allow`: members of `from_` may delegate to `to`, or with
    `same_group` to someone in one of the `from_` groups that holds the delegator too."""

    from_: tuple[str, ...]
    to: tuple[str, ...] = ()
    same_group: bool = False


@dataclass(frozen=True, slots=True)
class DelegationLimits:
    """The `delegation:` section. `allow` None: anyone may delegate to anyone."""

    max_seconds: int | None = None
    allow: tuple[DelegationRule, ...] | None = None


@dataclass(frozen=True, slots=True)
class InboundRoute:
    """Where inbound messages go: an entry of `inbound.routes` (or `inbound.default`)."""

    id: str
    owners: tuple[str, ...]  # principals
    topics: tuple[str, ...] = ()  # any of these detected; empty: any message
    channels: tuple[str, ...] = ("*",)  # globs on the channel the message arrived on
    respond_within_seconds: int | None = None  # the SLA; None: no deadline
    escalation: str | None = None  # levels counted from receipt
    loc: Loc = NOWHERE


DEFAULT_ROUTE = "default"


@dataclass(frozen=True, slots=True)
class InboundSource:
    """An entry of `inbound.sources`: a source plugin pulled by `sayso inbound pull`."""

    name: str  # unique; names its stored cursor
    use: str  # the source plugin
    channel: str  # the channel its messages arrive on
    options: tuple[tuple[str, Any], ...] = ()
    loc: Loc = NOWHERE

    def options_dict(self) -> dict[str, Any]:
        return dict(self.options)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one decision reads (policy section `limits`)."""

    max_text: int = 65536  # characters; a longer post is denied before detection


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole policy directory, merged across files and validated."""

    version: str
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    topics: dict[str, Topic] = field(default_factory=dict)
    escalations: dict[str, Escalation] = field(default_factory=dict)
    checks: tuple[CheckConfig, ...] = ()
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    notifiers: tuple[PluginConfig, ...] = ()
    delegation: DelegationLimits = field(default_factory=DelegationLimits)
    inbound_routes: tuple[InboundRoute, ...] = ()  # first match wins
    inbound_default: InboundRoute = InboundRoute(DEFAULT_ROUTE, ())
    inbound_sources: tuple[InboundSource, ...] = ()
    limits: Limits = field(default_factory=Limits)
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> exact bytes
    warnings: tuple[PolicyProblem, ...] = ()  # e.g. expired waivers
    timezone: str = "UTC"  # IANA zone pages show times in when the viewer's is unknown


# --------------------------------------------------------------------------
# Decisions (engine.Engine.decide produces a Decision).
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Post:
    author: str
    channel: str
    text: str
    kind: str = Kind.POST.value


class Span(NamedTuple):
    start: int  # character offsets into the post text, end exclusive
    end: int
    text: str
    source: str  # the keyword or pattern that matched


class TopicMatch(NamedTuple):
    id: str
    spans: tuple[Span, ...]
    more_spans: int = 0  # occurrences found beyond the spans listed (at most 100 are)


class Reason(NamedTuple):
    id: str  # the rule, topic or check (or "author"/"channel") that gave it
    kind: str  # "author", "channel", "rule", "topic", "check", "waiver"
    message: str
    effect: Effect
    advisory: bool = False


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str  # the topic or check that requires the sign-off
    kind: str  # "topic" or "check"
    signoff: tuple[str, ...]
    approvals: int
    escalation: str | None = None


class TraceStep(NamedTuple):
    """One line of the explanation: what was considered and why it matched or not."""

    stage: str  # "author", "channel", "rule", "topic", "check", "waiver"
    id: str
    matched: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    decision: Outcome
    post: Post
    reasons: tuple[Reason, ...]
    requirements: tuple[Requirement, ...]
    topics: tuple[TopicMatch, ...]
    warnings: tuple[Reason, ...]
    policy_version: str
    trace: tuple[TraceStep, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `sayso check --json`."""
        return {
            "decision": self.decision.value,
            "post": asdict(self.post),
            "reasons": [reason_dict(r) for r in self.reasons],
            "requirements": [
                {
                    "id": q.id,
                    "kind": q.kind,
                    "signoff": list(q.signoff),
                    "approvals": q.approvals,
                    "escalation": q.escalation,
                }
                for q in self.requirements
            ],
            "topics": [
                {
                    "id": t.id,
                    "spans": [
                        {"start": s.start, "end": s.end, "text": s.text, "source": s.source}
                        for s in t.spans
                    ],
                    **({"more_spans": t.more_spans} if t.more_spans else {}),
                }
                for t in self.topics
            ],
            "warnings": [reason_dict(w) for w in self.warnings],
            "policy_version": self.policy_version,
            "trace": [s._asdict() for s in self.trace],
        }


def reason_dict(r: Reason) -> dict[str, Any]:
    """A reason or warning as JSON; `advisory` survives the round trip."""
    return {
        "id": r.id,
        "kind": r.kind,
        "message": r.message,
        "effect": r.effect.value,
        "advisory": r.advisory,
    }


def decision_from_dict(data: dict[str, Any]) -> Decision:
    """A Decision back from its `to_dict()` form (as stored with each revision)."""

    def reason(r: dict[str, Any]) -> Reason:
        return Reason(
            r["id"], r["kind"], r["message"], Effect(r["effect"]), r.get("advisory", False)
        )

    return Decision(
        decision=Outcome(data["decision"]),
        post=Post(**data["post"]),
        reasons=tuple(reason(r) for r in data["reasons"]),
        requirements=tuple(
            Requirement(
                q["id"], q["kind"], tuple(q["signoff"]), q["approvals"], q.get("escalation")
            )
            for q in data["requirements"]
        ),
        topics=tuple(
            TopicMatch(t["id"], tuple(Span(**s) for s in t["spans"]), t.get("more_spans", 0))
            for t in data["topics"]
        ),
        warnings=tuple(reason(w) for w in data["warnings"]),
        policy_version=data["policy_version"],
        trace=tuple(TraceStep(**s) for s in data.get("trace", ())),
    )
