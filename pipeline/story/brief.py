"""One brief per story: the story's text written by a summarizer, each sentence mapped back to
the sources that say it, and the stories of a run's stored articles (:func:`briefs`).

A story of one article is that article's own brief; a story of several is written from its text
(:mod:`.telling`), so the gate and the relation check hold each sentence against the union of
the sources. A sentence two independent voices say is corroborated; one a source tells
otherwise is not, and the brief says how the sources differ. When the report seen last moved the
story on, its news leads the TLDR. A story's brief that fails shows its first article's brief.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..document import Article, Story, StoryBrief, StorySentence, StorySource, voices
from ..errors import PipelineError, SummaryError
from ..store import Store
from .grouping import Grouper, Options, _parse, idf_from, items_of
from .numbers import disagreements
from .telling import _Piece, _tellings, story_text

if TYPE_CHECKING:
    from ..summarizers import Summarizer


@dataclass(slots=True)
class Draft:
    """A story before its brief is written: the text the summarizer reads and where it came from."""

    articles: list[Article]
    sources: list[StorySource]
    union: Article  # what the summarizer reads: the article itself when the story has one
    pieces: list[_Piece] | None  # where each sentence of the union comes from (None: one article)
    news: int | None = None  # the piece telling the story's newest development (it leads the TLDR)


def draft(
    articles: Sequence[Article], sources: Sequence[StorySource] | None = None, max_chars: int = 120_000,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None, *, words_per_minute: int,
) -> Draft:  # fmt: skip
    """The text a story's brief is written from: one article's own text, or :func:`story_text`
    of several (and which source copies which). Its "N min read" is that text's, at
    ``words_per_minute``, as an article's is its own text's."""
    from dataclasses import replace

    from ..extract import reading_minutes

    sources = list(sources) if sources is not None else [
        StorySource.of(a) for a in articles
    ]  # fmt: skip
    if len(articles) == 1:
        a = articles[0]
        return Draft(list(articles), sources, replace(a, model=dict(a.model), gated=list(a.gated)), None)
    text, pieces, copies, order, news = story_text(articles, max_chars, encode, sources)
    at = {old: new for new, old in enumerate(order)}  # the lead first: indexes follow the text's order
    articles, sources = [articles[i] for i in order], [sources[i] for i in order]
    for s, i in zip(sources, order, strict=True):
        c = copies[i]
        s.copy_of = None if c is None else at[c]
    for p in pieces:
        p.source, p.also, p.told = at[p.source], {at[i] for i in p.also}, {at[i]: t for i, t in p.told.items()}
        p.disputed = [replace(d, source=at[d.source]) for d in p.disputed]
    lead = articles[0]
    words = len(text.split())
    union = Article(source="story", url=lead.url, title=lead.title, date=lead.date, text=text, word_count=words,
                    reading_minutes=reading_minutes(words, words_per_minute), language=lead.language)  # fmt: skip
    return Draft(list(articles), sources, union, pieces, news)


def finish(d: Draft) -> StoryBrief:
    """The brief of a draft whose ``union`` was summarized: each sentence's support mapped back to
    the sources and their sentences; a sentence two independent sources say is corroborated.
    When the report seen last moved the story on (``d.news``), its news leads the TLDR and its
    title names the brief (the story's text keeps its lead: a reader sees what changed first,
    then the story as the sources bear it out)."""
    union, sources, pieces = d.union, d.sources, d.pieces
    if union.status != "ok":
        raise union.failure or SummaryError(union.message or "the story brief failed", union.source)
    if pieces is None:
        one = [[StorySentence(s.text, [(0, x, y) for x, y in s.support], [0]) for s in p]
               for p in [union.tldr, *union.summary]]  # fmt: skip
        return StoryBrief(union.title, union.date, sources, one[0], one[1:], union.reading_minutes,
                          model=union.model, gated=union.gated)  # fmt: skip

    voice = voices(sources)
    told: dict[tuple[str, str], dict[str, list[int]]] = {}  # (what, the piece's telling) -> tellings

    def mapped(s: Any) -> StorySentence:
        support, said, disputed = [], [], False
        for x, y in s.support:
            for p in pieces:
                if p.start < y and x < p.end:
                    support.append((p.source, *p.span))
                    said += [p.source, *sorted(p.also)]
                    for dis, who in _tellings(p, pieces):  # told otherwise: no corroboration, say so
                        disputed = True
                        values = told.setdefault((dis.how.what, dis.how.mine), {})
                        values.setdefault(dis.how.mine, []).extend([p.source, *p.also])
                        values.setdefault(dis.how.theirs, []).extend(who)
        said = list(dict.fromkeys(said))
        return StorySentence(s.text, support, said, len({voice[i] for i in said}) >= 2 and not disputed)

    tldr = [mapped(s) for s in union.tldr]
    summary = [[mapped(s) for s in p] for p in union.summary]
    title = union.title
    if d.news is not None:  # a later report moved the story on: its news leads, and names it
        news = pieces[d.news]
        tldr, summary = _lead_with(news, mapped(_Said(union.text[news.start : news.end], [(news.start, news.end)])),
                                   tldr, summary)  # fmt: skip
        title = d.articles[news.source].title or title
    claims = [s.text for s in tldr] + [s.text for p in summary for s in p]
    date = max((a.date for a in d.articles if a.date), default=None)
    disputed: set[int] = set()
    found = [{"what": what, "values": {v: sorted(set(who)) for v, who in values.items()}}
             for (what, _), values in told.items()]  # fmt: skip
    found += disagreements(d.articles, sources, claims, disputed)
    for k, sentence in enumerate([*tldr, *(s for p in summary for s in p)]):
        if k in disputed:  # never shown both corroborated and under "Sources disagree"
            sentence.corroborated = False
    return StoryBrief(title, date, sources, tldr, summary, union.reading_minutes, disagreements=found,
                      model=union.model, gated=union.gated)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Said:
    """A sentence of the story's text, as a summarizer's sentence gives it (text, support spans)."""

    text: str
    support: list[tuple[int, int]]


def _lead_with(
    news: _Piece, told: StorySentence, tldr: list[StorySentence], summary: list[list[StorySentence]]
) -> tuple[list[StorySentence], list[list[StorySentence]]]:
    """The brief with the sentence the writer made of ``news`` (else the piece's own sentence,
    ``told``) first in its TLDR; the TLDR's other sentences but its first go to the summary."""

    def tells(s: StorySentence) -> bool:
        return any(i == news.source and (a, b) == news.span for i, a, b in s.support)

    found = next((s for s in [*tldr, *(s for p in summary for s in p)] if tells(s)), told)
    rest = [s for s in tldr if s is not found]
    summary = [q for q in ([s for s in p if s is not found] for p in [rest[1:], *summary]) if q]
    return [found, *rest[:1]], summary


