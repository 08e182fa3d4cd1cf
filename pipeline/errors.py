"""Typed errors, converted to messages and exit codes in one place (``pipeline.cli``).

::

    PipelineError                 every error carries the source (URL or path) it is about
    ├── SourceError               the input itself is unusable
    │   ├── FetchError            network: timeout, HTTP status, refused scheme/address, bad URL
    │   ├── TooLargeError         body or file over the size cap
    │   ├── UnsupportedContent    not HTML/text (content type, binary file, FIFO or device)
    │   ├── BadEncoding           text that cannot be decoded (in time) with a text encoding
    │   └── InputNotFound         a path that does not exist
    ├── ExtractionError           the page holds no article text
    │   └── ExtractionTimeout     parsing the page took longer than ``extract_timeout``
    ├── SummaryError              the summarizer found nothing to say about the text
    ├── ModelError                a model could not be resolved or loaded (setup problem)
    │   ├── ModelNotFound         name not in the manifest and not a path; lists what exists
    │   └── WriterFailed          the LLM server failed on one article (refused, HTTP error,
    │       │                     timeout, a reply not as the API promises): that article's error
    │       └── BudgetSpent       the run's time budget (``digest --budget``) ended before the
    │                             writer finished the article: the digest briefs it in fast mode
    ├── MissingExtra              an optional extra (``newsbrief[ray]``) is not installed
    ├── EngineError               the batch engine cannot start: no Ray cluster at ``--address``
    ├── StoreError                the SQLite index is corrupt, locked or unwritable
    │   └── NoSuchArticle         no article with that id in the index
    ├── StateError                a file we keep or write (``--out``, results, a lock) cannot be used
    ├── UsageError                a bad option value (``--since``, ``--budget``, a config path)
    └── Locked                    another run holds the lock on the index or the output folder

Each class has a short machine ``reason`` used in JSON output and ``errors.jsonl``.
"""

from __future__ import annotations


class PipelineError(Exception):
    reason = "error"

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


class SourceError(PipelineError):
    reason = "bad_source"


class FetchError(SourceError):
    reason = "fetch_failed"

    def __init__(self, message: str, source: str | None = None, reason: str | None = None) -> None:
        super().__init__(message, source)
        if reason:
            self.reason = reason


class TooLargeError(SourceError):
    reason = "too_large"


class UnsupportedContent(SourceError):
    reason = "unsupported_content"


class BadEncoding(SourceError):
    reason = "bad_encoding"


class InputNotFound(SourceError):
    reason = "not_found"


class ExtractionError(PipelineError):
    reason = "no_article_text"


class ExtractionTimeout(ExtractionError):
    reason = "extract_timeout"


class SummaryError(PipelineError):
    reason = "no_summary"


class ModelError(PipelineError):
    reason = "model_error"


class ModelNotFound(ModelError):
    reason = "model_not_found"


class WriterFailed(ModelError):
    """One article's request to the LLM server failed; the record fails, the run goes on, and a
    rerun retries it (the article is fine; the server may be back)."""

    reason = "model_error"


class BudgetSpent(WriterFailed):
    """The run's time budget ended between (or during) the writer's requests for one article; the
    writer stopped there. The digest shows that story in fast mode, as one the budget did not
    reach (:attr:`~pipeline.digest.Digest.degraded`)."""

    reason = "out_of_budget"


class MissingExtra(PipelineError):
    reason = "missing_extra"


class EngineError(PipelineError):
    """The batch engine could not start: a Ray cluster that does not answer at ``--address``."""

    reason = "engine_error"


class StoreError(PipelineError):
    reason = "store_error"


class StateError(PipelineError):
    """Read-only or full folders, a directory or a symlink where a file should be, damaged files."""

    reason = "state_error"


class NoSuchArticle(StoreError):
    pass  # same reason; the CLI exits 2 (the id is bad input, the index is fine), the reader answers 404


class UsageError(PipelineError):
    reason = "usage"


class Locked(PipelineError):
    reason = "locked"
