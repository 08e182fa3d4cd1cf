"""The nightly digest: feeds, homepages and article URLs → new articles → one Markdown/HTML page.

Cron-safe by design:
* a lock file next to the index (its resolved path): an overlapping run exits at once
  (:class:`~pipeline.errors.Locked`) and changes nothing;
* what was seen is remembered in the index (``feed_items``), so each run only handles new items;
  an article whose URL is already in the index is reused, not summarized again. Items are
  remembered only once the digest is written (:func:`publish`): a digest that could not be
  written (read-only folder, full disk, a kill) is published by the next run, never lost;
* a time budget: when it runs out, the run finishes with what it has and lists what it skipped
  (skipped items are not marked seen, so the next run picks them up); quality mode degrades to
  fast mode when the remaining budget would not fit another LLM summary, and the LLM writer itself
  stops at the budget's end (no request starts after it, one in flight is given only the time
  left): the story it was writing gets its fast brief too;
* every feed and article failure is isolated and listed in the digest. A page that failed in a
  way that may pass (not live yet: a 404, as a feed often lists an article first; a server down;
  the network) is tried again by every run for ``RETRY_DAYS``, then given up; a refusal (403), a
  page gone (410) or a page with no article text is remembered at once, with its reason (one
  failed before the index kept reasons is tried once more: :data:`RECHECK`);
* one progress line (logger ``pipeline.progress``) per feed, item and story brief.

Feed items and the feeds a homepage points to come from the internet: they are only ever
http(s) URLs (relative links resolved against the feed), fetched under
:meth:`Policy.untrusted <pipeline.policy.Policy.untrusted>` (private addresses refused unless
``allow_private_addresses``, never a local file), each fetch cut at the budget's end. The feeds
file itself is the user's own, read like any list file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import story
from . import watch as watchlist
from .document import Article, StoryBrief
from .errors import BudgetSpent, PipelineError, UsageError
from .feeds import FeedItem, discover
from .policy import Policy
from .render import human_date, templates, terminal_line
from .settings import Settings
from .store import Store, timestamp, utc_now
from .summarizers import prefer, remote_writer

log = logging.getLogger(__name__)
progress = logging.getLogger("pipeline.progress")  # one short line per feed, item and story brief

# failures that will fail the same way tomorrow: remembered as seen, not retried every night
PERMANENT = {
    "http_error", "not_found", "no_article_text", "no_summary", "unsupported_content", "too_large",
    "refused_scheme", "bad_url",
}  # fmt: skip
# a page that may not be there *yet*: a feed often lists an article before its page is live (404),
# a server is down or overloaded (5xx, 408, 425, 429), the network fails. Such an item is remembered
# as RETRYING and fetched again by every run for RETRY_DAYS after its first failure (even once it
# is older than --since), then given up (remembered as failed). Other HTTP errors (401/403
# refused, 410 gone, 400…) are the server's answer for good, and remembered at once.
RETRYING = "retrying"
RETRY_DAYS = 3
RETRY_HTTP = {404, 408, 425, 429}
_HTTP_STATUS = re.compile(r"HTTP (\d{3})\b")
# refused only under the current settings: remembered with this status and retried when the user
# allows private addresses
REFUSED_ADDRESS = "refused_address"
# failed before the index kept why (schema v9), so a page refused under an older rule (a Chinese
# or Japanese article, its words counted by spaces) looks like a 403: read once more, even once
# older than --since; failing again, it is remembered with its reason but not listed again
RECHECK = "recheck"


@dataclass(slots=True)
class Failure:
    source: str
    reason: str
    message: str  # all of it: the run's stderr
    public: str = ""  # what the published digest says: no LLM server address (set by build)

    def __post_init__(self) -> None:
        self.public = self.public or self.message


@dataclass(slots=True)
class Digest:
    since: str
    generated: str
    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not reached within the budget
    reused: int = 0  # taken from the index instead of summarized again
    degraded: int = 0  # summarized in fast mode because the budget ran short
    # (url, feed, status, reason) of the items handled: remembered by publish() once the files exist
    seen: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    stories: list[StoryBrief] = field(default_factory=list)  # the articles grouped, one brief each
    item_of: dict[str, str] = field(default_factory=dict)  # content hash -> the item URL it came from
    kept: bool = False  # no story to show: the published digest was left as it is
    # watches (pipeline/watch.py): the stories matching one lead ``stories``; what each matched
    watched: list[StoryBrief] = field(default_factory=list)
    verdicts: dict[int, watchlist.WatchVerdict] = field(default_factory=dict)  # story id -> why it is watched
    left_out: int = 0  # stories a mute or a watch's exclude term left out
    hidden: set[str] = field(default_factory=set)  # content hashes of their articles (not in the counts shown)
    alerted: int = 0  # alerts the --alert-cmd command took (pipeline/alerts.py)
    alert_failures: list[Any] = field(default_factory=list)  # alerts it did not take: retried next run

    def verdict(self, brief: StoryBrief) -> watchlist.WatchVerdict | None:
        """Why ``brief`` is on the watchlist (None: it is not)."""
        return self.verdicts.get(brief.story_id) if brief.story_id is not None else None

    def segments(self, text: str, brief: StoryBrief) -> list[tuple[str, bool]]:
        """``text`` of ``brief`` cut into runs, those saying what a watch matched marked True."""
        v = self.verdict(brief)
        return watchlist.segments(text, v.words) if v is not None else [(text, False)]

    @property
    def nothing_new(self) -> bool:
        return not self.articles and not self.failures and not self.skipped

    def tally(self) -> str:
        return (
            f"{len(self.articles)} new ({self.reused} reused, {self.degraded} in fast mode) in {len(self.stories)} "
            f"stor{'y' if len(self.stories) == 1 else 'ies'}, "
            f"{len(self.failures)} failed, {len(self.skipped)} skipped"
        )

    def top_entities(self, n: int = 10) -> list[tuple[str, str, int]]:
        """(name, label, articles mentioning it), most frequent first."""
        counts: Counter[tuple[str, str]] = Counter()
        for a in self.articles:
            if a.content_hash in self.hidden:
                continue  # a story the reader muted does not put its names in the news either
            for e in a.entities:
                counts[(e.text, e.label)] += 1
        return [(name, label, k) for (name, label), k in counts.most_common(n)]


def lock_path(db: Path) -> Path:
    """The digest lock of an index: next to the index's resolved path, so a symlinked or
    differently spelt ``--db`` is the same lock."""
    db = db.expanduser().resolve()
    return db.with_name(db.name + ".digest.lock")


def parse_budget(text: str | None) -> float | None:
    """``15m``, ``90s``, ``1h`` → seconds."""
    if not text:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    text = text.strip()
    try:
        value = float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    except (ValueError, IndexError):
        raise UsageError(f"--budget {text!r}: use 90s, 15m or 1h") from None
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"--budget {text!r}: must be a positive, finite time") from None
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
    watches: watchlist.Watches | None = None,
) -> Digest:
    """Collect new items and summarize them within the budget (added to the index as they are
    done); returns the digest, whose items :func:`publish` remembers once it is written. With
    ``watches``, the stories matching one are written first and lead the digest (:func:`rank`)."""
    from .core import Models, enrich

    start = clock()
    deadline = start + budget if budget else None
    digest = Digest(since, utc_now() + "Z")
    models = models or Models(prefer(settings, "quality"))
    fast_models = fast_models or Models(settings.replace(mode="fast", model=""))
    # every fetch (feeds, discovered feeds, items) and every request of the LLM writer ends by the
    # budget's end, so a slow server cannot keep the run (and its lock) past it
    fetch_deadline = time.monotonic() + budget if budget else None
    own = replace(Policy.trusted(settings), deadline=fetch_deadline)
    untrusted = Policy.untrusted(settings, deadline=fetch_deadline)

    listed: list[FeedItem] = []
    for entry in feeds:
        try:
            listed += discover(entry, own, untrusted)
        except PipelineError as exc:
            digest.failures.append(Failure(entry, exc.reason, exc.message))
            progress.info("feed %s: failed (%s)", terminal_line(entry, 100), exc.reason)
    # a page that failed in a way that may pass is fetched again, even once older than --since
    urls = list(dict.fromkeys(i.url for i in listed))
    pending = store.first_handled(urls, RETRYING) | (rechecks := store.first_handled(urls, RECHECK))
    items: dict[str, FeedItem] = {}
    for item in listed:
        if item.published is None or item.published >= since or item.url in pending:
            items.setdefault(item.url, item)
    retry = {RETRYING, RECHECK} | ({REFUSED_ADDRESS} if settings.allow_private_addresses else set())
    seen = store.seen_urls(list(items), retry_statuses=retry)
    new = [i for i in items.values() if i.url not in seen]
    for entry in feeds:
        if n := sum(1 for i in listed if i.feed == entry):
            fresh = sum(1 for i in new if i.feed == entry)
            progress.info("feed %s: %d item%s, %d new", terminal_line(entry, 100), n, "s"[: n != 1], fresh)
    retried = _Retries(pending, digest.generated.rstrip("Z"), frozenset(rechecks))

    # 1. every new article is read, briefed in fast mode and indexed (cheap: ~0.2 s each), so the
    # index has it and grouping can see it; 2. the articles are grouped into stories and each
    # story gets one brief in the run's mode, written from all its sources: quality mode spends
    # the budget once per story, not once per article that reports it
    if models.settings.mode == "fast" and not models.settings.model and fast_models is not models:
        models = fast_models  # one encoder for the articles' briefs and the stories' (and its memo)
    remember = getattr(fast_models.summarizer if new else None, "remember", None)
    if remember is not None:
        remember()  # the stories' pass reuses the sentence embeddings of the articles' briefs
    # with a budget, one article at a time: the deadline is checked before each read
    size = 1 if deadline is not None else settings.batch_size
    queue = iter(new)
    for item in queue:
        if deadline is not None and clock() >= deadline:
            digest.skipped.append(item.url)
            continue
        group = []
        for nxt in itertools.chain([item], queue):
            if nxt.error is not None:  # a link that is no URL to fetch: listed, remembered, never read
                _failed(digest, nxt, retried, nxt.error.reason, nxt.error.message)
                digest.seen.append((nxt.url, nxt.feed, "failed", nxt.error.reason))
            elif (known := store.find_by_url(nxt.url)) is not None:
                digest.articles.append(known)
                digest.reused += 1
                progress.info("in the index already: %s", _named(known.title, nxt.url))
                digest.seen.append((nxt.url, nxt.feed, "reused", None))
                digest.item_of[known.content_hash] = nxt.url
            else:
                group.append(nxt)
            if len(group) == size:
                break
        if not group:
            continue
        reads = itertools.chain.from_iterable(_read(g, settings, own, untrusted) for g in group)
        briefs = enrich(reads, fast_models, size, size)
        for g, a in zip(group, briefs, strict=True):
            _settle(digest, store, g, a, retried)
    digest.articles.sort(key=lambda a: a.date or "", reverse=True)

    # stories written at once: an LLM server takes llm_concurrency; the in-process writer one
    at_once = models.settings.llm_concurrency if remote_writer(models.settings) else 1
    est = 0.0  # running mean of seconds per group of stories written by `models` (not the fast fallback)
    done = 0

    def summarize(texts: list[Article]) -> None:
        """The stories' briefs in the run's mode, or in fast mode when another would not fit the
        budget (a single article's fast brief is then kept as it is)."""
        chosen = models
        now = clock()
        if (
            deadline is not None
            and models.settings.mode != "fast"
            and (now >= deadline or (est and deadline - now < 1.5 * est))
        ):
            chosen = fast_models
            digest.degraded += len(texts)
        todo = [t for t in texts if t.model.get("summarizer") != _model_id(chosen)]
        if todo:
            write(todo, chosen)
        for t in texts:
            progress.info("story brief %s: %s", "written" if t.status == "ok" else "failed", _named(t.title, t.source))

    def write(todo: list[Article], chosen: Any) -> None:
        """Write the briefs of ``todo`` with ``chosen`` (fast mode for those the budget cuts short)."""
        nonlocal est, done
        t0 = clock()
        try:  # a failure stays on its text (finish() shows the story's fallback brief), the others go on
            if chosen is models:  # the LLM writer's requests (connecting included) end by the budget's end
                with _connecting(models.settings, fetch_deadline):
                    until = getattr(chosen.summarizer, "until", None)
                if until is not None:
                    until(fetch_deadline)
            list(enrich(todo, chosen, at_once, at_once))
        except PipelineError as exc:  # raised for the whole group (a prompt that does not fit, …)
            for t in todo:
                if isinstance(exc, BudgetSpent) or (t.status == "ok" and not t.tldr):
                    t.fail(exc)
        if chosen is models and any(t.status == "ok" for t in todo):
            done += 1
            est += (clock() - t0 - est) / done
        spent = [t for t in todo if t.status != "ok" and isinstance(t.failure, BudgetSpent)]
        if spent:  # the budget ended while the writer wrote them: fast mode, as for the stories it did not reach
            digest.degraded += len(spent)
            for t in spent:  # not a failure: what the writer began is dropped (a lone article keeps its own brief)
                t.status, t.error, t.message, t.failure = "ok", None, None, None
            unwritten = [t for t in spent if t.model.get("summarizer") != _model_id(fast_models)]
            list(enrich(unwritten, fast_models, at_once, at_once))

    matcher = watchlist.Matcher(watches, store) if watches else None
    reusing = getattr(fast_models.summarizer, "reusing", None) if digest.articles else None
    with reusing() if reusing is not None else contextlib.nullcontext():
        digest.stories = story.briefs(
            digest.articles, store, lambda texts: fast_models.encoder(texts), summarize,
            story.Options(window_hours=settings.story_window), at_once, words_per_minute=settings.words_per_minute,
            first=_writing_order(matcher, store, digest.articles) if matcher else None,
        )  # fmt: skip
    unseen: set[str | None] = set()
    for b in digest.stories:
        if b.failure is not None:  # listed; an LLM server failure is retried by the next run
            digest.failures.append(Failure(b.url or b.title or "story", b.failure.reason, b.failure.message))
            if b.failure.reason not in PERMANENT:
                unseen.update(digest.item_of.get(h) for h in b.hashes)
    digest.seen = [s for s in digest.seen if s[0] not in unseen]
    for url in {settings.llm_url, models.settings.llm_url} - {""}:
        _unaddress(digest.failures, url)
    if matcher is not None:
        rank(digest, matcher)
    return digest


def _writing_order(
    matcher: watchlist.Matcher, store: Store, articles: Sequence[Article]
) -> Callable[[list[int | None]], int]:
    """The order stories are written in (:func:`story.briefs`' ``first``): watched ones first, so
    with a budget a watched story never waits behind an unwatched one; those a mute leaves out
    last (they are written, and kept in the index, but not shown). Looked up once for tonight's
    articles: a story's earlier articles count when the digest is ranked (:func:`rank`)."""
    hits = matcher.lookup(p[0] for p in store.placed([a.content_hash for a in articles]).values())

    def order(article_ids: list[int | None]) -> int:
        v = matcher.verdict(hits, article_ids)
        return 0 if v.watched else 2 if v.left_out else 1

    return order


def rank(digest: Digest, matcher: watchlist.Matcher) -> None:
    """The watchlist: stories matching a watch lead the digest, highest priority first, then the
    most sources, then the newest; those a mute or a watch's exclude term leaves out are dropped
    and counted. The others keep their order (biggest first)."""
    verdicts = matcher.verdicts([[s.article_id for s in b.sources] for b in digest.stories])
    kept = [(b, v) for b, v in zip(digest.stories, verdicts, strict=True) if v.left_out is None]
    digest.left_out = len(digest.stories) - len(kept)
    digest.hidden = {h for b, v in zip(digest.stories, verdicts, strict=True) if v.left_out for h in b.hashes}
    watched = [(b, v) for b, v in kept if v.watched]
    watched.sort(key=lambda bv: bv[0].date or "", reverse=True)
    watched.sort(key=lambda bv: (-bv[1].priority, -len(bv[0].sources)))
    digest.watched = [b for b, _ in watched]
    digest.verdicts = {b.story_id: v for b, v in watched if b.story_id is not None}
    digest.stories = digest.watched + [b for b, v in kept if not v.watched]


def _read(item: FeedItem, settings: Settings, own: Policy, untrusted: Policy) -> Iterable[Article]:
    """An item's page fetched and extracted; an article URL of the feeds file from the page
    :func:`discover` already fetched (one request a page, not two)."""
    from .core import extracted, read
    from .sources import fetched

    if item.page is None:
        return read([item.url], settings, policy=own if item.own else untrusted)
    progress.info("reading %s", terminal_line(item.url, 100))
    try:
        raw = fetched(item.url, item.page, own)
    except PipelineError as exc:
        raw = Article(source=item.url).fail(exc)
    item.page = None
    return [extracted(raw, settings)]


def _unaddress(failures: list[Failure], url: str) -> None:
    """The failures' public text without the address of the LLM server at ``url`` (an internal
    host the digest's readers need not see: "LLM server: connection refused")."""
    from .summarizers.remote import unaddressed

    for f in failures:
        f.public = unaddressed(f.public, url)


def _connecting(settings: Settings, deadline: float | None) -> contextlib.AbstractContextManager[None]:
    """The scope in which the run's writer is loaded: an LLM server's, within the budget."""
    if not remote_writer(settings):
        return contextlib.nullcontext()  # the in-process writer: nothing to wait for on a network
    from .summarizers.remote import budget_ends

    return budget_ends(deadline)


def _model_id(models: Any) -> str:
    return str(getattr(models.summarizer, "model_id", ""))


def retryable(reason: str | None, message: str | None) -> bool:
    """A failure that may pass by itself (see :data:`RETRYING`): the network, a timeout, a page
    not live yet (404) or a server in trouble (5xx, 408, 425, 429)."""
    if reason == "http_error":  # fetch()'s message: "HTTP 404 Not Found"
        m = _HTTP_STATUS.match(message or "")
        return m is not None and (int(m.group(1)) in RETRY_HTTP or int(m.group(1)) >= 500)
    return reason not in PERMANENT and reason != REFUSED_ADDRESS


@dataclass(frozen=True, slots=True)
class _Retries:
    """When each page being retried first failed (the index's ``first_seen``), and the run's time."""

    first: dict[str, str]  # url -> first failure, UTC
    now: str  # UTC, as the index stores times
    again: frozenset[str] = frozenset()  # items tried once more (RECHECK): a failure was listed already

    def status(self, url: str, message: str) -> tuple[str, str]:
        """How to remember a page that failed in a way that may pass (:data:`RETRYING` until
        RETRY_DAYS after its first failure, then failed), and its failure's message saying so."""
        first = self.first.get(url, self.now)
        until = dt.datetime.fromisoformat(first) + dt.timedelta(days=RETRY_DAYS)
        if dt.datetime.fromisoformat(self.now) >= until:
            return "failed", f"{message} (given up: failing since {human_date(first)})"
        return RETRYING, f"{message} (tried again by the next runs until {human_date(timestamp(until))})"


def _named(title: str | None, url: str) -> str:
    """An item as a progress line names it: its title, else its URL (page text: one safe line)."""
    return terminal_line(title or url, 100)


def _settle(digest: Digest, store: Store, item: FeedItem, article: Article, retries: _Retries) -> bool:
    """Record one summarized item: indexed and listed (True), or a failure, remembered as seen
    when retrying cannot help (no article text, a 403, a 410), as being retried (:data:`RETRYING`)
    when it may pass (a page not live yet, a server down), or not at all when the next run should
    simply try again (an address refused under tonight's settings is remembered as such).
    Two items of one group that turn out to be the same page (a redirect) are listed once."""
    from .core import indexed

    if article.status == "ok":
        article.title = article.title or item.title
        if item.published and (article.date is None or article.date_from_text):
            article.date = item.published[:10]  # the feed's date over one the page's text mentions
        twin = next((a for a in digest.articles if a.url == article.url), None) if article.url else None
        if twin is not None:
            digest.reused += 1
            digest.seen.append((item.url, item.feed, "reused", None))
            return False
        article = next(indexed([article], store, 1))
        digest.seen.append((item.url, item.feed, "ok", None))
        digest.item_of[article.content_hash] = item.url
        digest.articles.append(article)
        progress.info("summarized: %s", _named(article.title, item.url))
        return True
    reason, message = article.error or "error", article.message or "failed"
    if retryable(reason, message):
        status, message = retries.status(item.url, message)
        digest.seen.append((item.url, item.feed, status, reason))
    elif reason in PERMANENT or reason == REFUSED_ADDRESS:
        digest.seen.append((item.url, item.feed, "failed" if reason in PERMANENT else REFUSED_ADDRESS, reason))
    _failed(digest, item, retries, reason, message)
    return False


def _failed(digest: Digest, item: FeedItem, retries: _Retries, reason: str, message: str) -> None:
    """List an item's failure, unless it is one tried once more (:data:`RECHECK`): the digest
    that first refused it listed it."""
    if item.url in retries.again:
        progress.info("failed again: %s (%s)", terminal_line(item.url, 100), reason)
        return
    digest.failures.append(Failure(item.url, reason, message))
    progress.info("failed: %s (%s)", terminal_line(item.url, 100), reason)


def publish(
    digest: Digest,
    store: Store,
    fmt: str,
    out: Path | None,
    atom: Path | None,
    emit: Callable[[str], None],
    keep: int = 30,
    atom_digests: int = 10,
) -> None:
    """Write the digest (atomically to ``out``, else through ``emit``) and its Atom feed, then
    remember its items as seen: the state is committed only after the effect, so when a write
    fails (a typed StateError) nothing is marked and the next run publishes the same articles
    (reused from the index, not summarized again).

    A run with no story to show (nothing new, or only failures: a re-run, a second cron slot, a
    feed that is down) never replaces a published digest or empties its Atom feed: the files are
    left as they are (``digest.kept``). Each digest written to ``out`` is also kept as a dated
    copy beside it (:func:`archive`, the newest ``keep``); the Atom feed holds the stories of the
    last ``atom_digests`` digests published to it."""
    from .fsutil import write_atomic

    if out is not None and not digest.stories and out.exists():
        digest.kept = True
    else:
        text = render(digest, fmt)
        if out is not None:
            write_atomic(out, text)  # a reader never sees half a digest
            if digest.stories and keep:
                archive(out, text, digest.generated, keep)
        else:
            emit(text)
    if atom is not None and (digest.stories or not atom.exists()):
        feed = str(atom.expanduser().resolve())
        mine = [b.as_dict() for b in digest.stories]
        history = store.published(feed, atom_digests - 1) if digest.stories else []
        write_atomic(atom, render_atom(digest.generated, [(digest.generated, mine), *history]))
        if mine:
            store.add_published(feed, digest.generated, mine)
    store.mark_all_seen(digest.seen)


def archive_name(out: Path, generated: str) -> Path:
    """The dated copy of a digest written to ``out`` at ``generated`` (``digest-2026-12-06-0600.html``)."""
    stamp = generated[:16].replace("T", "-").replace(":", "")
    return out.with_name(f"{out.stem}-{stamp}{out.suffix}")


def archive(out: Path, text: str, generated: str, keep: int) -> Path:
    """Keep a dated copy of the digest beside ``out``; of such copies only the newest ``keep``
    stay (only files named as :func:`archive_name` names them are ever removed)."""
    from .fsutil import state_error, write_atomic

    path = archive_name(out, generated)
    write_atomic(path, text)
    pattern = re.compile(rf"{re.escape(out.stem)}-\d{{4}}-\d\d-\d\d-\d{{4}}{re.escape(out.suffix)}")
    dated = sorted(p for p in out.parent.iterdir() if pattern.fullmatch(p.name) and p.is_file())
    for old in dated[:-keep]:
        try:
            old.unlink()
        except OSError as exc:
            raise state_error(exc, "remove an old dated digest", old) from None
    return path


def run_digest(
    feeds_file: Path,
    settings: Settings,
    since: str,
    budget: str | None,
    fmt: str,
    out: Path | None,
    atom: Path | None,
    emit: Callable[[str], None],
    alert_cmd: Sequence[str] = (),
    watch_atom: Path | None = None,
) -> Digest:
    """A whole cron run: the feeds list read under the input policy, the run lock next to the
    index (an overlapping run is :class:`~pipeline.errors.Locked`), :func:`build` within the
    ``budget``, then :func:`publish` — the files first, the seen-items after — and then the
    alerts (:mod:`pipeline.alerts`): each watch's Atom feed in ``watch_atom``, and ``alert_cmd``
    run for each new watched story (a failure is listed and retried next run, the digest stays)."""
    from . import alerts
    from .fsutil import run_lock
    from .store import parse_since

    feeds = Policy.trusted(settings).read_list(feeds_file)  # one feed/homepage/URL per line
    seconds, cutoff = parse_budget(budget), parse_since(since)
    watches = watchlist.load(settings.watch_path())  # a bad watch file stops the run before any fetch
    with run_lock(lock_path(settings.db_path()), "digest run"), Store(settings.db_path()) as store:
        state = alerts.AlertState.load(alerts.state_path(settings.db_path())) if alert_cmd else None
        result = build(feeds, settings, store, cutoff, seconds, watches=watches)
        publish(result, store, fmt, out, atom, emit, settings.digest_keep, settings.atom_digests)
        if watch_atom is not None and result.watched:
            alerts.write_feeds(result, store, watch_atom, settings.atom_digests, render_atom)
        if state is not None:
            result.alerted, result.alert_failures = alerts.send(result, state, alert_cmd)
    return result


def render(digest: Digest, fmt: str) -> str:
    """Markdown or self-contained HTML (autoescaped); ``atom``: this digest's stories alone."""
    if fmt == "atom":
        return render_atom(digest.generated, [(digest.generated, [b.as_dict() for b in digest.stories])])
    name = {"md": "digest.md.j2", "html": "digest.html.j2"}[fmt]
    return templates().get_template(name).render(d=digest, day=digest.generated[:10])


def render_atom(
    generated: str, digests: Sequence[tuple[str, Sequence[dict[str, Any]]]], title: str = "newsbrief digest",
    feed_id: str = "urn:newsbrief:digest",
) -> str:  # fmt: skip
    """The Atom feed of the digests ``(generated, story briefs)``, newest first: one entry per
    story, the newest brief of it, updated when that digest was published."""
    entries: dict[Any, tuple[str, StoryBrief]] = {}
    for when, briefs in digests:
        for d in briefs:
            try:
                brief = StoryBrief.from_dict(d)
            except (KeyError, TypeError, ValueError):
                continue  # a damaged row of the history: its entry is left out
            entries.setdefault(brief.story_id if brief.story_id is not None else id(d), (when, brief))
    return (
        templates()
        .get_template("digest.atom.j2")
        .render(updated=generated, entries=list(entries.values()), title=title, feed_id=feed_id)
    )
