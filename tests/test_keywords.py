"""Keyword and pattern matching: whole words, case, Unicode, nesting, offsets."""

from __future__ import annotations

import re
import time

import pytest

from engine.keywords import KeywordMatcher, PatternMatcher, fold, is_word_char


def spans(matcher, text):
    return {t: [(s.start, s.end, s.text) for s in ss] for t, ss in matcher.find(text).items()}


def test_case_insensitive_whole_phrase():
    m = KeywordMatcher([("closure", "close your account")])
    assert spans(m, "We can CLOSE your Account today.") == {
        "closure": [(7, 25, "CLOSE your Account")]
    }


@pytest.mark.parametrize("text", ["disclosure", "closures", "closure_x", "xclosure", "closure2"])
def test_no_match_inside_a_word(text):
    assert KeywordMatcher([("t", "closure")]).find(text) == {}


@pytest.mark.parametrize("text", ["closure.", "(closure)", "closure", "a-closure-b", "«closure»"])
def test_match_between_non_word_characters(text):
    assert "t" in KeywordMatcher([("t", "closure")]).find(text)


def test_nested_and_overlapping_keywords_all_found():
    m = KeywordMatcher(
        [("ml", "machine learning"), ("model", "learning model"), ("learn", "learning")]
    )
    found = spans(m, "a machine learning model")
    assert found == {
        "ml": [(2, 18, "machine learning")],
        "model": [(10, 24, "learning model")],
        "learn": [(10, 18, "learning")],
    }


def test_every_occurrence_is_reported():
    m = KeywordMatcher([("rates", "APR")])
    assert [s.start for s in m.find("APR, apr and Apr.")["rates"]] == [0, 5, 13]


def test_same_keyword_in_two_topics():
    m = KeywordMatcher([("a", "refund"), ("b", "Refund")])
    assert set(m.find("a refund")) == {"a", "b"}


def test_unicode_word_boundaries_in_other_scripts():
    m = KeywordMatcher([("t", "кредит"), ("j", "東京")])
    assert "t" in m.find("Наш кредит выгоден")
    assert m.find("Наш кредитный план") == {}  # Cyrillic letters continue the word
    assert m.find("éкредит") == {}
    assert "t" in m.find("КРЕДИТ!")


def test_combining_marks_are_folded_and_kept_in_the_span():
    m = KeywordMatcher([("t", "cafe")])
    (span,) = m.find("a cafe\u0301!")["t"]  # "café" written with a combining accent
    assert (span.start, span.end, span.text) == (2, 7, "cafe\u0301")
    assert m.find("cafe\u0301s") == {}  # the word goes on after the accent
    assert "t" in m.find("the café.") and "t" in KeywordMatcher([("t", "café")]).find("cafe")


def test_offsets_stay_right_when_lowering_changes_length():
    # 'İ'.lower() is two characters; offsets must still point into the original text.
    text = "İİİ İstanbul closure"
    m = KeywordMatcher([("t", "closure"), ("city", "istanbul")])
    found = m.find(text)
    (span,) = found["t"]
    assert text[span.start : span.end] == "closure" == span.text
    assert found["city"][0].text == "İstanbul"
    assert len(fold(text)) == len(text)


def test_keyword_with_turkish_dotted_capital():
    m = KeywordMatcher([("t", "İzmir")])
    assert m.find("visit izmir")["t"][0].text == "izmir"


def test_word_characters():
    assert all(is_word_char(c) for c in "aZ9_éж東٣")
    assert not any(is_word_char(c) for c in " .,-'!«")


def test_empty_inputs():
    assert KeywordMatcher([]).find("anything") == {}
    assert KeywordMatcher([("t", "x")]).find("") == {}
    assert KeywordMatcher([("t", "  ")]).size == 0


def test_patterns_with_re2_and_spans():
    m = PatternMatcher([("acct", r"\bacct\s*#?\d{6,}\b"), ("ssn", r"\d{3}-\d{2}-\d{4}")])
    text = "Your acct #1234567 and acct 7654321, ok?"
    assert spans(m, text) == {"acct": [(5, 18, "acct #1234567"), (23, 35, "acct 7654321")]}
    assert m.find("nothing here") == {}


def test_pattern_offsets_are_characters_not_bytes():
    m = PatternMatcher([("n", r"\d{6}")])
    (span,) = m.find("ééé 123456")["n"]
    assert (span.start, span.end) == (4, 10)


def test_patterns_are_re2_linear_time():
    # Catastrophic for backtracking engines; RE2 answers at once.
    m = PatternMatcher([("t", r"(a+)+$")])
    started = time.perf_counter()
    assert m.find("a" * 50_000 + "!") == {}
    assert time.perf_counter() - started < 1.0


def test_phrase_matches_across_line_breaks_and_repeated_spaces():
    m = KeywordMatcher([("closure", "close your  account")])
    text = "We can close  your\n\taccount today, or close\u00a0your account."
    found = m.find(text)["closure"]
    assert [s.text for s in found] == ["close  your\n\taccount", "close\u00a0your account"]
    assert all(text[s.start : s.end] == s.text for s in found)


def test_offsets_after_squeezed_whitespace():
    m = KeywordMatcher([("r", "APR")])
    text = "a    b\n\n\nAPR   c APR"
    assert [(s.start, s.end) for s in m.find(text)["r"]] == [(9, 12), (17, 20)]


def test_spans_are_ordered_by_their_place_in_the_original_text():
    """`⑴` is `(1)` once normalized: both keywords cover the same original character;
    they are listed by original offsets, a tie in the order found."""
    matcher = KeywordMatcher([("t", "(1)"), ("t", "1")])
    spans = matcher.find("a ⑴ b (1)")["t"]
    assert [(s.start, s.end, s.source) for s in spans] == [
        (2, 3, "1"),
        (2, 3, "(1)"),
        (6, 9, "(1)"),
        (7, 8, "1"),
    ]


def test_a_long_text_is_searched_in_windows_without_losing_or_doubling_an_occurrence():
    from engine.keywords import WINDOW

    words = ["rate cut", "cut", "a rate", "rate", "cutting edge rate"]
    matcher = KeywordMatcher([("t", w) for w in words], max_spans=100_000)
    # phrases straddle every window boundary, at every offset around it
    pieces, at = [], 0
    while at < 3 * WINDOW:
        filler = ("x", "é", "東", "👍🏽")[at % 4] * (at % 7)  # non-ASCII shifts byte offsets
        pieces.append(filler + " a rate cut cutting edge rate ")
        at += len(pieces[-1])
    text = "".join(pieces)
    assert len(text) > 2 * WINDOW
    found = [(s.start, s.end, s.source) for s in matcher.find(text)["t"]]
    expected = sorted(
        (m.start(), m.end(), w)
        for w in words
        for m in re.finditer(rf"(?<!\w){re.escape(w)}(?!\w)", text)
    )
    assert len(found) == len(set(found)) and sorted(found) == expected
