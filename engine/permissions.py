"""Who may post where, and who is in which group: the one evaluator of rules.

The rule: a matching enforced deny rule denies (unless a waiver in force exempts
the author from it), whatever allows; with no matching enforced allow rule the
answer is no (default deny). `Engine.may_post`, `decide.check_rules`,
`diff.allowed_users` and the web policy matrix all ask `evaluate`.

Group closure (nested `includes` and `group:` members, cycles tolerated) is
`reachable`, used for members, enclosing groups and the validator alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .model import Kind, Policy, Rule, Waiver

if TYPE_CHECKING:
    from .compiler import Engine


@dataclass(frozen=True, slots=True)
class RuleIndex:
    """The rules that apply to one (channel, kind), keyed by the principal they name."""

    allow: Mapping[str, tuple[Rule, ...]]
    deny: Mapping[str, tuple[Rule, ...]]
    advisory_allow: Mapping[str, tuple[Rule, ...]]
    advisory_deny: Mapping[str, tuple[Rule, ...]]
    allowed_principals: tuple[str, ...]  # who the enforced allow rules name, for hints
    denied_principals: frozenset[str] = frozenset()  # who the enforced deny rules name
    allowing_principals: frozenset[str] = frozenset()  # set form of `allowed_principals`
    # The enforced rules found for each set of the principals named here (`matching_rules`).
    allows_found: dict[frozenset[str], tuple[Rule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    denials_found: dict[frozenset[str], tuple[Rule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )


EMPTY_INDEX = RuleIndex({}, {}, {}, {}, ())


class RuleMatch(NamedTuple):
    """What the enforced rules say about one set of principals on one (channel, kind).
    (A named tuple: `may_post` builds one per question, so it must be cheap.)"""

    allows: tuple[Rule, ...]  # matching allow rules, in policy order
    denials: tuple[Rule, ...]  # matching deny rules not waived, in policy order
    waived: tuple[tuple[Rule, Waiver], ...] = ()  # deny rules a waiver exempts from

    @property
    def allowed(self) -> bool:
        """Deny overrides allow; no allow is a deny."""
        return bool(self.allows) and not self.denials


FOUND_LIMIT = 4096  # sets of principals remembered per (channel, kind) and effect


def matching_rules(
    by_principal: Mapping[str, tuple[Rule, ...]],
    principals: frozenset[str],
    order: Mapping[str, int],
    named: frozenset[str] | None = None,
    found: dict[frozenset[str], tuple[Rule, ...]] | None = None,
) -> tuple[Rule, ...]:
    """The rules naming any of `principals`, each once, in policy order (`named`: the
    principals `by_principal` has, to intersect first).

    `found` remembers the answer for each set of named principals: it depends on
    nothing else, and most users share theirs (`*` and a few groups)."""
    if not by_principal:
        return ()
    keys = principals.intersection(by_principal if named is None else named)
    if not keys:
        return ()
    if found is None:
        return _matching(by_principal, keys, order)
    rules = found.get(keys)
    if rules is None:
        rules = _matching(by_principal, keys, order)
        if len(found) >= FOUND_LIMIT:
            found.clear()
        found[keys] = rules
    return rules


def _matching(
    by_principal: Mapping[str, tuple[Rule, ...]], keys: frozenset[str], order: Mapping[str, int]
) -> tuple[Rule, ...]:
    if len(keys) == 1:  # the common case: one principal's rules, already in policy order
        for principal in keys:
            rules = by_principal[principal]
            if len(rules) == 1:
                return rules
    found: dict[str, Rule] = {}
    for principal in keys:
        for rule in by_principal[principal]:
            found[rule.id] = rule
    if len(found) == 1:
        return tuple(found.values())
    return tuple(found[rule_id] for rule_id in sorted(found, key=order.__getitem__))


def evaluate(
    index: RuleIndex,
    principals: frozenset[str],
    order: Mapping[str, int],
    waiver: Callable[[Rule], Waiver | None] | None = None,
) -> RuleMatch:
    """The enforced rules of `index` that match `principals`; `waiver(rule)` gives the
    waiver in force that exempts the author from a deny rule, if any."""
    denials = matching_rules(
        index.deny, principals, order, index.denied_principals, index.denials_found
    )
    waived: tuple[tuple[Rule, Waiver], ...] = ()
    if denials and waiver is not None:
        kept, exempted = [], []
        for rule in denials:
            exempt = waiver(rule)
            if exempt is None:
                kept.append(rule)
            else:
                exempted.append((rule, exempt))
        if exempted:
            denials, waived = tuple(kept), tuple(exempted)
    allows = matching_rules(
        index.allow, principals, order, index.allowing_principals, index.allows_found
    )
    return tuple.__new__(RuleMatch, (allows, denials, waived))  # without a Python __new__


# ---- groups ------------------------------------------------------------------------


def reachable(graph: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """`start` and every node reachable from it (cycles tolerated)."""
    seen, stack = {start}, [start]
    while stack:
        for child in graph.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _prefixed(members: tuple[str, ...]) -> bool:
    """Whether some member is written `user:...` or `group:...` (an id has no colon): most
    member lists of a big directory are bare user ids, told apart in one pass in C."""
    return ":" in "".join(members)


def nested_groups(policy: Policy) -> dict[str, set[str]]:
    """Group id -> the groups it contains directly (`includes` and `group:` members)."""
    return {
        g.id: set(g.includes)
        | ({m[6:] for m in g.members if m.startswith("group:")} if _prefixed(g.members) else set())
        for g in policy.groups.values()
    }


def group_members(policy: Policy) -> dict[str, frozenset[str]]:
    """Group id -> user ids, through nested groups."""
    direct = {
        g.id: {m.removeprefix("user:") for m in g.members if not m.startswith("group:")}
        if _prefixed(g.members)
        else set(g.members)
        for g in policy.groups.values()
    }
    nested = nested_groups(policy)
    return {
        gid: frozenset().union(*[direct.get(g, ()) for g in reachable(nested, gid)])
        for gid in direct
    }


def enclosing_groups(policy: Policy) -> dict[str, frozenset[str]]:
    """Group id -> itself and every group that contains it, directly or not."""
    parents: dict[str, set[str]] = {gid: set() for gid in policy.groups}
    for gid, children in nested_groups(policy).items():
        for child in children:
            parents.setdefault(child, set()).add(gid)
    return {gid: frozenset(reachable(parents, gid)) for gid in policy.groups}


def group_matrix(engine: Engine) -> list[dict[str, Any]]:
    """Per group, per channel: the kinds its members may post by the rules that name the
    group (or a group containing it, or everyone), and the kinds a deny rule forbids.
    Waivers are personal and left out; advisory rules never decide."""
    channel_ids = sorted(engine.policy.channels)
    enclosing = enclosing_groups(engine.policy)
    rows = []
    for gid in sorted(engine.policy.groups):
        principals = frozenset({"*", *(f"group:{g}" for g in enclosing[gid])})
        cells = []
        for cid in channel_ids:
            allowed, denied = [], []
            for kind in Kind:
                match = evaluate(engine.rule_index(cid, kind.value), principals, engine.rule_order)
                if match.denials:
                    denied.append(kind.value)
                elif match.allows:
                    allowed.append(kind.value)
            cells.append({"channel": cid, "kinds": sorted(allowed), "denied": sorted(denied)})
        rows.append({"group": gid, "cells": cells})
    return rows


def include_cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle of a group -> included groups graph once, starting at its
    smallest group id and ending where it began (iterative: no recursion limit)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    cycles: dict[tuple[str, ...], list[str]] = {}
    for start in sorted(graph):
        if start in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph[start]))]
        on_path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                loop = on_path[on_path.index(child) :]
                pivot = loop.index(min(loop))
                loop = loop[pivot:] + loop[:pivot]
                cycles.setdefault(tuple(loop), loop + [loop[0]])
            elif child not in state:
                state[child] = 1
                on_path.append(child)
                stack.append((child, iter(graph[child])))
    return list(cycles.values())
