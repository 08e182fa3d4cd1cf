"""Text helpers: control-character stripping and sentence splitting with character offsets
(spaCy's rule-based sentencizer, no model needed)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

_SPACE = re.compile(r"\s+")
# C0/C1 controls (tab and newline kept), zero-width and bidi-override characters
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u115f\u1160\u3164\uffa0]")


def strip_controls(text: str) -> str:
    """Remove characters that can drive a terminal or reorder text; page text is untrusted."""
    return _CONTROL.sub("", text)


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int  # offsets into the article text
    end: int
    index: int  # position among the article's sentences
    paragraph: int  # index of the paragraph (line) it belongs to

    @property
    def words(self) -> int:
        return len(self.text.split())


@functools.lru_cache(maxsize=1)
def _sentencizer() -> Any:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def split_sentences(text: str) -> list[Sentence]:
    """Sentences in order, never crossing a paragraph (line) boundary."""
    nlp = _sentencizer()
    out: list[Sentence] = []
    offset = 0
    paragraphs = text.split("\n")
    for p_index, para in enumerate(paragraphs):
        if para.strip():
            for sent in nlp(para).sents:
                s = sent.text.strip()
                if s:
                    start = offset + sent.start_char
                    out.append(Sentence(_SPACE.sub(" ", s), start, start + len(sent.text.rstrip()), len(out), p_index))
        offset += len(para) + 1
    return out


def take_words(items: Iterable[T], limit: int, words: Callable[[T], int]) -> list[T]:
    """The longest prefix of ``items`` whose words add up to at most ``limit``; the first item is
    always kept (a summary never comes out empty because its first sentence is long)."""
    out: list[T] = []
    total = 0
    for item in items:
        n = words(item)
        if out and total + n > limit:
            break
        out.append(item)
        total += n
    return out
