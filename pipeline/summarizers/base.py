"""The summarizer interface: one batch method; the single-article call derives from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..document import Article, SummarySentence
from ..errors import PipelineError


@dataclass(slots=True)
class SummaryResult:
    tldr: list[SummarySentence]
    paragraphs: list[list[SummarySentence]]
    coverage: float = 1.0  # share of the text it was given that the model read
    gated: list[dict[str, object]] = field(default_factory=list)  # what the faithfulness gate changed
    error: PipelineError | None = None  # this article failed (its LLM server request); the others did not


class Summarizer(Protocol):
    model_id: str
    # (optional attribute) articles per ``summarize_batch`` call that pay off; a backend that
    # gains nothing from batching (the LLM writer) says 1, so each brief is committed as it is done

    def summarize_batch(self, articles: Sequence[Article]) -> list[SummaryResult]:
        """One result per article, same order. Implementations batch model calls."""
        ...


def apply(summarizer: Summarizer, articles: Sequence[Article]) -> None:
    """Run a batch and write the results into the records."""
    for article, result in zip(articles, summarizer.summarize_batch(articles), strict=True):
        if result.error is not None:
            article.fail(result.error)
            continue
        article.tldr = result.tldr
        article.summary = result.paragraphs
        article.coverage *= result.coverage  # extraction may already have cut a huge text
        article.gated = result.gated
        article.model["summarizer"] = summarizer.model_id


# A brief follows the article's length: TLDR and Article Summary together take at most this share
# of the article's words (at least the TLDR and one summary sentence). A six-sentence article got
# itself back as its "brief"; on the dev sets the bound binds only under ~360 words (CNN/DM's
# articles average ~700), so summary_words decides for most articles.
BRIEF_SHARE = 0.4


def summary_budget(article_words: int, tldr_words: int, summary_words: int) -> int:
    """Words the Article Summary may take next to a TLDR of ``tldr_words``: ``summary_words``, or
    less for a short article (:data:`BRIEF_SHARE`); 0 still lets one sentence through."""
    return max(0, min(summary_words, int(BRIEF_SHARE * article_words) - tldr_words))


def trimmed(sentences: list[SummarySentence], budget: int) -> list[SummarySentence]:
    """``sentences`` (in article order) up to ``budget`` words: the first always, then each one
    that still fits."""
    out: list[SummarySentence] = []
    words = 0
    for s in sentences:
        w = len(s.text.split())
        if out and words + w > budget:
            continue
        out.append(s)
        words += w
    return out


def paragraphs_of(sentences: list[SummarySentence], max_paragraphs: int = 3) -> list[list[SummarySentence]]:
    """Group sentences (already in article order) into 1-3 short paragraphs of near-equal size."""
    n = len(sentences)
    if n == 0:
        return []
    k = 1 if n == 1 else 2 if n <= 5 else max_paragraphs
    size, extra = divmod(n, k)
    out, i = [], 0
    for p in range(k):
        step = size + (1 if p < extra else 0)
        out.append(sentences[i : i + step])
        i += step
    return out
