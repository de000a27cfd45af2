"""`sayso lint`: output formats, exit codes, positions, ignores, and the rules' edges."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.lint import lint_policy

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
users:
  dana: {name: Dana}
  fran: {name: Fran}
groups:
  support: {members: [dana]}
  leads: {members: [fran]}
channels:
  twitter/help: {platform: twitter}
  linkedin/acme: {platform: linkedin}
rules:
  - {id: support-posts, allow: [group:support], channels: ["*"]}
  - id: leads-linkedin
    allow: [group:leads]
    channels: [linkedin/acme]
  - {id: no-leads-on-linkedin, deny: [group:leads], channels: ["linkedin/*"]}
  - {id: leads-help, allow: [group:leads], channels: [twitter/help]}
"""


def lint(policy: Path, *args: str):
    result = CliRunner().invoke(cli, ["--policy", str(policy), "lint", *args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def shadowed(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(BASE)
    return tmp_path


def test_example_policy_lints_clean():
    result = lint(ROOT / "policies", "--fail-on", "warning")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "0 errors, 0 warnings\n"


def test_text_output_names_the_shadowed_rule_at_its_line(shadowed):
    result = lint(shadowed)
    assert result.exit_code == 0  # a warning does not reach the default --fail-on error
    line = f"{shadowed / 'policy.yaml'}:12:5: warning rule-shadowed-by-deny: "
    [finding] = [x for x in result.output.splitlines() if x.startswith(line)]
    assert "'leads-linkedin'" in finding and "'no-leads-on-linkedin'" in finding
    assert result.stderr == "0 errors, 1 warning\n"
    for line in result.stdout.splitlines():  # stdout: findings only
        assert re.fullmatch(r".+:\d+:\d+: (error|warning) [a-z-]+: .+", line)


def test_fail_on_warning_exits_1(shadowed):
    assert lint(shadowed, "--fail-on", "warning").exit_code == 1


@pytest.mark.parametrize("flag", [["--json"], ["--format", "json"]])
def test_json_is_a_list_of_findings(shadowed, flag):
    result = lint(shadowed, *flag)
    findings = json.loads(result.output)
    assert findings == [
        {
            "id": "rule-shadowed-by-deny",
            "severity": "warning",
            "file": str(shadowed / "policy.yaml"),
            "line": 12,
            "col": 5,
            "message": findings[0]["message"],
            "item": "leads-linkedin",
        }
    ]


def test_sarif_2_1_0(shadowed):
    log = json.loads(lint(shadowed, "--format", "sarif").output)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    [result] = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "rule-shadowed-by-deny"
    assert result["level"] == "warning"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 12, "startColumn": 5}
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file://") and uri.endswith("/policy.yaml")


def test_sarif_uri_is_relative_for_a_relative_policy(shadowed, monkeypatch):
    monkeypatch.chdir(shadowed.parent)
    result = CliRunner().invoke(cli, ["--policy", shadowed.name, "lint", "--format", "sarif"])
    [found] = json.loads(result.output)["runs"][0]["results"]
    loc = found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert loc == f"{shadowed.name}/policy.yaml"


def test_error_exits_1_and_is_at_the_signoff(tmp_path):
    (tmp_path / "p.yaml").write_text(
        BASE.replace("  leads: {members: [fran]}\n", "  leads: {members: [fran]}\n  nobody: {}\n")
        + "topics:\n  refunds:\n    keywords: [refund]\n"
        "    requires: {signoff: [group:nobody]}\n    escalation: chain\n"
        "escalations:\n  chain: [{after: 2h, to: [group:leads]}]\n"
    )
    result = lint(tmp_path)
    assert result.exit_code == 1
    assert re.search(
        r"p\.yaml:21:16: error signoff-no-approver: the sign-off of topic 'refunds' "
        r"resolves to no person",
        result.output,
    ), result.output


def test_signoff_whose_only_approver_is_the_only_author(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "users: {fran: {}}\ngroups: {leads: {members: [fran]}}\n"
        "channels: {twitter/help: {platform: twitter}}\n"
        "rules: [{id: r, allow: [group:leads], channels: ['*']}]\n"
        "topics:\n  refunds: {keywords: [refund], requires: {signoff: [user:fran]}}\n"
    )
    [finding] = lint_policy(tmp_path).findings
    assert finding.id == "signoff-no-approver" and finding.severity == "error"
    assert "can never be given" in finding.message and "fran" in finding.message


def test_signoff_is_fine_when_someone_else_may_post(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "users: {fran: {}, dana: {}}\ngroups: {leads: {members: [fran, dana]}}\n"
        "channels: {twitter/help: {platform: twitter}}\n"
        "rules: [{id: r, allow: [group:leads], channels: ['*']}]\n"
        "topics:\n  refunds: {keywords: [refund], requires: {signoff: [user:fran]}}\n"
    )
    assert lint_policy(tmp_path).findings == ()


def test_shadowing_deny_must_cover_every_channel_and_kind(tmp_path):
    # the deny covers replies only: the allow still lets leads post
    (tmp_path / "p.yaml").write_text(
        BASE.replace(
            '{id: no-leads-on-linkedin, deny: [group:leads], channels: ["linkedin/*"]}',
            '{id: no-leads-on-linkedin, deny: [group:leads], channels: ["linkedin/*"], '
            "kinds: [reply]}",
        )
    )
    assert [f.id for f in lint_policy(tmp_path).findings] == []


def test_advisory_deny_shadows_nothing(tmp_path):
    (tmp_path / "p.yaml").write_text(
        BASE.replace(
            'deny: [group:leads], channels: ["linkedin/*"]}',
            'deny: [group:leads], channels: ["linkedin/*"], enforcement: advisory}',
        )
    )
    assert lint_policy(tmp_path).findings == ()


def test_ignore_silences_one_item_with_a_reason(shadowed):
    text = BASE + (
        "lint:\n  ignore:\n"
        "    - {rule: rule-shadowed-by-deny, item: leads-linkedin, reason: kept while we decide}\n"
    )
    (shadowed / "policy.yaml").write_text(text)
    report = lint_policy(shadowed)
    assert report.findings == () and report.ignored == 1
    assert lint(shadowed).stderr == "0 errors, 0 warnings (1 ignored)\n"


def test_ignore_for_another_item_does_not_silence(shadowed):
    (shadowed / "policy.yaml").write_text(
        BASE + "lint:\n  ignore:\n"
        "    - {rule: rule-shadowed-by-deny, item: leads-help, reason: other rule}\n"
    )
    ids = sorted(f.id for f in lint_policy(shadowed).findings)
    assert ids == ["rule-shadowed-by-deny", "unused-lint-ignore"]


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{rule: rule-shadowed-by-deny, item: leads-linkedin}", "reason"),
        ("{rule: no-such-rule, item: x, reason: y}", "no-such-rule"),
        ("{rule: unused-user, item: x, reason: '  '}", "reason"),
        ("{rule: unused-user, item: x, reason: y, extra: 1}", "extra"),
    ],
)
def test_bad_ignore_is_a_validation_error(shadowed, entry, message):
    (shadowed / "policy.yaml").write_text(BASE + f"lint:\n  ignore:\n    - {entry}\n")
    result = CliRunner().invoke(cli, ["--policy", str(shadowed), "validate"])
    assert result.exit_code == 1
    assert re.search(rf"policy\.yaml:\d+:\d+: .*{message}", result.output), result.output
    [finding] = lint_policy(shadowed).findings
    assert finding.id == "invalid-policy"


