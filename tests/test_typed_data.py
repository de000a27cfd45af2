"""Typed data where strings travel: enums as the one source, decisions that round-trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from engine import audit
from engine.compiler import compile_policy
from engine.model import (
    Effect,
    Enforcement,
    EventType,
    Kind,
    Outcome,
    Post,
    Rule,
    Status,
    decision_from_dict,
)
from tests.fixtures_engine import sample_policy
from web.openapi import DOCUMENT, SCHEMAS

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_advisory_survives_the_json_round_trip():
    policy = sample_policy()
    advisory = Rule(
        "soon-no-facebook",
        Effect.DENY,
        ("group:support",),
        ("facebook/nmtw",),
        enforcement=Enforcement.ADVISORY,
    )
    engine = compile_policy(replace(policy, rules=(*policy.rules, advisory)))
    decision = engine.decide(Post("dana", "facebook/nmtw", "Hello!"), now=NOW)
    [warning] = [w for w in decision.warnings if w.id == "soon-no-facebook"]
    assert warning.advisory
    data = decision.to_dict()
    assert [w["advisory"] for w in data["warnings"]] == [True]
    assert all(r["advisory"] is False for r in data["reasons"])
    assert decision_from_dict(data) == decision


def test_openapi_enums_are_the_engine_enums():
    props = SCHEMAS["Submission"]["properties"]
    assert props["status"]["enum"] == [s.value for s in Status]
    assert props["kind"]["enum"] == [k.value for k in Kind]
    assert props["decision"]["enum"] == [o.value for o in Outcome]
    reason = props["reasons"]["items"]["properties"]
    assert reason["effect"]["enum"] == [e.value for e in Effect]
    [event] = [
        p for p in DOCUMENT["paths"]["/api/v1/audit"]["get"]["parameters"] if p["name"] == "event"
    ]
    assert event["schema"]["enum"] == [e.value for e in EventType]


def test_audit_accepts_exactly_the_event_types():
    assert tuple(e.value for e in EventType) == audit.EVENTS
