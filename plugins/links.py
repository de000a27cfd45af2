"""Built-in check `links`: flags every link whose host is not an allowed domain.

A subdomain of an allowed domain is allowed (`www.nmtw.example` under `nmtw.example`).
An internationalised domain is written in its ASCII form (`xn--bcher-kva.example`).

Links are found in the normalized text (engine.normalize), so a fullwidth
`ｈｔｔｐｓ：／／` or a zero-width space inside a link hides nothing:
- any scheme followed by `//` (`https://`, `ftp://`, `hxxp://`...), protocol-relative
  `//host/...` and `www.` addresses;
- bare domains (`bit.ly/x1`) whose last labels are a public suffix, by the Public
  Suffix List snapshot that `tldextract` ships (never fetched at run time), or a
  special-use name (`.example`, `.test`, `.invalid`, `.localhost`, RFC 6761);
- links nested in another link's path or query, also percent-encoded
  (`https://nmtw.example/out?to=https%3A%2F%2Fevil.example`).
The host is read from what the author wrote, the way a browser reads it, so
`https://nmtw.example@evil.example/` is a link to evil.example and a look-alike
`nmtw.еxample` (Cyrillic е) is not nmtw.example.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

import re2

from engine.hookspecs import CheckFunction, CheckInput, CheckSpec, Finding, hookimpl
from engine.model import Effect, Span
from engine.normalize import is_invisible, normalize

OPTIONS_SCHEMA = {
    "allow_domains": {
        "type": "list",
        "schema": {"type": "string", "empty": False, "regex": r"^[A-Za-z0-9.-]+$"},
    }
}

_URL_CHARS = r"[^\s<>\"'`]"
_LABEL = r"[\pL\pN][\pL\pN-]*"
_DOT = r"[.\x{3002}\x{ff61}]"
# Every link has `//` or a dot followed by a letter or digit: a cheap test first. (It
# starts with a character class, so re scans for that class at C speed.)
_MAYBE_LINK = re.compile(r"[/.\u3002\uff61](?:(?<=/)/|(?<=[.\u3002\uff61])[^\W_])")
_TRAILING = ".,;:!?)]}'\"\u3002"
_BEFORE_BARE = frozenset("@.-_/\\")  # an address, a file path or a longer word goes on
_SPECIAL_USE = frozenset({"example", "test", "invalid", "localhost", "local", "onion"})
_MAX_NESTING = 3


@lru_cache(maxsize=1)
def _suffixes() -> Any:
    """The Public Suffix List as shipped with tldextract: no download, no cache files.

    Imported on first use: tldextract brings HTTP libraries a `sayso check` never needs."""
    import tldextract

    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def is_domain(host: str) -> bool:
    """Whether `host` ends in a public suffix or a special-use name (so is worth a link)."""
    if not host or "." not in host:
        return False
    if host.rsplit(".", 1)[1] in _SPECIAL_USE:
        return True
    parts = _suffixes().extract_str(host)
    return bool(parts.suffix and parts.domain)


def find_links(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of every link in `text` (original offsets, as written there)."""
    norm = normalize(text)
    found = []
    for start, end, bare in _candidates(norm.text):
        first, last = norm.original_span(start, end)
        url = text[first:last]
        # A bare domain counts if it is one as written or as it looks (`nmtw.еxample`).
        if not bare or any(
            is_domain(_bare_host(u)) for u in (norm.text[start:end], written_form(url))
        ):
            found.append((first, last, url))
    return found


def _links_in(text: str) -> list[tuple[int, int, str]]:
    """Links in a text that is not normalized (a link's own path or query)."""
    return [
        (start, end, text[start:end])
        for start, end, bare in _candidates(text)
        if not bare or is_domain(_bare_host(text[start:end]))
    ]


@lru_cache(maxsize=1)
def _link_pattern() -> Any:
    """Links and bare domains (compiled on first use, not when the plugin loads)."""
    return re2.compile(
        rf"(?i)(?P<url>(?:[a-z][a-z0-9+.-]{{0,31}}:)?//{_URL_CHARS}+|www\.{_URL_CHARS}+)"
        rf"|(?P<bare>(?:{_LABEL}{_DOT})+{_LABEL}(?::\d{{1,5}})?(?:/{_URL_CHARS}*)?)"
    )


@lru_cache(maxsize=1)
def _bare_group() -> int:
    """The number of the `bare` group (the wrapper builds `groupindex` anew each time)."""
    return _link_pattern().groupindex["bare"]


