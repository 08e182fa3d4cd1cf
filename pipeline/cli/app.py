"""The command group every command hangs from, and what the commands share that writes to the
terminal: the one-line error, the progress lines, the error-to-exit-code guard, the per-article
report. The commands themselves live in the sibling modules, one concern each.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import PipelineError
from ..render import terminal_line as terminal_safe  # the one rule for text bound for a terminal
from .common import (
    EXISTING_FILE,
    EXIT_INTERRUPTED,
    EXIT_MEANINGS,
    MAX_SHOWN,
    PROGRESS,
    F,
    SafeFormatter,
    exit_code_of,
)


def error_text(source: str | None, message: str, reason: str | None = None) -> str:
    prefix = f"{terminal_safe(source, MAX_SHOWN)}: " if source else ""
    return f"newsbrief: error: {prefix}{terminal_safe(message)}" + (f" [{reason}]" if reason else "")


def error_line(source: str | None, message: str, reason: str | None = None) -> None:
    click.echo(error_text(source, message, reason), err=True)


def on_terminal() -> bool:
    """Is stderr a person's terminal (not cron, a pipe or a test runner)?"""
    return sys.stderr.isatty()


def show_progress(verbose: int) -> None:
    """The library's stage lines (``pipeline.progress`` at INFO: "loading the summarizer model",
    "writing the brief of ...") go to stderr, never stdout, when a person is watching: on a
    terminal, or anywhere with -v (cron logs asked for them). A command's -q turns them off.
    Undone when the command ends, so a caller of :func:`main` keeps its own logging."""
    progress = logging.getLogger(PROGRESS)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("newsbrief: %(message)s"))
    progress.handlers, progress.propagate = [handler], False
    progress.setLevel(logging.INFO if verbose or on_terminal() else logging.WARNING)

    def restore() -> None:
        progress.handlers, progress.propagate = [], True
        progress.setLevel(logging.NOTSET)

    click.get_current_context().call_on_close(restore)


def guarded(fn: F) -> F:
    """Convert library errors to one line on stderr and an exit code, in one place."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PipelineError as exc:
            if os.environ.get("NEWSBRIEF_RAISE_ERRORS"):
                raise
            error_line(exc.source, exc.message, exc.reason)
            sys.exit(exit_code_of(exc))
        except KeyboardInterrupt:
            click.echo("newsbrief: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


EPILOG = "\b\nExit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_MEANINGS.items())


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.version_option(__version__, prog_name="newsbrief")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv for debug).")
@click.option("--config", type=EXISTING_FILE, help="Config file (default: user config dir).")
def main(verbose: int, config: Path | None) -> None:
    """newsbrief: offline article summaries (title, date, read time, TLDR, summary, entities).

    \b
    Examples:
      newsbrief summarize https://example.com/news/story.html
      curl -s https://example.com/story | newsbrief summarize -
      newsbrief summarize saved.html --format json
      newsbrief models
    """
    if config:
        os.environ["NEWSBRIEF_CONFIG"] = str(config)
    level = logging.WARNING - 10 * verbose
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("newsbrief: %(levelname)s: %(message)s"))
    logging.basicConfig(level=max(level, logging.DEBUG), handlers=[handler])
    logging.getLogger("pipeline").setLevel(max(level, logging.DEBUG))
    # httpx logs every request URL at INFO: not ours to show (a page's or the LLM server's URLs)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    show_progress(verbose)


def report(articles: Iterable[Any], emit: Callable[[Any], None]) -> tuple[int, int]:
    ok = failed = 0
    for article in articles:
        if article.status == "ok":
            ok += 1
            emit(article)
        else:
            failed += 1
            error_line(article.source, article.message or "failed", article.error)
    return ok, failed
