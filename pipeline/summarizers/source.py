"""The article as the gate and the support check read it: its sentences, their content words,
and which source sentences a brief sentence comes from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import FUNCTION_WORDS, Sentence, Unit, split_sentences, units

NUMBER = re.compile(r"(?<![\w.])\d(?:[\d,.]*\d)?(?!\w)")
_WORD = re.compile(r"[a-z0-9]+")
_SPELLED = "zero one two three four five six seven eight nine ten eleven twelve".split()


@dataclass(slots=True)
class Source:
    """The article text prepared for fast claim lookups."""

    text: str
    searchable: str  # the text, plus its sentences as split (furniture glued to a name cut off)
    lowered: str  # whitespace-normalised, lower case, possessives dropped
    numbers: frozenset[str]
    sentences: list[Sentence]
    bags: list[frozenset[str]]  # content words per sentence
    vocab: frozenset[str]  # content words of the whole text
    units: list[Unit]  # what a brief may quote: sentences, or a quotation with its speaker
    unit_of: list[int]  # sentence index -> index of its unit
    # the page's headline: the publisher's own words, so a name, a number or a word of it is on
    # the page (the writer is shown it), though never a sentence a brief may quote
    headline: str = ""

    @classmethod
    def of(cls, text: str, headline: str = "") -> Source:
        sentences = split_sentences(text)
        # "Copy this linkAvon and Somerset Police closed…": the name is in the article, but only
        # the split sentence shows it as a word
        glued = [
            s.text for s in sentences if s.start and text[s.start - 1].isalnum() or s.text != text[s.start : s.end]
        ]
        searchable = "\n".join([text, *glued, *([headline] if headline else [])])
        numbers = {n.replace(",", "") for n in NUMBER.findall(searchable)}
        lowered = normalized(searchable)
        numbers |= {str(i) for i, w in enumerate(_SPELLED) if re.search(rf"\b{w}\b", lowered)}
        bags = [content_words(s.text) for s in sentences]
        whole = units(text, sentences)
        unit_of = [0] * len(sentences)
        for k, u in enumerate(whole):
            for i in range(u.first, u.last + 1):
                unit_of[i] = k
        vocab = frozenset().union(*bags)
        return cls(text, searchable, lowered, frozenset(numbers), sentences, bags, vocab, whole, unit_of, headline)

    def at(self, start: int) -> int | None:
        """The index of the sentence that starts at ``start`` (a relation verdict's source)."""
        return next((s.index for s in self.sentences if s.start == start), None)

    def quotable(self, sentence: int) -> Unit | None:
        """The unit a fallback would paste for this source sentence, or None when a reader must
        not see it as it is (a caption, a run-on, half a quote, a quote without its speaker)."""
        u = self.units[self.unit_of[sentence]]
        return u if u.problem is None else None


def normalized(text: str) -> str:
    """Lower case, possessives dropped, punctuation (but not in-word hyphens) turned into spaces."""
    text = re.sub(r"[’']s\b", "", text)
    text = re.sub(r"[^\w\s-]|(?<!\w)-|-(?!\w)", " ", text)
    return " " + " ".join(text.lower().split()) + " "


def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in FUNCTION_WORDS and len(w) > 1)


def support(sentence: str, src: Source, used: set[int] | None = None) -> list[int]:
    """Indices of the 1-2 source sentences that cover most of the sentence's content words."""
    want = content_words(sentence)
    scored = ranked(want, src, used)
    if not scored:
        return []
    best = scored[0]
    picked = [best]
    left = want - src.bags[best]
    if left:
        second = max(scored[1:], key=lambda i: len(left & src.bags[i]), default=None)
        if second is not None and len(left & src.bags[second]) >= max(2, 0.2 * len(want)):
            picked.append(second)
    return sorted(picked)


def ranked(want: frozenset[str], src: Source, used: set[int] | None = None) -> list[int]:
    """Source sentences by how many of the words ``want`` they have (one not ``used`` before on
    a tie, then the first); empty when none has any."""
    if not want or not src.sentences:
        return []
    scored = sorted(
        range(len(src.sentences)),
        key=lambda i: (len(want & src.bags[i]) / len(want), i not in (used or ()), -i),
        reverse=True,
    )
    return scored if want & src.bags[scored[0]] else []
