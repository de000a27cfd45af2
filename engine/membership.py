"""Who is in which group, for a compiled policy: each user's groups and principals.

A user's principal set {`*`, `user:ID`, `group:G`...} is built the first time it is
asked for and remembered, not for every user up front: a directory of 200,000 people
would otherwise cost seconds and a hundred megabytes at every start, for the few
users one command looks at. Users with the same groups share one group set. The
first few users are found by scanning the groups' member sets; once many have been
asked for (the web app, `sayso lint`, `who`), a user -> groups index is built once.

The tables only grow, and always with the same answer for a user, so the compiled
engine stays safe to share across threads (two threads may compute one entry twice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .model import Policy
from .permissions import group_members

SCAN_LIMIT = 64  # users looked up by scanning every group before an index is built
NOBODY: frozenset[str] = frozenset()


class PerUser:
    """A read-only table by user id, filled on first use: `get(user, default)`."""

    __slots__ = ("_found", "_compute")

    def __init__(self, compute: Callable[[str], frozenset[str] | None]):
        self._found: dict[str, frozenset[str]] = {}
        self._compute = compute

    def get(self, user_id: str, default: Any = None) -> Any:
        found = self._found.get(user_id)
        if found is None:
            found = self._compute(user_id)
            if found is None:
                return default
            self._found[user_id] = found
        return found


class Membership:
    """Groups (through nested includes) and principals of each user of a policy."""

    def __init__(self, policy: Policy):
        self.users = policy.users
        self.group_members: Mapping[str, frozenset[str]] = group_members(policy)
        self._tag = {gid: f"group:{gid}" for gid in self.group_members}
        self._shared: dict[frozenset[str], frozenset[str]] = {NOBODY: NOBODY}
        self._index: dict[str, list[str]] | None = None
        self._scans = 0
        self._everyone: frozenset[str] | None = None
        self.groups = PerUser(self._groups_of)
        self.principals = PerUser(self._principals_of)

    def everyone(self) -> frozenset[str]:
        if self._everyone is None:
            self._everyone = frozenset(self.users)
        return self._everyone

    def _groups_of(self, user_id: str) -> frozenset[str] | None:
        if user_id not in self.users:
            return None
        if self._index is None and self._scans < SCAN_LIMIT:
            self._scans += 1
            found = frozenset(g for g, people in self.group_members.items() if user_id in people)
        else:
            found = frozenset(self._user_index().get(user_id, ()))
        return self._shared.setdefault(found, found)

    def _user_index(self) -> dict[str, list[str]]:
        index = self._index
        if index is None:
            index = {}
            for gid, people in self.group_members.items():
                for user_id in people:
                    found = index.get(user_id)
                    if found is None:
                        index[user_id] = [gid]
                    else:
                        found.append(gid)
            self._index = index
        return index

    def _principals_of(self, user_id: str) -> frozenset[str] | None:
        groups = self.groups.get(user_id)
        if groups is None:
            return None
        tag = self._tag
        return frozenset(("*", f"user:{user_id}", *(tag[g] for g in groups)))
