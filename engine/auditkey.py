"""The optional audit key: an HMAC on every event and on every checkpoint.

Without a key the chain proves only that events fit together; anyone able to
write the database can recompute it from the first event. With
`SAYSO_AUDIT_KEY` set, each event's `mac` is HMAC-SHA256 over the event (which
includes the previous hash), so a recomputed chain is detected by whoever holds
the key. Keys rotate: the new key signs from now on, and old keys listed in
`SAYSO_AUDIT_OLD_KEYS` (comma-separated) still verify what they signed. A MAC
names its key by a short id (`kid:hex`), never the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import SaysoError

if TYPE_CHECKING:
    from .store import Store

ENV_KEY = "SAYSO_AUDIT_KEY"
ENV_OLD_KEYS = "SAYSO_AUDIT_OLD_KEYS"
MIN_KEY = 32  # characters


class AuditKeyError(SaysoError):
    """An unusable audit key setting."""


def key_id(key: bytes) -> str:
    """A short public name for a key (not enough to guess it)."""
    return hashlib.sha256(b"sayso-audit-key-id:" + key).hexdigest()[:12]


@dataclass(frozen=True)
class Keyring:
    """The signing key (if any) and every key accepted when verifying."""

    signing: tuple[str, bytes] | None = None
    known: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.known)

    def sign(self, body: bytes) -> str | None:
        if self.signing is None:
            return None
        kid, key = self.signing
        return f"{kid}:{hmac.new(key, body, hashlib.sha256).hexdigest()}"

    def check(self, value: str, body: bytes) -> str | None:
        """None when `value` is a valid MAC of `body`, else why not."""
        kid, _, digest = value.partition(":")
        key = self.known.get(kid)
        if key is None:
            return f"signed with an unknown key ({kid[:12]})"
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, digest):
            return "its MAC does not match (changed or recomputed without the key)"
        return None


def _key(text: str, name: str) -> bytes:
    text = text.strip()
    if len(text) < MIN_KEY:
        raise AuditKeyError(f"{name} must be at least {MIN_KEY} characters (e.g. 64 hex digits)")
    return text.encode("utf-8")


def load_keyring(environ: Mapping[str, str] | None = None) -> Keyring:
    """The keyring from `SAYSO_AUDIT_KEY` and `SAYSO_AUDIT_OLD_KEYS`."""
    env = os.environ if environ is None else environ
    known: dict[str, bytes] = {}
    signing = None
    if env.get(ENV_KEY, "").strip():
        key = _key(env[ENV_KEY], ENV_KEY)
        signing = (key_id(key), key)
        known[signing[0]] = key
    for text in env.get(ENV_OLD_KEYS, "").split(","):
        if text.strip():
            key = _key(text, ENV_OLD_KEYS)
            known.setdefault(key_id(key), key)
    return Keyring(signing, known)


def keyring(store: Store) -> Keyring:
    """The store's audit keyring, read from the environment on first use."""
    ring = store.audit_keyring
    if ring is None:
        ring = store.audit_keyring = load_keyring()
    return ring
