"""The JSON Schema of a policy file, and validation that says where and what is wrong.

`policy_schema()` is the schema `sayso schema` prints (draft 2020-12, `schema.json`
beside this module). `schema_problems(data)` validates one file's data with a single
compiled `Draft202012Validator` and turns every error into a `Found`: the path of the
offending node, whether the problem is the mapping key itself (an unknown or badly
named key) and a message for a person, e.g.
"unknown key 'keywrods' in topic 'rates' (did you mean 'keywords'?)".

Plugin options cannot be known statically: `plugin_problems` checks the `use:` names
of checks, notifiers, directory sources and channel publishers against the plugins
registered, and their options against each plugin's cerberus `options_schema`.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import cerberus
import jsonschema

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
    for error in _validator().iter_errors(data):
        for item in _explain(error, data):
            found.setdefault((item.path, item.message), item)
    return list(found.values())


# ---------------------------------------------------------------- wording


def describe(path: Path, data: Any = None) -> str:
    """The node at `path` for a person: "topic 'rates'", "'requires.approvals' of topic 'x'"."""
    if not path:
        return "the file"
    section = path[0]
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


def _explain(error: jsonschema.ValidationError, data: Any) -> Iterator[Found]:
    path = tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    where = describe(path, data)

    if "propertyNames" in error.relative_schema_path:
        hint = _PATTERN_HINTS.get(schema.get("x-def", ""), "is not a valid name")
        noun = SINGULAR.get(path[0], "key") if len(path) == 1 else "key"
        if noun == "channel":
            yield Found(path + (value,), f"'{value}' {hint}", True)
        else:
            yield Found(path + (value,), f"{noun} id '{value}' {hint}", True)
        return
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        for key in value:
            if key in allowed or any(re.search(p, key) for p in patterns):
                continue
            if not path:
                message = f"unknown section '{key}'{suggest(key, allowed)}"
            else:
                message = f"unknown key '{key}' in {where}{suggest(key, allowed)}"
            yield Found(path + (key,), message, True)
        return
    if kind == "required":
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                yield Found(path, f"{where} is missing the required key '{name}'")
        return
    if kind == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else [t for t in expected if t != "null"]
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        if path and isinstance(path[-1], int):
            where = f"{_show(value)} in {_container(path, data)}"
        quote = " (put it in quotes)" if expected == ["string"] and _is_scalar(value) else ""
        yield Found(path, f"{where} must be {wanted}{quote}, not {type_name(value)}")
        return
    if kind == "pattern":
        hint = _PATTERN_HINTS.get(
            schema.get("x-def", ""), f"does not match {error.validator_value}"
        )
        if schema.get("x-def") == "principal" and isinstance(value, str) and ID.fullmatch(value):
            hint = f"is not a principal: write user:{value} or group:{value} (or * for everyone)"
        if path and path[-1] == "expires":
            hint = "is not a date: write YYYY-MM-DD"
        yield Found(path, f"{_show(value)} in {_container(path, data)} {hint}")
        return
    if kind == "enum":
        options = [str(o) for o in error.validator_value]
        hint = suggest(str(value), options)
        if path and isinstance(path[-1], int):
            where = f"{_show(value)} in {_container(path, data)}"
            yield Found(path, f"{where} is not one of {', '.join(options)}{hint}")
        else:
            yield Found(
                path, f"{where} must be one of {', '.join(options)}, not {_show(value)}{hint}"
            )
        return
    if kind == "const":
        if path == ("version",):
            yield Found(
                path, f"unsupported policy version {_show(value)}: only 'version: 1' exists"
            )
        else:
            yield Found(path, f"{where} must be {error.validator_value!r}")
        return
    if kind == "not" and _exclusive(schema) is not None:
        # `anyOf` one of them and `not` all of them: no editor says "matches multiple schemas"
        names = _exclusive(schema)
        listed = " or ".join(f"'{n}'" for n in names)
        yield Found(path, f"{where} needs exactly one of {listed}")
        return
    if kind in ("oneOf", "anyOf") and all(
        isinstance(s, dict) and set(s) == {"required"} for s in error.validator_value
    ):
        names = [s["required"][0] for s in error.validator_value]
        listed = " or ".join(f"'{n}'" for n in names)
        if kind == "oneOf" or _exclusive(schema) == names:
            yield Found(path, f"{where} needs exactly one of {listed}")
        else:
            yield Found(path, f"{where} needs at least one of {listed}")
        return
    if kind == "dependentRequired":
        for key, needed in error.validator_value.items():
            if isinstance(value, dict) and key in value:
                for name in needed:
                    if name not in value:
                        yield Found(path + (key,), f"'{key}' in {where} needs '{name}' too", True)
        return
    if kind == "minItems" and error.validator_value == 1:
        yield Found(path, f"{where} must not be empty")
        return
    if kind == "minLength" and error.validator_value == 1:
        yield Found(path, f"{where} must not be empty")
        return
    if kind == "minimum":
        yield Found(path, f"{where} must be at least {error.validator_value}, not {_show(value)}")
        return
    if kind == "uniqueItems":
        yield Found(path, f"{where} lists the same item twice")
        return
    yield Found(path, f"{where}: {error.message}")


def _exclusive(schema: dict) -> list[str] | None:
    """The keys of which exactly one must be given, when `schema` says so with an
    `anyOf` of single `required` keys and a `not` requiring them all."""
    options = schema.get("anyOf")
    forbidden = schema.get("not")
    if not isinstance(options, list) or not isinstance(forbidden, dict):
        return None
    names = [s.get("required", [None])[0] for s in options if isinstance(s, dict)]
    return names if forbidden.get("required") == names else None


# ---------------------------------------------------------------- plugins


@dataclass(frozen=True, slots=True)
class PluginSpecs:
    """The plugins a policy may name, by kind, each a mapping name -> spec."""

    checks: Mapping[str, Any]
    notifiers: Mapping[str, Any]
    directory: Mapping[str, Any]
    publishers: Mapping[str, Any]

    @classmethod
    def from_manager(cls, pm: Any) -> PluginSpecs:
        from . import plugins

        return cls(
            checks=plugins.checks(pm),
            notifiers=plugins.notifiers(pm),
            directory=plugins.directory_sources(pm),
            publishers=plugins.publishers(pm),
        )


class OptionChecker:
    """Validates plugin options with each plugin's cerberus schema (validators built once)."""

    def __init__(self) -> None:
        self._validators: dict[int, cerberus.Validator | str] = {}

    def problems(
        self,
        spec: Any,
        options: dict[str, Any],
        path: Path,
        what: str,
        extra_keys: Iterable[str] = (),
    ) -> tuple[list[Found], dict[str, Any]]:
        """(problems, options normalised by the schema: defaults filled in)."""
        validator = self._validator(spec)
        if isinstance(validator, str):
            return [
                Found(path, f"plugin '{spec.name}' declares a bad options schema: {validator}")
            ], options
        try:
            ok = validator.validate(copy.deepcopy(options))
        except Exception as err:  # a plugin's custom rule failing: report, never crash
            return [Found(path, f"{what}: options could not be checked: {err}")], options
        if ok:
            return [], dict(validator.document)
        found: list[Found] = []
        known = list((spec.options_schema or {}).keys()) + list(extra_keys)
        _cerberus_found(validator.errors, path, path, what, known, found)
        return found, options

    def _validator(self, spec: Any) -> cerberus.Validator | str:
        key = id(spec)
        if key not in self._validators:
            try:
                self._validators[key] = cerberus.Validator(dict(spec.options_schema or {}))
            except Exception as err:  # cerberus.SchemaError and plugin mistakes
                self._validators[key] = str(err).replace("\n", " ")
        return self._validators[key]


