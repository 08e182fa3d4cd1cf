"""The command line: parse options, call one library function, render, map errors to exit codes.

This is the only module that writes to the terminal. Exit codes (also in the README):

    0  every source succeeded          3  no source succeeded
    1  some sources failed             4  setup problem (model, config, index)
    2  usage error, an unknown id      5  another run holds the lock (digest, batch --out)
                                       130 interrupted

Set ``NEWSBRIEF_RAISE_ERRORS=1`` to get tracebacks instead of one-line errors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_utils import (
    EXISTING_FILE,
    EXISTING_FOLDER,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    FILE,
    FOLDER,
    MAX_SHOWN,
    PROGRESS,
    F,
    SafeFormatter,
    brief_options,
    db_option,
    exit_code_of,
    format_option,
    llm_options,
    mode_options,
    open_index,
    outcome_code,
    private_option,
    quiet_option,
    quiet_progress,
    settings_from,
)
from .errors import PipelineError
from .render import terminal_line as terminal_safe  # the one rule for text bound for a terminal


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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


@main.command()
@click.argument("sources", nargs=-1, required=True)
@format_option("md", "json")
@quiet_option()
@brief_options
@guarded
def summarize(
    sources: tuple[str, ...],
    fmt: str,
    no_index: bool,
    **flags: Any,  # --mode --model --threads --llm-url --llm-model --db --allow-private-addresses: settings
) -> None:
    """Summarize articles: URLs, saved .html/.htm/.txt files, or - for stdin.

    stdin holds an HTML page or a list of URLs, one per line. Each article is printed as Markdown
    (default) or one JSON object per line; a source that fails prints one line on stderr and the
    others still print.

    \b
    Examples:
      newsbrief summarize samples/eu-cloud-certification.html
      newsbrief summarize https://example.com/a.html https://example.com/b.html --format json
      curl -s https://example.com/a.html | newsbrief summarize -
      printf 'https://example.com/a\\nhttps://example.com/b\\n' | newsbrief summarize -
    """
    from .core import indexed, run
    from .render import markdown, to_json

    settings = settings_from(**flags)
    first = True

    def emit(article: Any) -> None:
        nonlocal first
        if fmt == "json":
            click.echo(to_json(article))
        else:
            click.echo(("" if first else "\n---\n\n") + markdown(article), nl=False)
        first = False

    stdin = sys.stdin.buffer if "-" in sources else None
    with contextlib.ExitStack() as stack:
        store = None if no_index else stack.enter_context(open_index(settings))
        ok, failed = report(indexed(run(sources, settings, stdin=stdin), store, settings.batch_size), emit)
    sys.exit(outcome_code(ok, failed))


@main.command()
@click.argument("inputs", nargs=-1)
@click.option("--out", "out_dir", type=FOLDER, required=True, help="Folder for results.jsonl/errors.jsonl.")
@click.option("--urls", "urls_file", type=click.Path(dir_okay=False, exists=True), help="File with one URL per line.")
@click.option("--retry-failed", is_flag=True, help="Re-attempt the sources listed in errors.jsonl.")
@click.option("--workers", type=int, help="Extraction worker processes (default: cores - 1); Ray: model actors.")
@click.option(
    "--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
    help="ray = run the same steps on Ray Data (needs the newsbrief[ray] extra).",
)  # fmt: skip
@click.option("--address", help="Ray cluster address (default: start Ray locally on this machine).")
@quiet_option("No progress bar (each failure still prints its line).", expose=True)
@brief_options
@guarded
def batch(
    inputs: tuple[str, ...],
    out_dir: Path,
    urls_file: str | None,
    retry_failed: bool,
    workers: int | None,
    engine: str,
    address: str | None,
    quiet: bool,
    no_index: bool,
    **flags: Any,  # --mode --model --threads --llm-url --llm-model --db --allow-private-addresses: settings
) -> None:
    """Summarize folders of saved pages, files or URL lists into DIR/results.jsonl, resumably.

    Folders are read recursively (.html, .htm, .txt, .html.gz). Re-running the same command skips
    what is done; a killed run loses nothing already written. Failures go to DIR/errors.jsonl.
    Exit code 0 = all ok, 1 = some failed, 3 = none succeeded.

    \b
    Examples:
      newsbrief batch saved_pages/ --out out/
      newsbrief batch --urls urls.txt --out out/ --mode fast
      newsbrief batch saved_pages/ --out out/ --retry-failed
      newsbrief batch saved_pages/ --out out/ --engine ray --workers 2
    """
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    from .batch import make_engine, out_lock, run_batch

    if not inputs and not urls_file:
        raise click.UsageError("give folders/files or --urls FILE")
    if not click.get_current_context().find_root().params.get("verbose"):
        quiet_progress()  # the bar is batch's progress: a stage line per article only with -v
    settings = settings_from(**flags)
    chosen = make_engine(engine, workers, address)  # a missing extra fails here, before --out is made
    with contextlib.ExitStack() as stack:
        stack.enter_context(out_lock(out_dir))  # a second batch into the same --out exits 5
        store = None if no_index else stack.enter_context(open_index(settings))
        run = run_batch(inputs, out_dir, settings, chosen, urls_file, retry_failed, store)
        bar = stack.enter_context(
            tqdm(total=len(run.todo), unit="article", disable=True if quiet else None, file=sys.stderr)
        )
        # log lines (warnings, -v) and each failure's line are written above the bar, not through it
        stack.enter_context(logging_redirect_tqdm([logging.getLogger(), logging.getLogger(PROGRESS)]))
        for a in run:
            if a.status != "ok":
                tqdm.write(error_text(a.source, a.message or "failed", a.error), file=sys.stderr)
            bar.update(1)
    click.echo(terminal_safe(f"newsbrief: {run.tally()} -> {out_dir}"), err=True)
    # the code describes the folder, not just this run: failures from earlier runs still count
    sys.exit(outcome_code(*run.outcome))


@main.command()
@click.argument("query", required=False, default="")
@click.option("--entity", help="Only articles mentioning this entity (name, acronym or long form).")
@click.option("--since", help="Only articles from the last 7d, 24h, 30m, 2w, or since a date.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option(
    "--stories",
    "as_stories",
    is_flag=True,
    help="Return the stories of the matching articles (each once, best match first); articles not in a "
    "story yet are left out (`newsbrief stories` groups them).",
)
@click.option("--watch", "watch_name", metavar="NAME", help="Only what the watch NAME matches (JSON: `matched`).")
@format_option("md", "json")
@db_option
@guarded
def search(
    query: str, entity: str | None, since: str | None, limit: int, as_stories: bool, watch_name: str | None,
    fmt: str, db: str | None,
) -> None:  # fmt: skip
    """Search the index: full text (title, TLDR, summary, body; ranked) and/or by entity.

    \b
    Examples:
      newsbrief search "cloud certification"
      newsbrief search --entity ECCG
      newsbrief search ransomware --since 7d --format json
      newsbrief search ransomware --stories
      newsbrief search --watch eu-cloud --since 7d --format json
    """
    from .render import hit_lines, story_lines

    if not query.strip() and not entity and not since and not watch_name:
        raise click.UsageError("give a QUERY, --entity, --since or --watch")
    settings = settings_from(db=db)
    watches = _watches(db)[1].only(watch_name) if watch_name else None
    scan = WATCH_SCAN if watches else limit
    with open_index(settings, readonly=True) as store:
        if as_stories:
            found: list[Any] = store.search_stories(query, entity, since, scan, settings.max_query_terms)
            if watches:
                found = _watched_stories(store, watches, found, limit, ranked=False)
        else:
            found = store.search(query, entity, since, scan, settings.max_query_terms)
            if watches:
                found = _watched_hits(store, watches, found, limit)
    if watches:
        _with_matches(found, fmt, as_stories)
    else:
        for line in story_lines(found, fmt) if as_stories else hit_lines(found, fmt):
            click.echo(line)
    if not found and fmt == "md":
        click.echo("no matches", err=True)


@main.command("entities")
@click.option("--top", type=int, default=20, show_default=True)
@click.option("--label", help="Only this label (ORG, GPE, PERSON, PRODUCT, CVE, ...).")
@click.option("--since", help="Only articles from the last 7d, 24h, ... or since a date.")
@format_option("md", "json")
@db_option
@guarded
def entities_cmd(top: int, label: str | None, since: str | None, fmt: str, db: str | None) -> None:
    """List the most mentioned entities in the index with their article counts.

    \b
    Examples:
      newsbrief entities --top 10
      newsbrief entities --label ORG --since 30d
    """
    from .render import entity_table

    settings = settings_from(db=db)
    with open_index(settings, readonly=True) as store:
        rows = store.entities(top=top, label=label, since=since)
    for line in entity_table(rows, fmt):
        click.echo(line)


@main.command("stories")
@click.option(
    "--since",
    default="24h",
    show_default=True,
    help="Stories with an article in the last 24h, 7d, ... or since a date.",
)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--watch", "watch_name", metavar="NAME", help="Only the stories the watch NAME matches, with why.")
@format_option("md", "json")
@db_option
@guarded
def stories_cmd(since: str, limit: int, watch_name: str | None, fmt: str, db: str | None) -> None:
    """List stories: the index's articles grouped by the event they report, biggest first.

    Articles not yet in a story (from batch or summarize) are grouped first.

    \b
    Examples:
      newsbrief stories --since 24h
      newsbrief stories --since 7d --format json
      newsbrief stories --since 7d --watch eu-cloud
    """
    from .api import stories
    from .render import story_lines

    settings = settings_from(db=db)
    if watch_name:
        watches = _watches(db)[1].only(watch_name)  # a name not there is said before any grouping
        found = stories(since, settings, WATCH_SCAN)
        with open_index(settings, readonly=True) as store:
            _with_matches(_watched_stories(store, watches, found, limit), fmt, True)
        return
    for line in story_lines(stories(since, settings, limit), fmt):
        click.echo(line)


@main.command()
@click.argument("article_id", type=int)
@format_option("md", "json")
@db_option
@guarded
def show(article_id: int, fmt: str, db: str | None) -> None:
    """Print a stored brief by its index id (from `newsbrief search`).

    \b
    Example:
      newsbrief show 12
    """
    from .render import markdown, to_json

    settings = settings_from(db=db)
    with open_index(settings, readonly=True) as store:
        article = store.get(article_id)
    click.echo(to_json(article) if fmt == "json" else markdown(article), nl=fmt == "json")


# ---------------------------------------------------------------- watches (pipeline/watch.py)
@main.group("watch")
def watch_group() -> None:
    """Watches: the entities, phrases, CVE ids and sites you follow, and the terms you mute.

    The digest opens with "On your watchlist" (stories matching a watch: highest priority, then
    most sources, then newest first, each saying why) and leaves out stories with a muted term or a
    watch's exclude term. Watches live in a TOML file you may edit by hand (setting watch_file;
    default: watches.toml beside the config file); a bad file is one error naming the watch and
    the field (exit 4).

    \b
    Examples:
      newsbrief watch add eu-cloud --entity ECCG --phrase "cloud certification" --priority 5
      newsbrief watch add xz --cve CVE-2024-3094 --source openwall.com
      newsbrief watch test eu-cloud --since 7d
      newsbrief watch mute horoscope
    """


def _watches(db: str | None) -> tuple[Any, Any]:
    """The settings (with --db) and the watches of the watch file they name."""
    from . import watch as wl

    settings = settings_from(db=db)
    return settings, wl.load(settings.watch_path())


@watch_group.command("add")
@click.argument("name")
@click.option("--entity", "entities", multiple=True, metavar="E", help="An entity: name, acronym or long form.")
@click.option("--phrase", "phrases", multiple=True, metavar="P", help="Words to find in this order in the text.")
@click.option("--cve", "cves", multiple=True, metavar="ID", help="A CVE id (CVE-2024-3094).")
@click.option("--source", "sources", multiple=True, metavar="HOST", help="A site (its subdomains too) or a URL on it.")
@click.option("--exclude", multiple=True, metavar="TERM", help="Leave out this watch's stories that say TERM.")
@click.option("--priority", type=click.IntRange(-1_000_000, 1_000_000), help="Higher comes first (default 0).")
@db_option
@guarded
def watch_add(name: str, priority: int | None, db: str | None, **terms: tuple[str, ...]) -> None:
    """Create the watch NAME, or add to it (and set its priority when given).

    \b
    Examples:
      newsbrief watch add eu-cloud --entity ECCG --entity ENISA --priority 5
      newsbrief watch add eu-cloud --phrase "cloud certification" --exclude "job offer"
    """
    from . import watch as wl

    settings = settings_from(db=db)
    w = wl.add(settings.watch_path(), name, priority, **terms)
    click.echo(terminal_safe(f"newsbrief: watch {w.name} saved in {settings.watch_path()}"), err=True)
    if w.entities and settings.db_path().exists():
        with contextlib.suppress(PipelineError), open_index(settings, readonly=True) as store:
            for e in w.entities:
                if not store.entities_named(e):
                    note = f"no article names {e!r} yet; it matches once one does (--phrase matches the text)"
                    click.echo(terminal_safe(f"newsbrief: note: {note}"), err=True)


@watch_group.command("remove")
@click.argument("name")
@db_option
@guarded
def watch_remove(name: str, db: str | None) -> None:
    """Remove the watch NAME.

    \b
    Example:
      newsbrief watch remove eu-cloud
    """
    from . import watch as wl

    wl.remove(settings_from(db=db).watch_path(), name)


@watch_group.command("list")
@format_option("md", "json")
@db_option
@guarded
def watch_list(fmt: str, db: str | None) -> None:
    """List the watches (highest priority first) and the muted terms.

    \b
    Examples:
      newsbrief watch list
      newsbrief watch list --format json
    """
    import json

    from .render import safe
    from .watch import LISTS

    settings, watches = _watches(db)
    if fmt == "json":
        click.echo(json.dumps({"file": str(watches.path), "watches": [w.as_dict() for w in watches.watches],
                               "mutes": list(watches.mutes)}, ensure_ascii=False))  # fmt: skip
        return
    for w in watches.watches:
        parts = [f"{k} {', '.join(safe(t) for t in getattr(w, k))}" for k in LISTS if getattr(w, k)]
        click.echo(f"- **{safe(w.name)}** (priority {w.priority}): " + "; ".join(parts))
    if watches.mutes:
        click.echo("- muted: " + ", ".join(safe(m) for m in watches.mutes))
    if not watches:
        click.echo(terminal_safe(f"newsbrief: no watches in {watches.path}"), err=True)


@watch_group.command("test")
@click.argument("name")
@click.option("--since", default="7d", show_default=True, help="Stories with an article in the last 7d, 24h, ...")
@click.option("--limit", type=int, default=50, show_default=True)
@format_option("md", "json")
@db_option
@guarded
def watch_test(name: str, since: str, limit: int, fmt: str, db: str | None) -> None:
    """Show the index's stories the watch NAME matches, and why (nothing is changed).

    \b
    Examples:
      newsbrief watch test eu-cloud
      newsbrief watch test eu-cloud --since 30d --format json
    """
    from .store import parse_since

    settings, watches = _watches(db)
    one = watches.only(name)
    with open_index(settings, readonly=True) as store:
        found = _watched_stories(store, one, store.stories(parse_since(since), WATCH_SCAN), limit)
    _with_matches(found, fmt, True)
    if not found:
        click.echo(terminal_safe(f"newsbrief: watch {name}: no story since {since} matches"), err=True)


WATCH_SCAN = 10_000  # stories or search results a --watch filter reads at most before keeping --limit of them


def _watched_stories(store: Any, watches: Any, stories: list[dict[str, Any]], limit: int,
                     ranked: bool = True) -> list[dict[str, Any]]:  # fmt: skip
    """The ``limit`` first of ``stories`` the watches match, each with ``matched``; ranked by
    priority, sources and recency, or (``ranked=False``: search results) in their own order."""
    from .watch import watched_stories

    found = watched_stories(store, watches, stories)
    if not ranked:
        order = {s["id"]: i for i, s in enumerate(stories)}
        found.sort(key=lambda s: order[s["id"]])
    return found[: max(0, limit)]


def _watched_hits(store: Any, watches: Any, hits: list[Any], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` first search hits the watches match, as dicts with ``matched``."""
    import dataclasses

    from .watch import watched_articles

    verdicts = watched_articles(store, watches, [h.id for h in hits])
    kept = [{**dataclasses.asdict(h), "matched": [m.as_dict() for m in verdicts[h.id].matches]}
            for h in hits if h.id in verdicts]  # fmt: skip
    return kept[: max(0, limit)]


