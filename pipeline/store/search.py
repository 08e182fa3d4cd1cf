"""Finding articles in the index: full-text search (ranked, with snippets) filtered by entity
and date, and the entities articles name (the most named, one by name, its days and articles)."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from ..text import key as entity_key
from .base import _ENTITIES_NAMED, StoreBase, _typed
from .query import fts_query, parse_since
from .records import _BRIEF_COLUMNS, Brief, Hit


class SearchMixin(StoreBase):
    # ---------------------------------------------------------------- reads
    @_typed("search")
    def search(
        self,
        text: str = "",
        entity: str | None = None,
        since: str | None = None,
        limit: int = 20,
        max_terms: int = 16,
    ) -> list[Hit]:
        for name, value in (("text", text), ("entity", entity), ("since", since)):
            if value is not None and not isinstance(value, str):
                raise UsageError(f"search {name} must be a str, not {type(value).__name__}")
        where: list[str] = []
        params: list[Any] = []
        query = ""
        if text.strip():
            query = fts_query(text, max_terms)
            if not query:
                return []  # nothing searchable in the text (punctuation only): no matches
        if entity:
            k = entity_key(entity)
            where.append(f"a.id IN (SELECT article_id FROM article_entities WHERE entity_id IN ({_ENTITIES_NAMED}))")
            params += [k, k]
        if since:
            where.append("COALESCE(a.date, a.added_at) >= ?")
            params.append(parse_since(since))
        cols = "a.id, a.title, a.url, a.source, a.date, a.tldr"
        if query:
            # rank every match and keep the best `limit` first; snippets only for those
            ranked = "SELECT rowid AS id, bm25(articles_fts, 10.0, 5.0, 3.0, 1.0) AS r FROM articles_fts"
            if where:  # filters need the articles table; without them the ranking never touches it
                ranked = (
                    f"SELECT f.id, f.r FROM ({ranked} WHERE articles_fts MATCH ?) f JOIN articles a ON a.id = f.id"
                    " WHERE " + " AND ".join(where)
                )
            else:
                ranked += " WHERE articles_fts MATCH ?"
            # a snippet per kept row, found by rowid: joining the FTS table to the ranked rows
            # would match the whole query again (59 ms -> 31 ms for 10k matching articles)
            snippet = (
                "(SELECT snippet(articles_fts, 3, '«', '»', ' … ', 12) FROM articles_fts"
                " WHERE articles_fts MATCH ? AND rowid = best.id)"
            )
            sql = (
                f"SELECT {cols}, {snippet}, a.version"
                f" FROM ({ranked} ORDER BY r LIMIT ?) best JOIN articles a ON a.id = best.id ORDER BY best.r"
            )
            args = [query, query, *params, limit]
        else:
            sql = (
                f"SELECT {cols}, NULL, a.version FROM articles a"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY a.id DESC LIMIT ?"
            )
            args = [*params, limit]
        return [Hit(*row) for row in self.db.execute(sql, args).fetchall()]

    @_typed("read")
    def entities(
        self, top: int = 20, label: str | None = None, since: str | None = None, taken: bool = False
    ) -> list[dict[str, Any]]:
        """The most named entities (by articles, then mentions); ``since`` counts the articles'
        own dates, or with ``taken`` when the index took them (the reader's windows)."""
        where, params = [], []
        if label:
            where.append("e.label = ?")
            params.append(label.upper())
        if since:
            where.append("a.added_at >= ?" if taken else "COALESCE(a.date, a.added_at) >= ?")
            params.append(parse_since(since))
        sql = (
            "SELECT e.key, e.name, e.label, e.long_form,"
            " COUNT(DISTINCT ae.article_id) AS articles, SUM(ae.count) AS mentions"
            " FROM entities e JOIN article_entities ae ON ae.entity_id = e.id JOIN articles a ON a.id = ae.article_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " GROUP BY e.id ORDER BY articles DESC, mentions DESC, e.name LIMIT ?"
        )
        return [dict(r) for r in self.db.execute(sql, [*params, top])]

    @_typed("read")
    def entity(self, name: str) -> dict[str, Any] | None:
        """An entity by name, acronym or long form (its canonical key or an alias), with its
        aliases; the most mentioned one when a key has several labels."""
        k = entity_key(name)
        row = self.db.execute(
            "SELECT e.id, e.key, e.name, e.label, e.long_form, COALESCE(SUM(ae.count), 0) AS mentions,"
            " COUNT(ae.article_id) AS articles FROM entities e LEFT JOIN article_entities ae ON ae.entity_id = e.id"
            " WHERE e.key = ? OR e.id IN (SELECT entity_id FROM entity_aliases WHERE alias_key = ?)"
            " GROUP BY e.id ORDER BY mentions DESC LIMIT 1",
            (k, k),
        ).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["aliases"] = [
            r[0]
            for r in self.db.execute(
                "SELECT alias_key FROM entity_aliases WHERE entity_id = ? AND alias_key != ? ORDER BY alias_key",
                (out["id"], out["key"]),
            )
        ]
        return out

    @_typed("read")
    def entity_days(self, entity_id: int) -> list[tuple[str, int]]:
        """(day, mentions) for every day an article mentioning the entity is dated, in order."""
        rows = self.db.execute(
            "SELECT substr(COALESCE(a.date, a.added_at), 1, 10) AS day, SUM(ae.count) FROM article_entities ae"
            " JOIN articles a ON a.id = ae.article_id WHERE ae.entity_id = ? GROUP BY day ORDER BY day",
            (entity_id,),
        )
        return [(r[0], int(r[1])) for r in rows]

    @_typed("read")
    def entity_articles(self, entity_id: int, limit: int = 100) -> list[Brief]:
        rows = self.db.execute(
            f"SELECT {_BRIEF_COLUMNS}"
            " FROM article_entities ae JOIN articles a ON a.id = ae.article_id WHERE ae.entity_id = ?"
            " ORDER BY COALESCE(a.date, a.added_at) DESC, a.id DESC LIMIT ?",
            (entity_id, limit),
        )
        return [Brief(*r) for r in rows]
