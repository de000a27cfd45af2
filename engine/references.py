"""Checks of the references in a policy draft: principals, escalations, channels.

`References` is the base of the semantic checker of `engine.validate` (and what the
inbound section's checks call): each method reports, at the offending node, a
principal naming an unknown user or group, an unknown escalation, a channel id that
is not defined (a glob matching no channel is a warning), and an `approvals` count
greater than the number of people who could ever approve.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from .draft import Draft, Item, Report, _strings, _walk
from .permissions import reachable
from .schema import suggest

GLOB_CHARS = frozenset("*?[")


class References:
    def __init__(self, draft: Draft, report: Report):
        self.d = draft
        self.r = report
        self._nested: dict[str, list[str]] | None = None  # group -> included, once asked
        self._glob_cache: dict[str, bool] = {}
        self._channel_names: list[str] | None = None

    def principals(self, item: Item, *sub: Any) -> None:
        """Every principal in the list at item.path + sub names a known user or group."""
        values = _walk(item.value, sub)
        if not isinstance(values, list):
            return
        for index, principal in enumerate(values):
            if not isinstance(principal, str) or principal == "*":
                continue
            kind, _, ident = principal.partition(":")
            section = {"user": "users", "group": "groups"}.get(kind)
            if section is None or section in self.d.opaque or self.d.known(section, ident):
                continue
            choices = getattr(self.d, section)
            hint = suggest(ident, choices)
            if not hint:
                other = "groups" if section == "users" else "users"
                if self.d.known(other, ident):
                    hint = f" (there is a {other[:-1]} '{ident}': write {other[:-1]}:{ident})"
            self.r.error(
                item.loc(*sub, index),
                f"unknown {kind} '{ident}' in {item.describe(*sub)}{hint}",
            )

    def escalation_ref(self, item: Item) -> None:
        name = item.get("escalation")
        if not isinstance(name, str) or "escalations" in self.d.opaque:
            return
        if not self.d.known("escalations", name):
            listing = ", ".join(sorted(self.d.escalations)) or "none defined"
            self.r.error(
                item.loc("escalation"),
                f"unknown escalation '{name}' in {item.describe()}"
                f"{suggest(name, self.d.escalations)}; escalations: {listing}",
            )

    def channel_refs(self, item: Item) -> None:
        globs = item.get("channels")
        if not isinstance(globs, list) or "channels" in self.d.opaque:
            return
        for index, glob in enumerate(globs):
            if not isinstance(glob, str):
                continue
            if GLOB_CHARS.isdisjoint(glob):
                if not self.d.known("channels", glob):
                    self.r.error(
                        item.loc("channels", index),
                        f"unknown channel '{glob}' in {item.describe()}"
                        f"{suggest(glob, self.d.channels)}",
                    )
            elif not self._glob_matches(glob):
                self.r.warn(
                    item.loc("channels", index),
                    f"channel glob '{glob}' in {item.describe()} matches no channel",
                )

    def _glob_matches(self, glob: str) -> bool:
        found = self._glob_cache.get(glob)
        if found is None:
            if self._channel_names is None:
                self._channel_names = list(self.d.channels)
            found = any(fnmatchcase(n, glob) for n in self._channel_names)
            self._glob_cache[glob] = found
        return found

    def approvals(self, item: Item, signoff: Any, approvals: Any, at: tuple) -> None:
        """`approvals` must not exceed the people who could ever approve."""
        if not isinstance(signoff, list):
            return
        approvals = approvals if isinstance(approvals, int) else 1
        if self.d.opaque & {"users", "groups", "escalations"}:
            return
        principals = [p for p in signoff if isinstance(p, str)]
        name = item.get("escalation")
        escalation = self.d.escalations.get(name) if isinstance(name, str) else None
        if escalation is not None and isinstance(escalation.value, list):
            for level in escalation.value:
                if isinstance(level, dict):
                    principals.extend(_strings(level.get("to")))
        if not all(map(self._stands_for_users, principals)):
            return  # an unknown or broken principal: reported elsewhere
        people: set[str] = set()
        for principal in principals:
            for person in self._people(principal):
                people.add(person)
                if len(people) >= approvals:
                    return  # enough: the rest need not be counted
        if approvals > len(people):
            self.r.error(
                item.loc(*at),
                f"{item.describe()} needs {approvals} approvals but only {len(people)} "
                f"{'person' if len(people) == 1 else 'people'} could ever approve",
            )

    def _stands_for_users(self, principal: str) -> bool:
        """Whether `principal` is `*`, a known user or a known group."""
        if principal == "*":
            return True
        kind, _, ident = principal.partition(":")
        if kind == "user":
            return ident in self.d.users
        return kind == "group" and ident in self.d.groups

    def _people(self, principal: str) -> Iterator[str]:
        """The users a known principal stands for, one at a time (some may repeat)."""
        users = self.d.users
        if principal == "*":
            yield from users
            return
        kind, _, ident = principal.partition(":")
        if kind == "user":
            yield ident
            return
        groups = self.d.groups
        if self._nested is None:
            self._nested = {gid: group.strings("includes") for gid, group in groups.items()}
        for gid in reachable(self._nested, ident):
            if gid in groups:
                for person in groups[gid].strings("members"):
                    if person in users:
                        yield person
