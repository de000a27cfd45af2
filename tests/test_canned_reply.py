"""The canned-reply check: near-identical replies on any channel (or on one), through the
engine and through the workflow's stored history."""

from __future__ import annotations

import itertools
import re
import textwrap

import pytest

from engine.compiler import load_engine
from engine.errors import PolicyError
from engine.hookspecs import ReplyContext
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
    assert "identical to 2 earlier replies;" in reason.message
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


def test_message_names_the_count_and_the_best_similarity(tmp_path):
    engine = engine_with(tmp_path)
    near = FORM.replace("DM", "message")
    earlier = [near, near, near, "Totally different words here."]
    [reason] = engine.decide(reply(FORM), history=history_of(earlier)).reasons
    found = re.search(r"this reply is (\d+)% identical to 3 earlier replies;", reason.message)
    assert found and 90 <= int(found.group(1)) < 100
    [exact] = engine.decide(reply(FORM), history=history_of([FORM, FORM])).reasons
    assert "100% identical to 2 earlier replies" in exact.message


def test_posts_are_counted_as_posts(tmp_path):
    engine = engine_with(tmp_path, ", kinds: [post]")
    post = Post("ann", "twitter/help", FORM, "post")
    [reason] = engine.decide(post, history=history_of([FORM, FORM])).reasons
    assert reason.message == "this post is 100% identical to 2 earlier posts"
    per_channel = engine_with(tmp_path, ", kinds: [post], across_channels: false")
    [reason] = per_channel.decide(post, history=history_of([FORM, FORM])).reasons
    assert reason.message == "this post is 100% identical to 2 earlier posts on twitter/help"


def test_lookback_limits_how_far_back_it_compares(tmp_path):
    other = [f"Update {i}: the branch opens at {i} o'clock." for i in range(3)]
    short = engine_with(tmp_path, ", lookback: 3")
    assert short.decide(reply(FORM), history=history_of(other + [FORM, FORM])).decision is (
        Outcome.APPROVED
    )
    endless = lambda channel, kind: itertools.chain([FORM, FORM], itertools.repeat("x"))  # noqa: E731
    assert short.decide(reply(FORM), history=endless).decision is Outcome.NEEDS_SIGNOFF
    wide = engine_with(tmp_path, ", lookback: 5")
    assert wide.decide(reply(FORM), history=history_of(other + [FORM, FORM])).decision is (
        Outcome.NEEDS_SIGNOFF
    )


def test_default_action_is_a_warning(tmp_path):
    (tmp_path / "p.yaml").write_text(
        textwrap.dedent(POLICY % "").replace(
            "{use: canned-reply, action: signoff, signoff: [group:leads]}", "{use: canned-reply}"
        )
    )
    decision = load_engine(str(tmp_path)).decide(reply(FORM), history=history_of([FORM, FORM]))
    assert decision.decision is Outcome.APPROVED and decision.requirements == ()
    [warning] = decision.warnings
    assert warning.id == "canned-reply" and "2 earlier replies" in warning.message


def test_history_is_asked_for_every_channel_or_the_posts_own(tmp_path):
    asked = []

    def history(channel, kind):
        asked.append((channel, kind))
        return [FORM, FORM]

    engine_with(tmp_path).decide(reply(FORM), history=history)
    engine_with(tmp_path, ", across_channels: false").decide(reply(FORM), history=history)
    assert asked == [(None, "reply"), ("twitter/help", "reply")]


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
    wf = Workflow(engine, Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    first = wf.submit("ann", "twitter/help", FORM, kind="reply")
    second = wf.submit("bob", "facebook/page", FORM, kind="reply")  # pasted on another account
    third = wf.submit("ann", "twitter/help", FORM, kind="reply")
    post = wf.submit("ann", "facebook/page", FORM, kind="post")  # posts are not compared
    assert [s.status for s in (first, second)] == [Status.PUBLISHED, Status.PUBLISHED]
    assert third.status is Status.PENDING
    assert third.requirements[0].id == "canned-reply"
    assert post.status is Status.PUBLISHED
    wf.store.close()


def test_one_channel_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()
    engine = engine_with(tmp_path / "policy", ", across_channels: false")
    wf = Workflow(engine, Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    wf.submit("ann", "twitter/help", FORM, kind="reply")
    wf.submit("bob", "twitter/help", FORM, kind="reply")
    elsewhere = wf.submit("ann", "facebook/page", FORM, kind="reply")
    again = wf.submit("ann", "twitter/help", FORM, kind="reply")
    assert elsewhere.status is Status.PUBLISHED
    assert again.status is Status.PENDING
    wf.store.close()


def to_sender(texts, asked=None):
    """The inbound message a reply answers, from @joe, with earlier replies to him."""

    def earlier(channel):
        if asked is not None:
            asked.append(channel)
        return iter(texts)

    return ReplyContext(item_id=7, channel="twitter/help", sender="@joe", earlier=earlier)


def test_one_earlier_reply_to_the_same_sender_is_enough(tmp_path):
    engine = engine_with(tmp_path)
    fresh = ["The Elm Street branch opens at nine.", "Your card arrives by Friday."]
    decision = engine.decide(reply(FORM), history=history_of(fresh), reply_to=to_sender([FORM]))
    assert decision.decision is Outcome.NEEDS_SIGNOFF
    [reason] = decision.reasons
    assert reason.message == (
        "this reply is 100% identical to 1 earlier reply to @joe; write an answer for this person"
    )
    other = engine.decide(reply(FORM), history=history_of(fresh), reply_to=to_sender(fresh))
    assert other.decision is Outcome.APPROVED
    # without a store's history (a plain check) the sender's replies still count
    assert engine.decide(reply(FORM), reply_to=to_sender([FORM])).decision is (
        Outcome.NEEDS_SIGNOFF
    )


def test_sender_rule_follows_across_channels_and_can_be_turned_off(tmp_path):
    asked = []
    engine_with(tmp_path).decide(reply(FORM), reply_to=to_sender([], asked))
    engine_with(tmp_path, ", across_channels: false").decide(
        reply(FORM), reply_to=to_sender([], asked)
    )
    assert asked == [None, "twitter/help"]
    off = engine_with(tmp_path, ", same_sender: false")
    assert off.decide(reply(FORM), reply_to=to_sender([FORM])).decision is Outcome.APPROVED
    both = off.decide(reply(FORM), history=history_of([FORM, FORM]), reply_to=to_sender([FORM]))
    [reason] = both.reasons  # the rule for every reply still applies
    assert "identical to 2 earlier replies;" in reason.message
