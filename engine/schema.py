"""The JSON Schema of a policy file, and validation that says where and what is wrong.

`policy_schema()` is the schema `sayso schema` prints (draft 2020-12, `schema.json`
beside this module). `schema_problems(data)` validates one file's data with a single
compiled `Draft202012Validator` and turns every error into a `Found`: the path of the
offending node, whether the problem is the mapping key itself (an unknown or badly
named key) and a message for a person, e.g.
"unknown key 'keywrods' in topic 'rates' (did you mean 'keywords'?)".

Plugin options cannot be known statically: engine/pluginoptions.py checks the `use:`
names of checks, notifiers, directory sources and channel publishers against the
plugins registered, and their options against each plugin's cerberus `options_schema`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from .plainentries import without_plain_entries
from .schemaexplain import ID, explain
from .wording import SINGULAR, Found, Path, describe, render_path, suggest, type_name

__all__ = [
    "ALWAYS_ACCEPTED_PUBLISHERS",
    "CHECK_KEYS",
    "ID",
    "SINGULAR",
    "SOURCE_KEYS",
    "Found",
    "Path",
    "describe",
    "policy_schema",
    "policy_tests_schema",
    "render_path",
    "schema_problems",
    "suggest",
    "type_name",
]

# Keys of a `checks:` item that are the engine's; every other key is a plugin option.
CHECK_KEYS: tuple[str, ...] = (
    "id",
    "use",
    "action",
    "signoff",
    "approvals",
    "message",
    "escalation",
    "channels",
    "enforcement",
)
# Keys of an `inbound.sources` item that are the engine's; the rest are plugin options.
SOURCE_KEYS: tuple[str, ...] = ("use", "name", "channel")
ALWAYS_ACCEPTED_PUBLISHERS = ("outbox",)  # the default publisher, even before its plugin loads


@cache
def policy_schema() -> dict[str, Any]:
    """The JSON Schema of one policy file (loaded once; do not modify the result)."""
    text = resources.files("engine").joinpath("schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def policy_tests_schema() -> dict[str, Any]:
    """The JSON Schema of one policy test file (tests/*.yaml)."""
    text = resources.files("engine").joinpath("tests-schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    """One compiled validator. `$ref`s are inlined first: the schema is not recursive and
    resolving a reference per node is most of jsonschema's cost on a large policy. (The
    schema is this package's own file, checked against the metaschema by its tests, not
    at every start: that check took a tenth of a second.)"""
    schema = policy_schema()
    defs = schema.get("$defs", {})
    return jsonschema.Draft202012Validator(_inline(schema, defs))


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        extra = {k: v for k, v in node.items() if k not in ("$ref", "description")}
        merged = {**target, **extra}
        merged["x-def"] = node["$ref"].rsplit("/", 1)[-1]
        return merged
    return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}


def schema_problems(data: Any) -> list[Found]:
    """Every schema problem of one file's data (already read from YAML)."""
    found: dict[tuple[Path, str], Found] = {}
    for error in _validator().iter_errors(without_plain_entries(data)):
        for item in explain(error, data):
            found.setdefault((item.path, item.message), item)
    return list(found.values())
