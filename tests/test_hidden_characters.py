"""The `hidden-characters` check: obfuscation made visible to the reviewer."""

from __future__ import annotations

from pathlib import Path

import cerberus
import pytest

from engine import plugins as registry
from engine.compiler import compile_policy
from engine.errors import PolicyError
from engine.hookspecs import CheckInput
from engine.loader import load_policy
from engine.model import Channel, CheckConfig, Effect, Outcome, Post, Signoff
from plugins import hidden_characters
from tests.fixtures_engine import sample_policy

CHANNEL = Channel("facebook/nmtw", "facebook")


def run(text: str, **options):
    check = hidden_characters.build(options)
    return check(CheckInput(Post("ann", CHANNEL.id, text), CHANNEL))


def test_registered_as_a_builtin_with_signoff_by_default():
    pm = registry.get_plugin_manager(load_entrypoints=False)
    spec = registry.checks(pm)["hidden-characters"]
    assert spec.default_action == Effect.SIGNOFF
    assert "plugins.hidden_characters" in {pm.get_name(p) for p in pm.get_plugins()}
    schema = cerberus.Validator(spec.options_schema)
    assert schema.validate({"invisible": False, "mixed_script": True})
    assert not schema.validate({"invisible": "yes"})
    assert not schema.validate({"invisble": True})


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("A\u200bPR", "U+200B ZERO WIDTH SPACE"),
        ("A\u200dPR", "U+200D ZERO WIDTH JOINER"),
        ("A\u200cPR", "U+200C ZERO WIDTH NON-JOINER"),
        ("A\u2060PR", "U+2060 WORD JOINER"),
        ("A\u00adPR", "U+00AD SOFT HYPHEN"),
        ("\ufeffAPR", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\u202eevil\u202c", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066x\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("a\u200fb", "U+200F RIGHT-TO-LEFT MARK"),
        ("tag\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
        ("x\x01y", "U+0001 CONTROL CHARACTER"),
    ],
)
def test_invisible_characters_are_reported_where_they_are(text, name):
    (finding,) = run(text)
    assert name in finding.message
    for span in finding.spans:
        assert text[span.start : span.end] == span.text and len(span.text) == 1


def test_count_and_bounded_spans():
    text = "\u200b".join("x" * 500)
    (finding,) = run(text)
    assert finding.message.startswith("499 invisible characters")
    assert len(finding.spans) == hidden_characters.MAX_SPANS


@pytest.mark.parametrize(
    "text",
    [
        "plain ASCII\twith\nlines",
        "family 👨\u200d👩\u200d👧 and a heart ❤\ufe0f, thumbs 👍🏽",
        "می\u200cخواهم",  # Persian: the non-joiner is part of the spelling
        "café, naïve, İstanbul, Straße",
        "Tシャツ 東京タワー 한국어 中文",
        "Привет, мир",  # one script
    ],
)
def test_ordinary_text_is_not_reported(text):
    assert run(text) == []


@pytest.mark.parametrize(
    ("text", "word", "scripts"),
    [
        ("our l\u0430wsuit", "l\u0430wsuit", "cyrillic + latin"),
        ("fly to M\u043escow", "M\u043escow", "cyrillic + latin"),
        ("Our \u0391\u03a1\u03a5 is low", "\u0391\u03a1\u03a5", "greek + latin"),  # reads APY
    ],
)
def test_mixed_script_words(text, word, scripts):
    (finding,) = run(text)
    assert f"'{word}' ({scripts})" in finding.message
    assert [s.text for s in finding.spans] == [word]


def test_options_turn_each_part_off():
    text = "l\u0430w\u200bsuit"
    assert len(run(text)) == 2
    assert [f.message.split(":")[0] for f in run(text, invisible=False)] == ["a word mixes scripts"]
    assert [f.message.split(":")[0] for f in run(text, mixed_script=False)] == [
        "an invisible character"
    ]
    assert run(text, invisible=False, mixed_script=False) == []


def test_in_a_policy_it_holds_the_post_for_signoff():
    check = CheckConfig(
        "hidden-characters", "hidden-characters", requires=Signoff(("group:support-leads",))
    )
    engine = compile_policy(sample_policy(checks=(check,)))
    held = engine.decide(Post("tess", "facebook/nmtw", "Great r\u0430tes t\u200boday"))
    assert held.decision == Outcome.NEEDS_SIGNOFF
    assert [r.id for r in held.requirements] == ["hidden-characters"]
    assert engine.decide(Post("tess", "facebook/nmtw", "Great day")).decision == Outcome.APPROVED


def test_policy_must_name_who_signs_off(tmp_path: Path):
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nusers: {ann: {}}\nchannels: {twitter/x: {}}\n"
        "rules: [{id: r, allow: [user:ann], channels: [twitter/x]}]\n"
        "checks: [{use: hidden-characters}]\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path)
    assert "hidden-characters" in str(caught.value)
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nusers: {ann: {}}\nchannels: {twitter/x: {}}\n"
        "rules: [{id: r, allow: [user:ann], channels: [twitter/x]}]\n"
        "checks: [{use: hidden-characters, action: warn, mixed_script: false}]\n",
        encoding="utf-8",
    )
    assert load_policy(tmp_path).checks[0].use == "hidden-characters"


def test_hostile_size_lists_a_bounded_number_of_spans():
    text = ("w\u043erd\u200b " * 11000)[:65536]
    invisible, mixed = run(text)
    assert invisible.message.startswith("10922 invisible characters")  # the last is cut off
    assert mixed.message.startswith("10923 words mix scripts") and "and 10918 more" in mixed.message
    assert len(invisible.spans) == len(mixed.spans) == hidden_characters.MAX_SPANS
