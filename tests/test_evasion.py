"""The evasion corpus: the example policy's own keywords, phrases and patterns, each
written with every obfuscation an author could use to slip it past review. None may
pass: each variant must produce the same topic as the plain text, with a span that
points at what the author wrote."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import find
from hypothesis import strategies as st

from cli import cli
from engine.compiler import load_engine
from engine.decide import detect_topics
from engine.model import Post

POLICY = Path(__file__).resolve().parent.parent / "policies"
ENGINE = load_engine(str(POLICY))

CYRILLIC = dict(zip("aeopcxyisjABEKMHOPCTX", "аеорсхуіѕјАВЕКМНОРСТХ", strict=True))
GREEK = dict(zip("oivuABEHIKMNOPTXYZ", "οινυΑΒΕΗΙΚΜΝΟΡΤΧΥΖ", strict=True))


def _inside(mark: str):
    """The mark after the first character and before the last (inside the word)."""
    return lambda w: w[0] + mark + w[1:-1] + mark + w[-1] if len(w) > 1 else w + mark


def _fullwidth(word: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" for c in word)


def _styled(upper: int, lower: int, digit: int | None = None):
    def apply(word: str) -> str:
        out = []
        for c in word:
            if "A" <= c <= "Z":
                out.append(chr(upper + ord(c) - ord("A")))
            elif "a" <= c <= "z":
                out.append(chr(lower + ord(c) - ord("a")))
            elif "1" <= c <= "9" and digit is not None:
                out.append(chr(digit + ord(c) - ord("1")))
            else:
                out.append(c)
        return "".join(out)

    return apply


def _swap(table: dict[str, str]):
    return lambda w: "".join(table.get(c, c) for c in w)


def _marks(mark: str):
    return lambda w: "".join(c + mark if c.isalpha() else c for c in w)


def _accented(word: str) -> str:
    return "".join(
        unicodedata.normalize("NFC", c + "\u0301") if c in "aeiouAEIOU" else c for c in word
    )


def _decomposed(word: str) -> str:
    return "".join(c + "\u0301" if c in "aeiouyAEIOUY" else c for c in word)


OBFUSCATIONS = {
    "zero-width space": _inside("\u200b"),
    "zero-width joiner": _inside("\u200d"),
    "zero-width non-joiner": _inside("\u200c"),
    "word joiner": _inside("\u2060"),
    "soft hyphen": _inside("\u00ad"),
    "byte order mark": _inside("\ufeff"),
    "bidi override": lambda w: "\u202e" + w + "\u202c",
    "bidi isolate": lambda w: "\u2066" + w[:1] + "\u2069" + w[1:],
    "left-to-right mark": _inside("\u200e"),
    "fullwidth": _fullwidth,
    "math bold": _styled(0x1D400, 0x1D41A, 0x1D7CF),
    "circled": _styled(0x24B6, 0x24D0, 0x2460),
    "cyrillic look-alikes": _swap(CYRILLIC),
    "greek look-alikes": _swap(GREEK),
    "greek capitals": lambda w: _swap(GREEK)(w.upper()),
    "combining marks": _marks("\u0336"),
    "decomposed accents": _decomposed,
    "precomposed accents": _accented,
    "upper case": str.upper,
}


def _pattern_sample(pattern: str) -> str:
    """The smallest ASCII text the pattern matches whole (hypothesis shrinks to it)."""
    return find(st.from_regex(pattern, fullmatch=True), lambda s: s.isascii() and s.isprintable())


CASE_CHANGES = {"upper case", "greek capitals"}  # patterns are case-sensitive as written


def corpus() -> list[tuple[str, str, str, str]]:
    """(topic, plain phrase, obfuscation, variant) for every keyword, phrase and pattern."""
    plain = []
    for topic in ENGINE.policy.topics.values():
        plain += [(topic.id, keyword, True) for keyword in topic.keywords]
        plain += [(topic.id, _pattern_sample(pattern), False) for pattern in topic.patterns]
    cases = []
    for topic_id, phrase, keyword in plain:
        for name, obfuscate in OBFUSCATIONS.items():
            if name in CASE_CHANGES and not keyword:
                continue
            variant = obfuscate(phrase)
            if variant != phrase:
                cases.append((topic_id, phrase, name, variant))
    return cases


CORPUS = corpus()


def test_the_corpus_is_big_and_covers_every_obfuscation():
    assert len(CORPUS) >= 100
    assert {name for _, _, name, _ in CORPUS} == set(OBFUSCATIONS)
    assert {topic for topic, *_ in CORPUS} == set(ENGINE.policy.topics)
    assert any(" " in phrase for _, phrase, _, _ in CORPUS)  # phrases too
    assert any(phrase.startswith("acct") for _, phrase, _, _ in CORPUS)  # a pattern too


def test_no_variant_of_the_corpus_passes():
    missed = []
    for topic_id, phrase, name, variant in CORPUS:
        text = f"Please note: {variant}, today."
        assert topic_id in detect_topics(ENGINE, f"Please note: {phrase}, today.")
        found = detect_topics(ENGINE, text).get(topic_id, [])
        # The span covers what the author wrote (bidi controls around it may be left out).
        at = text.index(variant)
        region = range(at, at + len(variant) + 1)
        bare = variant.strip("\u202e\u202c\u2066\u2069")
        spans = [s for s in found if s.start in region and s.end in region]
        if not any(bare in text[s.start : s.end] for s in spans):
            missed.append(f"{name}: {variant!r} ({topic_id})")
    assert not missed, f"{len(missed)} of {len(CORPUS)} variants passed:\n" + "\n".join(missed)


@pytest.mark.parametrize("name", sorted(OBFUSCATIONS))
def test_each_obfuscation_gives_the_plain_decision(name):
    """A post by a marketer: same outcome and same topics as the plain text."""
    for _topic, phrase, variant_name, variant in CORPUS:
        if variant_name != name:
            continue
        plain = ENGINE.decide(Post("hana", "facebook/nmtw", f"We say {phrase} here."))
        hidden = ENGINE.decide(Post("hana", "facebook/nmtw", f"We say {variant} here."))
        assert hidden.decision == plain.decision, (variant, hidden.reasons)
        assert {t.id for t in hidden.topics} == {t.id for t in plain.topics}, variant
        for match in hidden.topics:
            for span in match.spans:
                assert hidden.post.text[span.start : span.end] == span.text


# ---- end to end: `sayso check` and submit -----------------------------------------


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str):
        return runner.invoke(cli, ["--policy", str(POLICY), "--db", db, *args])

    return invoke


HIDDEN_RATE = "Our new ＡＰＲ is 4.9% and the in\u200bterest r\u0430te is fixed."


def test_sayso_check_denies_an_obfuscated_rate_quote(run):
    result = run(
        "check", "--author", "hana", "--channel", "twitter/nmtw", "--text", HIDDEN_RATE, "--json"
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["decision"] == "denied"
    (rates,) = [t for t in data["topics"] if t["id"] == "rates"]
    assert [s["text"] for s in rates["spans"]] == ["ＡＰＲ", "in\u200bterest r\u0430te"]
    for span in rates["spans"]:
        assert HIDDEN_RATE[span["start"] : span["end"]] == span["text"]


def test_submit_of_an_obfuscated_rate_quote_is_denied_and_not_published(run):
    result = run(
        "submit", "--author", "hana", "--channel", "twitter/nmtw", "--text", HIDDEN_RATE, "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "denied"
    assert "rates" in {r["id"] for r in data["reasons"]}
    plain = run(
        "submit", "--author", "hana", "--channel", "twitter/nmtw", "--text", "A calm day.", "--json"
    )
    assert json.loads(plain.output)["status"] in (
        "approved",
        "published",
    )  # the same author may post


# ---- the web API sees through it too ------------------------------------------------


def test_api_check_and_submit_see_through_an_obfuscated_phrase(client, token_for):
    text = "Sure, we can c\u200blose your ａｃｃｏｕｎｔ today."
    body = {"channel": "facebook/nmtw", "text": text}
    checked = client.post("/api/v1/check", json=body, headers=token_for("dana"))
    assert checked.status_code == 200
    assert checked.json["decision"] == "needs_signoff"
    (span,) = checked.json["topics"][0]["spans"]
    assert span["text"] == "c\u200blose your ａｃｃｏｕｎｔ" == text[span["start"] : span["end"]]
    created = client.post("/api/v1/submissions", json=body, headers=token_for("dana"))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.json["status"] == "pending"
