"""Compiling a policy once into lookup tables: the immutable, thread-safe `Engine`.

What is precomputed:
- every group's members, through nested `includes` transitively; each user's
  principal set {`*`, `user:ID`, `group:G`...} is computed on first use and kept
  (`engine.membership`: a large directory costs nothing up front);
- per (channel, kind): which principals the enforced and advisory allow/deny rules
  name, so "may A post to C as K?" is a few dictionary look-ups (channel globs are
  resolved against the known channels here, with fnmatch semantics);
- per channel: which topics and checks apply there;
- one detector per topic-detector plugin (one Aho-Corasick automaton for every
  keyword, one RE2 set for every pattern) and every configured check, built once;
- per rule, topic or check id: the waivers that name it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import re2

from . import plugins as plugin_registry
from .decide import (
    allow_reasons,
    check_rules,
    decide,
    deny_reason,
    no_allow_reason,
    topic_signoffs,
)
from .errors import NotFound, PolicyError, PolicyProblem
from .gcpause import paused_gc
from .hookspecs import CheckFunction, TopicDetector
from .membership import Membership
from .model import (
    Channel,
    CheckConfig,
    Effect,
    Enforcement,
    EscalationLevel,
    Kind,
    Policy,
    Reason,
    Requirement,
    Role,
    Rule,
    User,
    Waiver,
)
from .permissions import EMPTY_INDEX, RuleIndex, evaluate, matching_rules

if TYPE_CHECKING:  # imported when inbound routing is first asked (not by `sayso check`)
    from .inbound.routing import CompiledRoutes, Routing

KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
ROLES: tuple[str, ...] = tuple(role.value for role in Role)


@dataclass(frozen=True, slots=True)
class CompiledCheck:
    config: CheckConfig
    run: CheckFunction
    action: Effect


def resolve_globs(globs: Iterable[str], names: Iterable[str]) -> frozenset[str]:
    """The names matched by any of `globs` (fnmatch, case-sensitive)."""
    names = tuple(names)
    out: set[str] = set()
    for glob in globs:
        if any(ch in glob for ch in "*?["):
            out.update(n for n in names if fnmatchcase(n, glob))
        elif glob in names:
            out.add(glob)
    return frozenset(out)


class Engine:
    """A compiled policy. Immutable after construction; safe to share across threads."""

    __slots__ = (
        "policy",
        "version",
        "pm",
        "_principals",
        "_groups_of",
        "_group_members",
        "_membership",
        "_rule_index",
        "_rule_order",
        "_rule_channels",
        "_topic_order",
        "_topics_by_channel",
        "_checks_by_channel",
        "_detectors",
        "topic_signoffs",
        "_waivers",
        "_inbound",
        "_frozen",
    )

    def __init__(self, policy: Policy, pm: Any = None):
        pm = pm or plugin_registry.default_plugin_manager()
        self.pm = pm  # the plugins this policy was compiled with (checks, publishers...)
        self.policy = policy
        self.version = policy.version
        channel_ids = tuple(policy.channels)

        membership = Membership(policy)  # each user's groups and principals, on first use
        self._membership = membership
        self._group_members = membership.group_members
        self._groups_of = membership.groups
        self._principals = membership.principals

        self._rule_order = {rule.id: i for i, rule in enumerate(policy.rules)}
        self._rule_channels = {
            rule.id: resolve_globs(rule.channels, channel_ids) for rule in policy.rules
        }
        self._rule_index = self._index_rules(policy, channel_ids)

        self._topic_order = {topic_id: i for i, topic_id in enumerate(policy.topics)}
        topic_channels = {
            t.id: resolve_globs(t.channels, channel_ids) for t in policy.topics.values()
        }
        self._topics_by_channel = {
            c: frozenset(t for t, chans in topic_channels.items() if c in chans)
            for c in channel_ids
        }
        self._detectors = self._build_detectors(policy, pm)
        # topic id -> the sign-off it asks for and its signers as messages name them
        self.topic_signoffs: Mapping[str, tuple[Requirement, str]] = topic_signoffs(policy)
        self._checks_by_channel = self._build_checks(policy, pm, channel_ids)

        waivers: dict[str, list[Waiver]] = defaultdict(list)
        for waiver in policy.waivers:
            for target in waiver.targets:
                waivers[target].append(waiver)
        self._waivers = {t: tuple(ws) for t, ws in waivers.items()}
        self._inbound: CompiledRoutes | None = None  # built when routing is first asked
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError("a compiled Engine is immutable")
        object.__setattr__(self, name, value)

    # ---- compiling ---------------------------------------------------------

    def _index_rules(
        self, policy: Policy, channel_ids: tuple[str, ...]
    ) -> dict[tuple[str, str], RuleIndex]:
        buckets: dict[tuple[str, str], dict[str, dict[str, list[Rule]]]] = {}
        for rule in policy.rules:
            advisory = rule.enforcement == Enforcement.ADVISORY
            slot = ("advisory_" if advisory else "") + (
                "deny" if rule.effect == Effect.DENY else "allow"
            )
            for channel_id in self._rule_channels[rule.id]:
                for kind in rule.kinds:
                    bucket = buckets.setdefault((channel_id, str(kind)), {})
                    by_principal = bucket.setdefault(slot, {})
                    for principal in dict.fromkeys(rule.principals):
                        by_principal.setdefault(principal, []).append(rule)

        def freeze(bucket: dict[str, dict[str, list[Rule]]], slot: str) -> Mapping:
            return MappingProxyType({p: tuple(rs) for p, rs in bucket.get(slot, {}).items()})

        index = {}
        for key, bucket in buckets.items():
            index[key] = RuleIndex(
                allow=freeze(bucket, "allow"),
                deny=freeze(bucket, "deny"),
                advisory_allow=freeze(bucket, "advisory_allow"),
                advisory_deny=freeze(bucket, "advisory_deny"),
                allowed_principals=tuple(bucket.get("allow", {})),
                denied_principals=frozenset(bucket.get("deny", {})),
                allowing_principals=frozenset(bucket.get("allow", {})),
            )
        return index

    @staticmethod
    def _build_detectors(policy: Policy, pm: Any) -> tuple[TopicDetector, ...]:
        topics = tuple(policy.topics.values())
        problems = []
        for topic in topics:
            for pattern in topic.patterns:
                try:
                    re2.compile(pattern)
                except re2.error:
                    problems.append(
                        PolicyProblem(topic.loc, f"topic {topic.id}: bad RE2 pattern {pattern!r}")
                    )
        if problems:
            raise PolicyError(problems)
        if not topics:
            return ()
        return tuple(spec.build(topics) for spec in plugin_registry.topic_detectors(pm).values())

    @staticmethod
    def _build_checks(
        policy: Policy, pm: Any, channel_ids: tuple[str, ...]
    ) -> dict[str, tuple[CompiledCheck, ...]]:
        specs = plugin_registry.checks(pm)
        built: list[tuple[CompiledCheck, frozenset[str]]] = []
        problems = []
        for config in policy.checks:
            spec = specs.get(config.use)
            if spec is None:
                known = ", ".join(sorted(specs)) or "none"
                problems.append(
                    PolicyProblem(config.loc, f"unknown check '{config.use}' (known: {known})")
                )
                continue
            try:
                run = spec.build(config.options_dict())
            except Exception as err:  # a plugin's own error: report it at the check's line
                problems.append(PolicyProblem(config.loc, f"check {config.id}: {err}"))
                continue
            compiled = CompiledCheck(config, run, config.action or spec.default_action)
            built.append((compiled, resolve_globs(config.channels, channel_ids)))
        if problems:
            raise PolicyError(problems)
        return {c: tuple(chk for chk, chans in built if c in chans) for c in channel_ids}

    # ---- membership --------------------------------------------------------

    def user(self, user_id: str) -> User | None:
        return self.policy.users.get(user_id)

    def channel(self, channel_id: str) -> Channel | None:
        return self.policy.channels.get(channel_id)

    def principals_of(self, user_id: str) -> frozenset[str]:
        """{`*`, `user:ID`, `group:G`...}; empty for an unknown user."""
        return self._principals.get(user_id, frozenset())

    def groups_of(self, user_id: str) -> frozenset[str]:
        """Every group the user belongs to, directly or through nested includes."""
        return self._groups_of.get(user_id, frozenset())

    def is_member(self, user_id: str, principal: str) -> bool:
        return principal in self._principals.get(user_id, ())

    def covers(self, user_id: str, principals: Iterable[str]) -> bool:
        """Whether any of `principals` stands for the user."""
        mine = self._principals.get(user_id)
        return bool(mine) and not mine.isdisjoint(principals)

    def members(self, principal: str) -> frozenset[str]:
        """The user ids a principal stands for."""
        if principal == "*":
            return self._membership.everyone()
        if principal.startswith("group:"):
            return self._group_members.get(principal[6:], frozenset())
        user_id = principal.removeprefix("user:")
        return frozenset({user_id}) if user_id in self.policy.users else frozenset()

    def has_role(self, user_id: str, role: str) -> bool:
        return self.covers(user_id, self.policy.roles.get(role, ()))

    def escalation_levels(self, escalation_id: str) -> tuple[EscalationLevel, ...]:
        escalation = self.policy.escalations.get(escalation_id)
        if escalation is None:
            raise NotFound(f"unknown escalation '{escalation_id}'")
        return escalation.levels

    # ---- inbound -----------------------------------------------------------

    @property
    def inbound_routes(self) -> CompiledRoutes:
        routes = self._inbound
        if routes is None:  # built once; a race builds an equal one twice
            from .inbound.routing import CompiledRoutes

            routes = CompiledRoutes(self.policy.inbound_routes, self.policy.inbound_default)
            object.__setattr__(self, "_inbound", routes)
        return routes

    def route_inbound(self, channel: str, text: str) -> Routing:
        """The route an inbound message takes and the topics found in it."""
        return self.inbound_routes.route(self, channel, text)

    # ---- deciding ----------------------------------------------------------

    # ---- the compiled view `decide` reads (read-only) -------------------------

    @property
    def rule_channels(self) -> Mapping[str, frozenset[str]]:
        """Rule id -> the channels its globs match."""
        return self._rule_channels

    @property
    def detectors(self) -> tuple[TopicDetector, ...]:
        return self._detectors

    @property
    def topic_order(self) -> Mapping[str, int]:
        return self._topic_order

    @property
    def topics_by_channel(self) -> Mapping[str, frozenset[str]]:
        return self._topics_by_channel

    @property
    def checks_by_channel(self) -> Mapping[str, tuple[CompiledCheck, ...]]:
        return self._checks_by_channel

    @property
    def rule_order(self) -> Mapping[str, int]:
        """Rule id -> its position in the policy (reasons are listed in this order)."""
        return self._rule_order

    def rule_index(self, channel_id: str, kind: str) -> RuleIndex:
        return self._rule_index.get((channel_id, kind), EMPTY_INDEX)

    @property
    def waiver_targets(self) -> Mapping[str, tuple[Waiver, ...]]:
        """The rules, topics and checks some waiver names (whether in force or not)."""
        return self._waivers

    def waiver_for(self, target: str, user_id: str, today: date) -> Waiver | None:
        """A waiver in force today that exempts the user from a rule, topic or check."""
        for waiver in self._waivers.get(target, ()):
            if waiver.expires >= today and self.covers(user_id, waiver.principals):
                return waiver
        return None

    def may_post(
        self, author: str, channel: str, kind: str = Kind.POST.value, *, today: date | None = None
    ) -> tuple[bool, tuple[Reason, ...]]:
        """Whether rules let the author post to the channel as `kind`, and the deciding reasons."""
        principals = self._principals.get(author)
        index = self._rule_index.get((channel, kind))
        if principals is None or index is None:  # unknowns, or no rule here at all
            verdict = check_rules(self, author, channel, kind, today or datetime.now(UTC).date())
            return verdict.allowed, verdict.reasons
        if principals.isdisjoint(index.denied_principals):  # the common case: no deny rule
            allows = matching_rules(
                index.allow,
                principals,
                self._rule_order,
                index.allowing_principals,
                index.allows_found,
            )
            if not allows:
                return False, (no_allow_reason(author, channel, kind),)
            return True, allow_reasons(allows, author, channel)

        exempt = None
        if self._waivers:

            def exempt(rule: Rule) -> Waiver | None:
                if rule.id not in self._waivers:
                    return None
                return self.waiver_for(rule.id, author, today or datetime.now(UTC).date())

        allows, denials, _ = evaluate(index, principals, self._rule_order, exempt)
        if denials:
            return False, tuple([deny_reason(rule, author, channel) for rule in denials])
        if not allows:
            return False, (no_allow_reason(author, channel, kind),)
        return True, allow_reasons(allows, author, channel)

    # The decision on a post: `engine.decide(post, now=..., history=..., explain=...,
    # reply_to=...)`. `explain=True` also traces what did not match; `reply_to` (a
    # `ReplyContext`) is the inbound message the post answers. The module function
    # itself, as a method: no second call on every decision.
    decide = decide


def compile_policy(policy: Policy, pm: Any = None) -> Engine:
    """Compile a loaded policy (raises PolicyError for an unknown or misconfigured plugin)."""
    with paused_gc():
        return Engine(policy, pm)


def load_engine(policy_dir: str, pm: Any = None, *, use_cache: bool = False) -> Engine:
    """Load, validate and compile a policy directory (`use_cache`: a policy unchanged
    since it was last loaded comes from the cache of engine.policycache)."""
    from .policycache import load_policy_cached

    pm = pm or plugin_registry.default_plugin_manager()
    return compile_policy(load_policy_cached(policy_dir, pm, use_cache=use_cache), pm)
