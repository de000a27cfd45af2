"""What both YAML readers of `engine.yamlpos` share: the limits, the problem they
raise, the document they return, and how a plain scalar becomes a Python value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from .yamlplaces import Positions

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

Path = tuple[Any, ...]

TAG_STR = "tag:yaml.org,2002:str"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_NULL = "tag:yaml.org,2002:null"
TAG_TIMESTAMP = "tag:yaml.org,2002:timestamp"
TAG_MERGE = "tag:yaml.org,2002:merge"
TAG_SEQ = "tag:yaml.org,2002:seq"
TAG_MAP = "tag:yaml.org,2002:map"
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


class YamlProblem(Exception):
    """A file that cannot be read as a policy; `line` and `col` are 1-based."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass(slots=True)
class Document:
    data: Any  # None for an empty file
    positions: Positions
    problems: list[YamlProblem]  # duplicate keys: reported, the first value kept


def event_pos(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


def scalar_value(
    event: Any, resolve: Any, scalar_node: Any, loader: Any, pos: tuple[int, int]
) -> Any:
    value = event.value
    tag = event.tag
    if tag is None:
        if not event.implicit[0]:
            return value  # quoted or block scalar: a string
        tag = resolve(scalar_node, value, (True, False))
    elif tag == "!":
        return value
    if tag in (TAG_STR, TAG_TIMESTAMP):
        return value
    if tag == TAG_NULL:
        return None
    if tag == TAG_BOOL:
        found = _BOOLS.get(value.lower())
        if found is None:
            raise YamlProblem(f"'{value}' is not a boolean", *pos)
        return found
    if tag in (TAG_INT, TAG_FLOAT):
        node = scalar_node(tag, value)
        try:
            if tag == TAG_INT:
                return loader.construct_yaml_int(node)
            return loader.construct_yaml_float(node)
        except (ValueError, TypeError, IndexError):
            kind = "an integer" if tag == TAG_INT else "a number"
            raise YamlProblem(f"'{value}' is not {kind}", *pos) from None
    raise YamlProblem(
        f"unsupported tag {short_tag(tag)} (only plain YAML values are allowed)", *pos
    )


def short_tag(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag
