"""Finding topics in a text: keywords with one Aho-Corasick automaton, patterns with RE2.

The automaton is the Rust `aho-corasick` crate's (through `ahocorasick_rs`), of the
kind the crate chooses: for thousands of keywords a contiguous NFA, which scans a
post faster than its DFA would once the decision's other work has taken the CPU cache.

Both look at the normalized text (`engine.normalize`: NFKC, invisible characters and
combining marks removed, look-alikes mapped to Latin, runs of whitespace as one
space), so `ＡＰＲ`, `A\u200bPR` and `lаwsuit` (Cyrillic а) are found as `APR` and
`lawsuit`. Keywords are normalized the same way when the policy is compiled and
matched case-insensitively as whole words or phrases: an occurrence counts only if
the normalized characters just before and after it are not word characters
(letters, digits, combining marks or underscore, in any script). Every occurrence
is reported, including keywords nested in or overlapping others, up to `max_spans`
per topic (the rest are counted in `SpanList.more`). Spans are character offsets
into the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache

import ahocorasick_rs
import re2

from .model import Span
from .normalize import Normalized, normalize

MAX_SPANS = 100  # spans reported per topic; the rest are only counted
_SURROGATE = re.compile("[\ud800-\udfff]")
WINDOW = 2048  # a longer text is searched in windows: nested keywords on a long text
# occur millions of times, and the automaton lists a window's occurrences at once

# Spans are named tuples built by the dozen in every decision: `_new(Span, (...))`
# skips the Python-level __new__.
_new = tuple.__new__


def _position(span: Span) -> tuple[int, int]:
    return span[0], span[1]


class SpanList(list[Span]):
    """Spans of one topic in order of position; `more` counts those left out."""

    more = 0


def fold(text: str) -> str:
    """`text` as keywords are matched: normalized, case-folded, spaces squeezed."""
    return " ".join(normalize(text).folded.split())


@lru_cache(maxsize=4096)
def _is_word_char_slow(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M"


def is_word_char(ch: str) -> bool:
    """A letter, digit, combining mark or underscore, in any script."""
    if ch.isascii():
        return ch.isalnum() or ch == "_"
    return _is_word_char_slow(ch)


_ASCII_WORD = frozenset(ch for ch in map(chr, range(128)) if ch.isalnum() or ch == "_")


def _add(found: dict[str, SpanList], topic_id: str, span: Span, limit: int) -> None:
    spans = found.get(topic_id)
    if spans is None:
        spans = found[topic_id] = SpanList()
    if len(spans) < limit:
        spans.append(span)
    else:
        spans.more += 1


class KeywordMatcher:
    """Every whole-word occurrence of every keyword, found in one pass over the text."""

    def __init__(self, keywords: Iterable[tuple[str, str]], max_spans: int = MAX_SPANS):
        """`keywords`: (topic id, keyword) pairs; a keyword may belong to several topics."""
        owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for topic_id, keyword in keywords:
            # Look-alike mapping depends on case in other scripts ('ν' looks like 'v', 'Ν'
            # like 'N'): the keyword in lower and upper case are both searched for.
            for key in dict.fromkeys(fold(form) for form in (keyword, keyword.upper())):
                if key and (topic_id, keyword) not in owners[key]:
                    owners[key].append((topic_id, keyword))
        self.size = len(owners)
        self.max_spans = max_spans
        self._owners = [tuple(found) for found in owners.values()]  # by pattern index
        self._longest = max(map(len, owners), default=0)
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        if owners:
            self._automaton = ahocorasick_rs.AhoCorasick(list(owners))

    def find(self, text: str, normalized: Normalized | None = None) -> dict[str, SpanList]:
        """Topic id -> spans of its keywords in `text`, in order of position."""
        found: dict[str, SpanList] = {}
        automaton = self._automaton
        if automaton is None or not text:
            return found
        norm = normalized if normalized is not None else normalize(text)
        haystack = norm.folded
        size = len(haystack)
        limit = self.max_spans
        word, slow, owners_of = _ASCII_WORD, _is_word_char_slow, self._owners
        span_of = None if norm.same_offsets else norm.original_span
        matches: Iterable[tuple[int, int, int]]
        if size <= WINDOW:
            matches = automaton.find_matches_as_indexes(haystack, overlapping=True)
        else:
            matches = self._windowed(haystack)
        unsorted = False
        for index, start, end in matches:
            if start:
                before = haystack[start - 1]
                if before in word or before > "\x7f" and slow(before):
                    continue
            if end < size:
                after = haystack[end]
                if after in word or after > "\x7f" and slow(after):
                    continue
            mapped = span_of is None
            for topic_id, keyword in owners_of[index]:
                spans = found.get(topic_id)
                if spans is None:
                    spans = found[topic_id] = SpanList()
                elif len(spans) >= limit:  # the first `limit` found are listed, the rest counted
                    spans.more += 1
                    continue
                else:
                    unsorted = True
                if not mapped:  # to the original text's offsets, once for a listed occurrence
                    start, end = span_of(start, end)  # type: ignore[misc]
                    mapped = True
                spans.append(_new(Span, (start, end, text[start:end], keyword)))
        if unsorted:  # in order of position; the same span keeps the order found (stable sort)
            for spans in found.values():
                if len(spans) > 1:
                    spans.sort(key=_position)
        return found

    def _windowed(self, haystack: str) -> Iterator[tuple[int, int, int]]:
        """(pattern index, start, end) of every occurrence, one window at a time: each
        window reaches a keyword's length past its end, and keeps what starts in it."""
        assert self._automaton is not None
        find = self._automaton.find_matches_as_indexes
        reach = WINDOW + self._longest - 1
        for at in range(0, len(haystack), WINDOW):
            for index, start, end in find(haystack[at : at + reach], overlapping=True):
                if start < WINDOW:
                    yield index, start + at, end + at

    detect = find  # the TopicDetector protocol of engine.hookspecs


