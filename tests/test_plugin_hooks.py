"""A third-party plugin, registered like an installed one, using every hook: the engine
and the workflow use what it provides, exactly as they use the built-in plugins."""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime, timedelta

import pytest

from engine.compiler import load_engine
from engine.errors import PolicyError
from engine.hookspecs import (
    CheckSpec,
    DetectorSpec,
    DirectorySpec,
    Finding,
    NotifierSpec,
    PublisherSpec,
    hookimpl,
)
from engine.model import Effect, Outcome, Post, Span, Status
from engine.plugins import get_plugin_manager, get_plugins
from engine.store import Store
from engine.workflow import Workflow

POLICY = """
users: {ann: {email: ann@x.example}, cat: {email: cat@x.example}}
groups: {support: {members: [ann]}, reviewers: {members: [cat]}}
channels:
  board/main: {platform: board, publisher: memory, publisher_options: {label: main}}
rules: [{id: support, allow: [group:support], channels: ["*"]}]
topics:
  shouting:
    requires: {signoff: [group:reviewers]}
checks:
  - {use: no-word, word: lol, action: signoff, signoff: [group:reviewers]}
notifiers:
  - {use: memory-notes}
directory:
  - {use: static-people}
"""


def make_plugin(sent: list, published: list) -> types.ModuleType:
    plugin = types.ModuleType("sayso_test_plugin")

    class Shouting:
        """Topic `shouting`: a word of five or more capital letters."""

        def detect(self, text):
            spans = [
                Span(i, i + len(w), w, "capitals")
                for i, w in ((text.find(w), w) for w in text.split())
                if len(w) >= 5 and w.isupper()
            ]
            return {"shouting": spans} if spans else {}

    class Memory:
        def __init__(self, label):
            self.label = label

        def publish(self, publication):
            published.append((self.label, publication.text))
            return f"memory:{len(published)}"

    class Notes:
        def notify(self, notification):
            sent.append((notification.event, [r.id for r in notification.recipients]))

    def no_word(options):
        word = options["word"]
        return lambda given: [Finding(f"says {word}")] if word in given.post.text else []

    @hookimpl
    def register_topic_detectors():
        return [DetectorSpec("capitals", lambda topics: Shouting())]

    @hookimpl
    def register_checks():
        return [
            CheckSpec(
                "no-word",
                no_word,
                options_schema={"word": {"type": "string", "required": True}},
                default_action=Effect.WARN,
            )
        ]

    @hookimpl
    def register_publishers():
        return [PublisherSpec("memory", lambda o: Memory(**o), {"label": {"type": "string"}})]

    @hookimpl
    def register_notifiers():
        return [NotifierSpec("memory-notes", lambda o: Notes())]

    @hookimpl
    def register_directory_sources():
        people = {"users": {"dee": {"name": "Dee"}}, "groups": {"extra": {"members": ["dee"]}}}
        return [DirectorySpec("static-people", lambda options, policy_dir: people)]

    for name, value in list(locals().items()):
        if name.startswith("register_"):
            setattr(plugin, name, value)
    return plugin


@pytest.fixture
def setup(tmp_path, monkeypatch):
    sent, published = [], []
    plugin = make_plugin(sent, published)
    monkeypatch.setitem(sys.modules, plugin.__name__, plugin)
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name="sayso_test_plugin")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "policy.yaml").write_text(POLICY)
    engine = load_engine(str(tmp_path / "p"), pm)
    return engine, pm, sent, published, tmp_path


def test_plugin_is_listed(setup):
    _, pm, *_ = setup
    assert "sayso_test_plugin" in {p["name"] for p in get_plugins(pm)}


def test_detector_check_and_directory_source_shape_decisions(setup):
    engine, *_ = setup
    assert "dee" in engine.policy.users and engine.is_member("dee", "group:extra")
    decision = engine.decide(Post("ann", "board/main", "This is GREAT news lol"))
    assert decision.decision is Outcome.NEEDS_SIGNOFF
    assert {r.id for r in decision.reasons} == {"shouting", "no-word"}
    [topic] = decision.topics
    assert topic.spans[0].text == "GREAT"
    assert engine.decide(Post("ann", "board/main", "quiet news")).decision is Outcome.APPROVED


def test_publisher_and_notifier_receive_the_approved_post(setup):
    engine, pm, sent, published, tmp_path = setup
    wf = Workflow(engine, Store.create(f"sqlite:///{tmp_path / 's.db'}"), pm)
    t0 = datetime(2026, 5, 4, tzinfo=UTC)
    sub = wf.submit("ann", "board/main", "GREAT news", now=t0)
    done = wf.approve(sub.id, "cat", now=t0 + timedelta(minutes=1))
    assert done.status is Status.PUBLISHED
    assert published == [("main", "GREAT news")]
    assert sent == [("pending", ["cat"]), ("approved", ["ann"])]
    wf.store.close()


def test_a_new_pending_post_tells_its_current_owners_but_never_its_author(setup):
    engine, pm, sent, published, tmp_path = setup
    wf = Workflow(engine, Store.create(f"sqlite:///{tmp_path / 's.db'}"), pm)
    t0 = datetime(2026, 5, 4, tzinfo=UTC)
    assert wf.submit("ann", "board/main", "quiet news", now=t0).status is Status.PUBLISHED
    sub = wf.submit("ann", "board/main", "GREAT news", now=t0)
    assert sent == [("pending", ["cat"])]  # nothing for the approved post
    sent.clear()
    wf.revise(sub.id, "ann", "STILL great news", now=t0 + timedelta(minutes=5))
    assert sent == [("pending", ["cat"])]  # a new revision asks again
    # an author who owns the sign-off is never asked to approve their own post
    assert wf.notifier._recipients(["group:reviewers", "user:ann"], exclude=["cat"]) == [
        {"id": "ann", "name": "", "email": "ann@x.example"}
    ]
    wf.store.close()


def test_a_failing_topic_detector_denies_instead_of_crashing(tmp_path):
    plugin = types.ModuleType("sayso_broken_detector")

    class Broken:
        def detect(self, text):
            raise RuntimeError("dictionary missing")

    plugin.register_topic_detectors = hookimpl(lambda: [DetectorSpec("broken", lambda t: Broken())])
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name="sayso_broken_detector")
    (tmp_path / "p.yaml").write_text(
        "users: {ann: {}}\nchannels: {a/b: {}}\nrules: [{id: r, allow: ['*'], channels: ['*']}]\n"
        "topics: {t: {requires: {signoff: [user:ann]}}}\n"
    )
    decision = load_engine(str(tmp_path), pm).decide(Post("ann", "a/b", "hello"))
    assert decision.decision is Outcome.DENIED
    assert "dictionary missing" in decision.reasons[0].message


def test_a_check_defaulting_to_signoff_must_name_an_owner(tmp_path):
    plugin = types.ModuleType("sayso_strict_check")
    spec = CheckSpec("strict", lambda options: lambda given: [], default_action=Effect.SIGNOFF)
    plugin.register_checks = hookimpl(lambda: [spec])
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name="sayso_strict_check")
    (tmp_path / "p.yaml").write_text("users: {ann: {}}\nchecks:\n  - {use: strict}\n")
    with pytest.raises(PolicyError) as info:
        load_engine(str(tmp_path), pm)
    assert "p.yaml:3:5: check 'strict' requires a sign-off but names no one" in str(info.value)
    (tmp_path / "p.yaml").write_text(
        "users: {ann: {}}\nchecks:\n  - {use: strict, signoff: [user:ann]}\n"
    )
    assert load_engine(str(tmp_path), pm).policy.checks[0].use == "strict"
