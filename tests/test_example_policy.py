"""The shipped example policy (`policies/`): valid, its tests pass, fully covered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.compiler import load_engine
from engine.model import Outcome, Post
from engine.policies import validate_policy

POLICIES = Path(__file__).parent.parent / "policies"


@pytest.fixture(scope="module")
def engine():
    return load_engine(str(POLICIES))


def run(*args):
    return CliRunner().invoke(cli, ["--policy", str(POLICIES), *args])


def test_validates_without_errors_or_warnings():
    result = validate_policy(str(POLICIES))
    assert result.valid, result.errors
    assert result.warnings == ()
    cli_result = run("validate")
    assert cli_result.exit_code == 0, cli_result.output
    assert "warning" not in cli_result.output


def test_its_tests_all_pass_with_full_coverage():
    result = run("test", "--coverage", "--fail-under", "100")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(" passed, 0 failed")
    assert lines[-1] == "coverage: 100.0% (14/14)"
    data = json.loads(run("test", "--json").stdout)
    assert data["failed"] == 0 and data["passed"] >= 30
    assert data["coverage"]["uncovered"] == []


def test_the_organisation(engine):
    policy = engine.policy
    assert len(policy.users) == 16
    assert all(u.email == f"{u.id}@nmtw.example" and u.name for u in policy.users.values())
    assert engine.members("group:support") == {"dana", "eli", "fran", "gus"}
    assert engine.members("group:marketing") >= {"hana", "ivan", "pat"}
    assert [lv.to for lv in engine.escalation_levels("complaint-chain")] == [
        ("group:support-leads",),
        ("user:quinn",),
        ("user:rosa",),
    ]
    assert engine.has_role("nia", "auditors") and engine.has_role("nia", "admins")
    assert not engine.has_role("rosa", "admins")
    assert {c.id: c.max_length for c in policy.channels.values()} == {
        "twitter/nmtw_help": 280,
        "twitter/nmtw": 280,
        "facebook/nmtw": None,
        "instagram/nmtw": 2200,
        "linkedin/nmtw": 3000,
    }


def test_a_crisis_needs_two_executives(engine):
    decision = engine.decide(Post("rosa", "twitter/nmtw", "Our data breach response is underway."))
    assert decision.decision == Outcome.NEEDS_SIGNOFF
    (requirement,) = decision.requirements
    assert (requirement.id, requirement.signoff, requirement.approvals) == (
        "crisis",
        ("group:executives",),
        2,
    )


def test_check_cli_on_a_few_posts():
    def check(author, channel, text, kind="post"):
        return run(
            "check", "--author", author, "--channel", channel, "--kind", kind, "--text", text
        )

    assert check("dana", "twitter/nmtw_help", "Happy to help!", "reply").exit_code == 0
    assert check("hana", "twitter/nmtw", "Loans at 5% APR").exit_code == 1
    held = check("kim", "twitter/nmtw", "hello")
    assert held.exit_code == 1 and "no rule lets kim post to twitter/nmtw" in held.stdout
    assert check("jo", "facebook/nmtw", "Talk to our attorney about the lawsuit").exit_code == 3