def _candidates(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, bare) of what may be a link; a bare domain still needs its suffix checked."""
    if "//" not in text and "." not in text and "\u3002" not in text and "\uff61" not in text:
        return []  # most posts: substring tests are much cheaper than a regex scan
    if _MAYBE_LINK.search(text) is None:  # no dot before a letter, no `//`
        return []
    out = []
    pattern = _link_pattern()
    bare_group = _bare_group()
    # RE2 reads UTF-8: searching bytes spares the wrapper's offset conversion in Python
    data = text.encode("utf-8")
    same = len(data) == len(text)  # ASCII: byte offsets are character offsets
    byte_at = char_at = 0  # the previous match's start, in bytes and in characters
    for match in pattern.finditer(data):
        start, end = match.span()
        if not same:  # matches come in order: decode only what lies since the previous one
            char_at += len(data[byte_at:start].decode("utf-8"))
            byte_at = start
            start, end = char_at, char_at + len(data[start:end].decode("utf-8"))
        url = text[start:end].rstrip(_TRAILING)
        if not url:
            continue
        before = text[start - 1] if start else " "
        bare = match.span(bare_group)[0] >= 0  # (span: the wrapper's cheapest group access)
        if bare and before in _BEFORE_BARE:
            continue
        if url.startswith("//") and (before.isalnum() or before in ":/" or not _slashed(url)):
            continue
        out.append((start, start + len(url), bare))
    return out


def _slashed(url: str) -> bool:
    """Whether a protocol-relative `//host/...` names a real domain (not `//comment`)."""
    return is_domain(_bare_host(url[2:]))


def _bare_host(url: str) -> str:
    host = url.split("/", 1)[0]
    host = host.rsplit(":", 1)[0] if ":" in host else host
    host = _dots(host)
    labels = host.split(".")
    if len(host) > 253 or any(not label or len(label) > 63 for label in labels):
        return ""
    return ascii_host(host)


def _dots(host: str) -> str:
    """Ideographic full stops separate labels too, as in a browser."""
    return host.replace("\u3002", ".").replace("\uff61", ".").rstrip(".")


# In ASCII only the control characters (other than white space) are invisible.
_ASCII_INVISIBLE = {cp: None for cp in range(0x80) if is_invisible(chr(cp))}


def written_form(url: str) -> str:
    """What a browser reads: compatibility forms folded, invisible characters dropped."""
    if url.isascii():  # NFKC leaves ASCII as it is: only drop the invisible controls
        return url.translate(_ASCII_INVISIBLE)
    url = unicodedata.normalize("NFKC", url)
    return "".join(ch for ch in url if not is_invisible(ch))


def link_host(url: str) -> str:
    url = _dots(written_form(url))
    if url.startswith("//"):
        url = "http:" + url
    elif "://" not in url[:40]:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return ascii_host(host.rstrip("."))


def ascii_host(host: str) -> str:
    """Lower case, internationalised names in their ASCII form (`xn--bcher-kva.example`)."""
    if host.isascii():  # the IDNA codec leaves ASCII labels as they are
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()


def nested_links(url: str, depth: int = 0) -> list[str]:
    """Links inside a link's path or query, percent-encoded or not."""
    if depth >= _MAX_NESTING:
        return []
    form = written_form(url)
    scheme = form.find("//")
    rest = form[scheme + 2 :] if scheme >= 0 else form
    slash = rest.find("/")
    if slash < 0:
        return []
    inner = unquote(unquote(rest[slash + 1 :]))
    out = []
    for _, _, found in _links_in(inner):
        out.append(found)
        out.extend(nested_links(found, depth + 1))
    return out


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def is_allowed(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def build(options: dict[str, Any]) -> CheckFunction:
    domains = tuple(ascii_host(d.strip().rstrip(".")) for d in options.get("allow_domains") or ())
    allowed = ", ".join(domains) or "none"

    def check(given: CheckInput) -> list[Finding]:
        findings = []
        for start, end, url in find_links(given.post.text):
            span = (Span(start, end, url, "links"),)
            for target in (url, *nested_links(url)):
                host = link_host(target)
                if not host or not is_allowed(host, domains):
                    where = "" if target == url else f" (inside {_short(link_host(url) or url)})"
                    shown = _short(host or target)
                    message = f"link to {shown}{where} is not on an allowed domain ({allowed})"
                    findings.append(Finding(message, span))
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
