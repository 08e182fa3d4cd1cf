"""The command line: parse options, call one library function, render, map errors to exit codes.

This is the only module that writes to the terminal. Exit codes (also in the README):

    0  every source succeeded          3  no source succeeded
    1  some sources failed             4  setup problem (model, config, index)
    2  usage error                     5  another run holds the lock (digest, batch --out)
                                       130 interrupted

Set ``NEWSBRIEF_RAISE_ERRORS=1`` to get tracebacks instead of one-line errors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from . import __version__
from .errors import ExtractionError, Locked, PipelineError, SourceError, SummaryError, UsageError
from .render import terminal_line
from .text import strip_controls

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_ALL_FAILED, EXIT_SETUP, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_LOCKED = 5  # digest / batch --out: another run holds the lock
# error class -> exit code, most specific first; any other PipelineError (a model, the index, a
# folder, a missing extra) is a setup problem. The input itself failing is what "no source
# succeeded" means: `verify --article missing.html` exits 3 like `summarize missing.html`.
EXIT_CODES: tuple[tuple[type[PipelineError], int], ...] = (
    (UsageError, EXIT_USAGE),
    (Locked, EXIT_LOCKED),
    (SourceError, EXIT_ALL_FAILED),
    (ExtractionError, EXIT_ALL_FAILED),
    (SummaryError, EXIT_ALL_FAILED),
)
MAX_SHOWN = 300  # characters of a source shown in a terminal line (a 2 KB link is still one line)

F = TypeVar("F", bound=Callable[..., Any])


def outcome_code(ok: int, failed: int) -> int:
    if failed == 0:
        return EXIT_OK
    return EXIT_PARTIAL if ok else EXIT_ALL_FAILED


terminal_safe = terminal_line  # the one rule for text bound for a terminal (render.py)


def error_line(source: str | None, message: str, reason: str | None = None) -> None:
    prefix = f"{terminal_safe(source, MAX_SHOWN)}: " if source else ""
    line = f"newsbrief: error: {prefix}{terminal_safe(message)}" + (f" [{reason}]" if reason else "")
    click.echo(line, err=True)


class SafeFormatter(logging.Formatter):
    """Log lines carry URLs and titles from pages: strip control sequences there too."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_controls(super().format(record))


def exit_code_of(exc: PipelineError) -> int:
    return next((code for cls, code in EXIT_CODES if isinstance(exc, cls)), EXIT_SETUP)


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


def settings_from(ctx: click.Context, **flags: Any) -> Any:
    from .settings import load_settings

    return load_settings(flags)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsbrief")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv for debug).")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), help="Config file (default: user config dir).")
@click.pass_context
def main(ctx: click.Context, verbose: int, config: str | None) -> None:
    """newsbrief: offline article summaries (title, date, read time, TLDR, summary, entities).

    \b
    Examples:
      newsbrief summarize https://example.com/news/story.html
      curl -s https://example.com/story | newsbrief summarize -
      newsbrief summarize saved.html --format json
      newsbrief models
    """
    ctx.ensure_object(dict)
    if config:
        os.environ["NEWSBRIEF_CONFIG"] = config
    level = logging.WARNING - 10 * verbose
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("newsbrief: %(levelname)s: %(message)s"))
    logging.basicConfig(level=max(level, logging.DEBUG), handlers=[handler])
    logging.getLogger("pipeline").setLevel(max(level, logging.DEBUG))


def mode_options(fn: F) -> F:
    fn = click.option("--threads", type=int, help="CPU threads for the models (default: all cores).")(fn)
    fn = click.option("--model", help="Summarizer model: a name from `newsbrief models` or a local path.")(fn)
    fn = click.option(
        "--mode", type=click.Choice(["fast", "quality", "auto"]), help="fast = extractive, quality = LLM writer."
    )(fn)
    return fn


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


def open_index(settings: Any, readonly: bool = False) -> Any:
    from .store import Store

    return Store(settings.db_path(), readonly=readonly)


def private_option(what: str) -> Callable[[F], F]:
    """``--allow-private-addresses`` (unset: the setting decides, NEWSBRIEF_ALLOW_PRIVATE)."""
    return click.option(
        "--allow-private-addresses", is_flag=True, default=None, help=f"Allow {what} on private/loopback hosts."
    )


def db_option(fn: F) -> F:
    return click.option(
        "--db", type=click.Path(dir_okay=False), help="Index file (default: $NEWSBRIEF_DB or user data dir)."
    )(fn)


