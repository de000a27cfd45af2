"""engine/schema.json and engine.schema: the JSON Schema of a policy file and its messages."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine.schema import CHECK_KEYS, describe, policy_schema, schema_problems, suggest

SPEC_EXAMPLE = Path(__file__).parent / "fixtures" / "policies" / "good" / "spec" / "policy.yaml"
# objects whose extra keys are deliberate: plugin options and free-form attributes
OPEN_OBJECTS = {"check", "pluginConfig", "attrs", "publisher_options", "inboundSource"}


def test_schema_is_valid_draft_2020_12():
    schema = policy_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_file_is_the_one_served():
    text = (Path(__file__).parent.parent / "engine" / "schema.json").read_text(encoding="utf-8")
    assert json.loads(text) == policy_schema()
    assert policy_schema() is policy_schema()  # loaded once


def _objects(node, name="<root>"):
    """Every object schema in the schema, with the property or $defs name it stands under."""
    if isinstance(node, dict):
        if (
            node.get("type") == "object"
            or "object" in (node.get("type") or [])
            or "properties" in node
        ):
            yield name, node
        for key, value in node.items():
            if key in ("properties", "$defs", "patternProperties"):
                for child_name, child in value.items():
                    yield from _objects(child, child_name)
            elif isinstance(value, dict | list):
                yield from _objects(value, name)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item, name)


def test_every_property_has_a_description():
    missing = []
    for name, node in _objects(policy_schema()):
        for prop, sub in node.get("properties", {}).items():
            if not sub.get("description"):
                missing.append(f"{name}.{prop}")
    assert missing == []


def test_objects_refuse_unknown_keys_except_plugin_options():
    open_ = []
    for name, node in _objects(policy_schema()):
        if node.get("additionalProperties") is False:
            continue
        if isinstance(node.get("additionalProperties"), dict):
            continue  # maps of ids to entries
        open_.append(name)
    assert set(open_) <= OPEN_OBJECTS, open_


def test_check_common_keys_are_the_schema_properties():
    check = policy_schema()["$defs"]["check"]
    assert set(check["properties"]) == set(CHECK_KEYS)


def test_inbound_source_common_keys_are_the_schema_properties():
    from engine.schema import SOURCE_KEYS

    source = policy_schema()["$defs"]["inboundSource"]
    assert set(source["properties"]) == set(SOURCE_KEYS)


def test_spec_example_is_valid():
    data = yaml.safe_load(SPEC_EXAMPLE.read_text())
    jsonschema.Draft202012Validator(policy_schema()).validate(data)
    assert schema_problems(data) == []


def test_sections_documented_in_the_spec_exist():
    sections = set(policy_schema()["properties"])
    assert sections >= {
        "version",
        "users",
        "groups",
        "channels",
        "rules",
        "topics",
        "escalations",
        "checks",
        "roles",
        "waivers",
        "notifiers",
        "directory",
    }


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("user:dana", True),
        ("group:support-leads", True),
        ("*", True),
        ("dana", False),
        ("user:", False),
        ("users:dana", False),
        ("group:a b", False),
        ("user:dana@cu.example", True),
    ],
)
def test_principal_pattern(value, ok):
    data = {"roles": {"admins": [value]}}
    assert (schema_problems(data) == []) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("twitter/nmtw_help", True),
        ("facebook/nmtw", True),
        ("mastodon/nmtw@social.example", True),
        ("twitter", False),
        ("twitter/a/b", False),
        ("twitter/*", False),
        ("/x", False),
    ],
)
def test_channel_id_pattern(value, ok):
    assert (schema_problems({"channels": {value: {}}}) == []) is ok


@pytest.mark.parametrize(
    ("value", "ok"), [("2h", True), ("1h30m", True), ("2 h", False), ("2", False), (7200, False)]
)
def test_duration_pattern(value, ok):
    data = {"escalations": {"e": [{"after": value, "to": ["*"]}]}}
    assert (schema_problems(data) == []) is ok


def messages(data) -> list[tuple[tuple, str, bool]]:
    return sorted((f.path, f.message, f.at_key) for f in schema_problems(data))


def test_unknown_key_is_reported_at_the_key_with_a_suggestion():
    found = messages({"topics": {"rates": {"keywrods": ["APR"]}}})
    assert found == [
        (
            ("topics", "rates", "keywrods"),
            "unknown key 'keywrods' in topic 'rates' (did you mean 'keywords'?)",
            True,
        )
    ]


def test_unknown_section():
    assert messages({"usres": {}}) == [
        (("usres",), "unknown section 'usres' (did you mean 'users'?)", True)
    ]


def test_x_keys_hold_anchors():
    assert messages({"x-defaults": {"anything": [1, 2]}}) == []


def test_wrong_types_say_what_was_expected():
    found = messages({"topics": {"t": {"keywords": "APR"}}, "rules": {"id": "r"}})
    assert (("rules",), "section 'rules' must be a list, not a mapping", False) in found
    assert (
        ("topics", "t", "keywords"),
        "'keywords' of topic 't' must be a list, not text",
        False,
    ) in found


def test_rule_needs_exactly_one_of_allow_and_deny():
    both = {"rules": [{"id": "r", "allow": ["*"], "deny": ["*"], "channels": ["*"]}]}
    neither = {"rules": [{"id": "r", "channels": ["*"]}]}
    expected = [(("rules", 0), "rule 'r' needs exactly one of 'allow' or 'deny'", False)]
    assert messages(both) == messages(neither) == expected


def test_bare_principal_suggests_the_fix():
    (found,) = messages({"roles": {"admins": ["dana"]}})
    assert (
        found[1]
        == "'dana' in role 'admins' is not a principal: write user:dana or group:dana (or * for everyone)"
    )


def test_kinds_enum_suggests():
    (found,) = messages(
        {"rules": [{"id": "r", "allow": ["*"], "channels": ["*"], "kinds": ["rely"]}]}
    )
    assert (
        found[1]
        == "'rely' in 'kinds' of rule 'r' is not one of post, reply (did you mean 'reply'?)"
    )


def test_version_must_be_1():
    assert messages({"version": 1}) == []
    assert messages({"version": 2}) == [
        (("version",), "unsupported policy version 2: only 'version: 1' exists", False)
    ]


def test_waiver_requires_reason_expiry_and_a_target():
    found = [m for _, m, _ in messages({"waivers": [{"id": "w", "principals": ["*"]}]})]
    assert "waiver 'w' is missing the required key 'reason'" in found
    assert "waiver 'w' is missing the required key 'expires'" in found
    assert "waiver 'w' needs at least one of 'rules' or 'topics' or 'checks'" in found


def test_check_items_allow_plugin_options_but_approvals_needs_signoff():
    assert messages({"checks": [{"use": "links", "allow_domains": ["x.example"]}]}) == []
    (found,) = messages({"checks": [{"use": "links", "approvals": 2}]})
    assert found == (
        ("checks", 0, "approvals"),
        "'approvals' in check 'links' needs 'signoff' too",
        True,
    )


def test_describe():
    data = {"rules": [{"id": "r1"}, {}], "checks": [{"use": "links"}]}
    assert describe(()) == "the file"
    assert describe(("users",)) == "section 'users'"
    assert describe(("users", "dana", "email")) == "'email' of user 'dana'"
    assert describe(("rules", 0, "allow", 1), data) == "'allow[1]' of rule 'r1'"
    assert describe(("rules", 1), data) == "rules[1]"
    assert describe(("checks", 0), data) == "check 'links'"
    assert describe(("escalations", "e", 1, "after")) == "'after' of level 2 of escalation 'e'"
    assert describe(("topics", "t", "requires", "approvals")) == "'requires.approvals' of topic 't'"


def test_suggest():
    assert suggest("keywrods", ["keywords", "patterns"]) == " (did you mean 'keywords'?)"
    assert suggest("zzz", ["keywords"]) == ""


def test_numbers_where_text_is_expected_suggest_quotes():
    found = messages({"topics": {"t": {"keywords": [911, "ok"], "message": True}}})
    assert found == [
        (
            ("topics", "t", "keywords", 0),
            "911 in 'keywords' of topic 't' must be text (put it in quotes), not a number",
            False,
        ),
        (
            ("topics", "t", "message"),
            "'message' of topic 't' must be text (put it in quotes), not true/false",
            False,
        ),
    ]
