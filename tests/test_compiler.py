"""Compiling a policy: membership, the who-may-post-where index, plugins built once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from engine.compiler import compile_policy, resolve_globs
from engine.errors import NotFound, PolicyError
from engine.hookspecs import CheckSpec, hookimpl
from engine.model import (
    Channel,
    CheckConfig,
    Effect,
    Group,
    Kind,
    Loc,
    Post,
    Rule,
    Signoff,
    Topic,
    User,
    Waiver,
)
from engine.plugins import get_plugin_manager
from tests.fixtures_engine import sample_policy


def test_groups_through_nested_includes(engine):
    # support includes support-leads, so fran (a lead) is in support too.
    assert engine.groups_of("fran") == {"support-leads", "support"}
    assert engine.groups_of("dana") == {"support"}
    assert engine.groups_of("nobody") == frozenset()


def test_transitive_includes_three_levels_and_cycles():
    groups = {
        "a": Group("a", members=("u1",), includes=("b",)),
        "b": Group("b", members=("u2",), includes=("c",)),
        "c": Group("c", members=("user:u3",), includes=("a",)),  # a cycle must not hang
    }
    users = {u: User(u) for u in ("u1", "u2", "u3")}
    engine = compile_policy(sample_policy(groups=groups, users=users, rules=(), roles={}))
    assert engine.groups_of("u3") == {"a", "b", "c"}
    assert engine.groups_of("u1") == {"a", "b", "c"}
    assert engine.members("group:a") == {"u1", "u2", "u3"}


def test_membership_questions(engine):
    assert engine.is_member("fran", "group:support")
    assert engine.is_member("dana", "*")
    assert engine.is_member("dana", "user:dana")
    assert not engine.is_member("dana", "group:treasury")
    assert not engine.is_member("ghost", "*")
    assert engine.members("group:support") == {"dana", "eli", "fran"}
    assert engine.members("user:dana") == {"dana"}
    assert engine.members("user:ghost") == frozenset()
    assert engine.members("*") == set(engine.policy.users)


def test_roles(engine):
    assert engine.has_role("president", "auditors")
    assert engine.has_role("fran", "admins")
    assert not engine.has_role("dana", "admins")
    assert not engine.has_role("dana", "no-such-role")


def test_lookups(engine):
    assert engine.user("dana").name == "Dana"
    assert engine.user("ghost") is None
    assert engine.channel("twitter/nmtw_help").max_length == 280
    assert engine.channel("nope") is None
    assert [lvl.after_seconds for lvl in engine.escalation_levels("complaint-chain")] == [
        7200,
        14400,
        86400,
    ]
    with pytest.raises(NotFound):
        engine.escalation_levels("nope")
    assert engine.version == "v-test" == engine.policy.version


def test_may_post_answers_with_the_deciding_rules(engine):
    allowed, reasons = engine.may_post("dana", "twitter/nmtw_help", "reply")
    assert allowed and [r.id for r in reasons] == ["support-replies"]
    allowed, reasons = engine.may_post("dana", "twitter/nmtw_help", "post")
    assert not allowed
    assert reasons[0].message == "no rule lets dana post to twitter/nmtw_help"
    allowed, reasons = engine.may_post("ivy", "linkedin/acme", "post")  # intern and marketing
    assert not allowed and [r.id for r in reasons] == ["no-interns-on-linkedin"]
    allowed, reasons = engine.may_post("ghost", "linkedin/acme", "post")
    assert not allowed and reasons[0].id == "author"


def test_may_post_honours_waivers_by_date():
    waiver = Waiver(
        "ivy-li", ("user:ivy",), ("no-interns-on-linkedin",), "launch", date(2026, 5, 1)
    )
    engine = compile_policy(sample_policy(waivers=(waiver,)))
    assert engine.may_post("ivy", "linkedin/acme", "post", today=date(2026, 5, 1))[0]
    assert not engine.may_post("ivy", "linkedin/acme", "post", today=date(2026, 5, 2))[0]


def test_globs_resolve_against_known_channels():
    names = ["twitter/a", "twitter/b", "facebook/a", "x/y[1]"]
    assert resolve_globs(["twitter/*"], names) == {"twitter/a", "twitter/b"}
    assert resolve_globs(["*/a"], names) == {"twitter/a", "facebook/a"}
    assert resolve_globs(["twitter/?"], names) == {"twitter/a", "twitter/b"}
    assert resolve_globs(["facebook/a", "nope"], names) == {"facebook/a"}
    assert resolve_globs(["Twitter/*"], names) == frozenset()  # case-sensitive


def test_rule_kinds_are_indexed_separately():
    rules = (Rule("r", Effect.ALLOW, ("*",), ("*",), kinds=(Kind.POST,)),)
    engine = compile_policy(sample_policy(rules=rules))
    assert engine.may_post("dana", "facebook/nmtw", "post")[0]
    assert not engine.may_post("dana", "facebook/nmtw", "reply")[0]


def test_unknown_check_plugin_is_a_policy_error_with_location():
    loc = Loc("policies/checks.yaml", 4, 5)
    policy = sample_policy(checks=(CheckConfig("spell", "spellcheck", loc=loc),))
    with pytest.raises(PolicyError) as err:
        compile_policy(policy)
    assert str(err.value).startswith("policies/checks.yaml:4:5: unknown check 'spellcheck'")


def test_bad_pattern_is_a_policy_error():
    topic = Topic("t", patterns=("(unclosed",), loc=Loc("t.yaml", 2, 3))
    with pytest.raises(PolicyError, match=r"t.yaml:2:3: topic t: bad RE2 pattern"):
        compile_policy(sample_policy(topics={"t": topic}))


class CountingPlugin:
    """A third-party check, registered like any plugin; counts how often it is built."""

    builds = 0

    @hookimpl
    def register_checks(self):
        def build(options):
            CountingPlugin.builds += 1
            word = options["word"]
            return lambda given: [] if word not in given.post.text else [_finding(word)]

        return [CheckSpec("no-word", build, {"word": {"type": "string"}}, Effect.DENY)]


def _finding(word):
    from engine.hookspecs import Finding

    return Finding(f"contains {word}")


def test_checks_are_built_once_per_compile_and_third_party_checks_work():
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(CountingPlugin())
    checks = (CheckConfig("no-foo", "no-word", options=(("word", "foo"),)),)
    CountingPlugin.builds = 0
    engine = compile_policy(sample_policy(checks=checks), pm)
    for _ in range(5):
        decision = engine.decide(Post("dana", "facebook/nmtw", "foo bar"))
    assert CountingPlugin.builds == 1
    assert decision.decision == "denied"
    assert [(r.id, r.message) for r in decision.reasons] == [("no-foo", "contains foo")]


def test_check_scoped_to_channels():
    checks = (
        CheckConfig(
            "links",
            "links",
            options=(("allow_domains", []),),
            action=Effect.SIGNOFF,
            requires=Signoff(("group:web-team",)),
            channels=("twitter/*",),
        ),
    )
    engine = compile_policy(sample_policy(checks=checks))
    text = "see https://evil.example"
    assert engine.decide(Post("dana", "facebook/nmtw", text)).decision == "approved"
    assert engine.decide(Post("dana", "twitter/nmtw_help", text, "reply")).decision == (
        "needs_signoff"
    )


def test_engine_is_immutable(engine):
    with pytest.raises(AttributeError):
        engine.version = "other"


def test_engine_is_thread_safe(engine):
    posts = [
        Post("dana", "twitter/nmtw_help", "We can close your account today", "reply"),
        Post("tess", "linkedin/acme", "Our APR is 5%"),
        Post("dana", "facebook/nmtw", "Our APR is 5%"),
        Post("eli", "facebook/nmtw", "thanks!", "reply"),
    ] * 200
    expected = [engine.decide(p).to_dict() for p in posts]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda p: engine.decide(p).to_dict(), posts))
    assert got == expected


def test_channels_added_only_at_compile_time_are_resolved():
    channels = dict(sample_policy().channels)
    channels["twitter/new"] = Channel("twitter/new", "twitter")
    engine = compile_policy(sample_policy(channels=channels))
    assert engine.may_post("dana", "twitter/new", "reply")[0]


def test_generated_benchmark_policy_loads_and_decides(tmp_path):
    """bench/genpolicy.py writes files the real loader accepts; decisions are consistent."""
    import importlib.util
    import sys

    # loaded by path: putting bench/ on sys.path would let bench/web.py shadow the web package
    path = Path(__file__).resolve().parent.parent / "bench" / "genpolicy.py"
    spec = importlib.util.spec_from_file_location("genpolicy", path)
    genpolicy = sys.modules.setdefault("genpolicy", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(genpolicy)
    Sizes, generate, posts, write_policy = (
        genpolicy.Sizes,
        genpolicy.generate,
        genpolicy.posts,
        genpolicy.write_policy,
    )

    from engine.compiler import load_engine

    data = generate(Sizes(users=60, groups=8, channels=6, rules=20, topics=10, keywords=80))
    engine = load_engine(str(write_policy(data, tmp_path)))
    assert len(engine.policy.users) == 60 and len(engine.policy.rules) == 20
    assert len(engine.version) == 64
    outcomes = set()
    for author, channel, kind, text in posts(data, 300, 280):
        decision = engine.decide(Post(author, channel, text, kind))
        outcomes.add(decision.decision.value)
        allowed, _ = engine.may_post(author, channel, kind)
        rules_denied = any(r.kind == "rule" and r.effect == Effect.DENY for r in decision.reasons)
        assert allowed != rules_denied
    assert outcomes == {"approved", "denied", "needs_signoff"}
