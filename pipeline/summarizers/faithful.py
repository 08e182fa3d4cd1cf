"""Does the article say what a brief sentence says? The meaning-level support check.

The name/number gate asks whether each name and number occurs *somewhere* in the article; the
relation check whether a sentence's parse contradicts its support. Neither sees the writer's
commonest errors, read sentence by sentence on 60 quality briefs of dev articles (330 sentences,
labelled by hand, ``bench/data/faithfulness-labels.jsonl``): a draw written as a win, a jail term
for a man not yet sentenced, "in response to" objections the plan was approved despite, the
father's "stable condition" given to his sons. Two facts about those errors make them catchable
without a model:

* **every one sat in a sentence the writer reworded**: none of the 208 sentences copied or cut
  from the article (most of their words in runs of four or more article words) had one;
* **a reworded error says something its support does not**: words the one or two article
  sentences it comes from do not have ("won", "oldest", "sentenced", "jail", "response"), or it
  joins two article sentences into one claim the article never makes.

So a sentence is *supported* when it is copied or cut (``COPIED``), or reworded with all but a
small share (``NOVEL``) of its content words in the one article sentence it is most written from.
Else it is *not found*: "invented", with the words its one or two support sentences lack, or
"joins" when those words are in a second sentence it fuses with the first into one claim. A
:class:`~pipeline.relations.Verifier` verdict (roles, negation, number, attribution, speaker)
makes it *contradicted*. On the labelled set: 23 of 26 fact errors flagged, 29 of 287 correct
sentences (10.1%), 0 copied ones; with TLDRs on stronger evidence (NOVEL_ALONE) 18 of 26 and 7.3%;
its score, the share of content words the best support sentence lacks, correlates with FRANK's
human factuality at 0.39 (partial, system controlled), ahead of FactCC (0.21) and BERTScore-P (0.20). What it
misses: a wrong word that *is* in the support ("The family is in stable condition" where only
the father is), a number moved to another thing in the same sentence, a quote's speaker dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..lang import ENGLISH
from ..relations import Verdict
from .source import Source, content_words, support

# The thresholds, picked on the labelled briefs (2 parameters, 330 sentences; the FRANK split and
# the after-change briefs are the held-out checks): a sentence with at least COPIED of its words
# in runs of GRAM words found in the article is copied or cut; a reworded one may have up to
# NOVEL of its content words missing from its support (an inflection, a pronoun made a name).
GRAM = 4
COPIED = 0.8
NOVEL = 0.15
# A TLDR is replaced only on stronger evidence (a quarter of its words, not a join): the writer's
# one-line TLDR is its most reworded sentence, and a false alarm there puts a long article
# sentence in the headline's place (on the labelled TLDRs: 9 of 14 errors, 4 of 44 correct ones; 14 and 12 at NOVEL).
NOVEL_ALONE = 0.25
# the relation check's reasons that mean the article says otherwise (a name the support does not
# have: "entity"); "speaker" (a quote shown without who said it) is a reader defect, reported as such
CONTRADICTS = frozenset({"number", "negation", "roles", "attribution", "entity", "modality", "quantity", "name"})
_TOKEN = re.compile(r"\w+(?:[-']\w+)*")
_SUFFIX = re.compile(ENGLISH.suffixes)  # a crude English stemmer (pipeline/lang/en.py)
_UNCUT = ENGLISH.uncut
_UNCUT_TAIL = ENGLISH.uncut_tail
_ORDERS = frozenset({"a", "first", "second", "third", "fourth", "fifth"})  # "a" counts one only before a scale
_COUNTS = {w: n for w, n in ENGLISH.number_words.items() if w not in _ORDERS}


@dataclass(slots=True)
class Judgement:
    """The verdict on one brief sentence against its article."""

    sentence: str
    verdict: str  # supported | contradicted | not_found | defect
    reason: str | None = None  # not_found: invented | joins; contradicted: the relation check's reason
    detail: str = ""  # the words its support lacks, the two sentences it joins, the swapped pair…
    support: list[int] = field(default_factory=list)  # source sentence indices, best first
    copied: float = 0.0  # share of its words in article runs of GRAM words
    novel: float = 0.0  # share of its content words its best support sentence lacks: the score

    @property
    def supported(self) -> bool:
        """What it says is in the article (a reader defect is about how it is shown)."""
        return self.verdict in ("supported", "defect")

    def why(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else str(self.reason)

    def counts_kept(self, text: str) -> list[str]:
        """The counts among the words this "invented" verdict found ("two", "12") that ``text``
        still says, as a word or in digits: told that "two" was wrong, a rewrite that says "two"
        or "2" again has not put it right. Only counts: another word it was told of may be right
        where it stands in the new sentence ("earn a 1-1 draw" after "earn a win")."""
        if self.reason != "invented" or not self.detail:
            return []
        told = {v for w in self.detail.split(", ") if (v := _count(w)) is not None}
        return [w for w in _TOKEN.findall(text.lower()) if _count(w) in told] if told else []


def _count(word: str) -> int | None:
    """How many a word counts ("two", "12"); None for any other word ("first" is an order, "000"
    the end of "1,000")."""
    if word.isdigit():
        return int(word) if word[0] != "0" or word == "0" else None
    return _COUNTS.get(word)


def _aligned(words: list[str], theirs: list[str]) -> list[int] | None:
    """Where ``words`` are found in order in ``theirs`` (their positions), over the shortest
    stretch of it: "the man was arrested" in "police said the man was arrested" lost a lead-in,
    not "police said the" from its middle. None when they are not all there in order."""
    best: list[int] | None = None
    for start in (k for k, w in enumerate(theirs) if words and w == words[0]):
        at, k = [start], start + 1
        for w in words[1:]:
            while k < len(theirs) and theirs[k] != w:
                k += 1
            if k == len(theirs):
                break
            at.append(k)
            k += 1
        if len(at) == len(words) and (best is None or at[-1] - at[0] < best[-1] - best[0]):
            best = at
    return best


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("’", "'").lower())


def _stem(word: str) -> str:
    return _SUFFIX.sub("", word)


class Grams:
    """The article's runs of GRAM words, built once an article."""

    def __init__(self, src: Source) -> None:
        words = _tokens(src.text)
        self.grams = {tuple(words[i : i + GRAM]) for i in range(len(words) - GRAM + 1)}

    def cut(self, sentence: str, src: Source, sentences: list[int]) -> bool:
        """Every word of ``sentence``, in order, is a word of one of the article's ``sentences``:
        it is that sentence, or that sentence with words cut (never one with a word changed, nor
        one that lost from its middle a word that makes the rest a fact or a whole: "said",
        "not", "may", "the bulk of": ``_UNCUT``; nor one that lost "but" and what it leads in,
        from its middle or in the first two words of its tail: ``_UNCUT_TAIL``)."""
        words = _tokens(sentence)
        for i in sentences:
            theirs = _tokens(src.sentences[i].text)
            at = _aligned(words, theirs)
            if at is None:
                continue
            lost = {theirs[k] for k in range(at[0], at[-1]) if k not in at}
            if not (_UNCUT | _UNCUT_TAIL) & lost and not _UNCUT_TAIL.intersection(theirs[at[-1] + 1 : at[-1] + 3]):
                return True
        return False

    def copied(self, sentence: str) -> float:
        words = _tokens(sentence)
        if len(words) < GRAM:
            return 1.0
        covered = [False] * len(words)
        for i in range(len(words) - GRAM + 1):
            if tuple(words[i : i + GRAM]) in self.grams:
                covered[i : i + GRAM] = [True] * GRAM
        return sum(covered) / len(words)


