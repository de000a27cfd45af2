"""Built-in check `canned-reply`: a reply nearly identical to earlier replies, on any
channel (or only the same one with `across_channels: false`). A copy-and-paste form
answer to an upset customer is how a complaint becomes a crisis, and pasting it on
another account does not make it less of one, so the policy decides what such a reply
needs (`action: warn|signoff|deny`).

Similarity is rapidfuzz's normalised Indel ratio (0-100) on case-folded,
whitespace-collapsed text, compared with the newest `lookback` earlier texts.
"""

from __future__ import annotations

import math
from itertools import islice
from typing import Any

from engine.hookspecs import CheckFunction, CheckInput, CheckSpec, Finding, hookimpl
from engine.model import Effect

OPTIONS_SCHEMA = {
    "similarity": {"type": "number", "min": 0.5, "max": 1.0},
    "min_count": {"type": "integer", "min": 1},
    "lookback": {"type": "integer", "min": 1, "max": 10_000},
    "kinds": {"type": "list", "schema": {"type": "string", "allowed": ["post", "reply"]}},
    "across_channels": {"type": "boolean"},
}


_PLURAL = {"reply": "replies", "post": "posts"}


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def build(options: dict[str, Any]) -> CheckFunction:
    cutoff = round(100 * float(options.get("similarity", 0.9)), 6)
    min_count = int(options.get("min_count", 2))
    lookback = int(options.get("lookback", 200))
    kinds = frozenset(options.get("kinds", ["reply"]))
    across = bool(options.get("across_channels", True))

    def check(given: CheckInput) -> list[Finding]:
        post = given.post
        if post.kind not in kinds or given.history is None:
            return []
        from rapidfuzz import fuzz, process  # only when there is something to compare

        channel = None if across else post.channel  # None: every channel
        earlier = [_normal(t) for t in islice(given.history(channel, post.kind), lookback)]
        if len(earlier) < min_count:
            return []
        matches = process.extract(
            _normal(post.text), earlier, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        )
        if len(matches) < min_count:
            return []
        best = math.floor(max(score for _, score, _ in matches))  # 100% only when identical
        count = len(matches)
        noun = post.kind if count == 1 else _PLURAL.get(post.kind, post.kind + "s")
        advice = "; write an answer for this person" if post.kind == "reply" else ""
        where = "" if across else f" on {post.channel}"
        return [
            Finding(
                f"this {post.kind} is {best}% identical to {count} earlier {noun}{where}{advice}"
            )
        ]

    return check


@hookimpl(trylast=True)
def register_checks() -> list[CheckSpec]:
    return [
        CheckSpec(
            name="canned-reply",
            build=build,
            options_schema=OPTIONS_SCHEMA,
            default_action=Effect.WARN,
            description="Flags a reply nearly identical to earlier ones (on any channel by default).",
            uses_history=True,
        )
    ]
