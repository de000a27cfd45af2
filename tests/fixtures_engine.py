"""Fixtures for the compiler and decision tests: the SPEC's example policy, built in code."""

from __future__ import annotations

from datetime import date

import pytest

from engine.compiler import compile_policy
from engine.model import (
    Channel,
    CheckConfig,
    Effect,
    Escalation,
    EscalationLevel,
    Group,
    Kind,
    Policy,
    Rule,
    Signoff,
    Topic,
    User,
    Waiver,
)


def sample_policy(**overrides) -> Policy:
    """The example of SPEC.md "Policy files", plus a few users and a waiver."""
    users = {
        u: User(u, name=u.title())
        for u in ("dana", "eli", "fran", "gus", "tess", "ivy", "vp-member-services", "president")
    }
    groups = {
        "support": Group("support", members=("dana", "eli"), includes=("support-leads",)),
        "support-leads": Group("support-leads", members=("fran",)),
        "member-services": Group("member-services", members=("gus",)),
        "treasury": Group("treasury", members=("tess",)),
        "interns": Group("interns", members=("ivy",)),
        "marketing": Group("marketing", members=("gus", "ivy")),
        "web-team": Group("web-team", members=("gus",)),
        "compliance": Group("compliance", members=("president",)),
    }
    channels = {
        "twitter/nmtw_help": Channel("twitter/nmtw_help", "twitter", max_length=280),
        "facebook/nmtw": Channel("facebook/nmtw", "facebook"),
        "linkedin/acme": Channel("linkedin/acme", "linkedin"),
    }
    rules = (
        Rule(
            "support-replies",
            Effect.ALLOW,
            ("group:support",),
            ("twitter/*", "facebook/nmtw"),
            kinds=(Kind.REPLY,),
        ),
        Rule("support-posts-facebook", Effect.ALLOW, ("group:support",), ("facebook/nmtw",)),
        Rule("treasury-anywhere", Effect.ALLOW, ("group:treasury",), ("*",)),
        Rule("marketing-linkedin", Effect.ALLOW, ("group:marketing",), ("linkedin/*",)),
        Rule("no-interns-on-linkedin", Effect.DENY, ("group:interns",), ("linkedin/*",)),
    )
    topics = {
        "account-closure": Topic(
            "account-closure",
            keywords=("close your account", "closure"),
            patterns=(r"\bacct\s*#?\d{6,}\b",),
            requires=Signoff(("group:member-services",), 1),
            escalation="complaint-chain",
        ),
        "rates": Topic(
            "rates",
            keywords=("APR", "interest rate"),
            action=Effect.DENY,
            message="Rate quotes are posted by Treasury only.",
            except_=("group:treasury",),
        ),
    }
    escalations = {
        "complaint-chain": Escalation(
            "complaint-chain",
            (
                EscalationLevel(7200, ("group:support-leads",)),
                EscalationLevel(14400, ("user:vp-member-services",)),
                EscalationLevel(86400, ("user:president",)),
            ),
        )
    }
    checks = (
        CheckConfig("max-length", "max-length"),
        CheckConfig(
            "links",
            "links",
            options=(("allow_domains", ["nmtw.example"]),),
            action=Effect.SIGNOFF,
            requires=Signoff(("group:web-team",), 1),
        ),
    )
    fields = dict(
        version="v-test",
        users=users,
        groups=groups,
        channels=channels,
        rules=rules,
        topics=topics,
        escalations=escalations,
        checks=checks,
        roles={"auditors": ("group:compliance",), "admins": ("user:fran",)},
        waivers=(
            Waiver(
                "gus-rates",
                ("user:gus",),
                ("rates",),
                "quarterly rate announcement",
                date(2026, 6, 30),
            ),
        ),
    )
    fields.update(overrides)
    return Policy(**fields)


@pytest.fixture(scope="session")
def engine():
    return compile_policy(sample_policy())
