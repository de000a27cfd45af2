"""Users and groups whose shape is plainly valid, so JSON Schema need not see them.

A directory of 200,000 users in YAML took jsonschema seconds (a few microseconds a
node). `without_plain_entries(data)` drops from a file's data every user and group
made only of what the schema accepts for sure (an id as the schema's `id` pattern and
length allow, the fields the schema lists with values of their types), which cannot
have a schema problem. Every other entry is still validated, at the same path, so
each problem is reported exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

MIN_ENTRIES = 50  # a smaller section is validated whole: nothing to gain
_USER_TEXT = frozenset(("name", "email", "description"))


# The schema's id pattern as this module knows it: then a whole list of ids, joined by
# newlines, is checked by one regular expression rather than one search an id.
_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._@-]*$"


@cache
def _id_rule() -> Callable[[Any], bool]:
    """Whether all of some values are ids as the schema's own `id` pattern (matched as
    jsonschema does, with search) and length allow."""
    from .schema import policy_schema

    spec = policy_schema()["$defs"]["id"]
    pattern, longest = spec["pattern"], spec["maxLength"]
    search = re.compile(pattern).search
    joined = None
    if pattern == _ID_PATTERN and longest >= 1:
        joined = re.compile(f"(?:[A-Za-z0-9][A-Za-z0-9._@-]{{0,{longest - 1}}}\n)*").fullmatch

    def plain_ids(values: Any) -> bool:
        try:
            if joined is None:
                return all(map(search, values)) and max(map(len, values), default=0) <= longest
            if not values:
                return True
            text = "\n".join(values)  # no id may hold a newline: one line an id
            return text.count("\n") == len(values) - 1 and joined(text + "\n") is not None
        except TypeError:  # not a string
            return False

    return plain_ids


def without_plain_entries(data: Any) -> Any:
    """`data`, or a shallow copy without the plainly valid users and groups."""
    if not isinstance(data, dict):
        return data
    trimmed = None
    for section, plain in (("users", _plain_user), ("groups", _plain_group)):
        entries = data.get(section)
        if isinstance(entries, dict) and len(entries) > MIN_ENTRIES:
            plain_ids = _id_rule()
            if trimmed is None:
                trimmed = dict(data)
            if plain_ids(entries):  # the usual case: only values to look at
                trimmed[section] = {k: v for k, v in entries.items() if not plain(v, plain_ids)}
            else:
                trimmed[section] = {
                    k: v
                    for k, v in entries.items()
                    if not (plain_ids((k,)) and plain(v, plain_ids))
                }
    return data if trimmed is None else trimmed


def _plain_user(value: Any, plain_ids: Callable[[Any], bool]) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    for name, field in value.items():
        if name in _USER_TEXT:
            if not isinstance(field, str):
                return False
        elif name != "attrs" or not isinstance(field, dict):
            return False
    return True


def _plain_group(value: Any, plain_ids: Callable[[Any], bool]) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    for name, field in value.items():
        if name in ("members", "includes"):
            if not isinstance(field, list) or not plain_ids(field):
                return False
        elif name != "description" or not isinstance(field, str):
            return False
    return True
