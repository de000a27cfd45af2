"""The `mastodon` inbound source: mentions of the account, from its notifications.

Uses Mastodon.py against the instance's REST API (`GET /api/v1/notifications` with
`types[]=mention`), paging forward from the stored cursor (`min_id`, the newest
notification id seen). Each mention becomes a message: the sender's `@acct`, display
name, the status text (HTML reduced to plain text), the status id as message id
and its `in_reply_to_id` as parent. The access token is read from an environment
variable, so it never sits in the policy files.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from engine.hookspecs import hookimpl

if TYPE_CHECKING:
    from engine.deliveryspecs import Pulled, SourceSpec

OPTIONS_SCHEMA = {
    "base_url": {"type": "string", "required": True, "regex": r"^https?://[^\s/]+.*$"},
    "access_token_env": {
        "type": "string",
        "default": "SAYSO_MASTODON_TOKEN",
        "regex": r"^[A-Za-z_][A-Za-z0-9_]*$",
    },
    "page_size": {"type": "integer", "min": 1, "max": 80, "default": 40},
    "max_pages": {"type": "integer", "min": 1, "max": 1000, "default": 25},
    "timeout": {"type": "number", "min": 0.1, "max": 120, "default": 10},
}


@cache
def _text_parser() -> type:
    """The HTML-to-text parser class, built on first use (html.parser is not needed
    to load the plugin)."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        """A status's HTML as plain text: paragraphs and line breaks become newlines."""

        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag == "br":
                self.parts.append("\n")
            elif tag == "p" and self.parts:
                self.parts.append("\n\n")

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    return Text


def html_to_text(html: str) -> str:
    parser = _text_parser()()
    parser.feed(html or "")
    parser.close()
    return "".join(parser.parts).strip()


def _newer(a: str, b: str) -> bool:
    """Mastodon ids are numbers in strings: compare by length, then digits."""
    return (len(b), b) > (len(a), a)


class MastodonMentions:
    def __init__(self, base_url: str, token: str | None, page_size: int, max_pages: int, timeout):
        self.base_url = base_url
        self.token = token
        self.page_size = page_size
        self.max_pages = max_pages
        self.timeout = timeout

    def pull(self, cursor: str | None) -> Pulled:
        """Every mention after `cursor`, oldest first, a page at a time; the new cursor
        is the newest notification id seen."""
        import requests
        from mastodon import Mastodon

        from engine.deliveryspecs import Pulled

        messages: list[dict[str, Any]] = []
        newest = cursor or "0"  # no cursor yet: from the first mention on
        with requests.Session() as session:
            api = Mastodon(
                access_token=self.token,
                api_base_url=self.base_url,
                version_check_mode="none",
                request_timeout=self.timeout,
                ratelimit_method="throw",
                session=session,
            )
            for _ in range(self.max_pages):
                page = api.notifications(types=["mention"], min_id=newest, limit=self.page_size)
                fresh = [n for n in page if _newer(newest, str(n.id))]
                if not fresh:
                    break
                for note in sorted(fresh, key=lambda n: (len(str(n.id)), str(n.id))):
                    message = _message(note)
                    if message is not None:
                        messages.append(message)
                    newest = str(note.id)
        return Pulled(tuple(messages), None if newest == "0" else newest)


def _message(note: Any) -> dict[str, Any] | None:
    status = getattr(note, "status", None)
    account = getattr(note, "account", None)
    if status is None or account is None:
        return None
    created = getattr(status, "created_at", None)
    return {
        "from": "@" + str(account.acct),
        "name": str(getattr(account, "display_name", "") or ""),
        "text": html_to_text(str(status.content or "")),
        "message_id": str(status.id),
        "parent_id": str(status.in_reply_to_id)
        if getattr(status, "in_reply_to_id", None)
        else None,
        "thread_id": str(status.conversation_id)
        if getattr(status, "conversation_id", None)
        else None,
        "at": created.isoformat()
        if created is not None and hasattr(created, "isoformat")
        else None,
    }


def build(options: dict[str, Any]) -> MastodonMentions:
    token = os.environ.get(options["access_token_env"])
    return MastodonMentions(
        options["base_url"], token, options["page_size"], options["max_pages"], options["timeout"]
    )


@hookimpl
def register_sources() -> list[SourceSpec]:
    from engine.deliveryspecs import SourceSpec  # not needed by a decision

    return [
        SourceSpec(
            "mastodon",
            build,
            OPTIONS_SCHEMA,
            "Mentions of a Mastodon account (its notifications), through Mastodon.py.",
        )
    ]
