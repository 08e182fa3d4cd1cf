"""Token-exact, sentence-aligned chunking for a model's real context length.

The caller passes the model's own token counter; chunks are runs of whole sentences whose token
count (sentences joined by single spaces/newlines, separators counted) stays within the budget. A
single sentence longer than the budget is cut at word boundaries, never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..text import Sentence

Counter = Callable[[Sequence[str]], list[int]]  # texts -> token counts
SEP = 1  # a space or newline between sentences is one token in BPE vocabularies, or merges


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` can take at most, for a server that cannot tokenize (Ollama's OpenAI API).
    BPE vocabularies of current models split digits one by one and give most ASCII punctuation a
    token of its own; a run of letters is rarely under 2.5 characters a token; a character outside
    ASCII can take two. About 2x the real count of English prose, never under it on the samples'
    sentences, version strings and other scripts (measured against the bundled Qwen and Gemma
    tokenizers: ``tests/test_remote.py``)."""
    digits = punct = letters = other = 0
    for c in text:
        if c >= "\x80":
            other += 1
        elif c.isdigit():
            digits += 1
        elif c.isalpha() or c.isspace():
            letters += 1
        else:
            punct += 1
    return digits + punct + math.ceil(letters / 2.5) + 2 * other + 1


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    start: int  # character offsets into the article text
    end: int
    tokens: int


Piece = tuple[str, int, int, int]  # text, start, end, tokens


def _pieces(sentences: Sequence[Sentence], counts: list[int], budget: int, count: Counter) -> list[Piece]:
    """Sentences as (text, start, end, tokens); over-long sentences cut into word windows."""
    out = []
    for sent, n in zip(sentences, counts, strict=True):
        if n <= budget:
            out.append((sent.text, sent.start, sent.end, n))
            continue
        words = sent.text.split(" ")
        per = max(1, int(len(words) * budget / n * 0.9))
        pos = sent.start
        for i in range(0, len(words), per):
            part = " ".join(words[i : i + per])
            k = count([part])[0]
            while k > budget and per > 1:  # tokenizer disagrees with the estimate: shrink
                per = max(1, per // 2)
                part = " ".join(words[i : i + per])
                k = count([part])[0]
            out.append((part, pos, pos + len(part), k))
            pos += len(part) + 1
    return out


def chunk(sentences: Sequence[Sentence], count: Counter, budget: int, counts: list[int] | None = None) -> list[Chunk]:
    """Greedy packing of consecutive sentences into chunks of at most ``budget`` tokens.
    ``counts`` (the sentences' token counts) saves re-tokenizing when packing twice."""
    if not sentences:
        return []
    if counts is None:
        counts = count([s.text for s in sentences])
    sep = SEP
    chunks: list[Chunk] = []
    texts: list[str] = []
    start = end = tokens = 0
    for text, s_start, s_end, n in _pieces(sentences, counts, budget, count):
        if texts and tokens + sep + n > budget:
            chunks.append(Chunk(_join(texts), start, end, tokens))
            texts, tokens = [], 0
        if not texts:
            start, tokens = s_start, n
        else:
            tokens += sep + n
        texts.append(text)
        end = s_end
    if texts:
        chunks.append(Chunk(_join(texts), start, end, tokens))
    return chunks


def _join(texts: list[str]) -> str:
    return " ".join(texts)
