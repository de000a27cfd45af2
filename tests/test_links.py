"""The `links` check against links written to slip past it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from engine.compiler import load_engine
from engine.hookspecs import CheckInput
from engine.model import Channel, Outcome, Post
from plugins import links

ALLOW = links.build({"allow_domains": ["nmtw.example"]})
CHANNEL = Channel("facebook/nmtw", "facebook")


def findings(text: str):
    return ALLOW(CheckInput(Post("ann", CHANNEL.id, text), CHANNEL))


def flagged(text: str) -> list[tuple[str, str]]:
    """(host named in the message, span text) per finding."""
    out = []
    for finding in findings(text):
        (span,) = finding.spans
        assert text[span.start : span.end] == span.text
        out.append((finding.message.split()[2], span.text))
    return out


@pytest.mark.parametrize(
    ("text", "host", "written"),
    [
        ("Short link: bit.ly/x1 today", "bit.ly", "bit.ly/x1"),
        ("Go to evil.example/phish.", "evil.example", "evil.example/phish"),
        (
            "Mirror at ftp://files.evil.example/x",
            "files.evil.example",
            "ftp://files.evil.example/x",
        ),
        ("see hxxp://evil.example/x", "evil.example", "hxxp://evil.example/x"),
        ("see //evil.example/a now", "evil.example", "//evil.example/a"),
        (
            "ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ／ｘ",
            "evil.example",
            "ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ／ｘ",
        ),
        ("ht\u200btps://evil.example/", "evil.example", "ht\u200btps://evil.example/"),
        ("b\u200bit.ly/x", "bit.ly", "b\u200bit.ly/x"),
        ("evil\u3002example/x", "evil.example", "evil\u3002example/x"),
        ("Visit foo.co.uk.", "foo.co.uk", "foo.co.uk"),
        ("www.evil.example", "www.evil.example", "www.evil.example"),
        (
            "https://nmtw.example@evil.example/",
            "evil.example",
            "https://nmtw.example@evil.example/",
        ),
        ("пример.рф/x", "xn--e1afmkfd.xn--p1ai", "пример.рф/x"),
        # a look-alike of the allowed domain is another domain (Cyrillic е)
        ("log in at nmtw.\u0435xample/login", "nmtw.xn--xample-2of", "nmtw.\u0435xample/login"),
    ],
)
def test_hidden_links_are_found(text, host, written):
    assert flagged(text) == [(host, written)]


@pytest.mark.parametrize(
    "text",
    [
        "https://nmtw.example/out?to=https%3A%2F%2Fevil.example%2Fp",
        "https://nmtw.example/r?u=//evil.example/x",
        "https://www.nmtw.example/go/https://evil.example/",
    ],
)
def test_nested_links_are_checked_too(text):
    (finding,) = findings(text)
    assert "link to evil.example (inside" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "Plain words. And a sentence.",
        "e.g. this, i.e. that",
        "version 1.2.3 and 3.14",
        "write to help@nmtw.example",
        "https://nmtw.example/a and www.nmtw.example and nmtw.example/b",
        "and/or //comment",
        "ｈｔｔｐｓ：／／ｎｍｔｗ．ｅｘａｍｐｌｅ／ok",
    ],
)
def test_not_links_or_allowed(text):
    assert findings(text) == []


def test_public_suffixes_come_from_the_bundled_list_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the links check must not use the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    links._suffixes.cache_clear()
    assert links.is_domain("bit.ly") and links.is_domain("foo.co.uk")
    assert not links.is_domain("readme.notatld") and not links.is_domain("localhost")
    assert links.is_domain("nmtw.example")  # special-use names (RFC 6761) count


def test_hostile_size_stays_bounded():
    many = findings("a.com " * 10_000)
    assert len(many) == 10_000
    (long,) = findings("see https://" + "x" * 5000 + ".com")
    assert len(long.message) < 200  # the host is shortened in the message


def test_example_policy_holds_a_hidden_link_for_the_web_team():
    engine = load_engine(str(Path(__file__).resolve().parent.parent / "policies"))
    decision = engine.decide(Post("ivan", "facebook/nmtw", "Deals at ｂｉｔ．ｌｙ/x1 today"))
    assert decision.decision == Outcome.NEEDS_SIGNOFF
    assert [r.id for r in decision.reasons] == ["links"]


def test_bare_domains_are_told_from_links_with_a_scheme():
    from plugins.links import _candidates

    text = "see evil.example/a or https://x.example/b"
    found = [(text[start:end], bare) for start, end, bare in _candidates(text)]
    assert found == [("evil.example/a", True), ("https://x.example/b", False)]


def test_spans_stay_right_with_non_ascii_text_between_and_inside_links():
    """Character offsets are counted on from one link to the next: every span of many
    links, with accents, CJK, emoji and an internationalised name among them, is the
    link as written."""
    pieces = ["Grüße ", "東京 ", "👨\u200d👩 ", "e\u0301 ", ""]
    urls = ["https://bücher.example/ä", "evil.example/x", "//cdn.example/é", "bit.ly/x1"]
    text = "".join(f"{pieces[i % 5]}{urls[i % 4]} " for i in range(40))
    found = links.find_links(text)
    assert [url for _, _, url in found] == [urls[i % 4] for i in range(40)]
    for start, end, url in found:
        assert text[start:end] == url


def test_ascii_hosts_read_as_the_idna_codec_reads_them():
    from plugins.links import ascii_host

    for host in ("NMTW.example", "a..b", "x" * 70 + ".example", "bücher.example", "Bit.LY"):
        try:
            expected = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            expected = host.lower()
        assert ascii_host(host) == expected


@pytest.mark.parametrize(
    "before",
    ["", "Grüße aus 東京 👨\u200d👩\u200d👧 ", "façade\u0301 ", "ｈｔｔｐ ", "x" * 300 + " é "],
)
def test_link_spans_are_character_offsets_of_the_text_as_written(before):
    text = f"{before}see https://evil.example/a and bit.ly/x1 then"
    found = links.find_links(text)
    assert [url for _, _, url in found] == ["https://evil.example/a", "bit.ly/x1"]
    for start, end, url in found:
        assert text[start:end] == url
