"""What two tellings of one fact differ on.

A story counts a sentence as said by two sources when they tell it word for word, nearly, or in
other words. "Nearly" hides the edits that matter: an outlet that copies a report and changes
"1.2 million" to "12 million", "has paid" to "has not paid", one name, or drops "alleged", still
shares nine words in ten with it. Here the two sentences are compared word by word (the runs of
words that differ, in order) and a run is a :class:`Difference` when it is an edit that changes

- a **figure** counting the same thing ("1.2 million customer" / "12 million customer"; not
  "eleven" / "11", "80 percent" / "80%", nor "48km" / "30 miles": other units are no clash),
- a **negation** ("has paid" / "has not paid"; "could not" / "couldn't" is the same),
- a **name** for another ("Maria Lopez" / "Jon Ortega"; not "Lt." / "Lieutenant", "UK" /
  "United Kingdom", "Vendome" / "Vendôme"),
- a **hedge** ("the alleged attacker" / "the attacker": an allegation stated as fact),
- a **date** (a weekday or month for another), or
- another content **word** (the predicate: "paid" / "refused"; a word of five letters or more
  spelled alike is the same word: "jewelry" / "jewellery").

A run longer than a few words on either side is another passage (one outlet's detail where the
other has its own), not an edit, and a run one side adds alone is an elaboration, not a
contradiction: both are none. Measured on the 44 held-out ECB+ story briefs (independent reports
and wire copies of real events), this reading flags the kinds above and leaves spelling,
abbreviations and units alone.

A sentence retold lightly in other words (half its words the other's) is read the same way for a
figure, a negation, a name or a hedge only (``strict=False``): its other words differ anyway.
One retold freely shares too few words for that; only a clash of figures of one unit tells it
apart (:func:`figures_clash`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from ..lang import ENGLISH
from ..text import FUNCTION_WORDS

_TOKEN = re.compile(r"[$€£]|\d+(?:[.,]\d+)*(?:st|nd|rd|th)?%?|[^\W\d_]+(?:['’][^\W\d_]+)*")
# the words two tellings are compared by are the article language's (pipeline/lang)
_NUMBER_WORDS = ENGLISH.number_words
_SCALES = ENGLISH.scales
_WORD_SCALES = {k: v for k, v in _SCALES.items() if k not in ("m", "bn")}
_UNIT_SAME = ENGLISH.unit_words
_NEGATIONS = ENGLISH.negation_words
_HEDGES = ENGLISH.hedges  # words that make a statement an allegation or a possibility
_DAYS = ENGLISH.calendar_words
_REPORTING = ENGLISH.telling_words  # how a source reports a statement
_REFERRING = ENGLISH.referring  # "the company" for the name: no other one
MAX_EDIT = 6  # words: a longer differing run on either side is another passage, not an edit


@dataclass(frozen=True, slots=True)
class Difference:
    """How one sentence's telling differs from another's."""

    kind: str  # figure | negation | name | certainty | date | wording (the first of these found)
    mine: str  # what the first sentence says there ("1.2 million", or its words around the edit)
    theirs: str  # the same of the other sentence

    @property
    def what(self) -> str:
        """What a reader is told the sources disagree on."""
        return {"figure": "a figure", "name": "who", "date": "when", "certainty": "how certain it is",
                "wording": "the wording"}.get(self.kind, "what happened")  # fmt: skip


_ORDER = ("figure", "negation", "name", "certainty", "date", "wording")


def _plain(word: str) -> str:
    """Lower case without accents: "Vendôme" and "Vendome" are one name."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _spans(text: str) -> list[tuple[str, int, int]]:
    """Words, figures and currency signs with where they are; "couldn't" is "could not" (one
    negation either way), both words spanning the one written."""
    out = []
    for m in _TOKEN.finditer(text):
        w, low = m.group(), m.group().lower().replace("’", "'")
        if low.endswith("n't") and len(low) > 3:
            stem = {"won't": "will", "can't": "can", "shan't": "shall"}.get(low, w[:-3])
            out += [(stem, m.start(), m.end()), ("not", m.start(), m.end())]
        else:
            out.append((w, m.start(), m.end()))
    return out


def _tokens(text: str) -> list[str]:
    return [w for w, _, _ in _spans(text)]


def _figures(words: list[str]) -> dict[str, set[float]]:
    """Unit -> the values given for it: "1.2 million customer" is {"customer": {1.2e6}}, "$54
    billion" {"$": {5.4e10}}, "80 percent" and "80%" both {"%": {80}}; a figure's unit is the
    word after it (a scale word is part of the figure), or the currency sign before it."""
    out: dict[str, set[float]] = {}
    for unit, value, _, _ in _figure_spans(words):
        out.setdefault(unit, set()).add(value)
    return out