def judge(
    sentence: str, src: Source, grams: Grams | None = None, relation: Any = None, alone: bool = False,
    headline: bool = False,
) -> Judgement:  # fmt: skip
    """The verdict on ``sentence`` against the article ``src``; ``relation``: the relation check's
    verdict for it, when that ran; ``alone``: a TLDR (see NOVEL_ALONE), which may use the
    headline's words; ``headline``: only that."""
    grams = grams or Grams(src)
    words = content_words(sentence)
    ranked = sorted(support(sentence, src), key=lambda i: -len(words & src.bags[i]))
    copied = grams.copied(sentence)
    best = {_stem(w) for i in ranked[:1] for w in src.bags[i]}
    both = best | {_stem(w) for i in ranked[1:] for w in src.bags[i]}
    if alone or headline:  # a TLDR may tell the news in the headline's words
        heads = {_stem(w) for w in content_words(src.headline)}
        both |= heads
        if headline:  # ... as its best support sentence does
            best |= heads
    beyond_best = [w for w in words if _stem(w) not in best]
    missing = sorted(w for w in words if _stem(w) not in both)
    share = len(beyond_best) / max(1, len(words))
    j = Judgement(sentence, "supported", support=ranked, copied=round(copied, 3), novel=round(share, 3))
    if relation is not None and not relation.supported:
        # the relation check's contradictions hold for any sentence that is not an article
        # sentence or one cut from it (one name swapped in a copied sentence is still wrong);
        # "speaker" is a reader defect of the sentence as shown, its facts supported
        if relation.reason in CONTRADICTS and not (copied >= 1 or grams.cut(sentence, src, ranked[:1])):
            j.verdict, j.reason, j.detail = "contradicted", relation.reason, relation.detail or ""
            return j
        if relation.reason == "speaker":
            j.verdict, j.reason, j.detail = "defect", "speaker", relation.detail or ""
            return j
    if copied >= COPIED:
        return j  # copied or cut: the article's own words
    if alone:  # a TLDR may join two sentences; it is flagged on words neither has
        if len(missing) / max(1, len(words)) >= NOVEL_ALONE:
            j.verdict, j.reason, j.detail = "not_found", "invented", ", ".join(missing)
    elif share >= NOVEL:
        j.verdict = "not_found"
        if len(missing) / max(1, len(words)) >= NOVEL:
            j.reason, j.detail = "invented", ", ".join(missing)
        else:  # its words are in the article, in two sentences it makes one claim of
            j.reason, j.detail = "joins", "two article sentences made one claim"
    return j


def judged(text: str, verdicts: Iterable[Verdict], headline: str = "") -> Iterator[Verdict]:
    """The relation check's verdicts, read again by the support check
    (:func:`judge`): a sentence copied word for word from the article is supported; another is
    contradicted (roles, negation, number, attribution, a name not in its support), not found
    (words its support lacks, two sentences joined) or a reader defect (a quote without its
    speaker). Each verdict keeps the relation check's own findings as detail. ``headline``: the
    page's, whose names and numbers are the page's too."""
    src = grams = None
    for v in verdicts:
        if src is None:
            src = Source.of(text, headline)
            grams = Grams(src)
        j = judge(v.sentence, src, grams, relation=v)
        spans = [(src.sentences[i].start, src.sentences[i].end) for i in sorted(j.support)] or v.sources
        yield Verdict(v.sentence, j.supported, j.reason, j.detail or None, spans, j.verdict)
