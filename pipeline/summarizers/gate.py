"""Faithfulness gate and provenance for generated summaries (any generative backend).

A generated sentence makes *claims*: names (runs of capitalised words, acronyms), numbers and
identifiers (CVE-…). Each claim must be found in the source text. A sentence with unsupported
claims first loses the parenthetical that holds them ("ECCG (European Cloud Security Group)" →
"ECCG"); if claims remain, it is replaced by the source sentence that best supports it. Every
decision is recorded so the JSON output can show what was gated.

Provenance: each output sentence points at the source sentence(s) that share most of its content
words, as character offsets into ``Article.text``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..document import Article, SummarySentence
from ..text import Sentence, split_sentences, take_words
from .base import SummaryResult, paragraphs_of

_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])\d(?:[\d,.]*\d)?(?!\w)")
# a run of capitalised words ("European Cybersecurity Certification Group", "SecNumCloud", "EU-US")
_NAME = re.compile(r"\b[A-Z][\w’'&-]*(?:\s+(?:of|for|and|the|de|du|des)?\s*[A-Z][\w’'&-]*)*")
_WORD = re.compile(r"[a-z0-9]+")
_PAREN = re.compile(r"\s*\([^()]*\)")
_SPELLED = "zero one two three four five six seven eight nine ten eleven twelve".split()
_STOP = frozenset(
    "a an the and or but of to in on at for by with from as is are was were be been has have had it its "
    "this that these those will would can could may might not no also than then there their they he she "
    "we you i his her our your into over under about after before while which who what when where".split()
)


def _openers() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | _STOP


_OPENERS = _openers()  # function words that open sentences capitalised without being names


@dataclass(slots=True)
class Source:
    """The article text prepared for fast claim lookups."""

    text: str
    lowered: str  # whitespace-normalised, lower case, possessives dropped
    numbers: frozenset[str]
    sentences: list[Sentence]
    bags: list[frozenset[str]]  # content words per sentence
    vocab: frozenset[str]  # content words of the whole text

    @classmethod
    def of(cls, text: str) -> Source:
        sentences = split_sentences(text)
        numbers = {n.replace(",", "") for n in _NUMBER.findall(text)}
        lowered = _norm(text)
        numbers |= {str(i) for i, w in enumerate(_SPELLED) if re.search(rf"\b{w}\b", lowered)}
        bags = [content_words(s.text) for s in sentences]
        return cls(text, lowered, frozenset(numbers), sentences, bags, frozenset().union(*bags))


def _norm(text: str) -> str:
    """Lower case, possessives dropped, punctuation (but not in-word hyphens) turned into spaces."""
    text = re.sub(r"[’']s\b", "", text)
    text = re.sub(r"[^\w\s-]|(?<!\w)-|-(?!\w)", " ", text)
    return " " + " ".join(text.lower().split()) + " "


def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1)


def claims(sentence: str) -> list[tuple[str, bool]]:
    """The checkable claims of a sentence: identifiers, numbers, names; with "opens the sentence"."""
    out = [(m.group(0), False) for m in _CVE.finditer(sentence)]
    rest = _CVE.sub(" ", sentence)
    out += [(n, False) for n in _NUMBER.findall(rest)]
    first = len(rest) - len(rest.lstrip(" \"'“(*"))
    for m in _NAME.finditer(re.sub(r"[’']s\b", "", rest)):
        out.append((m.group(0).strip(), m.start() == first))
    return out


def _in_text(piece: str, src: Source) -> bool:
    """Found in the source with the same capitalisation (a name, not a common word)."""
    return re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", src.text) is not None


def _name_supported(name: str, src: Source, opens_sentence: bool) -> bool:
    words = name.split()
    # a capitalised sentence opener that is an ordinary word ("Officials", "The") is not a name
    if opens_sentence and len(words) > 1 and f" {words[0].lower()} " in src.lowered:
        words = words[1:]
    elif opens_sentence and len(words) == 1:
        return words[0].lower() in _OPENERS or f" {_norm(name).strip()} " in src.lowered
    if f" {_norm(' '.join(words)).strip()} " in src.lowered:
        return True
    # else it must split into names that each occur, capitalised, in the source ("Tuesday France");
    # an invented compound ("European Cloud Security Group") does not.
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            if _in_text(" ".join(words[i:j]), src):
                break
        else:
            return False
        i = j
    return True


def unsupported(sentence: str, src: Source) -> list[str]:
    bad = []
    for claim, opens in claims(sentence):
        if claim[:1].isdigit():
            ok = claim.replace(",", "").rstrip(".") in src.numbers
        elif _CVE.fullmatch(claim):
            ok = claim.lower() in src.lowered
        else:
            ok = _name_supported(claim, src, opens)
        if not ok:
            bad.append(claim)
    return bad


def support(sentence: str, src: Source, used: set[int] | None = None) -> list[int]:
    """Indices of the 1-2 source sentences that cover most of the sentence's content words."""
    want = content_words(sentence)
    if not want or not src.sentences:
        return []
    scored = sorted(
        range(len(src.sentences)),
        key=lambda i: (len(want & src.bags[i]) / len(want), i not in (used or ()), -i),
        reverse=True,
    )
    best = scored[0]
    if not want & src.bags[best]:
        return []
    picked = [best]
    left = want - src.bags[best]
    if left:
        second = max(scored[1:], key=lambda i: len(left & src.bags[i]), default=None)
        if second is not None and len(left & src.bags[second]) >= max(2, 0.2 * len(want)):
            picked.append(second)
    return sorted(picked)