def brief_options(fn: F) -> F:
    """The options of the commands that write briefs: mode and model, --db, redirects, --no-index."""
    fn = private_option("redirects")(db_option(mode_options(fn)))
    return click.option("--no-index", is_flag=True, help="Do not add the briefs to the index.")(fn)


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@brief_options
@click.pass_context
@guarded
def summarize(
    ctx: click.Context,
    sources: tuple[str, ...],
    fmt: str,
    no_index: bool,
    **flags: Any,  # --mode --model --threads --db --allow-private-addresses: settings
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

    settings = settings_from(ctx, **flags)
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
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Folder for results.jsonl/errors.jsonl."
)
@click.option("--urls", "urls_file", type=click.Path(dir_okay=False, exists=True), help="File with one URL per line.")
@click.option("--retry-failed", is_flag=True, help="Re-attempt the sources listed in errors.jsonl.")
@click.option("--workers", type=int, help="Extraction worker processes (default: cores - 1); Ray: model actors.")
@click.option(
    "--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
    help="ray = run the same steps on Ray Data (needs the newsbrief[ray] extra).",
)  # fmt: skip
@click.option("--address", help="Ray cluster address (default: start Ray locally on this machine).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@brief_options
@click.pass_context
@guarded
def batch(
    ctx: click.Context,
    inputs: tuple[str, ...],
    out_dir: str,
    urls_file: str | None,
    retry_failed: bool,
    workers: int | None,
    engine: str,
    address: str | None,
    quiet: bool,
    no_index: bool,
    **flags: Any,  # --mode --model --threads --db --allow-private-addresses: settings
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
    from pathlib import Path

    from tqdm import tqdm

    from .batch import make_engine, out_lock, run_batch

    if not inputs and not urls_file:
        raise click.UsageError("give folders/files or --urls FILE")
    settings = settings_from(ctx, **flags)
    chosen = make_engine(engine, workers, address)  # a missing extra fails here, before --out is made
    with contextlib.ExitStack() as stack:
        stack.enter_context(out_lock(Path(out_dir)))  # a second batch into the same --out exits 5
        store = None if no_index else stack.enter_context(open_index(settings))
        run = run_batch(inputs, Path(out_dir), settings, chosen, urls_file, retry_failed, store)
        with tqdm(total=len(run.todo), unit="article", disable=True if quiet else None, file=sys.stderr) as bar:
            for a in run:
                if a.status != "ok" and quiet:
                    error_line(a.source, a.message or "failed", a.error)
                bar.update(1)
    click.echo(terminal_safe(f"newsbrief: {run.tally()} -> {out_dir}"), err=True)
    # the code describes the folder, not just this run: failures from earlier runs still count
    sys.exit(outcome_code(*run.outcome))


@main.command()
@click.argument("query", required=False, default="")
@click.option("--entity", help="Only articles mentioning this entity (name, acronym or long form).")
@click.option("--since", help="Only articles from the last 7d, 24h, 30m, 2w, or since a date.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@db_option
@click.pass_context
@guarded
def search(
    ctx: click.Context, query: str, entity: str | None, since: str | None, limit: int, fmt: str, db: str | None
) -> None:
    """Search the index: full text (title, TLDR, summary, body; ranked) and/or by entity.

    \b
    Examples:
      newsbrief search "cloud certification"
      newsbrief search --entity ECCG
      newsbrief search ransomware --since 7d --format json
    """
    from .render import hit_lines

    if not query.strip() and not entity and not since:
        raise click.UsageError("give a QUERY, --entity or --since")
    settings = settings_from(ctx, db=db)
    with open_index(settings, readonly=True) as store:
        hits = store.search(query, entity=entity, since=since, limit=limit, max_terms=settings.max_query_terms)
    for line in hit_lines(hits, fmt):
        click.echo(line)
    if not hits and fmt == "md":
        click.echo("no matches", err=True)


@main.command("entities")
@click.option("--top", type=int, default=20, show_default=True)
@click.option("--label", help="Only this label (ORG, GPE, PERSON, PRODUCT, CVE, ...).")
@click.option("--since", help="Only articles from the last 7d, 24h, ... or since a date.")
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@db_option
@click.pass_context
@guarded
def entities_cmd(ctx: click.Context, top: int, label: str | None, since: str | None, fmt: str, db: str | None) -> None:
    """List the most mentioned entities in the index with their article counts.

    \b
    Examples:
      newsbrief entities --top 10
      newsbrief entities --label ORG --since 30d
    """
    from .render import entity_table

    settings = settings_from(ctx, db=db)
    with open_index(settings, readonly=True) as store:
        rows = store.entities(top=top, label=label, since=since)
    for line in entity_table(rows, fmt):
        click.echo(line)


@main.command()
@click.argument("article_id", type=int)
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@db_option
@click.pass_context
@guarded
def show(ctx: click.Context, article_id: int, fmt: str, db: str | None) -> None:
    """Print a stored brief by its index id (from `newsbrief search`).

    \b
    Example:
      newsbrief show 12
    """
    from .render import markdown, to_json

    settings = settings_from(ctx, db=db)
    with open_index(settings, readonly=True) as store:
        article = store.get(article_id)
    click.echo(to_json(article) if fmt == "json" else markdown(article), nl=fmt == "json")


@main.command("models")
@click.pass_context
@guarded
def models_cmd(ctx: click.Context) -> None:
    """List known models and whether each is installed.

    \b
    Example:
      newsbrief models
    """
    from .render import model_lines

    for line in model_lines(settings_from(ctx)):
        click.echo(line)


@main.command()
@click.pass_context
@guarded
def doctor(ctx: click.Context) -> None:
    """Check that the default models load and run offline.

    \b
    Example:
      newsbrief doctor
    """
    import time

    from .api import doctor as check_models

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    for role, model_id, detail in check_models(settings_from(ctx)):  # raises a setup error on failure
        click.echo(f"{role:<11} {model_id}: ok ({detail})")
    click.echo(f"models loaded and ran offline in {time.perf_counter() - t0:.1f}s")


@main.command()
@click.option(
    "--feeds", "feeds_file", type=click.Path(dir_okay=False, exists=True), required=True,
    help="File with RSS/Atom feed URLs, site homepages (their feed is discovered) or article URLs.",
)  # fmt: skip
@click.option("--since", default="24h", show_default=True, help="Only items published in the last 24h, 7d, ...")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Write the digest here (default: stdout).")
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("--budget", help="Time budget (90s, 15m, 1h): then finish with what is done and list the rest.")
@click.option("--atom", "atom_path", type=click.Path(dir_okay=False), help="Also write an Atom feed of the digest.")
@private_option("feed items and redirects")
@db_option
@mode_options
@click.pass_context
@guarded
def digest(
    ctx: click.Context,
    feeds_file: str,
    since: str,
    out_path: str | None,
    fmt: str,
    budget: str | None,
    atom_path: str | None,
    **flags: Any,  # --mode --model --threads --db --allow-private-addresses: settings
) -> None:
    """Summarize what is new in your feeds into one Markdown or HTML page (cron-safe).

    Each run handles only items it has not seen (remembered in the index); articles already in the
    index are reused. A lock stops overlapping runs (exit 5). With --budget the run stops starting
    new articles when time is up, lists what it skipped, and the next run picks those up.

    \b
    Example (crontab, every morning at 6):
      0 6 * * * newsbrief digest --feeds ~/feeds.txt --since 24h --budget 15m --format html --out ~/digest.html
    """
    from pathlib import Path

    from . import digest as dg

    settings = settings_from(ctx, **flags)
    # written first, remembered after: a digest that cannot be written is published next run
    result = dg.run(Path(feeds_file), settings, since, budget, fmt, Path(out_path) if out_path else None,
                    Path(atom_path) if atom_path else None, emit=lambda text: click.echo(text, nl=False))  # fmt: skip
    for f in result.failures:
        error_line(f.source, f.message, f.reason)
    click.echo(
        f"newsbrief: digest: {len(result.articles)} new ({result.reused} reused, {result.degraded} in fast mode), "
        f"{len(result.failures)} failed, {len(result.skipped)} skipped",
        err=True,
    )
    sys.exit(outcome_code(len(result.articles), len(result.failures)))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (local only by default).")
@click.option("--port", type=int, default=8750, show_default=True)
@click.option(
    "--allow-host", "allow_hosts", multiple=True, metavar="NAME",
    help="Also answer to this Host name (the machine's name or address when listening on every interface).",
)  # fmt: skip
@click.option(
    "--digests", "digests_dir", type=click.Path(file_okay=False, exists=True), help="Folder of digests to serve."
)
@db_option
@click.pass_context
@guarded
def serve(
    ctx: click.Context, host: str, port: int, allow_hosts: tuple[str, ...], digests_dir: str | None, db: str | None
) -> None:
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
    from pathlib import Path

    from .errors import MissingExtra

    try:
        import uvicorn  # noqa: F401  (checked here: the extra is missing, not the reader broken)

        from . import serve as reader
    except ImportError:
        raise MissingExtra("the reader needs the optional extra: pip install 'newsbrief[serve]'", "serve") from None
    settings = settings_from(ctx, db=db)
    open_index(settings, readonly=True).close()  # a missing or unreadable index fails here, clearly
    hosts = reader.allowed_hosts(host, allow_hosts)
    app = reader.create_app(settings.db_path(), Path(digests_dir) if digests_dir else None, hosts)
    sock = reader.listen(host, port)  # a port in use fails here, before we say we are serving
    where = "only this machine can connect" if reader.is_local(host) else "reachable from the network"
    click.echo(
        f"newsbrief: serving {settings.db_path()} read-only at {reader.listen_url(host, port)} ({where}; "
        f"answers to Host {', '.join(hosts)})",
        err=True,
    )
    reader.run(app, sock)


@main.command()
@click.option("--article", "article_source", required=True, help="The article: a URL, a saved page, or - for stdin.")
@click.option(
    "--summary", "summary_file", required=True,
    help="The summary to check: a file or - (one sentence per line, or a paragraph).",
)  # fmt: skip
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@private_option("redirects")
@click.pass_context
@guarded
def verify(
    ctx: click.Context, article_source: str, summary_file: str, fmt: str, allow_private_addresses: bool | None
) -> None:
    """Check every sentence of a summary against its article: which sentences to trust.

    Each sentence is aligned to the article sentence(s) supporting it, then its names, numbers,
    dates, negation, who-did-what, a claim that lost its speaker ("attribution") and a quote
    without its speaker ("speaker") are checked against them; verdicts print as they are found.
    Exit 0 when all are supported, 1 when some are not.

    \b
    Examples:
      newsbrief verify --article https://example.com/story.html --summary summary.txt
      pbpaste | newsbrief verify --article saved.html --summary - --format json
    """
    import json
    from pathlib import Path

    from .api import read_one, summary_to_check
    from .policy import Policy
    from .relations import Verifier
    from .render import verdict_text

    if article_source == "-" and summary_file == "-":
        raise UsageError("the article and the summary cannot both come from stdin")
    settings = settings_from(ctx, allow_private_addresses=allow_private_addresses)
    policy = Policy.trusted(settings)
    # capped like any input (refused when longer, never cut); a file must be a regular file
    stdin = summary_file == "-"
    summary = policy.read_stream(sys.stdin.buffer) if stdin else policy.read_file(Path(summary_file))
    sentences = summary_to_check(summary, settings)  # a usage error (empty, binary, …) before any model loads
    article = read_one(article_source, settings, sys.stdin.buffer if article_source == "-" else None)
    all_supported = True
    for v in Verifier.load(settings).stream(article.text, sentences):  # each verdict as it is found
        all_supported &= v.supported
        click.echo(json.dumps(v.as_dict(), ensure_ascii=False) if fmt == "json" else verdict_text(v, article.text))
    sys.exit(EXIT_OK if all_supported else EXIT_PARTIAL)


@main.command("eval")
@click.option(
    "--shared",
    type=click.Path(file_okay=False, exists=True),
    default="../shared/eval",
    show_default=True,
    help="Folder with the dev sets and score.py.",
)
@click.option(
    "--task", "tasks", multiple=True, type=click.Choice(["extraction", "summarization", "entities", "faithfulness"])
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
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the full results here.")
@click.option(
    "--briefs",
    "briefs_out",
    type=click.Path(dir_okay=False),
    help="Write every brief (JSONL: mode, id, TLDR, summary, gated) to read them next to their articles.",
)
@click.pass_context
@guarded
def eval_cmd(
    ctx: click.Context,
    shared: str,
    tasks: tuple[str, ...],
    modes: tuple[str, ...],
    limit: int | None,
    json_out: str | None,
    briefs_out: str | None,
) -> None:
    """Score extraction, summaries and entities on the shared dev sets; fail below the floors.

    Prints a table next to lead baselines (equal length and lead-3/lead-1) and exits 1 when a
    metric is below its floor in pipeline/eval_floors.toml.

    \b
    Example:
      newsbrief eval --shared ../shared/eval --json bench/eval.json
    """
    import json
    from pathlib import Path

    from . import evaluate

    results = evaluate.run(Path(shared), settings_from(ctx), tasks, modes, limit,
                           Path(briefs_out) if briefs_out else None)  # fmt: skip
    click.echo(evaluate.table(results))
    values = evaluate.metrics(results)
    if json_out:
        Path(json_out).write_text(json.dumps({"metrics": values, "results": results}, indent=1))
    failures = evaluate.check_floors(values, limit)
    for line in failures:
        click.echo(f"newsbrief: eval: {line}", err=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
