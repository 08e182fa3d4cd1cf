"""What a feeds-file line lists: the items of an RSS/Atom feed, the feed a homepage points to
(trafilatura's discovery), or the page itself as one article. Links come from the internet: only
http(s) URLs, resolved against the feed, and a feed found on a homepage is fetched as untrusted."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from .decoding import decode_text
from .errors import FetchError, PipelineError, SourceError
from .fetch import FEED_TYPES, HTML_TYPES, Response, fetch
from .policy import Policy
from .store import timestamp

log = logging.getLogger(__name__)

# the encoding an XML declaration names (used, like an HTTP charset, only if it is a text encoding)
_XML_ENCODING = re.compile(
    rb"""(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
_UTF8_XML = {"content-type": "application/xml; charset=utf-8"}


@dataclass(slots=True)
class FeedItem:
    url: str  # absolute http(s) URL; for a refused link, the link itself (at most max_url_length chars)
    feed: str
    title: str | None = None
    published: str | None = None  # ISO 8601, UTC
    error: FetchError | None = None  # the link is not a URL we may fetch
    own: bool = False  # the user's own line (an article URL in the feeds file): fetched as trusted
    # that line's page as discover() fetched it to see whether it is a feed: read from here, not
    # fetched a second time (dropped once read)
    page: Response | None = None


def feed_text(resp: Response, policy: Policy) -> str:
    """A fetched feed or page as text: its charset (HTTP, else the XML declaration's) is used only
    when it is a text encoding, else it is sniffed; decoding is bounded by the policy's limit."""
    declared = resp.charset
    if not declared and (m := _XML_ENCODING.match(resp.content[:1024])):
        declared = m.group(1).decode("ascii")
    return decode_text(resp.content, resp.url, declared, policy.decode_timeout)


def _feed_items(text: str, feed_url: str, policy: Policy) -> list[FeedItem] | None:
    """Items of an RSS/Atom document at ``feed_url``, or None when it is not a feed.

    Links resolve against the feed's URL and must be http(s) URLs; any other link becomes an
    item carrying its typed error (listed in the digest, never read as a path).
    """
    import feedparser

    # feedparser would decode bytes again with whatever codec the XML declaration names
    # (punycode: quadratic, and an UnicodeError it does not catch); it gets the text we decoded
    # as UTF-8, with a header saying so, and rewrites the declaration to match
    parsed = feedparser.parse(text.encode("utf-8", "replace"), response_headers=_UTF8_XML)
    items = []
    for e in parsed.entries:
        link = e.get("link")
        if not isinstance(link, str) or not link.strip():
            continue
        published = _iso(e.get("published_parsed") or e.get("updated_parsed"))
        title = e.get("title") if isinstance(e.get("title"), str) else None
        try:
            items.append(FeedItem(policy.link(link, feed_url), feed_url, title, published))
        except FetchError as exc:
            items.append(FeedItem(link.strip()[: policy.max_url_length], feed_url, title, published, exc))
    if not items and (parsed.get("bozo") or not parsed.get("version")):
        return None  # not a feed, or too broken to yield a single link
    return items


def _iso(parsed: Any) -> str | None:
    if not parsed:
        return None
    try:
        return timestamp(parsed)  # feedparser normalizes to UTC
    except (TypeError, ValueError):
        return None


def discover(entry: str, policy: Policy, untrusted: Policy) -> list[FeedItem]:
    """A feed's items; a homepage's feed (trafilatura's discovery); else the page is an article.

    ``entry`` is the user's own line (fetched under ``policy``); a feed URL found on a homepage
    came from that page, so it is fetched under ``untrusted``.
    """
    resp = fetch(entry, policy, accept=FEED_TYPES + HTML_TYPES)
    text = feed_text(resp, policy)
    items = _feed_items(text, resp.url, untrusted)
    if items is not None:
        return items
    if resp.content_type in FEED_TYPES or text.lstrip()[:5] == "<?xml":
        raise SourceError("malformed feed: no RSS/Atom entries could be read", entry)
    from urllib.parse import urlsplit

    from trafilatura.feeds import FeedParameters, determine_feed

    host = urlsplit(resp.url)
    params = FeedParameters(f"{host.scheme}://{host.netloc}", host.netloc, resp.url)
    for href in determine_feed(text, params)[:3]:
        try:
            feed_url = untrusted.link(href, resp.url)
            feed = fetch(feed_url, untrusted, accept=FEED_TYPES + HTML_TYPES)
            found = _feed_items(feed_text(feed, untrusted), feed.url, untrusted)
        except PipelineError as exc:
            log.info("feed %s of %s: %s", href, entry, exc.message)
            continue
        if found:
            for item in found:
                item.feed = entry
            return found
    return [FeedItem(resp.url, entry, own=True, page=resp)]
