"""Where each node of a YAML file stands: `Positions`, line and column (1-based) by
path, complete or (for a big file read the fast way) shallow until asked for more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Path = tuple[Any, ...]
T = TypeVar("T")


class Positions:
    """Line and column (1-based) of every value and mapping key in one file, by path.

    Built from complete tables, or (`Positions.shallow`) from the positions of the
    shallow nodes alone plus the file's bytes: a path outside those is then looked up
    in tables made by reading the file again with every position, the first time one
    is asked for. Shallow means what loading asks for every entry: keys down to section
    entries (`users.dana`), values of sections and of list items with their direct
    children (`rules[3]`, `rules[3].id`)."""

    __slots__ = ("values", "keys", "_shallow")

    def __init__(self, values: dict[Path, tuple[int, int]], keys: dict[Path, tuple[int, int]]):
        self.values = values
        self.keys = keys
        self._shallow: _Shallow | None = None

    @classmethod
    def shallow(
        cls, data: bytes, values: dict[Path, int], keys: dict[Path, dict[str, int]]
    ) -> Positions:
        """`values`: packed positions (see `_unpack`) by path; `keys`: those of the keys
        of each mapping by its path, then by key."""
        found = cls({}, {})
        found._shallow = _Shallow(data, values, keys)
        return found

    @property
    def complete(self) -> bool:
        """Whether the tables hold every node (read fully, or completed on demand)."""
        return self._shallow is None

    def value(self, path: Path) -> tuple[int, int]:
        """Where the value at `path` starts (or its nearest located ancestor)."""
        path = tuple(path)
        shallow = self._shallow
        if shallow is not None:
            if len(path) <= 1 or (len(path) <= 3 and path[1].__class__ is int):
                return shallow.value(path)
            self._complete()
        return self._nearest(self.values, path)

    def key_places(self, path: Path, make: Callable[[int, int], T]) -> dict[str, T] | None:
        """`make(line, col)` of every key of the mapping at `path`, by key, in one go
        when the shallow tables hold them (else None: ask `key` for each)."""
        shallow = self._shallow
        table = shallow.keys.get(tuple(path)) if shallow is not None else None
        if table is None:
            return None
        return {key: make(p >> 24, p & 0xFFFFFF) for key, p in table.items()}

    def key(self, path: Path) -> tuple[int, int]:
        """Where the mapping key of the entry at `path` stands (else where its value is)."""
        path = tuple(path)
        shallow = self._shallow
        if shallow is not None:
            if len(path) <= 2:  # (inlined: once for every entry of a big directory)
                table = shallow.keys.get(path[:-1]) if path else None
                packed = table.get(path[-1]) if table is not None else None
                if packed is not None:
                    return packed >> 24, packed & 0xFFFFFF
                return self.value(path)
            self._complete()
        found = self.keys.get(path)
        return found if found is not None else self.value(path)

    def _complete(self) -> None:
        """Read the file again with every position (the shallow tables go last, so a
        concurrent reader sees either them or the complete ones)."""
        shallow = self._shallow
        if shallow is None:
            return
        from .yamlpos import YamlProblem, read_yaml  # (which builds Positions)

        try:
            full = read_yaml(shallow.data, all_positions=True).positions
            values, keys = full.values, full.keys
        except YamlProblem:  # read once without problems: not expected
            values, keys = shallow.tables()
        self.values, self.keys = values, keys
        self._shallow = None

    @staticmethod
    def _nearest(table: dict[Path, tuple[int, int]], path: Path) -> tuple[int, int]:
        while path:
            found = table.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return table.get((), (1, 1))


def _unpack(packed: int) -> tuple[int, int]:
    """A position packed in one int, `line << 24 | col` (a file is at most 2 MiB)."""
    return packed >> 24, packed & 0xFFFFFF


class _Shallow:
    """The positions of the shallow nodes, compact: a directory has many."""

    __slots__ = ("data", "values", "keys")

    def __init__(self, data: bytes, values: dict[Path, int], keys: dict[Path, dict[str, int]]):
        self.data = data
        self.values = values
        self.keys = keys

    def value(self, path: Path) -> tuple[int, int]:
        while path:
            found = self.values.get(path)
            if found is not None:
                return _unpack(found)
            path = path[:-1]
        found = self.values.get(())
        return (1, 1) if found is None else _unpack(found)

    def tables(self) -> tuple[dict[Path, tuple[int, int]], dict[Path, tuple[int, int]]]:
        """The positions in the form of complete tables."""
        values = {path: _unpack(p) for path, p in self.values.items()}
        keys = {
            (*path, key): _unpack(p)
            for path, table in self.keys.items()
            for key, p in table.items()
        }
        return values, keys
