"""Relation-level faithfulness: is each summary sentence supported by the article, as stated?

The gate (``summarizers/gate.py``) guarantees every name, number and CVE of a generated sentence
occurs *somewhere* in the article. That misses the worst errors in security news: the right words
in the wrong relation ("France blocked…" when Germany did, who attacked whom, a negated verb, a
date from another event). Here each sentence is aligned to the article sentence(s) that support
it, and then checked against *them*, not the whole article:

1. **support**: the one or two article sentences covering most of its content words (lemmas);
   too little coverage is ``no_support``;
2. **roles**: for a verb shared with the support, its agent or patient being someone the support
   names in another role, or a name standing where the support has another (passive voice
   normalized) is ``roles``;
3. **negation**: a shared verb negated in one and not the other is ``negation``;
4. **anchors**: every named entity, number and date of the sentence must occur in its support
   (an entity or number from another part of the article is ``entity``/``number``).

Deterministic and fast (spaCy's small English pipeline with its parser); what it cannot catch is
written in the README (paraphrased relations, wrong causality between two supported facts,
coreference across sentences). The planted-error benchmark in ``evaluate.py`` measures it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .settings import Settings
from .text import Sentence, is_speech, quote_marks, split_sentences

_NUM = re.compile(r"\d+(?:[.,]\d+)*")
MIN_COVERAGE = 0.4  # share of a sentence's content lemmas its support must hold
_ANCHOR_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "PRODUCT", "EVENT", "LAW", "FAC", "WORK_OF_ART", "DATE"}


@dataclass(slots=True)
class Verdict:
    sentence: str
    supported: bool
    # no_support | entity | number | negation | roles | attribution | speaker (None when supported)
    reason: str | None = None
    detail: str | None = None  # what exactly: the missing entity, the swapped pair, …
    sources: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of the support

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence,
            "supported": self.supported,
            "reason": None if self.supported else f"{self.reason}: {self.detail}" if self.detail else self.reason,
            "sources": [list(s) for s in self.sources],
        }


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold().replace("’", "'")).strip()


def _letters(text: str) -> str:
    """For matching names across punctuation and spacing: "B.B King" = "B.B. King"."""
    return re.sub(r"[^\w]+", "", text.casefold())


class Verifier:
    """Holds the parser; :meth:`check` verifies sentences against one article."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp

    @classmethod
    def load(cls, settings: Settings) -> Verifier:
        import spacy

        from .errors import ModelError
        from .models import package_dir, resolve

        spec = resolve(settings.ner_model, "ner", settings.models_dir)
        try:
            nlp = spacy.load(package_dir(spec) if spec.path else spec.info.get("module") or spec.name)
        except OSError as exc:
            raise ModelError(f"cannot load spaCy pipeline: {exc}", spec.name) from None
        if "parser" not in nlp.pipe_names:
            raise ModelError("the spaCy pipeline has no parser: relation checks need one", spec.name)
        return cls(nlp)

    def check(self, text: str, sentences: Sequence[str]) -> list[Verdict]:
        """One verdict per sentence, in order."""
        source = split_sentences(text)
        if not sentences:
            return []
        src_docs = list(self.nlp.pipe([s.text for s in source], batch_size=64))
        src_lemmas = [_content(d) for d in src_docs]
        out = []
        for doc in self.nlp.pipe(list(sentences), batch_size=32):
            out.append(self._one(doc, source, src_docs, src_lemmas))
        return out

    def _one(self, doc: Any, source: list[Sentence], src_docs: list[Any], src_lemmas: list[set[str]]) -> Verdict:
        want = _content(doc)
        text = doc.text.strip()
        if not want or not source:
            return Verdict(text, bool(not want and source), None if not want else "no_support")
        scores = [len(want & lem) for lem in src_lemmas]
        best = max(range(len(source)), key=lambda i: (scores[i], -i))
        support = [best]
        rest = want - src_lemmas[best]
        if rest:  # a second sentence may carry the rest (summaries fuse two facts)
            second = max(
                (i for i in range(len(source)) if i != best), key=lambda i: (len(rest & src_lemmas[i]), -abs(i - best)),
                default=None,
            )  # fmt: skip
            # only when it brings real content: a lone name found elsewhere is how swaps sneak in
            if second is not None and len(rest & src_lemmas[second]) >= 2:
                support.append(second)
        support.sort()
        covered = len(want & set().union(*(src_lemmas[i] for i in support))) / len(want)
        spans = [(source[i].start, source[i].end) for i in support]
        if covered < MIN_COVERAGE:
            return Verdict(text, False, "no_support", f"{covered:.0%} of its content words", spans)
        if is_speech(text):  # someone's words in the brief's own voice
            return Verdict(text, False, "speaker", "quoted speech without its speaker", spans)
        sup_text = _norm(" ".join(source[i].text for i in support))
        sup_letters = _letters(sup_text)
        sup_docs = [src_docs[i] for i in support]
        # relations first: "X did it" where the support says Y did is a swap, not just a missing name
        swapped = _swapped_roles(doc, sup_docs)
        if swapped:
            return Verdict(text, False, "roles", swapped, spans)
        flipped = _polarity_flip(doc, sup_docs)
        if flipped:
            return Verdict(text, False, "negation", flipped, spans)
        dropped = _attribution_dropped(doc, sup_docs)
        if dropped:
            return Verdict(text, False, "attribution", dropped, spans)
        for ent in doc.ents:
            if ent.label_ in _ANCHOR_LABELS and _letters(ent.text.removeprefix("the ")) not in sup_letters:
                kind = "number" if ent.label_ == "DATE" and _NUM.search(ent.text) else "entity"
                return Verdict(text, False, kind, ent.text, spans)
        sup_numbers = set(_NUM.findall(sup_text))
        for num in _NUM.findall(doc.text):
            if num not in sup_numbers:
                return Verdict(text, False, "number", num, spans)
        return Verdict(text, True, None, None, spans)