def _with_matches(found: list[dict[str, Any]], fmt: str, as_stories: bool) -> None:
    """Stories or search hits with what matched: JSON objects carrying ``matched``, or each
    one's lines and then a line saying why."""
    import json
    from types import SimpleNamespace

    from .render import hit_lines, safe, story_lines

    for item in found:
        if fmt == "json":
            click.echo(json.dumps(item, ensure_ascii=False))
            continue
        lines = story_lines([item], fmt) if as_stories else hit_lines([SimpleNamespace(**item)], fmt)
        for line in lines:
            click.echo(line)
        click.echo("    matched " + "; ".join(f"{safe(m['watch'])}: {safe(m['why'])}" for m in item["matched"]))


@watch_group.command("mute")
@click.argument("term")
@db_option
@guarded
def watch_mute(term: str, db: str | None) -> None:
    """Leave out of the digest every story that says TERM (its words in this order, any case).

    \b
    Example:
      newsbrief watch mute horoscope
    """
    from . import watch as wl

    wl.mute(settings_from(db=db).watch_path(), term)


@watch_group.command("unmute")
@click.argument("term")
@db_option
@guarded
def watch_unmute(term: str, db: str | None) -> None:
    """Stop muting TERM.

    \b
    Example:
      newsbrief watch unmute horoscope
    """
    from . import watch as wl

    wl.mute(settings_from(db=db).watch_path(), term, on=False)


