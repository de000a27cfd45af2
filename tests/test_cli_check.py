"""`sayso check`: evaluates a post, stores nothing; exit 0 approved, 1 denied, 3 sign-off, 2 bad input."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

import engine.compiler
from cli import cli
from engine.compiler import compile_policy
from tests.fixtures_engine import sample_policy

SPEC_POLICY = """\
version: 1
users:
  dana: {name: Dana Diaz, email: dana@cu.example}
  eli: {name: Eli}
  fran: {name: Fran}
  tess: {name: Tess}
  gus: {name: Gus}
groups:
  support: {members: [dana, eli], includes: [support-leads]}
  support-leads: {members: [fran]}
  treasury: {members: [tess]}
  member-services: {members: [gus]}
channels:
  twitter/nmtw_help: {platform: twitter, max_length: 280}
  facebook/nmtw: {platform: facebook}
  linkedin/acme: {platform: linkedin}
rules:
  - id: support-replies
    allow: [group:support]
    channels: ["twitter/*", facebook/nmtw]
    kinds: [reply]
  - id: support-posts
    allow: [group:support, group:treasury]
    channels: [facebook/nmtw]
topics:
  account-closure:
    keywords: ["close your account", closure]
    patterns: ['\\bacct\\s*#?\\d{6,}\\b']
    requires: {signoff: [group:member-services], approvals: 1}
  rates:
    keywords: [APR, interest rate]
    action: deny
    message: Rate quotes are posted by Treasury only.
    except: [group:treasury]
checks:
  - {use: max-length}
"""


@pytest.fixture
def runner(monkeypatch):
    """A runner whose policy is the sample policy built in code (no policy files needed)."""
    compiled = compile_policy(sample_policy())
    monkeypatch.setattr(
        engine.compiler, "load_engine", lambda policy_dir, pm=None, **opts: compiled
    )
    return CliRunner()


def check(runner, *args, input=None):
    return runner.invoke(cli, ["check", *args], input=input)


def test_approved_exits_0(runner):
    result = check(runner, "--author", "dana", "--channel", "facebook/nmtw", "--text", "Hi all")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("APPROVED")


def test_denied_exits_1_and_says_why(runner):
    result = check(runner, "--author", "dana", "--channel", "linkedin/acme", "--text", "Hi")
    assert result.exit_code == 1
    assert "no rule lets dana post to linkedin/acme" in result.output


def test_needs_signoff_exits_3(runner):
    args = ["--author", "dana", "--channel", "facebook/nmtw", "--text", "We can close your account"]
    result = check(runner, *args)
    assert result.exit_code == 3
    assert "group:member-services" in result.output


def test_json_output_shape(runner):
    args = ["--author", "dana", "--channel", "facebook/nmtw", "--json"]
    result = check(runner, *args, "--text", "Our APR is great; we can close your account.")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["decision"] == "denied"
    assert [r["id"] for r in data["reasons"]] == ["rates", "account-closure"]
    assert {"id", "kind", "message"} <= set(data["reasons"][0])
    assert data["requirements"][0]["id"] == "account-closure"
    assert data["requirements"][0]["signoff"] == ["group:member-services"]
    assert data["requirements"][0]["approvals"] == 1
    assert [t["id"] for t in data["topics"]] == ["account-closure", "rates"]
    assert data["policy_version"] == "v-test"
    assert any(step["stage"] == "rule" and not step["matched"] for step in data["trace"])


def test_reply_kind(runner):
    args = ["--author", "dana", "--channel", "twitter/nmtw_help", "--text", "Sorry!"]
    assert check(runner, *args, "--kind", "reply").exit_code == 0
    assert check(runner, *args).exit_code == 1


def test_text_from_file_and_stdin(runner, tmp_path):
    post = tmp_path / "post.txt"
    post.write_text("We can close your account today.", encoding="utf-8")
    base = ["--author", "dana", "--channel", "facebook/nmtw"]
    assert check(runner, *base, "--file", str(post)).exit_code == 3
    assert check(runner, *base, "-", input="Hello there").exit_code == 0
    assert check(runner, *base, "--file", "-", input="APR 5%").exit_code == 1


def test_at_time_applies_waivers_by_date(runner):
    base = ["--author", "gus", "--channel", "linkedin/acme", "--text", "APR news", "--at"]
    assert check(runner, *base, "2026-06-30T09:30:00Z").exit_code == 0
    assert check(runner, *base, "2026-07-01T00:00:00Z").exit_code == 1


def test_explain_lists_what_was_considered(runner):
    args = ["--author", "dana", "--channel", "linkedin/acme", "--text", "Hi", "--explain"]
    result = check(runner, *args)
    assert "Considered:" in result.output
    assert "- rule marketing-linkedin: group:marketing do not include dana" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--author", "dana", "--channel", "facebook/nmtw"], "exactly one of --text"),
        (["--author", "dana", "--channel", "facebook/nmtw", "--text", "  "], "empty"),
        (["--author", "dana", "--channel", "facebook/nmtw", "--text", "a", "-"], "exactly one"),
        (["--channel", "facebook/nmtw", "--text", "hi"], "--author and --channel are required"),
        (["--author", "dana", "--channel", "c", "--text", "a", "--kind", "story"], "post or reply"),
        (["--author", "dana", "--channel", "c", "--file", "/no/such/file"], "cannot read"),
        (["--author", "dana", "--channel", "c", "--text", "a", "--at", "yesterday"], "ISO 8601"),
    ],
)
def test_bad_input_is_one_line_exit_2(runner, args, message):
    result = check(runner, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.output


def test_unreadable_bytes_are_bad_input(runner, tmp_path):
    post = tmp_path / "post.bin"
    post.write_bytes(b"\xff\xfe\x00bad")
    result = check(runner, "--author", "dana", "--channel", "facebook/nmtw", "--file", str(post))
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_check_stores_nothing(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check(runner, "--author", "dana", "--channel", "facebook/nmtw", "--text", "Hi")
    assert list(tmp_path.iterdir()) == []


def test_end_to_end_with_policy_files(tmp_path):
    pytest.importorskip("engine.loader")
    (tmp_path / "policy.yaml").write_text(textwrap.dedent(SPEC_POLICY), encoding="utf-8")
    runner = CliRunner()
    base = ["--policy", str(tmp_path), "check", "--author", "dana", "--json"]
    approved = runner.invoke(
        cli,
        [
            *base,
            "--channel",
            "twitter/nmtw_help",
            "--kind",
            "reply",
            "--text",
            "Sorry to hear that!",
        ],
    )
    assert approved.exit_code == 0, approved.output
    closure = runner.invoke(
        cli, [*base, "--channel", "facebook/nmtw", "--text", "We can close your account today."]
    )
    assert closure.exit_code == 3, closure.output
    data = json.loads(closure.output)
    assert data["requirements"][0]["id"] == "account-closure"
    assert len(data["policy_version"]) == 64
    rates = runner.invoke(cli, [*base, "--channel", "facebook/nmtw", "--text", "Our APR is 3%"])
    assert rates.exit_code == 1 and json.loads(rates.output)["reasons"][0]["id"] == "rates"
    treasury = runner.invoke(
        cli,
        [
            "--policy",
            str(tmp_path),
            "check",
            "--author",
            "tess",
            "--channel",
            "facebook/nmtw",
            "--text",
            "Our APR is 3%",
        ],
    )
    assert treasury.exit_code == 0, treasury.output
