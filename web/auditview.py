"""Audit filters from a query string, shared by the auditor pages and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.audit import EVENTS
from engine.errors import SaysoError
from engine.times import parse_time

from .access import clean_text

FILTERS = ("since", "until", "author", "channel", "event", "submission")


def audit_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """The filters given in a query string, checked; empty ones dropped."""
    out: dict[str, Any] = {}
    for name in ("since", "until"):
        moment = parse_time(args.get(name), name)
        if moment is not None:
            out[name] = moment
    for name in ("author", "channel"):
        value = clean_text(args.get(name) or "", name, limit=200).strip()
        if value:
            out[name] = value
    event = (args.get("event") or "").strip()
    if event:
        if event not in EVENTS:
            raise SaysoError(f"unknown event type '{event[:40]}' (one of: {', '.join(EVENTS)})")
        out["event"] = event
    submission = (args.get("submission") or "").strip()
    if submission:
        if not (submission.isascii() and submission.isdigit()) or len(submission) > 18:
            raise SaysoError("submission must be a submission id (a number)")
        out["submission"] = int(submission)
    return out
