"""Lint rules about topics and keywords: an `except` that covers everyone, the same
keyword in topics with different actions, keywords that cannot match, common words."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from .keywords import fold, is_word_char
from .lint import LintContext, Severity, rule
from .lintrules import Found, channels_of, people, posters
from .model import Effect

WARNING = Severity.WARNING
# Words so common that a keyword made of one of them would hold most posts for sign-off.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "all",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "for",
        "from",
        "get",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "my",
        "new",
        "no",
        "not",
        "now",
        "of",
        "on",
        "or",
        "our",
        "out",
        "please",
        "she",
        "so",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "up",
        "us",
        "was",
        "we",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
    ]
)


@rule(
    "topic-except-covers-all",
    WARNING,
    "A deny topic whose `except` covers everyone who may post where it applies: it never denies.",
)
def topic_except_covers_all(ctx: LintContext) -> Found:
    for topic in ctx.policy.topics.values():
        if topic.action != Effect.DENY or not topic.except_:
            continue
        authors = posters(ctx, channels_of(ctx, topic.channels))
        if authors and authors <= people(ctx, topic.except_):
            yield (
                ctx.where.at("topics", topic.id, "except", fallback=topic.loc),
                f"'except' of topic '{topic.id}' covers everyone who may post where it "
                "applies, so it never denies: narrow the except or drop the topic",
                topic.id,
            )


def _keywords(ctx: LintContext) -> Iterator[tuple[Any, int, str]]:
    for topic in ctx.policy.topics.values():
        for index, keyword in enumerate(topic.keywords):
            yield topic, index, keyword


def _keyword_at(ctx: LintContext, topic, index: int):
    return ctx.where.at("topics", topic.id, "keywords", index, fallback=topic.loc)


@rule(
    "keyword-conflict",
    WARNING,
    "The same keyword in two topics with different actions: which one a reader expects is unclear.",
)
def keyword_conflict(ctx: LintContext) -> Found:
    first: dict[str, Any] = {}
    for topic, index, keyword in _keywords(ctx):
        key = " ".join(fold(keyword).split())
        earlier = first.setdefault(key, topic)
        if earlier is not topic and earlier.action != topic.action:
            yield (
                _keyword_at(ctx, topic, index),
                f"keyword '{keyword}' of topic '{topic.id}' ({topic.action}) is also a "
                f"keyword of topic '{earlier.id}' ({earlier.action}): keep it in one topic",
                topic.id,
            )


@rule(
    "keyword-never-matches",
    WARNING,
    "A keyword that cannot match as meant: it holds an invisible character (removed from "
    "posts before matching) or has no letter or digit (it only matches standing alone).",
)
def keyword_never_matches(ctx: LintContext) -> Found:
    for topic, index, keyword in _keywords(ctx):
        hidden = [ch for ch in keyword if unicodedata.category(ch) in ("Cf", "Cc")]
        if hidden:
            codes = ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(hidden))
            message = (
                f"keyword {keyword!r} of topic '{topic.id}' holds invisible characters "
                f"({codes}) that posts are matched without, so it never matches: remove them"
            )
        elif not any(is_word_char(ch) for ch in keyword):
            message = (
                f"keyword {keyword!r} of topic '{topic.id}' has no letter or digit: it "
                "matches only where it stands alone between spaces; use a pattern instead"
            )
        else:
            continue
        yield _keyword_at(ctx, topic, index), message, topic.id


@rule(
    "keyword-common-word",
    WARNING,
    "A keyword that is a very common word: most posts would match it and flood approvers.",
)
def keyword_common_word(ctx: LintContext) -> Found:
    for topic, index, keyword in _keywords(ctx):
        if fold(keyword).strip() in STOP_WORDS and topic.action != Effect.WARN:
            yield (
                _keyword_at(ctx, topic, index),
                f"keyword '{keyword}' of topic '{topic.id}' is a common word: most posts "
                "would match it; use a longer phrase",
                topic.id,
            )
