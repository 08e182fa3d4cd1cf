"""What a reader trips over in a brief, found in the brief as shown: the reader-defect check of
``newsbrief eval`` (both modes), beside ROUGE and the unsupported-claim count, which miss all of it.

One brief (TLDR sentences, summary paragraphs of sentences, the article's text) in, a list of
:class:`Defect` out, each of one class:

=====================  =========================================================================
meta_opener            "The article discusses…", "In this article…": the brief talks about a text
furniture              page furniture or a photo caption: "Scroll down for video", "(CNN)",
                       share widgets, "(left)", "Flying high: Half of the kite…", "Read more"
quote_marks            a quote mark that matches nothing, or a paragraph ending on an opening one
quote_without_speaker  quoted speech or first person in the brief's own voice, no speaker named
attribution_dropped    what the article attributes to someone, stated as fact (needs the parser)
run_on                 a sentence of more than 50 words (glued captions, lists, loops)
loop                   a repetition loop ("in Greece, in Greece, in Greece")
tldr_repeated          a TLDR sentence repeated in the Article Summary, (near) word for word or a
                       sentence that adds at most one content word to the TLDR
duplicate_sentence     the same sentence twice in the Article Summary
bad_ending             the TLDR or a paragraph ends mid-sentence or on a dangling mark
fragment               a sentence that starts mid-sentence ("said the man.", "and then…")
too_short              an empty or one-sentence summary for an article of 300 words or more
=====================  =========================================================================

The checks are written from what the reader sees (the sentences as printed) and are a second
opinion on the summarizers' filters (``pipeline.text``, ``summarizers/gate.py``), so they share no
code and no word list with them on purpose: a checker that imports the filter it grades agrees with
it by construction and cannot catch a filter that is wrong. Here each class has its own short word
list and one simple rule, stricter or looser than the filter's where a reader would judge
differently: ", pictured with…" is a caption whatever follows (the reader has no photo), two words
glued without a space ("voteThe") are furniture in any language, a repeat is judged on content
words (so a TLDR said again in other words counts), a loop is any run of words three times in a row
(the gate waits for four of one word, and also counts a phrase repeated apart), a speaker is a
dozen speaking words or a name after the quote (the filter knows some forty verbs). Where the two
disagree, one of them is wrong, and reading the brief says which. ``attribution_dropped`` uses the
relation checker's verdicts, passed in by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CLASSES = (
    "meta_opener",
    "furniture",
    "quote_marks",
    "quote_without_speaker",
    "attribution_dropped",
    "run_on",
    "loop",
    "tldr_repeated",
    "duplicate_sentence",
    "bad_ending",
    "fragment",
    "too_short",
)

RUN_ON_WORDS = 50
# a reader expects more than one sentence from an article this long (the gate has its own
# threshold for when to add one, in pipeline.text)
SHORT_ARTICLE_WORDS = 300

# ---------------------------------------------------------------- the checker's own word lists

# Kept here, not in pipeline/lang/ beside the filters' words: the check is an independent second
# opinion and imports nothing of the project (a test pins that), so its words cannot drift into
# agreeing with the lists it grades. Like the eval sets it reads, it is English.

# words that say nothing of the story on their own: articles, prepositions, pronouns, auxiliaries
# (written for this check, not taken from pipeline.text's FUNCTION_WORDS)
_STOP = frozenset(
    "a an the and or but nor of to in on at for by with from as into onto over under about after before "
    "since until than then so if that this these those there here it its is are was were be been being "
    "am has have had do does did will would can could may might must shall should not no also very just "
    "he she they we you i him her them us me his hers their our your my who whom whose which what when "
    "where why how while all some any each both".split()
)
# a speaker named in the brief's own voice: "…, Wood told reporters", "according to police"
_SPEAKING = re.compile(
    r"\b(?:said|says|say|saying|told|tells|added|adds|wrote|writes|asked|explained|insisted|warned|claimed|"
    r"stated|stressed|urged|tweeted|posted|announced|admitted|replied|argued|according to|in a statement)\b",
    re.I,
)
# the brief talks about a text instead of the news: a frame word, maybe after a connective
_FRAME_LEAD = r"(?:(?:also|finally|additionally|moreover|furthermore|however|overall|lastly|in addition),?\s+)?"
_META = re.compile(
    rf"^{_FRAME_LEAD}(?:(?:in|according to|as \w+ in) )?(?:the|this) (?:article|text|passage|summary|piece)\b"
    r"(?!\s+(?:of\b|\d))"  # "The text of the bill", "The Article 50 talks"
    rf"|^{_FRAME_LEAD}(?:(?:the|this) (?:story|piece|author|writer)|it) (?:also )?"
    r"(?:discuss|describ|mention|explor|focus|detail|cover|outline|talk)\w*",
    re.I,
)
# what a web page shows around an article, and a reader of a brief should never see
_AGENCY = r"\((?:CNN|AP|AFP|Reuters|BBC|PA)\)"
_FURNITURE = re.compile(
    r"scroll down for|click here|copy this link|share this with|follow us on|sign up for our|subscribe to our"
    r"|media playback is|all rights reserved|will open in a new window|read more:"
    r"|\b(?:the|this) video (?:is )?(?:above|below|at the top)\b"
    rf"|^{_AGENCY}|{_AGENCY}(?:\s*(?:--|—|–|-)|(?=[A-Z]))"  # a dateline: "(CNN) -- The…", "(CNN)They…"
    r"|^(?:advertisement|read more\b.*|(?:photo|picture|image|credit)s?:.*)$"
    r"|^By [A-Z][^.]{0,80}?(?:correspondent|editor|reporter)",  # a byline
    re.I,
)
# a photo caption: the position of someone in a picture the reader cannot see, or a short label
_CAPTION = re.compile(
    r"\((?:(?:far |second from |top |bottom )?(?:left|right)|centre|center|above|below|inset|"
    r"file(?: photo| picture)?|stock (?:photo|image|picture))\)"
    r"|, (?:left|right|centre|center),|[,(]\s*(?:not )?pictured\b"
    r"|\b(?:shown|seen|pictured) (?:above|below|left|right)\b|\bin the (?:photo|picture|image) (?:above|below)\b",
    re.I,
)
_LABEL = re.compile(r"^([A-Z][\w'’!-]*(?: [\w'’!-]+){0,2}): [A-Z0-9]")  # not "One post read: '…'"
_NOT_A_LABEL = re.compile(r"^(?:the|a|an|his|her|their|its|our|my|this|that|it|he|she|they|we|i|there)\b", re.I)
# two sentences with no stop between them: "…for $20 He was once the champion", or a line break
# lost between a headline or a widget and the text: "All you need to knowUK and the EU: Travel…"
_GLUED = re.compile(r"\b[a-z]+ (?:He|She|They|We|His|Her|Their) [a-z]|\b[a-z]{3,}[A-Z][a-z]")
# quoted words (a double-quoted span; a single-quoted one opens after a space, closes before one)
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]|(?:^|(?<=[\s(—–-]))['‘](?=\S).*?(?<=\S)['’](?=[\s,.;:!?)—–-]|$)")
# a speaker named next to the quote: "…,' he moaned", "…," Mr Peters revealed", "The report read: '…"
_NAMED_AFTER = re.compile(
    r"[,!?]['’\"”]\s+(?:he|she|they|(?!(?:His|Her|Their|Its|The|This|That|It|A|An|And|But)\b)[A-Z][\w.'’-]*"
    r"(?:\s+[A-Z][\w.'’-]*)*)\s+[a-z]+"
)
_NAMED_BEFORE = re.compile(r"\w:\s*['‘\"“]")
# first or second person (a capital only where a sentence starts: "US", "Be Mine" are names)
_PERSON = re.compile(r"\bI\b|\bI['’](?:m|ve|d|ll)\b|\b(?:me|my|we|us|our|you|your)\b|^(?:My|We|Our|You|Your)\b")
_SENT_END = re.compile(r"[.!?](?:['’\"”)\]]+)?$")
_SPLIT = re.compile(r"(?<=[.!?])['’\"”)]*\s+(?=['‘\"“(]?[A-Z0-9])")
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True, slots=True)
class Defect:
    kind: str  # one of CLASSES
    where: str  # "tldr" or "summary"
    text: str  # the sentence or paragraph it is in
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "text": self.text, "detail": self.detail}


def _words(text: str) -> list[str]:
    return [w.lower().strip("'’") for w in _WORD.findall(text)]


def _quote_trouble(text: str) -> str | None:
    """Unmatched quote marks, by simple counts (the summarizers' own parser is in ``text.py``)."""
    straight = text.count('"')
    if straight % 2:
        return 'an odd number of " marks'
    if text.count("“") != text.count("”"):
        return "unmatched “ ”"
    opens = len(re.findall(r"(?:^|(?<=[\s(\[—–-]))['‘](?=[A-Za-z0-9])(?!(?:em|n|til|cause|\d0s)\b)", text))
    sure = len(re.findall(r"(?<=[.,!?;:])['’](?=\s|$|[)\]—–-])", text))
    maybe = len(re.findall(r"(?<=[A-Za-z0-9])['’](?=\s|$|[.,;:!?)\]—–-])", text))
    if opens > sure + maybe or sure > opens:
        return f"{opens} opening and {sure + maybe} closing single quotes"
    if re.search(r"\s['‘\"“]\s*$", text):
        return "ends on an opening quote mark"
    return None


def loop(sentence: str) -> str | None:
    """A repetition loop a reader notices, else None: a run of 1-6 words three times in a row
    ("in Greece, in Greece, in Greece"). A phrase said three times apart is English often enough
    ("5.6 million U.S. seats; … 5 million U.S. tickets; … 3.5 million U.S. seats")."""
    words = [w.lower() for w in re.findall(r"\w+", sentence)]
    for n in range(1, 7):
        for i in range(len(words) - 3 * n + 1):
            if words[i : i + n] == words[i + n : i + 2 * n] == words[i + 2 * n : i + 3 * n]:
                return f"'{' '.join(words[i : i + n])}' three times in a row"
    return None


def _furniture(sentence: str) -> str | None:
    """Page furniture or a photo caption in a sentence, by what gives it away; else None."""
    m = _FURNITURE.search(sentence) or _CAPTION.search(sentence) or _GLUED.search(sentence)
    if m:
        return m.group(0)
    label = _LABEL.match(sentence)
    if label and not _NOT_A_LABEL.match(label.group(1)) and not _SPEAKING.search(label.group(1)):
        return label.group(1) + ":"
    return None


def _unattributed_speech(sentence: str) -> bool:
    """Someone's words with nobody named as saying them: a sentence that opens on a quotation (of
    four words or more: "'Amy' was…" opens on a name) or is nearly all quotation, or first/second
    person outside the quotes; and no speaker named (a speaking word outside the quotes, a name
    after the quote's comma, a colon before it). A quote inside the writer's own clause ("The
    official reason was 'to spend more time…'") has its owner in that clause."""
    sentence = sentence.strip()
    own = _QUOTED.sub(" ", sentence).strip()
    if not sentence or _SPEAKING.search(own) or _NAMED_AFTER.search(sentence) or _NAMED_BEFORE.search(sentence):
        return False
    first = _QUOTED.match(sentence)
    opens = sentence[0] in "\"“'‘" and (first is None or len(first.group(0).split()) >= 4)
    quoted = sum(len(m.group(0)) for m in _QUOTED.finditer(sentence))
    return opens or quoted >= 0.8 * len(sentence) or _PERSON.search(own) is not None


def _content(text: str) -> frozenset[str]:
    """The words that carry the story, crudely stemmed ("prisoners" and "prisoner" are one)."""
    words = (w.lower().strip("'’") for w in _WORD.findall(text))
    return frozenset(re.sub(r"(?:['’]s|(?<=\w{3})s)$", "", w) for w in words if w not in _STOP and len(w) > 1)


def _repeats(a: str, b: str) -> bool:
    """``b`` says ``a`` again: the same words, most of the same content words, or all of the
    content words of one (four or more) in the other."""
    if _words(a) == _words(b):
        return True
    ca, cb = _content(a), _content(b)
    if not ca or not cb:
        return False
    small, big = sorted((ca, cb), key=len)
    return (len(small) >= 4 and small <= big) or len(ca & cb) >= 0.7 * len(ca | cb)


def _adds_little(sentence: str, said: str) -> bool:
    """A sentence of four content words or more, at most one of them new after ``said``."""
    words = _content(sentence)
    return len(words) >= 4 and len(words - _content(said)) <= 1


def find(
    tldr: Sequence[str],
    summary: Sequence[Sequence[str]],
    article: str,
    attributions: Sequence[Any] = (),
) -> list[Defect]:
    """The defects of one brief. ``attributions``: the relation checker's verdicts for the brief's
    sentences (TLDR first, then the summary's), used for ``attribution_dropped``; empty = not checked."""
    out: list[Defect] = []
    flat = [s for p in summary for s in p]
    shown = [("tldr", s) for s in tldr] + [("summary", s) for s in flat]

    for where, sent in shown:
        sent = sent.strip()
        if not sent:
            continue
        for piece in _SPLIT.split(sent):
            if _META.match(piece.strip()):
                out.append(Defect("meta_opener", where, sent))
                break
        furniture = _furniture(sent)
        if furniture:
            out.append(Defect("furniture", where, sent, furniture))
        if _unattributed_speech(sent):
            out.append(Defect("quote_without_speaker", where, sent))
        for piece in _SPLIT.split(sent):
            n = len(piece.split())
            if n > RUN_ON_WORDS:
                out.append(Defect("run_on", where, sent, f"{n} words"))
                break
        looped = loop(sent)
        if looped:
            out.append(Defect("loop", where, sent, looped))
        first = sent.lstrip("\"'“‘(")
        if first[:1].islower() and not first[1:2].isupper():
            out.append(Defect("fragment", where, sent))

    blocks = [("tldr", " ".join(tldr))] + [("summary", " ".join(p)) for p in summary]
    for where, block in blocks:
        block = block.strip()
        if not block:
            continue
        trouble = _quote_trouble(block)
        if trouble:
            out.append(Defect("quote_marks", where, block, trouble))
        if not _SENT_END.search(block):
            out.append(Defect("bad_ending", where, block, f"ends with {block[-12:]!r}"))

    said = " ".join(tldr)
    for s in flat:
        if any(_repeats(t, s) for t in tldr):
            out.append(Defect("tldr_repeated", "summary", s))
        elif said and _adds_little(s, said):
            out.append(Defect("tldr_repeated", "summary", s, "in other words"))
    for i, s in enumerate(flat):
        if any(_repeats(other, s) for other in flat[:i]):
            out.append(Defect("duplicate_sentence", "summary", s))

    sentences = sum(len([x for x in _SPLIT.split(s) if x.strip()]) for s in flat)
    if len(article.split()) >= SHORT_ARTICLE_WORDS and sentences < 2:
        out.append(Defect("too_short", "summary", " ".join(flat), f"{sentences} sentence(s)"))

    for (where, sent), verdict in zip(shown, attributions, strict=False):
        if not verdict.supported and verdict.reason == "attribution":
            out.append(Defect("attribution_dropped", where, sent, verdict.detail or ""))
    return out


def report(briefs: Sequence[list[Defect]], ids: Sequence[str], examples: int = 8) -> dict[str, Any]:
    """Per class: the share of briefs with it; the share with any; the worst briefs (most
    classes of defect) with their defects, for people to read."""
    n = max(1, len(briefs))
    per = {k: sum(any(d.kind == k for d in b) for b in briefs) for k in CLASSES}
    worst = sorted(range(len(briefs)), key=lambda i: (-len({d.kind for d in briefs[i]}), i))
    return {
        "briefs": len(briefs),
        "any": sum(bool(b) for b in briefs) / n,
        "with_any": sum(bool(b) for b in briefs),
        "rate": {k: per[k] / n for k in CLASSES},
        "count": per,
        "worst": [{"id": ids[i], "defects": [d.as_dict() for d in briefs[i]]} for i in worst[:examples] if briefs[i]],
    }
