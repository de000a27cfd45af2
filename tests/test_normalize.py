"""engine.normalize: what the matchers see, and the way back to the original offsets."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.keywords import KeywordMatcher, PatternMatcher
from engine.normalize import is_invisible, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＰＲ", "APR"),  # fullwidth
        ("A\u200bPR", "APR"),  # zero-width space
        ("lаwsuit", "lawsuit"),  # Cyrillic а
        ("𝐀𝐏𝐑", "APR"),  # math bold
        ("ⒶⓅⓇ", "APR"),  # circled
        ("la\u0301wsuit", "lawsuit"),  # combining accent
        ("láwsuit", "lawsuit"),  # precomposed accent
        ("\u202eAPR\u202c", "APR"),  # bidi override
        ("A\u00adP\u2060R\ufeff", "APR"),  # soft hyphen, word joiner, BOM
        ("ﬁne", "fine"),  # ligature: one character becomes two
        ("Straße", "Strasse"),
        ("ΑΡΥ", "APY"),  # Greek capitals
        ("a\tb\n\n c", "a b c"),
        ("x\x01y", "xy"),
        ("東京 🎉\ufe0f", "東京 🎉"),
        ("a  b", "a b"),  # printable ASCII: spaces squeezed too
        ("a\u2028b\u0085c", "a b c"),  # line and next-line separators
        ("a\u2065b\U000e0000c", "abc"),  # reserved default-ignorables
        ("A\ud800P\udfffR", "APR"),  # lone surrogates (JSON "\ud800")
    ],
)
def test_normalized_text(text, expected):
    assert normalize(text).text == expected
    assert normalize(text).folded == expected.lower()


def test_ascii_text_is_kept_as_it_is():
    norm = normalize("Plain ASCII, one space.")
    assert norm.text == "Plain ASCII, one space." and norm.unchanged
    assert norm.original_span(6, 11) == (6, 11)


def test_spans_map_back_over_removed_and_expanded_characters():
    text = "x A\u200bP\u00adR ﬁne \u202elawsu\u0301it\u202c"
    norm = normalize(text)
    assert norm.text == "x APR fine lawsuit"
    start = norm.text.index("APR")
    assert text[slice(*norm.original_span(start, start + 3))] == "A\u200bP\u00adR"
    start = norm.text.index("fine")
    assert text[slice(*norm.original_span(start, start + 4))] == "ﬁne"
    start = norm.text.index("lawsuit")
    assert text[slice(*norm.original_span(start, start + 7))] == "lawsu\u0301it"


def test_span_keeps_a_trailing_combining_mark():
    text = "cafe\u0301 open"
    assert normalize(text).original_span(0, 4) == (0, 5)


def test_spaces_are_squeezed_with_offsets_kept():
    text = "a \u200b  \n APR"
    norm = normalize(text)
    assert norm.text == "a APR"
    assert text[slice(*norm.original_span(2, 5))] == "APR"


def test_invisible_characters():
    for ch in "\u200b\u200c\u200d\u2060\u00ad\ufeff\u202a\u202e\u2066\u2069\u200e\U000e0041\ufe0f":
        assert is_invisible(ch), f"U+{ord(ch):04X}"
    for ch in "a \u0600é東\u0301":  # U+0600 is a visible sign, U+0301 a mark (removed apart)
        assert not is_invisible(ch), f"U+{ord(ch):04X}"


def test_upper_and_lower_case_of_other_scripts_fold_alike():
    assert normalize("КРЕДИТ").folded == normalize("кредит").folded
    m = KeywordMatcher([("t", "кредит")])
    assert "t" in m.find("Наш КРЕДИТ!") and "t" in m.find("Кредит")


def test_pattern_matches_obfuscated_text_and_reports_original_spans():
    m = PatternMatcher([("acct", r"\bacct\s*#?\d{6,}\b")])
    text = "Your ａｃｃｔ #１２３４５６７ here"
    (span,) = m.find(text)["acct"]
    assert span.text == "ａｃｃｔ #１２３４５６７"
    assert text[span.start : span.end] == span.text


def test_pattern_written_with_accents_still_matches_the_original():
    m = PatternMatcher([("t", r"déjà vu")])
    assert m.find("it was déjà vu")["t"][0].text == "déjà vu"
    escaped = PatternMatcher([("t", r"d\x{e9}j\xe0 vu"), ("u", "APR")])  # ASCII-written
    assert [s.text for s in escaped.find("it was déjà vu, APR")["t"]] == ["déjà vu"]


# ---- property: spans found in the normalized text map back -------------------------

NOISE = st.sampled_from(
    ["", "\u200b", "\u200d", "\u00ad", "\ufeff", "\u202e", "\u2060", "\u0301", "\u034f"]
)
KEYWORDS = ["apr", "lawsuit", "interest rate", "data breach", "refund"]


def _disguise(ch: str, how: int) -> str:
    if not ch.isascii() or not ch.isalpha():
        return ch
    if how == 1:
        return chr(ord(ch) + 0xFEE0)  # fullwidth
    if how == 2:
        return ch.upper()
    if how == 3:
        return unicodedata.normalize("NFC", ch + "\u0301")
    return ch


@st.composite
def disguised_posts(draw):
    keyword = draw(st.sampled_from(KEYWORDS))
    pieces = []
    for ch in keyword:
        pieces.append(_disguise(ch, draw(st.integers(0, 3))))
        if ch != " ":
            pieces.append(draw(NOISE) if draw(st.booleans()) else "")
    before = draw(st.text(alphabet="ab ,.\u200b\u00e9\n", max_size=8))
    after = draw(st.text(alphabet="ab ,.\u200b\u00e9\n", max_size=8))
    return keyword, before + " " + "".join(pieces) + " " + after


@settings(max_examples=300, deadline=None)
@given(disguised_posts())
def test_every_span_slice_normalizes_to_text_containing_the_keyword(case):
    keyword, text = case
    m = KeywordMatcher([("t", keyword)])
    found = m.find(text)
    assert "t" in found, (keyword, text)
    for span in found["t"]:
        assert text[span.start : span.end] == span.text
        assert keyword in normalize(span.text).folded


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_maps_back_in_order(text):
    """Every normalized character comes from an original one, in order, and is what
    that character alone normalizes to (runs of spaces aside)."""
    norm = normalize(text)
    previous = 0
    for index, ch in enumerate(norm.text):
        at = norm.original_index(index)
        assert previous <= at < len(text)
        previous = at
        if ch != " ":
            assert ch in normalize(text[at]).text
    assert norm.folded == norm.text.lower() and len(norm.folded) == len(norm.text)
    start, end = norm.original_span(0, len(norm.text))
    assert 0 <= start <= end <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.data())
def test_a_span_maps_back_as_its_characters_do(text, data):
    """original_span agrees with original_index, character by character, adding only
    the combining marks that follow the last character."""
    norm = normalize(text)
    if not norm.text:
        return
    start = data.draw(st.integers(0, len(norm.text) - 1))
    end = data.draw(st.integers(start + 1, len(norm.text)))
    first, last = norm.original_span(start, end)
    assert first == norm.original_index(start)
    after = norm.original_index(end - 1) + 1
    assert after <= last <= len(text)
    assert all(unicodedata.category(ch)[0] == "M" for ch in text[after:last])


def test_the_scan_finds_every_character_that_changes():
    """Normalization visits only what its scan finds: each changing character, and no
    printable ASCII or character of the ranges it skips (CJK, Hangul, emoji)."""
    from engine.normalize import _get_table

    table = _get_table()
    missed = [ch for ch in table.changes if table.scan.fullmatch(ch) is None]
    assert missed == []
    assert table.scan.search("plain ASCII text, 東京 서비스 🎉👍🏽 ❤") is None
    assert [m[0] for m in table.scan.finditer("é東\u200d🎉ﬁ\t")] == ["é", "\u200d", "ﬁ", "\t"]
    # a character of a skipped range between changing ones is still found unchanged
    assert normalize("東京\u0301🎉").text == "東京🎉"


def test_a_lone_surrogate_neither_hides_a_keyword_nor_breaks_detection():
    """The engine's own callers refuse such text at the door (engine.posttext); a caller
    of the engine itself still gets the keyword found and the character reported."""
    from plugins.hidden_characters import invisible_characters

    text = "Our A\ud800PR is \udfff low"
    matcher = KeywordMatcher([("rates", "APR")])
    [span] = matcher.find(text)["rates"]
    assert (span.start, span.end, span.text) == (4, 8, "A\ud800PR")
    assert invisible_characters(text) == [5, 12]


def test_a_lone_surrogate_does_not_break_patterns_searched_as_written():
    matcher = PatternMatcher([("cafe", "café"), ("rates", r"\bAPR\b")])
    found = matcher.find("un café A\ud800PR \udfff café")
    assert [(s.start, s.end, s.text) for s in found["cafe"]] == [(3, 7, "café"), (15, 19, "café")]
    assert [(s.start, s.end, s.text) for s in found["rates"]] == [(8, 12, "A\ud800PR")]
