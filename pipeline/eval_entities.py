"""The entity task's junk audit (``make eval``, task ``entities``): the entities a brief shows, read
against people's labels, beside the CoNLL F1 that ``evaluate.eval_entities`` scores.

Watches stand on the entity index, and CoNLL scores spans of newswire sentences, not what a brief
of a real page lists ("ABOUT", "Subject", a disease as a place). ``bench/data/entity-junk-labels.jsonl``
holds every entity the briefs of the first 20 CNN/DM and the first 20 XSum articles of the
summarization dev set showed (before and after the junk rules of ``entities.py``), each labelled
by a reader against its article: junk (a common word, a word in capitals, a form label, an id or a
handle, a fragment or a run of words past a name, a type that says it is another kind of thing)
or a name a reader would watch, with why. The audit tags those articles as the product does and
reports the share of shown entities labelled junk, and how many shown entities carry no label at
all: a change that shows a new entity must label it, or the ceiling of ``unlabelled_shown`` fails.
The labels are people's reading, not the tagger's rules: the audit does not borrow what it grades.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .document import Article

JUNK_LABELS = Path(__file__).resolve().parents[1] / "bench" / "data" / "entity-junk-labels.jsonl"  # a checkout's


def junk_audit(labels: Iterable[Mapping[str, Any]], articles: Mapping[str, str], tagger: Any) -> dict[str, Any]:
    """Tag the labelled articles (``articles``: id -> text, as the summarization dev set has them,
    no title) and count the shown entities whose (article, text) is labelled junk."""
    junk: dict[tuple[str, str], bool] = {}
    ids: dict[str, None] = {}  # the labelled articles, in order
    for row in labels:
        junk[(row["id"], row["text"])] = bool(row["junk"])
        ids.setdefault(row["id"], None)
    arts = [Article(source=i, text=articles[i]) for i in ids]
    tagger.tag_batch(arts)
    shown = [(a.source, e.text) for a in arts for e in a.entities]
    unlabelled = [f"{i}: {text}" for i, text in shown if (i, text) not in junk]
    found = sum(junk.get(s, False) for s in shown)
    return {
        "articles": len(arts),
        "shown": len(shown),
        "junk": found,
        "junk_rate": round(found / max(1, len(shown)), 4),
        "unlabelled_shown": len(unlabelled),
        "unlabelled": unlabelled[:50],
    }


def read_labels(path: Path = JUNK_LABELS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