MIN_GROUNDING = 0.5  # share of a sentence's content words that must occur in the source
# A failing sentence is replaced by its support sentence only when that is a readable sentence:
# 96% of the dev articles' sentences have at most 50 words; the longer "sentences" are mostly
# unsplit runs of photo captions ("Sale: Actor ... Cabinets: A pair of ... Portrait: ..."), which
# put 200-word blocks of caption text into summaries. Such a sentence is dropped instead.
FALLBACK_MAX_WORDS = 50


def problems(sentence: str, src: Source) -> list[str]:
    """Unsupported claims, plus a note when most content words are foreign to the article."""
    bad = unsupported(sentence, src)
    words = content_words(sentence)
    if len(words & src.vocab) < MIN_GROUNDING * len(words):
        bad.append("(most of its words are not in the article)")
    return bad


def check(sentence: str, src: Source, used: set[int], gated: list[dict[str, object]]) -> SummarySentence | None:
    """Gate one generated sentence; returns the sentence to keep (possibly a source fallback)."""
    text = sentence.strip()
    words = content_words(text)
    if len(words) < 3:  # a fragment, a label or generation debris
        gated.append({"text": text, "unsupported": [], "action": "dropped"})
        return None
    bad = problems(text, src)
    if bad:
        trimmed = _PAREN.sub(lambda m: "" if unsupported(m.group(0), src) else m.group(0), text)
        trimmed = re.sub(r"\s+([,.;:])", r"\1", trimmed).strip()
        still = problems(trimmed, src)
        if not still and len(content_words(trimmed)) >= 3:
            gated.append({"text": text, "unsupported": bad, "action": "removed", "kept": trimmed})
            text, bad = trimmed, []
    if bad:
        idx = support(text, src, used)
        if not idx:
            gated.append({"text": text, "unsupported": bad, "action": "dropped"})
            return None
        first = src.sentences[idx[0]]
        if first.words > FALLBACK_MAX_WORDS:
            gated.append({"text": text, "unsupported": bad, "action": "dropped (support sentence too long)"})
            return None
        gated.append({"text": text, "unsupported": bad, "action": "replaced", "kept": first.text})
        used.add(first.index)
        return _quote(first)
    idx = support(text, src)
    used.update(idx)
    return SummarySentence(text, [(src.sentences[i].start, src.sentences[i].end) for i in idx])


