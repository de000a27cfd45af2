"""`history:` on a policy test case: earlier posts for history-based checks (canned-reply),
which then run in `sayso test` and count for coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
SORRY = "So sorry for the trouble, we are looking into it and will get back to you."


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", target)
    (target / "canned.yaml").write_text(
        "checks:\n  - {use: canned-reply, min_count: 2, action: signoff, "
        "signoff: [group:support-leads]}\n"
    )
    return target


def run_tests(policy: Path, cases: str, *args: str):
    (policy / "tests" / "canned.yaml").write_text("tests:\n" + cases)
    return CliRunner().invoke(cli, ["--policy", str(policy), "test", *args])


CASE = f"""\
  - name: the third identical reply needs a lead
    post: {{author: dana, channel: twitter/nmtw_help, kind: reply, text: "{SORRY}"}}
    expect: needs_signoff
    requires: [canned-reply]
    history:
      - "{SORRY}"
      - {{text: "{SORRY.upper()}", channel: twitter/nmtw_help, kind: reply}}
"""


def test_history_lets_canned_reply_run_and_counts_for_coverage(policy):
    result = run_tests(policy, CASE, "--coverage")
    assert result.exit_code == 0, result.output
    assert "canned-reply" not in result.output.split("coverage:")[1]


def test_without_history_the_check_cannot_fire(policy):
    case = CASE.split("    history:")[0]
    result = run_tests(policy, case)
    assert result.exit_code == 1
    assert "expected needs_signoff" in result.output or "needs_signoff" in result.output


def test_history_on_another_channel_counts_unless_the_check_is_per_channel(policy):
    case = CASE.replace(
        f'      - "{SORRY}"\n',
        f'      - {{text: "{SORRY}", channel: facebook/nmtw, kind: reply}}\n',
    )
    assert run_tests(policy, case).exit_code == 0
    (policy / "canned.yaml").write_text(
        "checks:\n  - {use: canned-reply, min_count: 2, action: signoff, "
        "signoff: [group:support-leads], across_channels: false}\n"
    )
    assert run_tests(policy, case).exit_code == 1


@pytest.mark.parametrize(
    "history, message",
    [
        ("history: yes", "history must be a list"),
        ("history: [{txt: hi}]", "an earlier post is a text"),
        ("history: [{text: hi, knd: reply}]", "unknown key 'knd'"),
        ("history: [{text: hi, kind: story}]", "kind must be post or reply"),
    ],
)
def test_bad_history_is_reported_at_its_line(policy, history, message):
    case = CASE.split("    history:")[0] + f"    {history}\n"
    result = run_tests(policy, case)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "canned.yaml:" in result.output and message in result.output, result.output
