"""Stories in the index (pipeline/story/ groups articles by what they report): the open ones
new articles may join, their state and members, the brief written for each, and the reader's
story lists and story search."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ..document import Article, Story
from ..errors import NoSuchArticle
from .articles import ArticlesMixin
from .base import _ENTITIES_NAMED, MAX_ROWID, _typed
from .records import _BRIEF_COLUMNS, Brief
from .search import SearchMixin


class StoriesMixin(SearchMixin, ArticlesMixin):
    """Stories read through the other mixins: :meth:`search_stories` widens :meth:`search`,
    :meth:`entity_df` counts against :meth:`count`."""

    # ---------------------------------------------------------------- stories
    @_typed("read")
    def open_stories(self, since: str) -> list[Story]:
        """Stories whose last article is at or after ``since``: the ones new articles may join."""
        import numpy as np

        rows = self.db.execute(
            "SELECT id, title, first_seen, last_seen, size, vector, profile, cves FROM stories"
            " WHERE last_seen >= ? ORDER BY last_seen, id",
            (since,),
        )
        out = []
        for r in rows:
            vector = np.frombuffer(r["vector"], dtype=np.float32).copy()
            profile = Counter({str(k): float(v) for k, v in json.loads(r["profile"]).items()})
            out.append(
                Story(r["id"], r["first_seen"], r["last_seen"], vector, profile, set(json.loads(r["cves"])),
                      r["size"], title=r["title"])
            )  # fmt: skip
        return out

    @_typed("read")
    def placed(self, hashes: Sequence[str]) -> dict[str, tuple[int, str, int | None]]:
        """content hash -> (article id, when, story id or None) of stored articles."""
        out = {}
        for h in hashes:
            row = self.db.execute(
                "SELECT a.id, COALESCE(a.date, a.added_at), s.story_id FROM articles a"
                " LEFT JOIN story_articles s ON s.article_id = a.id WHERE a.content_hash = ?",
                (h,),
            ).fetchone()
            if row is not None:
                out[h] = (int(row[0]), str(row[1]), row[2])
        return out

    @_typed("write to")
    def set_story_brief(self, story_id: int, brief: dict[str, Any]) -> None:
        """Keep a story's brief; its title becomes the brief's (the title of the source that
        leads it, not of the first page grouped, which a page's own date decides)."""
        title = brief.get("title") if isinstance(brief.get("title"), str) else None
        with self.db:
            self.db.execute(
                "UPDATE stories SET brief = ?, title = COALESCE(?, title) WHERE id = ?",
                (json.dumps(brief, ensure_ascii=False), title, story_id),
            )

    @_typed("read")
    def story_size(self, story_id: int) -> int:
        """How many articles a story has in the index."""
        row = self.db.execute("SELECT COUNT(*) FROM story_articles WHERE story_id = ?", (story_id,)).fetchone()
        return int(row[0])

    @_typed("read")
    def story_members(self, story_id: int, limit: int) -> list[tuple[int, Article]]:
        """The ``limit`` articles of a story the index took last (id, article with its text), in
        the order it took them: by when they were seen, not by the date a page gives itself."""
        rows = self.db.execute(
            "SELECT a.brief, a.body, a.id FROM story_articles s JOIN articles a ON a.id = s.article_id"
            " WHERE s.story_id = ? ORDER BY a.id DESC LIMIT ?",
            (story_id, limit),
        ).fetchall()
        return [(int(r[2]), self._brief(r, f"article {r[2]}")) for r in reversed(rows)]

    @_typed("write to")
    def save_story(self, story: Story, links: Sequence[tuple[int, float]]) -> int:
        """Store a story's state and its new members ``(article id, score)`` in one transaction;
        returns its id. An article already in a story stays where it is."""
        import numpy as np

        state = (
            story.title, story.first, story.last, story.size, np.asarray(story.total, dtype=np.float32).tobytes(),
            json.dumps(dict(story.profile)), json.dumps(sorted(story.cves)),
        )  # fmt: skip
        with self.db:
            if story.id is None:
                cur = self.db.execute(
                    "INSERT INTO stories (title, first_seen, last_seen, size, vector, profile, cves)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    state,
                )
                story.id = int(cur.lastrowid or 0)
            else:
                self.db.execute(
                    "UPDATE stories SET title = ?, first_seen = ?, last_seen = ?, size = ?, vector = ?, profile = ?,"
                    " cves = ? WHERE id = ?",
                    (*state, story.id),
                )
            self.db.executemany(
                "INSERT OR IGNORE INTO story_articles (article_id, story_id, score) VALUES (?, ?, ?)",
                [(article_id, story.id, score) for article_id, score in links],
            )
        return story.id

    @_typed("read")
    def ungrouped(self, since: str, limit: int = 100_000) -> list[tuple[int, str, Article]]:
        """``(id, when, article)`` of stored articles since ``since`` that are in no story yet,
        oldest first (their text included: grouping reads the lead)."""
        rows = self.db.execute(
            "SELECT a.brief, a.body, a.id, COALESCE(a.date, a.added_at) AS t FROM articles a"
            " LEFT JOIN story_articles s ON s.article_id = a.id WHERE s.article_id IS NULL"
            " AND COALESCE(a.date, a.added_at) >= ? ORDER BY t, a.id LIMIT ?",
            (since, limit),
        )
        return [(int(r["id"]), r["t"], self._brief(r, f"article {r['id']}")) for r in rows]

    @_typed("read")
    def entity_df(self, keys: Iterable[str]) -> tuple[dict[str, int], int]:
        """How many stored articles mention each entity key (by name or alias), and how many
        articles there are: the document frequencies story grouping weighs names by."""
        df = {}
        for k in set(keys):
            row = self.db.execute(
                f"SELECT COUNT(DISTINCT article_id) FROM article_entities WHERE entity_id IN ({_ENTITIES_NAMED})",
                (k, k),
            ).fetchone()
            df[k] = int(row[0])
        return df, self.count()

    @_typed("read")
    def stories(self, since: str, limit: int = 100) -> list[dict[str, Any]]:
        """Stories with an article at or after ``since``, the biggest and newest first: id,
        title, first/last seen, size and their articles (id, title, url, sitename, date)."""
        rows = self.db.execute(
            "SELECT id, title, first_seen, last_seen, size, brief FROM stories WHERE last_seen >= ?"
            " ORDER BY size DESC, last_seen DESC, id LIMIT ?",
            (since, limit),
        ).fetchall()
        return [self._story(r) for r in rows]

    @_typed("read")
    def stories_taken(self, since: str, limit: int = 100) -> list[dict[str, Any]]:
        """Stories the index took an article into at or after ``since``, by when newsbrief read it
        (``added_at``), not by the date a page gives itself: a story the digest brought in tonight
        from last month's pages is tonight's. The biggest first, then the most recently taken, as
        :meth:`stories` returns them plus ``taken`` (when its newest article came in)."""
        rows = self.db.execute(
            "SELECT st.id, st.title, st.first_seen, st.last_seen, st.size, st.brief, t.taken FROM stories st"
            " JOIN (SELECT s.story_id, MAX(a.added_at) AS taken FROM articles a"
            " JOIN story_articles s ON s.article_id = a.id WHERE a.added_at >= ? GROUP BY s.story_id) t"
            " ON t.story_id = st.id ORDER BY st.size DESC, t.taken DESC, st.id LIMIT ?",
            (since, limit),
        ).fetchall()
        return [{**self._story(r), "taken": r["taken"]} for r in rows]

    @_typed("read")
    def loose_taken(self, since: str, limit: int = 100) -> list[Brief]:
        """The articles the index took at or after ``since`` that are in no story (from
        ``summarize`` or ``batch``, or not grouped yet), the newest taken first."""
        rows = self.db.execute(
            f"SELECT {_BRIEF_COLUMNS}"
            " FROM articles a LEFT JOIN story_articles s ON s.article_id = a.id"
            " WHERE s.article_id IS NULL AND a.added_at >= ? ORDER BY a.id DESC LIMIT ?",
            (since, limit),
        )
        return [Brief(*r) for r in rows]

    @_typed("read")
    def story(self, story_id: int) -> dict[str, Any]:
        if not isinstance(story_id, int) or isinstance(story_id, bool) or not 0 < story_id <= MAX_ROWID:
            raise NoSuchArticle(f"no story {story_id!r} in the index", str(self.path))
        row = self.db.execute(
            "SELECT id, title, first_seen, last_seen, size, brief FROM stories WHERE id = ?", (story_id,)
        ).fetchone()
        if row is None:
            raise NoSuchArticle(f"no story {story_id} in the index", str(self.path))
        return self._story(row)

    @_typed("read")
    def story_of(self, article_id: int) -> int | None:
        """The id of the story an article is in (None: in none yet, or no such article)."""
        if not isinstance(article_id, int) or isinstance(article_id, bool) or not 0 < article_id <= MAX_ROWID:
            return None
        row = self.db.execute("SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,)).fetchone()
        return None if row is None else int(row[0])

    @_typed("search")
    def search_stories(
        self, text: str = "", entity: str | None = None, since: str | None = None, limit: int = 20,
        max_terms: int = 16,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """The stories of the articles :meth:`search` finds, each once, in the order of its best
        ranked article, as :meth:`stories` returns them. Articles in no story are left out. Many
        hits may share a story: the search widens until it has ``limit`` stories or no more hits."""
        want = max(4 * limit, 50)
        while True:
            hits = self.search(text, entity=entity, since=since, limit=want, max_terms=max_terms)
            ids = [h.id for h in hits]
            rows = self.db.execute(
                "SELECT article_id, story_id FROM story_articles WHERE article_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            ).fetchall()
            of = {int(a): int(s) for a, s in rows}
            order = list(dict.fromkeys(of[i] for i in ids if i in of))[: max(0, limit)]
            if len(order) >= limit or len(hits) < want:
                break
            want *= 4
        found = {
            r["id"]: r
            for r in self.db.execute(
                "SELECT id, title, first_seen, last_seen, size, brief FROM stories"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(order),),
            )
        }
        return [self._story(found[i]) for i in order if i in found]

    def _story(self, row: sqlite3.Row) -> dict[str, Any]:
        members = self.db.execute(
            "SELECT a.id, a.title, a.url, a.sitename, COALESCE(a.date, substr(a.added_at, 1, 10)) AS date, a.tldr"
            " FROM story_articles s JOIN articles a ON a.id = s.article_id WHERE s.story_id = ?"
            " ORDER BY COALESCE(a.date, a.added_at), a.id",
            (row["id"],),
        )
        out = {k: row[k] for k in ("id", "title", "first_seen", "last_seen", "size")}
        out["articles"] = [dict(m) for m in members]
        out["brief"] = json.loads(row["brief"]) if row["brief"] else None
        return out
