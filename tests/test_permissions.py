"""The one evaluator of "who may post where" and group closure (engine/permissions.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from engine import permissions
from engine.compiler import compile_policy
from engine.diffaccess import allowed_users
from engine.model import Effect, Group, Kind, Rule, Waiver
from engine.permissions import (
    enclosing_groups,
    evaluate,
    group_matrix,
    group_members,
    matching_rules,
    nested_groups,
    reachable,
)
from tests.fixtures_engine import sample_policy

TODAY = date(2026, 5, 4)


def test_reachable_tolerates_cycles_and_self_loops():
    graph = {"a": ["b"], "b": ["c", "a"], "c": ["c"], "d": []}
    assert reachable(graph, "a") == {"a", "b", "c"}
    assert reachable(graph, "d") == {"d"}
    assert reachable(graph, "unknown") == {"unknown"}


def test_group_closure_down_and_up_agree(engine):
    policy = engine.policy
    members = group_members(policy)
    assert members["support"] == {"dana", "eli", "fran"}  # through support-leads
    enclosing = enclosing_groups(policy)
    assert enclosing["support-leads"] == {"support-leads", "support"}
    for gid, users in members.items():
        for user in users:  # a member of G is in every group that contains G
            assert all(user in members[g] for g in enclosing[gid])
            assert engine.covers(user, [f"group:{gid}"])


def test_group_cycles_give_every_group_in_the_cycle_the_same_members():
    cyclic = sample_policy(
        groups={
            "a": Group("a", members=("dana",), includes=("b",)),
            "b": Group("b", members=("eli",), includes=("a",)),
        }
    )
    assert group_members(cyclic) == {"a": {"dana", "eli"}, "b": {"dana", "eli"}}
    assert enclosing_groups(cyclic) == {"a": {"a", "b"}, "b": {"a", "b"}}


def test_deny_overrides_allow_and_a_waiver_exempts_only_from_deny(engine):
    index = engine.rule_index("linkedin/acme", "post")
    ivy = engine.principals_of("ivy")  # marketing (allowed) and interns (denied)
    match = evaluate(index, ivy, engine.rule_order)
    assert [r.id for r in match.allows] == ["marketing-linkedin"]
    assert [r.id for r in match.denials] == ["no-interns-on-linkedin"]
    assert not match.allowed
    waiver = Waiver("ivy-ok", ("user:ivy",), ("no-interns-on-linkedin",), "launch", TODAY)
    waived = evaluate(index, ivy, engine.rule_order, lambda rule: waiver)
    assert waived.allowed and waived.denials == ()
    assert waived.waived == ((match.denials[0], waiver),)
    nobody = evaluate(index, frozenset({"*", "user:eli"}), engine.rule_order, lambda r: waiver)
    assert nobody.allows == () and not nobody.allowed  # default deny, waiver or not


def test_every_caller_answers_like_may_post(engine):
    """diff's allowed users and the web matrix come from the same evaluator as decide."""
    policy = engine.policy
    for channel in policy.channels:
        for kind in ("post", "reply"):
            expected = {
                u for u in policy.users if engine.may_post(u, channel, kind, today=TODAY)[0]
            }
            assert allowed_users(engine, channel, kind, TODAY) == expected
    rows = {row["group"]: {c["channel"]: c for c in row["cells"]} for row in group_matrix(engine)}
    assert rows["interns"]["linkedin/acme"] == {
        "channel": "linkedin/acme",
        "kinds": [],
        "denied": ["post", "reply"],
    }
    assert rows["support-leads"]["twitter/nmtw_help"]["kinds"] == ["reply"]  # via support
    # a group whose only member is the group's own user agrees with may_post for that user
    for gid, channel_cells in rows.items():
        users = group_members(policy)[gid]
        if len(users) != 1 or any(g != gid and users <= group_members(policy)[g] for g in rows):
            continue
        [user] = users
        for channel, cell in channel_cells.items():
            allowed = [k.value for k in Kind if engine.may_post(user, channel, k.value)[0]]
            assert cell["kinds"] == allowed, (gid, channel)


