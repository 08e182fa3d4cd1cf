"""newsbrief: offline article summaries (fetch → extract → summarize → entities → store/render).

As a library::

    import pipeline as newsbrief

    brief = newsbrief.summarize("https://example.com/story.html", mode="fast")
    print(brief.title, brief.reading_minutes, brief.tldr_text)
    for paragraph in brief.summary_paragraphs:
        print(paragraph)
    print([(e.text, e.label) for e in brief.entities])

``summarize(source=None, *, text=None, title=None, mode="auto", settings=None) -> Article``,
``stories(since="24h", settings=None) -> list[dict]`` (articles grouped by the event they report),
``run(sources, settings=None) -> Iterator[Article]``, :class:`Settings` / :func:`load_settings`
(flag-free precedence: env > user config > packaged defaults), :class:`Index` (the SQLite index:
``search``, ``entities``, ``get``) and the error classes. Heavy libraries (torch, transformers,
spaCy, llama.cpp) load only when a model is first used, so ``import pipeline`` stays instant.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "summarize",
    "run",
    "verify",
    "stories",
    "Settings",
    "load_settings",
    "Article",
    "Entity",
    "Index",
    "PipelineError",
    "SourceError",
    "FetchError",
    "TooLargeError",
    "UnsupportedContent",
    "InputNotFound",
    "BadEncoding",
    "ExtractionError",
    "SummaryError",
    "ModelError",
    "ModelNotFound",
    "StoreError",
    "StateError",
    "UsageError",
    "__version__",
]

_WHERE = {
    "summarize": ".api",
    "run": ".api",
    "verify": ".api",
    "stories": ".api",
    "Settings": ".settings",
    "load_settings": ".settings",
    "Article": ".document",
    "Entity": ".document",
    "Index": ".store",
    **{
        name: ".errors"
        for name in (
            "PipelineError", "SourceError", "FetchError", "TooLargeError", "UnsupportedContent", "InputNotFound",
            "BadEncoding", "ExtractionError", "SummaryError", "ModelError", "ModelNotFound", "StoreError",
            "StateError", "UsageError",
        )
    },
}  # fmt: skip

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    """Lazy attributes: the public names import their module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
