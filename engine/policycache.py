"""A cache of loaded policies, so a command need not parse and validate YAML every time.

`load_policy_cached(dir)` keys an entry by a hash of everything that can change the
loaded `Policy`: every file under the policy directory (as the loader reads it: not
`tests/`, not hidden names; any extension, so a CSV of a directory source counts),
the directory as given (positions in messages show it), today's date (waiver
warnings), this code (the size and time of every module of `engine/` and `plugins/`)
and the installed plugins. A policy whose directory sources read from outside the
directory is never cached. An entry that cannot be read back (corrupt, from another
version of Python, for another key) is ignored and rebuilt.

Entries are pickles (of the form `engine.policypack` gives a policy: users as columns,
quick to read back) in the user cache directory (`SAYSO_CACHE_DIR`, else
platformdirs' user cache dir for "sayso"), created with owner-only permissions:
only the user who wrote them reads them back.
"""

from __future__ import annotations

import os
import pickle
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .gcpause import paused_gc
from .model import Policy
from .policypack import pack, unpack

try:  # CPython's own SHA-256: the same digest as hashlib's, without loading OpenSSL
    from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12+
except ImportError:  # pragma: no cover - depends on the Python version
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # Python 3.11
    except ImportError:
        from hashlib import sha256

FORMAT = b"sayso-policy-cache-v2"
MAX_HASHED_BYTES = 64 * 1024 * 1024  # a bigger file in the policy directory: no caching
_CODE = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "plugins")


def cache_dir() -> Path:
    given = os.environ.get("SAYSO_CACHE_DIR")
    if given:
        return Path(given)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sayso", appauthor=False))


def _code_fingerprint(digest: Any) -> None:
    for folder in _CODE:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".py", ".json")):
                stat = entry.stat()
                digest.update(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())


def _policy_files(policy_dir: str) -> list[tuple[str, str]]:
    """(relative path, full path) of every file the loader or a directory source may read."""
    found = []
    for dirpath, dirnames, filenames in os.walk(policy_dir):
        rel_dir = os.path.relpath(dirpath, policy_dir)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (rel_dir == "" and d == "tests")
        )
        for name in filenames:
            if not name.startswith("."):
                found.append((rel_dir + name, os.path.join(dirpath, name)))
    return sorted(found)


def read_regular(path: str, limit: int) -> bytes:
    """Up to `limit` bytes of a regular file. A FIFO, device or socket raises OSError
    without blocking (opened non-blocking, then checked): a hostile path cannot hang us."""
    import errno
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(fd)


def cache_key(policy_dir: str, plugins: list[str], today: date) -> str | None:
    """The entry's name, or None when the directory cannot be read, holds something that
    is not a regular file, or a very large file (the loader then says what is wrong)."""
    digest = sha256(FORMAT)
    digest.update(f"{policy_dir}\n{today.isoformat()}\n{' '.join(plugins)}\n".encode())
    _code_fingerprint(digest)
    try:
        for rel, full in _policy_files(policy_dir):
            data = read_regular(full, MAX_HASHED_BYTES + 1)
            if len(data) > MAX_HASHED_BYTES:
                return None
            digest.update(f"{rel}\n{len(data)}\n".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def _read(path: Path, key: str) -> Policy | None:
    try:
        with open(path, "rb") as handle, paused_gc():
            stored_key, policy, users = pickle.load(handle)
            if stored_key != key or not isinstance(policy, Policy):
                return None
            return unpack(policy, users)
    except FileNotFoundError:
        return None
    except Exception:  # corrupt, truncated, from other code: rebuild it
        return None


def _write(path: Path, key: str, policy: Policy) -> None:
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle, paused_gc():
            pickle.dump((key, *pack(policy)), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


def cacheable(policy: Policy) -> bool:
    """False when a directory source read something outside the policy directory."""
    return not any(rel.startswith(".directory/") for rel in policy.files)


def load_policy_cached(
    policy_dir: str | os.PathLike,
    pm: Any = None,
    *,
    today: date | None = None,
    use_cache: bool = True,
) -> Policy:
    """`engine.loader.load_policy`, answered from the cache when nothing changed."""
    from . import plugins as plugin_registry

    shown = os.fspath(policy_dir)
    today = today or datetime.now(UTC).date()
    pm = pm or plugin_registry.default_plugin_manager()
    if not use_cache:
        return _load(shown, pm, today)
    key, path = _entry(shown, pm, today)
    if path is not None:
        found = _read(path, key)
        if found is not None:
            return found
    policy = _load(shown, pm, today)
    if path is not None and cacheable(policy):
        _write(path, key, policy)
    return policy


def store(policy_dir: str | os.PathLike, pm: Any, today: date, policy: Policy) -> None:
    """Write the cache entry of a policy loaded from `policy_dir` (as a miss would)."""
    key, path = _entry(os.fspath(policy_dir), pm, today)
    if path is not None and cacheable(policy):
        _write(path, key, policy)


def _entry(shown: str, pm: Any, today: date) -> tuple[str, Path | None]:
    names = sorted(pm.get_name(p) or repr(p) for p in pm.get_plugins())
    key = cache_key(shown, names, today)
    return key or "", cache_dir() / f"{key}.pickle" if key else None


def _load(policy_dir: str, pm: Any, today: date) -> Policy:
    from .loader import load_policy  # YAML, JSON Schema, cerberus: only on a miss

    return load_policy(policy_dir, pm, today=today)
