"""The form in which the policy cache stores a `Policy`: its users as columns.

Pickle writes and reads a frozen dataclass through Python-level `__getstate__` and
`__setstate__`, a few microseconds an object: for a directory of 200,000 users (each a
`User` with its `Loc`) that alone took over half a second to read back. The users
are stored instead as lists of their fields (ids, names and emails each joined into
one string), which pickle reads in C, and rebuilt by setting their slots directly
(what the frozen dataclass's `__init__` does, without its per-field Python calls),
column by column. Everything else is pickled as it is.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

from .model import Loc, Policy, User

_USER = ("id", "name", "email", "attrs", "loc")


def _setters(cls: type, names: tuple[str, ...]) -> list[Callable[[Any, Any], None]]:
    """The slot setters of a frozen slots dataclass, which must have exactly `names`."""
    if tuple(f.name for f in dataclasses.fields(cls)) != names:
        raise TypeError(f"{cls.__name__} has other fields than {names}")
    return [getattr(cls, name).__set__ for name in names]


def _build_all(cls: type, names: tuple[str, ...], columns: tuple[Iterable, ...]) -> list[Any]:
    """Instances of a frozen slots dataclass, one for each row of `columns` (one column
    for each field in `names`), made and filled slot by slot in loops that run in C:
    no Python call for each instance."""
    setters = _setters(cls, names)
    lists = [c if isinstance(c, list) else list(c) for c in columns]
    count = len(lists[0])
    if any(len(c) != count for c in lists) or len(lists) != len(setters):
        raise ValueError(f"the columns of {cls.__name__} do not match")
    made: list[Any] = list(map(object.__new__, repeat(cls, count)))
    for setter, column in zip(setters, lists, strict=True):
        deque(map(setter, made, column), maxlen=0)  # consumes the map: sets every slot
    return made


def pack(policy: Policy) -> tuple:
    """(the policy without its users, the users as columns) or (policy, None) when a
    user is filed under another id than its own (then it is pickled as it is)."""
    users = policy.users
    if any(key is not user.id and key != user.id for key, user in users.items()):
        return policy, None
    files: list[str] = []
    lines: list[int] = []
    cols: list[int] = []
    rows = []
    last = None  # users in a row often share one place (every user of a CSV source)
    for user in users.values():
        loc = user.loc
        if loc is not last:
            last = loc
            files.append(loc.file)
            lines.append(loc.line)
            cols.append(loc.col)
        rows.append(len(files) - 1)
    columns = (
        _joined(list(users)),
        _joined([u.name for u in users.values()]),
        _joined([u.email for u in users.values()]),
        [u.attrs for u in users.values()],
        rows,
        (files, lines, cols),
    )
    return dataclasses.replace(policy, users={}), columns


def _joined(values: list[str]) -> str | list[str]:
    """The strings as one, NUL between them, when none holds a NUL (pickle then writes
    and remembers one object, not one for each user), else as they are."""
    try:
        joined = "\0".join(values)
    except TypeError:
        return values
    return joined if values and joined.count("\0") == len(values) - 1 else values


def _split(column: str | list[str]) -> list[str]:
    return column.split("\0") if isinstance(column, str) else column


def unpack(policy: Policy, columns: tuple | None) -> Policy:
    if columns is None:
        return policy
    ids, names, emails, attrs, rows, (files, lines, cols) = columns
    locs = _build_all(Loc, ("file", "line", "col"), (files, lines, cols))
    ids = _split(ids)
    rebuilt = (ids, _split(names), _split(emails), attrs, map(locs.__getitem__, rows))
    users = dict(zip(ids, _build_all(User, _USER, rebuilt), strict=True))
    return dataclasses.replace(policy, users=users)
