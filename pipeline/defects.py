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

The checks are written from what the reader sees (the sentences as printed), with their own simple
rules where the summarizers' filters (``pipeline.text``) have richer ones, so a filter that is
bypassed or wrong shows up here. ``attribution_dropped`` uses the relation checker's parser.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .text import adds_nothing, furniture_prefix, is_caption, is_furniture, is_speech, near_duplicate

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
SHORT_ARTICLE_WORDS = 300

# a connective may come first: "Finally, the article discusses…", "Also, it mentions…"
CONNECTIVE = (
    r"(?:(?:Finally|Additionally|Also|Moreover|Furthermore|In addition|Lastly|Overall|However|Meanwhile),?\s+)?"
)
META_OPENER = re.compile(
    rf"^{CONNECTIVE}(?:(?:In|According to|As (?:stated|reported|described|mentioned) in) (?:the|this) "
    r"(?:article|text|passage|story|piece|news (?:article|story|report))\b"
    # not "The Article 50 talks", "The text of the bill"
    r"|(?:The|This) (?:article|text|passage|news (?:article|story)|summary)\b(?!\s+(?:\d|of\b))"
    r"|(?:The|This) (?:story|piece|author|writer|report) (?:also )?(?:discuss|describ|highlight|explor|focus|detail|"
    r"mention|talk|cover|outline|examin|provid|present|delv|shed|touch|emphasi[sz]|underscor|reflect)"
    r"|(?:It|This) (?:also )?(?:discusses|describes|highlights|explores|focuses on|details|mentions|touches on|"
    r"covers|reports on|goes on to)\b)",
    re.I,
)
_FURNITURE_ANYWHERE = re.compile(
    r"Scroll down for|Share this with|Copy this link|Click here|Read more:|READ MORE|external links and will open"
    r"|\((?:CNN|AP|AFP|Reuters)\)(?=\s*(?:--|—|–|-|[A-Z]))|Follow (?:us|@)|Sign up (?:for|to) our",  # a dateline
)
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
    """A repetition loop in one sentence, else None: a run of 1-6 words said three times in a row
    (a word four times: "in Greece, in Greece, in Greece"), or a phrase of 2+ words four times."""
    words = _words(sentence)
    for n in range(1, 7):
        copies = 4 if n == 1 else 3
        for i in range(len(words) - n * copies + 1):
            gram = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == gram for k in range(1, copies)):
                return f"'{' '.join(gram)}' {copies} times in a row"
    for n in (2, 3):
        # a phrase with a word of substance ("in Greece", not "in the", which long sentences repeat)
        grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
        grams = Counter({g: k for g, k in grams.items() if any(len(w) > 3 for w in g)})
        top, k = max(grams.items(), key=lambda x: x[1], default=((), 0))
        if k >= 4:
            return f"'{' '.join(top)}' {k} times"
    return None


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
            if META_OPENER.match(piece.strip()):
                out.append(Defect("meta_opener", where, sent))
                break
        m = _FURNITURE_ANYWHERE.search(sent)
        if m or furniture_prefix(sent) or is_furniture(sent) or is_caption(sent):
            out.append(Defect("furniture", where, sent, m.group(0) if m else ""))
        if is_speech(sent):
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

    for t in tldr:
        hit = next((s for s in flat if near_duplicate(t, s)), None)
        if hit is not None:
            out.append(Defect("tldr_repeated", "summary", hit))
    said = " ".join(tldr)
    out.extend(Defect("tldr_repeated", "summary", s, "in other words") for s in flat
               if adds_nothing(s, said) and not any(near_duplicate(t, s) for t in tldr))  # fmt: skip
    for i, s in enumerate(flat):
        if any(near_duplicate(s, other) for other in flat[:i]):
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
