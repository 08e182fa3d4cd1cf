"""OPML in and out of the feeds file: what every feed reader exports, read as hostile input.

``feeds import`` adds an OPML's feed URLs to the user's feeds file (the one ``digest --feeds``
reads); ``feeds export`` writes that file as OPML 2.0. An OPML usually comes from elsewhere (a
reader's export, a colleague's list), so it is read like any input:

* through :meth:`Policy.read_file <pipeline.policy.Policy.read_file>`: a regular file, at most
  ``max_bytes`` (refused, never cut);
* parsed by ``defusedxml``, which refuses a DTD outright, so no entity (billion laughs, an
  external file) is ever declared, let alone expanded; outlines nested deeper than
  :data:`MAX_DEPTH` and more outlines than ``max_list_lines`` are refused too;
* each ``xmlUrl`` passes :meth:`Policy.check_url`, the rule every feed line meets when the digest
  fetches it: http(s) only, so a ``file:`` or ``javascript:`` URL is refused for that outline
  alone and the rest are imported;
* a title becomes a ``# comment`` after its URL (the feeds file's own comment syntax), with
  control characters and line breaks removed: a title can never add a line to the file.

Any refusal of the whole file is a :class:`~pipeline.errors.SourceError` naming it (exit 3).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import FetchError, TooLargeError, UnsupportedContent
from .fsutil import write_atomic
from .policy import Policy
from .text import strip_controls

# Real subscription lists nest folders two or three deep; thousands of levels is an attack on
# whatever walks the tree afterwards, refused while parsing.
MAX_DEPTH = 64
MAX_TITLE = 200  # characters of a title kept in its comment
# the feeds file's comment rule (Policy.read_list): a "#" that begins the line or follows whitespace
_COMMENT = re.compile(r"(?:^|\s)#")


@dataclass(frozen=True, slots=True)
class Feed:
    """One subscription: its URL and the title the OPML or the feeds file gave it."""

    url: str
    title: str = ""


@dataclass(slots=True)
class Imported:
    """What an import did: feeds added, feeds the file already had, URLs refused (each error
    names its URL and says why)."""

    added: list[Feed] = field(default_factory=list)
    present: list[Feed] = field(default_factory=list)
    refused: list[FetchError] = field(default_factory=list)


def clean_title(title: str | None) -> str:
    """A title as it may stand in a one-line comment: controls gone, whitespace (line breaks
    included) collapsed, at most :data:`MAX_TITLE` characters."""
    return " ".join(strip_controls(title or "").split())[:MAX_TITLE]


def _attr(el: ET.Element, name: str) -> str | None:
    """An attribute whatever its case: exporters write ``xmlUrl``, ``xmlurl`` or ``XMLURL``."""
    value = el.get(name)
    if value is None:
        value = next((v for k, v in el.attrib.items() if k.lower() == name.lower()), None)
    return value


def parse(data: bytes, source: str, max_outlines: int) -> list[Feed]:
    """Every outline with an ``xmlUrl`` in document order, folders flattened (URLs not checked
    yet). Refuses, as :class:`UnsupportedContent` naming ``source``: a DTD or entity, XML that is
    not well-formed, a root other than ``<opml>``, outlines nested deeper than :data:`MAX_DEPTH`;
    more than ``max_outlines`` feeds is a :class:`TooLargeError`."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    feeds: list[Feed] = []
    depth = 0
    try:
        for event, el in SafeET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            if event == "end":
                depth -= 1
                el.clear()  # a walked outline's attributes and text are not kept
                continue
            depth += 1
            if depth == 1 and el.tag != "opml":
                raise UnsupportedContent(f"not an OPML file (its root element is <{el.tag}>, not <opml>)", source)
            if depth > MAX_DEPTH:
                raise UnsupportedContent(f"outlines nested more than {MAX_DEPTH} levels deep", source)
            if el.tag != "outline" or not (url := _attr(el, "xmlUrl")):
                continue
            if len(feeds) == max_outlines:
                raise TooLargeError(f"OPML has more than {max_outlines:,} feeds (max_list_lines)", source)
            feeds.append(Feed(url.strip(), clean_title(_attr(el, "title") or _attr(el, "text"))))
    except DefusedXmlException:  # DTDForbidden (entities need a DTD, so this is the only way in)
        raise UnsupportedContent("OPML with a DTD or entity declarations is refused", source) from None
    except ET.ParseError as exc:
        raise UnsupportedContent(f"not well-formed XML: {exc}", source) from None
    return feeds


def same_feed(url: str) -> str:
    """The key two spellings of one feed URL share: scheme and host are case-insensitive."""
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def read_feeds_file(path: Path, policy: Policy) -> list[Feed]:
    """The feeds file's entries (:meth:`Policy.read_list`, as the digest reads them), each with
    the comment after it on its line as its title."""
    entries = policy.read_list(path)
    titles: dict[str, str] = {}
    if entries:  # the comments: the same lines again, only for their titles
        for line in policy.read_file(path).decode("utf-8", errors="replace").splitlines():
            entry, *comment = _COMMENT.split(line.lstrip("\ufeff"), maxsplit=1)
            if entry.strip() and comment:
                titles.setdefault(entry.strip(), clean_title(comment[0]))
    return [Feed(e, titles.get(e, "")) for e in entries]


def import_opml(opml: Path, feeds_file: Path, policy: Policy) -> Imported:
    """Add the OPML's feeds that the feeds file does not list yet, each on its own line with its
    title as a comment; URLs that are not http(s) are refused one by one. The file is rewritten
    atomically (created when missing) and only when something is added."""
    found = parse(policy.read_file(opml), str(opml), policy.max_list_lines)
    existing = feeds_file.exists()
    have = {same_feed(f.url) for f in read_feeds_file(feeds_file, policy)} if existing else set()
    result = Imported()
    for feed in found:
        try:
            policy.check_url(feed.url)
        except FetchError as exc:
            result.refused.append(exc)
            continue
        key = same_feed(feed.url)
        (result.present if key in have else result.added).append(feed)
        have.add(key)
    if result.added:
        old = policy.read_file(feeds_file).decode("utf-8", errors="replace") if existing else ""
        if old and not old.endswith("\n"):
            old += "\n"
        lines = [f"{f.url}  # {f.title}" if f.title else f.url for f in result.added]
        write_atomic(feeds_file, old + "\n".join(lines) + "\n")
    return result


def export_opml(feeds_file: Path, policy: Policy, title: str = "newsbrief feeds") -> tuple[str, list[FetchError]]:
    """The feeds file as an OPML 2.0 document (built by ElementTree, which escapes every value),
    and the entries left out because they are not http(s) URLs (a local path, a malformed line)."""
    import email.utils

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = email.utils.formatdate(usegmt=True)
    body = ET.SubElement(root, "body")
    skipped: list[FetchError] = []
    for feed in read_feeds_file(feeds_file, policy):
        try:
            policy.check_url(feed.url)
        except FetchError as exc:
            skipped.append(exc)
            continue
        name = feed.title or feed.url
        ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=feed.url)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n", skipped