def _figure_spans(words: list[str]) -> list[tuple[str, float, int, int]]:
    """(unit, value, first word, end) of each figure of ``words`` (see :func:`_figures`)."""
    out: list[tuple[str, float, int, int]] = []
    k = 0
    while k < len(words):
        w = _plain(words[k])
        value: float | None = None
        m = re.fullmatch(r"(\d+(?:[.,]\d+)*)(?:st|nd|rd|th)?(%)?", w)
        if m:
            text = m.group(1)
            if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
                text = text.replace(",", "")
            try:
                value = float(text.replace(",", "."))
            except ValueError:
                value = None
            if m.group(2):
                out.append(("%", value or 0.0, k, k + 1))
                k += 1
                continue
        elif w in _NUMBER_WORDS and (w != "a" or (k + 1 < len(words) and _plain(words[k + 1]) in _WORD_SCALES)):
            value = float(_NUMBER_WORDS[w])
        if value is None:
            k += 1
            continue
        before = _plain(words[k - 1]) if k else ""
        start = k - 1 if before in ("$", "€", "£") else k
        k += 1
        # "88m" is 88 million; "a. m." is a time, not "a million"
        while k < len(words) and _plain(words[k]) in (_SCALES if m else _WORD_SCALES):
            value *= _SCALES[_plain(words[k])]
            k += 1
        unit = before if before in ("$", "€", "£") else (_plain(words[k]) if k < len(words) else "")
        out.append((_UNIT_SAME.get(unit, unit), value, start, min(len(words), k + 1)))
    return out


def _abbreviates(short: str, long: str) -> bool:
    """ "lt" of "lieutenant", "uk" of "unitedkingdom", "calif" of "california": the letters of
    one, in order, open and run through the other."""
    if not short or not long or short[0] != long[0]:
        return False
    it = iter(long)
    return all(c in it for c in short)


def _kind(a: list[str], b: list[str], a_first: bool, b_first: bool, strict: bool) -> str | None:
    """What one differing run changes (``a``, ``b``: its words in each; ``*_first``: the run
    opens its sentence, where a capital says nothing)."""
    if len(a) > MAX_EDIT or len(b) > MAX_EDIT:
        return None  # another passage: no edit of one telling
    la, lb = [_plain(w) for w in a], [_plain(w) for w in b]
    if any(w in _NEGATIONS for w in la) != any(w in _NEGATIONS for w in lb) and max(len(a), len(b)) <= 3:
        return "negation"  # "has paid" / "has not paid": an inserted "not" is an edit (a clause with "no" is not)

    def hedged(words: list[str]) -> bool:  # "May" with a capital inside a sentence is the month
        return any(_plain(w) in _HEDGES and w != "May" for w in words)

    if not a or not b:  # a detail one adds: an elaboration, unless it hedges the claim
        return "certainty" if hedged(a) != hedged(b) else None
    sa, sb = {w for w in la if w in _SCALES}, {w for w in lb if w in _SCALES}
    if sa and sb and sa != sb and sa | sb >= set(la) | set(lb):
        return "figure"  # "1.2 million" / "1.2 billion"
    if "".join(la) == "".join(lb) or _close(la, lb):
        return None  # "e-mail" / "email", "jewelry" / "jewellery"
    fa, fb = _figures(a), _figures(b)
    if fa or fb:
        if any(fa[u] - fb[u] and fb[u] - fa[u] for u in fa.keys() & fb.keys()):
            return "figure"
        va, vb = {v for s in fa.values() for v in s}, {v for s in fb.values() for v in s}
        if va != vb:
            return None  # figures of other things (another unit): no clash, nor the same
        # the same figures ("eleven" / "11", "80 percent" / "80%"): what else differs?
        plain = [w for w in a if not _figures([w]) and _plain(w) not in _SCALES and _plain(w) not in _UNIT_SAME]
        other = [w for w in b if not _figures([w]) and _plain(w) not in _SCALES and _plain(w) not in _UNIT_SAME]
        return _kind(plain, other, False, False, strict) if (plain, other) != (a, b) else None

    def names(words: list[str], first: bool) -> list[str]:
        return [w for k, w in enumerate(words) if w[0].isupper() and not (first and k == 0) and _plain(w) not in _DAYS]

    na, nb = names(a, a_first), names(b, b_first)
    if na and nb and 2 * len(na) > len(a) and 2 * len(nb) > len(b):  # a name for a name ("US people" is none)
        ja, jb = "".join(_plain(w) for w in na), "".join(_plain(w) for w in nb)
        if not (_abbreviates(ja, jb) or _abbreviates(jb, ja)):
            return "name"
        return None
    if hedged(a) != hedged(b):
        return "certainty"
    if not strict:
        return None
    da, db = {w for w in la if w in _DAYS}, {w for w in lb if w in _DAYS}
    if da and db and da != db:
        return "date"

    if _refers(a, b) or _refers(b, a):
        return None  # "Northwind" / "The company": the same one, named and referred to

    def content(words: list[str]) -> set[str]:
        return {w[:5] for w in words if w not in FUNCTION_WORDS and w not in _REPORTING and len(w) > 2}

    mine, theirs = content(la), content(lb)
    if mine and theirs and not mine & theirs:  # a word for another (stems of 5 letters: "attack"/"attacks")
        return "wording"
    return None


