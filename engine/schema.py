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

import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from .plainentries import without_plain_entries

Path = tuple[Any, ...]

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

SINGULAR = {
    "users": "user",
    "groups": "group",
    "channels": "channel",
    "topics": "topic",
    "escalations": "escalation",
    "limits": "limit",
    "rules": "rule",
    "checks": "check",
    "waivers": "waiver",
    "notifiers": "notifier",
    "directory": "directory source",
    "roles": "role",
    "delegation": "delegation setting",
    "inbound routes": "inbound route",
    "inbound sources": "inbound source",
}
# an id as schema.json's $defs/id allows it (users, groups, topics, rules...)
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_ID_HINT = "use letters, digits, '.', '_', '@' and '-', starting with a letter or digit"
_PATTERN_HINTS = {
    "id": f"is not a valid id: {_ID_HINT}",
    "principal": "is not a principal: write user:ID, group:ID or *",
    "channelId": "is not a channel id: write platform/handle, e.g. twitter/nmtw_help",
    "channelGlob": "is not a channel id or glob (no spaces), e.g. twitter/* or facebook/nmtw",
    "duration": "is not a duration: use a number and a unit (w, d, h, m, s), e.g. 30m, 2h, 1d, 1h30m",
}
_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


@dataclass(frozen=True, slots=True)
class Found:
    """A problem in one file: at `path` (the key itself when `at_key`), and what it is."""

    path: Path
    message: str
    at_key: bool = False


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
    resolving a reference per node is most of jsonschema's cost on a large policy."""
    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
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
        for item in _explain(error, data):
            found.setdefault((item.path, item.message), item)
    return list(found.values())


# ---------------------------------------------------------------- wording


def describe(path: Path, data: Any = None) -> str:
    """The node at `path` for a person: "topic 'rates'", "'requires.approvals' of topic 'x'"."""
    if not path:
        return "the file"
    section = path[0]
    if section == "inbound" and len(path) >= 2:
        return _describe_inbound(path, data)
    noun = SINGULAR.get(section)
    if noun is None:
        return f"'{render_path(path)}'"
    if len(path) == 1:
        return f"section '{section}'"
    key = path[1]
    if isinstance(key, int):
        name = _item_name(data, section, key)
        entity = f"{noun} '{name}'" if name else f"{section}[{key}]"
    else:
        entity = f"{noun} '{key}'"
    rest = path[2:]
    if section == "escalations" and rest and isinstance(rest[0], int):
        entity = f"level {rest[0] + 1} of {entity}"
        rest = rest[1:]
    if not rest:
        return entity
    return f"'{render_path(rest)}' of {entity}"


def _describe_inbound(path: Path, data: Any) -> str:
    if path[1] == "routes" and len(path) >= 3 and isinstance(path[2], int):
        name = _item_name(
            (data or {}).get("inbound") if isinstance(data, dict) else None, "routes", path[2]
        )
        entity = f"inbound route '{name}'" if name else f"inbound.routes[{path[2]}]"
        rest = path[3:]
    elif path[1] == "default":
        entity, rest = "the inbound default route", path[2:]
    else:
        return f"'{render_path(path)}'"
    return f"'{render_path(rest)}' of {entity}" if rest else entity


