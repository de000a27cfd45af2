"""`sayso validate` and `sayso schema`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "policies"
LOCATED = re.compile(r"^.+:\d+:\d+: .+$")


@pytest.fixture
def runner():
    return CliRunner()


def validate(runner, folder, *args):
    return runner.invoke(cli, ["--policy", str(folder), "validate", *args])


def test_valid_policy_prints_a_summary(runner):
    result = validate(runner, FIXTURES / "good" / "spec")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert "valid (7 users, 7 groups, 3 channels, 2 rules, 2 topics; version " in line
    assert re.search(r"version [0-9a-f]{12}\)$", line)


def test_invalid_policy_prints_every_problem_located(runner):
    folder = FIXTURES / "bad" / "typo-key"
    result = validate(runner, folder)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert all(LOCATED.match(line) for line in lines), lines
    assert (
        f"{folder}/topics.yaml:4:5: unknown key 'keywrods' in topic 'rates' (did you mean 'keywords'?)"
        in lines
    )
    assert "Traceback" not in result.output


def test_warnings_are_printed_and_do_not_fail(runner, tmp_path):
    (tmp_path / "p.yaml").write_text(
        "users: {dana: {}}\nrules:\n  - {id: r, allow: ['*'], channels: ['x/*']}\n"
    )
    result = validate(runner, tmp_path)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == (
        f"{tmp_path}/p.yaml:3:38: warning: channel glob 'x/*' in rule 'r' matches no channel"
    )


def test_json_output(runner):
    folder = FIXTURES / "bad" / "references"
    result = validate(runner, folder, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["version"] is None
    first = data["errors"][0]
    assert first == {
        "file": f"{folder}/policy.yaml",
        "line": 3,
        "col": 29,
        "message": "unknown user 'dnaa' in members of group 'support' (did you mean 'dana'?)",
    }
    assert (
        data["warnings"][0]["message"] == "channel glob 'linkedin/*' in rule 'r' matches no channel"
    )

    good = json.loads(validate(runner, FIXTURES / "good" / "spec", "--json").stdout)
    assert good["valid"] is True and len(good["version"]) == 64 and good["errors"] == []
    assert good["counts"] == {"users": 7, "groups": 7, "channels": 3, "rules": 2, "topics": 2}


@pytest.mark.parametrize("bad", sorted(p.name for p in (FIXTURES / "bad").iterdir()))
def test_every_bad_fixture_fails_cleanly(runner, bad):
    result = validate(runner, FIXTURES / "bad" / bad)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert all(LOCATED.match(line) for line in result.output.splitlines())


def test_missing_directory(runner, tmp_path):
    result = validate(runner, tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.stdout.strip() == (
        f"{tmp_path}/nowhere:1:1: no policy directory '{tmp_path}/nowhere' (give one with --policy or SAYSO_POLICY)"
    )


def test_policy_from_the_environment(runner, monkeypatch):
    monkeypatch.setenv("SAYSO_POLICY", str(FIXTURES / "good" / "split"))
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0 and "3 users" in result.stdout


def test_schema_prints_the_json_schema(runner):
    result = runner.invoke(cli, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["topics"]["description"]


def test_as_a_process_no_traceback(tmp_path):
    (tmp_path / "p.yaml").write_bytes(b"\x00\xff garbage: [\n")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "--policy", str(tmp_path), "validate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"{tmp_path}/p.yaml:1:")