def _refers(name: list[str], other: list[str]) -> bool:
    """``other`` refers to what ``name`` names: a name (capitalised words) for "the company",
    "its chief" (a determiner and lower-case words)."""
    return (
        bool(name) and all(w[:1].isupper() for w in name) and len(other) >= 2
        and _plain(other[0]) in _REFERRING and all(w.islower() for w in other[1:])
    )  # fmt: skip


def _close(la: list[str], lb: list[str]) -> bool:
    """One word spelled two ways ("technicolor" / "technicolour", "favorite" / "favourite")."""
    if len(la) != len(lb):
        return False
    return all(x == y or (min(len(x), len(y)) >= 5 and difflib.SequenceMatcher(None, x, y).ratio() >= 0.8)
               for x, y in zip(la, lb, strict=True))  # fmt: skip


def marked_words(text: str) -> set[str]:
    """The stems (first five letters, case and accents aside) of a sentence's words that can
    tell two tellings apart: content words, negations and hedges; not other function words nor
    how it is reported ("said")."""
    out = set()
    for w in _tokens(text):
        low = _plain(w)
        if low in _NEGATIONS or low in _HEDGES or (low not in FUNCTION_WORDS and low not in _REPORTING):
            out.add(low[:5])
    return out


def words_shared(a: str, b: str) -> float:
    """Share of their words (of both, case and accents aside) two sentences have."""
    wa, wb = {_plain(w) for w in _tokens(a)}, {_plain(w) for w in _tokens(b)}
    return len(wa & wb) / len(wa | wb) if wa | wb else 1.0


def figures_clash(a: str, b: str) -> Difference | None:
    """The two give another value for a figure of one unit ("1.2 million customer" / "12
    million customer"), whatever their order of words, each one the other does not (a figure
    one adds is no clash): the clashing figures, else None."""
    pa, pb = _spans(a), _spans(b)
    ta, tb = [w for w, _, _ in pa], [w for w, _, _ in pb]
    sa, sb = _figure_spans(ta), _figure_spans(tb)
    fa, fb = _figures(ta), _figures(tb)

    def shown(text: str, at: list[tuple[str, int, int]], figures: list[tuple[str, float, int, int]],
              unit: str, other: set[float]) -> str:  # fmt: skip
        return ", ".join(_shown(text, at, i, j) for u, v, i, j in figures if u == unit and v not in other)

    for unit in sorted(fa.keys() & fb.keys()):
        if unit and fa[unit] - fb[unit] and fb[unit] - fa[unit]:
            return Difference("figure", shown(a, pa, sa, unit, fb[unit]), shown(b, pb, sb, unit, fa[unit]))
    return None


def _unit_end(words: list[str], end: int) -> int:
    """Past the scale words and the one word (the unit) after a figure that ends at ``end``."""
    while end < len(words) and _plain(words[end]) in _SCALES:
        end += 1
    return min(len(words), end + 1)


def _shown(text: str, spans: list[tuple[str, int, int]], start: int, end: int) -> str:
    """The text of words ``start`` to ``end`` as written ("zero-day flaw", not "zero day flaw")."""
    if start >= end or not spans:
        return ""
    return text[spans[start][1] : spans[min(end, len(spans)) - 1][2]]


def differ(a: str, b: str, strict: bool = True) -> Difference | None:
    """The first thing (in the order figure, negation, name, certainty, date, wording) that
    sentence ``a`` tells differently from ``b``, or None when they tell the same. ``strict``:
    the two are one sentence edited (every kind counts); else one retold lightly in other words
    (only a figure, a negation, a name or a hedge counts)."""
    sa, sb = _spans(a), _spans(b)
    ta, tb = [w for w, _, _ in sa], [w for w, _, _ in sb]
    matcher = difflib.SequenceMatcher(None, [_plain(w) for w in ta], [_plain(w) for w in tb], autojunk=False)
    found: dict[str, Difference] = {}
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        kind = _kind(ta[i1:i2], tb[j1:j2], i1 == 0, j1 == 0, strict)
        if kind is not None and kind not in found:
            if kind == "figure":  # the figure with its scale and unit: "1.2 million customer"
                while i1 > 0 and j1 > 0 and _plain(ta[i1 - 1]) == _plain(tb[j1 - 1]) and _figures(ta[i1 - 1 : i1]):
                    i1, j1 = i1 - 1, j1 - 1  # the number before a changed scale word
                i2, j2 = _unit_end(ta, i2), _unit_end(tb, j2)
            else:  # the edit with two words around it
                i1, j1, i2, j2 = max(0, i1 - 2), max(0, j1 - 2), i2 + 2, j2 + 2
            found[kind] = Difference(kind, _shown(a, sa, i1, i2), _shown(b, sb, j1, j2))
    return next((found[k] for k in _ORDER if k in found), None)
