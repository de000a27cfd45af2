"""Hostile posts: a text over the policy's limit, keywords nested to blow up the spans,
many patterns on a long text. Each is bounded, and says what it left out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.compiler import compile_policy
from engine.errors import PolicyError
from engine.keywords import MAX_SPANS, KeywordMatcher, PatternMatcher
from engine.loader import load_policy
from engine.model import Limits, Outcome, Post, Topic, decision_from_dict
from tests.fixtures_engine import sample_policy


def test_text_over_the_default_limit_is_denied_before_detection():
    engine = compile_policy(sample_policy())
    text = "APR " * 20_000  # 80,000 characters
    decision = engine.decide(Post("tess", "facebook/nmtw", text))
    assert decision.decision == Outcome.DENIED
    assert [r.id for r in decision.reasons] == ["max-text"]
    assert "80000 characters" in decision.reasons[0].message
    assert "65536" in decision.reasons[0].message
    assert decision.topics == ()  # nothing read it


def test_the_limit_is_configurable_and_exact():
    policy = sample_policy()
    engine = compile_policy(dataclasses.replace(policy, limits=Limits(max_text=10)))
    assert engine.decide(Post("tess", "facebook/nmtw", "x" * 10)).decision == Outcome.APPROVED
    denied = engine.decide(Post("tess", "facebook/nmtw", "x" * 11))
    assert [r.id for r in denied.reasons] == ["max-text"]


def write_policy(tmp_path: Path, limits: str) -> Path:
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nusers: {ann: {}}\nchannels: {twitter/x: {}}\n"
        "rules: [{id: r, allow: [user:ann], channels: [twitter/x]}]\n" + limits,
        encoding="utf-8",
    )
    return tmp_path


def test_limits_section_is_loaded_and_validated(tmp_path):
    policy = load_policy(write_policy(tmp_path, "limits: {max_text: 100}\n"))
    assert policy.limits.max_text == 100
    bad_limits = ("{max_text: 0}", "{max_text: 100001}", "{max_txt: 5}", "{max_text: x}")
    for bad in (f"limits: {limits}\n" for limits in bad_limits):
        with pytest.raises(PolicyError) as caught:
            load_policy(write_policy(tmp_path, bad))
        assert "limits" in str(caught.value) or "max_t" in str(caught.value)


def test_cli_check_says_the_text_is_too_long(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = write_policy(tmp_path, "limits: {max_text: 20}\n")
    result = CliRunner().invoke(
        cli,
        ["--policy", str(folder), "check", "--author", "ann", "--channel", "twitter/x"]
        + ["--text", "y" * 21, "--json"],
    )
    assert result.exit_code == 1, result.output
    (reason,) = json.loads(result.output)["reasons"]
    assert reason["id"] == "max-text" and "at most 20" in reason["message"]


def test_nested_keywords_report_a_bounded_number_of_spans_and_count_the_rest():
    words = [" ".join(["a"] * n) for n in range(1, 30)]  # "a", "a a", "a a a"...
    matcher = KeywordMatcher([("t", w) for w in words])
    text = " ".join(["a"] * 30_000)
    spans = matcher.find(text)["t"]
    assert len(spans) == MAX_SPANS  # unbounded, it built 870,000 spans
    total = sum(30_000 - n + 1 for n in range(1, 30))
    assert len(spans) + spans.more == total  # every occurrence is counted


def test_decision_lists_at_most_100_spans_and_says_how_many_more():
    policy = sample_policy()
    topics = dict(policy.topics)
    topics["rates"] = dataclasses.replace(topics["rates"], keywords=("APR",))
    engine = compile_policy(dataclasses.replace(policy, topics=topics))
    decision = engine.decide(Post("dana", "facebook/nmtw", "APR " * 250))
    (match,) = [t for t in decision.topics if t.id == "rates"]
    assert len(match.spans) == 100 and match.more_spans == 150
    data = decision.to_dict()
    (rates,) = [t for t in data["topics"] if t["id"] == "rates"]
    assert rates["more_spans"] == 150
    assert decision_from_dict(json.loads(json.dumps(data))).topics == decision.topics


class _Counting:
    """A compiled pattern that counts the scans for spans."""

    def __init__(self, regexp, scans: list[str]):
        self.regexp, self.scans = regexp, scans

    def finditer(self, text):
        self.scans.append(self.regexp.pattern)
        return self.regexp.finditer(text)


def test_many_patterns_on_a_long_text_scan_only_those_that_occur():
    matcher = PatternMatcher([("t", rf"\bcode{i:04d}\b") for i in range(1000)])
    scans: list[str] = []
    matcher._entries = [(t, p, _Counting(r, scans)) for t, p, r in matcher._entries]
    text = ("nothing to see here " * 5_500) + " code0042 "
    found = matcher.find(text)
    assert [s.text for s in found["t"]] == ["code0042"]
    assert scans == [r"\bcode0042\b"]  # one RE2 set pass, then only the pattern that occurs


def test_a_topic_with_only_a_pattern_is_still_bounded():
    engine = compile_policy(
        sample_policy(topics={"digits": Topic("digits", patterns=(r"\d",), action="warn")})
    )
    decision = engine.decide(Post("tess", "facebook/nmtw", "1" * 5000))
    (match,) = decision.topics
    assert len(match.spans) == 100 and match.more_spans == 4900
