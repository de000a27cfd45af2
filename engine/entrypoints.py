"""Whether any installed distribution may declare an entry point in a group, found
without importing `importlib.metadata`.

Importing `importlib.metadata` (and the `email`, `zipfile` and `csv` modules it
pulls in) costs more than the rest of a cached `sayso check`, and nearly always
finds no third-party sayso plugin. `may_declare(group)` reads the same metadata
the way `importlib.metadata.distributions()` finds it (every `*.dist-info` and
`*.egg-info` directory of every `sys.path` entry) and says False only when none
declares the group; anything it cannot read as plain directories (a zip or egg on
`sys.path`, another distribution finder, an unreadable file) answers True, so the
caller then loads entry points the usual way.
"""

from __future__ import annotations

import os
import sys

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def may_declare(group: str, path: list[str] | None = None) -> bool:
    """False only when no distribution on `path` (default `sys.path`) declares an
    entry point in `group`."""
    if _other_distribution_finders():
        return True
    try:
        return any(_entry_declares(entry, group) for entry in (sys.path if path is None else path))
    except Exception:  # noqa: BLE001 - unsure: let importlib.metadata look
        return True


def _other_distribution_finders() -> bool:
    """A finder on `sys.meta_path` besides the standard path finder that lists
    distributions (importlib.metadata asks every one of them)."""
    from importlib.machinery import PathFinder

    return any(
        finder is not PathFinder and getattr(finder, "find_distributions", None) is not None
        for finder in sys.meta_path
    )


def _entry_declares(entry: object, group: str) -> bool:
    if not isinstance(entry, str):
        return True
    root = entry or "."
    try:
        children = os.listdir(root)
    except OSError:
        return os.path.exists(root)  # a zip file: importlib.metadata reads inside it
    if os.path.basename(root).lower().endswith(".egg"):
        return True  # an unpacked egg keeps its metadata in EGG-INFO/
    return any(
        _declares(os.path.join(root, child, "entry_points.txt"), group)
        for child in children
        if child.lower().endswith(_METADATA_SUFFIXES)
    )


def _declares(path: str, group: str) -> bool:
    """Whether an entry_points.txt names `group` as a section, parsed as
    importlib.metadata parses it (stripped lines; `[name]` opens a section)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return False  # importlib.metadata ignores these too: no entry points
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]") and line.strip("[]") == group:
            return True
    return False
