"""The one validator of a post's text, used by the CLI, the pages, the API and the
workflow, and of any other text that is stored and hashed (`check_storable`)."""

from __future__ import annotations

from typing import Any

from .errors import SaysoError

MAX_TEXT = 100_000  # characters; far above any platform's limit


def check_post_text(text: Any, what: str = "the post text") -> str:
    """The text itself, or a one-line SaysoError: not text, empty, too long, not valid
    Unicode (a lone surrogate cannot be stored or hashed), or containing a NUL."""
    if not isinstance(text, str):
        raise SaysoError(f"{what} must be text")
    if not text.strip():
        raise SaysoError(f"{what} is empty")
    return check_storable(text, what, MAX_TEXT)


def check_storable(text: str, what: str, limit: int) -> str:
    """`text` if it can be stored and hashed: at most `limit` characters, valid
    Unicode (no lone surrogate), no NUL; else a one-line SaysoError."""
    if len(text) > limit:
        raise SaysoError(f"{what} is {len(text)} characters; the limit is {limit}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SaysoError(f"{what} is not valid Unicode text") from None
    if "\x00" in text:
        raise SaysoError(f"{what} contains a NUL character")
    return text


NOTE_LIMIT = 2000  # characters of a reason or comment kept with a verdict or a close


def check_note(text: str, what: str = "the reason") -> str:
    """A reason or comment that can be stored: at most NOTE_LIMIT characters, valid
    Unicode, no NUL; else a one-line SaysoError."""
    if len(text) > NOTE_LIMIT:
        raise SaysoError(f"{what} is longer than {NOTE_LIMIT} characters")
    return check_storable(text, what, NOTE_LIMIT)
