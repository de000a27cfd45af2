"""A decision's trace is written out when first read, and reads as the tuple of its steps."""

from __future__ import annotations

import dataclasses
import json
import pickle

from fixtures_engine import sample_policy

from engine.compiler import compile_policy
from engine.model import Post, Trace, TraceStep, decision_from_dict
from engine.rulecheck import Listed


def test_steps_are_written_from_their_templates_only_when_read():
    trace = Trace(
        [
            ("topic", "rates", True, "found {}", ("'APR {0} {}'",)),  # braces in an arg
            ("check", "links", True, "link to {evil} is not allowed", ()),  # literal
            ("hint", "r1", False, "ask {} to post it", (Listed(("group:legal", "user:kim")),)),
            ("hint", "r2", False, "ask {} to post it", (Listed(()),)),
        ]
    )
    assert trace._steps is None and len(trace) == 4  # nothing written yet
    assert trace == (
        TraceStep("topic", "rates", True, "found 'APR {0} {}'"),
        TraceStep("check", "links", True, "link to {evil} is not allowed"),
        TraceStep("hint", "r1", False, "ask group:legal, user:kim to post it"),
        TraceStep("hint", "r2", False, "ask nobody to post it"),
    )
    assert trace[0].detail == "found 'APR {0} {}'" and trace[-1].id == "r2"
    assert [s.id for s in trace] == ["rates", "links", "r1", "r2"]
    assert hash(trace) == hash(tuple(trace))
    copy = pickle.loads(pickle.dumps(trace))
    assert copy == trace and isinstance(copy, Trace)
    assert trace != ("something else",) and Trace() == ()


def test_a_decision_equals_itself_read_back_from_json():
    policy = sample_policy()
    topics = dict(policy.topics)
    topics["rates"] = dataclasses.replace(topics["rates"], keywords=("APR", "{0} rate"))
    engine = compile_policy(dataclasses.replace(policy, topics=topics))
    text = "Our APR is {0} rate; ask about refunds"
    decision = engine.decide(Post("dana", "facebook/nmtw", text), explain=True)
    assert isinstance(decision.trace, Trace) and len(decision.trace) > 3
    assert "found 'APR', '{0} rate'" in [step.detail for step in decision.trace]
    back = decision_from_dict(json.loads(json.dumps(decision.to_dict())))
    assert back == decision and back.trace == decision.trace


def test_decisions_from_several_threads_equal_those_made_one_at_a_time():
    from concurrent.futures import ThreadPoolExecutor

    engine = compile_policy(sample_policy())
    texts = [
        "Our APR is low",
        "ＡＰＲ and the interest rate",
        "Grüße, lawsuit? see https://evil.example/x",
        "plain words only",
    ] * 50
    posts = [Post("dana", "facebook/nmtw", text) for text in texts]
    expected = [engine.decide(post).to_dict() for post in posts]
    shared = [engine.decide(post) for post in posts]  # traces not yet written out
    with ThreadPoolExecutor(4) as pool:
        decided = list(pool.map(lambda p: engine.decide(p).to_dict(), posts * 4))
        written = list(pool.map(lambda d: tuple(d.trace), shared * 4))
    assert decided == expected * 4
    assert written == [tuple(d.trace) for d in shared] * 4
