"""What the commands share and that does not talk to the terminal: exit codes, the option
decorators, settings from flags, the log formatter. ``app.py`` and the command modules beside it
hold the only writes to the terminal (as trafilatura's ``cli.py`` sits over its ``cli_utils.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import ExtractionError, Locked, NoSuchArticle, PipelineError, SourceError, SummaryError, UsageError
from ..text import strip_controls

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_ALL_FAILED, EXIT_SETUP, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_LOCKED = 5  # digest / batch --out: another run holds the lock
EXIT_MEANINGS = {  # the one table of what a code means: --help prints it, the README's is tested against it
    EXIT_OK: "every source succeeded",
    EXIT_PARTIAL: "some sources failed",
    EXIT_USAGE: "usage error, an unknown id",
    EXIT_ALL_FAILED: "no source succeeded",
    EXIT_SETUP: "setup problem (model, config, index)",
    EXIT_LOCKED: "another run holds the lock (digest, batch --out)",
    EXIT_INTERRUPTED: "interrupted",
}
# error class -> exit code, most specific first; any other PipelineError (a model, the index, a
# folder, a missing extra) is a setup problem. The input itself failing is what "no source
# succeeded" means: `verify --article missing.html` exits 3 like `summarize missing.html`.
# An id the index does not hold (`show 999`) is the user's bad input, like a --config path that
# does not exist: a usage error, not a setup problem (the index itself is fine).
EXIT_CODES: tuple[tuple[type[PipelineError], int], ...] = (
    (UsageError, EXIT_USAGE),
    (NoSuchArticle, EXIT_USAGE),
    (Locked, EXIT_LOCKED),
    (SourceError, EXIT_ALL_FAILED),
    (ExtractionError, EXIT_ALL_FAILED),
    (SummaryError, EXIT_ALL_FAILED),
)
PROGRESS = "pipeline.progress"  # the logger library code reports its stages on, one short line each
MAX_SHOWN = 300  # characters of a source shown in a terminal line (a 2 KB link is still one line)

F = TypeVar("F", bound=Callable[..., Any])

# option types that hand the command a Path (None when the option is not given)
FILE = click.Path(dir_okay=False, path_type=Path)
FOLDER = click.Path(file_okay=False, path_type=Path)
EXISTING_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)
EXISTING_FOLDER = click.Path(file_okay=False, exists=True, path_type=Path)


def exit_code_of(exc: PipelineError) -> int:
    return next((code for cls, code in EXIT_CODES if isinstance(exc, cls)), EXIT_SETUP)


def outcome_code(ok: int, failed: int) -> int:
    if failed == 0:
        return EXIT_OK
    return EXIT_PARTIAL if ok else EXIT_ALL_FAILED


class SafeFormatter(logging.Formatter):
    """Log lines carry URLs and titles from pages: strip control sequences there too."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_controls(super().format(record))


def settings_from(**flags: Any) -> Any:
    """Settings with the command's flags on top (an unset flag is None and changes nothing)."""
    from ..settings import load_settings

    if flags.get("llm_url"):  # a malformed --llm-url is a usage error (exit 2), said before anything runs
        from ..summarizers.remote import endpoints

        endpoints(flags["llm_url"])
    return load_settings(flags)


def places(settings: Any) -> list[tuple[str, str]]:
    """Where this run's files are (``doctor``): the index, the config file, the watch file, the
    model folders and the cache, each path as it is (a copied path must work), with a note when it is not there."""
    import os

    from ..models import cache_dir, model_dirs
    from ..settings import user_config_path

    def noted(path: Path, missing: str) -> str:
        return str(path) if path.exists() else f"{path} ({missing})"

    return [
        ("index", noted(settings.db_path(), "not created yet")),
        ("config", noted(user_config_path(os.environ), "none: packaged defaults and NEWSBRIEF_ variables")),
        ("watches", noted(settings.watch_path(), "none yet: newsbrief watch add creates it")),
        ("models", ", ".join(str(d) for d in model_dirs(settings.models_dir))),
        ("cache", str(cache_dir())),
    ]


def open_index(settings: Any, readonly: bool = False) -> Any:
    from ..store import Store

    return Store(settings.db_path(), readonly=readonly)


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "-f", "--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True
    )


def llm_options(fn: F) -> F:
    """Where quality mode writes: an OpenAI-compatible LLM server instead of the bundled model."""
    fn = click.option("--llm-model", help="The server's model (default: the one it lists first).")(fn)
    ask = "Write quality briefs on this OpenAI-compatible LLM server (llama.cpp, Ollama, vLLM)."
    return click.option("--llm-url", metavar="URL", help=ask)(fn)


def mode_options(fn: F) -> F:
    fn = llm_options(fn)
    fn = click.option("--threads", type=int, help="CPU threads for the models (default: all cores).")(fn)
    fn = click.option("--model", help="Summarizer model: a name from `newsbrief models` or a local path.")(fn)
    fn = click.option(
        "--mode", type=click.Choice(["fast", "quality", "auto"]), help="fast = extractive, quality = LLM writer."
    )(fn)
    return fn


def private_option(what: str) -> Callable[[F], F]:
    """``--allow-private-addresses`` (unset: the setting decides, NEWSBRIEF_ALLOW_PRIVATE)."""
    return click.option(
        "--allow-private-addresses", is_flag=True, default=None, help=f"Allow {what} on private/loopback hosts."
    )


def quiet_progress() -> None:
    logging.getLogger(PROGRESS).setLevel(logging.WARNING)


def quiet_option(
    help: str = "No progress lines on stderr (errors still print).", expose: bool = False
) -> Callable[[F], F]:
    """``-q/--quiet``: the stage lines off, whatever the terminal or -v (``expose``: the command
    also gets the flag, as ``batch`` does for its bar)."""

    def quiet(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        if value:
            quiet_progress()
        return value

    return click.option("-q", "--quiet", is_flag=True, callback=quiet, expose_value=expose, help=help)


def db_option(fn: F) -> F:
    return click.option(
        "--db", type=click.Path(dir_okay=False), help="Index file (default: $NEWSBRIEF_DB or user data dir)."
    )(fn)


def brief_options(fn: F) -> F:
    """The options of the commands that write briefs: mode and model, --db, redirects, --no-index."""
    fn = private_option("redirects")(db_option(mode_options(fn)))
    return click.option("--no-index", is_flag=True, help="Do not add the briefs to the index.")(fn)
