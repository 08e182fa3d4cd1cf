"""The nightly digest: feeds, homepages and article URLs → new articles → one Markdown/HTML page.

Cron-safe by design:
* a lock file next to the index: an overlapping run exits at once (``DigestLocked``) and changes
  nothing;
* what was seen is remembered in the index (``feed_items``), so each run only handles new items;
  an article whose URL is already in the index is reused, not summarized again;
* a time budget: when it runs out, the run finishes with what it has and lists what it skipped
  (skipped items are not marked seen, so the next run picks them up); quality mode degrades to
  fast mode when the remaining budget would not fit another LLM summary;
* every feed and article failure is isolated and listed in the digest.

Feed items come from the internet, so their URLs are fetched as untrusted (private addresses
refused unless ``allow_private_addresses``). The feeds file itself is the user's own.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .document import Article
from .errors import PipelineError, SourceError
from .fetch import FEED_TYPES, HTML_TYPES, fetch
from .settings import Settings
from .store import Store

log = logging.getLogger(__name__)

PERMANENT = {"http_error", "not_found", "no_article_text", "unsupported_content", "too_large", "refused_address"}


class DigestLocked(PipelineError):
    reason = "locked"


@dataclass(slots=True)
class Item:
    url: str
    feed: str
    title: str | None = None
    published: str | None = None  # ISO 8601, UTC


@dataclass(slots=True)
class Failure:
    source: str
    reason: str
    message: str


@dataclass(slots=True)
class Digest:
    since: str
    generated: str
    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not reached within the budget
    reused: int = 0  # taken from the index instead of summarized again
    degraded: int = 0  # summarized in fast mode because the budget ran short

    @property
    def nothing_new(self) -> bool:
        return not self.articles and not self.failures and not self.skipped

    def top_entities(self, n: int = 10) -> list[tuple[str, str, int]]:
        """(name, label, articles mentioning it), most frequent first."""
        counts: Counter[tuple[str, str]] = Counter()
        for a in self.articles:
            for e in a.entities:
                counts[(e.text, e.label)] += 1
        return [(name, label, k) for (name, label), k in counts.most_common(n)]


def read_feed_list(path: Path) -> list[str]:
    """One feed, homepage or article URL per line; blank lines and # comments ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SourceError(f"cannot read feeds file: {exc.strerror or exc}", str(path)) from None
    return [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock; released by the OS even if the process is killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DigestLocked("another digest run holds the lock; nothing was done", str(path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def _iso(parsed: Any) -> str | None:
    if not parsed:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", parsed)  # feedparser normalizes to UTC


def _feed_items(body: bytes, feed_url: str) -> list[Item] | None:
    """Items of an RSS/Atom document, or None when it is not a feed."""
    import feedparser

    parsed = feedparser.parse(body)
    items = []
    for e in parsed.entries:
        link = e.get("link")
        if link:
            items.append(
                Item(link, feed_url, e.get("title"), _iso(e.get("published_parsed") or e.get("updated_parsed")))
            )
    if not items and (parsed.get("bozo") or not parsed.get("version")):
        return None  # not a feed, or too broken to yield a single link
    return items


def discover(entry: str, settings: Settings) -> list[Item]:
    """A feed's items; a homepage's feed (trafilatura's discovery); else the page is an article."""
    resp = fetch(entry, settings, accept=FEED_TYPES + HTML_TYPES)
    items = _feed_items(resp.content, entry)
    if items is not None:
        return items
    if resp.content_type in FEED_TYPES or resp.content.lstrip()[:5] == b"<?xml":
        raise SourceError("malformed feed: no RSS/Atom entries could be read", entry)
    from urllib.parse import urlsplit

    from trafilatura.feeds import FeedParameters, determine_feed

    html = resp.content.decode(resp.charset or "utf-8", errors="replace")
    host = urlsplit(resp.url)
    params = FeedParameters(f"{host.scheme}://{host.netloc}", host.netloc, resp.url)
    for feed_url in determine_feed(html, params)[:3]:
        try:
            found = _feed_items(fetch(feed_url, settings, accept=FEED_TYPES + HTML_TYPES).content, entry)
        except PipelineError as exc:
            log.info("feed %s of %s: %s", feed_url, entry, exc.message)
            continue
        if found:
            return found
    return [Item(resp.url, entry)]


def parse_budget(text: str | None) -> float | None:
    """``15m``, ``90s``, ``1h`` → seconds."""
    if not text:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        value = float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    except (ValueError, IndexError):
        raise SourceError("budget must look like 90s, 15m or 1h", text) from None
    if value <= 0:
        raise SourceError("budget must be positive", text)
    return value


def build(
    feeds: list[str],
    settings: Settings,
    store: Store,
    since: str,
    budget: float | None = None,
    models: Any = None,
    fast_models: Any = None,
    clock: Callable[[], float] = time.monotonic,
) -> Digest:
    """Collect new items, summarize them within the budget, remember them; returns the digest."""
    from .core import Models, enrich, read

    start = clock()
    deadline = start + budget if budget else None
    digest = Digest(since, dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    models = models or Models(settings, command="digest")
    fast_models = fast_models or Models(settings.replace(mode="fast", model=""), command="digest")

    items: dict[str, Item] = {}
    for entry in feeds:
        try:
            for item in discover(entry, settings):
                if item.published is None or item.published >= since:
                    items.setdefault(item.url, item)
        except PipelineError as exc:
            digest.failures.append(Failure(entry, exc.reason, exc.message))
    seen = store.seen_urls(list(items))
    new = [i for i in items.values() if i.url not in seen]

    est = 0.0  # running mean of seconds per article summarized by `models` (not the fast fallback)
    done = 0
    for item in new:
        now = clock()
        if deadline is not None and now >= deadline:
            digest.skipped.append(item.url)
            continue
        known = store.find_by_url(item.url)
        if known is not None:
            digest.articles.append(known)
            digest.reused += 1
            store.mark_seen(item.url, item.feed, "reused")
            continue
        chosen = models
        if deadline is not None and est and deadline - now < 1.5 * est and models.settings.mode != "fast":
            chosen = fast_models
            digest.degraded += 1
        t0 = clock()
        article = next(enrich(read([item.url], settings, untrusted=True), chosen, 1))
        if article.status == "ok":
            article.title = article.title or item.title
            article.date = article.date or (item.published or "")[:10] or None
            store.add_batch([article])
            store.mark_seen(item.url, item.feed, "ok")
            digest.articles.append(article)
            if chosen is models:  # fast-mode timings would make the next quality article look affordable
                done += 1
                est += (clock() - t0 - est) / done
        else:
            digest.failures.append(Failure(item.url, article.error or "error", article.message or "failed"))
            if article.error in PERMANENT:  # a 404 stays a 404: do not retry it every night
                store.mark_seen(item.url, item.feed, "failed")
    digest.articles.sort(key=lambda a: a.date or "", reverse=True)
    return digest


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render(digest: Digest, fmt: str) -> str:
    """Markdown, self-contained HTML (autoescaped) or Atom."""
    import jinja2

    from .render import human_date, safe
    from .text import strip_controls

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline", "templates"),
        # HTML and Atom templates are escaped; Markdown escapes with its own filter (md)
        autoescape=lambda name: name is None or not name.endswith(".md.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = safe
    env.filters["clean"] = strip_controls
    env.filters["human_date"] = lambda iso: human_date(iso) or ""
    name = {"md": "digest.md.j2", "html": "digest.html.j2", "atom": "digest.atom.j2"}[fmt]
    return env.get_template(name).render(d=digest, day=digest.generated[:10])
