"""Safe YAML reading that keeps the line and column of every node.

`read_yaml(data)` turns the bytes of one policy file into plain Python values
(dicts, lists, str, int, float, bool, None) plus a `Positions` table that gives the
1-based line and column of every value and every mapping key, addressed by its path
(a tuple of mapping keys and list indexes, like a JSON pointer).

It builds values straight from libyaml's parse events (`yaml.CSafeLoader` when PyYAML
has its C extension, else the pure-Python `SafeLoader`), in one loop without recursion,
so a large file is fast and a deeply nested one cannot overflow the stack.

Most of a big file's nodes are never pointed at (a directory of 200,000 users has over
a million), so a file is read first the fast way: values, and the positions of the
shallow nodes that loading gives every entry (see `Positions`). The position of any
other node is found by reading that file again, fully, the first time one is asked
for (a problem, a warning, a lint finding). A file with anything the fast way leaves
alone (anchors, aliases, merge keys, tags, duplicate keys, anything refused below) is
read the full way at once, so each problem is reported the same either way.

Refused, each as a `YamlProblem` at the offending spot:

- files over `MAX_FILE_BYTES`, bytes that are not UTF-8, YAML syntax errors;
- more than one document in a file;
- a mapping key that occurs twice in one mapping (YAML itself would keep the last);
- tags other than YAML's standard scalar and collection tags (`!!python/object`...);
- nesting deeper than `MAX_DEPTH`, and more than `MAX_NODES` nodes once aliases are
  expanded (a "billion laughs" alias bomb is refused before it costs anything);
- a mapping or sequence used as a mapping key; an alias to an undefined anchor.

Mapping keys are always strings: a plain key such as `1` or `yes` is taken as written.
Timestamps (`2026-05-01`) are kept as the text written, so dates reach the schema as
strings. Merge keys (`<<: *defaults`) are supported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

Path = tuple[Any, ...]
T = TypeVar("T")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_KEEP, _MERGE_INTO, _DISCARD = 0, 1, 2
_NO_KEY: Any = object()  # the fast way: the open mapping awaits a key
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


def _fast_plain() -> frozenset[str] | None:
    """First characters of plain scalars that may resolve to something else than a
    string (the resolver's own table); None when some resolver takes any character."""
    firsts = Loader.yaml_implicit_resolvers
    return None if None in firsts else frozenset(c for c in firsts if c)


class YamlProblem(Exception):
    """A file that cannot be read as a policy; `line` and `col` are 1-based."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


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
        try:
            full = _build(decode(shallow.data)).positions
            values, keys = full.values, full.keys
        except (YamlProblem, yaml.YAMLError):  # read once without problems: not expected
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


@dataclass(slots=True)
class Document:
    data: Any  # None for an empty file
    positions: Positions
    problems: list[YamlProblem]  # duplicate keys: reported, the first value kept


@dataclass(slots=True)
class _Frame:
    is_map: bool
    value: Any  # dict or list
    path: Path
    anchor: str | None
    count: int  # nodes inside, aliases expanded
    key: Any = None  # mapping: the key waiting for its value
    key_path: Path = ()  # and its path (one tuple for the key's and the value's place)
    mode: int = 0  # what to do with that value: _KEEP, _MERGE_INTO or _DISCARD
    merges: list | None = None


def decode(data: bytes) -> str:
    """Strict UTF-8 (a BOM is allowed); a YamlProblem at the first bad byte otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line, col = line_col_of_byte(data, err.start)
        raise YamlProblem(
            f"not UTF-8: byte 0x{data[err.start]:02x} cannot be decoded", line, col
        ) from None


def line_col_of_byte(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[start:offset].decode("utf-8", "replace")) + 1
    return line, col


def read_yaml(data: bytes, *, all_positions: bool = False) -> Document:
    """Parse one YAML document from bytes; raises YamlProblem (never anything else).
    The positions of deep nodes are found when first asked for, unless `all_positions`."""
    if len(data) > MAX_FILE_BYTES:
        raise YamlProblem(
            f"file is too large ({len(data):,} bytes; the limit is {MAX_FILE_BYTES:,})"
        )
    text = decode(data)
    try:
        return _build(text, None if all_positions else data)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as err:
        raise _yaml_problem(err) from None
    except yaml.YAMLError as err:  # ReaderError: a character YAML does not allow
        line, col = 1, 1
        position = getattr(err, "position", None)
        if isinstance(position, int):
            line, col = line_col_of_byte(text.encode("utf-8"), position)
        reason = getattr(err, "reason", None) or str(err).splitlines()[0]
        raise YamlProblem(f"invalid YAML: {reason}", line, col) from None
    except (RecursionError, MemoryError):
        raise YamlProblem("invalid YAML: the document is too deeply nested or too large") from None


def _yaml_problem(err: yaml.MarkedYAMLError) -> YamlProblem:
    mark = err.problem_mark or err.context_mark
    parts = [p for p in (err.context, err.problem) if p]
    message = "invalid YAML: " + (", ".join(parts) if parts else "syntax error")
    if err.context_mark is not None and err.problem_mark is not None and err.context:
        message += f" (started at line {err.context_mark.line + 1})"
    if mark is None:
        return YamlProblem(message)
    return YamlProblem(message, mark.line + 1, mark.column + 1)


def _build(text: str, data: bytes | None = None) -> Document:
    """With `data` (the file's bytes), the fast way first: values and shallow positions
    only. Anything it leaves to the full way is read again from the start that way."""
    if data is not None and _FAST_PLAIN is not None:
        loader = Loader(text)
        try:
            root, values, keys = _values_of(loader, _FAST_PLAIN)
            return Document(root, Positions.shallow(data, values, keys), [])
        except Exception:  # noqa: BLE001 - read again below, which reports it exactly
            pass
        finally:
            loader.dispose()
    loader = Loader(text)
    try:
        return _events_to_document(loader)
    finally:
        loader.dispose()


class _Unusual(Exception):
    """Something the fast way leaves to the full one."""


def _values_of(
    loader: Any, plain_first: frozenset[str]
) -> tuple[Any, dict[Path, int], dict[Path, dict[str, int]]]:
    """The document's values and the positions of its shallow nodes, from the parser's
    events in one tight loop. Raises `_Unusual` on anything but plain mappings,
    sequences and scalars without tags (anchors, aliases, merge keys, tags, duplicate
    keys, collection keys, a second document, too deep or too many nodes): those are
    rare, and the full way finds and reports each exactly. A plain scalar is a string
    unless it starts with one of `plain_first` (or is empty): only those are resolved.
    The positions are those `Positions.shallow` takes."""
    resolve = loader.resolve
    scalar_node = yaml.ScalarNode
    scalar_event, alias_event = ScalarEvent, AliasEvent
    map_start, seq_start, map_end, seq_end = (
        MappingStartEvent,
        SequenceStartEvent,
        MappingEndEvent,
        SequenceEndEvent,
    )
    no_key = _NO_KEY
    values: dict[Path, int] = {}
    keys: dict[Path, dict[str, int]] = {}
    names: dict[str, str] = {}  # one string for each key of deeper mappings (`name`...)
    top: list[Any] = []
    # the open collection, whether it is a mapping, the key waiting for its value
    # (no_key: a mapping awaits a key), the collection's path when its children's
    # positions are kept (else None), the table of its keys' positions when kept,
    # whether its values' positions are kept
    cur: Any = top
    is_map = False
    key: Any = None
    path: Path | None = ()
    key_table: dict[str, int] | None = None
    keep_values = True
    stack: list[tuple[Any, bool, Any, Path | None, dict[str, int] | None, bool]] = []
    documents = 0
    nodes = 0
    get_event = loader.get_event
    # an anchor alone changes nothing: only an alias (left to the full way) uses it
    event = get_event()
    while event is not None:
        cls = event.__class__
        if cls is scalar_event:
            nodes += 1
            if event.tag is not None:
                raise _Unusual
            value = event.value
            if key is no_key:  # a key of the open mapping
                if value in cur or value == "<<":
                    raise _Unusual
                if key_table is None:
                    key = names.setdefault(value, value)
                else:
                    key = value
                    mark = event.start_mark
                    key_table[value] = (mark.line + 1) << 24 | (mark.column + 1)
            else:
                if (not value or value[0] in plain_first) and event.implicit[0]:
                    value = _scalar(event, resolve, scalar_node, loader, _pos(event))
                if keep_values:
                    mark = event.start_mark
                    where = path + (key if is_map else len(cur),) if stack else ()  # type: ignore[operator]
                    values[where] = (mark.line + 1) << 24 | (mark.column + 1)
                if is_map:
                    cur[key] = value
                    key = no_key
                else:
                    cur.append(value)
        elif cls is map_end or cls is seq_end:
            value = cur
            cur, is_map, key, path, key_table, keep_values = stack.pop()
            if is_map:
                cur[key] = value
                key = no_key
            else:
                cur.append(value)
        elif cls is map_start or cls is seq_start:
            nodes += 1
            if key is no_key or event.tag is not None or len(stack) >= MAX_DEPTH:
                raise _Unusual
            stack.append((cur, is_map, key, path, key_table, keep_values))
            depth = len(stack)  # the new collection's
            if keep_values and depth <= 3:  # its place is kept: its children's may be
                path = path + (key if is_map else len(cur),) if depth > 1 else ()  # type: ignore[operator]
                mark = event.start_mark
                values[path] = (mark.line + 1) << 24 | (mark.column + 1)
                is_map = cls is map_start
                key_table = None
                if is_map and depth <= 2:
                    key_table = keys[path] = {}
                keep_values = (
                    depth == 1
                    or (depth == 2 and not is_map)
                    or (depth == 3 and path[1].__class__ is int)
                )
            else:
                if keep_values:
                    mark = event.start_mark
                    where = path + (key if is_map else len(cur),)  # type: ignore[operator]
                    values[where] = (mark.line + 1) << 24 | (mark.column + 1)
                is_map = cls is map_start
                path, key_table, keep_values = None, None, False
            cur = {} if is_map else []
            key = no_key if is_map else None
            if path is None:  # a deep collection: its plain scalars, in a tighter loop
                if is_map:
                    while True:
                        event = get_event()
                        if event.__class__ is not scalar_event or event.tag is not None:
                            break
                        value = event.value
                        if value in cur or value == "<<":
                            raise _Unusual
                        key = names.setdefault(value, value)
                        event = get_event()
                        if event.__class__ is not scalar_event or event.tag is not None:
                            nodes += 1
                            break
                        value = event.value
                        if (not value or value[0] in plain_first) and event.implicit[0]:
                            value = _scalar(event, resolve, scalar_node, loader, _pos(event))
                        cur[key] = value
                        key = no_key
                        nodes += 2
                else:
                    append = cur.append
                    while True:
                        event = get_event()
                        if event.__class__ is not scalar_event or event.tag is not None:
                            break
                        value = event.value
                        if (not value or value[0] in plain_first) and event.implicit[0]:
                            value = _scalar(event, resolve, scalar_node, loader, _pos(event))
                        append(value)
                        nodes += 1
                continue  # with the event that ended the loop
        elif cls is alias_event:
            raise _Unusual
        elif cls is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unusual
        event = get_event()
    if nodes > MAX_NODES:
        raise _Unusual
    return (top[0] if top else None), values, keys


def _events_to_document(loader: Any) -> Document:
    """Build the document from the parser's events, keeping every node's position."""
    builder = _Builder(loader)
    handlers = {
        ScalarEvent: builder.scalar,
        MappingStartEvent: builder.start,
        SequenceStartEvent: builder.start,
        MappingEndEvent: builder.end,
        SequenceEndEvent: builder.end,
        AliasEvent: builder.alias,
        DocumentStartEvent: builder.document,
    }
    get_event = loader.get_event
    while True:
        event = get_event()
        if event is None or event.__class__ is StreamEndEvent:
            break
        handle = handlers.get(event.__class__)
        if handle is not None:
            handle(event)
        if builder.total > MAX_NODES:
            mark = event.start_mark
            raise YamlProblem(
                f"too many nodes (over {MAX_NODES:,}) in one file", mark.line + 1, mark.column + 1
            )
    return Document(builder.root, Positions(builder.values, builder.keys), builder.problems)


def _pos(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


class _Builder:
    """Plain Python values from YAML events, one step per kind of event."""

    def __init__(self, loader: Any):
        self.loader = loader
        self.resolve = loader.resolve
        self.values: dict[Path, tuple[int, int]] = {}
        self.keys: dict[Path, tuple[int, int]] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.stack: list[_Frame] = []
        self.total = 0
        self.root: Any = None
        self.documents = 0
        self.problems: list[YamlProblem] = []

    def place(self, value: Any, count: int, mark: Any, anchor: str | None) -> None:
        """Put a finished value into its parent (or make it the root)."""
        if anchor is not None:
            self.anchors[anchor] = (value, count)
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        parent.count += count
        if not parent.is_map:
            parent.value.append(value)
            return
        key, mode = parent.key, parent.mode
        parent.key, parent.mode = None, _KEEP
        if mode == _KEEP:
            parent.value[key] = value
        elif mode == _MERGE_INTO:
            assert parent.merges is not None  # made by key() when it chose this mode
            parent.merges.append((value, mark))

    def _awaits_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].is_map and self.stack[-1].key is None

    def scalar(self, event: Any) -> None:
        pos = _pos(event)
        self.total += 1
        if self._awaits_key():
            self.key(self.stack[-1], event, pos)
            return
        self.values[_child_path(self.stack)] = pos
        value = _scalar(event, self.resolve, yaml.ScalarNode, self.loader, pos)
        self.place(value, 1, event.start_mark, event.anchor)

    def key(self, frame: _Frame, event: Any, pos: tuple[int, int]) -> None:
        """A mapping key: a merge (`<<`), a duplicate (reported, its value dropped) or new."""
        key, tag = event.value, event.tag
        if tag not in (None, "!", _STR, _MERGE):
            raise YamlProblem(f"unsupported tag {_short(tag)} on a key", *pos)
        if event.implicit[0] and key == "<<" and tag in (None, _MERGE):
            frame.key, frame.mode = "<<", _MERGE_INTO
            if frame.merges is None:
                frame.merges = []
            return
        path = frame.path + (key,)
        if key in frame.value or path in self.keys:
            first = self.keys.get(path)
            where = f" (first at line {first[0]}, column {first[1]})" if first else ""
            self.problems.append(YamlProblem(f"duplicate key '{key}'{where}", *pos))
            frame.key, frame.mode = object(), _DISCARD  # a path nothing looks up
            return
        frame.key, frame.key_path = key, path
        self.keys[path] = pos

    def start(self, event: Any) -> None:
        pos = _pos(event)
        is_map = event.__class__ is MappingStartEvent
        tag = event.tag
        if tag is not None and tag != "!" and tag != (_MAP if is_map else _SEQ):
            raise YamlProblem(f"unsupported tag {_short(tag)}", *pos)
        if self._awaits_key():
            raise YamlProblem("a mapping key must be a plain value, not a collection", *pos)
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep", *pos)
        self.total += 1
        path = _child_path(self.stack)
        self.values[path] = pos
        self.stack.append(_Frame(is_map, {} if is_map else [], path, event.anchor, 1))

    def end(self, event: Any) -> None:
        frame = self.stack.pop()
        if frame.merges:
            _apply_merges(frame, self.keys, self.values)
        self.place(frame.value, frame.count, event.start_mark, frame.anchor)

    def alias(self, event: Any) -> None:
        pos = _pos(event)
        if self._awaits_key():
            raise YamlProblem("an alias cannot be used as a mapping key", *pos)
        found = self.anchors.get(event.anchor)
        if found is None:
            raise YamlProblem(f"alias *{event.anchor} refers to no anchor defined before it", *pos)
        value, count = found
        self.total += count
        if self.total > MAX_NODES:
            raise YamlProblem(
                f"too many nodes once aliases are expanded (over {MAX_NODES:,}): an alias bomb?",
                *pos,
            )
        self.values[_child_path(self.stack)] = pos
        self.place(value, count, event.start_mark, None)

    def document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            raise YamlProblem(
                "a policy file holds one YAML document; found a second one here", *_pos(event)
            )


def _child_path(stack: list[_Frame]) -> Path:
    if not stack:
        return ()
    parent = stack[-1]
    if parent.is_map:
        if parent.mode == _KEEP:
            return parent.key_path
        return parent.path + (parent.key,)
    return parent.path + (len(parent.value),)


def _apply_merges(frame: _Frame, keys: dict, values: dict) -> None:
    """`<<: *a` or `<<: [*a, *b]`: copy keys not given explicitly (earlier sources win)."""
    merged: dict[str, Any] = {}
    for value, mark in frame.merges or ():
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                raise YamlProblem(
                    "a merge key (<<) takes a mapping or a list of mappings",
                    mark.line + 1,
                    mark.column + 1,
                )
            for key, item in source.items():
                merged.setdefault(key, (item, mark))
    for key, (item, mark) in merged.items():
        if key not in frame.value:
            frame.value[key] = item
            keys[frame.path + (key,)] = values[frame.path + (key,)] = (
                mark.line + 1,
                mark.column + 1,
            )


def _scalar(event: Any, resolve: Any, scalar_node: Any, loader: Any, pos: tuple[int, int]) -> Any:
    value = event.value
    tag = event.tag
    if tag is None:
        if not event.implicit[0]:
            return value  # quoted or block scalar: a string
        tag = resolve(scalar_node, value, (True, False))
    elif tag == "!":
        return value
    if tag in (_STR, _TIMESTAMP):
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        found = _BOOLS.get(value.lower())
        if found is None:
            raise YamlProblem(f"'{value}' is not a boolean", *pos)
        return found
    if tag in (_INT, _FLOAT):
        node = scalar_node(tag, value)
        try:
            if tag == _INT:
                return loader.construct_yaml_int(node)
            return loader.construct_yaml_float(node)
        except (ValueError, TypeError, IndexError):
            kind = "an integer" if tag == _INT else "a number"
            raise YamlProblem(f"'{value}' is not {kind}", *pos) from None
    raise YamlProblem(f"unsupported tag {_short(tag)} (only plain YAML values are allowed)", *pos)


def _short(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


_FAST_PLAIN = _fast_plain()