@main.command("models")
@guarded
def models_cmd() -> None:
    """List known models and whether each is installed.

    \b
    Example:
      newsbrief models
    """
    from .render import model_lines

    for line in model_lines(settings_from()):
        click.echo(line)


@main.command()
@click.option(
    "--settings", "show_settings", is_flag=True,
    help="Print every effective setting as TOML, each with where it came from, instead of checking models.",
)  # fmt: skip
@guarded
def doctor(show_settings: bool) -> None:
    """Say where the index, config file, models and cache are; check that the default models load
    and run offline.

    \b
    Examples:
      newsbrief doctor
      newsbrief doctor --settings
    """
    import json
    import time

    from .api import doctor as check_models
    from .cli_utils import places
    from .settings import explain_settings

    settings = settings_from()  # a bad value is its one error line here, naming its file or variable
    for name, path in places(settings):
        click.echo(terminal_safe(f"{name + ':':<8} {path}"))
    if show_settings:
        for name, value, origin in explain_settings():
            shown = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
            click.echo(terminal_safe(f"{name} = {shown}  # {origin}"))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    for role, model_id, detail in check_models(settings):  # raises a setup error on failure
        click.echo(f"{role:<11} {model_id}: ok ({detail})")
    click.echo(f"models loaded and ran offline in {time.perf_counter() - t0:.1f}s")