def finalize(
    article: Article,
    tldr: Sequence[str],
    paragraphs: Sequence[Sequence[str]],
    coverage: float,
    src: Source | None = None,
    max_tldr_sentences: int = 2,
    relations: Any = None,
) -> SummaryResult:
    """Gate generated TLDR sentences and paragraphs against the article; attach provenance.

    With ``relations`` (a :class:`~pipeline.relations.Verifier`), every generated sentence that
    passed the gate is also checked against its own support sentences (names, numbers, negation,
    who did what); a failing one is replaced by its support sentence, recorded in ``gated``."""
    src = src or Source.of(article.text)
    gated: list[dict[str, object]] = []
    used: set[int] = set()
    tldr_out = [s for s in (check(t, src, used, gated) for t in tldr[:max_tldr_sentences]) if s]
    used = set()
    paras: list[list[SummarySentence]] = []
    seen: set[str] = set()
    for para in paragraphs:
        kept = []
        for sent in para:
            out = check(sent, src, used, gated)
            if out and out.text not in seen:  # a fallback never repeats a sentence already used
                seen.add(out.text)
                kept.append(out)
        if kept:
            paras.append(kept)
    if relations is not None:
        replaced = {str(g.get("kept")) for g in gated}
        drop = _check_relations(article.text, [s for s in tldr_out if s.text not in replaced], relations, gated)
        drop |= _check_relations(
            article.text, [s for p in paras for s in p if s.text not in replaced], relations, gated
        )
        tldr_out = [s for s in tldr_out if id(s) not in drop]
        seen = set()
        for p in paras:  # a replacement never repeats a sentence the summary already has
            p[:] = [s for s in p if id(s) not in drop and not (s.text in seen or seen.add(s.text))]  # type: ignore[func-returns-value]
        paras = [p for p in paras if p]
    if not tldr_out and src.sentences:  # nothing usable: the lead sentence is the honest TLDR
        tldr_out = [_quote(x) for x in _readable(src)[:1]]
        gated.append({"text": " ".join(tldr), "unsupported": [], "action": "empty, used lead sentence"})
    if not paras and src.sentences:  # everything gated: the lead is the honest fallback
        paras = [[_quote(x) for x in _lead(src, words=80)]]
        gated.append({"text": "", "unsupported": [], "action": "summary empty after the gate, used lead sentences"})
    if len(paras) == 1 and len(paras[0]) > 1:  # the summary has 2-3 paragraphs
        paras = paragraphs_of(paras[0])
    return SummaryResult(tldr_out, paras, coverage, gated)


# the gate already requires every name and number to be in the article and most content words;
# here only the relation errors act: a name or date absent from the one support sentence is often
# a true fusion of two sentences or coreference (36% of human highlights), so it is not used
RELATION_REASONS = frozenset({"number", "negation", "roles"})


def _check_relations(
    text: str, sentences: list[SummarySentence], relations: Any, gated: list[dict[str, Any]]
) -> set[int]:
    """Replace each sentence with a relation error by its support sentence, in place; returns the
    ids of the sentences to drop instead (their support sentence is too long to read as one)."""
    drop: set[int] = set()
    for sent, v in zip(sentences, relations.check(text, [s.text for s in sentences]), strict=True):
        if v.supported or v.reason not in RELATION_REASONS or not v.sources:
            continue
        start, end = v.sources[0]
        kept = " ".join(text[start:end].split())
        why = [f"{v.reason}: {v.detail}"]
        if len(kept.split()) > FALLBACK_MAX_WORDS:
            gated.append({"text": sent.text, "unsupported": why, "action": "dropped (support sentence too long)"})
            drop.add(id(sent))
            continue
        gated.append({"text": sent.text, "unsupported": why, "action": "replaced", "kept": kept})
        sent.text, sent.support = kept, [(start, end)]
    return drop


def _quote(x: Sentence) -> SummarySentence:
    """An article sentence used as is, with itself as provenance."""
    return SummarySentence(x.text, [(x.start, x.end)])


def _readable(src: Source) -> list[Sentence]:
    """The article's sentences a summary may quote: not run-ons (the first one if none is)."""
    return [x for x in src.sentences if x.words <= FALLBACK_MAX_WORDS] or src.sentences[:1]


def _lead(src: Source, words: int) -> list[Sentence]:
    return take_words(_readable(src), words, lambda s: s.words)


def sentences_of(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]
