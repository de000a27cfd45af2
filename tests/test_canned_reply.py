"""The canned-reply check: near-identical replies on one channel, through the engine and
through the workflow's stored history."""

from __future__ import annotations

import textwrap

import pytest

from engine.compiler import load_engine
from engine.errors import PolicyError
from engine.model import Outcome, Post, Status
from engine.store import Store
from engine.workflow import Workflow

POLICY = """
users: {ann: {}, bob: {}, lee: {}}
groups: {support: {members: [ann, bob]}, leads: {members: [lee]}}
channels: {twitter/help: {platform: twitter}, facebook/page: {platform: facebook}}
rules: [{id: support, allow: [group:support], channels: ["*"]}]
checks:
  - {use: canned-reply, action: signoff, signoff: [group:leads]%s}
"""
FORM = "We are sorry for the inconvenience. Please DM us your account details."


def engine_with(tmp_path, options: str = ""):
    (tmp_path / "p.yaml").write_text(textwrap.dedent(POLICY % options))
    return load_engine(str(tmp_path))


def history_of(texts):
    return lambda channel, kind: iter(texts)


def reply(text: str) -> Post:
    return Post("ann", "twitter/help", text, "reply")


def test_near_identical_reply_needs_signoff(tmp_path):
    engine = engine_with(tmp_path)
    earlier = [FORM, FORM.replace("DM", "message"), "Totally different words here."]
    decision = engine.decide(reply(FORM.lower() + "!"), history=history_of(earlier))
    assert decision.decision is Outcome.NEEDS_SIGNOFF
    [reason] = decision.reasons
    assert reason.id == "canned-reply"
    assert "identical to 2 earlier replies on twitter/help" in reason.message
    assert [q.signoff for q in decision.requirements] == [("group:leads",)]


def test_once_is_not_a_habit_and_fresh_text_passes(tmp_path):
    engine = engine_with(tmp_path)
    assert engine.decide(reply(FORM), history=history_of([FORM])).decision is Outcome.APPROVED
    fresh = "Hi Sam, the Elm Street branch reopens Monday at 9; Fran will call you."
    assert (
        engine.decide(reply(fresh), history=history_of([FORM, FORM])).decision is Outcome.APPROVED
    )


def test_options_similarity_count_and_kinds(tmp_path):
    engine = engine_with(tmp_path, ", similarity: 0.99, min_count: 1, kinds: [post, reply]")
    post = Post("ann", "twitter/help", FORM, "post")
    assert engine.decide(post, history=history_of([FORM])).decision is Outcome.NEEDS_SIGNOFF
    near = FORM.replace("account", "acct")
    assert engine.decide(reply(near), history=history_of([FORM])).decision is Outcome.APPROVED


def test_posts_are_not_checked_by_default_and_no_history_means_no_finding(tmp_path):
    engine = engine_with(tmp_path)
    post = Post("ann", "twitter/help", FORM, "post")
    assert engine.decide(post, history=history_of([FORM, FORM])).decision is Outcome.APPROVED
    assert engine.decide(reply(FORM)).decision is Outcome.APPROVED  # `sayso check`: no store


def test_bad_option_fails_validation_at_its_line(tmp_path):
    with pytest.raises(PolicyError) as info:
        engine_with(tmp_path, ", similarity: 3")
    assert "p.yaml:7:" in str(info.value) and "similarity" in str(info.value)


def test_workflow_history_comes_from_the_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()
    engine = engine_with(tmp_path / "policy")
    wf = Workflow(engine, Store(f"sqlite:///{tmp_path / 's.db'}"))
    first = wf.submit("ann", "twitter/help", FORM, kind="reply")
    second = wf.submit("bob", "twitter/help", FORM, kind="reply")
    third = wf.submit("ann", "twitter/help", FORM, kind="reply")
    other_channel = wf.submit("ann", "facebook/page", FORM, kind="reply")
    assert [s.status for s in (first, second)] == [Status.PUBLISHED, Status.PUBLISHED]
    assert third.status is Status.PENDING
    assert third.requirements[0].id == "canned-reply"
    assert other_channel.status is Status.PUBLISHED
    wf.store.close()
