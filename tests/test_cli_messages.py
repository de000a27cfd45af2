"""Messages the README tour ran into, made right: a missing --tests directory, a missing
directory given to diff or replay, retry that did not publish, --publish-at in the past."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
POLICY = str(ROOT / "policies")


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, policy: str = POLICY):
        result = CliRunner().invoke(cli, ["--policy", policy, "--db", "sqlite:///t.db", *args])
        assert "Traceback" not in result.output
        return result

    return invoke


def one_error(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_test_with_a_missing_directory(run):
    result = run("test", "--tests", "/nonexistent")
    assert result.exit_code == 1
    assert (
        one_error(result) == "error: no test directory '/nonexistent' (give one with --tests DIR)"
    )


def test_diff_with_a_missing_directory_names_it_without_suggesting_policy(run):
    result = run("diff", "/nope", POLICY)
    assert result.exit_code == 2
    assert one_error(result) == "error: no policy directory '/nope'"


def test_replay_with_a_missing_directory(run):
    result = run("replay", "--with", "/nope")
    assert result.exit_code == 2
    assert one_error(result) == "error: --with: no policy directory '/nope'"


def test_publish_at_in_the_past_is_refused(run):
    base = ["submit", "--author", "dana", "--channel", "twitter/nmtw_help", "--kind", "reply"]
    result = run(*base, "--text", "Hello", "--publish-at", "2020-01-01T00:00:00Z")
    assert result.exit_code == 2
    assert "--publish-at 2020-01-01T00:00:00Z is in the past" in one_error(result)
    later = run(
        *base,
        "--text",
        "Hello",
        "--at",
        "2019-12-31T00:00:00Z",
        "--publish-at",
        "2020-01-01T00:00:00Z",
    )
    assert later.exit_code == 0, later.output  # in the future of the submission time
    assert "publish at: 2020-01-01T00:00:00Z" in later.output


def test_retry_exits_1_until_it_publishes(run, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the outbox wants a directory")
    policy = tmp_path / "p"
    policy.mkdir()
    (policy / "p.yaml").write_text(
        "users: {dana: {}}\ngroups: {s: {members: [dana]}}\n"
        f"channels: {{twitter/x: {{platform: twitter, publisher_options: "
        f"{{path: '{blocker}/out.jsonl'}}}}}}\n"
        "rules: [{id: r, allow: [group:s], channels: ['*']}]\n"
    )
    submitted = run(
        "submit", "--author", "dana", "--channel", "twitter/x", "--text", "Hi", policy=str(policy)
    )
    assert submitted.exit_code == 0, submitted.output
    again = run("retry", "1", "--as", "dana", policy=str(policy))
    assert again.exit_code == 1
    assert "error: publishing submission 1 failed again: cannot write the outbox" in again.output
    blocker.unlink()
    done = run("retry", "1", "--as", "dana", policy=str(policy))
    assert done.exit_code == 0, done.output
    assert "submission 1: published" in done.output
    nothing = run("retry", "1", "--as", "dana", policy=str(policy))
    assert nothing.exit_code == 1
    assert "has no failed publication to retry" in nothing.output