@main.command()
@click.option(
    "--feeds", "feeds_file", type=EXISTING_FILE, required=True,
    help="File with RSS/Atom feed URLs, site homepages (their feed is discovered) or article URLs.",
)  # fmt: skip
@click.option("--since", default="24h", show_default=True, help="Only items published in the last 24h, 7d, ...")
@click.option("--out", "out_path", type=FILE, help="Write the digest here (default: stdout).")
@format_option("md", "html")
@click.option("--budget", help="Time budget (90s, 15m, 1h): then finish with what is done and list the rest.")
@click.option("--atom", "atom_path", type=FILE, help="Also write an Atom feed of the digest.")
@click.option(
    "--alert-cmd", metavar="CMD",
    help="Run CMD (split like a shell would, never run by one) once per new watched story, its JSON on stdin.",
)  # fmt: skip
@click.option("--watch-atom", "watch_atom", type=FOLDER, help="Keep an Atom feed per watch in this folder.")
@quiet_option()
@private_option("feed items and redirects")
@db_option
@mode_options
@guarded
def digest(
    feeds_file: Path,
    since: str,
    out_path: Path | None,
    fmt: str,
    budget: str | None,
    atom_path: Path | None,
    alert_cmd: str | None,
    watch_atom: Path | None,
    **flags: Any,
) -> None:  # fmt: skip  (flags: --mode --model --threads --db --allow-private-addresses)
    """Summarize what is new in your feeds into one Markdown or HTML page (cron-safe).

    Each run handles only items it has not seen (remembered in the index); articles already in the
    index are reused. A lock stops overlapping runs (exit 5). With --budget the run stops starting
    new articles when time is up, lists what it skipped, and the next run picks those up.

    \b
    Example (crontab, every morning at 6):
      0 6 * * * newsbrief digest --feeds ~/feeds.txt --since 24h --budget 15m --format html --out ~/digest.html

    With watches (`newsbrief watch`), the digest opens with the stories they match; --alert-cmd
    runs a command for each new one (JSON on stdin: watch, story_id, title, tldr, sources,
    matched), --watch-atom keeps a feed per watch. An alert the command fails is retried next run.
    """
    import shlex

    from . import digest as dg

    try:
        argv = shlex.split(alert_cmd) if alert_cmd is not None else []
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--alert-cmd") from None
    if alert_cmd is not None and not argv:
        raise click.BadParameter("give a command", param_hint="--alert-cmd")
    # written first, remembered after: a digest that cannot be written is published next run
    result = dg.run(feeds_file, settings_from(**flags), since, budget, fmt, out_path, atom_path,
                    emit=lambda text: click.echo(text, nl=False), alert_cmd=argv, watch_atom=watch_atom)  # fmt: skip
    for f in result.failures:
        error_line(f.source, f.message, f.reason)
    for a in result.alert_failures:
        error_line(f"alert {a.watch}/{a.story_id}", f"{a.message} (tried again next run)", "alert_failed")
    if argv:
        click.echo(f"newsbrief: digest: {result.alerted} alert(s) sent, {len(result.alert_failures)} waiting", err=True)
    if result.kept:
        click.echo(terminal_safe(f"newsbrief: digest: no story to show; {out_path} left as it was"), err=True)
    click.echo(f"newsbrief: digest: {result.tally()}", err=True)
    sys.exit(outcome_code(len(result.articles), len(result.failures)))


