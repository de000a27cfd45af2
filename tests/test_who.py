"""`sayso who`: who may post where, the same answer a post gets from `decide`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.compiler import load_engine
from engine.model import Outcome, Post

ROOT = Path(__file__).resolve().parent.parent
POLICY = str(ROOT / "policies")


def who(*args: str, policy: str = POLICY):
    result = CliRunner().invoke(cli, ["--policy", policy, "who", *args])
    assert "Traceback" not in result.output
    return result


def test_user_table_names_the_deciding_rules():
    result = who("--user", "pat")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["USER", "CHANNEL", "KIND", "ALLOWED", "RULES"]
    assert "pat   linkedin/nmtw      post   no       no-interns-on-linkedin" in lines
    assert "pat   twitter/nmtw       reply  yes      marketing-brand" in lines
    assert "pat   twitter/nmtw_help  post   no       default-deny" in lines
    assert len(lines) == 1 + 5 * 2  # five channels, two kinds


def test_channel_csv_lists_everyone_who_may_post():
    result = who("--channel", "linkedin/nmtw", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    posters = {(r["user"], r["kind"]) for r in rows}
    assert ("jo", "post") in posters and ("jo", "reply") not in posters
    assert not any(r["user"] == "pat" for r in rows)  # interns are denied on linkedin
    assert all(r["allowed"] == "yes" for r in rows)


@pytest.mark.parametrize("flag", ["--user", "--channel"])
def test_json_agrees_with_decide_for_every_answer(flag):
    engine = load_engine(POLICY)
    targets = engine.policy.users if flag == "--user" else engine.policy.channels
    for target in targets:
        rows = json.loads(who(flag, target, "--json").output)
        for row in rows:
            post = Post(row["user"], row["channel"], "Hello", row["kind"])
            decision = engine.decide(post)
            assert (decision.decision != Outcome.DENIED) == row["allowed"], row
        if flag == "--channel":  # and nobody left out may post there
            listed = {(r["user"], r["kind"]) for r in rows}
            for user in engine.policy.users:
                for kind in ("post", "reply"):
                    allowed, _ = engine.may_post(user, target, kind)
                    assert allowed == ((user, kind) in listed)


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give exactly one of --user U or --channel C"),
        (["--user", "pat", "--channel", "twitter/nmtw"], "give exactly one"),
        (["--user", "nobody"], "unknown user 'nobody'"),
        (["--channel", "tiktok/x"], "unknown channel 'tiktok/x'"),
        (["--user", "pat", "--csv", "--json"], "at most one of --csv and --json"),
    ],
)
def test_bad_input_is_one_line(args, message):
    result = who(*args)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {result.output.strip().removeprefix('error: ')}"
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_channel_nobody_may_post_to(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "users: {dana: {}}\nchannels: {twitter/x: {platform: twitter}}\n"
    )
    result = who("--channel", "twitter/x", policy=str(tmp_path))
    assert result.exit_code == 0
    assert result.output == "nobody may post to twitter/x\n"
