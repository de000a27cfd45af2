"""Editor support: `sayso schema --tests`, the schemas `init` writes and its modelines,
and schema messages an editor can show (no "matches multiple schemas")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli import cli
from engine.policycases import CASE_KEYS, POST_KEYS
from engine.schema import policy_schema, policy_tests_schema
from engine.yamlpos import read_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TESTS = sorted((ROOT / "policies" / "tests").glob("*.yaml"))


def validator():
    return jsonschema.Draft202012Validator(policy_tests_schema())


def test_schema_tests_prints_the_tests_schema():
    result = CliRunner().invoke(cli, ["schema", "--tests"])
    assert result.exit_code == 0
    assert json.loads(result.output) == policy_tests_schema()
    jsonschema.Draft202012Validator.check_schema(policy_tests_schema())


def test_tests_schema_knows_every_key_sayso_test_reads():
    case = policy_tests_schema()["$defs"]["case"]["properties"]
    post = policy_tests_schema()["$defs"]["post"]["properties"]
    assert sorted(case) == sorted(CASE_KEYS)
    assert sorted(post) == sorted(POST_KEYS)


@pytest.mark.parametrize("path", EXAMPLE_TESTS, ids=lambda p: p.name)
def test_example_tests_match_the_schema(path):
    data = read_yaml(path.read_bytes()).data
    assert list(validator().iter_errors(data)) == []


@pytest.mark.parametrize(
    "case",
    [
        {"name": "x", "post": {"author": "a", "channel": "c", "text": "t"}, "expct": "denied"},
        {"name": "x", "post": {"author": "a", "channel": "c", "txt": "t"}, "expect": "denied"},
        {"name": "x", "post": {"author": "a", "channel": "c", "text": "t"}, "expect": "maybe"},
        {"name": " ", "post": {"author": "a", "channel": "c", "text": "t"}, "expect": "denied"},
    ],
)
def test_tests_schema_refuses_typos(case):
    assert list(validator().iter_errors({"tests": [case]}))


def test_init_points_editors_at_schemas_it_writes(tmp_path):
    target = tmp_path / "p"
    assert CliRunner().invoke(cli, ["init", str(target)]).exit_code == 0
    for yaml_file, expected in (
        (target / "policy.yaml", policy_schema()),
        (target / "tests" / "policy_test.yaml", policy_tests_schema()),
    ):
        first = yaml_file.read_text().splitlines()[0]
        found = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert found, first
        schema_file = (yaml_file.parent / found.group(1)).resolve()
        assert json.loads(schema_file.read_text()) == expected
        data = read_yaml(yaml_file.read_bytes()).data
        jsonschema.Draft202012Validator(expected).validate(data)


def _kinds(alternative: dict) -> set[str]:
    """The JSON types an alternative can match (everything when it does not say)."""
    if "const" in alternative:
        return {type(alternative["const"]).__name__}
    given = alternative.get("type")
    if given is None:
        return {"any"}
    return {given} if isinstance(given, str) else set(given)


def _overlapping_one_ofs(node, path=()):
    """`oneOf`s of which two alternatives could match the same value: the ones an editor
    reports as "matches multiple schemas". Alternatives of distinct types cannot."""
    if isinstance(node, dict):
        options = node.get("oneOf")
        if options is not None:
            seen: set[str] = set()
            for option in options:
                kinds = _kinds(option)
                if "any" in kinds or seen & kinds:
                    yield path
                    break
                seen |= kinds
        for key, value in node.items():
            yield from _overlapping_one_ofs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _overlapping_one_ofs(value, (*path, index))


def test_no_one_of_for_editors_to_call_matches_multiple_schemas():
    assert list(_overlapping_one_ofs(policy_schema())) == []
    assert list(_overlapping_one_ofs(policy_tests_schema())) == []
    both = {"oneOf": [{"required": ["allow"]}, {"required": ["deny"]}]}
    assert list(_overlapping_one_ofs(both)) == [()]  # the test can fail


def test_rule_with_allow_and_deny_is_refused_with_a_message():
    rule = policy_schema()["$defs"]["rule"]
    assert "not both" in rule["not"]["errorMessage"]
    both = {"rules": [{"id": "r", "allow": ["*"], "deny": ["*"], "channels": ["*"]}]}
    assert list(jsonschema.Draft202012Validator(policy_schema()).iter_errors(both))


def test_validate_says_exactly_one_for_both(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "rules:\n  - {id: r, allow: ['*'], deny: ['*'], channels: ['*']}\n"
    )
    result = CliRunner().invoke(cli, ["--policy", str(tmp_path), "validate"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'p.yaml'}:2:5: rule 'r' needs exactly one of 'allow' or 'deny'" in (
        result.output
    )


EDITORS_DOC = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")


def test_editors_doc_settings_and_commands(tmp_path, monkeypatch):
    [settings] = re.findall(r"```json\n(.*?)```", EDITORS_DOC, flags=re.S)
    schemas = json.loads(settings)["yaml.schemas"]
    assert set(schemas) == {
        "./policies/.sayso/policy.schema.json",
        "./policies/.sayso/tests.schema.json",
    }
    assert "yamlls" in EDITORS_DOC and "redhat.vscode-yaml" in EDITORS_DOC
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".sayso").mkdir()
    for line in re.findall(r"^sayso schema[^#\n]*", EDITORS_DOC, flags=re.M):
        args, _, out = line.removeprefix("sayso ").partition(">")
        result = CliRunner().invoke(cli, args.split())
        assert result.exit_code == 0
        Path(out.strip()).write_text(result.output)
    assert json.loads(Path(".sayso/tests.schema.json").read_text()) == policy_tests_schema()
    assert json.loads(Path(".sayso/policy.schema.json").read_text()) == policy_schema()
