"""The library entry point: sources in, finished :class:`Article` records out.

Stages are chained as generators and models run on batches of ``settings.batch_size`` records, so
a long list of sources never sits in memory. A failure in one source becomes that record's
``status="error"``; the others carry on. Models load lazily, once, on the first good article.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from .document import Article
from .entities import EntityTagger
from .errors import ExtractionTimeout, PipelineError, SummaryError
from .extract import extract
from .policy import Policy
from .settings import Settings
from .sources import load
from .summarizers import Summarizer, load_summarizer
from .summarizers.base import apply
from .timelimit import TimeUp, within

if TYPE_CHECKING:
    import numpy as np

    from .store import Store

log = logging.getLogger(__name__)
# one short line per stage for a person watching (the CLI shows it on a terminal): a quality brief
# takes ~27 s on this machine, which looked like a hang with nothing said
progress = logging.getLogger("pipeline.progress")


@runtime_checkable
class Encoder(Protocol):
    """The sentence-encoder role: fast mode's summarizer embeds texts (MiniLM, one unit-length
    row per text), and stories group articles and compare their sources' sentences with it.
    Quality mode's writers have none."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def encoder_of(summarizer: object) -> Callable[[Sequence[str]], np.ndarray] | None:
    """``summarizer``'s sentence encoder (:class:`Encoder`), None when it has none."""
    return summarizer.encode if isinstance(summarizer, Encoder) else None


class Models:
    """Loads each model on first use and keeps it for the process."""

    def __init__(
        self,
        settings: Settings,
        summarizer: Summarizer | None = None,
        tagger: EntityTagger | None = None,
    ) -> None:
        self.settings = settings
        self._summarizer = summarizer
        self._tagger = tagger
        self.load_seconds = 0.0

    @property
    def summarizer(self) -> Summarizer:
        if self._summarizer is None:
            progress.info("loading the summarizer model")
            t0 = time.perf_counter()
            self._summarizer = load_summarizer(self.settings)
            self.load_seconds += time.perf_counter() - t0
        return self._summarizer

    @property
    def tagger(self) -> EntityTagger:
        if self._tagger is None:
            progress.info("loading the entity model")
            t0 = time.perf_counter()
            self._tagger = EntityTagger.load(self.settings)
            self.load_seconds += time.perf_counter() - t0
        return self._tagger

    @property
    def encoder(self) -> Callable[[Sequence[str]], np.ndarray] | None:
        """The summarizer's sentence encoder (loading the summarizer), None when it has none."""
        return encoder_of(self.summarizer)


def extract_within(article: Article, settings: Settings) -> Article:
    """:func:`extract` under ``extract_timeout``; a page that runs over fails with a typed error."""
    try:
        return within(settings.extract_timeout, lambda: extract(article, settings))
    except TimeUp:
        article.raw = None
        raise ExtractionTimeout(
            f"extraction took longer than {settings.extract_timeout:g}s (hostile or huge markup?)", article.source
        ) from None


def loaded(source: str, policy: Policy, stdin: BinaryIO | None = None) -> list[Article]:
    """The raw (not yet extracted) records behind one source, a failure as a failed record."""
    items: list[Article | Exception]
    try:
        items = list(load(source, policy, stdin=stdin))
    except Exception as exc:  # a reader bug on one hostile input must not stop the rest
        log.exception("reading crashed on %s", source)
        items = [exc]
    out = []
    for item in items:
        if isinstance(item, Exception):
            name = item.source if isinstance(item, PipelineError) and item.source else source
            out.append(Article(source=name).fail(item))
        else:
            out.append(item)
    return out


def extracted(item: Article, settings: Settings) -> Article:
    """A raw record extracted (within the time limit), or its typed failure; failed records pass."""
    if item.status != "ok":
        return item
    try:
        return extract_within(item, settings)
    except PipelineError as exc:
        return item.fail(exc)
    except Exception as exc:  # a parser bug on one hostile page must not stop the rest
        log.exception("extraction crashed on %s", item.source)
        return item.fail(exc)


def read(
    sources: Iterable[str], settings: Settings, stdin: BinaryIO | None = None, policy: Policy | None = None
) -> Iterator[Article]:
    """fetch/read + extract, one record per document; failures come out as error records.

    ``policy`` decides what may be read (default: the user's own sources, :meth:`Policy.trusted`).
    """
    policy = policy or Policy.trusted(settings)
    for source in sources:
        progress.info("reading %s", source)
        for item in loaded(source, policy, stdin):
            yield extracted(item, settings)


def already_done(article: Article, done_hashes: Set[str]) -> bool:
    """The same article (by content hash) is already done, under any source name."""
    return article.status == "ok" and article.content_hash in done_hashes


def indexed(articles: Iterable[Article], store: Store | None, batch_size: int) -> Iterator[Article]:
    """The one way every command adds its stream to the index: batches of ``batch_size`` in one
    transaction each, records passed on unchanged (``store=None``: not indexed)."""
    return articles if store is None else store.pipe(articles, batch_size)  # type: ignore[return-value]


def enrich(articles: Iterable[Article], models: Models, batch_size: int, first: int = 1) -> Iterator[Article]:
    """summarize + tag entities in batches; yields every record, in input order, each batch as
    soon as it is done.

    Batches are ``batch_size`` records, or the summarizer's own ``batch_size`` when it says one
    (the LLM writer: its slots, 1 by default): a model that gains nothing from batching works one
    article at a time, so each finished brief leaves at once (a kill loses at most the one in
    flight) instead of waiting for 15 others (16 LLM briefs, 12 minutes, were lost that way).
    The first batch is ``first`` records (one, unless the caller knows the size): the summarizer
    is loaded by then and says its size."""
    it = iter(articles)
    size = first
    while chunk := list(itertools.islice(it, size)):
        good = [a for a in chunk if a.status == "ok"]
        if good:
            summarizer = models.summarizer  # loaded (and said so) before "writing"
            progress.info("writing the brief of %s", _named(good))
            t0 = time.perf_counter()
            apply(summarizer, good)
            size = getattr(models.summarizer, "batch_size", None) or batch_size
            per = (time.perf_counter() - t0) / len(good)
            for a in good:
                a.timings["summarize"] = per
                if a.status == "ok" and not a.tldr_text.strip():
                    # an ok brief always has a TLDR (the summary may be empty when the TLDR is all
                    # a very short text has); text with no usable sentence is an error
                    a.fail(SummaryError("no sentence of the text could be used for a summary (is it prose?)",
                                        a.source))  # fmt: skip
            good = [a for a in good if a.status == "ok"]
            if good:
                tagger = models.tagger
                progress.info("tagging entities")
                tagger.tag_batch(good)
        yield from chunk


def _named(articles: list[Article]) -> str:
    """What a stage line calls the articles it works on: a title (else the source), or how many."""
    if len(articles) > 1:
        return f"{len(articles)} articles"
    title = " ".join((articles[0].title or "").split())
    return f'"{title[:80]}…"' if len(title) > 80 else f'"{title}"' if title else articles[0].source


def summarize_sources(
    sources: Iterable[str],
    settings: Settings,
    models: Models | None = None,
    stdin: BinaryIO | None = None,
    policy: Policy | None = None,
) -> Iterator[Article]:
    models = models or Models(settings)
    return enrich(read(sources, settings, stdin, policy), models, settings.batch_size)
