"""`sayso check` says when a history-based check (canned-reply) could not run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", target)
    (target / "canned.yaml").write_text(
        "checks:\n  - {use: canned-reply, channels: ['twitter/*'], kinds: [reply]}\n"
    )
    return target


def check(policy: Path, *args: str):
    base = ["--policy", str(policy), "check", "--author", "dana", "--text", "Hello there"]
    return CliRunner().invoke(cli, [*base, *args])


def test_text_says_the_check_did_not_run(policy):
    result = check(policy, "--channel", "twitter/nmtw_help", "--kind", "reply")
    assert result.exit_code == 0
    assert "Not run: check canned-reply compares with earlier posts" in result.output


def test_json_lists_it(policy):
    args = ["--channel", "twitter/nmtw_help", "--kind", "reply", "--json"]
    assert json.loads(check(policy, *args).output)["checks_not_run"] == ["canned-reply"]


@pytest.mark.parametrize(
    "args",
    [
        ["--channel", "facebook/nmtw", "--kind", "reply"],  # not a channel it applies to
        ["--channel", "twitter/nmtw_help", "--kind", "post"],  # not a kind it checks
    ],
)
def test_nothing_said_where_it_would_not_run_anyway(policy, args):
    result = check(policy, *args)
    assert "Not run" not in result.output
    assert json.loads(check(policy, *args, "--json").output)["checks_not_run"] == []


def test_example_policy_has_no_history_checks():
    result = CliRunner().invoke(
        cli,
        [
            "--policy",
            str(ROOT / "policies"),
            "check",
            "--author",
            "dana",
            "--channel",
            "twitter/nmtw_help",
            "--kind",
            "reply",
            "--text",
            "Hi",
            "--json",
        ],
    )
    assert json.loads(result.output)["checks_not_run"] == []