def _cerberus_found(
    errors: Mapping[Any, Any], base: Path, path: Path, what: str, known: list[str], out: list[Found]
) -> None:
    """Cerberus' nested error dict as Founds, each at the option it is about."""
    for field, messages in errors.items():
        here = path + (field,)
        name = render_path(here[len(base) :])
        for message in messages:
            if isinstance(message, dict):
                _cerberus_found(message, base, here, what, known, out)
            elif message == "unknown field":
                hint = suggest(str(field), known) if path == base else ""
                out.append(Found(here, f"unknown option '{name}' for {what}{hint}", True))
            elif message == "required field":
                out.append(Found(path, f"{what} needs the option '{name}'"))
            else:
                out.append(Found(here, f"option '{name}' of {what}: {message}"))


def plugin_problems(
    data: Any, specs: PluginSpecs, checker: OptionChecker
) -> tuple[list[Found], dict]:
    """Unknown `use:`/`publisher:` names and bad plugin options in one file's data.

    Returns the problems and, for each item whose options are valid, those options
    normalised by the plugin's schema (defaults filled in) by the item's path
    (("checks", 0) -> {...}), for the loader to build configs from."""
    found: list[Found] = []
    options_at: dict[Path, dict[str, Any]] = {}
    if not isinstance(data, dict):
        return found, options_at
    kinds = (
        ("checks", "check", specs.checks, CHECK_KEYS),
        ("notifiers", "notifier", specs.notifiers, ("use",)),
        ("directory", "directory source", specs.directory, ("use",)),
    )
    for section, noun, available, common in kinds:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("use"), str):
                continue
            use = item["use"]
            path = (section, index)
            spec = available.get(use)
            if spec is None:
                listing = ", ".join(sorted(available)) or "none"
                found.append(
                    Found(
                        path + ("use",),
                        f"unknown {noun} '{use}'{suggest(use, available)}; available: {listing}",
                    )
                )
                continue
            options = {k: v for k, v in item.items() if k not in common}
            what = f"{noun} '{_item_name(data, section, index) or use}'"
            problems, normalised = checker.problems(spec, options, path, what, common)
            found.extend(problems)
            if not problems:
                options_at[path] = normalised
    channels = data.get("channels")
    if isinstance(channels, dict):
        for channel_id, channel in channels.items():
            if not isinstance(channel, dict):
                continue
            name = channel.get("publisher", "outbox")
            if not isinstance(name, str):
                continue
            path = ("channels", channel_id)
            spec = specs.publishers.get(name)
            options = channel.get("publisher_options") or {}
            if spec is None:
                if name in ALWAYS_ACCEPTED_PUBLISHERS:
                    if isinstance(options, dict):
                        options_at[path] = dict(options)  # nothing to check them against yet
                else:
                    listing = ", ".join(sorted({*specs.publishers, *ALWAYS_ACCEPTED_PUBLISHERS}))
                    found.append(
                        Found(
                            path + ("publisher",),
                            f"unknown publisher '{name}'{suggest(name, specs.publishers)}"
                            f" for channel '{channel_id}'; available: {listing}",
                        )
                    )
                continue
            if not isinstance(options, dict):
                continue
            problems, normalised = checker.problems(
                spec,
                options,
                path + ("publisher_options",),
                f"publisher '{name}' of channel '{channel_id}'",
            )
            found.extend(problems)
            if not problems:
                options_at[path] = normalised
    return found, options_at
