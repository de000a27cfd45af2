"""Where an action comes from, recorded on every audit event it causes.

The entry points set it once (the CLI per command, the web app per request,
`tick` for scheduled work) instead of threading a parameter through every
workflow method: `via` (cli, web, api, tick), for the CLI the operating-system
account and host, and whether `--at` set the effective time by hand.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

VIA = ("cli", "web", "api", "tick", "engine")


@dataclass(frozen=True, slots=True)
class Origin:
    via: str = "engine"
    os_user: str | None = None
    host: str | None = None
    manual_clock: bool = False


_ORIGIN: ContextVar[Origin] = ContextVar("sayso_origin", default=Origin())  # noqa: B039 - frozen


def current() -> Origin:
    return _ORIGIN.get()


def os_account() -> tuple[str, str]:
    """The operating-system account and host running this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER
        user = f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    if hasattr(os, "uname"):  # the name gethostname() gives, without importing socket
        return user, os.uname().nodename
    import socket

    return user, socket.gethostname()


def set_origin(via: str, *, local: bool = False):
    """Start recording `via` (and, for a local process, its OS account and host);
    returns a token for `reset`."""
    if via not in VIA:
        raise ValueError(f"unknown origin {via!r}")
    user, host = os_account() if local else (None, None)
    return _ORIGIN.set(Origin(via=via, os_user=user, host=host))


def reset(token) -> None:
    _ORIGIN.reset(token)


def mark_manual_clock() -> None:
    """The effective time of what follows was given by hand (`--at`)."""
    _ORIGIN.set(replace(_ORIGIN.get(), manual_clock=True))


def set_via(via: str) -> None:
    """Change only `via` (e.g. the CLI's `tick`), keeping account and host."""
    if via not in VIA:
        raise ValueError(f"unknown origin {via!r}")
    _ORIGIN.set(replace(_ORIGIN.get(), via=via))


@contextmanager
def acting_via(via: str, *, local: bool = False) -> Iterator[Origin]:
    token = set_origin(via, local=local)
    try:
        yield current()
    finally:
        reset(token)
