"""The `inbound:` policy section: schema, semantic checks at file:line:col, routing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.compiler import load_engine
from engine.decide import detect_topics
from engine.model import Outcome, Post
from engine.policies import validate_policy
from engine.scaffold import write_example

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "policies"

LABEL_POLICY = """\
users: {dana: {}, fran: {}, quinn: {}, rosa: {}}
groups:
  support: {members: [dana], includes: [support-leads]}
  support-leads: {members: [fran]}
channels: {twitter/help: {platform: twitter}, facebook/page: {platform: facebook}}
rules:
  - {id: support, allow: [group:support], channels: ["*"]}
topics:
  complaints: {keywords: [terrible service, refund, complaint]}
  praise: {keywords: [thank you]}
escalations:
  chain:
    - {after: 2h, to: [group:support-leads]}
    - {after: 1d, to: [user:rosa]}
inbound:
  routes:
    - {id: twitter-complaints, topics: [complaints], channels: ["twitter/*"],
       owners: [group:support-leads], respond_within: 2h, escalation: chain}
    - {id: any-complaint, topics: [complaints, praise], owners: [user:quinn]}
  default: {owners: [group:support], respond_within: 8h}
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    directory = tmp_path / "policy"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def label_engine(tmp_path):
    return load_engine(str(write(tmp_path, LABEL_POLICY)))


def test_first_matching_route_wins(label_engine):
    route = label_engine.route_inbound
    assert route("twitter/help", "Terrible service today").route.id == "twitter-complaints"
    assert route("facebook/page", "Terrible service today").route.id == "any-complaint"
    assert route("facebook/page", "thank you!").route.id == "any-complaint"
    assert route("twitter/help", "thank you!").route.id == "any-complaint"
    assert route("twitter/help", "What are your hours?").route.id == "default"


def test_route_carries_owners_sla_and_escalation(label_engine):
    routing = label_engine.route_inbound("twitter/help", "I want a REFUND")
    assert routing.route.owners == ("group:support-leads",)
    assert routing.route.respond_within_seconds == 7200
    assert routing.route.escalation == "chain"
    assert [t.id for t in routing.topics] == ["complaints"]
    [span] = routing.topics[0].spans
    assert (span.start, span.end, span.text) == (9, 15, "REFUND")
    default = label_engine.route_inbound("twitter/help", "hello").route
    assert default.owners == ("group:support",) and default.respond_within_seconds == 28800


