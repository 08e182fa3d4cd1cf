"""Articles in the index: storing finished records idempotently (one row per text, its other
sources as aliases, a changed text at a known URL as its next version, its entities and their
aliases) and reading them back by id, by URL or newest first."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator

from ..document import Article, Entity
from ..errors import NoSuchArticle, UsageError
from ..text import key as entity_key
from .base import MAX_ROWID, StoreBase, _typed
from .query import utc_now
from .records import Brief
from .schema import _SOURCES_SCHEMA, surname_of, surname_only

# The entity a name or alias stands for, under one label: its own key first, else an alias. Two
# indexed lookups (UNIQUE(key, label), then entity_aliases' primary key): written as one join with
# an OR, SQLite scanned `entities` for every entity an article names, inside the write transaction.
_ENTITY_BY_KEY = (
    "SELECT id FROM entities WHERE key = :key AND label = :label"
    " UNION ALL SELECT e.id FROM entity_aliases a JOIN entities e ON e.id = a.entity_id"
    " WHERE a.alias_key = :key AND e.label = :label LIMIT 1"
)


MAX_SHARED_PROBE = 200  # an article's entities a surname's link compares (a bound on one statement)


class ArticlesMixin(StoreBase):
    # ---------------------------------------------------------------- writes
    def pipe(self, articles: Iterable[Article], batch_size: int, wait: float = 1.0) -> Iterator[Article]:
        """Pass records through, storing finished ones in one transaction per ``batch_size``, or
        at once when they come slower than one per ``wait`` seconds (LLM briefs): a record is
        passed on only once it is stored, and none waits for others that take minutes."""
        pending: list[Article] = []
        since = time.monotonic()
        for a in articles:
            pending.append(a)
            if len(pending) >= batch_size or time.monotonic() - since >= wait:
                self.add_batch(pending)
                yield from pending
                pending, since = [], time.monotonic()
        if pending:
            self.add_batch(pending)
            yield from pending

    @_typed("read")
    def has(self, content_hash: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE content_hash = ?", (content_hash,)).fetchone() is not None

    @_typed("write to")
    def add_batch(self, articles: Iterable[Article]) -> list[int | None]:
        """Store finished articles in one transaction; returns row ids (None = already there)."""
        ids: list[int | None] = []
        with self.db:
            for a in articles:
                ids.append(self._add(a) if a.status == "ok" else None)
        return ids

    def _add(self, a: Article) -> int | None:
        h = a.content_hash
        known = self.db.execute("SELECT id FROM articles WHERE content_hash = ?", (h,)).fetchone()
        if known is not None or a.duplicate:  # the same text under another source: one more alias
            if known is not None:
                self._add_source(int(known[0]), a)
            return None
        version = 1
        if a.url:  # a new text at an address known as a row's URL or any of its sources' URLs
            row = self.db.execute(
                "SELECT MAX(a.version) FROM article_sources s JOIN articles a ON a.id = s.article_id WHERE s.url = ?",
                (a.url,),
            ).fetchone()
            version = (row[0] or 0) + 1
        cur = self.db.execute(
            "INSERT INTO articles (content_hash, url, source, title, author, date, sitename, language, word_count,"
            " reading_minutes, tldr, summary, body, model, brief, added_at, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                h, a.url, a.source, a.title, a.author, a.date, a.sitename, a.language, a.word_count,
                a.reading_minutes, a.tldr_text, "\n\n".join(a.summary_paragraphs), a.text,
                json.dumps(a.model), json.dumps(a.as_dict(), ensure_ascii=False),
                utc_now(), version,
            ),
        )  # fmt: skip
        article_id = int(cur.lastrowid or 0)
        self._add_source(article_id, a)
        named = []
        for e in a.entities:  # each counted at once: a later definition may merge it into another
            named.append((e, self._entity_id(e)))
            self._count(article_id, named[-1][1], e.count)
        self._surnames(article_id, named)
        return article_id

    def _count(self, article_id: int, entity_id: int, count: int) -> None:
        self.db.execute(
            "INSERT INTO article_entities (article_id, entity_id, count) VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET count = count + excluded.count",
            (article_id, entity_id, count),
        )

    def _surnames(self, article_id: int, named: list[tuple[Entity, int]]) -> None:
        """A person the article names only by surname ("Page said", "Ms Page", never "Bettie
        Page") counts for the person of the index named in full with that surname, where that is
        safe: there is exactly one such person, and one article that names them in full (not by
        such a link) shares two other entities with this one. (Within an article the tagger has
        already merged "Page" into "Bettie Page".) The surname stays an entity of its own too; the
        link is kept in ``surname_links``."""
        alone = [surname_only(entity_key(e.canonical)) if e.label == "PERSON" else None for e, _ in named]
        others = list(dict.fromkeys(i for (_, i), surname in zip(named, alone, strict=True) if surname is None))
        some = others[:MAX_SHARED_PROBE]
        for (e, _), surname in zip(named, alone, strict=True):
            if surname is None or len(some) < 2:
                continue
            people = self.db.execute("SELECT entity_id FROM entity_surnames WHERE surname = ? LIMIT 2", (surname,))
            found = [int(r[0]) for r in people]
            if len(found) != 1 or found[0] in others:
                continue
            person = found[0]
            shared = self.db.execute(
                "SELECT 1 FROM article_entities x JOIN article_entities y ON y.article_id = x.article_id"
                f" WHERE x.entity_id = ? AND y.entity_id IN ({', '.join('?' * len(some))})"
                " AND NOT EXISTS (SELECT 1 FROM surname_links l WHERE l.article_id = x.article_id AND l.entity_id = ?)"
                " GROUP BY x.article_id HAVING COUNT(DISTINCT y.entity_id) >= 2 LIMIT 1",
                (person, *some, person),
            ).fetchone()
            if shared is not None:
                self._count(article_id, person, e.count)
                self.db.execute("INSERT OR IGNORE INTO surname_links VALUES (?, ?)", (article_id, person))

    def _add_source(self, article_id: int, a: Article) -> None:
        """Remember that the row's text was read from ``a.source`` (stdin, ``-``, says nothing
        as an alias, but stays as a row's own source)."""
        if (
            a.source == "-"
            and self.db.execute("SELECT 1 FROM article_sources WHERE article_id = ?", (article_id,)).fetchone()
        ):
            return
        self.db.execute(
            "INSERT OR IGNORE INTO article_sources (article_id, source, url, added_at) VALUES (?, ?, ?, ?)",
            (article_id, a.source, a.url, utc_now()),
        )

    def _entity_id(self, e: Entity) -> int:
        """Find the entity by its key or any alias (ECCG ↔ European Cybersecurity Certification
        Group), linking what an article's definition joins across articles: the acronym's entity
        and the long form's, when earlier articles each named only one, become one. An acronym the
        index already knows for another long form (ECB: the European Central Bank) is not merged
        with this one (the England and Wales Cricket Board): that is an entity of its own, keyed by
        its long form, and the acronym names both."""
        label = e.label
        canon = entity_key(e.canonical)
        long_key = entity_key(e.long_form) if e.long_form else None
        entity_id = self._entity_by_key(canon, label)
        taken = entity_id is not None  # (key, label) is unique: a new entity of this acronym is keyed by its long form
        if entity_id is not None and long_key and long_key != canon:
            known = self.db.execute("SELECT long_form FROM entities WHERE id = ?", (entity_id,)).fetchone()[0]
            other = self._entity_by_key(long_key, label)
            if known and entity_key(known) != long_key:
                entity_id = other  # the acronym stands for something else too
            elif other is not None and other != entity_id:
                self._merge_entity(entity_id, other)
        elif entity_id is None and long_key:
            entity_id = self._entity_by_key(long_key, label)
        if entity_id is None:
            cur = self.db.execute(
                "INSERT INTO entities (key, label, name, long_form) VALUES (?, ?, ?, ?)",
                (long_key if taken and long_key else canon, label, e.canonical, e.long_form),
            )
            entity_id = int(cur.lastrowid or 0)
        if e.long_form:
            self.db.execute(
                "UPDATE entities SET long_form = COALESCE(long_form, ?) WHERE id = ?", (e.long_form, entity_id)
            )
        keys = [canon] + ([long_key] if long_key else [])
        for alias in {*keys, *(entity_key(x) for x in e.aliases)}:
            self.db.execute("INSERT OR IGNORE INTO entity_aliases VALUES (?, ?)", (alias, entity_id))
        if label == "PERSON" and (surname := surname_of(canon)):
            self.db.execute("INSERT OR IGNORE INTO entity_surnames VALUES (?, ?)", (surname, entity_id))
        return entity_id

    def _entity_by_key(self, k: str, label: str) -> int | None:
        row = self.db.execute(_ENTITY_BY_KEY, {"key": k, "label": label}).fetchone()
        return int(row[0]) if row else None

    def _merge_entity(self, keep: int, other: int) -> None:
        """``other`` is ``keep`` (an article defined the one as the other): its articles, their
        counts and its names move to ``keep``, and it goes."""
        self.db.execute(
            "INSERT INTO article_entities (article_id, entity_id, count)"
            " SELECT article_id, ?, count FROM article_entities WHERE entity_id = ? AND true"
            " ON CONFLICT DO UPDATE SET count = count + excluded.count",
            (keep, other),
        )
        self.db.execute(
            "INSERT OR IGNORE INTO entity_aliases (alias_key, entity_id)"
            " SELECT alias_key, ? FROM entity_aliases WHERE entity_id = ?"
            " UNION SELECT key, ? FROM entities WHERE id = ?",
            (keep, other, keep, other),
        )
        for table in ("entity_surnames", "surname_links"):
            self.db.execute(f"UPDATE OR IGNORE {table} SET entity_id = ? WHERE entity_id = ?", (keep, other))
        for table in ("article_entities", "entity_aliases", "entity_surnames", "surname_links"):
            self.db.execute(f"DELETE FROM {table} WHERE entity_id = ?", (other,))
        self.db.execute("DELETE FROM entities WHERE id = ?", (other,))

    # ---------------------------------------------------------------- reads
    @_typed("read")
    def get(self, article_id: int) -> Article:
        if not isinstance(article_id, int) or isinstance(article_id, bool):
            raise UsageError(f"an article id is an int, not {type(article_id).__name__}")
        if not 0 < article_id <= MAX_ROWID:
            raise NoSuchArticle(f"no article with id {article_id}", str(self.path))  # not a row id at all
        row = self.db.execute("SELECT brief, body FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise NoSuchArticle(f"no article with id {article_id}", str(self.path))
        article = self._brief(row, f"article {article_id}")
        article.aliases = self.aliases(article_id, article.source)
        return article

    @_typed("read")
    def aliases(self, article_id: int, source: str | None = None) -> list[str]:
        """The sources an article's text was read from besides ``source`` (its own), first
        seen first: the same text from a saved file and from its URL is one row."""
        if self.version < _SOURCES_SCHEMA:  # an index not migrated yet, read-only: its rows have none
            return []
        rows = self.db.execute(
            "SELECT source FROM article_sources WHERE article_id = ? ORDER BY added_at, rowid", (article_id,)
        )
        return [str(r[0]) for r in rows if r[0] != source]

    @_typed("read")
    def find_by_url(self, url: str) -> Article | None:
        """The newest stored version of the article fetched from ``url``. Only a source's ``url``
        matches, and only a source that was fetched (a URL, the row's own or an alias): a local
        file, or a saved page whose ``og:url`` claims that address, never answers for a feed's link."""
        row = self.db.execute(
            "SELECT a.brief, a.body FROM article_sources s JOIN articles a ON a.id = s.article_id WHERE s.url = ?"
            " AND (s.source LIKE 'http://%' OR s.source LIKE 'https://%') ORDER BY a.version DESC, a.id DESC LIMIT 1",
            (url,),
        ).fetchone()
        return self._brief(row, f"the brief of {url}") if row else None

    @_typed("read")
    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    @_typed("read")
    def latest(self, limit: int = 20) -> list[Brief]:
        """The newest briefs, newest first."""
        rows = self.db.execute(
            "SELECT id, title, COALESCE(date, substr(added_at, 1, 10)), reading_minutes, tldr FROM articles"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [Brief(*r) for r in rows]
