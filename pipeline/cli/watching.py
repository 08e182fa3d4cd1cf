"""``newsbrief watch``: the user's watches and mutes (add, remove, list, test, mute, unmute), and
the ``--watch`` filter ``search`` and ``stories`` share.
"""

from __future__ import annotations

import contextlib
from typing import Any

import click

from ..errors import PipelineError
from .app import guarded, main, terminal_safe
from .common import (
    db_option,
    format_option,
    open_index,
    settings_from,
)


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


def open_watches(db: str | None) -> tuple[Any, Any]:
    """The settings (with --db) and the watches of the watch file they name."""
    from .. import watch as wl

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
    from .. import watch as wl

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
    from .. import watch as wl

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

    from ..render import safe
    from ..watch import LISTS

    settings, watches = open_watches(db)
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
    from ..store import parse_since

    settings, watches = open_watches(db)
    one = watches.only(name)
    with open_index(settings, readonly=True) as store:
        found = filter_stories(store, one, store.stories(parse_since(since), WATCH_SCAN), limit)
    print_matches(found, fmt, True)
    if not found:
        click.echo(terminal_safe(f"newsbrief: watch {name}: no story since {since} matches"), err=True)


WATCH_SCAN = 10_000  # stories or search results a --watch filter reads at most before keeping --limit of them


def filter_stories(store: Any, watches: Any, stories: list[dict[str, Any]], limit: int,
                     ranked: bool = True) -> list[dict[str, Any]]:  # fmt: skip
    """The ``limit`` first of ``stories`` the watches match, each with ``matched``; ranked by
    priority, sources and recency, or (``ranked=False``: search results) in their own order."""
    from ..watch import watched_stories

    found = watched_stories(store, watches, stories)
    if not ranked:
        order = {s["id"]: i for i, s in enumerate(stories)}
        found.sort(key=lambda s: order[s["id"]])
    return found[: max(0, limit)]


def filter_hits(store: Any, watches: Any, hits: list[Any], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` first search hits the watches match, as dicts with ``matched``."""
    import dataclasses

    from ..watch import watched_articles

    verdicts = watched_articles(store, watches, [h.id for h in hits])
    kept = [{**dataclasses.asdict(h), "matched": [m.as_dict() for m in verdicts[h.id].matches]}
            for h in hits if h.id in verdicts]  # fmt: skip
    return kept[: max(0, limit)]


def print_matches(found: list[dict[str, Any]], fmt: str, as_stories: bool) -> None:
    """Stories or search hits with what matched: JSON objects carrying ``matched``, or each
    one's lines and then a line saying why."""
    import json
    from types import SimpleNamespace

    from ..render import hit_lines, safe, story_lines

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
    from .. import watch as wl

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
    from .. import watch as wl

    wl.mute(settings_from(db=db).watch_path(), term, on=False)
