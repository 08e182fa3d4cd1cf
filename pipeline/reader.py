"""What each page of the reader shows, as data: an article's body with its cited spans, a story
with its sources and sentences, the stories lists and their windows, a watch's page, the entity
chart. :mod:`pipeline.serve` turns these into HTML (or JSON) and serves them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .document import Article, StorySource
from .errors import UsageError
from .policy import public_url
from .render import human_date
from .store import Store, timestamp

WINDOWS = (1, 7, 30)
MAX_DAYS = 3660
WATCH_SCAN = 10_000  # stories of a window a watch's page reads at most


def body_segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, str | None]]:
    """The article text cut into (text, span id) pieces: a piece that is a cited source sentence
    carries its id ("start-end"), the rest None. Overlapping spans keep the first."""
    out: list[tuple[str, str | None]] = []
    at = 0
    for start, end in sorted(set(spans)):
        if start < at or start >= end or end > len(text):
            continue
        if start > at:
            out.append((text[at:start], None))
        out.append((text[start:end], f"{start}-{end}"))
        at = end
    out.append((text[at:], None))
    return [(t, sid) for t, sid in out if t]


def chart(days: list[tuple[str, int]], width: int = 640, height: int = 160) -> dict[str, Any]:
    """Bars, one per day of the period from the first to the last day with data (days without
    mentions are gaps), as numbers for the SVG template and for JSON."""
    if not days:
        return {"bars": [], "days": 0, "max": 0, "width": width, "height": height}
    first = dt.date.fromisoformat(days[0][0])
    last = dt.date.fromisoformat(days[-1][0])
    span = (last - first).days + 1
    top = max(n for _, n in days)
    step = width / span
    bars = []
    for day, n in days:
        i = (dt.date.fromisoformat(day) - first).days
        h = max(2.0, (height - 20) * n / top)
        bars.append({"day": day, "mentions": n, "x": round(i * step + 1, 2), "w": round(max(1.0, step - 2), 2),
                     "y": round(height - 20 - h, 2), "h": round(h, 2)})  # fmt: skip
    return {"bars": bars, "days": span, "max": top, "width": width, "height": height,
            "first": first.isoformat(), "last": last.isoformat()}  # fmt: skip


def article_view(article: Article, article_id: int) -> dict[str, Any]:
    """What the article page shows (and returns as JSON)."""
    gated = {g.get("kept") or g.get("text"): g for g in article.gated}

    def sentence(s: Any) -> dict[str, Any]:
        g = gated.get(s.text)
        return {"text": s.text, "sources": [f"{a}-{b}" for a, b in s.support], "gate": g}

    spans = [tuple(sp) for s in article.tldr for sp in s.support]
    spans += [tuple(sp) for p in article.summary for s in p for sp in s.support]
    return {
        "id": article_id,
        "title": article.title,
        "date": article.date,
        "human_date": human_date(article.date),
        "reading_minutes": article.reading_minutes,
        "genre": article.genre,
        "url": public_url(article.url),
        "source": article.source,
        "aliases": article.aliases,  # the other sources of the same text (a saved file, its URL)
        "model": article.model,
        "coverage": round(article.coverage, 3),
        "tldr": [sentence(s) for s in article.tldr],
        "summary": [[sentence(s) for s in p] for p in article.summary],
        # by its long form when it has one: an acronym may name two entities (ECB, the bank and the board)
        "entities": [
            {**e.as_dict(), "href": "/entity/" + quote_path(e.long_form or e.canonical or e.text)}
            for e in article.entities
        ],
        "gated": article.gated,
        "body": [{"text": t, "span": sid} for t, sid in body_segments(article.text, spans)],  # type: ignore[arg-type]
    }


def story_view(story: dict[str, Any], texts: dict[int, str]) -> dict[str, Any]:
    """What the story page shows (and returns as JSON): the brief's sentences with the sources
    that say them (numbered from 1, as on the page), and each source's text (``texts``, by
    article id) cut at the spans the brief used from it, so the page marks them. A story with no
    brief yet has only its articles."""
    brief = story.get("brief") or {}
    sources = brief.get("sources") or []
    spans: dict[int, list[tuple[int, int]]] = {}

    def sentence(s: dict[str, Any]) -> dict[str, Any]:
        support = [(int(i), int(a), int(b)) for i, a, b in s.get("support") or [] if 0 <= int(i) < len(sources)]
        for i, a, b in support:
            spans.setdefault(i, []).append((a, b))
        return {
            "text": s.get("text") or "",
            "sources": [int(i) + 1 for i in s.get("sources") or []],
            "corroborated": bool(s.get("corroborated")),
            "spans": [f"{i}-{a}-{b}" for i, a, b in support],  # the ids of its marks in the sources' texts
        }

    sentences = brief.get("sentences") or {}
    tldr = [sentence(s) for s in sentences.get("tldr") or []]
    summary = [[sentence(s) for s in p] for p in sentences.get("summary") or []]
    out_sources = []
    for i, src in enumerate(sources):
        aid = src.get("article_id")
        text = texts.get(aid) if isinstance(aid, int) else None
        body = None
        if text is not None:  # plain pieces, the used ones with an id: the template escapes each
            body = [{"text": t, "span": sid and f"{i}-{sid}"} for t, sid in body_segments(text, spans.get(i, []))]
        copy_of = src.get("copy_of")
        out_sources.append({
            "n": i + 1, "title": src.get("title"), "url": public_url(src.get("url")), "host": src.get("host"),
            "name": src.get("name"), "label": StorySource.from_dict(src).label,
            "date": src.get("date"), "article_id": aid if text is not None else None,
            "copy_of": copy_of + 1 if isinstance(copy_of, int) else None, "used": len(spans.get(i, [])),
            "body": body,
        })  # fmt: skip
    disagree = [{"what": d.get("what") or "", "values": [{"value": v, "sources": [int(i) + 1 for i in who]}
                                                         for v, who in (d.get("values") or {}).items()]}
                for d in brief.get("disagreements") or []]  # fmt: skip
    title = brief.get("title") or story.get("title")
    date = brief.get("date") or story.get("last_seen")
    return {
        "id": story["id"],
        "title": title,
        "update": bool(brief.get("update")),
        "date": date,
        "human_date": human_date(date),
        "size": story["size"],
        "has_brief": bool(brief),
        "tldr": tldr,
        "summary": summary,
        "sources": out_sources,
        "disagreements": disagree,
        "model": brief.get("model") or {},
        "articles": story["articles"],
    }


def window_days(value: str | None, default: int) -> int:
    """``?days=`` as a whole number of days from 1 to :data:`MAX_DAYS` (absent: ``default``),
    else a :class:`UsageError` the page shows."""
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
        raise UsageError(f"days must be a whole number from 1 to {MAX_DAYS}, not {value[:20]!r}")
    return int(value)


def window(days: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The window a page lists (for the template and JSON): its days, the lower bound as the
    index stores times, the links to the other windows."""
    since = timestamp((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days))
    return {"days": days, "since": since, "by": "taken", "choices": list(WINDOWS)}


