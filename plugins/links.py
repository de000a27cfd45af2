"""Built-in check `links`: flags every link whose host is not an allowed domain.

A subdomain of an allowed domain is allowed (`www.nmtw.example` under `nmtw.example`).
An internationalised domain is written in its ASCII form (`xn--bcher-kva.example`).
Links are `http://`, `https://` or `www.` addresses; the host is read the way a
browser reads it, so `https://nmtw.example@evil.example/` is a link to evil.example.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import re2

from engine.hookspecs import CheckFunction, CheckInput, CheckSpec, Finding, hookimpl
from engine.model import Effect, Span

OPTIONS_SCHEMA = {
    "allow_domains": {
        "type": "list",
        "schema": {"type": "string", "empty": False, "regex": r"^[A-Za-z0-9.-]+$"},
    }
}

_URL = re2.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}'\""


def find_links(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of every link in `text`, trailing punctuation left out."""
    links = []
    for match in _URL.finditer(text):
        start, end = match.span()
        url = text[start:end].rstrip(_TRAILING)
        if url:
            links.append((start, start + len(url), url))
    return links


def link_host(url: str) -> str:
    if not url.lower().startswith(("http://", "https://")):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return ascii_host(host.rstrip("."))


def ascii_host(host: str) -> str:
    """Lower case, internationalised names in their ASCII form (`xn--bcher-kva.example`)."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()


def is_allowed(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def build(options: dict[str, Any]) -> CheckFunction:
    domains = tuple(ascii_host(d.strip().rstrip(".")) for d in options.get("allow_domains") or ())

    def check(given: CheckInput) -> list[Finding]:
        findings = []
        for start, end, url in find_links(given.post.text):
            host = link_host(url)
            if not host or not is_allowed(host, domains):
                allowed = ", ".join(domains) or "none"
                message = f"link to {host or url} is not on an allowed domain ({allowed})"
                findings.append(Finding(message, (Span(start, end, url, "links"),)))
        return findings

    return check


@hookimpl(trylast=True)
def register_checks() -> list[CheckSpec]:
    return [
        CheckSpec(
            name="links",
            build=build,
            options_schema=OPTIONS_SCHEMA,
            default_action=Effect.WARN,
            description="Flags links whose host is not in allow_domains (subdomains included).",
        )
    ]
