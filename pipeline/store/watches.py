"""The lookups a watch (pipeline/watch.py) makes in the index: the entities a name stands for,
the articles of a night's id range that name them or match its phrases, their URLs and stories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..text import key as entity_key
from .base import _ENTITIES_NAMED, StoreBase, _typed
from .schema import _SOURCES_SCHEMA


class WatchesMixin(StoreBase):
    # ---------------------------------------------------------------- watches (pipeline/watch.py)
    @_typed("read")
    def entities_named(self, name: str) -> list[dict[str, Any]]:
        """Every entity a name, acronym or long form stands for (its key or an alias, any label),
        each with ``id``, ``label``, ``name``, ``long_form`` and ``aliases`` (keys): what a watch
        on "ECCG" matches, and the words that say it in a text."""
        k = entity_key(name)
        rows = self.db.execute(
            f"SELECT id, label, name, long_form FROM entities WHERE id IN ({_ENTITIES_NAMED}) ORDER BY id", (k, k)
        ).fetchall()
        out = []
        for r in rows:
            aliases = self.db.execute("SELECT alias_key FROM entity_aliases WHERE entity_id = ?", (r["id"],))
            out.append({**dict(r), "aliases": sorted(str(a[0]) for a in aliases)})
        return out

    @_typed("read")
    def entity_hits(self, entity_ids: Sequence[int], low: int, high: int) -> list[tuple[int, int]]:
        """``(article id, entity id)`` of the articles with ids from ``low`` to ``high`` that name
        one of ``entity_ids`` (the id range keeps a night's lookup to a night's rows)."""
        rows = self.db.execute(
            "SELECT article_id, entity_id FROM article_entities WHERE entity_id IN (SELECT value FROM json_each(?))"
            " AND article_id BETWEEN ? AND ?",
            (json.dumps(list(entity_ids)), low, high),
        )
        return [(int(a), int(e)) for a, e in rows]

    @_typed("search")
    def phrase_hits(self, query: str, low: int, high: int) -> set[int]:
        """Ids from ``low`` to ``high`` of the articles whose title, TLDR, summary or text match
        the FTS5 ``query`` (built by the caller from words, never user syntax); FTS5 bounds the
        scan by the rowid range itself."""
        rows = self.db.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?", (query, low, high)
        )
        return {int(r[0]) for r in rows}

    @_typed("read")
    def article_urls(self, article_ids: Sequence[int]) -> list[tuple[int, str]]:
        """``(article id, URL)`` of every URL each article was read from (its own and its sources')."""
        ids = json.dumps(list(article_ids))
        sql = "SELECT id, url FROM articles WHERE id IN (SELECT value FROM json_each(?)) AND url IS NOT NULL"
        args = [ids]
        if self.version >= _SOURCES_SCHEMA:  # an index not migrated yet (read-only) has no sources table
            sql += (
                " UNION SELECT article_id, url FROM article_sources"
                " WHERE article_id IN (SELECT value FROM json_each(?)) AND url IS NOT NULL"
            )
            args.append(ids)
        rows = self.db.execute(sql, args)
        return [(int(a), str(u)) for a, u in rows]

    @_typed("read")
    def article_ids_since(self, since: str) -> list[int]:
        """Ids of the articles dated (else added) at or after ``since``."""
        rows = self.db.execute("SELECT id FROM articles WHERE COALESCE(date, added_at) >= ? ORDER BY id", (since,))
        return [int(r[0]) for r in rows]

    @_typed("read")
    def stories_of(self, article_ids: Sequence[int]) -> dict[int, int]:
        """article id -> the id of its story, for those of ``article_ids`` in one."""
        rows = self.db.execute(
            "SELECT article_id, story_id FROM story_articles WHERE article_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(article_ids)),),
        )
        return {int(a): int(s) for a, s in rows}
