"""Built-in plugins: topic detectors, `max-length` and `links`, registered through pluggy."""

from __future__ import annotations

import cerberus
import pytest

from engine import plugins as registry
from engine.hookspecs import CheckInput
from engine.model import Channel, Effect, Post, Topic
from plugins import links, max_length

TWITTER = Channel("twitter/x", "twitter", max_length=280)
FACEBOOK = Channel("facebook/x", "facebook")


def run(spec_module, options, text, channel=FACEBOOK):
    check = spec_module.build(options)
    return check(CheckInput(Post("dana", channel.id, text), channel))


@pytest.fixture(scope="module")
def pm():
    return registry.get_plugin_manager(load_entrypoints=False)


def test_builtins_are_registered_like_plugins(pm):
    assert {"max-length", "links"} <= set(registry.checks(pm))
    assert {"keywords", "patterns"} <= set(registry.topic_detectors(pm))
    names = {p["name"] for p in registry.get_plugins(pm)}
    assert {"plugins.topics", "plugins.max_length", "plugins.links"} <= names


def test_default_actions(pm):
    specs = registry.checks(pm)
    assert specs["max-length"].default_action == Effect.DENY
    assert specs["links"].default_action == Effect.WARN


def test_option_schemas_validate_with_cerberus(pm):
    specs = registry.checks(pm)
    assert cerberus.Validator(specs["links"].options_schema).validate(
        {"allow_domains": ["nmtw.example"]}
    )
    assert not cerberus.Validator(specs["links"].options_schema).validate({"allow_domains": "x"})
    assert not cerberus.Validator(specs["links"].options_schema).validate({"domains": ["x"]})
    assert cerberus.Validator(specs["max-length"].options_schema).validate({"limit": 100})
    assert not cerberus.Validator(specs["max-length"].options_schema).validate({"limit": 0})


def test_detectors_find_keywords_and_patterns(pm):
    topics = (Topic("a", keywords=("refund",)), Topic("b", patterns=(r"\d{4}",)))
    specs = registry.topic_detectors(pm)
    assert set(specs["keywords"].build(topics).detect("A Refund of 2024")) == {"a"}
    assert set(specs["patterns"].build(topics).detect("A Refund of 2024")) == {"b"}


def test_max_length_uses_the_channel_limit():
    assert run(max_length, {}, "a" * 280, TWITTER) == []
    (finding,) = run(max_length, {}, "a" * 281, TWITTER)
    assert finding.message == "the post is 281 characters; twitter/x allows 280"
    assert (finding.spans[0].start, finding.spans[0].end) == (280, 281)


def test_max_length_without_limit_passes_anything():
    assert run(max_length, {}, "a" * 10_000, FACEBOOK) == []


def test_max_length_option_limit_wins():
    assert run(max_length, {"limit": 10}, "a" * 10, TWITTER) == []
    (finding,) = run(max_length, {"limit": 10}, "a" * 11, TWITTER)
    assert "11" in finding.message and "10" in finding.message


def test_max_length_counts_characters_not_bytes():
    assert run(max_length, {}, "é" * 280, TWITTER) == []


def test_links_allows_domain_and_subdomains():
    options = {"allow_domains": ["nmtw.example"]}
    text = "https://nmtw.example/a http://www.nmtw.example www.help.nmtw.example/x"
    assert run(links, options, text) == []


def test_links_flags_every_link_not_allowed():
    options = {"allow_domains": ["nmtw.example"]}
    text = "Try https://evil.example/x or http://nmtw.example.evil.example and https://nmtw.example"
    findings = run(links, options, text)
    assert [f.spans[0].text for f in findings] == [
        "https://evil.example/x",
        "http://nmtw.example.evil.example",
    ]
    assert "evil.example" in findings[0].message


def test_links_lookalike_domains_are_not_subdomains():
    options = {"allow_domains": ["nmtw.example"]}
    assert run(links, options, "https://badnmtw.example/")  # not a subdomain
    assert run(links, options, "https://nmtw.example@evil.example/")  # userinfo trick
    assert run(links, options, "https://NMTW.example:443/") == []  # case and port


def test_links_trailing_punctuation_not_part_of_the_link():
    (finding,) = run(links, {"allow_domains": []}, "Read (https://x.example/a).")
    assert finding.spans[0].text == "https://x.example/a"


def test_links_without_any_allowed_domain_flags_all():
    assert len(run(links, {}, "https://a.example https://b.example")) == 2
    assert run(links, {}, "no links here, just text. Really, e.g. none") == []
    (bare,) = run(links, {}, "a bare domain: example.com is a link")  # see test_links.py
    assert bare.spans[0].text == "example.com"


def test_links_domain_option_must_be_a_bare_domain(pm):
    schema = registry.checks(pm)["links"].options_schema
    assert cerberus.Validator(schema).validate({"allow_domains": ["xn--bcher-kva.example"]})
    assert not cerberus.Validator(schema).validate({"allow_domains": ["https://x.example"]})
    assert not cerberus.Validator(schema).validate({"allow_domains": [""]})


def test_links_unicode_domain_matches_its_ascii_form():
    options = {"allow_domains": ["xn--bcher-kva.example"]}
    assert run(links, options, "https://www.Bücher.example/a") == []
    assert run(links, options, "https://www.bucher.example/a")
