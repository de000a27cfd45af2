"""Who may see what: shared by the pages and the JSON API so both answer alike."""

from __future__ import annotations

from engine.errors import SaysoError


def may_view(state, sub, user: str) -> bool:
    """The engine's viewing rule (`Workflow.may_view`)."""
    return state.workflow.may_view(sub, user)


def clean_text(value, what: str = "text", *, limit: int = 100_000) -> str:
    """A string that can be stored and hashed (UTF-8, no NUL)."""
    if not isinstance(value, str):
        raise SaysoError(f"{what} must be a string")
    if len(value) > limit:
        raise SaysoError(f"{what} is {len(value)} characters; the limit is {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SaysoError(f"{what} is not valid Unicode text") from None
    if "\x00" in value:
        raise SaysoError(f"{what} contains a NUL character")
    return value


def query_int(args, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter in [low, high]; ASCII digits only ('²' is no number)."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not low <= int(raw) <= high:
        raise SaysoError(f"{name} must be a whole number from {low} to {high}")
    return int(raw)
