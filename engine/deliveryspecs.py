"""The spec and value objects of the hooks that act outside a decision: publishers,
notifiers, directory sources and inbound sources.

They are importable from `engine.hookspecs` like every other spec; they live here so
that a decision (`sayso check`) does not build these dataclasses at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# ---- publishers, notifiers, directory sources ------------------------------


@dataclass(frozen=True)
class Publication:
    """What a publisher delivers: the exact approved revision."""

    submission_id: str
    revision: int
    channel: str
    kind: str
    author: str
    text: str
    text_sha256: str
    approved_by: tuple[str, ...]
    policy_version: str
    publish_at: datetime | None = None
    idempotency_key: str = ""  # the same for every attempt at one revision


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Notification:
    """A message to people: escalated, overdue, approved, rejected, published..."""

    event: str
    submission_id: str
    recipients: tuple[Recipient, ...]
    subject: str
    body: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublisherSpec:
    name: str
    build: Callable[[dict[str, Any]], Any]  # options -> object with publish(Publication) -> str ref
    options_schema: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class NotifierSpec:
    name: str
    build: Callable[[dict[str, Any]], Any]  # options -> object with notify(Notification) -> None
    options_schema: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class DirectorySpec:
    name: str
    # (options, policy_dir) -> {"users": {id: {name, email}}, "groups": {id: {members, includes}}}
    # and optionally "files": {relative path: bytes} of what was read, which become part of
    # the policy's files and version. Raise ValueError for a bad setup (reported at the
    # `directory:` entry) or PolicyError for problems located in the source's own files.
    build: Callable[[dict[str, Any], str], dict[str, Any]]
    options_schema: dict[str, Any] = field(default_factory=dict)
    description: str = ""


# ---- inbound sources ----------------------------------------------------------


@dataclass(frozen=True)
class Pulled:
    """What a source returns from one pull: messages newer than the cursor it was
    given, each a dict with the keys of `sayso inbound import` (`from`, `text`, and
    optionally `channel`, `name`, `message_id`, `at`, `thread_id`, `parent_id`), and
    the cursor to give next time (None: unchanged)."""

    messages: tuple[dict[str, Any], ...]
    cursor: str | None


@dataclass(frozen=True)
class SourceSpec:
    name: str
    build: Callable[[dict[str, Any]], Any]  # options -> object with pull(cursor) -> Pulled
    options_schema: dict[str, Any] = field(default_factory=dict)
    description: str = ""
