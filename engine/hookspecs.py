"""Hook specifications: what a sayso plugin can provide.

Every hook returns a list of *specs*: small frozen objects that name an extension
and say how to build it. The engine builds each one once, when a policy is
compiled (checks, topic detectors) or when the workflow starts (publishers,
notifiers, directory sources). Options a policy gives an extension are checked
against the spec's cerberus `options_schema` by `sayso validate`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

from .model import Channel, Effect, Post, Span, Topic

if TYPE_CHECKING:
    from .deliveryspecs import DirectorySpec, NotifierSpec, PublisherSpec, SourceSpec

hookspec = pluggy.HookspecMarker("sayso")
hookimpl = pluggy.HookimplMarker("sayso")


# ---- topic detectors ------------------------------------------------------


class TopicDetector(Protocol):
    def detect(self, text: str) -> Mapping[str, list[Span]]:
        """Topic id -> spans where it occurs in `text`."""


@dataclass(frozen=True)
class DetectorSpec:
    name: str
    build: Callable[[tuple[Topic, ...]], TopicDetector]


# ---- content checks -------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    message: str
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class ReplyContext:
    """The inbound message a reply answers (a post given `in_reply_to`)."""

    item_id: int
    channel: str
    sender: str  # the customer's platform handle
    # earlier(channel): texts of earlier replies to messages from this sender on that
    # channel (on every channel when channel is None), newest first; the reply being
    # decided is never among them.
    earlier: Callable[[str | None], Iterable[str]] = lambda channel: ()


@dataclass(frozen=True, slots=True)
class CheckInput:
    post: Post
    channel: Channel
    now: datetime | None = None
    # history(channel, kind): earlier texts of that kind on that channel (on every
    # channel when channel is None), newest first, for checks that compare with the
    # past; None when the caller has no store.
    history: Callable[[str | None, str], Iterable[str]] | None = None
    reply_to: ReplyContext | None = None  # set when the post answers an inbound message


CheckFunction = Callable[[CheckInput], list[Finding]]


@dataclass(frozen=True)
class CheckSpec:
    name: str  # the `use:` value in a policy
    build: Callable[[dict[str, Any]], CheckFunction]  # options -> check function
    options_schema: dict[str, Any] = field(default_factory=dict)  # cerberus schema
    default_action: Effect = Effect.WARN
    description: str = ""
    uses_history: bool = False  # compares with earlier posts: cannot run without a history


# ---- publishers, notifiers, directory sources, inbound sources ----------------
# Their specs and values (Publication, Recipient, Notification, PublisherSpec,
# NotifierSpec, DirectorySpec, Pulled, SourceSpec) are in engine.deliveryspecs,
# imported from here on first use: a decision needs none of them.

_DELIVERY = frozenset(
    {"Publication", "Recipient", "Notification", "PublisherSpec", "NotifierSpec",
     "DirectorySpec", "Pulled", "SourceSpec"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _DELIVERY:
        from . import deliveryspecs

        return getattr(deliveryspecs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PublishError(Exception):
    """A publisher could not deliver; the workflow records it and retries later."""


# ---- the hooks --------------------------------------------------------------


@hookspec
def register_topic_detectors() -> list[DetectorSpec]:
    """Topic detectors: find where each topic of the policy occurs in a post's text."""


@hookspec
def register_checks() -> list[CheckSpec]:
    """Content checks a policy can `use:` under `checks:`."""


@hookspec
def register_publishers() -> list[PublisherSpec]:
    """Channel publishers: deliver an approved post (a channel's `publisher:`)."""


@hookspec
def register_notifiers() -> list[NotifierSpec]:
    """Notifiers: tell owners about escalations, approvals and overdue posts."""


@hookspec
def register_directory_sources() -> list[DirectorySpec]:
    """Directory sources: users and groups from somewhere other than the YAML files."""


@hookspec
def register_sources() -> list[SourceSpec]:
    """Inbound sources: pull customer messages from a platform since a stored cursor."""
