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
from functools import cache
from typing import Any

MIN_ENTRIES = 50  # a smaller section is validated whole: nothing to gain
_USER_TEXT = frozenset(("name", "email", "description"))


@cache
def _id_rule() -> tuple[re.Pattern[str], int]:
    """The schema's own `id` pattern (matched as jsonschema does, with search) and length."""
    from .schema import policy_schema

    spec = policy_schema()["$defs"]["id"]
    return re.compile(spec["pattern"]), spec["maxLength"]


def without_plain_entries(data: Any) -> Any:
    """`data`, or a shallow copy without the plainly valid users and groups."""
    if not isinstance(data, dict):
        return data
    trimmed = None
    for section, plain in (("users", _plain_user), ("groups", _plain_group)):
        entries = data.get(section)
        if isinstance(entries, dict) and len(entries) > MIN_ENTRIES:
            pattern, longest = _id_rule()
            search = pattern.search
            if trimmed is None:
                trimmed = dict(data)
            if _plain_ids(entries, search, longest):  # the usual case: check only values
                trimmed[section] = {
                    k: v for k, v in entries.items() if not plain(v, search, longest)
                }
            else:
                trimmed[section] = {
                    k: v
                    for k, v in entries.items()
                    if not (_plain_ids((k,), search, longest) and plain(v, search, longest))
                }
    return data if trimmed is None else trimmed


def _plain_ids(values: Any, search: Any, longest: int) -> bool:
    """Whether every one of `values` is an id the schema accepts, in one pass in C."""
    try:
        return all(map(search, values)) and max(map(len, values), default=0) <= longest
    except TypeError:  # not a string
        return False


def _plain_user(value: Any, search: Any, longest: int) -> bool:
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


def _plain_group(value: Any, search: Any, longest: int) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    for name, field in value.items():
        if name in ("members", "includes"):
            if not isinstance(field, list) or not _plain_ids(field, search, longest):
                return False
        elif name != "description" or not isinstance(field, str):
            return False
    return True
