"""Stories: the articles of a night (and of the index's recent days) grouped by what they report.

An article is read as a :class:`Item`: a unit MiniLM embedding of its title and lead (the first
``LEAD_WORDS`` words), its named entities (canonical keys, counted) and its CVE ids. It joins the
active story it scores best against, or starts one:

    score = (1 - entity_weight) * cos(item, story centroid) + entity_weight * cos_idf(entities)

where ``cos_idf`` compares the IDF-weighted entity profiles, so a name every article carries
(France, Microsoft) weighs little and the names that tell two events apart (Tara Reid, Lindsay
Lohan) weigh most. A CVE id the article is about (one of at most ``MAX_KEY_CVES``) is a hard key:
articles about CVE-2024-3094 are one story whatever their wording. Only stories seen within the
time ``window`` are candidates.

Single pass and incremental: items are taken in time order (ties by key), each decided once
against the stories open at that moment, so the same items in the same order always give the same
stories, and a new article joins an earlier run's story (stored in the index) or starts one.
Bounded: candidates come from an inverted index over entity keys and CVE ids (a key shared by more
than ``max_posting`` open stories, such as "US", is too common to find candidates with, though it
still counts in the score) plus the ``recent`` newest stories, at most ``max_candidates`` in all,
and stories that fall out of the window are closed; time and memory grow with the items, not
with their square (``bench/run.py --only stories``).

Tuned on ECB+'s odd-numbered topics and measured on its even ones (``newsbrief eval --task
stories``): each ECB+ topic holds two near-identical events (two celebrities entering rehab, two
earthquakes), the case where grouping by topic fails.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .claims import Difference
from .document import Article
from .errors import PipelineError, SummaryError
from .text import CVE_ID, Unit
from .text import key as entity_key

MAX_LEAD_TEXT = 100_000  # characters; a longer text's lead is read from its start alone
LEAD_WORDS = 120  # title + this many words of the text are embedded (ECB+ odd topics: 60 -> 0.83, 120 -> 0.87 F1)
TEXT_ONLY = 0.9  # cosine an article without named entities needs to join a story
MAX_KEY_CVES = 3  # an article naming more CVEs is a roundup: its CVEs are not hard keys
MAX_PROFILE = 64  # entity keys kept per story (the heaviest): bounds memory and the stored row
_CVE = re.compile(rf"\b{CVE_ID}\b", re.I)


@dataclass(frozen=True, slots=True)
class Options:
    # join the best story at or above this score, else start one; with the entity weight, picked
    # on ECB+'s odd topics, mean B-cubed F1 over 5 arrival orders: 0.881 (0.6/0.35: 0.875,
    # 0.6/0.3: 0.859, 0.5/0.35: 0.857). Adding the lead's words to the profiles did not help.
    threshold: float = 0.3
    entity_weight: float = 0.7  # share of the score that comes from the entity profiles
    # cosine of the text an article needs with a story to join it, whatever names they share: a
    # page stuffed with a story's names ("Northwind, Maria Lopez, Madrid") over unrelated text
    # scored 0.28 against its story, another outlet's report of it 0.96, a report of its market
    # fallout 0.58; on ECB+'s odd topics the least similar right join scored 0.43
    min_text: float = 0.35
    window_hours: float = 72.0  # a story takes new articles this long after its last one
    max_posting: int = 200  # an entity key in more open stories than this finds no candidates
    recent: int = 32  # the newest stories are always candidates (articles without entities)
    max_candidates: int = 256  # stories scored per article, at most


@dataclass(slots=True)
class Item:
    """What grouping reads of one article."""

    key: str  # content hash (or a data set's id): the tie-break and the link back
    when: str  # ISO timestamp (published, else added): the order and the window
    vector: np.ndarray  # unit embedding of title + lead
    entities: dict[str, float]  # entity key -> mentions
    cves: frozenset[str] = frozenset()
    host: str | None = None
    article_id: int | None = None


@dataclass(slots=True, eq=False)
class Story:
    id: int | None  # row in the index; None until saved
    first: str
    last: str
    total: np.ndarray  # sum of the member vectors (the centroid's direction)
    profile: Counter[str]  # entity key -> summed 1 + log(mentions) over members
    cves: set[str] = field(default_factory=set)
    size: int = 0
    members: list[Item] = field(default_factory=list)  # the members added in this process
    title: str | None = None
    pos: int = -1  # place among the grouper's open stories
    norm: float | None = None  # of the IDF-weighted profile (idf is fixed for a grouper's run)


def _weights(entities: dict[str, float]) -> dict[str, float]:
    return {k: 1.0 + math.log(max(1.0, c)) for k, c in entities.items()}


def _hours(a: str, b: str) -> float:
    """Hours from ``a`` to ``b`` (ISO timestamps or dates)."""
    return (_parse(b) - _parse(a)).total_seconds() / 3600.0


def _parse(when: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(when.rstrip("Z"))
    except ValueError:
        return dt.datetime.min
    return t.replace(tzinfo=None)


class Grouper:
    """Incremental single-pass story grouping (see the module's docstring)."""

    def __init__(self, idf: Callable[[str], float], options: Options | None = None) -> None:
        self.idf = idf
        self.opts = options or Options()
        self.open: list[Story] = []  # open stories, oldest first
        self._postings: dict[str, set[int]] = {}  # key -> positions in self.open
        self._dead: set[int] = set()
        self._by_last: list[tuple[str, int]] = []  # (last time, position): who closes next
        self.stories: list[Story] = []  # every story that took an item in this process, in that order

    def resume(self, story: Story) -> None:
        """An open story from the index (it then takes new articles like one of this run)."""
        self._open(story)

    def _open(self, story: Story) -> None:
        story.pos = len(self.open)
        self.open.append(story)
        heapq.heappush(self._by_last, (story.last, story.pos))
        for k in self._keys(story.profile, story.cves):
            self._postings.setdefault(k, set()).add(story.pos)

    @staticmethod
    def _keys(entities: Iterable[str], cves: Iterable[str]) -> set[str]:
        return {"e:" + k for k in entities} | {"c:" + c for c in cves}

    def _close_before(self, when: str) -> None:
        """Stories whose last article is older than the window are closed: never a candidate
        again, and out of the inverted index (a heap by last time: no scan of every story)."""
        while self._by_last and _hours(self._by_last[0][0], when) > self.opts.window_hours:
            last, pos = heapq.heappop(self._by_last)
            story = self.open[pos]
            if story.last != last:  # it took an article since: look again at its new time
                heapq.heappush(self._by_last, (story.last, pos))
                continue
            self._dead.add(pos)
            for k in self._keys(story.profile, story.cves):
                self._postings.get(k, set()).discard(pos)

    def add(self, item: Item) -> tuple[Story, float]:
        """Put one item in its story (an open one, or a new one); returns it and the score."""
        self._close_before(item.when)
        story, score = self._best(item)
        if story is None:
            story = Story(None, item.when, item.when, np.zeros_like(item.vector), Counter())
            self._open(story)
            score = 1.0
        if not story.members:
            self.stories.append(story)
        self._join(story, item)
        return story, score

    def _join(self, story: Story, item: Item) -> None:
        story.total = story.total + item.vector
        key_cves = _key_cves(item)  # a roundup's CVEs are no key of its story either
        new_keys = self._keys(item.entities, key_cves)
        story.profile.update(_weights(item.entities))
        story.norm = None
        if len(story.profile) > 2 * MAX_PROFILE:  # keep the heaviest keys: bounded per story
            story.profile = Counter(dict(story.profile.most_common(MAX_PROFILE)))
        story.cves |= set(key_cves)
        story.size += 1
        story.members.append(item)
        story.first = min(story.first, item.when)
        story.last = max(story.last, item.when)
        for k in new_keys:
            self._postings.setdefault(k, set()).add(story.pos)

    def _candidates(self, item: Item) -> list[int]:
        shared: Counter[int] = Counter()
        for k in self._keys(item.entities, _key_cves(item)):
            posting = self._postings.get(k, ())
            if len(posting) <= self.opts.max_posting:
                shared.update(posting)
        live = list(range(max(0, len(self.open) - self.opts.recent), len(self.open)))
        picked = [p for p, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])) if p not in self._dead]
        out = list(dict.fromkeys(picked[: self.opts.max_candidates] + live))
        # nor a story that began more than a window after this article (an old article grouped late)
        return [
            p for p in out if p not in self._dead and _hours(item.when, self.open[p].first) <= self.opts.window_hours
        ]

    def _best(self, item: Item) -> tuple[Story | None, float]:
        cands = self._candidates(item)
        if not cands:
            return None, 0.0
        hard = _key_cves(item)
        totals = np.stack([self.open[p].total for p in cands])
        norms = np.linalg.norm(totals, axis=1)
        cos = (totals @ item.vector) / np.maximum(norms, 1e-9)
        for j, p in enumerate(cands):  # a CVE the article is about: the story of that CVE
            if hard & self.open[p].cves and cos[j] >= self.opts.min_text:
                return self.open[p], 1.0
        mine = {k: w * self.idf(k) for k, w in _weights(item.entities).items()}
        # an article that names nobody is judged on its text alone, and must be nearly the same
        # text (cosine TEXT_ONLY) to join: without names, one template's pages look alike
        scores = (1 - self.opts.entity_weight) * cos if mine else cos - (TEXT_ONLY - self.opts.threshold)
        if mine:
            mine_norm = math.sqrt(sum(v * v for v in mine.values()))
            for j, p in enumerate(cands):
                scores[j] += self.opts.entity_weight * _profile_cos(mine, mine_norm, self.open[p], self.idf)
        scores[cos < self.opts.min_text] = -1.0  # names alone never join a story
        j = int(np.argmax(scores))  # first of equals: the earliest story
        if scores[j] < self.opts.threshold:
            return None, float(scores[j])
        return self.open[cands[j]], float(scores[j])