def source_names(story: dict[str, Any]) -> list[str]:
    """A story's sources as a reader names them, each site once, in the story's order: the
    brief's sources when it has one, else its articles. A name is the site's own beside its
    domain (:attr:`StorySource.label`): a page calling itself "BBC News" still shows where it is."""
    brief = story.get("brief") or {}
    try:
        if brief.get("sources"):
            sources = [StorySource.from_dict(d) for d in brief["sources"]]
        else:
            sources = [StorySource(a.get("title"), a.get("url"), _hostname(a.get("url")), a.get("date"), a.get("id"),
                              name=a.get("sitename")) for a in story.get("articles") or []]  # fmt: skip
        return list(dict.fromkeys(s.label for s in sources))
    except (TypeError, ValueError, AttributeError):  # a damaged brief: its story page says so
        return []


def _hostname(url: str | None) -> str | None:
    """A stored URL's host, None for none or a malformed one (a list never fails on one row)."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def watched_first(store: Store, watches: Any, stories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``stories`` with those the user's watches match first (as the digest orders them, each with
    ``matched``), then the others as they were; muted and excluded ones stay (the reader hides
    nothing the index holds)."""
    if not watches or not stories:
        return stories
    from .watch import watched_stories

    watched = watched_stories(store, watches, stories)
    first = {s["id"] for s in watched}
    return [*watched, *(s for s in stories if s["id"] not in first)]


def story_entry(story: dict[str, Any]) -> dict[str, Any]:
    """One line of a stories list: title, size, its sources, when it was taken in, its TLDR."""
    brief = story.get("brief") or {}
    return {
        "id": story["id"],
        "title": brief.get("title") or story.get("title"),
        "size": story["size"],
        "sources": source_names(story),
        "taken": story.get("taken"),
        "last_seen": story.get("last_seen"),
        "update": bool(brief.get("update")),
        "matched": [f"{m['watch']}: {m['why']}" for m in story.get("matched") or []],
        "watches": list(dict.fromkeys(m["watch"] for m in story.get("matched") or [])),  # each links to its page
        "tldr": brief.get("tldr") or next((a.get("tldr") for a in story.get("articles") or [] if a.get("tldr")), None),
    }


def watched_keys(store: Store, watches: Any) -> set[str]:
    """The entity keys the user's watches name, through the index's aliases (a watch on "ECCG"
    also marks "European Cybersecurity Certification Group"): what the reader marks as watched."""
    from .text import key

    keys: set[str] = set()
    for w in watches.watches if watches else ():
        for term in w.entities:
            keys.add(key(term))
            for e in store.entities_named(term):
                keys.update([key(e["name"]), *e["aliases"]])
    return keys


def watch_view(store: Store, watches: Any, name: str, since: str) -> dict[str, Any]:
    """A watch's page: its terms, the stories it matched that newsbrief read since ``since`` (the
    newest first, each with why) and how many a day. ``UsageError`` when there is no such watch."""
    from .watch import watched_stories

    watch = watches.get(name) if watches else None
    if watch is None:
        raise UsageError(f"no watch named {name!r}")
    found = watched_stories(store, watches.only(name), store.stories_taken(since, limit=WATCH_SCAN))
    found.sort(key=lambda s: str(s.get("taken") or ""), reverse=True)
    per_day: dict[str, int] = {}
    for s in found:
        day = str(s.get("taken") or "")[:10]
        if day:
            per_day[day] = per_day.get(day, 0) + 1
    return {
        "watch": watch.as_dict(),
        "stories": [story_entry(s) for s in found],
        "chart": chart(sorted(per_day.items())),
    }


def quote_path(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# a dated copy of a digest (digest.archive_name): "digest-2026-12-06-0600"
