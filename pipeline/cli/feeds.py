"""``newsbrief digest`` (new articles of the feeds into a Markdown/HTML digest, from cron) and
``newsbrief feeds`` (OPML import and export of the feeds file).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .app import error_line, guarded, main, terminal_safe
from .common import (
    EXISTING_FILE,
    FILE,
    FOLDER,
    db_option,
    format_option,
    mode_options,
    outcome_code,
    private_option,
    quiet_option,
    settings_from,
)


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

    from .. import digest as dg

    try:
        argv = shlex.split(alert_cmd) if alert_cmd is not None else []
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--alert-cmd") from None
    if alert_cmd is not None and not argv:
        raise click.BadParameter("give a command", param_hint="--alert-cmd")
    # written first, remembered after: a digest that cannot be written is published next run
    result = dg.run_digest(feeds_file, settings_from(**flags), since, budget, fmt, out_path, atom_path,
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
    from ..opml import import_opml
    from ..policy import Policy

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
    from ..opml import export_opml
    from ..policy import Policy

    text, skipped = export_opml(feeds_file, Policy.trusted(settings_from()))
    for exc in skipped:
        error_line(exc.source, f"left out: {exc.message}", exc.reason)
    click.echo(text, nl=False)
