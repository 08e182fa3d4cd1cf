"""Web addresses in prose: the URLs, e-mail addresses and bare domains a sentence names, where
it may send its reader. The gate (``summarizers/links.py``) wants each in the article; none of
this depends on a language (a domain is a domain in any), so it is not in ``pipeline/lang/``.
Split from ``text.py``, which splits sentences and finds what a reader must not be shown.
"""

from __future__ import annotations

import re

# A URL as prose carries it: a scheme ("https://", "ftp://") or "www.", up to a space, a quote or
# an angle bracket; sentence punctuation after it is cut off by ``web_addresses``.
# (A scheme has at most 20 characters: "a.a.a…" is not scanned to its end from every letter.)
URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]{0,19}://|www\.)[^\s<>\"'`]+", re.I)
# An e-mail address (its host is any dotted name: the "@" already says it is an address)
EMAIL = re.compile(r"(?<![\w.+-])(?:mailto:)?[\w.+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}(?![\w-])", re.I)
# A host name in prose ("evil.example", "bbc.co.uk") with the port and path that follow it
# ("evil.example/cloud-rules"). The pattern alone also finds "Node.js" and "report.pdf": a match
# is an address only when :func:`top_level_domain` says so. Not after "@", "." or "/" (a part of an
# e-mail address or of a longer name), never followed by another label.
DOMAIN = re.compile(
    r"(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,63})(?![\w-]|\.[a-z0-9])"
    r"(?::\d{1,5})?(?:/[^\s<>\"'`]*)?",
    re.I,
)
# Top-level names reserved for examples, tests and Tor (RFC 2606, 6761, 7686): not on the public
# suffix list, yet a reader takes "evil.example" for an address as readily as "evil.com"
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "onion"})
# what ends a sentence or an aside after an address, not part of it
_ADDRESS_TAIL = ".,;:!?)]}'\"’”»"


def top_level_domain(label: str) -> bool:
    """Is ``label``, the last of a dotted name, a top-level domain a reader would take the name
    for an address by? It must be written in lower case letters (two or more: "e.g.", "U.S.",
    "2.13.0" and decimals never match) and be a TLD on the public suffix list the ``tld`` package
    ships (read from its bundled snapshot, no network) or a reserved one: "Node.js", "report.pdf"
    and "setup.cfg" are not addresses. A capitalised one ("ASP.NET") is left to the name check,
    which wants each capitalised word in the article anyway."""
    if not (label.isascii() and label.isalpha() and label.islower() and len(label) >= 2):
        return False
    if label in RESERVED_TLDS:
        return True
    from tld import is_tld

    return bool(is_tld(label, search_private=False))


def _address_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over the sentence punctuation that follows an address ("…/rules.",
    "(see evil.example)"); a closing bracket the address opened stays (".../Foo_(bar)")."""
    while end > start and text[end - 1] in _ADDRESS_TAIL:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        end -= 1
    return end


def web_addresses(text: str) -> list[tuple[int, int, str]]:
    """The URLs, e-mail addresses and bare domains of ``text``: (start, end, kind) in text order,
    kind ``url`` (a scheme, "www." or a path), ``email`` or ``domain``. Each kind is looked for in
    what the ones before left: the host of a URL or an e-mail address is not a domain of its own."""
    found: list[tuple[int, int, str]] = []
    rest = text
    for pattern in (URL, EMAIL, DOMAIN):
        for m in pattern.finditer(rest):
            if pattern is DOMAIN and not top_level_domain(m.group("tld")):
                continue
            end = _address_end(text, m.start(), m.end())
            kind = "url" if pattern is URL else "email" if pattern is EMAIL else "domain"
            if kind == "domain" and re.search(r"[:/]", text[m.start() : end]):
                kind = "url"  # "evil.example/cloud-rules": a URL without its scheme
            found.append((m.start(), end, kind))
            rest = rest[: m.start()] + " " * (end - m.start()) + rest[end:]
    return sorted(found)
