"""The text that topics, patterns and checks see: obfuscation folded away, offsets kept.

`normalize(text)` applies, character by character: NFKC (fullwidth, math-bold and
circled letters become plain ones), removal of default-ignorable and other invisible
characters (zero-width space/joiner/non-joiner, word joiner, soft hyphen, BOM, bidi
controls, variation selectors, tag characters, control characters, lone surrogates),
removal of combining marks after canonical decomposition (`é` and `e` + U+0301 both become
`e`), the mapping of confusable look-alikes to their Latin prototype (Unicode TR39
`confusables.txt`, as shipped by the `confusable-homoglyphs` package: Cyrillic `а`
becomes `a`), and whitespace as single plain spaces. `Normalized.folded` is the same
text case-folded, character for character, for keyword matching.

Every character of the normalized text remembers which original character it came
from, so a span found in the normalized text maps back to the original one
(`Normalized.original_span`): highlighting stays right. Pure ASCII text takes a fast
path; the table of characters that change is built once, on the first non-ASCII text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_right

# Default-ignorable code points that are not format (Cf) characters or marks: Hangul
# fillers (Lo) and reserved ranges (DerivedCoreProperties.txt, Default_Ignorable_Code_Point).
_IGNORABLE_EXTRA = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0})
_IGNORABLE_RANGES = (range(0x2060, 0x2070), range(0xFFF0, 0xFFF9), range(0xE0000, 0xE1000))
_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))  # variation selectors
# Format characters that are visible signs, not default-ignorable (prepended concatenation marks).
_VISIBLE_FORMAT = frozenset({*range(0x600, 0x606), 0x6DD, 0x70F, 0x890, 0x891, 0x8E2, 0x110BD})
_VISIBLE_FORMAT |= {0x110CD}
# Code points where a character can change; the rest of planes 2-13 are unified ideographs.
_SCAN_RANGES = ((0x80, 0x20000), (0x2F800, 0x2FA20), (0xE0000, 0xE1000))
_ASCII_SPACES = str.maketrans({c: " " for c in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"})
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_SPACE_RUN = re.compile("  +")
_SEP = "\U0010fffd"  # private use: a starter that normalization keeps as it is


def is_invisible(ch: str) -> bool:
    """Default-ignorable (zero-width characters, bidi controls, BOM...) or a control character."""
    cp = ord(ch)
    category = unicodedata.category(ch)
    if category == "Cf":
        return cp not in _VISIBLE_FORMAT
    if category == "Cc":
        return not ch.isspace()
    if category == "Cs":  # a lone half of a UTF-16 pair (JSON "\\ud800"): no character at all
        return True
    if category[0] == "C":  # unassigned or private use: the reserved default-ignorables only
        return any(cp in r for r in _IGNORABLE_RANGES)
    if cp in _IGNORABLE_EXTRA or any(cp in r for r in _IGNORABLE_RANGES):
        return True
    return any(cp in r for r in _SELECTORS) or cp in (0x34F, 0x180B, 0x180C)


def _ascii_forms(data: dict, ch: str) -> list[str]:
    return [e["c"] for e in data.get(ch, ()) if e["c"].isascii() and e["c"].isprintable()]


def _ascii_look_alike(data: dict, ch: str) -> str | None:
    """The ASCII prototype of `ch`, of the same case where one exists."""
    forms = _ascii_forms(data, ch)
    if not forms:
        return None
    direct = set(forms)
    # The ASCII look-alikes of that form too ('l', 'I', '1'), so that an upper-case
    # letter gets an upper-case one: Greek 'Ι' becomes 'I', not 'l'.
    forms += [f for form in direct if len(form) == 1 for f in _ascii_forms(data, form)]
    upper, lower = ch.isupper(), ch.islower()

    def rank(form: str) -> tuple:
        other_case = (upper or lower) and (form.isupper() != upper or form.islower() != lower)
        return (len(form), other_case, form not in direct, not form.isalpha(), form)

    return min(forms, key=rank)


def _confusable_prototypes() -> dict[str, str]:
    """Non-ASCII character -> its ASCII look-alike, from TR39 data (confusable-homoglyphs)."""
    import json
    from importlib import resources  # only when the table is built

    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    out = {}
    for ch in data:
        if len(ch) == 1 and not ch.isascii():
            form = _ascii_look_alike(data, ch)
            if form is not None:
                out[ch] = form
    # Case partners map alike, so that a word and its upper case fold the same way:
    # Cyrillic 'Н' looks like 'H', so its lower case 'н' becomes 'h' too.
    for ch, form in list(out.items()):
        for partner in (ch.lower(), ch.upper()):
            if len(partner) == 1 and not partner.isascii() and partner not in out:
                out[partner] = form.lower() if partner == ch.lower() else form.upper()
    return out


def _fold_char(ch: str, confusables: dict[str, str]) -> str:
    """One character of a canonically decomposed text: removed, a space, or its fold."""
    if unicodedata.category(ch)[0] == "M" or is_invisible(ch):
        return ""
    if ch.isspace():
        return " "
    if not ch.isascii():
        ch = confusables.get(ch, ch)
    lowered = ch.lower()
    if len(lowered) != 1 or lowered.casefold() != lowered:
        return ch.casefold()
    return ch


def _step(text: str, confusables: dict[str, str]) -> str:
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    table = {ord(ch): _fold_char(ch, confusables) for ch in set(text)}
    table[ord(_SEP)] = _SEP
    return unicodedata.normalize("NFC", text.translate(table))


def _may_change(low: int, high: int, confusables: dict[str, str]) -> list[str]:
    """The characters in [low, high) that normalization may change (whole-block string calls)."""
    chars = [chr(cp) for cp in range(low, high)]
    joined = _SEP.join(chars)

    def each(transformed: str) -> list[str]:
        return transformed.split(_SEP)

    decomposed = each(unicodedata.normalize("NFKD", joined))
    lowered, folded = each(joined.lower()), each(joined.casefold())
    category = unicodedata.category
    out = []
    for ch, nfkd, lower, fold in zip(chars, decomposed, lowered, folded, strict=True):
        kind = category(ch)
        if kind in ("Cn", "Co", "Cs"):
            continue  # the reserved default-ignorables are added by the caller
        decomposes = nfkd != ch and not 0xAC00 <= ord(ch) <= 0xD7A3  # Hangul syllables stay
        if (
            decomposes
            or kind[0] in "MCZ"
            or ch in confusables
            or len(lower) != 1
            or fold != lower
            or ch.isspace()
        ):
            out.append(ch)
    return out


class _Table:
    """Every character that normalization changes, and what it becomes."""

    def __init__(self) -> None:
        confusables = _confusable_prototypes()
        changes = {chr(cp): "" for cp in range(0x80) if is_invisible(chr(cp))}
        changes.update((chr(cp), " ") for cp in _ASCII_SPACES)
        changes.update((chr(cp), "") for block in _IGNORABLE_RANGES for cp in block)
        changes.update((chr(cp), "") for cp in range(0xD800, 0xE000))  # lone surrogates
        candidates = [
            ch for low, high in _SCAN_RANGES for ch in _may_change(low, high, confusables)
        ]
        # One pass over all candidates, joined by a private-use character that never changes.
        joined = _SEP.join(candidates)
        for _ in range(4):  # to a fixed point: each step may expose more to fold
            following = _step(joined, confusables)
            if following == joined:
                break
            joined = following
        for ch, piece in zip(candidates, joined.split(_SEP), strict=True):
            if piece != ch:
                changes[ch] = piece
        self.changes = changes
        self.scan = _scan_pattern(changes)


def _scan_pattern(changes: dict[str, str]) -> re.Pattern[str]:
    """One character that may change: not printable ASCII and not in a range of characters
    that never change (CJK, Hangul, most emoji...), so those are skipped by re's scan.
    One character, not a run: a pattern that starts with a character class is searched
    for with re's fast scan for that class.

    Ranges above the BMP are tested one by one (re keeps a bitmap for the BMP only), so
    only the long ones are listed, emoji first: a character of a short one is visited
    and found unchanged."""
    changing = sorted(ord(ch) for ch in changes if ord(ch) >= 0x80) + [0x110000]
    kept: list[tuple[int, int]] = []
    previous = 0x7F
    for cp in changing:
        if cp - previous > 1:
            kept.append((previous + 1, cp - 1))
        previous = cp
    astral = [(low, high) for low, high in kept if low > 0xFFFF and high - low >= 1000]
    astral.sort(key=lambda r: not 0x1F000 <= r[0] < 0x20000)  # emoji blocks first
    ranges = [(low, high) for low, high in kept if low <= 0xFFFF] + astral
    listed = "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)
    return re.compile(f"[^\\x20-\\x7e{listed}]")


_table: _Table | None = None
_table_lock = threading.Lock()


def _get_table() -> _Table:
    global _table
    if _table is None:
        with _table_lock:
            if _table is None:
                _table = _Table()
    return _table


class _OffsetMap:
    """Normalized offset -> original offset, as runs of constant shift."""

    __slots__ = ("starts", "shifts")

    def __init__(self) -> None:
        self.starts, self.shifts = [0], [0]

    def mark(self, normalized_at: int, original_at: int) -> None:
        """From `normalized_at` on, offsets map to `original_at` onwards."""
        shift = original_at - normalized_at
        if shift != self.shifts[-1]:
            if self.starts[-1] == normalized_at:
                self.shifts[-1] = shift
            else:
                self.starts.append(normalized_at)
                self.shifts.append(shift)

    def __call__(self, index: int) -> int:
        if len(self.starts) == 1:
            return index + self.shifts[0]
        return index + self.shifts[bisect_right(self.starts, index) - 1]


_IDENTITY = _OffsetMap()


class Normalized:
    """A normalized text, its case-folded form and the way back to the original offsets."""

    __slots__ = ("original", "text", "folded", "_maps")

    def __init__(self, original: str, text: str, maps: tuple[_OffsetMap, ...] = ()):
        self.original = original
        self.text = text  # NFKC, invisibles and marks removed, look-alikes mapped, spaces
        self.folded = text.lower()  # same length as `text`
        self._maps = maps  # applied in order: squeezed spaces, then changed characters

    @property
    def unchanged(self) -> bool:
        return self.text == self.original

    @property
    def same_offsets(self) -> bool:
        """Whether every offset of the normalized text is the original's."""
        return not self._maps

    def original_index(self, index: int) -> int:
        """The original offset of the character at normalized offset `index`."""
        for offsets in self._maps:
            index = offsets(index)
        return index

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) covering normalized [start, end), with trailing combining marks."""
        if end <= start:
            at = self.original_index(start) if start < len(self.text) else len(self.original)
            return at, at
        first, last = start, end - 1
        maps = self._maps
        if len(maps) == 1:  # the usual case, each offset looked up in place
            starts, shifts = maps[0].starts, maps[0].shifts
            first += shifts[bisect_right(starts, first) - 1]
            last += shifts[bisect_right(starts, last) - 1]
        else:
            for offsets in maps:
                first, last = offsets(first), offsets(last)
        last += 1
        original = self.original
        while last < len(original) and not original[last].isascii():
            if unicodedata.category(original[last])[0] != "M":
                break
            last += 1
        return first, last


_last: tuple[str, Normalized] | None = None


def normalize(text: str) -> Normalized:
    """`text` as topics, patterns and checks see it (see the module docstring).

    The last result is kept, so the detectors and checks of one decision share it."""
    global _last
    last = _last  # one read: another thread may replace it meanwhile
    if last is not None and last[0] == text:
        return last[1]
    result = _normalize(text)
    _last = (text, result)
    return result


def _normalize(text: str) -> Normalized:
    if text.isascii():
        if text.isprintable():  # most posts: nothing to change, maybe spaces to squeeze
            if "  " not in text:
                return Normalized(text, text)
            squeezed, spaces = _squeeze(text)
            return Normalized(text, squeezed, (spaces,))
        spaced = text.translate(_ASCII_SPACES)  # fast for ASCII: a cached 1:1 table
        if _ASCII_CONTROL.search(spaced) is None:
            if "  " not in spaced:
                return Normalized(text, spaced)
            squeezed, spaces = _squeeze(spaced)
            return Normalized(text, squeezed, (spaces,))
    offsets = _OffsetMap()
    changed = _changed_characters(text, offsets)
    if "  " not in changed:
        return Normalized(text, changed, (offsets,))
    squeezed, spaces = _squeeze(changed)
    return Normalized(text, squeezed, (spaces, offsets))


def _changed_characters(text: str, offsets: _OffsetMap) -> str:
    table = _get_table()
    changes = table.changes
    parts: list[str] = []
    mark = offsets.mark
    length = previous = 0
    for unusual in table.scan.finditer(text):  # most characters, even of non-ASCII text, are ASCII
        piece = changes.get(unusual[0])
        if piece is None:
            continue
        index = unusual.start()
        if index > previous:
            mark(length, previous)
            parts.append(text[previous:index])
            length += index - previous
        for offset in range(len(piece)):
            mark(length + offset, index)
        parts.append(piece)
        length += len(piece)
        previous = index + 1
    if previous < len(text):
        offsets.mark(length, previous)
        parts.append(text[previous:])
        length += len(text) - previous
    offsets.mark(length, len(text))  # the end of the text maps to the end
    return "".join(parts)


def _squeeze(text: str) -> tuple[str, _OffsetMap]:
    """Runs of spaces as one space, so that a phrase matches across a line break."""
    offsets = _OffsetMap()
    parts: list[str] = []
    previous = removed = 0
    for run in _SPACE_RUN.finditer(text):
        begin, end = run.span()
        parts.append(text[previous : begin + 1])
        removed += end - begin - 1
        offsets.mark(end - removed, end)
        previous = end
    parts.append(text[previous:])
    return "".join(parts), offsets
