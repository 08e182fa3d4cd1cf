"""Links and markup in a generated sentence: where it sends its reader, and the cut that takes
one out. A prompt-injected writer needs no invented name or number: "…, as listed at
https://evil.example/cloud-rules" appended to a faithful sentence reached the TLDR, the HTML digest
and the Atom feed. Links are claims like names: the article must have them (:func:`linked`); one
it does not have is cut with the words that lead in to it (:func:`without_links`), and the gate
(``gate.py``) drops a sentence that does not read as one without it (:func:`still_reads`).
Split from the gate, which checks a sentence's names and numbers; the words that lead in to an
address are English's, in ``pipeline/lang/``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..addresses import web_addresses
from ..lang import ENGLISH
from ..text import problem
from .source import Source, content_words

# an element whose content is code, not words: it goes whole ("<script>alert(1)</script>")
_ELEMENT = re.compile(r"<(script|style|iframe|object|embed|template|noscript)\b[^>]*>.*?</\1\s*>", re.I | re.S)
# an HTML tag or comment: "<a href=…>", "</a>", "<img …/>", "<!-- … -->"; "a < b" is none
_TAG = re.compile(r"<!--.*?-->|</?[a-z][a-z0-9:-]*(?:\s[^<>]*)?/?>", re.I | re.S)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")  # ![x](y): goes whole
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")  # [x](y): its words x stay
# (pattern, the group whose words stay when the markup goes) in the order they are looked for:
# a tag's or a Markdown link's URL belongs to it
_MARKUP = ((_ELEMENT, 0), (_TAG, 0), (_MD_IMAGE, 0), (_MD_LINK, 1))


@dataclass(frozen=True, slots=True)
class Link:
    """A place a sentence sends its reader, as written at ``start:end`` of it."""

    start: int
    end: int
    text: str
    kind: str  # url | email | domain | markup
    keep: str = ""  # what stays of it when it goes: a Markdown link's words


def links(sentence: str) -> list[Link]:
    """The markup, URLs, e-mail addresses and domains of ``sentence``, in text order. Each is
    looked for in what markup left: the URL of a tag or a Markdown link is part of it."""
    found: list[Link] = []
    rest = sentence
    for pattern, group in _MARKUP:
        marks = [Link(m.start(), m.end(), m.group(), "markup", m.group(group) if group else "")
                 for m in pattern.finditer(rest)]  # fmt: skip
        found += marks
        rest = blanked(rest, marks)
    found += [Link(a, b, sentence[a:b], kind) for a, b, kind in web_addresses(rest)]
    return sorted(found, key=lambda k: k.start)


def blanked(text: str, spans: Sequence[Link]) -> str:
    """``text`` with the spans blanked out (offsets kept)."""
    for k in spans:
        text = text[: k.start] + " " * (k.end - k.start) + text[k.end :]
    return text


def _squashed(text: str) -> str:
    return " ".join(text.lower().split())


# what may follow an address the article gives, after the part the sentence gives: nothing of a
# longer address, only the punctuation of the sentence or aside it ends ("…/rules/).", "…/rules")
_ADDRESS_ENDS = r"(?=[/.,;:!?)\]}>'\"’”»]*(?:\s|$))"
_HOST_ENDS = r"(?![\w-]|\.[\w-])"  # a host name ends: not "evil.example.com", not "evil.examples"


def linked(link: Link, src: Source) -> bool:
    """Does the article have ``link``? Markup: literally (case and spacing aside). A URL: as an
    address, with or without its scheme, "www." or a closing slash; a domain or an e-mail address:
    as one, or inside a URL (its host), compared case-insensitively."""
    if link.kind == "markup":
        return _squashed(link.text) in _squashed(src.text)
    bare = re.sub(r"^(?:mailto:|[a-z][a-z0-9+.-]*://)?(?:www\.)?", "", link.text.lower()).rstrip("/")
    if link.kind == "email":
        pattern = rf"(?<![\w.+-]){re.escape(bare)}{_HOST_ENDS}"
    elif "/" in bare or ":" in bare:
        pattern = rf"(?<![\w-]){re.escape(bare)}{_ADDRESS_ENDS}"
    else:  # a host alone: as a domain, or the host of a URL of the article
        pattern = rf"(?<![\w-]){re.escape(bare)}{_HOST_ENDS}"
    return re.search(pattern, src.text.lower()) is not None


# Words that only lead in to an address go with it ("…, as listed at <url>", "Visit <url>"); an
# aside that holds only an address and such words goes whole ("(see evil.example)"). English's,
# read with no language at hand, as all text was before languages had a room.
_LEAD_IN = re.compile(ENGLISH.lead_in, re.I)
_ASIDE_WORDS = re.compile(ENGLISH.aside_words, re.I)


def _aside(text: str, link: Link) -> tuple[int, int] | None:
    """The bracketed aside around ``link`` when the rest of it only leads in to it."""
    opened = max(text.rfind("(", 0, link.start), text.rfind("[", 0, link.start))
    if opened < 0:
        return None
    closed = text.find(")" if text[opened] == "(" else "]", link.end)
    inside = text[opened + 1 : link.start] + " " + text[link.end : closed]
    if closed < 0 or any(c in inside for c in "()[]") or not _ASIDE_WORDS.match(inside):
        return None
    return opened, closed + 1


def _tidy(text: str) -> str:
    """The punctuation a cut leaves fixed: no empty brackets, no space before a comma or a full
    stop, no comma before a full stop, no punctuation opening the sentence."""
    text = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", " ", text)
    text = re.sub(r"\s+([,.;:!?)\]])", r"\1", " ".join(text.split()))
    text = re.sub(r"[,;:—–-]+(?=[.!?](?:['’\"”)]*)$)", "", text)
    text = re.sub(r"([,;:])[,;:]+", r"\1", text)
    return re.sub(r"^[\s,;:.—–-]+", "", text)


def _cut(text: str, link: Link) -> str:
    """``text`` without ``link`` (untidied: the offsets before it stay): markup gives way to its
    words; an address goes with its aside, or with the words that lead in to it and, when those
    open with a comma or a dash, the one that closes them ("rules, posted on evil.example, drop")."""
    if link.kind == "markup":
        return f"{text[: link.start]} {link.keep} {text[link.end :]}"
    span = _aside(text, link)
    if span is None:
        lead = _LEAD_IN.search(text, 0, link.start)
        start, end = (lead.start() if lead else link.start), link.end
        opener = text[start : link.start].lstrip()[:1]
        if opener in (",", "—", "–") and text[end:].lstrip()[:1] == opener:
            end = text.index(opener, end) + 1
        span = (start, end)
    return f"{text[: span[0]]} {text[span[1] :]}"


def without_links(text: str, src: Source) -> tuple[str, list[str]]:
    """``text`` without the links and markup the article does not have, and those it lost. Cut
    from the last back (each cut leaves the text before it as it was), then looked for again: a
    Markdown link's words may hold another. Every cut shortens the text, so this ends."""
    lost: list[str] = []
    while True:
        bad = [k for k in links(text) if not linked(k, src)]
        if not bad:
            return text, lost
        lost += [k.text for k in bad]
        for k in reversed(bad):
            text = _cut(text, k)
        text = _tidy(text)


_DANGLING = ENGLISH.dangling  # words a sentence cannot end on: what a cut left dangling ("…for the.")


def still_reads(cut: str, before: str) -> bool:
    """Is what a cut left of ``before`` still a sentence: three content words or more, not ending
    on a word that wants another after it, and no more a fragment or unfinished than it was (a
    reply's last sentence without its full stop is the later checks' to judge, as it always was)."""
    words = re.findall(r"[\w'’-]+", cut)
    if len(content_words(cut)) < 3 or not words or words[-1].lower() in _DANGLING:
        return False
    now = problem(cut)
    return now not in ("empty", "fragment", "unfinished") or now == problem(before)
