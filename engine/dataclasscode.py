"""`dataclass`, with the code it generates kept between runs like bytecode.

`dataclasses.dataclass` writes the source of a class's `__init__`, `__repr__`,
`__eq__`, `__hash__` (for a frozen class also `__setattr__` and `__delattr__`) and
compiles it when the class is defined: about half a millisecond a class, some 15 ms
of every `sayso` start for the model's classes. This `dataclass` is that decorator;
only, while it runs, the sources dataclasses compiles are looked up in a table of code
objects keyed by the source text itself (an edited class simply compiles anew). The
table lives in `engine/__pycache__` beside the modules' bytecode, is read once, and
is written back at exit when something new was compiled (not when Python is told not
to write bytecode). The classes are exactly those `dataclasses.dataclass` makes;
where the table cannot be read or written, it compiles as usual.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
import threading
from importlib.util import MAGIC_NUMBER
from types import CodeType
from typing import Any, dataclass_transform

PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "__pycache__",
    f"dataclass-code.{sys.implementation.cache_tag}.marshal",
)
MAX_ENTRIES = 4096  # the model needs ~200; more means stale sources piled up

_lock = threading.Lock()
_table: dict[str, CodeType] | None = None
_added = False


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(cls: type | None = None, /, **options: Any) -> Any:
    """`dataclasses.dataclass(cls, **options)`, compiling its methods at most once."""

    def wrap(cls: type) -> type:
        with _lock:
            _load()
            before = dataclasses.__dict__.get("exec")
            dataclasses.exec = _exec  # type: ignore[attr-defined]
            try:
                return dataclasses.dataclass(**options)(cls)
            finally:
                if before is None:
                    del dataclasses.exec  # type: ignore[attr-defined]
                else:
                    dataclasses.exec = before  # type: ignore[attr-defined]

    return wrap if cls is None else wrap(cls)


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    """exec() as dataclasses calls it, with the compiled source from the table."""
    global _added
    if type(source) is str and _table is not None:
        code = _table.get(source)
        if code is None:  # compiled as exec(source) would: no __future__ flags of ours
            code = compile(source, "<string>", "exec", dont_inherit=True)
            _table[source] = code
            if not _added:
                _added = True
                atexit.register(_save)
        source = code
    builtins.exec(source, globals, locals)


def _load() -> None:
    global _table
    if _table is not None:
        return
    _table = {}
    try:
        with open(PATH, "rb") as handle:
            if handle.read(len(MAGIC_NUMBER)) != MAGIC_NUMBER:
                return  # written by another Python version
            table = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return
    if isinstance(table, dict) and len(table) <= MAX_ENTRIES:
        _table = {k: v for k, v in table.items() if type(k) is str and type(v) is CodeType}


def _save() -> None:
    """Write the table (atomically) unless bytecode is not to be written."""
    if sys.dont_write_bytecode or _table is None:
        return
    tmp = f"{PATH}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(PATH), exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(MAGIC_NUMBER)
            marshal.dump(_table, handle)
        os.replace(tmp, PATH)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
