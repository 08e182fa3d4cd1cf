"""The rows the index's reads return as records: a search :class:`Hit` and a listed article's
:class:`Brief` (with the SQL columns a Brief is read from)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    title: str | None
    url: str | None
    source: str
    date: str | None
    tldr: str | None
    snippet: str | None
    version: int


@dataclass(frozen=True, slots=True)
class Brief:
    """A row of the latest-briefs list."""

    id: int
    title: str | None
    date: str | None
    reading_minutes: int
    tldr: str | None


# the columns of a Brief (a listed article), its date the page's or the day the index took it
_BRIEF_COLUMNS = "a.id, a.title, COALESCE(a.date, substr(a.added_at, 1, 10)), a.reading_minutes, a.tldr"
