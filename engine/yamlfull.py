"""The full way to read a YAML file: every node's position, anchors, aliases, merge
keys and duplicate keys, each problem reported where it is (see `engine.yamlpos`)."""

from __future__ import annotations

from dataclasses import dataclass
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
    StreamEndEvent,
)

from .yamlbase import (
    MAX_DEPTH,
    MAX_NODES,
    TAG_MAP,
    TAG_MERGE,
    TAG_SEQ,
    TAG_STR,
    Document,
    Path,
    YamlProblem,
    event_pos,
    scalar_value,
    short_tag,
)
from .yamlplaces import Positions

_KEEP, _MERGE_INTO, _DISCARD = 0, 1, 2


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


def events_to_document(loader: Any) -> Document:
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
        pos = event_pos(event)
        self.total += 1
        if self._awaits_key():
            self.key(self.stack[-1], event, pos)
            return
        self.values[_child_path(self.stack)] = pos
        value = scalar_value(event, self.resolve, yaml.ScalarNode, self.loader, pos)
        self.place(value, 1, event.start_mark, event.anchor)

    def key(self, frame: _Frame, event: Any, pos: tuple[int, int]) -> None:
        """A mapping key: a merge (`<<`), a duplicate (reported, its value dropped) or new."""
        key, tag = event.value, event.tag
        if tag not in (None, "!", TAG_STR, TAG_MERGE):
            raise YamlProblem(f"unsupported tag {short_tag(tag)} on a key", *pos)
        if event.implicit[0] and key == "<<" and tag in (None, TAG_MERGE):
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
        pos = event_pos(event)
        is_map = event.__class__ is MappingStartEvent
        tag = event.tag
        if tag is not None and tag != "!" and tag != (TAG_MAP if is_map else TAG_SEQ):
            raise YamlProblem(f"unsupported tag {short_tag(tag)}", *pos)
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
        pos = event_pos(event)
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
                "a policy file holds one YAML document; found a second one here", *event_pos(event)
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
