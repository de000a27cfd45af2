"""The form in which the policy cache stores a `Policy`: its users as columns.

Pickle writes and reads a frozen dataclass through Python-level `__getstate__` and
`__setstate__`, a few microseconds an object: for a directory of 200,000 users (each a
`User` with its `Loc`) that alone took over half a second to read back. The users
are stored instead as lists of their fields, which pickle reads in C, and rebuilt
by setting their slots directly (what the frozen dataclass's `__init__` does,
without its per-field Python calls). Everything else is pickled as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .model import Loc, Policy, User

_USER = ("id", "name", "email", "attrs", "loc")


def _builder(cls: type, names: tuple[str, ...]) -> Callable[..., Any]:
    """A function making `cls(*values)` for a frozen slots dataclass, slot by slot."""
    if tuple(f.name for f in dataclasses.fields(cls)) != names:
        raise TypeError(f"{cls.__name__} has other fields than {names}")
    setters = [getattr(cls, name).__set__ for name in names]
    new = object.__new__

    def build(*values: Any) -> Any:
        obj = new(cls)
        for set_slot, value in zip(setters, values, strict=True):
            set_slot(obj, value)
        return obj

    return build


def pack(policy: Policy) -> tuple:
    """(the policy without its users, the users as columns) or (policy, None) when a
    user is filed under another id than its own (then it is pickled as it is)."""
    users = policy.users
    if any(key is not user.id and key != user.id for key, user in users.items()):
        return policy, None
    where: dict[int, int] = {}  # id(Loc) -> its row in `locs`
    locs: list[tuple[str, int, int]] = []
    rows = []
    for user in users.values():
        loc = user.loc
        row = where.get(id(loc))
        if row is None:
            row = where[id(loc)] = len(locs)
            locs.append((loc.file, loc.line, loc.col))
        rows.append(row)
    columns = (
        list(users),
        [u.name for u in users.values()],
        [u.email for u in users.values()],
        [u.attrs for u in users.values()],
        rows,
        locs,
    )
    return dataclasses.replace(policy, users={}), columns


def unpack(policy: Policy, columns: tuple | None) -> Policy:
    if columns is None:
        return policy
    ids, names, emails, attrs, rows, loc_rows = columns
    make_loc, make_user = _builder(Loc, ("file", "line", "col")), _builder(User, _USER)
    locs = [make_loc(*row) for row in loc_rows]
    users = {
        uid: make_user(uid, name, email, attr, locs[row])
        for uid, name, email, attr, row in zip(ids, names, emails, attrs, rows, strict=True)
    }
    return dataclasses.replace(policy, users=users)
