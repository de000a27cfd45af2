"""A merged policy draft as the semantic checks read it: each file's data with the
position of every node, each section's items, and the report the checks fill in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .model import Loc
from .wording import describe
from .yamlpos import Positions


@dataclass(slots=True)
class Source:
    """One policy file as read: its data and where each node stands."""

    rel: str  # relative POSIX path inside the policy directory
    name: str  # as shown to people: the directory as given joined with `rel`
    data: Any
    positions: Positions

    def loc(self, path: tuple, at_key: bool = False) -> Loc:
        line, col = self.positions.key(path) if at_key else self.positions.value(path)
        return Loc(self.name, line, col)


@dataclass(slots=True)
class Item:
    """One entry of a section (a user, a rule...), with where it was written."""

    id: str
    value: Any
    src: Source
    path: tuple  # e.g. ("users", "dana") or ("rules", 3)
    at: Loc | None = None  # where, when known already (every user of a directory source)

    @property
    def where(self) -> Loc:
        """The entry itself: its key in a mapping section, its item in a list section."""
        if self.at is not None:
            return self.at
        return self.src.loc(self.path, at_key=isinstance(self.path[-1], str))

    def loc(self, *sub: Any, at_key: bool = False) -> Loc:
        return self.src.loc(self.path + sub, at_key)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.value
        return value.get(key, default) if isinstance(value, dict) else default

    def strings(self, key: str) -> list[str]:
        """The strings of the list at `key` (nothing if it is not a list)."""
        return _strings(self.get(key))

    def describe(self, *sub: Any) -> str:
        return describe(self.path + sub, self.src.data)


@dataclass(slots=True)
class Draft:
    """The policy merged across files, before the model objects are built."""

    users: dict[str, Item] = field(default_factory=dict)
    groups: dict[str, Item] = field(default_factory=dict)
    channels: dict[str, Item] = field(default_factory=dict)
    topics: dict[str, Item] = field(default_factory=dict)
    escalations: dict[str, Item] = field(default_factory=dict)
    roles: dict[str, Item] = field(default_factory=dict)
    delegation: dict[str, Item] = field(default_factory=dict)  # max_duration, allow
    limits: dict[str, Item] = field(default_factory=dict)
    rules: dict[str, Item] = field(default_factory=dict)
    checks: dict[str, Item] = field(default_factory=dict)
    waivers: dict[str, Item] = field(default_factory=dict)
    notifiers: list[Item] = field(default_factory=list)
    directory: list[Item] = field(default_factory=list)
    inbound_routes: dict[str, Item] = field(default_factory=dict)  # in policy order
    inbound_default: Item | None = None
    inbound_sources: dict[str, Item] = field(default_factory=dict)
    # (section, id) -> where it was first defined
    seen: dict[tuple[str, str], Loc] = field(default_factory=dict)
    # sections of which some part could not be read at all: references to them unchecked
    opaque: set[str] = field(default_factory=set)
    # plugin options normalised by the plugin's schema, by (file, item path)
    options: dict[tuple[str, tuple], dict[str, Any]] = field(default_factory=dict)

    def known(self, section: str, ident: str) -> bool:
        return (section, ident) in self.seen


@dataclass(slots=True)
class Report:
    errors: list[tuple[Loc, str]] = field(default_factory=list)
    warnings: list[tuple[Loc, str]] = field(default_factory=list)

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append((loc, message))

    def warn(self, loc: Loc, message: str) -> None:
        self.warnings.append((loc, message))


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _walk(value: Any, path: Iterable[Any]) -> Any:
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value
