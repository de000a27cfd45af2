"""`sayso init DIR` (engine.scaffold)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from engine.errors import SaysoError
from engine.scaffold import write_example


@pytest.fixture
def runner():
    return CliRunner()


def test_init_writes_a_policy_that_validates_and_passes_its_tests(runner, tmp_path):
    target = tmp_path / "new" / "policy"
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target / 'policy.yaml'}" in result.stdout
    assert (target / "tests" / "policy_test.yaml").is_file()
    validated = runner.invoke(cli, ["--policy", str(target), "validate"])
    assert validated.exit_code == 0, validated.output
    assert "warning" not in validated.output
    tested = runner.invoke(cli, ["--policy", str(target), "test", "--coverage"])
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.splitlines()[0] == "7 passed, 0 failed"
    assert tested.stdout.splitlines()[-1] == "coverage: 100.0% (6/6)"


def test_init_accepts_an_empty_directory(tmp_path):
    written = write_example(tmp_path)
    assert sorted(p.removeprefix(str(tmp_path)) for p in written) == [
        "/.sayso/policy.schema.json",
        "/.sayso/tests.schema.json",
        "/policy.yaml",
        "/tests/policy_test.yaml",
    ]


def test_init_refuses_a_directory_that_is_not_empty(runner, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path} is not empty; choose a new or empty directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_init_refuses_a_file(tmp_path):
    target = tmp_path / "file.yaml"
    target.write_text("x")
    with pytest.raises(SaysoError, match="exists and is not a directory"):
        write_example(target)


def test_init_json_lists_the_files(tmp_path):
    import json

    result = CliRunner().invoke(cli, ["init", str(tmp_path / "new"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["directory"] == str(tmp_path / "new")
    assert data["files"] == [
        str(tmp_path / "new" / "policy.yaml"),
        str(tmp_path / "new" / "tests" / "policy_test.yaml"),
        str(tmp_path / "new" / ".sayso" / "policy.schema.json"),
        str(tmp_path / "new" / ".sayso" / "tests.schema.json"),
    ]