def write(
    articles: Sequence[Article], summarizer: Summarizer | None, sources: Sequence[StorySource] | None = None,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None, *, words_per_minute: int,
) -> StoryBrief:  # fmt: skip
    """One brief for a story from all its articles, written by ``summarizer`` (any mode): it reads
    the story's text, so the gate and the relation check hold each sentence against the union of
    the sources. ``summarizer=None``: a single article's own brief, as it is."""
    from ..summarizers.base import apply

    d = draft(articles, sources, encode=encode, words_per_minute=words_per_minute)
    if summarizer is not None:
        apply(summarizer, [d.union])
    return finish(d)


# ---------------------------------------------------------------- stories in the index


@dataclass(slots=True)
class Grouped:
    """A story touched by a run: its state and the articles it took in this run."""

    story: Story
    new: list[tuple[int, Article, float]]  # (article id, article, score)


def assign(
    store: Store, stored: Sequence[tuple[int, str, Article]], encode: Callable[[Sequence[str]], np.ndarray],
    options: Options | None = None,
) -> list[Grouped]:  # fmt: skip
    """Group stored articles ``(id, when, article)`` into the index's stories: each joins an open
    one (last article within the window before it) or starts one; the stories are saved with their
    new members. Returns the stories that took articles, in the order they first took one."""
    options = options or Options()
    if not stored:
        return []
    earliest = _parse(min(when for _, when, _ in stored))
    try:
        since = (earliest - dt.timedelta(hours=options.window_hours)).strftime("%Y-%m-%dT%H:%M:%S")
    except OverflowError:  # a time that could not be read sorts first: every open story is a candidate
        since = ""
    resumed = store.open_stories(since)
    items = items_of([a for _, _, a in stored], encode, [when for _, when, _ in stored])
    keys = {k for it in items for k in it.entities} | {k for s in resumed for k in s.profile}
    df, n = store.entity_df(keys)
    grouper = Grouper(idf_from(df, n), options)
    for s in resumed:
        grouper.resume(s)
    by_story: dict[int, Grouped] = {}
    order = sorted(range(len(stored)), key=lambda i: (stored[i][1], stored[i][0]))
    for i in order:
        article_id, _, article = stored[i]
        items[i].article_id = article_id
        story, score = grouper.add(items[i])
        story.title = story.title or article.title
        by_story.setdefault(id(story), Grouped(story, [])).new.append((article_id, article, score))
    for g in by_story.values():
        store.save_story(g.story, [(aid, score) for aid, _, score in g.new])
    return list(by_story.values())


