"""Decision semantics (SPEC "Decision semantics (MUST)") on the SPEC's example policy."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.compiler import compile_policy
from engine.model import (
    CheckConfig,
    Effect,
    Enforcement,
    Outcome,
    Post,
    Rule,
    Signoff,
    Topic,
    Waiver,
)
from tests.fixtures_engine import sample_policy

MAY_2026 = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def ids(reasons):
    return [r.id for r in reasons]


def test_support_may_reply_on_twitter(engine):
    d = engine.decide(Post("dana", "twitter/nmtw_help", "Sorry to hear that!", "reply"))
    assert d.decision == Outcome.APPROVED
    assert ids(d.reasons) == ["support-replies"]
    assert d.requirements == () and d.topics == ()
    assert d.policy_version == "v-test"


def test_unknown_author_and_channel_are_named(engine):
    d = engine.decide(Post("zed", "myspace/acme", "hello"))
    assert d.decision == Outcome.DENIED
    assert ids(d.reasons) == ["author", "channel"]
    assert "zed" in d.reasons[0].message and "myspace/acme" in d.reasons[1].message


def test_unknown_kind_denied(engine):
    d = engine.decide(Post("dana", "facebook/nmtw", "hello", "story"))
    assert d.decision == Outcome.DENIED and ids(d.reasons) == ["kind"]


def test_no_allow_rule_denies_with_the_spec_message(engine):
    d = engine.decide(Post("dana", "linkedin/acme", "hello"))
    assert d.decision == Outcome.DENIED
    assert d.reasons[0].message == "no rule lets dana post to linkedin/acme"


def test_kinds_restrict_rules(engine):
    # support-replies allows replies only on twitter
    assert engine.decide(Post("dana", "twitter/nmtw_help", "hi", "reply")).decision == "approved"
    d = engine.decide(Post("dana", "twitter/nmtw_help", "hi", "post"))
    assert d.decision == "denied"
    assert "no rule lets dana post to twitter/nmtw_help" in d.reasons[0].message


def test_deny_overrides_allow(engine):
    # ivy is in marketing (allowed on linkedin) and in interns (denied there)
    d = engine.decide(Post("ivy", "linkedin/acme", "hello"))
    assert d.decision == Outcome.DENIED
    assert ids(d.reasons) == ["no-interns-on-linkedin"]


def test_topic_signoff_adds_requirement_with_spans(engine):
    text = "We can close your account today."
    d = engine.decide(Post("dana", "facebook/nmtw", text))
    assert d.decision == Outcome.NEEDS_SIGNOFF
    assert ids(d.reasons) == ["account-closure"]
    (req,) = d.requirements
    assert (req.id, req.kind, req.signoff, req.approvals, req.escalation) == (
        "account-closure",
        "topic",
        ("group:member-services",),
        1,
        "complaint-chain",
    )
    (match,) = d.topics
    assert [(s.start, s.end, s.text) for s in match.spans] == [(7, 25, "close your account")]


def test_topic_pattern_detected(engine):
    d = engine.decide(Post("dana", "facebook/nmtw", "About acct #00123456, sorry."))
    assert d.decision == Outcome.NEEDS_SIGNOFF
    assert d.topics[0].spans[0].text == "acct #00123456"


def test_topic_deny_unless_excepted(engine):
    d = engine.decide(Post("dana", "facebook/nmtw", "Our APR is 5.1%"))
    assert d.decision == Outcome.DENIED
    assert ids(d.reasons) == ["rates"]
    assert d.reasons[0].message == "Rate quotes are posted by Treasury only."
    treasury = engine.decide(Post("tess", "facebook/nmtw", "Our APR is 5.1%"))
    assert treasury.decision == Outcome.APPROVED
    assert ids(treasury.topics) == ["rates"]


def test_all_reasons_reported_not_just_the_first(engine):
    text = (
        "Our interest rate is low; we can close your account. https://evil.example/x " + "x" * 300
    )
    d = engine.decide(Post("dana", "twitter/nmtw_help", text, "reply"))
    assert d.decision == Outcome.DENIED
    assert ids(d.reasons) == ["rates", "max-length", "account-closure", "links"]  # denials first
    assert [q.id for q in d.requirements] == ["account-closure", "links"]


def test_rule_deny_and_topic_deny_reported_together(engine):
    d = engine.decide(Post("ivy", "linkedin/acme", "APR news"))
    assert ids(d.reasons) == ["no-interns-on-linkedin", "rates"]


def test_checks_deny_signoff_warn(engine):
    long = engine.decide(Post("dana", "twitter/nmtw_help", "a" * 281, "reply"))
    assert long.decision == Outcome.DENIED and ids(long.reasons) == ["max-length"]
    assert "281" in long.reasons[0].message and "280" in long.reasons[0].message
    link = engine.decide(Post("dana", "facebook/nmtw", "see https://evil.example/x"))
    assert link.decision == Outcome.NEEDS_SIGNOFF
    assert link.requirements[0].id == "links"
    assert link.requirements[0].signoff == ("group:web-team",)
    ok = engine.decide(Post("dana", "facebook/nmtw", "see https://www.nmtw.example/rates"))
    assert ok.decision == Outcome.APPROVED


def test_warn_topic_and_warn_check_do_not_change_decision():
    topics = {"weather": Topic("weather", keywords=("storm",), action=Effect.WARN)}
    checks = (CheckConfig("links", "links", action=Effect.WARN),)
    engine = compile_policy(sample_policy(topics=topics, checks=checks))
    d = engine.decide(Post("dana", "facebook/nmtw", "A storm! https://x.example"))
    assert d.decision == Outcome.APPROVED
    assert ids(d.warnings) == ["weather", "links"]


def test_signoff_without_requires_uses_first_escalation_level():
    topics = {"t": Topic("t", keywords=("refund",), escalation="complaint-chain")}
    engine = compile_policy(sample_policy(topics=topics))
    (req,) = engine.decide(Post("dana", "facebook/nmtw", "refund")).requirements
    assert req.signoff == ("group:support-leads",) and req.approvals == 1


def test_topic_channel_scope():
    topics = {
        "t": Topic(
            "t", keywords=("refund",), requires=Signoff(("user:gus",)), channels=("twitter/*",)
        )
    }
    engine = compile_policy(sample_policy(topics=topics))
    assert engine.decide(Post("dana", "facebook/nmtw", "refund")).decision == "approved"
    d = engine.decide(Post("dana", "twitter/nmtw_help", "refund", "reply"))
    assert d.decision == "needs_signoff"


def test_excepted_author_skips_signoff_topic():
    topics = {
        "t": Topic(
            "t", keywords=("refund",), requires=Signoff(("user:gus",)), except_=("group:support",)
        )
    }
    engine = compile_policy(sample_policy(topics=topics))
    assert engine.decide(Post("dana", "facebook/nmtw", "refund")).decision == "approved"
    assert engine.decide(Post("tess", "facebook/nmtw", "refund")).decision == "needs_signoff"


def test_advisory_rule_topic_check_never_change_the_decision():
    rules = (
        *sample_policy().rules,
        Rule("maybe-no-fb", Effect.DENY, ("*",), ("facebook/*",), enforcement=Enforcement.ADVISORY),
    )
    topics = {
        "rates": Topic(
            "rates", keywords=("APR",), action=Effect.DENY, enforcement=Enforcement.ADVISORY
        )
    }
    checks = (CheckConfig("links", "links", enforcement=Enforcement.ADVISORY),)
    engine = compile_policy(sample_policy(rules=rules, topics=topics, checks=checks))
    d = engine.decide(Post("dana", "facebook/nmtw", "APR https://evil.example"))
    assert d.decision == Outcome.APPROVED
    assert ids(d.warnings) == ["maybe-no-fb", "rates", "links"]
    assert all(w.advisory for w in d.warnings)


def test_advisory_allow_does_not_grant():
    rules = (
        Rule("try-li", Effect.ALLOW, ("*",), ("linkedin/*",), enforcement=Enforcement.ADVISORY),
    )
    engine = compile_policy(sample_policy(rules=rules))
    d = engine.decide(Post("dana", "linkedin/acme", "hi"))
    assert d.decision == Outcome.DENIED
    assert ids(d.warnings) == ["try-li"] and d.warnings[0].advisory


def test_waiver_applies_until_its_expiry_date(engine):
    # gus-rates waives topic rates for gus until 2026-06-30 (inclusive)
    post = Post("gus", "linkedin/acme", "APR news")
    d = engine.decide(post, now=datetime(2026, 6, 30, 23, 0, tzinfo=UTC))
    assert d.decision == Outcome.APPROVED
    (warning,) = d.warnings
    assert warning.message == "waived by gus-rates: quarterly rate announcement (until 2026-06-30)"
    assert any(s.stage == "waiver" and s.id == "gus-rates" for s in d.trace)
    expired = engine.decide(post, now=datetime(2026, 7, 1, tzinfo=UTC))
    assert expired.decision == Outcome.DENIED and ids(expired.reasons) == ["rates"]


def test_waiver_on_rule_and_check():
    waivers = (
        Waiver(
            "w1",
            ("group:interns",),
            ("no-interns-on-linkedin", "links"),
            "launch",
            date(2026, 5, 4),
        ),
    )
    engine = compile_policy(sample_policy(waivers=waivers))
    d = engine.decide(Post("ivy", "linkedin/acme", "see https://evil.example"), now=MAY_2026)
    assert d.decision == Outcome.APPROVED
    assert [w.kind for w in d.warnings] == ["waiver", "waiver"]


def test_failing_check_fails_closed():
    from engine.hookspecs import CheckSpec, hookimpl
    from engine.plugins import get_plugin_manager

    class Broken:
        @hookimpl
        def register_checks(self):
            def build(options):
                def run(given):
                    raise RuntimeError("service down")

                return run

            return [CheckSpec("broken", build, {}, Effect.WARN)]

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Broken())
    engine = compile_policy(sample_policy(checks=(CheckConfig("broken", "broken"),)), pm)
    d = engine.decide(Post("dana", "facebook/nmtw", "hi"))
    assert d.decision == Outcome.DENIED
    assert "service down" in d.reasons[0].message


def test_trace_explains_what_matched_and_what_did_not(engine):
    d = engine.decide(Post("dana", "linkedin/acme", "hello"), explain=True)
    by_id = {(s.stage, s.id): s for s in d.trace}
    assert not by_id[("rule", "marketing-linkedin")].matched
    assert "group:marketing do not include dana" in by_id[("rule", "marketing-linkedin")].detail
    assert "do not include linkedin/acme" in by_id[("rule", "support-replies")].detail
    assert by_id[("topic", "rates")].detail == "not in the text"
    hint = by_id[("hint", "default-deny")].detail
    assert "group:treasury" in hint and "group:marketing" in hint


def test_to_dict_is_the_check_json_shape(engine):
    d = engine.decide(Post("dana", "facebook/nmtw", "We can close your account today."))
    data = d.to_dict()
    assert data["decision"] == "needs_signoff"
    assert data["reasons"][0]["id"] == "account-closure"
    assert data["requirements"] == [
        {
            "id": "account-closure",
            "kind": "topic",
            "signoff": ["group:member-services"],
            "approvals": 1,
            "escalation": "complaint-chain",
        }
    ]
    assert data["topics"][0]["spans"][0]["text"] == "close your account"
    assert data["policy_version"] == "v-test"
