"""Commands that read articles: ``summarize`` (one or a few, printed), ``batch`` (folders of saved
pages into results files) and ``verify`` (a brief held against its article).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Any

import click

from .app import error_text, guarded, main, report, terminal_safe
from .common import (
    EXIT_OK,
    EXIT_PARTIAL,
    FOLDER,
    PROGRESS,
    brief_options,
    format_option,
    open_index,
    outcome_code,
    private_option,
    quiet_option,
    quiet_progress,
    settings_from,
)


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
    from ..core import indexed, summarize_sources
    from ..render import markdown, to_json

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
        ok, failed = report(
            indexed(summarize_sources(sources, settings, stdin=stdin), store, settings.batch_size), emit
        )
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

    from ..batch import make_engine, out_lock, run_batch

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

    from ..api import verify_sources
    from ..render import verdict_text

    settings = settings_from(allow_private_addresses=allow_private_addresses)
    article, verdicts = verify_sources(article_source, summary_file, settings, sys.stdin.buffer)
    seen = supported = 0
    for v in verdicts:  # each verdict as it is found
        seen, supported = seen + 1, supported + v.supported
        click.echo(json.dumps(v.as_dict(), ensure_ascii=False) if fmt == "json" else verdict_text(v, article.text))
    click.echo(f"newsbrief: verify: {supported} of {seen} sentences supported", err=True)
    sys.exit(EXIT_OK if supported == seen else EXIT_PARTIAL)