def render_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _item_name(data: Any, section: str, index: int) -> str | None:
    try:
        item = data[section][index]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(item, dict):
        return None
    for key in ("id", "use"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def suggest(word: str, choices: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" when a choice is close to `word`, else ""."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = f"'{value}'"
    elif value is None or isinstance(value, bool | int | float):
        text = json.dumps(value)  # as YAML would write it: true, null, 3
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_scalar(value: Any) -> bool:
    return value is not None and isinstance(value, bool | int | float)


def _container(path: Path, data: Any) -> str:
    """The list holding the item at `path` (or the node itself when it is no list item)."""
    return describe(path[:-1] if path and isinstance(path[-1], int) else path, data)


@dataclass(frozen=True, slots=True)
class _Failure:
    """One schema error, with what every explanation needs."""

    error: jsonschema.ValidationError
    data: Any
    path: tuple
    schema: dict
    value: Any
    where: str

    @property
    def expected(self) -> Any:
        return self.error.validator_value

    def item_or_where(self) -> str:
        """`'x' in the list ...` for a list item, else where the value is."""
        if self.path and isinstance(self.path[-1], int):
            return f"{_show(self.value)} in {_container(self.path, self.data)}"
        return self.where


def _explain(error: jsonschema.ValidationError, data: Any) -> Iterator[Found]:
    """A schema error in a person's words, at the exact key or item (one per problem)."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    failure = _Failure(error, data, path, schema, error.instance, describe(path, data))
    if "propertyNames" in error.relative_schema_path:
        yield from _bad_name(failure)
        return
    explain = _EXPLAIN.get(str(error.validator))
    if explain is None:
        yield Found(path, f"{failure.where}: {error.message}")
    else:
        yield from explain(failure)


def _bad_name(f: _Failure) -> Iterator[Found]:
    hint = _PATTERN_HINTS.get(f.schema.get("x-def", ""), "is not a valid name")
    noun = SINGULAR.get(f.path[0], "key") if len(f.path) == 1 else "key"
    if noun == "channel":
        yield Found(f.path + (f.value,), f"'{f.value}' {hint}", True)
    else:
        yield Found(f.path + (f.value,), f"{noun} id '{f.value}' {hint}", True)


def _unknown_keys(f: _Failure) -> Iterator[Found]:
    allowed = list(f.schema.get("properties", {}))
    patterns = list(f.schema.get("patternProperties", {}))
    for key in f.value:
        if key in allowed or any(re.search(p, key) for p in patterns):
            continue
        if not f.path:
            message = f"unknown section '{key}'{suggest(key, allowed)}"
        else:
            message = f"unknown key '{key}' in {f.where}{suggest(key, allowed)}"
        yield Found(f.path + (key,), message, True)


def _missing_keys(f: _Failure) -> Iterator[Found]:
    for name in f.expected:
        if isinstance(f.value, dict) and name not in f.value:
            yield Found(f.path, f"{f.where} is missing the required key '{name}'")


def _wrong_type(f: _Failure) -> Iterator[Found]:
    expected = f.expected
    expected = [expected] if isinstance(expected, str) else [t for t in expected if t != "null"]
    wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
    quote = " (put it in quotes)" if expected == ["string"] and _is_scalar(f.value) else ""
    yield Found(f.path, f"{f.item_or_where()} must be {wanted}{quote}, not {type_name(f.value)}")


def _no_match(f: _Failure) -> Iterator[Found]:
    hint = _PATTERN_HINTS.get(f.schema.get("x-def", ""), f"does not match {f.expected}")
    if f.schema.get("x-def") == "principal" and isinstance(f.value, str) and ID.fullmatch(f.value):
        hint = f"is not a principal: write user:{f.value} or group:{f.value} (or * for everyone)"
    if f.path and f.path[-1] == "expires":
        hint = "is not a date: write YYYY-MM-DD"
    yield Found(f.path, f"{_show(f.value)} in {_container(f.path, f.data)} {hint}")


def _not_one_of(f: _Failure) -> Iterator[Found]:
    options = [str(o) for o in f.expected]
    hint = suggest(str(f.value), options)
    if f.path and isinstance(f.path[-1], int):
        yield Found(f.path, f"{f.item_or_where()} is not one of {', '.join(options)}{hint}")
    else:
        message = f"{f.where} must be one of {', '.join(options)}, not {_show(f.value)}{hint}"
        yield Found(f.path, message)


def _not_const(f: _Failure) -> Iterator[Found]:
    if f.path == ("version",):
        message = f"unsupported policy version {_show(f.value)}: only 'version: 1' exists"
        yield Found(f.path, message)
    else:
        yield Found(f.path, f"{f.where} must be {f.expected!r}")


def _alternatives(f: _Failure) -> Iterator[Found]:
    """`oneOf`/`anyOf` of required keys: which keys to give."""
    if not all(isinstance(s, dict) and set(s) == {"required"} for s in f.expected):
        yield Found(f.path, f"{f.where}: {f.error.message}")
        return
    names = [s["required"][0] for s in f.expected]
    listed = " or ".join(f"'{n}'" for n in names)
    if f.error.validator == "oneOf" or _exclusive(f.schema) == names:
        yield Found(f.path, f"{f.where} needs exactly one of {listed}")
    else:
        yield Found(f.path, f"{f.where} needs at least one of {listed}")


def _all_forbidden(f: _Failure) -> Iterator[Found]:
    """`anyOf` one of them and `not` all of them (so no editor says "matches multiple
    schemas"): exactly one of the keys."""
    names = _exclusive(f.schema)
    if names is None:
        yield Found(f.path, f"{f.where}: {f.error.message}")
        return
    listed = " or ".join(f"'{n}'" for n in names)
    yield Found(f.path, f"{f.where} needs exactly one of {listed}")


def _exclusive(schema: dict) -> list[str] | None:
    """The keys of which exactly one must be given, when `schema` says so with an
    `anyOf` of single `required` keys and a `not` requiring them all."""
    options = schema.get("anyOf")
    forbidden = schema.get("not")
    if not isinstance(options, list) or not isinstance(forbidden, dict):
        return None
    names = [s.get("required", [None])[0] for s in options if isinstance(s, dict)]
    return names if forbidden.get("required") == names else None


def _needs_too(f: _Failure) -> Iterator[Found]:
    for key, needed in f.expected.items():
        if isinstance(f.value, dict) and key in f.value:
            for name in needed:
                if name not in f.value:
                    yield Found(f.path + (key,), f"'{key}' in {f.where} needs '{name}' too", True)


def _too_short(f: _Failure) -> Iterator[Found]:
    if f.expected == 1:
        yield Found(f.path, f"{f.where} must not be empty")
    else:
        yield Found(f.path, f"{f.where}: {f.error.message}")


def _too_small(f: _Failure) -> Iterator[Found]:
    yield Found(f.path, f"{f.where} must be at least {f.expected}, not {_show(f.value)}")


def _repeated(f: _Failure) -> Iterator[Found]:
    yield Found(f.path, f"{f.where} lists the same item twice")


_EXPLAIN: dict[str, Callable[[_Failure], Iterator[Found]]] = {
    "additionalProperties": _unknown_keys,
    "required": _missing_keys,
    "type": _wrong_type,
    "pattern": _no_match,
    "enum": _not_one_of,
    "const": _not_const,
    "oneOf": _alternatives,
    "anyOf": _alternatives,
    "not": _all_forbidden,
    "dependentRequired": _needs_too,
    "minItems": _too_short,
    "minLength": _too_short,
    "minimum": _too_small,
    "uniqueItems": _repeated,
}