def _profile_cos(mine: dict[str, float], mine_norm: float, story: Story, idf: Callable[[str], float]) -> float:
    """Cosine of the IDF-weighted entity profiles, times how specific the shared names are (their
    mean IDF against a name never seen): two reports that share only "France" and "Microsoft" have
    the same profile, cosine 1, yet say nothing about being one event."""
    profile = story.profile
    shared = [k for k in mine if k in profile]
    dot = sum(mine[k] * profile[k] * idf(k) for k in shared)
    if not dot:
        return 0.0
    if story.norm is None:
        story.norm = math.sqrt(sum((w * idf(k)) ** 2 for k, w in profile.items()))
    theirs = story.norm
    rarest = idf("\0never seen\0")
    specific = sum(mine[k] * idf(k) / rarest for k in shared) / sum(mine[k] for k in shared)
    return specific * dot / (mine_norm * theirs + 1e-9)


def _key_cves(item: Item) -> frozenset[str]:
    return item.cves if 0 < len(item.cves) <= MAX_KEY_CVES else frozenset()


def idf_from(df: dict[str, int], n: int) -> Callable[[str], float]:
    """Smoothed inverse document frequency over ``n`` articles (an unknown key counts as rare)."""
    return lambda k: math.log((n + 1) / (df.get(k, 0) + 1)) + 1.0


def lead(title: str | None, text: str, words: int = LEAD_WORDS) -> str:
    """What is embedded for grouping: the title and the first ``words`` words."""
    body = " ".join(text.split()[:words])
    return f"{title}. {body}" if title else body