def _content(doc: Any) -> set[str]:
    return {t.lemma_.casefold() for t in doc if t.is_alpha and not t.is_stop and len(t) > 1} | {
        t.text for t in doc if t.like_num
    }


def _negated_verb(tok: Any) -> bool:
    return any(c.dep_ == "neg" or c.lower_ in {"never", "not", "n't"} for c in tok.children)


def _polarity_flip(doc: Any, support: list[Any]) -> str | None:
    """A verb the sentence shares with its support, negated in one and not in the other."""
    theirs: dict[str, set[bool]] = {}
    for d in support:
        for t in d:
            if t.pos_ in {"VERB", "AUX"}:
                theirs.setdefault(t.lemma_.casefold(), set()).add(_negated_verb(t))
    for t in doc:
        if t.pos_ not in {"VERB", "AUX"} or t.lemma_.casefold() not in theirs:
            continue
        mine = _negated_verb(t)
        if mine not in theirs[t.lemma_.casefold()]:
            return f"'{t.text}' is {'negated' if mine else 'affirmed'}, the source says the opposite"
    return None


def _roles(doc: Any, phrases: bool = False) -> list[tuple[str | None, str, str | None]]:
    """(agent, verb lemma, patient) for each verb, passive voice turned active; None = not said.
    With ``phrases`` the roles are the whole phrases (for matching an acronym to its long form)."""
    out = []
    for tok in doc:
        if tok.pos_ not in {"VERB", "AUX"}:
            continue
        subj = next((c for c in tok.children if c.dep_ in {"nsubj", "csubj"}), None)
        obj = next((c for c in tok.children if c.dep_ in {"dobj", "obj"}), None)
        passive = next((c for c in tok.children if c.dep_ in {"nsubjpass", "csubjpass"}), None)
        agent = next((g for c in tok.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"), None)
        if passive is not None:
            subj, obj = agent, passive
        if subj is not None and subj.pos_ == "PRON":
            subj = None  # who "they" are is coreference, not checked here
        if obj is not None and (obj.pos_ not in {"NOUN", "PROPN"} or obj.like_num):
            obj = None  # pronouns and quantities as patients are not checked
        name = _phrase if phrases else _head
        a, p = (name(subj) if subj is not None else None), (name(obj) if obj is not None else None)
        if a or p:
            out.append((a, tok.lemma_.casefold(), p))
    return out


def _phrase(tok: Any) -> str:
    """The whole phrase a role is filled with ("the european … group (eccg)"), to match aliases."""
    words = list(tok.subtree)
    return _norm(" ".join(t.text for t in words) + " | " + " ".join(t.lemma_ for t in words))


def _head(tok: Any) -> str:
    """The name a role is filled with: the whole entity when the token is in one, else its lemma."""
    if tok.ent_type_:
        ent = next((e for e in tok.doc.ents if e.start <= tok.i < e.end), None)
        if ent is not None:
            return _norm(ent.text)
    return tok.lemma_.casefold()


def entity_agent(doc: Any, agent: str, verb: str) -> bool:
    """Is ``agent`` (the subject of ``verb`` in ``doc``) a named entity?"""
    return any(
        t.lemma_.casefold() == verb and c.dep_ in {"nsubj", "nsubjpass"} and c.ent_type_ and _head(c) == agent
        for t in doc
        for c in t.children
    )


# Verbs that report what someone said or thinks. A claim reported with one of the opinion verbs
# (or in the speaker's quoted words) is theirs, not a fact: a brief that drops the speaker states
# it as fact ("Boris Johnson is 'rushing through' the closures", said by a union leader). A plain
# "police said the man was arrested" may lose its "police said" in a brief, as editors do.
_REPORT = frozenset(
    "say tell add claim allege accuse argue insist believe think suggest warn write state explain report announce "
    "deny maintain contend assert predict fear hope feel speculate describe reveal admit confirm tweet post "
    "brand call dismiss condemn criticise criticize slam blast".split()
)
_OPINION = frozenset(
    "claim allege accuse argue insist believe think suggest warn deny maintain contend assert predict fear hope "
    "feel speculate describe brand call dismiss condemn criticise criticize slam blast".split()
)
_ATTRIBUTED = frozenset({"according", "allegedly", "reportedly", "reported", "purportedly", "apparently"})
MIN_REPORTED = 0.6  # share of the sentence's content (found in its support) that is the reported part


def _reported(doc: Any) -> list[tuple[set[int], Any, set[int]]]:
    """(token ids of the reported content, the reporting verb, ids of its quoted words) for each
    report in a source sentence: "X said (that) C", "C, X said", "according to X, C"."""
    out = []
    quoted = {i for a, b in quote_marks(doc.text).spans for i in range(a, b + 1)}
    for tok in doc:
        lemma = tok.lemma_.casefold()
        if lemma == "accord" and any(c.lower_ == "to" for c in tok.children):  # according to X, C
            content = {t.i for t in tok.head.subtree} - {t.i for t in tok.subtree}
        elif tok.pos_ == "VERB" and lemma in _REPORT:
            comp = [c for c in tok.children if c.dep_ in {"ccomp", "xcomp"}]
            if comp:  # X said (that) C
                content = {t.i for c in comp for t in c.subtree}
            elif tok.dep_ in {"parataxis", "ccomp"} and tok.head is not tok:  # C, X said
                content = {t.i for t in tok.head.subtree} - {t.i for t in tok.subtree}
            else:
                continue
        else:
            continue
        out.append((content, tok, {t.i for t in doc if t.i in content and t.idx in quoted}))
    return out


def _attribution_dropped(doc: Any, support: list[Any]) -> str | None:
    """The sentence states as fact what its support attributes to someone: its content is the
    reported part of an opinion ("X claimed C"), or it reuses the speaker's quoted words
    (X said the closures were "rushed" -> "the closures are 'rushed'"), and it names no speaker."""
    if any(t.lemma_.casefold() in _REPORT and t.pos_ == "VERB" or t.lower_ in _ATTRIBUTED for t in doc):
        return None
    mine = _content(doc)
    for sup in support:
        shared = mine & _content(sup)
        if len(shared) < 3:
            continue
        for content, verb, quoted in _reported(sup):
            said = _lemmas(sup, content)
            from_quote = mine & _lemmas(sup, quoted)
            opinion = verb.lemma_.casefold() in _OPINION and len(shared & said) >= max(3, MIN_REPORTED * len(shared))
            # the speaker's quoted words, reused (two of them, or one kept in quote marks)
            quoting = len(from_quote) >= 2 or (from_quote and quote_marks(doc.text).spans)
            if opinion or quoting:
                who = next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass", "pobj"}), None)
                speaker = " ".join(t.text for t in who.subtree) if who is not None else verb.text
                return f"the source attributes it to {speaker} ('{verb.text}')"
    return None


def _lemmas(doc: Any, ids: set[int]) -> set[str]:
    return {t.lemma_.casefold() for t in doc if t.i in ids and t.is_alpha and not t.is_stop and len(t) > 1}


def _shown(phrase: str) -> str:
    return phrase.split(" | ")[0]


def _swapped_roles(doc: Any, support: list[Any]) -> str | None:
    """A verb the support shares whose agent (or patient) in the sentence is someone the support
    names in another role: 'the reporter threatened' when the employee threatened the reporter."""
    theirs = [r for d in support for r in _roles(d, phrases=True)]
    named = {x for d in support for r in _roles(d) for x in (r[0], r[2]) if x}
    named |= {_head(t) for d in support for t in d if t.ent_type_}
    for agent, verb, patient in _roles(doc):
        same_verb = [(a, p) for a, v, p in theirs if v == verb]
        agents = [a for a, _ in same_verb if a]
        patients = [p for _, p in same_verb if p]
        if agent and agents and not any(agent in a for a in agents):
            if agent in named:  # someone the support names, in another role
                return f"{agent} as who '{verb}' (the source says {'; '.join(sorted(_shown(a) for a in agents))})"
            if entity_agent(doc, agent, verb):  # a name the support does not have, where it has another
                return f"{agent} in place of {'; '.join(sorted(_shown(a) for a in agents))} as who '{verb}'"
        if patient and patients and patient in named and not any(patient in p for p in patients):
            said = "; ".join(sorted(_shown(p) for p in patients))
            return f"{patient} as what/whom '{verb}' acts on (the source says {said})"
    return None


def verify(
    article: str, summary: str | Sequence[str], settings: Settings | None = None, verifier: Verifier | None = None
) -> list[Verdict]:
    """Check a summary against an article's main text. ``summary`` is a list of sentences, or a
    text: one sentence per line when it has several lines, else split into sentences."""
    from .settings import load_settings

    verifier = verifier or Verifier.load(settings or load_settings())
    return verifier.check(article, summary_sentences(summary))


def summary_sentences(summary: str | Sequence[str]) -> list[str]:
    if not isinstance(summary, str):
        return [s.strip() for s in summary if s.strip()]
    lines = [ln.strip() for ln in summary.splitlines() if ln.strip()]
    if len(lines) > 1:
        return lines
    return [s.text for s in split_sentences(summary)]


# ---------------------------------------------------------------- the planted-error benchmark

ERROR_TYPES = ("entity", "number", "date", "negation", "roles")
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def plant_errors(doc: Any, rng: Any) -> list[tuple[str, str, str]]:
    """(error type, correct sentence, wrong sentence) made from one parsed article: a named
    entity swapped for another of the same label from the same article, a number changed, a date
    swapped, the main verb negated, subject and object swapped. At most one of each per sentence
    type per article, from sentences of 8-60 words."""
    sents = [s for s in doc.sents if 8 <= len(s) <= 60]
    rng.shuffle(sents)
    ents_by_label: dict[str, list[str]] = {}
    for e in doc.ents:
        ents_by_label.setdefault(e.label_, []).append(e.text)
    out: list[tuple[str, str, str]] = []
    done: set[str] = set()
    for sent in sents:
        text = sent.text.strip()
        for kind in ERROR_TYPES:
            if kind in done:
                continue
            wrong = _corrupt(kind, sent, text, ents_by_label, doc.text)
            if wrong and wrong != text:
                out.append((kind, text, wrong))
                done.add(kind)
                break
    return out


def _corrupt(kind: str, sent: Any, text: str, ents: dict[str, list[str]], article: str) -> str | None:
    base = sent.start_char
    if kind == "entity":
        for e in sent.ents:
            if e.label_ in {"PERSON", "ORG", "GPE", "NORP"}:
                others = [o for o in dict.fromkeys(ents.get(e.label_, [])) if o not in text and e.text not in o]
                if others:
                    return text[: e.start_char - base] + others[0] + text[e.end_char - base :]
    if kind == "number":
        for t in sent:
            if t.like_num and t.text.isdigit() and t.ent_type_ != "DATE":
                n = int(t.text)
                new = next((str(x) for x in (n + 1, n + 2, n * 2 + 3, n * 10 + 7) if str(x) not in article), None)
                if new:
                    return text[: t.idx - base] + new + text[t.idx - base + len(t.text) :]
    if kind == "date":
        for e in sent.ents:
            if e.label_ == "DATE":
                others = [o for o in dict.fromkeys(ents.get("DATE", [])) if o not in text and e.text not in o]
                day = next((d for d in _WEEKDAYS if d in e.text), None)
                swapped = others[0] if others else None
                if swapped is None and day:
                    swapped = e.text.replace(day, _WEEKDAYS[(_WEEKDAYS.index(day) + 3) % 7])
                if swapped:
                    return text[: e.start_char - base] + swapped + text[e.end_char - base :]
    if kind == "negation":
        root = sent.root
        if any(c.dep_ == "neg" for c in root.children) or root.pos_ not in {"VERB", "AUX"}:
            return None
        aux = next((c for c in root.children if c.dep_ in {"aux", "auxpass"}), None)
        if aux is not None:
            at = aux.idx + len(aux.text) - base
            return text[:at] + " not" + text[at:]
        if root.tag_ in {"VBD", "VBZ", "VBP"} and root.lemma_ != "be":
            helper = {"VBD": "did", "VBZ": "does", "VBP": "do"}[root.tag_]
            return text[: root.idx - base] + f"{helper} not {root.lemma_}" + text[root.idx - base + len(root.text) :]
    if kind == "roles":
        root = sent.root
        subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
        obj = next((c for c in root.children if c.dep_ == "dobj"), None)
        if subj is None or obj is None or subj.pos_ == "PRON" or obj.pos_ == "PRON":
            return None
        s0, s1 = subj.left_edge.idx - base, subj.right_edge.idx + len(subj.right_edge.text) - base
        o0, o1 = obj.left_edge.idx - base, obj.right_edge.idx + len(obj.right_edge.text) - base
        if not (s1 <= o0) or s1 - s0 > 60 or o1 - o0 > 60:
            return None
        a, b = text[s0:s1], text[o0:o1]
        if a.lower() == b.lower():
            return None
        first = b[0].upper() + b[1:] if s0 == 0 else b
        second = a[0].lower() + a[1:] if s0 == 0 and not sent[0].ent_type_ else a
        return text[:s0] + first + text[s1:o0] + second + text[o1:]
    return None
