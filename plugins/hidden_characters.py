"""Built-in check `hidden-characters`: makes obfuscation itself visible.

Topic matching already sees through invisible characters and look-alikes
(engine.normalize); this check reports that a post uses them, so a reviewer sees
why `A\\u200bPR` or `lаwsuit` (Cyrillic а) was written that way:
- invisible characters: zero-width space, joiner and non-joiner, word joiner, soft
  hyphen, BOM, bidi controls (embeddings, overrides, isolates, marks), tag and
  control characters. A zero-width joiner inside an emoji sequence, a variation
  selector after a symbol and a joiner between letters of one non-Latin script
  (Persian, Indic) are how those are written and are not reported;
- mixed-script words: a word whose letters come from more than one script, beyond
  the combinations Unicode TR39 calls highly restrictive (Latin with Han and
  Japanese kana, with Han and Bopomofo, or with Han and Hangul). Scripts are read
  from the data `confusable-homoglyphs` ships. In a text that has Latin words, a
  word wholly of another script that reads as Latin (Greek `ΑΡΥ` for `APY`) counts too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from engine.hookspecs import CheckFunction, CheckInput, CheckSpec, Finding, hookimpl
from engine.model import Effect, Span
from engine.normalize import is_invisible, normalize

OPTIONS_SCHEMA = {
    "invisible": {"type": "boolean"},
    "mixed_script": {"type": "boolean"},
}

MAX_SPANS = 100  # spans listed per finding; the message gives the full count
_NEUTRAL = frozenset({"COMMON", "INHERITED", "Unknown"})
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_WORD = re.compile(r"\w+")  # fixed patterns of ours
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_JOINERS = frozenset("\u200c\u200d")
_SELECTORS = frozenset(chr(cp) for cp in range(0xFE00, 0xFE10))


@lru_cache(maxsize=8192)
def script(ch: str) -> str:
    """The Unicode script of a character (`LATIN`, `CYRILLIC`, `COMMON`...)."""
    from confusable_homoglyphs import categories  # its data is read on first use

    return categories.alias(ch)


def _is_symbol(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk", "Sm") or ch.isdigit() or ch in "#*"


def _expected(text: str, index: int) -> bool:
    """An invisible character that is part of how emoji or a script are written."""
    ch = text[index]
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if ch in _SELECTORS:
        return bool(before) and _is_symbol(before)
    if ch == "\u200d" and before and after and _is_symbol(after):
        return _is_symbol(before) or before in _SELECTORS or 0x1F3FB <= ord(before) <= 0x1F3FF
    if ch in _JOINERS and before.isalpha() and after.isalpha():
        kind = script(before)
        return kind == script(after) and kind not in _NEUTRAL and kind != "LATIN"
    return False


def invisible_characters(text: str) -> list[int]:
    """Offsets of the invisible characters a reader would not see."""
    if text.isascii():
        return [match.start() for match in _ASCII_CONTROL.finditer(text)]
    return [i for i, ch in enumerate(text) if is_invisible(ch) and not _expected(text, i)]


def mixed_script_words(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, scripts) of each word mixing scripts beyond TR39's highly restrictive
    mixes, and of each word of another script that reads as Latin (Greek `ΑΡΥ` as `APY`)
    in a text that also has Latin words."""
    if text.isascii():
        return []
    found, lookalikes = [], []
    latin = False
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii():
            latin = latin or any(ch.isalpha() for ch in word)
            continue
        scripts = {script(ch) for ch in word if ch.isalpha()} - _NEUTRAL
        if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
            found.append((match.start(), match.end(), tuple(sorted(scripts))))
        elif scripts == {"LATIN"}:
            latin = True
        elif len(word) > 1 and normalize(word).text.isascii():
            lookalikes.append((match.start(), match.end(), (*sorted(scripts), "LATIN")))
    if latin:
        found = sorted(found + lookalikes)
    return found


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL CHARACTER')}"


def _invisible_finding(text: str, offsets: list[int]) -> Finding:
    kinds = ", ".join(dict.fromkeys(_name(text[i]) for i in offsets))
    spans = tuple(Span(i, i + 1, text[i], "hidden-characters") for i in offsets[:MAX_SPANS])
    count = len(offsets)
    what = "an invisible character" if count == 1 else f"{count} invisible characters"
    return Finding(f"{what}: {kinds}", spans)


def _mixed_finding(text: str, words: list[tuple[int, int, tuple[str, ...]]]) -> Finding:
    shown = "; ".join(
        f"'{text[start:end]}' ({' + '.join(s.lower() for s in scripts)})"
        for start, end, scripts in words[:5]
    )
    more = f" and {len(words) - 5} more" if len(words) > 5 else ""
    spans = tuple(Span(s, e, text[s:e], "hidden-characters") for s, e, _ in words[:MAX_SPANS])
    what = "a word mixes" if len(words) == 1 else f"{len(words)} words mix"
    return Finding(f"{what} scripts: {shown}{more}", spans)


def build(options: dict[str, Any]) -> CheckFunction:
    invisible = options.get("invisible", True)
    mixed = options.get("mixed_script", True)

    def check(given: CheckInput) -> list[Finding]:
        text = given.post.text
        findings = []
        offsets = invisible_characters(text) if invisible else []
        if offsets:
            findings.append(_invisible_finding(text, offsets))
        words = mixed_script_words(text) if mixed else []
        if words:
            findings.append(_mixed_finding(text, words))
        return findings

    return check


@hookimpl(trylast=True)
def register_checks() -> list[CheckSpec]:
    return [
        CheckSpec(
            name="hidden-characters",
            build=build,
            options_schema=OPTIONS_SCHEMA,
            default_action=Effect.SIGNOFF,
            description="Reports invisible or bidi-control characters and words mixing scripts.",
        )
    ]
