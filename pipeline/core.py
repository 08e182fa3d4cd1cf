"""The library entry point: sources in, finished :class:`Article` records out.

Stages are chained as generators and models run on batches of ``settings.batch_size`` records, so
a long list of sources never sits in memory. A failure in one source becomes that record's
``status="error"``; the others carry on. Models load lazily, once, on the first good article.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .document import Article
from .entities import EntityTagger
from .errors import ExtractionTimeout, PipelineError
from .extract import extract
from .settings import Settings
from .sources import load
from .summarize import Summarizer, load_summarizer
from .summarize.base import apply

log = logging.getLogger(__name__)


class Models:
    """Loads each model on first use and keeps it for the process."""

    def __init__(
        self,
        settings: Settings,
        command: str = "summarize",
        summarizer: Summarizer | None = None,
        tagger: EntityTagger | None = None,
    ) -> None:
        self.settings = settings
        self.command = command
        self._summarizer = summarizer
        self._tagger = tagger
        self.load_seconds = 0.0

    @property
    def summarizer(self) -> Summarizer:
        if self._summarizer is None:
            t0 = time.perf_counter()
            self._summarizer = load_summarizer(self.settings, self.command)
            self.load_seconds += time.perf_counter() - t0
        return self._summarizer

    @property
    def tagger(self) -> EntityTagger:
        if self._tagger is None:
            t0 = time.perf_counter()
            self._tagger = EntityTagger.load(self.settings)
            self.load_seconds += time.perf_counter() - t0
        return self._tagger


@contextlib.contextmanager
def time_limit(seconds: float, source: str) -> Iterator[None]:
    """Stop one hostile page from hanging the run: SIGALRM after ``seconds`` (main thread only;
    batch workers are processes, so each has its own main thread)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise ExtractionTimeout(f"extraction took longer than {seconds:g}s (hostile or huge markup?)", source)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read(
    sources: Iterable[str], settings: Settings, stdin: BinaryIO | None = None, untrusted: bool = False
) -> Iterator[Article]:
    """fetch/read + extract, one record per document; failures come out as error records."""
    for source in sources:
        for item in load(source, settings, stdin=stdin, untrusted=untrusted):
            if isinstance(item, PipelineError):
                yield Article(source=item.source or source).fail(item)
                continue
            try:
                with time_limit(settings.extract_timeout, item.source):
                    done = extract(item, settings)
                yield done
            except PipelineError as exc:
                yield item.fail(exc)
            except Exception as exc:  # a parser bug on one hostile page must not stop the rest
                log.exception("extraction crashed on %s", item.source)
                yield item.fail(exc)


def enrich(articles: Iterable[Article], models: Models, batch_size: int) -> Iterator[Article]:
    """summarize + tag entities in batches; yields every record, in input order."""
    it = iter(articles)
    while chunk := list(itertools.islice(it, batch_size)):
        good = [a for a in chunk if a.status == "ok"]
        if good:
            t0 = time.perf_counter()
            apply(models.summarizer, good)
            per = (time.perf_counter() - t0) / len(good)
            for a in good:
                a.timings["summarize"] = per
            models.tagger.tag_batch(good)
        yield from chunk


def run(
    sources: Iterable[str],
    settings: Settings,
    models: Models | None = None,
    stdin: BinaryIO | None = None,
    untrusted: bool = False,
) -> Iterator[Article]:
    models = models or Models(settings)
    return enrich(read(sources, settings, stdin, untrusted), models, settings.batch_size)
