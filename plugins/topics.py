"""Built-in topic detectors: a topic's `keywords` (Aho-Corasick) and `patterns` (RE2)."""

from __future__ import annotations

from engine.hookspecs import DetectorSpec, hookimpl
from engine.keywords import KeywordMatcher, PatternMatcher
from engine.model import Topic


def build_keyword_detector(topics: tuple[Topic, ...]) -> KeywordMatcher:
    return KeywordMatcher((t.id, k) for t in topics for k in t.keywords)


def build_pattern_detector(topics: tuple[Topic, ...]) -> PatternMatcher:
    return PatternMatcher((t.id, p) for t in topics for p in t.patterns)


@hookimpl(trylast=True)
def register_topic_detectors() -> list[DetectorSpec]:
    return [
        DetectorSpec("keywords", build_keyword_detector),
        DetectorSpec("patterns", build_pattern_detector),
    ]
