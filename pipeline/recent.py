"""What was computed lately from a text, kept within a budget of characters: the memo that
``text.py`` keeps an article's sentences and reading units in (split once, read several times on
their way through a brief, its gate and a digest's stories). Nothing here knows what a sentence is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """What was computed lately from a text (its sentences, its reading units), kept up to a
    budget of characters of text (least recently used first out). One text is read several times
    on its way: for its brief, by the gate, then in a digest for its story's grouping, text and
    number check; splitting is the costliest step of a fast brief after encoding (spaCy tokenizes
    every paragraph). A text over an eighth of the budget is not kept."""

    def __init__(self, budget: int) -> None:
        import threading
        from collections import OrderedDict

        self.budget = budget
        self.size = 0
        self.kept: OrderedDict[str, T] = OrderedDict()
        self.lock = threading.Lock()

    def of(self, text: str, make: Callable[[str], T]) -> T:
        """What ``make`` gives for ``text``, computed once while it is kept."""
        found = self.get(text)
        if found is None:
            found = make(text)
            self.put(text, found)
        return found

    def get(self, text: str) -> T | None:
        with self.lock:
            found = self.kept.get(text)
            if found is not None:
                self.kept.move_to_end(text)
            return found

    def put(self, text: str, value: T) -> None:
        if len(text) > self.budget // 8:
            return  # a huge page is split once and not kept
        with self.lock:
            if text not in self.kept:
                self.kept[text] = value
                self.size += len(text)
            while self.size > self.budget:
                old, _ = self.kept.popitem(last=False)
                self.size -= len(old)
