"""Finding topics in a text: keywords with one Aho-Corasick automaton, patterns with RE2.

Keywords are matched case-insensitively as whole words or phrases: an occurrence
counts only if the characters just before and after it are not word characters
(letters, digits, combining marks or underscore, in any script). Every occurrence
is reported, including keywords nested in or overlapping others. Spans are
character offsets into the original text, even where lower-casing a character
would change its length.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import ahocorasick
import re2

from .model import Span

# Folding keeps the length of the text, so offset i in the folded text is offset i in
# the original: 'İ' (whose lower case is two characters) becomes 'i', and every
# whitespace character (line breaks, tabs, no-break spaces...) becomes a plain space.
_FOLD_TABLE = {0x130: "i", **{cp: " " for cp in range(0x3001) if chr(cp).isspace()}}
_SPACE_RUN = re.compile(r"  +")  # a fixed pattern of ours, on folded text


def fold(text: str) -> str:
    """Lower-case `text`, whitespace as plain spaces, without changing its length."""
    lowered = text.translate(_FOLD_TABLE).lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(_fold_char(ch) for ch in text.translate(_FOLD_TABLE))


def _fold_char(ch: str) -> str:
    lowered = ch.lower()
    return lowered if len(lowered) == 1 else lowered[0]


class _Squeezed:
    """Folded text with runs of spaces squeezed to one, mapping offsets back to the original,
    so that a phrase matches across a line break or a double space."""

    __slots__ = ("text", "_starts", "_shifts")

    def __init__(self, folded: str):
        pieces, starts, shifts = [], [0], [0]
        previous = shift = 0
        for run in _SPACE_RUN.finditer(folded):
            begin, end = run.span()
            pieces.append(folded[previous : begin + 1])
            shift += end - begin - 1
            starts.append(end - shift)
            shifts.append(shift)
            previous = end
        pieces.append(folded[previous:])
        self.text = "".join(pieces)
        self._starts, self._shifts = starts, shifts

    def original(self, index: int) -> int:
        return index + self._shifts[bisect_right(self._starts, index) - 1]


@lru_cache(maxsize=4096)
def _is_word_char_slow(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M"


def is_word_char(ch: str) -> bool:
    """A letter, digit, combining mark or underscore, in any script."""
    if ch.isascii():
        return ch.isalnum() or ch == "_"
    return _is_word_char_slow(ch)


class KeywordMatcher:
    """Every whole-word occurrence of every keyword, found in one pass over the text."""

    def __init__(self, keywords: Iterable[tuple[str, str]]):
        """`keywords`: (topic id, keyword) pairs; a keyword may belong to several topics."""
        owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for topic_id, keyword in keywords:
            key = " ".join(fold(keyword).split())
            if key and (topic_id, keyword) not in owners[key]:
                owners[key].append((topic_id, keyword))
        self.size = len(owners)
        self._automaton: ahocorasick.Automaton | None = None
        if owners:
            automaton = ahocorasick.Automaton()
            for key, found in owners.items():
                automaton.add_word(key, (len(key), tuple(found)))
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str) -> dict[str, list[Span]]:
        """Topic id -> spans of its keywords in `text`, in order of position."""
        found: dict[str, list[Span]] = {}
        if self._automaton is None or not text:
            return found
        last = len(text) - 1
        folded = fold(text)
        squeezed = _Squeezed(folded) if "  " in folded else None
        haystack = squeezed.text if squeezed else folded
        for end, (length, owners) in self._automaton.iter(haystack):
            start = end - length + 1
            if squeezed is not None:
                start, end = squeezed.original(start), squeezed.original(end)
            if start > 0 and is_word_char(text[start - 1]):
                continue
            if end < last and is_word_char(text[end + 1]):
                continue
            matched = text[start : end + 1]
            for topic_id, keyword in owners:
                found.setdefault(topic_id, []).append(Span(start, end + 1, matched, keyword))
        for spans in found.values():
            spans.sort(key=lambda s: (s.start, s.end))
        return found

    detect = find  # the TopicDetector protocol of engine.hookspecs


class PatternMatcher:
    """RE2 patterns: one RE2 set finds which patterns occur, then only those are scanned."""

    def __init__(self, patterns: Iterable[tuple[str, str]]):
        """`patterns`: (topic id, RE2 pattern) pairs. Raises re2.error on a bad pattern."""
        self._entries: list[tuple[str, str, object]] = []
        self._set = None
        self.size = 0
        entries = list(dict.fromkeys(patterns))
        if not entries:
            return
        self._set = re2.Set.SearchSet()
        for topic_id, pattern in entries:
            self._set.Add(pattern)
            self._entries.append((topic_id, pattern, re2.compile(pattern)))
        self._set.Compile()
        self.size = len(entries)

    def find(self, text: str) -> dict[str, list[Span]]:
        found: dict[str, list[Span]] = {}
        if self._set is None:
            return found
        for index in self._set.Match(text) or ():
            topic_id, pattern, regexp = self._entries[index]
            spans = found.setdefault(topic_id, [])
            for match in regexp.finditer(text):
                start, end = match.span()
                if end > start:
                    spans.append(Span(start, end, text[start:end], pattern))
            if not spans:  # only empty matches (e.g. `x*`): the pattern still occurs
                spans.append(Span(0, 0, "", pattern))
        for spans in found.values():
            spans.sort(key=lambda s: (s.start, s.end))
        return found

    detect = find