def lead_texts(article: Article) -> list[str]:
    """What is embedded of an article for grouping: its title and its first units (sentences, or
    whole quotations) a brief could show, up to LEAD_WORDS words. Fast mode encodes those same
    units for the article's own brief, so a digest reuses them: encoding the lead as one text
    instead scored B-cubed F1 0.878 against 0.865 on ECB+'s held-out topics, but tripled what
    stories add to a fast digest's time (34% against 16%, bench "story_digest")."""
    from .text import reading_units, split_sentences, units

    text = article.text
    if len(text) > MAX_LEAD_TEXT:  # a huge page: its brief's units are not kept; read its start only
        text = text[: LEAD_WORDS * 20]
        found = units(text, split_sentences(text))
    else:
        found = reading_units(text)  # found for its brief already (kept)
    texts = [article.title] if article.title else []
    words = 0
    for unit in found:
        if words >= LEAD_WORDS:
            break
        if _candidate(unit) and not listing(unit.text):  # not a dateline, a caption, a list of tags
            texts.append(unit.text)
            words += unit.words
    return texts or [article.text[:1000] or "-"]


def lead_vector(article: Article, encode: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
    """The article's direction: the normalized sum of the embeddings of its :func:`lead_texts`.
    One encoder call per article, on purpose: the int8 encoder quantizes per call, so texts encoded
    beside other articles' came out up to 0.06 different per dimension and grouping lost F1
    0.002-0.005 on ECB+, for a gain of 1.3-1.8x on the encoding (300 ECB+ articles, no cache)."""
    total = encode(lead_texts(article)).sum(axis=0)
    return total / max(float(np.linalg.norm(total)), 1e-9)


def listing(text: str) -> bool:
    """A bare list of names or tags ("Northwind, Maria Lopez, Madrid, ransomware."), not a
    sentence: three items or more, nearly all of one to three words and no function word. It says nothing about what
    happened, yet embeds close to any story naming the same: a page that puts one over unrelated
    text scored 0.47 against that story with it, under 0.3 without. "Attackers hit France,
    Germany, Italy and Spain on Monday" is a sentence (two of its three items are longer)."""
    from .text import FUNCTION_WORDS

    parts = [p.split() for p in re.split(r"[,;|\n•·]+", text.strip().rstrip(".")) if p.strip()]

    def item(words: list[str]) -> bool:  # "Maria Lopez", "Bank of Spain"; not "the report said"
        return len(words) <= 3 and not any(w.lower() in FUNCTION_WORDS - {"and", "of"} for w in words)

    return len(parts) >= 3 and sum(item(p) for p in parts) >= 0.8 * len(parts)


def entity_counts(article: Article) -> dict[str, float]:
    return {entity_key(e.canonical or e.text): float(e.count) for e in article.entities if e.label != "CVE"}


def cves_of(article: Article) -> frozenset[str]:
    """The CVE ids the article is about: those tagged, else those in its title."""
    tagged = {e.text.upper() for e in article.entities if e.label == "CVE"}
    return frozenset(tagged | {m.upper() for m in _CVE.findall(article.title or "")})


def items_of(
    articles: Sequence[Article], encode: Callable[[Sequence[str]], np.ndarray], when: Sequence[str]
) -> list[Item]:
    """Grouping items of extracted, entity-tagged articles (``when``: each one's time)."""
    vectors = [lead_vector(a, encode) for a in articles]
    return [
        Item(
            a.content_hash, w, vectors[i], entity_counts(a), cves_of(a),
            _host(a.url),
        )
        for i, (a, w) in enumerate(zip(articles, when, strict=True))
    ]  # fmt: skip


def group(items: Sequence[Item], idf: Callable[[str], float], options: Options | None = None) -> list[int]:
    """Story number of each item (0, 1, … in order of first appearance), grouped in time order."""
    grouper = Grouper(idf, options)
    order = sorted(range(len(items)), key=lambda i: (items[i].when, items[i].key))
    label: dict[int, int] = {}
    index: dict[int, int] = {}
    for i in order:
        story, _ = grouper.add(items[i])
        label[i] = index.setdefault(id(story), len(index))
    return [label[i] for i in range(len(items))]


def bcubed(pred: Sequence[Any], gold: Sequence[Any]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels (Bagga & Baldwin 1998)."""
    by_pred: dict[Any, set[int]] = {}
    by_gold: dict[Any, set[int]] = {}
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        by_pred.setdefault(p, set()).add(i)
        by_gold.setdefault(g, set()).add(i)
    n = len(gold) or 1
    precision = sum(len(by_pred[p] & by_gold[g]) / len(by_pred[p]) for p, g in zip(pred, gold, strict=True)) / n
    recall = sum(len(by_pred[p] & by_gold[g]) / len(by_gold[g]) for p, g in zip(pred, gold, strict=True)) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "stories": len(by_pred), "gold_stories": len(by_gold)}


# ---------------------------------------------------------------- one brief per story


@dataclass(slots=True)
class Source:
    """One article of a story, as the brief names it."""

    title: str | None
    url: str | None
    host: str | None
    date: str | None
    article_id: int | None = None
    copy_of: int | None = None  # index of the source it copies word for word (not a corroboration)
    name: str | None = None  # the site's name as its page gives it (trafilatura's ``sitename``)

    @classmethod
    def of(cls, article: Article, article_id: int | None = None) -> Source:
        return cls(article.title, article.url, _host(article.url), article.date, article_id, name=article.sitename)

    @property
    def label(self) -> str:
        """How a brief names the source for a reader: the site's name beside its registrable
        domain ("Northwind Daily (127.0.0.1)", "BBC News (bbc.co.uk)": pages on one host are told
        apart, and a page calling itself "BBC News" on evil.example still shows where it is), the
        domain alone when the page names none or names its domain, else the page's title."""
        where = site(self.host) or self.host
        name = " ".join((self.name or "").split())[:MAX_SITE_NAME]
        plain = name.lower().removeprefix("www.").split(":")[0]
        if not name or (where and plain in {where, self.host, (self.host or "").removeprefix("www.")}):
            return where or self.title or "source"
        return f"{name} ({where})" if where else name

    @property
    def short(self) -> str:
        """The source named in passing (a disagreement's "who"): the site's name, else its domain."""
        return " ".join((self.name or "").split())[:MAX_SITE_NAME] or site(self.host) or self.host or "source"

    def as_dict(self) -> dict[str, Any]:
        from .policy import public_url

        return {"title": self.title, "url": public_url(self.url), "host": self.host, "date": self.date,
                "article_id": self.article_id, "copy_of": self.copy_of, "name": self.name}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Source:
        return cls(d.get("title"), d.get("url"), d.get("host"), d.get("date"), d.get("article_id"), d.get("copy_of"),
                   d.get("name"))  # fmt: skip


@dataclass(slots=True)
class StorySentence:
    text: str
    # (source index, start, end): the sentences of the sources' texts that support it
    support: list[tuple[int, int, int]] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)  # sources that say it (support + their near copies)
    corroborated: bool = False  # said by two or more independent sources

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "support": [list(s) for s in self.support], "sources": self.sources,
                "corroborated": self.corroborated}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StorySentence:
        support = [(int(i), int(a), int(b)) for i, a, b in d.get("support") or []]
        return cls(str(d["text"]), support, [int(i) for i in d.get("sources") or []], bool(d.get("corroborated")))