HOSTILE = [
    "ＲＥＦＵＮＤ please",
    "re\u200bfund",
    "rеfund",  # Cyrillic е
    "terrible\u00a0service",
    "TERRIBLE   SERVICE",
    "refunds",  # not the whole word
    "a complaint, and a refund",
    "\u202erefund\u202c",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_routing_sees_exactly_the_topics_posts_see(label_engine, text):
    """One matcher: whatever posts detect (normalization included), routing detects."""
    routed = {t.id for t in label_engine.route_inbound("twitter/help", text).topics}
    assert routed == set(detect_topics(label_engine, text))
    post = Post("dana", "twitter/help", text or "x")
    decided = {t.id for t in label_engine.decide(post).topics}
    assert routed == decided or not text


def test_a_topic_may_only_label(label_engine):
    """No action, no requires: posts mentioning it are approved, with a warning only."""
    decision = label_engine.decide(Post("dana", "twitter/help", "Sorry about the terrible service"))
    assert decision.decision is Outcome.APPROVED
    assert decision.requirements == ()
    assert [w.id for w in decision.warnings] == ["complaints"]


def test_without_an_inbound_section_everything_goes_to_a_default_without_owners(tmp_path):
    engine = load_engine(str(write(tmp_path, "users: {a: {}}\n")))
    routing = engine.route_inbound("twitter/x", "refund")
    assert routing.route.id == "default" and routing.route.owners == ()
    assert routing.route.respond_within_seconds is None


BAD = """\
users: {dana: {}}
groups: {support: {members: [dana]}}
topics: {complaints: {keywords: [refund]}}
escalations: {chain: [{after: 1h, to: [user:dana]}]}
inbound:
  routes:
    - id: complaints
      topics: [complaint]
      owners: [group:suport]
      respond_within: 30m1h
      escalation: chian
    - id: everything
      owners: [user:dana]
    - id: never
      topics: [complaints]
      owners: [user:dana]
      colour: red
  default: {owners: [user:zed], respond_within: 0m}
"""


def test_semantic_errors_are_reported_at_their_node(tmp_path):
    directory = write(tmp_path, BAD)
    result = validate_policy(str(directory))
    assert not result.valid
    got = {(p.loc.line, p.loc.col, p.message) for p in result.errors}
    assert (
        8,
        16,
        "unknown topic 'complaint' in inbound route 'complaints' (did you mean 'complaints'?); "
        "topics: complaints",
    ) in got
    assert (
        9,
        16,
        "unknown group 'suport' in 'owners' of inbound route 'complaints' "
        "(did you mean 'support'?)",
    ) in got
    assert any(line == 10 and "30m1h" in m for line, _, m in got)
    assert any(line == 11 and "unknown escalation 'chian'" in m for line, _, m in got)
    assert any(line == 17 and "unknown key 'colour'" in m for line, _, m in got)
    assert any(line == 18 and "unknown user 'zed'" in m for line, _, m in got)
    assert any(line == 18 and "must be above 0" in m for line, _, m in got)
    assert all(p.loc.file.endswith("policy.yaml") for p in result.errors)


def test_a_route_after_a_catch_all_is_a_warning(tmp_path):
    text = BAD.split("inbound:")[0] + (
        "inbound:\n  routes:\n    - {id: all, owners: [user:dana]}\n"
        "    - {id: later, topics: [complaints], owners: [user:dana]}\n"
    )
    result = validate_policy(str(write(tmp_path, text)))
    assert result.valid
    [problem] = result.warnings
    loc, message = problem.loc, problem.message
    assert loc.line == 8 and "'later' is never used" in message and "'all'" in message


def test_duplicate_route_ids_across_files_are_errors(tmp_path):
    directory = write(tmp_path, LABEL_POLICY)
    write(tmp_path, "inbound:\n  routes:\n    - {id: any-complaint, owners: ['*']}\n", "more.yaml")
    result = validate_policy(str(directory))
    assert not result.valid
    [problem] = result.errors
    loc, message = problem.loc, problem.message
    assert "duplicate inbound route 'any-complaint'" in message
    assert "more.yaml:3:12)" in message  # the first definition (files are read by name)
    assert (Path(loc.file).name, loc.line, loc.col) == ("policy.yaml", 19, 12)


def test_routes_merge_across_files_in_file_order(tmp_path):
    directory = write(tmp_path, LABEL_POLICY.split("inbound:")[0])
    write(
        tmp_path,
        "inbound:\n  routes:\n    - {id: first, topics: [praise], owners: ['*']}\n",
        "a.yaml",
    )
    write(tmp_path, "inbound:\n  routes:\n    - {id: second, owners: ['*']}\n", "b.yaml")
    engine = load_engine(str(directory))
    assert [r.id for r in engine.policy.inbound_routes] == ["first", "second"]
    assert engine.route_inbound("x/y", "thank you").route.id == "first"
    assert engine.route_inbound("x/y", "hello").route.id == "second"


def test_example_policy_routes_complaints_to_support_leads_with_the_chain():
    engine = load_engine(str(EXAMPLE))
    routing = engine.route_inbound("twitter/nmtw_help", "Worst experience, I want a refund")
    assert routing.route.id == "complaints"
    assert routing.route.escalation == "complaint-chain"
    assert engine.members(routing.route.owners[0]) == {"fran", "gus"}
    assert engine.route_inbound("linkedin/nmtw", "refund").route.id == "linkedin"
    assert engine.route_inbound("instagram/nmtw", "nice photo").route.id == "default"
    assert engine.has_role("omar", "integrations") and not engine.has_role("dana", "integrations")


def test_init_example_has_a_working_inbound_section(tmp_path):
    write_example(tmp_path / "new")
    engine = load_engine(str(tmp_path / "new"))
    assert engine.route_inbound("twitter/example_help", "a refund?").route.id == "complaints"
    assert engine.policy.inbound_default.respond_within_seconds == 8 * 3600


def test_example_policy_copy_with_broken_inbound_is_refused(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(EXAMPLE, copy)
    text = (
        (copy / "inbound.yaml")
        .read_text()
        .replace("escalation: complaint-chain", "escalation: x", 1)
    )
    (copy / "inbound.yaml").write_text(text)
    result = validate_policy(str(copy))
    assert [p.message for p in result.errors] == [
        "unknown escalation 'x' in inbound route 'complaints'; escalations: complaint-chain"
    ]
