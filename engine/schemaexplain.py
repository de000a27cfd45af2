"""A JSON Schema error of a policy file in a person's words, at the exact key or item:
one function per kind of error (`additionalProperties`, `required`, `type`...)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema

from .wording import SINGULAR, Found, Path, describe, show, suggest, type_name

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
            return f"{show(self.value)} in {_container(self.path, self.data)}"
        return self.where


def explain(error: jsonschema.ValidationError, data: Any) -> Iterator[Found]:
    """A schema error in a person's words, at the exact key or item (one per problem)."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    failure = _Failure(error, data, path, schema, error.instance, describe(path, data))
    if "propertyNames" in error.relative_schema_path:
        yield from _bad_name(failure)
        return
    handler = _EXPLAIN.get(str(error.validator))
    if handler is None:
        yield Found(path, f"{failure.where}: {error.message}")
    else:
        yield from handler(failure)


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
    yield Found(f.path, f"{show(f.value)} in {_container(f.path, f.data)} {hint}")


def _not_one_of(f: _Failure) -> Iterator[Found]:
    options = [str(o) for o in f.expected]
    hint = suggest(str(f.value), options)
    if f.path and isinstance(f.path[-1], int):
        yield Found(f.path, f"{f.item_or_where()} is not one of {', '.join(options)}{hint}")
    else:
        message = f"{f.where} must be one of {', '.join(options)}, not {show(f.value)}{hint}"
        yield Found(f.path, message)


def _not_const(f: _Failure) -> Iterator[Found]:
    if f.path == ("version",):
        message = f"unsupported policy version {show(f.value)}: only 'version: 1' exists"
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
    yield Found(f.path, f"{f.where} must be at least {f.expected}, not {show(f.value)}")


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
