"""Numbers the sources give differently for the same thing (a brief's "Sources disagree").

A number of the brief is looked up in every independent source's sentences that state the same
claim; when one source gives the brief's number and another only a different one for the same
thing ("CVSS 9.8" here, "CVSS 9.1" there), the reader is told. A false flag misleads more than a
missed one, so two numbers of two things (two people's ages) are never compared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..document import Article, StorySource
from ..lang import ENGLISH
from .telling import MAX_SOURCE_SENTENCES

_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?![\w.]*\d)")


_UNIT = re.compile(r"\s*([A-Za-z%]+)")
_MONTHS = ENGLISH.months
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
    from ..text import FUNCTION_WORDS

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
    from ..text import FUNCTION_WORDS

    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in FUNCTION_WORDS and len(w) > 2}


def disagreements(
    articles: Sequence[Article], sources: Sequence[StorySource], claims: Sequence[str], disputed: set[int] | None = None
) -> list[dict[str, Any]]:  # fmt: skip
    """Numbers the sources give differently for the same thing. For each number of the brief: in
    each source, the sentences that state the same claim (half the content words of each share
    the other's) and put a number of the same kind right after one of the same words ("CVSS 9.8" here,
    "CVSS 9.1" there), not after another name ("Catherine Gomes, 61" / "Gary Gomes, 35" are two
    people). It is a disagreement when one independent source gives the brief's number and
    another gives only a different one (a source giving both is counting two things, not
    disagreeing; a copy repeats its original). A false flag misleads more than a missed one.
    The claims a disagreement is about are added to ``disputed`` (their indexes)."""
    from ..text import split_sentences

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
