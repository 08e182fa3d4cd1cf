"""What only the story evaluation reads (``newsbrief eval --task stories``, bench): B-cubed
scores of a clustering, grouping a whole labelled set at once, and the lead texts the TF-IDF
baseline compares. The digest never calls these; they live here so the product's stories code
carries nothing the evaluation alone needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .document import GroupItem
from .story.grouping import LEAD_WORDS, Grouper, Options


def lead(title: str | None, text: str, words: int = LEAD_WORDS) -> str:
    """What is embedded for grouping: the title and the first ``words`` words."""
    body = " ".join(text.split()[:words])
    return f"{title}. {body}" if title else body


def group(items: Sequence[GroupItem], idf: Callable[[str], float], options: Options | None = None) -> list[int]:
    """Story number of each item (0, 1, … in order of first appearance), grouped in time order."""
    grouper = Grouper(idf, options)
    order = sorted(range(len(items)), key=lambda i: (items[i].when, items[i].key))
    label: dict[int, int] = {}
    index: dict[int, int] = {}
    for i in order:
        story, _ = grouper.add(items[i])
        label[i] = index.setdefault(id(story), len(index))
    return [label[i] for i in range(len(items))]


def bcubed(pred: Sequence[Any], gold: Sequence[Any]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels (Bagga & Baldwin 1998)."""
    by_pred: dict[Any, set[int]] = {}
    by_gold: dict[Any, set[int]] = {}
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        by_pred.setdefault(p, set()).add(i)
        by_gold.setdefault(g, set()).add(i)
    n = len(gold) or 1
    precision = sum(len(by_pred[p] & by_gold[g]) / len(by_pred[p]) for p, g in zip(pred, gold, strict=True)) / n
    recall = sum(len(by_pred[p] & by_gold[g]) / len(by_gold[g]) for p, g in zip(pred, gold, strict=True)) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "stories": len(by_pred), "gold_stories": len(by_gold)}