MAX_STORY_SOURCES = 8  # articles a story brief is written from (the newest)


def briefs(
    articles: Sequence[Article], store: Store, encode: Callable[[Sequence[str]], np.ndarray],
    summarize: Callable[[list[Article]], None], options: Options | None = None, chunk: int = 1, *,
    words_per_minute: int, first: Callable[[list[int | None]], int] | None = None,
) -> list[StoryBrief]:  # fmt: skip
    """The stories of a run's stored articles, one brief each, biggest story first: the articles
    not yet in a story are grouped (:func:`assign`), and a story with an earlier article is an
    update. ``summarize(texts)`` writes the briefs of ``chunk`` stories' texts at once (the caller
    picks the model and keeps the budget; a text it leaves alone keeps its own brief). When a
    story's brief fails (a hostile page, the LLM server), the story shows its first article's
    brief with all its sources, and the others go on. ``first`` ranks a story by its sources'
    article ids, lower written sooner (the digest's watched stories come before the biggest)."""
    placed = store.placed([a.content_hash for a in articles])
    known = {a.content_hash: a for a in articles if a.content_hash in placed}
    fresh = [(placed[h][0], placed[h][1], a) for h, a in known.items() if placed[h][2] is None]
    members: dict[int, list[int]] = {}  # story id -> article ids of this run
    for g in assign(store, fresh, encode, options):
        assert g.story.id is not None
        members.setdefault(g.story.id, []).extend(aid for aid, _, _ in g.new)
    for aid, _, story_id in (placed[h] for h in known):
        if story_id is not None:  # grouped by an earlier run (an article reused from the index)
            members.setdefault(story_id, []).append(aid)
    # an update has articles besides this run's: a story whose brief failed last night (its
    # articles are read again tonight) is news the reader has not seen, not an update
    update = {sid: store.story_size(sid) > len(set(ids)) for sid, ids in members.items()}
    by_id = {placed[h][0]: a for h, a in known.items()}
    drafts: list[tuple[int, Draft, list[str]]] = []
    for story_id, ids in members.items():
        # tonight's articles first (an update leads with the news), then the story's latest
        # earlier ones, each in the order the index took them (a page's own date is the page's
        # say: it never picks the lead; nor can a copy or an outvoted source lead, see
        # story_text); the brief reads MAX_STORY_SOURCES of them, and lists every one of tonight's
        mine = [(aid, by_id[aid]) for aid in sorted(dict.fromkeys(ids))]
        earlier = []
        if update[story_id] and len(mine) < MAX_STORY_SOURCES:
            earlier = [(aid, a) for aid, a in store.story_members(story_id, MAX_STORY_SOURCES) if aid not in by_id]
        chosen = (mine + earlier)[:MAX_STORY_SOURCES]
        d = draft([a for _, a in chosen], [StorySource.of(a, aid) for aid, a in chosen],
                  encode=encode, words_per_minute=words_per_minute)  # fmt: skip
        d.sources += [StorySource.of(a, aid) for aid, a in mine[MAX_STORY_SOURCES:]]
        drafts.append((story_id, d, [a.content_hash for _, a in mine]))
    # the biggest stories first (the budget may end), each size newest first
    drafts.sort(key=lambda sd: max((a.date or "" for a in sd[1].articles), default=""), reverse=True)
    drafts.sort(key=lambda sd: -len(sd[1].sources))
    if first is not None:
        drafts.sort(key=lambda sd: first([s.article_id for s in sd[1].sources]))
    out = []
    for start in range(0, len(drafts), max(1, chunk)):
        part = drafts[start : start + max(1, chunk)]
        summarize([d.union for _, d, _ in part])
        for story_id, d, tonight in part:
            try:
                brief = finish(d)
            except PipelineError as exc:
                brief = write(d.articles[:1], None, d.sources[:1], words_per_minute=words_per_minute)
                brief.sources, brief.failure = d.sources, exc
            brief.update, brief.story_id = update[story_id], story_id
            brief.hashes = tonight
            store.set_story_brief(story_id, brief.as_dict())
            out.append(brief)
    return out
