"""Checks of the references in a policy draft: principals, escalations, channels.

`References` is the base of the semantic checker of `engine.validate` (and what the
inbound section's checks call): each method reports, at the offending node, a
principal naming an unknown user or group, an unknown escalation, a channel id that
is not defined (a glob matching no channel is a warning), and an `approvals` count
greater than the number of people who could ever approve.
"""

from __future__ import annotations

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
        self._members: dict[str, frozenset[str]] = {}
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
                self._channel_names = [i for section, i in self.d.seen if section == "channels"]
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
        people: set[str] = set()
        for principal in principals:
            members = self.members(principal)
            if members is None:
                return  # an unknown or broken principal: reported elsewhere
            people |= members
        if approvals > len(people):
            self.r.error(
                item.loc(*at),
                f"{item.describe()} needs {approvals} approvals but only {len(people)} "
                f"{'person' if len(people) == 1 else 'people'} could ever approve",
            )

    def members(self, principal: str) -> frozenset[str] | None:
        """The users a principal stands for (None if it names something unknown or broken)."""
        if principal == "*":
            return frozenset(self.d.users)
        kind, _, ident = principal.partition(":")
        if kind == "user":
            return frozenset([ident]) if ident in self.d.users else None
        if kind != "group" or ident not in self.d.groups:
            return None
        if ident not in self._members:
            groups = self.d.groups
            if self._nested is None:
                self._nested = {gid: group.strings("includes") for gid, group in groups.items()}
            nested = self._nested
            people = {
                p
                for gid in reachable(nested, ident)
                if gid in groups
                for p in groups[gid].strings("members")
            }
            self._members[ident] = frozenset(people & self.d.users.keys())
        return self._members[ident]
