"""Grouping: the articles of a night (and of the index's recent days) put in stories by what they report.

An article is read as a :class:`~pipeline.document.GroupItem`: a unit MiniLM embedding of its
title and lead (the first ``LEAD_WORDS`` words), its named entities (canonical keys, counted) and
its CVE ids. It joins the active story it scores best against, or starts one:

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
from dataclasses import dataclass

import numpy as np

from ..document import Article, GroupItem, Story, url_host
from ..text import CVE_ID, Unit
from ..text import key as entity_key

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

    def add(self, item: GroupItem) -> tuple[Story, float]:
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

    def _join(self, story: Story, item: GroupItem) -> None:
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

    def _candidates(self, item: GroupItem) -> list[int]:
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

    def _best(self, item: GroupItem) -> tuple[Story | None, float]:
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


def _key_cves(item: GroupItem) -> frozenset[str]:
    return item.cves if 0 < len(item.cves) <= MAX_KEY_CVES else frozenset()


def idf_from(df: dict[str, int], n: int) -> Callable[[str], float]:
    """Smoothed inverse document frequency over ``n`` articles (an unknown key counts as rare)."""
    return lambda k: math.log((n + 1) / (df.get(k, 0) + 1)) + 1.0


def lead_texts(article: Article) -> list[str]:
    """What is embedded of an article for grouping: its title and its first units (sentences, or
    whole quotations) a brief could show, up to LEAD_WORDS words. Fast mode encodes those same
    units for the article's own brief, so a digest reuses them: encoding the lead as one text
    instead scored B-cubed F1 0.878 against 0.865 on ECB+'s held-out topics, but tripled what
    stories add to a fast digest's time (34% against 16%, bench "story_digest")."""
    from ..text import reading_units, split_sentences, units

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
    from ..text import FUNCTION_WORDS

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
) -> list[GroupItem]:
    """Grouping items of extracted, entity-tagged articles (``when``: each one's time)."""
    vectors = [lead_vector(a, encode) for a in articles]
    return [
        GroupItem(
            a.content_hash, w, vectors[i], entity_counts(a), cves_of(a),
            url_host(a.url),
        )
        for i, (a, w) in enumerate(zip(articles, when, strict=True))
    ]  # fmt: skip


def _candidate(unit: Unit) -> bool:
    """A unit fast mode could show, and so encoded for its article's brief (its candidates)."""
    from ..summarizers.extractive import candidate

    return candidate(unit)