@main.group()
def feeds() -> None:
    """Move subscriptions between newsbrief's feeds file and other readers (OPML).

    \b
    Examples:
      newsbrief feeds import subscriptions.opml --feeds ~/feeds.txt
      newsbrief feeds export --feeds ~/feeds.txt > subscriptions.opml
    """


@feeds.command("import")
@click.argument("opml_file", type=FILE)
@click.option("--feeds", "feeds_file", type=FILE, required=True, help="The feeds file to add to (created if missing).")
@guarded
def feeds_import(opml_file: Path, feeds_file: Path) -> None:
    """Add an OPML file's feeds to the feeds file `digest --feeds` reads, folders flattened, each
    with its title as a comment; feeds already listed are skipped. Only http(s) URLs are taken:
    any other (file:, javascript:) is refused with a line naming it, and the rest are imported.
    An OPML with a DTD or entities, over the size cap or nested too deep is refused (exit 3).

    \b
    Example:
      newsbrief feeds import subscriptions.opml --feeds ~/feeds.txt
    """
    from .opml import import_opml
    from .policy import Policy

    done = import_opml(opml_file, feeds_file, Policy.trusted(settings_from()))
    for exc in done.refused:
        error_line(exc.source, exc.message, exc.reason)
    tally = f"{len(done.added)} added, {len(done.present)} already listed, {len(done.refused)} refused"
    click.echo(terminal_safe(f"newsbrief: feeds import: {tally} -> {feeds_file}"), err=True)
    sys.exit(outcome_code(len(done.added) + len(done.present), len(done.refused)))