def test_a_waiver_in_force_changes_who_may_post_everywhere_alike():
    policy = sample_policy()
    waiver = Waiver("ivy-li", ("user:ivy",), ("no-interns-on-linkedin",), "launch", TODAY)
    engine = compile_policy(replace(policy, waivers=(*policy.waivers, waiver)))
    assert engine.may_post("ivy", "linkedin/acme", "post", today=TODAY)[0]
    assert "ivy" in allowed_users(engine, "linkedin/acme", "post", TODAY)
    later = date(2026, 5, 5)
    assert not engine.may_post("ivy", "linkedin/acme", "post", today=later)[0]
    assert "ivy" not in allowed_users(engine, "linkedin/acme", "post", later)


def test_everyone_deny_rule_denies_every_group_in_the_matrix():
    policy = sample_policy()
    shut = Rule("frozen", Effect.DENY, ("*",), ("facebook/nmtw",))
    engine = compile_policy(replace(policy, rules=(*policy.rules, shut)))
    for row in group_matrix(engine):
        [cell] = [c for c in row["cells"] if c["channel"] == "facebook/nmtw"]
        assert cell["kinds"] == [] and cell["denied"] == ["post", "reply"]
    assert allowed_users(engine, "facebook/nmtw", "post", TODAY) == frozenset()


def test_members_written_bare_or_with_a_prefix_count_alike():
    policy = sample_policy(
        groups={
            "bare": Group("bare", members=("dana", "eli")),
            "mixed": Group("mixed", members=("user:fran", "group:bare", "gus")),
            "outer": Group("outer", members=("hal",), includes=("mixed",)),
        }
    )
    assert group_members(policy) == {
        "bare": {"dana", "eli"},
        "mixed": {"fran", "gus", "dana", "eli"},
        "outer": {"hal", "fran", "gus", "dana", "eli"},
    }
    assert nested_groups(policy) == {"bare": set(), "mixed": {"bare"}, "outer": {"mixed"}}


def test_remembered_rules_are_the_rules_found_anew(engine, monkeypatch):
    """Each (channel, kind) remembers the rules found for a set of named principals;
    every user on every channel gets what a fresh search gives, also once the
    remembered sets were dropped at the limit."""
    monkeypatch.setattr(permissions, "FOUND_LIMIT", 3)
    policy, order = engine.policy, engine.rule_order
    for _ in range(2):  # the second round answers from what the first remembered
        for channel in policy.channels:
            for kind in ("post", "reply"):
                index = engine.rule_index(channel, kind)
                for user in policy.users:
                    principals = engine.principals_of(user)
                    match = evaluate(index, principals, order)
                    assert match.allows == matching_rules(
                        index.allow, principals, order, index.allowing_principals
                    )
                    assert match.denials == matching_rules(
                        index.deny, principals, order, index.denied_principals
                    )
                    assert len(index.allows_found) <= 3 and len(index.denials_found) <= 3
    index = engine.rule_index("linkedin/acme", "post")
    ivy = engine.principals_of("ivy")
    assert [r.id for r in evaluate(index, ivy, order).allows] == ["marketing-linkedin"]
    assert ivy & index.allowing_principals in index.allows_found


def test_threads_sharing_the_remembered_rules_get_what_a_fresh_search_gives(engine, monkeypatch):
    """Several threads decide at once while the remembered sets fill and are dropped."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(permissions, "FOUND_LIMIT", 2)
    policy, order = engine.policy, engine.rule_order
    questions = [
        (channel, kind, user)
        for channel in policy.channels
        for kind in ("post", "reply")
        for user in policy.users
    ]

    def fresh(question):
        channel, kind, user = question
        index, principals = engine.rule_index(channel, kind), engine.principals_of(user)
        return (
            matching_rules(index.allow, principals, order, index.allowing_principals),
            matching_rules(index.deny, principals, order, index.denied_principals),
        )

    def remembered(question):
        channel, kind, user = question
        match = evaluate(engine.rule_index(channel, kind), engine.principals_of(user), order)
        return match.allows, match.denials

    expected = [fresh(q) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            assert list(pool.map(remembered, questions)) == expected
