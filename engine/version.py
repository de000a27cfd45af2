"""The policy version: a content hash of the files that make up a policy.

SHA-256 over a canonical encoding of the (relative POSIX path, exact bytes) pairs,
sorted by path. Length-prefixed fields make the encoding unambiguous, so the same
files give the same version on every machine, whatever the directory is called,
where it is, and whatever the files' times or the order they were read in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

_DOMAIN = b"sayso-policy-v1\n"


def policy_version(files: Mapping[str, bytes]) -> str:
    """64 hex characters identifying exactly these files."""
    digest = hashlib.sha256(_DOMAIN)
    digest.update(len(files).to_bytes(8, "big"))
    for path, data in sorted((p.replace("\\", "/").encode("utf-8"), d) for p, d in files.items()):
        digest.update(len(path).to_bytes(8, "big"))
        digest.update(path)
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(bytes(data))
    return digest.hexdigest()


def short_version(version: str) -> str:
    """The first 12 characters, for people (like a short git commit id)."""
    return version[:12]


def package_version() -> str:
    """sayso's own version, from the installed package's metadata (pyproject.toml)."""
    from importlib import metadata  # a costly import most commands never need

    try:
        return metadata.version("sayso")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "0+unknown"
