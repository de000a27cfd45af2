"""Built-in check `canned-reply`: a reply nearly identical to earlier replies, on any
channel (or only the same one with `across_channels: false`). A copy-and-paste form
answer to an upset customer is how a complaint becomes a crisis, and pasting it on
another account does not make it less of one, so the policy decides what such a reply
needs (`action: warn|signoff|deny`).

A reply to an inbound message (`in_reply_to`) is also compared with the earlier
replies to the same sender (`same_sender`, default on): one alike is enough there,
since that person has read it already. Otherwise `min_count` alike among all
earlier replies are needed, as for any post.

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
    "same_sender": {"type": "boolean"},
}


_PLURAL = {"reply": "replies", "post": "posts"}


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _matches(text: str, earlier: list[str], cutoff: float) -> list[float]:
    """Similarity scores of the earlier texts at least `cutoff` alike to `text`."""
    if not earlier:
        return []
    from rapidfuzz import fuzz, process  # only when there is something to compare

    found = process.extract(text, earlier, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
    return [score for _, score, _ in found]


def _alike(post, scores: list[float], whom: str, where: str) -> Finding:
    best = math.floor(max(scores))  # 100% only when identical
    count = len(scores)
    noun = post.kind if count == 1 else _PLURAL.get(post.kind, post.kind + "s")
    advice = "; write an answer for this person" if post.kind == "reply" else ""
    return Finding(
        f"this {post.kind} is {best}% identical to {count} earlier {noun}{whom}{where}{advice}"
    )


def build(options: dict[str, Any]) -> CheckFunction:
    cutoff = round(100 * float(options.get("similarity", 0.9)), 6)
    min_count = int(options.get("min_count", 2))
    lookback = int(options.get("lookback", 200))
    kinds = frozenset(options.get("kinds", ["reply"]))
    across = bool(options.get("across_channels", True))
    same_sender = bool(options.get("same_sender", True))

    def check(given: CheckInput) -> list[Finding]:
        post = given.post
        if post.kind not in kinds:
            return []
        channel = None if across else post.channel  # None: every channel
        where = "" if across else f" on {post.channel}"
        text = _normal(post.text)
        to = given.reply_to
        if same_sender and to is not None:
            # One earlier reply to this person is enough: they have read it already.
            mine = [_normal(t) for t in islice(to.earlier(channel), lookback)]
            scores = _matches(text, mine, cutoff)
            if scores:
                return [_alike(post, scores, f" to {to.sender}", where)]
        if given.history is None:
            return []
        earlier = [_normal(t) for t in islice(given.history(channel, post.kind), lookback)]
        if len(earlier) < min_count:
            return []
        scores = _matches(text, earlier, cutoff)
        if len(scores) < min_count:
            return []
        return [_alike(post, scores, "", where)]

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