def test_invalid_policy_gives_errors_not_a_traceback(tmp_path):
    (tmp_path / "p.yaml").write_text("rules: [{id: r, allow: [group:ghost], channels: ['*']}]\n")
    result = lint(tmp_path, "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.output)
    assert {f["id"] for f in findings} == {"invalid-policy"}
    assert any("ghost" in f["message"] and f["line"] == 1 for f in findings)


def test_missing_directory_is_one_error(tmp_path):
    result = lint(tmp_path / "nope")
    assert result.exit_code == 1
    assert "error invalid-policy: no policy directory" in result.output


def test_invisible_character_in_a_keyword(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "users: {dana: {}}\ngroups: {s: {members: [dana]}}\n"
        "channels: {twitter/x: {platform: twitter}}\n"
        "rules: [{id: r, allow: [group:s], channels: ['*']}]\n"
        'topics:\n  t: {keywords: [ok, "law\\u200bsuit"], action: deny}\n'
    )
    [finding] = lint_policy(tmp_path).findings
    assert finding.id == "keyword-never-matches" and "U+200B" in finding.message
    assert (finding.loc.line, finding.loc.col) == (6, 22)


def test_waiver_already_expired_is_not_expiring(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "users: {dana: {}}\ngroups: {s: {members: [dana]}}\n"
        "channels: {twitter/x: {platform: twitter}}\n"
        "rules: [{id: r, allow: [group:s], channels: ['*']}]\n"
        "topics: {t: {keywords: [APR], action: deny}}\n"
        "waivers: [{id: w, principals: [user:dana], topics: [t], reason: x, expires: 2026-12-01}]\n"
    )
    assert lint_policy(tmp_path, today=date(2026, 12, 2)).findings == ()
    [soon] = lint_policy(tmp_path, today=date(2026, 11, 17)).findings
    assert soon.id == "waiver-expiring" and "in 14 days" in soon.message
    assert lint_policy(tmp_path, today=date(2026, 11, 16)).findings == ()


def test_example_policy_copy_with_a_broken_rule(tmp_path):
    policy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policy)
    rules = policy / "rules.yaml"
    rules.write_text(
        rules.read_text()
        + "  - id: interns-linkedin\n    allow: [group:interns]\n    channels: [linkedin/nmtw]\n"
    )
    result = lint(policy, "--fail-on", "warning")
    assert result.exit_code == 1
    assert "warning rule-shadowed-by-deny: allow rule 'interns-linkedin'" in result.output
