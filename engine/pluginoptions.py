"""Plugin names and options in a policy file: unknown `use:`/`publisher:` names, and
options checked against each plugin's cerberus schema (defaults filled in).

Plugin options cannot be known statically, so the loader asks this module after
the JSON Schema (engine/schema.py) has checked everything else.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import cerberus

from .schema import ALWAYS_ACCEPTED_PUBLISHERS, CHECK_KEYS, SOURCE_KEYS
from .wording import Found, Path, item_name, render_path, suggest


@dataclass(frozen=True, slots=True)
class PluginSpecs:
    """The plugins a policy may name, by kind, each a mapping name -> spec."""

    checks: Mapping[str, Any]
    notifiers: Mapping[str, Any]
    directory: Mapping[str, Any]
    publishers: Mapping[str, Any]
    sources: Mapping[str, Any] = dataclass_field(default_factory=dict)

    @classmethod
    def from_manager(cls, pm: Any) -> PluginSpecs:
        from . import plugins

        return cls(
            checks=plugins.checks(pm),
            notifiers=plugins.notifiers(pm),
            directory=plugins.directory_sources(pm),
            publishers=plugins.publishers(pm),
            sources=plugins.sources(pm),
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
    inbound = data.get("inbound")
    if not isinstance(inbound, dict):
        inbound = {}
    kinds = (
        ("checks", "check", specs.checks, CHECK_KEYS, data.get("checks")),
        ("notifiers", "notifier", specs.notifiers, ("use",), data.get("notifiers")),
        ("directory", "directory source", specs.directory, ("use",), data.get("directory")),
        (("inbound", "sources"), "source", specs.sources, SOURCE_KEYS, inbound.get("sources")),
    )
    for section, noun, available, common, items in kinds:
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get("use"), str):
                    where = (data, section, index, noun, common)
                    _used_plugin(where, item, available, checker, found, options_at)
    channels = data.get("channels")
    if isinstance(channels, dict):
        for channel_id, channel in channels.items():
            if isinstance(channel, dict) and isinstance(channel.get("publisher", "outbox"), str):
                _channel_publisher(channel_id, channel, specs, checker, found, options_at)
    return found, options_at


def _used_plugin(
    where: tuple,
    item: dict,
    available: Mapping,
    checker: OptionChecker,
    found: list,
    options_at: dict,
) -> None:
    """A `checks:`, `notifiers:` or `directory:` item: a known `use:` with valid options."""
    data, section, index, noun, common = where
    use = item["use"]
    path = (*section, index) if isinstance(section, tuple) else (section, index)
    spec = available.get(use)
    if spec is None:
        listing = ", ".join(sorted(available)) or "none"
        message = f"unknown {noun} '{use}'{suggest(use, available)}; available: {listing}"
        found.append(Found(path + ("use",), message))
        return
    options = {k: v for k, v in item.items() if k not in common}
    if isinstance(section, tuple):  # inbound sources are named by their `name:`
        what = f"{noun} '{item.get('name') or use}'"
    else:
        what = f"{noun} '{item_name(data, section, index) or use}'"
    problems, normalised = checker.problems(spec, options, path, what, common)
    found.extend(problems)
    if not problems:
        options_at[path] = normalised


def _channel_publisher(
    channel_id: str,
    channel: dict,
    specs: PluginSpecs,
    checker: OptionChecker,
    found: list,
    options_at: dict,
) -> None:
    """A channel's `publisher:` is known and its `publisher_options` valid."""
    name = channel.get("publisher", "outbox")
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
        return
    if not isinstance(options, dict):
        return
    what = f"publisher '{name}' of channel '{channel_id}'"
    problems, normalised = checker.problems(spec, options, path + ("publisher_options",), what)
    found.extend(problems)
    if not problems:
        options_at[path] = normalised
