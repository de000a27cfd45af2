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
(`engine.yamlfast` is the fast way, `engine.yamlfull` the full one, `engine.yamlplaces`
holds the positions and `engine.yamlbase` what they share.)

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

import yaml

from .yamlbase import (  # noqa: F401  (importable from here)
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    Document,
    Loader,
    YamlProblem,
)
from .yamlfast import FAST_PLAIN, values_of
from .yamlfull import events_to_document
from .yamlplaces import Positions


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
    if data is not None and FAST_PLAIN is not None:
        loader = Loader(text)
        try:
            root, values, keys = values_of(loader, FAST_PLAIN)
            return Document(root, Positions.shallow(data, values, keys), [])
        except Exception:  # noqa: BLE001 - read again below, which reports it exactly
            pass
        finally:
            loader.dispose()
    loader = Loader(text)
    try:
        return events_to_document(loader)
    finally:
        loader.dispose()
