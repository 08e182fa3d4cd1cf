"""Commands that read the index: ``search``, ``entities``, ``stories`` and ``show``."""

from __future__ import annotations

from typing import Any

import click

from ..api import STORIES_LIMIT, STORIES_SINCE
from .app import guarded, main
from .common import (
    db_option,
    format_option,
    open_index,
    settings_from,
)
from .watching import WATCH_SCAN, filter_hits, filter_stories, open_watches, print_matches


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
    from ..render import hit_lines, story_lines

    if not query.strip() and not entity and not since and not watch_name:
        raise click.UsageError("give a QUERY, --entity, --since or --watch")
    settings = settings_from(db=db)
    watches = open_watches(db)[1].only(watch_name) if watch_name else None
    scan = WATCH_SCAN if watches else limit
    with open_index(settings, readonly=True) as store:
        if as_stories:
            found: list[Any] = store.search_stories(query, entity, since, scan, settings.max_query_terms)
            if watches:
                found = filter_stories(store, watches, found, limit, ranked=False)
        else:
            found = store.search(query, entity, since, scan, settings.max_query_terms)
            if watches:
                found = filter_hits(store, watches, found, limit)
    if watches:
        print_matches(found, fmt, as_stories)
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
    from ..render import entity_table

    settings = settings_from(db=db)
    with open_index(settings, readonly=True) as store:
        rows = store.entities(top=top, label=label, since=since)
    for line in entity_table(rows, fmt):
        click.echo(line)


@main.command("stories")
@click.option(
    "--since",
    default=STORIES_SINCE,
    show_default=True,
    help="Stories with an article in the last 24h, 7d, ... or since a date.",
)
@click.option("--limit", type=int, default=STORIES_LIMIT, show_default=True)
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
    from ..api import stories
    from ..render import story_lines

    settings = settings_from(db=db)
    if watch_name:
        watches = open_watches(db)[1].only(watch_name)  # a name not there is said before any grouping
        found = stories(since, settings, WATCH_SCAN)
        with open_index(settings, readonly=True) as store:
            print_matches(filter_stories(store, watches, found, limit), fmt, True)
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
    from ..render import markdown, to_json

    settings = settings_from(db=db)
    with open_index(settings, readonly=True) as store:
        article = store.get(article_id)
    click.echo(to_json(article) if fmt == "json" else markdown(article), nl=fmt == "json")


# ---------------------------------------------------------------- watches (pipeline/watch.py)
