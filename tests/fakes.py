"""Fakes behind the real interfaces, for fast tests of everything around the models."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.document import Article, SummarySentence
from pipeline.entities import EntityTagger, add_rulers
from pipeline.summarizers.base import SummaryResult, paragraphs_of
from pipeline.text import split_sentences


class LeadSummarizer:
    """TLDR = first sentence, summary = first four sentences; records every batch it gets."""

    model_id = "fake-lead"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def summarize_batch(self, articles: Sequence[Article]) -> list[SummaryResult]:
        self.batches.append(len(articles))
        out = []
        for a in articles:
            sents = [SummarySentence(s.text, [(s.start, s.end)]) for s in split_sentences(a.text)]
            out.append(SummaryResult(sents[:1], paragraphs_of(sents[:4])))
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit bag-of-words vectors (words hashed into 384 dimensions): texts sharing their words
        are close, like the real sentence encoder's embeddings of the same report."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z]{4,}", t.lower()):
                out[i, zlib.crc32(w.encode()) % 384] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out


def rule_tagger(labels: Sequence[str] = ()) -> EntityTagger:
    """The real tagger code with spaCy's blank English + our rulers (no statistical model)."""
    import spacy

    return EntityTagger(add_rulers(spacy.blank("en")), "fake-rules", labels)


def finalize(*args: Any, **kwargs: Any) -> Any:
    """The gate with the TLDR bound and summary length of the packaged settings, as every writer's gate has it."""
    from pipeline.settings import defaults
    from pipeline.summarizers.gate import finalize as gate

    kwargs.setdefault("tldr_words", defaults().tldr_words)
    kwargs.setdefault("summary_words", defaults().summary_words)
    return gate(*args, **kwargs)


def on_ray_worker() -> None:
    """Ray's ``worker_process_setup_hook`` for a batch on a real Ray cluster: each worker process
    loads these fakes where the pipeline loads its models, as the ``fake_models`` fixture does in
    the test's own process."""
    import pipeline.core

    summarizer = LeadSummarizer()
    pipeline.core.load_summarizer = lambda settings: summarizer
    pipeline.core.EntityTagger.load = classmethod(lambda cls, s: rule_tagger(s.entity_labels))
