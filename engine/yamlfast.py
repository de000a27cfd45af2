"""The fast way to read a YAML file: values, and the positions of its shallow nodes
only, in one tight loop over libyaml's events (see `engine.yamlpos`)."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .yamlbase import MAX_DEPTH, MAX_NODES, Loader, Path, event_pos, scalar_value

_NO_KEY: Any = object()  # the open mapping awaits a key


def _fast_plain() -> frozenset[str] | None:
    """First characters of plain scalars that may resolve to something else than a
    string (the resolver's own table); None when some resolver takes any character."""
    firsts = Loader.yaml_implicit_resolvers
    return None if None in firsts else frozenset(c for c in firsts if c)


FAST_PLAIN = _fast_plain()


class Unusual(Exception):
    """Something the fast way leaves to the full one."""


def values_of(
    loader: Any, plain_first: frozenset[str]
) -> tuple[Any, dict[Path, int], dict[Path, dict[str, int]]]:
    """The document's values and the positions of its shallow nodes, from the parser's
    events in one tight loop. Raises `Unusual` on anything but plain mappings,
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
                raise Unusual
            value = event.value
            if key is no_key:  # a key of the open mapping
                if value in cur or value == "<<":
                    raise Unusual
                if key_table is None:
                    key = names.setdefault(value, value)
                else:
                    key = value
                    mark = event.start_mark
                    key_table[value] = (mark.line + 1) << 24 | (mark.column + 1)
            else:
                if (not value or value[0] in plain_first) and event.implicit[0]:
                    value = scalar_value(event, resolve, scalar_node, loader, event_pos(event))
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
                raise Unusual
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
                            raise Unusual
                        key = names.setdefault(value, value)
                        event = get_event()
                        if event.__class__ is not scalar_event or event.tag is not None:
                            nodes += 1
                            break
                        value = event.value
                        if (not value or value[0] in plain_first) and event.implicit[0]:
                            value = scalar_value(
                                event, resolve, scalar_node, loader, event_pos(event)
                            )
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
                            value = scalar_value(
                                event, resolve, scalar_node, loader, event_pos(event)
                            )
                        append(value)
                        nodes += 1
                continue  # with the event that ended the loop
        elif cls is alias_event:
            raise Unusual
        elif cls is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise Unusual
        event = get_event()
    if nodes > MAX_NODES:
        raise Unusual
    return (top[0] if top else None), values, keys
