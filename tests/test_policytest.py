"""Policy tests: `engine.policytest` and `sayso test`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.compiler import load_engine
from engine.errors import NotFound, PolicyError
from engine.model import Outcome
from engine.policytest import load_cases, run_policy_tests

FIXTURES = Path(__file__).parent / "fixtures" / "policytest"
POLICY = FIXTURES / "policy"
CASE = """\
tests:
  - name: staff may post
    post: {author: ann, channel: twitter/co, text: hello}
    expect: approved
"""


@pytest.fixture(scope="module")
def engine():
    return load_engine(str(POLICY))


@pytest.fixture
def runner():
    return CliRunner()


def sayso_test(runner, *args, policy=POLICY):
    return runner.invoke(cli, ["--policy", str(policy), "test", *args])


def write_tests(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.yaml").write_text(text, encoding="utf-8")
    return folder


# ---- the runner -----------------------------------------------------------------


def test_every_case_of_the_fixture_passes_and_covers_everything(engine):
    report = run_policy_tests(engine, POLICY / "tests")
    assert (report.passed, report.failed) == (8, 0)
    assert report.coverage.uncovered == ()
    assert (report.coverage.exercised, report.coverage.total) == (7, 7)
    first = report.cases[0]
    assert (first.name, first.line, first.expected, first.actual) == (
        "staff may post",
        4,
        Outcome.APPROVED,
        Outcome.APPROVED,
    )
    assert first.file.endswith("all.yaml")


def test_failures_record_expected_and_actual(engine):
    report = run_policy_tests(engine, FIXTURES / "failing")
    by_name = {c.name: c for c in report.cases}
    assert [c.passed for c in report.cases] == [True, False, False, False]
    wrong = by_name["wrong decision"]
    assert (wrong.expected, wrong.actual) == (Outcome.APPROVED, Outcome.DENIED)
    assert wrong.missing_reasons == ("staff-post",)
    assert [i for i, _ in wrong.reasons] == ["money"]
    reasons = by_name["wrong reasons and requirements"]
    assert reasons.expected == reasons.actual == Outcome.NEEDS_SIGNOFF
    assert reasons.unexpected_reasons == ("help",)
    assert (reasons.expected_requires, reasons.actual_requires) == ((), ("help",))
    assert reasons.missing_warnings == ("rivals",)
    # `at` past the waiver's expiry: the check applies again
    assert by_name["waiver has expired"].actual == Outcome.DENIED


def test_coverage_lists_what_no_case_exercised_in_policy_order(engine):
    report = run_policy_tests(engine, FIXTURES / "partial")
    assert report.coverage.uncovered == (
        ("rule", "no-bo-linkedin"),
        ("rule", "trial-rule"),
        ("topic", "help"),
        ("topic", "rivals"),
        ("check", "max-length"),
    )
    assert round(report.coverage.percent, 1) == 28.6


def test_a_topic_found_on_a_channel_where_it_is_not_in_force_is_not_exercised(tmp_path):
    policy = tmp_path / "p"
    policy.mkdir()
    (policy / "policy.yaml").write_text(
        "users: {ann: {}}\n"
        "channels: {twitter/co: {}, linkedin/co: {}}\n"
        "rules: [{id: r, allow: ['*'], channels: ['*']}]\n"
        "topics: {money: {keywords: [price], action: deny, channels: [linkedin/co]}}\n"
    )
    tests = write_tests(
        policy / "tests",
        "tests:\n  - name: n\n    post: {author: ann, channel: twitter/co, text: price}\n"
        "    expect: approved\n",
    )
    report = run_policy_tests(load_engine(str(policy)), tests)
    assert report.failed == 0
    assert report.coverage.uncovered == (("topic", "money"),)


def test_requires_compares_the_whole_set(engine, tmp_path):
    tests = write_tests(
        tmp_path,
        "tests:\n  - name: n\n    post: {author: ann, channel: twitter/co, text: a complaint}\n"
        "    expect: needs_signoff\n    requires: [help, money]\n",
    )
    (case,) = run_policy_tests(engine, tests).cases
    assert not case.passed
    assert case.actual_requires == ("help",)


def test_misspelt_keys_are_reported_at_their_line(engine):
    with pytest.raises(PolicyError) as caught:
        load_cases(FIXTURES / "misspelt", known_ids={"rule": ("staff-post",)})
    lines = [str(p) for p in caught.value.problems]
    name = str(FIXTURES / "misspelt" / "cases.yaml")
    assert f"{name}:8:5: unknown key 'reasons_includes' (did you mean 'reasons_include'?)" in lines
    assert f"{name}:10:25: unknown key 'chanel' (did you mean 'channel'?)" in lines
    assert any(line.startswith(f"{name}:11:13: expect must be one of") for line in lines)
    assert any(line.startswith(f"{name}:15:23: 'staf-post' is not a rule") for line in lines)
    assert any(line.startswith(f"{name}:16:9: at: 'next tuesday'") for line in lines)


@pytest.mark.parametrize(
    "text, message",
    [
        ("tests: [\n", "invalid YAML"),
        ("- name: x\n", "a test file is a mapping with a 'tests:' list"),
        ("tests: {name: x}\n", "'tests' must be a list of cases"),
        ("tests:\n  - name: x\n", "a test case needs 'post'"),
        ("tests:\n  - just a string\n", "a test case is a mapping"),
        (CASE + "extra: 1\n", "unknown key 'extra'"),
        (CASE + "    name: again\n", "duplicate key 'name'"),
        (CASE.replace("text: hello", "text: hello, kind: story"), "kind must be post or reply"),
        (CASE + "    reasons_include: staff-post\n", "reasons_include must be a list"),
    ],
)
def test_bad_test_files_are_policy_errors(tmp_path, text, message):
    write_tests(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_cases(tmp_path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "cases.yaml") + ":")


def test_a_directory_without_cases_is_an_error(tmp_path):
    with pytest.raises(PolicyError, match="no test cases"):
        load_cases(tmp_path)
    with pytest.raises(NotFound, match="no test directory"):
        load_cases(tmp_path / "missing")


# ---- the command ----------------------------------------------------------------


def test_cli_all_pass(runner):
    result = sayso_test(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "8 passed, 0 failed"


def test_cli_prints_each_failure_with_expected_and_actual(runner):
    result = sayso_test(runner, "--tests", str(FIXTURES / "failing"))
    assert result.exit_code == 1
    out = result.stdout
    assert "cases.yaml:5: wrong decision\n  expected: approved\n  actual:   denied\n" in out
    assert "  missing reasons: staff-post\n" in out
    assert "  unexpected reasons: help\n" in out
    assert "  requirements: expected none; actual help\n" in out
    assert "  missing warnings: rivals\n" in out
    assert "cases.yaml:15: waiver has expired" in out
    assert "passes" not in out
    assert out.splitlines()[-1] == "1 passed, 3 failed"


def test_cli_coverage_lists_the_unexercised(runner):
    result = sayso_test(runner, "--tests", str(FIXTURES / "partial"), "--coverage")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2 passed, 0 failed",
        "not exercised: rule no-bo-linkedin",
        "not exercised: rule trial-rule",
        "not exercised: topic help",
        "not exercised: topic rivals",
        "not exercised: check max-length",
        "coverage: 28.6% (2/7)",
    ]


@pytest.mark.parametrize("limit, code", [("28", 0), ("28.6", 1), ("50", 1), ("0", 0)])
def test_cli_fail_under(runner, limit, code):
    result = sayso_test(runner, "--tests", str(FIXTURES / "partial"), "--fail-under", limit)
    assert result.exit_code == code, result.output
    assert "coverage: 28.6% (2/7)" in result.stdout
    assert ("below --fail-under" in result.stdout) == (code == 1)


def test_cli_fail_under_full_coverage_passes(runner):
    result = sayso_test(runner, "--fail-under", "100")
    assert result.exit_code == 0, result.output


def test_cli_fail_under_must_be_a_percentage(runner):
    result = sayso_test(runner, "--fail-under", "120")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_json_shape(runner):
    result = sayso_test(runner, "--tests", str(FIXTURES / "failing"), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"passed", "failed", "cases", "coverage"}
    assert (data["passed"], data["failed"]) == (1, 3)
    case = data["cases"][1]
    assert case["name"] == "wrong decision"
    assert (case["expected"], case["actual"], case["passed"]) == ("approved", "denied", False)
    assert case["line"] == 5 and case["file"].endswith("cases.yaml")
    assert case["reasons"][0]["id"] == "money"
    assert case["missing_reasons"] == ["staff-post"]
    assert data["coverage"] == {
        "percent": 57.1,
        "exercised": 4,
        "total": 7,
        "uncovered": [
            {"kind": "rule", "id": "no-bo-linkedin"},
            {"kind": "rule", "id": "trial-rule"},
            {"kind": "topic", "id": "rivals"},
        ],
    }


def test_cli_misspelt_key_is_one_located_error_line(runner):
    result = sayso_test(runner, "--tests", str(FIXTURES / "misspelt"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 6
    assert all(line.startswith("error: ") and "cases.yaml:" in line for line in lines)
    assert "cases.yaml:8:5: unknown key 'reasons_includes'" in lines[0]
    assert result.stdout == ""


def test_cli_broken_policy_is_reported_not_run(runner, tmp_path):
    policy = tmp_path / "p"
    shutil.copytree(POLICY, policy)
    (policy / "extra.yaml").write_text(
        "rules:\n  - id: r\n    alow: [user:ann]\n    channels: ['*']\n"
    )
    result = sayso_test(runner, policy=policy)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert f"{policy / 'extra.yaml'}:3:5: unknown key 'alow'" in lines[1]
    assert "passed" not in result.output
    assert "Traceback" not in result.output


def test_cli_tests_default_to_the_policy_tests_folder(runner, tmp_path):
    policy = tmp_path / "p"
    shutil.copytree(POLICY, policy, ignore=shutil.ignore_patterns("tests"))
    result = sayso_test(runner, policy=policy)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: no test directory '{policy / 'tests'}' (give one with --tests DIR)"
    )


def test_a_waived_rule_counts_as_exercised(tmp_path):
    policy = tmp_path / "p"
    policy.mkdir()
    (policy / "policy.yaml").write_text(
        "users: {ann: {}}\n"
        "channels: {twitter/co: {}}\n"
        "rules:\n"
        "  - {id: open, allow: ['*'], channels: ['*']}\n"
        "  - {id: no-ann, deny: [user:ann], channels: ['*']}\n"
        "waivers:\n"
        "  - {id: w, principals: [user:ann], rules: [no-ann], reason: pilot, expires: 2030-01-31}\n"
    )
    tests = write_tests(
        policy / "tests",
        "tests:\n  - name: n\n    at: 2030-01-31T12:00:00Z\n"
        "    post: {author: ann, channel: twitter/co, text: hi}\n"
        "    expect: approved\n    warnings_include: [no-ann]\n",
    )
    report = run_policy_tests(load_engine(str(policy)), tests)
    assert report.failed == 0
    assert report.coverage.uncovered == ()