def _says_non_ascii(pattern: str) -> bool:
    """Whether an RE2 pattern may name non-ASCII characters: written with them, or with
    a Unicode class or a hex escape (`\\x` also names ASCII: then a needless scan)."""
    return not pattern.isascii() or any(e in pattern for e in ("\\p", "\\P", "\\x"))


class PatternMatcher:
    """RE2 patterns: one RE2 set finds which patterns occur, then only those are scanned.

    Patterns run on the normalized text (case kept). When some pattern is written with
    non-ASCII characters, Unicode classes (`\\p{...}`) or hex escapes (`\\x{e9}`), a
    non-ASCII text is searched as written too, so such a pattern still matches what it
    says.
    """

    def __init__(self, patterns: Iterable[tuple[str, str]], max_spans: int = MAX_SPANS):
        """`patterns`: (topic id, RE2 pattern) pairs. Raises re2.error on a bad pattern."""
        self._entries: list[tuple[str, str, object]] = []
        self._set = None
        self._unicode = False
        self.size = 0
        self.max_spans = max_spans
        entries = list(dict.fromkeys(patterns))
        if not entries:
            return
        self._unicode = any(_says_non_ascii(p) for _, p in entries)
        self._set = re2.Set.SearchSet()
        for topic_id, pattern in entries:
            self._set.Add(pattern)
            self._entries.append((topic_id, pattern, re2.compile(pattern)))
        self._set.Compile()
        self.size = len(entries)

    def find(self, text: str, normalized: Normalized | None = None) -> dict[str, SpanList]:
        found: dict[str, SpanList] = {}
        if self._set is None:
            return found
        norm = normalized if normalized is not None else normalize(text)
        seen: set[tuple[str, int, int, str]] = set()
        self._scan(norm.text, norm, found, seen)
        if self._unicode and not text.isascii():
            # RE2 reads UTF-8: a lone surrogate (no character) becomes U+FFFD, one for one
            written = _SURROGATE.sub("\ufffd", text)
            self._scan(written, None, found, seen, text)
        for spans in found.values():
            spans.sort(key=lambda s: (s.start, s.end))
        return found

    def _scan(
        self, haystack: str, norm, found: dict[str, SpanList], seen: set, original: str = ""
    ) -> None:
        """Spans of the patterns the RE2 set finds in `haystack`: the normalized text of
        `norm`, or the `original` text with the same offsets."""
        assert self._set is not None  # find() returns early without patterns
        if norm is not None:
            original = norm.original
        for index in self._set.Match(haystack) or ():
            topic_id, pattern, regexp = self._entries[index]
            empty = True
            for match in regexp.finditer(haystack):
                start, end = match.span()
                if end <= start:
                    continue
                empty = False
                if norm is not None:
                    start, end = norm.original_span(start, end)
                key = (topic_id, start, end, pattern)
                if key not in seen:
                    seen.add(key)
                    _add(
                        found,
                        topic_id,
                        _new(Span, (start, end, original[start:end], pattern)),
                        self.max_spans,
                    )
            if empty and topic_id not in found:  # only empty matches (`x*`): it still occurs
                _add(found, topic_id, _new(Span, (0, 0, "", pattern)), self.max_spans)

    detect = find
