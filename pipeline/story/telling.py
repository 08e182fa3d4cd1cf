"""The story's text: one text from all of a story's sources, each sentence told once and
credited to every source that says it, led by the source the others bear out.

A sentence another source said already (word for word, nearly, or in other words) counts as said
by that source too; one told nearly the same but for a figure, a name, a negation or a hedge is a
dispute of the sentence (:mod:`.claims` reads the two word by word), shown to the reader with
both tellings. A copy speaks with its original's voice, and the pages of one site with one voice
(:func:`~pipeline.document.voices`), and so does a rewrite (a report retold sentence by sentence,
in its order, in other words): where it tells something else in its original's place, the two
sentences are a dispute. A copy, an outvoted source or one no other voice bears out never leads,
whatever date its page gives itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..document import Article, StorySource, voices
from ..text import Unit
from .claims import Difference
from .grouping import _candidate

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


def sides(x: str, y: str, z: str) -> int:
    """Which of two tellings of one fact a third, freely worded sentence bears out: 1 for ``x``
    when ``z`` has a word only ``x`` has and none only ``y`` has, -1 the other way, 0 when it has
    neither's or both's. Words match by stem (their first five letters); negations and hedges
    count, other function words do not. Only what ``z`` says counts: lacking a "not" backs nothing."""
    from .claims import marked_words

    only_x, only_y = marked_words(x) - marked_words(y), marked_words(y) - marked_words(x)
    said = marked_words(z)
    has_x, has_y = bool(only_x & said), bool(only_y & said)
    return 1 if has_x and not has_y else -1 if has_y and not has_x else 0


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
    text: str = ""  # the sentence as the source tells it

    def say(self, source: int, text: str) -> None:
        """``source`` says it too, in ``text``."""
        self.also.add(source)
        self.told.setdefault(source, text)


@dataclass(slots=True)
class _Read:
    """What a story's text is built from: each source's reading units, their paragraphs, and the
    embeddings of those a brief could show (None: compared word for word only)."""

    split: list[list[Any]]
    sentences: list[list[Unit]]
    vectors: list[list[np.ndarray | None]]


def _read(articles: Sequence[Article], encode: Callable[[Sequence[str]], np.ndarray] | None) -> _Read:
    from ..text import reading_units, split_sentences

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


def _matches(read: _Read, i: int, j: int) -> list[int | None]:
    """For each unit of source ``i``, the unit of source ``j`` that tells it: word for word or
    nearly (COPY_WORDS of their words), else in other words (embedding cosine PARAPHRASE); None
    where no unit of ``j`` does."""
    from ..text import word_set

    theirs = [word_set(u.text) for u in read.sentences[j]]
    shown = [k for k, x in enumerate(read.vectors[j]) if x is not None]
    matrix = np.stack([x for x in read.vectors[j] if x is not None]) if shown else None
    out: list[int | None] = []
    for u, v in zip(read.sentences[i], read.vectors[i], strict=True):
        w = word_set(u.text)
        shares = [len(w & t) / len(w | t) if w | t else 0.0 for t in theirs]
        k = max(range(len(shares)), key=shares.__getitem__, default=-1)
        if k >= 0 and w and shares[k] >= COPY_WORDS:
            out.append(k)
        elif v is not None and matrix is not None and float((sims := matrix @ v).max()) >= PARAPHRASE:
            out.append(shown[int(np.argmax(sims))])
        else:
            out.append(None)
    return out


def _in_order(matched: Sequence[int | None]) -> int:
    """How many of the matched units keep the order of what they match (the longest run of
    them, not necessarily adjacent, whose matches rise)."""
    tails: list[int] = []  # patience sorting: the least last match of a rising run of each length
    for k in matched:
        if k is None:
            continue
        at = bisect.bisect_left(tails, k)
        tails[at : at + 1] = [k]
    return len(tails)


def _copies(read: _Read, order: Sequence[int]) -> dict[int, int]:
    """Source -> the source it copies, the earlier of the two in ``order`` being the original:
    most of its own sentences (two at least) are that source's word for word or nearly ("1.2
    million" for "12 million" is still a copy, with a disagreement), or it retells that source
    sentence by sentence (three at least, in that source's order, in other words or not): a
    report rewritten by another outlet is no more independent than one copied. A short wire item
    whose sentence a longer report starts with is not a copy of the report, nor the report of it."""
    out: dict[int, int] = {}
    for k, i in enumerate(order):
        n = len(read.sentences[i])
        for j in order[:k]:
            if j in out or not n:
                continue
            if _word_copy(read, i, j) or _in_order(_matches(read, i, j)) >= max(3, COPY_SHARE * n):
                out[i] = j
                break
    return out


def _word_copy(read: _Read, i: int, j: int) -> bool:
    """Most of source ``i``'s sentences (two at least) are source ``j``'s word for word or nearly:
    one name of two words changed in a sentence of twelve still shares 70% of them (a repeat
    within a story's text needs 80%, see Said)."""
    from ..text import word_set

    mine, theirs = [word_set(u.text) for u in read.sentences[i]], [word_set(u.text) for u in read.sentences[j]]
    shared = sum(1 for w in mine if w and any(len(w & t) >= COPY_WORDS * len(w | t) for t in theirs))
    return bool(mine) and shared >= max(2, COPY_SHARE * len(mine))


def _edits(read: _Read, copies: dict[int, int]) -> dict[tuple[int, int], tuple[int, int]]:
    """Between a copy and its original, the sentences each tells in a place where the other tells
    something else: (source, unit) -> (the other source, its unit), both ways. A unit neither
    matches, between two that match (or at an end that matches), facing the one unit of the other
    between their matches, is where one outlet changed what the other said ("got in with a
    zero-day flaw" where the report it retells says "entered through a stolen password")."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for c, o in copies.items():
        mine, theirs = _matches(read, c, o), _matches(read, o, c)
        for j, k in enumerate(mine):
            if k is not None:
                continue
            before = -1 if j == 0 else mine[j - 1]
            after = len(theirs) if j == len(mine) - 1 else mine[j + 1]
            if before is None or after is None or after - before != 2:
                continue
            u = before + 1
            if u < len(theirs) and theirs[u] is None:
                out[(c, j)], out[(o, u)] = (o, u), (c, j)
    return out


# sentence-embedding cosine (MiniLM) at which two sources' sentences say the same thing: measured
# on ECB+ story briefs, a fact told again in other words scored 0.72-0.74 ("A Mafia boss ... hanged
# himself in jail" / "... found dead, hanging in his ... prison cell"), different facts of one story
# 0.22-0.59; at 0.8 three of 20 briefs said their TLDR again in the summary
PARAPHRASE = 0.7
LIGHTLY = 0.5  # share of their words a sentence retold lightly has with the other (read word by word)


def _build(
    read: _Read, order: Sequence[int], max_chars: int, copies: dict[int, int] | None = None
) -> tuple[str, list[_Piece]]:  # fmt: skip
    """The story's text, the sources taken in ``order``: the first whole, then what each other
    one adds. A sentence another source said already, word for word, nearly, or in other words
    (COPY_WORDS of their words, or embedding cosine PARAPHRASE) is not repeated: it counts as
    said by that source too, unless the two differ on a figure, a name, a negation…
    (:func:`claims.differ`): then it is a dispute of the piece (the text tells it once, the reader
    is shown both), and a free retelling with a clashing figure is neither. Between a copy and
    what it copies word for word (``copies``: copy -> original) every differing sentence is an
    edit, read as strictly as a near repeat: a copy's "a zero-day flaw" for "a stolen password" is a
    dispute; between a rewrite and its original, so is the sentence each tells in the place where
    the other tells another (:func:`_edits`)."""
    from ..text import Said, word_set
    from .claims import differ, figures_clash, words_shared

    split, sentences, vectors = read.split, read.sentences, read.vectors
    pieces: list[_Piece] = []
    texts: list[str] = []
    words: list[frozenset[str]] = []  # the words of each piece
    kept: list[np.ndarray | None] = []  # the embedding of each piece (None: compared word for word)
    paragraphs: list[str] = []
    offset = 0
    parts: list[str] = []  # the sentences of the paragraph being built
    said = Said()  # the text of each piece
    # sources one of which copies the other word for word (not one retelling it in words of its own)
    edited = {frozenset(pair) for pair in (copies or {}).items() if _word_copy(read, *pair)}
    slots = _edits(read, copies or {})  # where a copy tells something else than its original
    spans = [[(u.start, u.end) for u in units] for units in sentences]

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
                    strict = frozenset((pieces[k].source, i)) in edited
                    how = figures_clash(texts[k], s.text) or differ(texts[k], s.text, strict=strict)
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
            slot = slots.get((i, j))
            edited_piece = next(
                (q for q in pieces if slot and q.source == slot[0] and q.span == spans[slot[0]][slot[1]]), None
            )
            if edited_piece is not None:  # a copy telling something else where its original tells this
                if all(d.source != i for d in edited_piece.disputed):
                    edited_piece.disputed.append(
                        _Dispute(i, Difference("account", edited_piece.text, s.text), None, j, s.text)
                    )
                continue
            if split[i][s.first].paragraph != para:
                close()  # the source's paragraphs stay paragraphs: a dateline line is not glued to a sentence
            para = split[i][s.first].paragraph
            start = offset + sum(len(x) + 1 for x in parts)
            if start + len(s.text) + 1 > max_chars:
                break
            pieces.append(_Piece(start, start + len(s.text), i, (s.start, s.end), text=s.text))
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


def _outvoted(
    pieces: Sequence[_Piece], voice: Sequence[int], rank: Sequence[int], tied: list[bool] | None = None
) -> list[int]:
    """For each source, how many of its sentences a dispute finds told otherwise by more voices,
    or, as many voices on each side, told otherwise by a source newsbrief saw before it (``rank``:
    each source's place in that order): a tie goes to what was there first, never to the
    telling that arrives later, nor to a page's own date. ``tied``, when given, is set for every
    source on either side of a dispute as many voices tell each way: nothing decides it."""
    n = len(rank)
    out = [0] * n
    for p in pieces:
        if not p.disputed:
            continue
        for first, told in _tellings(p, pieces):
            # a source whose sentence fits both tellings (a free retelling that gives neither
            # figure) backs neither, unless it has words one telling has and the other lacks (the
            # "alleged" of one, the "arrested" for the other's "questioned"): it was counted for
            # whichever telling was read first
            mine, theirs = {voice[p.source]}, {voice[i] for i in told}
            for i in p.also:
                side = 1 if not _same_telling(p.told[i], first.text) else sides(p.text, first.text, p.told[i])
                if side > 0:
                    mine.add(voice[i])
                elif side < 0:
                    theirs.add(voice[i])
            mine_first = min(rank[i] for i in {p.source, *p.also})
            theirs_first = min(rank[i] for i in told)
            if tied is not None and len(theirs - mine) == len(mine - theirs):
                for i in {p.source, *p.also, *told}:
                    tied[i] = True
            if (len(theirs - mine), mine_first) > (len(mine - theirs), theirs_first):
                for i in {p.source, *p.also}:
                    out[i] += 1
            else:
                for i in told:
                    out[i] += 1
    return out


def story_text(
    articles: Sequence[Article], max_chars: int, encode: Callable[[Sequence[str]], np.ndarray] | None = None,
    sources: Sequence[StorySource] | None = None,
) -> tuple[str, list[_Piece], list[int | None], list[int], int | None]:  # fmt: skip
    """One text from all the sources (:func:`_build`), led by the source the others bear out.

    The sources are taken in the caller's order (by when newsbrief first saw them, never by a
    page's own date), except that a copy never leads, nor a source a dispute finds outvoted, nor
    one no other voice bears out in any sentence when another is, nor one in a dispute nothing
    decides while a source no one disputes is borne out: an outlet that copies a report,
    changes one figure and dates its page earlier does not write the story, nor does a page that
    adds its own claims to a story's names. Of two near copies, the copy is the one outvoted on
    what they differ on, else the later.
    Returns the text, where each of its sentences comes from, each source's original if it is a
    copy, the order the sources were taken in (the first is the lead), and the piece telling the
    story's newest development, if any (:func:`_development`). Indexes are the caller's."""
    n = len(articles)
    sources = list(sources) if sources is not None else [StorySource.of(a) for a in articles]
    read = _read(articles, encode)
    base = list(range(n))
    # of two near copies the one newsbrief saw first is the original (unless outvoted, below):
    # the index's order when the sources are in it, else the caller's (an update's new report,
    # listed first, is not the original of what the index had)
    seen = sorted(base, key=lambda i: (sources[i].article_id is None, sources[i].article_id or 0, i))
    copies = _copies(read, seen)
    text, pieces = _build(read, base, max_chars, copies)

    def voice_of(copies: dict[int, int]) -> list[int]:
        return voices([replace(s, copy_of=copies.get(i)) for i, s in enumerate(sources)])

    rank = [seen.index(i) for i in base]
    tied = [False] * n  # on a side of a dispute nothing decides (as many voices each way)
    outvoted = _outvoted(pieces, voice_of(copies), rank, tied)
    for i, j in list(copies.items()):  # decided by content: the original is the one borne out
        if outvoted[j] > outvoted[i] and i not in copies.values():
            del copies[i]
            copies = {k: (i if v == j else v) for k, v in copies.items()}
            copies[j] = i
    voice = voice_of(copies)  # the same voices as above: a copy and its original are one either way
    confirmed = [False] * n  # another voice says something it says
    for p in pieces:
        said = {p.source, *p.also}
        if len({voice[i] for i in said}) >= 2:
            for i in said:
                confirmed[i] = True
    # a source no other voice bears out leads only a story where none is borne out: a page that
    # tells a story's names with claims of its own (dated first, or seen first) does not write it
    # nor, where another source is borne out and contested by no one, one whose telling another
    # voice contradicts with nothing to decide between them: first seen is no proof (an altered
    # copy seen first), so the story is told by a source no one disputes
    order = sorted(base, key=lambda i: (i in copies, outvoted[i] > 0, any(confirmed) and not confirmed[i], tied[i], i))
    if order != base:
        text, pieces = _build(read, order, max_chars, copies)
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
