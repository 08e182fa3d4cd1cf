"""The library surface behind ``import pipeline``: one article or many, as :class:`Article` records.

Errors are the typed tree of :mod:`pipeline.errors`; nothing here prints.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .core import Models, summarize_sources
from .document import Article
from .errors import ModelError, PipelineError, UsageError
from .settings import Settings, load_settings
from .summarizers import prefer

if TYPE_CHECKING:
    from .relations import Verdict

MODES = ("auto", "fast", "quality")


def _source(value: object, what: str = "source") -> str:
    """A URL or a path as the pipeline takes it; any other type is a :class:`UsageError` here,
    not an AttributeError deep in a reader."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise UsageError(f"{what} must be a URL or a path (str or os.PathLike), not {type(value).__name__}")
    return value


def _text(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise UsageError(f"{what} must be a str, not {type(value).__name__}")
    return value


def _settings(settings: Settings | None, mode: str) -> Settings:
    if not isinstance(mode, str) or mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if settings is not None and not isinstance(settings, Settings):
        raise UsageError(f"settings must be a Settings (load_settings()), not {type(settings).__name__}")
    settings = settings or load_settings()
    if mode != "auto":
        settings = settings.replace(mode=mode, model="")
    return prefer(settings, "quality")


def summarize(
    source: str | None = None,
    *,
    text: str | None = None,
    title: str | None = None,
    mode: str = "auto",
    settings: Settings | None = None,
) -> Article:
    """Summarize one article: ``source`` is a URL or a path to a saved page, or pass the article's
    main text as ``text`` (with an optional ``title``). ``mode``: "fast" (extractive), "quality"
    (the LLM writer) or "auto" (quality when installed; else ``settings.mode``).

    Returns the finished :class:`Article` (``.title``, ``.tldr_text``, ``.summary_paragraphs``,
    ``.entities``, ``.as_dict()``); raises a :class:`PipelineError` subclass when the source
    cannot be summarized (``.reason`` is the failure code). Not added to the index.
    """
    if (source is None) == (text is None):
        raise UsageError("give a source (URL or path) or text=..., not both")
    text, title = _text(text, "text"), _text(title, "title")
    settings = _settings(settings, mode)
    models = Models(settings)
    if text is not None:
        from .core import enrich
        from .extract import from_text

        articles: Iterator[Article] = enrich([from_text(text, settings, title)], models, 1)
    else:
        articles = summarize_sources([_source(source)], settings, models)
    return _ok(next(iter(articles)))


def _ok(article: Article) -> Article:
    """``article``, or the typed error it failed with: the same class (``except FetchError``
    works), ``.reason`` its failure code."""
    if article.status != "ok":
        if isinstance(article.failure, PipelineError):
            raise article.failure
        error = PipelineError(article.message or "failed", article.source)  # a record read back from JSON
        error.reason = article.error or "error"
        raise error
    return article


def read_one(source: str, settings: Settings, stdin: Any = None) -> Article:
    """Fetch/read and extract one article (no models), or raise its typed error."""
    from .core import read

    return _ok(next(read([source], settings, stdin)))


def summary_text(summary: str | bytes | Sequence[str], settings: Settings) -> str | list[str]:
    """A summary fit to check, else a :class:`UsageError` saying why: bytes must be UTF-8 text
    (not binary), there must be a word, and at most ``max_text_chars`` characters (what the models
    read of an article; spaCy refuses a text over 1M characters with error E088)."""
    out: str | list[str]
    if isinstance(summary, bytes | bytearray):
        try:
            out = bytes(summary).removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError("the summary is not UTF-8 text (a binary file?)") from None
    elif isinstance(summary, str):
        out = summary
    elif isinstance(summary, Sequence) and all(isinstance(s, str) for s in summary):
        out = [str(s) for s in summary]
    else:
        raise UsageError(f"a summary is text or a list of sentences, not {type(summary).__name__}")
    parts = [out] if isinstance(out, str) else out
    if any("\x00" in p for p in parts):
        raise UsageError("the summary is binary, not text")
    if not any(p.strip() for p in parts):
        raise UsageError("the summary is empty: nothing to check")
    size = sum(len(p) for p in parts)
    if size > settings.max_text_chars:
        raise UsageError(f"the summary has {size:,} characters; verify checks at most {settings.max_text_chars:,}")
    return out


def summary_to_check(summary: str | bytes | Sequence[str], settings: Settings) -> list[str]:
    """The sentences of a summary to verify, or a :class:`UsageError` (empty, binary, oversized,
    more than ``max_summary_sentences``) before any model loads."""
    from .relations import summary_sentences

    sentences = summary_sentences(summary_text(summary, settings))
    if len(sentences) > settings.max_summary_sentences:
        raise UsageError(
            f"the summary has {len(sentences):,} sentences; verify checks at most {settings.max_summary_sentences:,} "
            "(setting max_summary_sentences)"
        )
    return sentences


def verify(article: str | Article, summary: str | Sequence[str], settings: Settings | None = None) -> list[Verdict]:
    """Check a summary against an article: ``article`` is a URL, a path, or an :class:`Article`
    (its ``.text`` is used); ``summary`` one sentence per line, a paragraph, or a list of
    sentences. One :class:`~pipeline.relations.Verdict` per sentence (``.supported``, ``.reason``,
    ``.sources`` offsets into the article text). An empty, binary or oversized summary is a
    :class:`UsageError`."""
    from .relations import Verifier

    settings = _settings(settings, "auto")
    sentences = summary_to_check(summary, settings)
    if not isinstance(article, Article):
        article = read_one(_source(article, "article"), settings)
    elif len(article.text) > settings.max_text_chars:  # read_one cuts a page to this; an Article is as given
        raise UsageError(
            f"the article has {len(article.text):,} characters of text; verify reads at most "
            f"{settings.max_text_chars:,} (max_text_chars): pass a shorter text or raise the setting"
        )
    from .summarizers.faithful import judged

    head = article.title or ""  # the page's headline is the page's words too, as the writer's gate reads it
    return list(judged(article.text, Verifier.load(settings).stream(article.text, sentences, head), head))


def verify_sources(
    article_source: str, summary_source: str, settings: Settings, stdin: Any = None
) -> tuple[Article, Iterator[Verdict]]:
    """What ``newsbrief verify`` checks: the summary from a file or ``-`` (``stdin``), read under
    the input policy (refused over the cap, never cut) and its usage errors raised before any model
    loads; then the article (a URL, a path or ``-``); then each verdict as it is found."""
    from pathlib import Path

    from .policy import Policy
    from .relations import Verifier
    from .summarizers.faithful import judged

    if article_source == "-" and summary_source == "-":
        raise UsageError("the article and the summary cannot both come from stdin")
    policy = Policy.trusted(settings)
    summary = policy.read_stream(stdin) if summary_source == "-" else policy.read_file(Path(summary_source))
    sentences = summary_to_check(summary, settings)
    article = read_one(article_source, settings, stdin if article_source == "-" else None)
    head = article.title or ""
    return article, judged(article.text, Verifier.load(settings).stream(article.text, sentences, head), head)


def run(sources: Iterable[str], settings: Settings | None = None, *, mode: str = "auto") -> Iterator[Article]:
    """Summarize many sources (URLs, paths), streaming one :class:`Article` per document in
    order. Failures are records too (``.status == "error"``, ``.error``, ``.message``): one bad
    source never stops the rest. Models load once, on the first good article. ``sources`` of the
    wrong type (one string, a number) is a :class:`UsageError`."""
    if isinstance(sources, str | bytes | os.PathLike) or not isinstance(sources, Iterable):
        raise UsageError(
            f"sources must be a list of URLs or paths, not one {type(sources).__name__} (summarize() takes one)"
        )
    settings = _settings(settings, mode)
    if isinstance(sources, Sequence):  # a list is checked whole before any work: never half a run
        sources = [_source(s, "each source") for s in sources]
    return summarize_sources((_source(s, "each source") for s in sources), settings, Models(settings))


DOCTOR_TEXT = (
    "The European Union Agency for Cybersecurity (ENISA) published a draft on Monday. France asked for a "
    "legal opinion before the vote. Member states will meet again in May. Industry groups welcomed the "
    "delay and asked for clearer rules on cloud certification."
)


def doctor(settings: Settings | None = None) -> Iterator[tuple[str, str, str]]:
    """Load and run each default model offline; yields ``(role, model id, detail)`` per model
    as it passes, raises the setup error of the first that does not."""
    settings = settings or load_settings()
    fast = summarize(text=DOCTOR_TEXT, title="Doctor check", mode="fast", settings=settings)
    yield "fast", fast.model["summarizer"], f"{len(fast.tldr_text.split())}-word TLDR"
    yield "ner", fast.model["ner"], ", ".join(e.text for e in fast.entities)
    from .models import resolve
    from .summarizers import BACKENDS, remote_writer

    if remote_writer(settings):
        from .summarizers.remote import RemoteChat

        server = RemoteChat.connect(settings)  # a setup error in one line: unreachable, no such model
        reply = server.chat([{"role": "user", "content": "Say OK."}], 4)
        tokens = f"tokens from its /tokenize ({server.tokenizer})" if server.tokenizer else "tokens estimated"
        said = " ".join(reply.text.split())[:40]
        yield "quality", server.model_id, f"{server.url}: context {server.context}, {tokens}, replied {said!r}"
        return
    spec = resolve(settings.quality_model, "summarizer", settings.models_dir)  # a setup error if missing
    if spec.backend == "llamacpp":
        from .summarizers.llamacpp import LlamaCppChat

        # joins and verifies the GGUF once (cached), loads it, generates a few tokens
        reply = LlamaCppChat.load(spec, settings).chat([{"role": "user", "content": "Say OK."}], 4)
        yield "quality", spec.id, f"{reply.generated_tokens} tokens generated"
    else:
        BACKENDS[spec.backend](spec, settings)
        yield "quality", spec.id, "loaded"


STORIES_SINCE = "24h"  # what `stories` lists by default, here and in `newsbrief stories`
STORIES_LIMIT = 50


def stories(
    since: str = STORIES_SINCE, settings: Settings | None = None, limit: int = STORIES_LIMIT
) -> list[dict[str, Any]]:
    """The index's stories with an article since ``since`` (``24h``, ``7d``, a date), biggest
    first. Articles of that period not yet in a story are grouped first (the sentence encoder of
    fast mode loads for that), so a batch's or a summarize's articles have their stories too;
    it takes the digest's lock (:class:`~pipeline.errors.Locked` while a digest runs).
    Each story: ``id``, ``title``, ``first_seen``, ``last_seen``, ``size``, ``articles`` and the
    ``brief`` a digest wrote for it (or None)."""
    from . import story as grouping
    from .digest import lock_path
    from .fsutil import run_lock
    from .store import Store, parse_since

    settings = settings or load_settings()
    cutoff = parse_since(_text(since, "since") or STORIES_SINCE)
    # grouping writes the stories a digest writes too: one at a time (a running digest: Locked)
    with run_lock(lock_path(settings.db_path()), "digest run"), Store(settings.db_path()) as store:
        fresh = store.ungrouped(cutoff)
        if fresh:
            models = Models(settings.replace(mode="fast", model=""))
            encode = models.encoder
            if encode is None:  # fast mode's summarizer always has one
                raise ModelError("the summarizer has no sentence encoder to group stories with", settings.fast_model)
            grouping.assign(store, fresh, encode, grouping.Options(window_hours=settings.story_window))
        return store.stories(cutoff, limit)