@feeds.command("export")
@click.option("--feeds", "feeds_file", type=EXISTING_FILE, required=True, help="The feeds file to export.")
@guarded
def feeds_export(feeds_file: Path) -> None:
    """Print the feeds file as OPML 2.0 on stdout, each comment after a URL as its title. Lines
    that are not http(s) URLs are left out, each with a line on stderr.

    \b
    Example:
      newsbrief feeds export --feeds ~/feeds.txt > subscriptions.opml
    """
    from .opml import export_opml
    from .policy import Policy

    text, skipped = export_opml(feeds_file, Policy.trusted(settings_from()))
    for exc in skipped:
        error_line(exc.source, f"left out: {exc.message}", exc.reason)
    click.echo(text, nl=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (local only by default).")
@click.option("--port", type=int, default=8750, show_default=True)
@click.option(
    "--allow-host", "allow_hosts", multiple=True, metavar="NAME",
    help="Also answer to this Host name (the machine's name or address when listening on every interface).",
)  # fmt: skip
@click.option("--digests", "digests_dir", type=EXISTING_FOLDER, help="Folder of digests to serve.")
@db_option
@guarded
def serve(host: str, port: int, allow_hosts: tuple[str, ...], digests_dir: Path | None, db: str | None) -> None:
    """Browse the index in a local web reader: search, entities over time, every summary
    sentence linked to the article sentences it comes from. Read-only; JSON at every URL
    (?format=json). Answers only to 127.0.0.1, localhost, [::1], the --host and --allow-host
    names. Needs the newsbrief[serve] extra.

    \b
    Examples:
      newsbrief serve                      # http://127.0.0.1:8750/
      newsbrief serve --digests ~/digests --port 9000
      newsbrief serve --host 0.0.0.0 --allow-host reader.lan
    """
    from .errors import MissingExtra

    try:
        import uvicorn  # noqa: F401  (checked here: the extra is missing, not the reader broken)

        from . import serve as reader
    except ImportError:
        raise MissingExtra("the reader needs the optional extra: pip install 'newsbrief[serve]'", "serve") from None
    from .watch import load as load_watches

    settings = settings_from(db=db)
    db_path = settings.db_path()
    watches = load_watches(settings.watch_path())  # a bad watch file is its one line, before a port is bound
    app, sock, hosts = reader.start(db_path, host, port, allow_hosts, digests_dir, watches)
    where = "only this machine can connect" if reader.is_local(host) else "reachable from the network"
    click.echo(
        f"newsbrief: serving {db_path} read-only at {reader.listen_url(host, port)} ({where}; "
        f"answers to Host {', '.join(hosts)})",
        err=True,
    )
    reader.run(app, sock)


@main.command("llm-server")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--host", default="127.0.0.1", show_default=True,
    help="Interface to listen on; another than loopback needs a key (the variable llm_api_key_env names).",
)  # fmt: skip
@click.option("--model", "model_name", help="A llama.cpp model of `newsbrief models` (default: the quality model).")
@click.option("--parallel", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Conversations decoded together (each gets llm_context tokens).")  # fmt: skip
@guarded
def llm_server(port: int, host: str, model_name: str | None, parallel: int) -> None:
    """Serve the bundled writer as an OpenAI-compatible LLM server (llama.cpp's own), offline: what
    --llm-url / llm_url point at, to try that path or to keep one model loaded for many runs.
    Prints the URL to use on stdout and serves until Ctrl-C.

    \b
    Examples:
      newsbrief llm-server --port 8080 &
      newsbrief summarize --llm-url http://127.0.0.1:8080 samples/eu-cloud-certification.html
    """
    import time

    from .errors import UsageError
    from .models import resolve
    from .serve import is_local
    from .summarizers.llamacpp import serve as serve_model
    from .summarizers.remote import api_key

    settings = settings_from()
    spec = resolve(model_name or settings.quality_model, "summarizer", settings.models_dir)
    if spec.backend != "llamacpp":
        raise UsageError(f"{spec.name} is a {spec.backend} model; llm-server serves llama.cpp (GGUF) models")
    key = api_key(settings)
    if not is_local(host) and not key:
        raise UsageError(
            f"listening on {host} needs a key: set llm_api_key_env to the name of a variable that holds it"
        )
    server = serve_model(spec, settings, host, port, parallel, key)
    click.echo(server.listening_address)
    where = "only this machine can connect" if is_local(host) else "reachable from the network, key required"
    click.echo(
        f"newsbrief: serving {spec.name} ({spec.id}) at {server.listening_address}/v1 ({where}); Ctrl-C stops it",
        err=True,
    )
    while True:
        time.sleep(3600)


@main.command()
@click.option("--article", "article_source", required=True, help="The article: a URL, a saved page, or - for stdin.")
@click.option(
    "--summary", "summary_file", required=True,
    help="The summary to check: a file or - (one sentence per line, or a paragraph).",
)  # fmt: skip
@format_option("md", "json")
@private_option("redirects")
@guarded
def verify(article_source: str, summary_file: str, fmt: str, allow_private_addresses: bool | None) -> None:
    """Check every sentence of a summary against its article: which sentences to trust.

    Each sentence is aligned to the article sentence(s) supporting it. A sentence copied or cut
    from the article is supported; a reworded one is "contradicted" (who-did-what, negation,
    numbers, a claim that lost its speaker), "not found" (words its support lacks, or two
    article sentences joined into one claim) or a reader "defect" (a quote without its speaker).
    Verdicts print as they are found, then the total. Exit 0 when all are supported, 1 when not.

    \b
    Examples:
      newsbrief verify --article https://example.com/story.html --summary summary.txt
      pbpaste | newsbrief verify --article saved.html --summary - --format json
    """
    import json

    from .api import verify_sources
    from .render import verdict_text

    settings = settings_from(allow_private_addresses=allow_private_addresses)
    article, verdicts = verify_sources(article_source, summary_file, settings, sys.stdin.buffer)
    seen = supported = 0
    for v in verdicts:  # each verdict as it is found
        seen, supported = seen + 1, supported + v.supported
        click.echo(json.dumps(v.as_dict(), ensure_ascii=False) if fmt == "json" else verdict_text(v, article.text))
    click.echo(f"newsbrief: verify: {supported} of {seen} sentences supported", err=True)
    sys.exit(EXIT_OK if supported == seen else EXIT_PARTIAL)


@main.command("eval")
@click.option("--shared", type=EXISTING_FOLDER, default="../shared/eval",
              show_default=True, help="Folder with the dev sets and score.py.")  # fmt: skip
@click.option(
    "--task",
    "tasks",
    multiple=True,
    type=click.Choice(["extraction", "summarization", "entities", "faithfulness", "stories"]),
)
@click.option(
    "--mode", "modes", multiple=True, type=click.Choice(["fast", "quality"]), help="Summarizer modes to score."
)
@click.option(
    "--limit",
    type=int,
    help="Score only the first N documents of each set (of each dataset in summarization). "
    "Floors are checked only for the limit they were pinned at (none for fast, see eval_floors.toml).",
)
@click.option("--json", "json_out", type=FILE, help="Write the full results here.")
@click.option("--briefs", "briefs_out", type=FILE, help="Write every brief (JSONL) to read next to its article.")
@llm_options
@guarded
def eval_cmd(shared: Path, tasks: tuple[str, ...], modes: tuple[str, ...], limit: int | None,
             json_out: Path | None, briefs_out: Path | None, **flags: Any) -> None:  # fmt: skip
    """Score extraction, summaries and entities on the shared dev sets; fail below the floors.

    Prints a table next to lead baselines (equal length and lead-3/lead-1) and exits 1 when a
    metric is below its floor in pipeline/eval_floors.toml.

    \b
    \b
    Examples:
      newsbrief eval --shared ../shared/eval --json bench/eval.json
      newsbrief eval --task summarization --mode quality --limit 60 --llm-url http://127.0.0.1:8080
    """
    from . import evaluate

    results = evaluate.run(shared, settings_from(**flags), tasks, modes, limit, briefs_out)
    click.echo(evaluate.table(results))
    values = evaluate.metrics(results)
    if json_out:
        evaluate.save(json_out, values, results)
    failures = evaluate.check_floors(values, limit)
    for line in failures:
        click.echo(f"newsbrief: eval: {line}", err=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
