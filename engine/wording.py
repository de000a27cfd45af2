"""Where a problem is in a policy file, in a person's words: "topic 'rates'",
"'requires.approvals' of topic 'x'", "level 2 of escalation 'support'"; and the
small phrases error messages share (a close name to suggest, a value's type)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Path = tuple[Any, ...]

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


@dataclass(frozen=True, slots=True)
class Found:
    """A problem in one file: at `path` (the key itself when `at_key`), and what it is."""

    path: Path
    message: str
    at_key: bool = False


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
        name = item_name(data, section, key)
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
        name = item_name(
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


def item_name(data: Any, section: str, index: int) -> str | None:
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


def show(value: Any) -> str:
    if isinstance(value, str):
        text = f"'{value}'"
    elif value is None or isinstance(value, bool | int | float):
        text = json.dumps(value)  # as YAML would write it: true, null, 3
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