@dataclass(slots=True)
class StoryBrief:
    title: str | None
    date: str | None
    sources: list[Source]
    tldr: list[StorySentence]
    summary: list[list[StorySentence]]
    reading_minutes: int = 1
    update: bool = False  # the story had articles in an earlier run
    story_id: int | None = None
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # {what, values: {value: [source]}}
    model: dict[str, str] = field(default_factory=dict)
    gated: list[dict[str, Any]] = field(default_factory=list)
    failure: PipelineError | None = None  # its own brief failed: it shows its first article's
    hashes: list[str] = field(default_factory=list)  # content hashes of this run's articles in it

    @property
    def url(self) -> str | None:
        return self.sources[0].url if self.sources else None

    @property
    def tldr_text(self) -> str:
        return " ".join(s.text for s in self.tldr)

    @property
    def summary_paragraphs(self) -> list[str]:
        return [" ".join(s.text for s in p) for p in self.summary]

    @property
    def independent(self) -> int:
        """Independent voices among the sources: a copy speaks with its original's, and the
        pages of one site with one voice (:func:`voices`)."""
        return len(set(voices(self.sources)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "story_id": self.story_id, "title": self.title, "date": self.date, "update": self.update,
            "reading_minutes": self.reading_minutes, "sources": [s.as_dict() for s in self.sources],
            "tldr": self.tldr_text, "summary": self.summary_paragraphs,
            "sentences": {"tldr": [s.as_dict() for s in self.tldr],
                          "summary": [[s.as_dict() for s in p] for p in self.summary]},
            "disagreements": self.disagreements, "model": self.model, "gated": self.gated,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StoryBrief:
        """The inverse of :meth:`as_dict` (``from_dict(b.as_dict()).as_dict() == b.as_dict()``);
        a damaged dict raises KeyError, TypeError or ValueError."""
        sentences = d.get("sentences") or {}
        return cls(
            d.get("title"), d.get("date"), [Source.from_dict(s) for s in d.get("sources") or []],
            [StorySentence.from_dict(s) for s in sentences.get("tldr") or []],
            [[StorySentence.from_dict(s) for s in p] for p in sentences.get("summary") or []],
            int(d.get("reading_minutes") or 1), bool(d.get("update")), d.get("story_id"),
            list(d.get("disagreements") or []), dict(d.get("model") or {}), list(d.get("gated") or []),
        )  # fmt: skip


MAX_SITE_NAME = 60  # characters of a site's name a brief shows
COPY_SHARE = 0.8  # an article telling this share of its sentences as another does (or nearly) copies it
COPY_WORDS = 0.6  # share of their words (of both) two sentences have when one is the other edited
MAX_SOURCE_SENTENCES = 80  # sentences taken from each source into the story's text


@dataclass(frozen=True, slots=True)
class _Dispute:
    source: int  # the source telling a piece otherwise
    how: Difference
    agrees: int | None  # the piece its telling agrees with (in other words), if any
    unit: int  # which of its source's units tells it
    text: str  # that unit's text


def _same_telling(a: str, b: str) -> bool:
    """Two sentences (already found to tell one fact) tell it the same way: lightly retold, no
    figure, negation, name or hedge differs; freely retold, no figure clashes."""
    from .claims import differ, figures_clash, words_shared

    if figures_clash(a, b) is not None:
        return False
    return words_shared(a, b) < LIGHTLY or differ(a, b, strict=False) is None


def _tellings(p: _Piece, pieces: Sequence[_Piece]) -> list[tuple[_Dispute, set[int]]]:
    """The disputes of a piece grouped by how they tell it (two that differ on nothing tell it one
    way, however they word it): one dispute of each group, and the sources telling it so."""
    out: list[tuple[_Dispute, set[int]]] = []
    for d in p.disputed:
        if d.source == p.source or d.source in p.also:
            continue  # a source telling it both ways counts two things ("14 October", "20 October")
        backing = [] if d.agrees is None else [pieces[d.agrees].source, *pieces[d.agrees].also]
        same = next((told for first, told in out if _same_telling(first.text, d.text)), None)
        if same is None:
            out.append((d, same := set()))
        same.update([d.source, *backing])
    return out


@dataclass(slots=True)
class _Piece:
    start: int  # in the story text
    end: int
    source: int
    span: tuple[int, int]  # in the source's text
    also: set[int] = field(default_factory=set)  # other sources that say it too
    told: dict[int, str] = field(default_factory=dict)  # … and the sentence each says it with
    # sources telling it nearly the same but for a figure, a name, a negation…
    disputed: list[_Dispute] = field(default_factory=list)

    def say(self, source: int, text: str) -> None:
        """``source`` says it too, in ``text``."""
        self.also.add(source)
        self.told.setdefault(source, text)


def site(host: str | None) -> str | None:
    """The registrable domain of a host (``news.bbc.co.uk`` -> ``bbc.co.uk``, from the public
    suffix list the ``tld`` package ships): two pages of one outlet are one voice. A host the list
    does not know (``a.example``, ``localhost``) keeps its last two labels; an IP address is its
    own site."""
    if not host:
        return None
    import ipaddress

    from tld import get_fld

    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    found = get_fld(host, fail_silently=True, fix_protocol=True)
    return found if isinstance(found, str) else ".".join(host.split(".")[-2:])


def voices(sources: Sequence[Source]) -> list[int]:
    """For each source, the voice it speaks with (a number): a copy speaks with its original's,
    and sources of one site with one voice. Corroboration is two voices or more."""
    parent = list(range(len(sources)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, s in enumerate(sources):
        if s.copy_of is not None and 0 <= s.copy_of < len(sources):
            parent[root(i)] = root(s.copy_of)
        where = site(s.host)
        if where is not None:
            parent[root(i)] = root(first.setdefault(where, i))
    return [root(i) for i in range(len(sources))]


@dataclass(slots=True)
class _Read:
    """What a story's text is built from: each source's reading units, their paragraphs, and the
    embeddings of those a brief could show (None: compared word for word only)."""

    split: list[list[Any]]
    sentences: list[list[Unit]]
    vectors: list[list[np.ndarray | None]]


def _read(articles: Sequence[Article], encode: Callable[[Sequence[str]], np.ndarray] | None) -> _Read:
    from .text import reading_units, split_sentences

    # reading units, not bare sentences: a quotation of several sentences stays whole with its
    # speaker (no half quote in a story's text), and these are the texts fast mode encoded
    split = [split_sentences(a.text) for a in articles]
    sentences = [[u for u in reading_units(a.text) if u.last < MAX_SOURCE_SENTENCES] for a in articles]
    # embeddings for the sentences a brief could show (the ones fast mode encoded for each
    # article's own brief, so a digest reuses them); the others are compared word for word
    vectors: list[list[np.ndarray | None]] = [[None] * len(sents) for sents in sentences]
    if encode is not None:
        shown = [(i, j) for i, sents in enumerate(sentences) for j, s in enumerate(sents) if _candidate(s)]
        flat = encode([sentences[i][j].text for i, j in shown]) if shown else np.zeros((0, 384))
        for (i, j), v in zip(shown, flat, strict=True):
            vectors[i][j] = v
    return _Read(split, sentences, vectors)


def _copies(sentences: Sequence[Sequence[Any]], order: Sequence[int]) -> dict[int, int]:
    """Source -> the source it copies: most of its own sentences (two at least) are that source's,
    word for word or nearly ("1.2 million" for "12 million" is still a copy, with a disagreement),
    the earlier of the two in ``order`` being the original. A short wire item whose sentence a
    longer report starts with is not a copy of the report, nor the report of it."""
    from .text import word_set

    words = [[word_set(u.text) for u in sents] for sents in sentences]

    def told(w: frozenset[str], theirs: list[frozenset[str]]) -> bool:
        # the same sentence but for a few words: one name of two words changed in a sentence of
        # twelve still shares 70% of them (a repeat within a story's text needs 80%, see Said)
        return bool(w) and any(len(w & t) >= COPY_WORDS * len(w | t) for t in theirs)

    out: dict[int, int] = {}
    for k, i in enumerate(order):
        mine = words[i]
        for j in order[:k]:
            if j in out or not mine:
                continue
            shared = sum(1 for w in mine if told(w, words[j]))
            if shared >= max(2, COPY_SHARE * len(mine)):
                out[i] = j
                break
    return out


# sentence-embedding cosine (MiniLM) at which two sources' sentences say the same thing: measured
# on ECB+ story briefs, a fact told again in other words scored 0.72-0.74 ("A Mafia boss ... hanged
# himself in jail" / "... found dead, hanging in his ... prison cell"), different facts of one story
# 0.22-0.59; at 0.8 three of 20 briefs said their TLDR again in the summary
PARAPHRASE = 0.7
LIGHTLY = 0.5  # share of their words a sentence retold lightly has with the other (read word by word)


def _build(
    read: _Read, order: Sequence[int], max_chars: int
) -> tuple[str, list[_Piece]]:  # fmt: skip
    """The story's text, the sources taken in ``order``: the first whole, then what each other
    one adds. A sentence another source said already, word for word, nearly, or in other words
    (COPY_WORDS of their words, or embedding cosine PARAPHRASE) is not repeated: it counts as
    said by that source too, unless the two differ on a figure, a name, a negation…
    (:func:`claims.differ`): then it is a dispute of the piece (the text tells it once, the reader
    is shown both), and a free retelling with a clashing figure is neither."""
    from .claims import differ, figures_clash, words_shared
    from .text import Said, word_set

    split, sentences, vectors = read.split, read.sentences, read.vectors
    pieces: list[_Piece] = []
    texts: list[str] = []
    words: list[frozenset[str]] = []  # the words of each piece
    kept: list[np.ndarray | None] = []  # the embedding of each piece (None: compared word for word)
    paragraphs: list[str] = []
    offset = 0
    parts: list[str] = []  # the sentences of the paragraph being built
    said = Said()  # the text of each piece

    def close() -> None:
        nonlocal offset
        if parts:
            paragraphs.append(" ".join(parts))
            offset += len(paragraphs[-1]) + 1
            parts.clear()

    for i in order:
        close()
        para = -1  # the source paragraph of the last piece taken
        for j, s in enumerate(sentences[i]):
            found = said.find(s.text)
            if found is not None and pieces[found].source == i:
                continue  # the source says it twice
            how = differ(texts[found], s.text) if found is not None else None
            if found is not None and how is None:
                pieces[found].say(i, s.text)
                continue
            if found is None:  # retold lightly (most words the same), whatever the embeddings say
                mine_words = word_set(s.text)
                overlap = [
                    (len(mine_words & w) / len(mine_words | w), k)
                    for k, w in enumerate(words) if pieces[k].source != i and mine_words | w
                ]  # fmt: skip
                share, k = max(overlap, default=(0.0, -1))
                if share >= COPY_WORDS:  # retold lightly: its other words differ anyway
                    how = figures_clash(texts[k], s.text) or differ(texts[k], s.text, strict=False)
                    if how is None:
                        pieces[k].say(i, s.text)
                        continue
                    found = k
            mine = vectors[i][j]
            agree = None  # the piece it tells in other words, with the same figures, names, negations
            others = [k for k, p in enumerate(pieces) if p.source != i and kept[k] is not None and k != found]
            if mine is not None and others:
                sims = np.stack([v for k in others if (v := kept[k]) is not None]) @ mine
                best = int(np.argmax(sims))
                k = others[best]
                if sims[best] >= PARAPHRASE:
                    clash = figures_clash(texts[k], s.text)
                    light = words_shared(texts[k], s.text) >= LIGHTLY
                    other = clash or differ(texts[k], s.text, strict=False) if light else None
                    if other is None and clash is None:
                        agree = k
                    elif other is not None and found is None:  # retold lightly with another figure, name…
                        found, how = k, other
                    elif found is None:
                        continue  # retold freely with other figures: neither says the other's fact
            if agree is not None:
                pieces[agree].say(i, s.text)
            if found is not None and how is not None:  # the piece, but for what matters: a dispute
                if all(d.source != i for d in pieces[found].disputed):
                    pieces[found].disputed.append(_Dispute(i, how, agree, j, s.text))
                continue  # the story's text tells it once; the reader is shown both tellings
            if agree is not None:
                continue
            if split[i][s.first].paragraph != para:
                close()  # the source's paragraphs stay paragraphs: a dateline line is not glued to a sentence
            para = split[i][s.first].paragraph
            start = offset + sum(len(x) + 1 for x in parts)
            if start + len(s.text) + 1 > max_chars:
                break
            pieces.append(_Piece(start, start + len(s.text), i, (s.start, s.end)))
            said.add(s.text)
            texts.append(s.text)
            words.append(word_set(s.text))
            kept.append(mine)
            parts.append(s.text)
    close()
    # a telling disputed before the source it agrees with was read: look for that one now (the
    # count of voices on each side must not hang on the order the sources were read in)
    for p in pieces:
        for k, d in enumerate(p.disputed):
            mine = vectors[d.source][d.unit]
            others = [q for q, o in enumerate(pieces) if o.source != d.source and o is not p and kept[q] is not None]
            if d.agrees is not None or mine is None or not others:
                continue
            sims = np.stack([v for q in others if (v := kept[q]) is not None]) @ mine
            best = int(np.argmax(sims))
            if sims[best] >= PARAPHRASE and _same_telling(texts[others[best]], d.text):
                pieces[others[best]].say(d.source, d.text)
                p.disputed[k] = replace(d, agrees=others[best])
    return "\n".join(paragraphs), pieces


def _outvoted(pieces: Sequence[_Piece], voice: Sequence[int], rank: Sequence[int]) -> list[int]:
    """For each source, how many of its sentences a dispute finds told otherwise by more voices,
    or, as many voices on each side, told otherwise by a source newsbrief saw before it (``rank``:
    each source's place in that order): a tie goes to what was there first, never to the
    telling that arrives later, nor to a page's own date."""
    n = len(rank)
    out = [0] * n
    for p in pieces:
        if not p.disputed:
            continue
        for first, told in _tellings(p, pieces):
            # a source whose sentence fits both tellings (a free retelling that gives neither
            # figure) backs neither: it was counted for whichever telling was read first
            mine = {voice[p.source]} | {voice[i] for i in p.also if not _same_telling(p.told[i], first.text)}
            theirs = {voice[i] for i in told}
            mine_first = min(rank[i] for i in {p.source, *p.also})
            theirs_first = min(rank[i] for i in told)
            if (len(theirs - mine), mine_first) > (len(mine - theirs), theirs_first):
                for i in {p.source, *p.also}:
                    out[i] += 1
            else:
                for i in told:
                    out[i] += 1
    return out


def story_text(
    articles: Sequence[Article], max_chars: int, encode: Callable[[Sequence[str]], np.ndarray] | None = None,
    sources: Sequence[Source] | None = None,
) -> tuple[str, list[_Piece], list[int | None], list[int], int | None]:  # fmt: skip
    """One text from all the sources (:func:`_build`), led by the source the others bear out.

    The sources are taken in the caller's order (by when newsbrief first saw them, never by a
    page's own date), except that a copy never leads, nor a source a dispute finds outvoted, nor
    one no other voice bears out in any sentence when another is: an outlet that copies a report,
    changes one figure and dates its page earlier does not write the story, nor does a page that
    adds its own claims to a story's names. Of two near copies, the copy is the one outvoted on
    what they differ on, else the later.
    Returns the text, where each of its sentences comes from, each source's original if it is a
    copy, the order the sources were taken in (the first is the lead), and the piece telling the
    story's newest development, if any (:func:`_development`). Indexes are the caller's."""
    n = len(articles)
    sources = list(sources) if sources is not None else [Source.of(a) for a in articles]
    read = _read(articles, encode)
    base = list(range(n))
    # of two near copies the one newsbrief saw first is the original (unless outvoted, below):
    # the index's order when the sources are in it, else the caller's (an update's new report,
    # listed first, is not the original of what the index had)
    seen = sorted(base, key=lambda i: (sources[i].article_id is None, sources[i].article_id or 0, i))
    copies = _copies(read.sentences, seen)
    text, pieces = _build(read, base, max_chars)

    def voice_of(copies: dict[int, int]) -> list[int]:
        return voices([replace(s, copy_of=copies.get(i)) for i, s in enumerate(sources)])

    rank = [seen.index(i) for i in base]
    outvoted = _outvoted(pieces, voice_of(copies), rank)
    for i, j in list(copies.items()):  # decided by content: the original is the one borne out
        if outvoted[j] > outvoted[i] and i not in copies.values():
            del copies[i]
            copies = {k: (i if v == j else v) for k, v in copies.items()}
            copies[j] = i
    voice = voice_of(copies)
    confirmed = [False] * n  # another voice says something it says
    for p in pieces:
        said = {p.source, *p.also}
        if len({voice[i] for i in said}) >= 2:
            for i in said:
                confirmed[i] = True
    # a source no other voice bears out leads only a story where none is borne out: a page that
    # tells a story's names with claims of its own (dated first, or seen first) does not write it
    order = sorted(base, key=lambda i: (i in copies, outvoted[i] > 0, any(confirmed) and not confirmed[i], i))
    if order != base:
        text, pieces = _build(read, order, max_chars)
    newest = seen[-1]
    # its news may lead as its text could: no copy, not outvoted, borne out where others are, and
    # telling something the others tell (else nothing shows it reports this story at all)
    retells = any(newest in {p.source, *p.also} and p.also for p in pieces)
    may_lead = newest not in copies and not outvoted[newest] and (confirmed[newest] or not any(confirmed))
    news = _development(read, pieces, newest) if may_lead and retells and newest != order[0] else None
    return text, pieces, [copies.get(i) for i in base], order, news


def _development(read: _Read, pieces: Sequence[_Piece], newest: int) -> int | None:
    """The piece of the story's text telling its newest development: the opening sentence of the
    report newsbrief saw last (the index's order, never a page's date), when no other source says
    it or tells it otherwise. A report of a development opens with it ("Northwind restored its
    systems on Wednesday"); one that opens with what the others told is a retelling, whatever
    details it adds. The caller checks that the report may lead at all."""
    from .claims import words_shared

    j, opening = next(((j, u) for j, u in enumerate(read.sentences[newest]) if _candidate(u)), (-1, None))
    if opening is None:
        return None
    mine = read.vectors[newest][j]
    for i, units in enumerate(read.sentences):  # any source's sentence, not only the story text's
        for u, v in zip(units, read.vectors[i], strict=True):  # wording: a retelling of a retelling
            if i != newest and (
                words_shared(u.text, opening.text) >= LIGHTLY
                or (mine is not None and v is not None and float(v @ mine) >= PARAPHRASE)
            ):
                return None  # told before, in words of its own
    for k, p in enumerate(pieces):
        if p.source == newest and p.span == (opening.start, opening.end):
            return k if not p.also and not p.disputed else None
    return None  # said before it (or the text ended before it)


def _candidate(unit: Unit) -> bool:
    """A unit fast mode could show, and so encoded for its article's brief (its candidates)."""
    from .summarizers.extractive import candidate

    return candidate(unit)


_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?![\w.]*\d)")


_UNIT = re.compile(r"\s*([A-Za-z%]+)")
_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
_MONTH_BEFORE = re.compile(rf"\b{_MONTHS}\s*$")
_MONTH_AFTER = re.compile(rf"\s*(?:of\s+)?{_MONTHS}(?![A-Za-z])")


@dataclass(frozen=True, slots=True)
class _Number:
    """What a number in a sentence is a number of."""

    before: list[str]  # the up to 3 content words before it, nearest first
    unit: str  # the word after it ("" for a function word)
    names: frozenset[str]  # capitalized words just before it: whose number it is ("Gary Gomes, 35")


def _numbers(text: str) -> dict[str, _Number]:
    """number -> what it is a number of ("CVSS score of 9.8": before ["score", "cvss"])."""
    from .text import FUNCTION_WORDS

    out = {}
    for m in _NUMBER.finditer(text):
        day = m.group(1).isdigit() and 1 <= int(m.group(1)) <= 31
        if day and (
            _MONTH_BEFORE.search(text[max(0, m.start() - 12) : m.start()]) or _MONTH_AFTER.match(text, m.end())
        ):
            continue  # a day of the month: reports of one story give the dates of its turns
        near = re.findall(r"[A-Za-z]+", text[max(0, m.start() - 40) : m.start()])
        unit = _UNIT.match(text, m.end())
        after = unit.group(1).lower() if unit else ""
        out[m.group(1)] = _Number(
            [w.lower() for w in reversed(near) if w.lower() not in FUNCTION_WORDS][:3],
            "" if after in FUNCTION_WORDS else after,
            frozenset(w.lower() for w in near if w[0].isupper() and w.lower() not in FUNCTION_WORDS),
        )
    return out


def _kind(value: str, unit: str) -> tuple[bool, str]:
    """Numbers are compared only with their kind: a year with a year, "41 years" with "N years"."""
    return (bool(re.fullmatch(r"1[89]\d\d|20\d\d", value)), unit)


# share of the content words two sentences share when they state the same (of each one);
# at a third of the claim's, 9 of 10 ECB+ stories with a "disagreement" were two statements
# (an age at death and an age years before, two victims' ages, two teams' offers)
SAME_CLAIM = 0.5


def _content(text: str) -> set[str]:
    from .text import FUNCTION_WORDS

    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in FUNCTION_WORDS and len(w) > 2}


def disagreements(
    articles: Sequence[Article], sources: Sequence[Source], claims: Sequence[str], disputed: set[int] | None = None
) -> list[dict[str, Any]]:  # fmt: skip
    """Numbers the sources give differently for the same thing. For each number of the brief: in
    each source, the sentences that state the same claim (half the content words of each share
    the other's) and put a number of the same kind right after one of the same words ("CVSS 9.8" here,
    "CVSS 9.1" there), not after another name ("Catherine Gomes, 61" / "Gary Gomes, 35" are two
    people). It is a disagreement when one independent source gives the brief's number and
    another gives only a different one (a source giving both is counting two things, not
    disagreeing; a copy repeats its original). A false flag misleads more than a missed one.
    The claims a disagreement is about are added to ``disputed`` (their indexes)."""
    from .text import split_sentences

    per_source = [
        [(_numbers(s.text), _content(s.text)) for s in split_sentences(a.text)[:MAX_SOURCE_SENTENCES]] for a in articles
    ]
    found: dict[tuple[str, frozenset[str]], dict[str, list[int]]] = {}
    for number, claim in enumerate(claims):
        about = _content(claim)
        for value, mine in _numbers(claim).items():
            given: dict[int, set[str]] = {}  # source -> the values it gives for this
            named: dict[int, str] = {}  # source -> the word it puts before them
            for i, sents in enumerate(per_source):
                if sources[i].copy_of is not None:
                    continue
                for nums, theirs_about in sents:
                    if len(about & theirs_about) < SAME_CLAIM * max(len(about), len(theirs_about)):
                        continue  # another statement: its numbers are about something else
                    for v, theirs in nums.items():
                        shared = [w for w in mine.before[:2] if w in theirs.before[:2]]
                        # or nothing before either and the same thing counted after: "In May 300 workers"
                        counted = mine.unit and not mine.before and not theirs.before
                        other_names = (mine.names - theirs.names) and (theirs.names - mine.names)
                        same = (shared or counted) and _kind(v, theirs.unit) == _kind(value, mine.unit)
                        if same and not other_names:
                            given.setdefault(i, set()).add(v)
                            # what the number counts ("people"), else its words in the text's order ("cvss score")
                            named.setdefault(i, theirs.unit or " ".join(reversed(shared)))
            agree = [i for i, vs in given.items() if vs == {value}]
            differ = [i for i, vs in given.items() if value not in vs]
            what = named[differ[0]] if differ else ""
            if agree and differ:
                values: dict[str, list[int]] = {value: agree}
                for i in differ:
                    for v in sorted(given[i]):
                        values.setdefault(v, []).append(i)
                # one entry per quantity: "killed 20 people" and "injured 150 people" are two, and
                # the brief saying 9.8 (one source) and 9.1 (the other) is one
                found.setdefault((what, frozenset(values)), values)
                if disputed is not None:  # the claims a disagreement is about (``disputed``)
                    disputed.add(number)
    return [{"what": w, "values": v} for (w, _), v in found.items()]


@dataclass(slots=True)
class Draft:
    """A story before its brief is written: the text the summarizer reads and where it came from."""

    articles: list[Article]
    sources: list[Source]
    union: Article  # what the summarizer reads: the article itself when the story has one
    pieces: list[_Piece] | None  # where each sentence of the union comes from (None: one article)
    news: int | None = None  # the piece telling the story's newest development (it leads the TLDR)


def draft(
    articles: Sequence[Article], sources: Sequence[Source] | None = None, max_chars: int = 120_000,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None, *, words_per_minute: int,
) -> Draft:  # fmt: skip
    """The text a story's brief is written from: one article's own text, or :func:`story_text`
    of several (and which source copies which). Its "N min read" is that text's, at
    ``words_per_minute``, as an article's is its own text's."""
    from dataclasses import replace

    from .extract import reading_minutes

    sources = list(sources) if sources is not None else [
        Source.of(a) for a in articles
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
    articles: Sequence[Article], summarizer: Any, sources: Sequence[Source] | None = None,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None, *, words_per_minute: int,
) -> StoryBrief:  # fmt: skip
    """One brief for a story from all its articles, written by ``summarizer`` (any mode): it reads
    the story's text, so the gate and the relation check hold each sentence against the union of
    the sources. ``summarizer=None``: a single article's own brief, as it is."""
    from .summarizers.base import apply

    d = draft(articles, sources, encode=encode, words_per_minute=words_per_minute)
    if summarizer is not None:
        apply(summarizer, [d.union])
    return finish(d)


def _host(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname if url else None


# ---------------------------------------------------------------- stories in the index


@dataclass(slots=True)
class Grouped:
    """A story touched by a run: its state and the articles it took in this run."""

    story: Story
    new: list[tuple[int, Article, float]]  # (article id, article, score)


def assign(
    store: Any, stored: Sequence[tuple[int, str, Article]], encode: Callable[[Sequence[str]], np.ndarray],
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
    articles: Sequence[Article], store: Any, encode: Callable[[Sequence[str]], np.ndarray],
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
        d = draft([a for _, a in chosen], [Source.of(a, aid) for aid, a in chosen],
                  encode=encode, words_per_minute=words_per_minute)  # fmt: skip
        d.sources += [Source.of(a, aid) for aid, a in mine[MAX_STORY_SOURCES:]]
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
