"""The SQLite index: schema, migrations, idempotent writes, search.

Schema (usable from any SQLite tool; ``sqlite3 index.db .schema``)::

    articles(id, content_hash UNIQUE, url, source, title, author, date, sitename, language,
             word_count, reading_minutes, tldr, summary JSON, body, model JSON, brief JSON,
             added_at, version)                      -- one row per article *version*
    article_sources(article_id, source, url, added_at) -- every source a row's text was read from
    entities(id, key, label, name, long_form)          -- key = casefolded canonical form
    entity_aliases(alias_key, entity_id)               -- long forms and other surfaces → entity
    article_entities(article_id, entity_id, count)
    articles_fts  (FTS5 over title, tldr, summary, body; kept in sync by triggers)
    stories(id, title, first_seen, last_seen, size, vector BLOB, profile JSON, cves JSON, brief JSON)
    story_articles(article_id PRIMARY KEY, story_id, score)  -- an article is in one story
    published(id, feed, generated, stories JSON)       -- digests published to an Atom feed
    schema_migrations(version, applied_at)

Articles are keyed by the content hash of the normalized main text: adding the same article
again changes nothing, and the same text from another source (a saved file, then its URL) only
adds that source to ``article_sources``; a changed text at a known URL is stored as the next
``version``.
Migrations are ordered, recorded, and applied on open inside a transaction. WAL mode lets
readers work while a batch writes; each batch is one transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import logging
import os
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

from .document import Article, Entity, Story, content_hash, normalize_text
from .errors import NoSuchArticle, StoreError, UsageError
from .text import key as entity_key

log = logging.getLogger(__name__)

# every source an article's text was read from (its own first): the same text from a saved file
# and from its URL is one row with two sources
_SOURCES_TABLE = """
CREATE TABLE article_sources (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    source TEXT NOT NULL, url TEXT, added_at TEXT NOT NULL,
    PRIMARY KEY (article_id, source)
);
CREATE INDEX article_sources_url ON article_sources(url);
INSERT INTO article_sources (article_id, source, url, added_at) SELECT id, source, url, added_at FROM articles;
"""


def _one_row_per_text(db: sqlite3.Connection) -> None:
    """Migration 8: the content hash no longer includes the URL. Rows of the same normalized
    text (a saved file and its URL) merge into the oldest: the others' sources become its
    aliases, their story links move to it or are dropped when it has one (the stories' sizes
    follow, a story left empty goes), their entity links and FTS rows go with them (the kept
    row's entities are its brief's), and stories' briefs point at the kept row."""
    for statement in _statements(_SOURCES_TABLE):
        db.execute(statement)
    rows: dict[str, list[int]] = {}  # new hash -> ids, oldest first
    for article_id, body in db.execute("SELECT id, body FROM articles ORDER BY id"):
        if body and normalize_text(body):  # a row without text keeps its key: nothing to merge it by
            rows.setdefault(content_hash(body), []).append(int(article_id))
    merged: dict[int, int] = {}
    for keep, *others in rows.values():
        for other in others:
            _merge_row(db, keep, other)
            merged[other] = keep
    db.executemany(
        "UPDATE articles SET content_hash = ?,"
        " brief = CASE WHEN json_valid(brief) THEN json_set(brief, '$.content_hash', ?) ELSE brief END WHERE id = ?",
        [(h, h, ids[0]) for h, ids in rows.items()],
    )
    if merged:
        _repoint_story_briefs(db, merged)
    log.info("index: %d row(s) of a text already stored merged into it", len(merged))


def _merge_row(db: sqlite3.Connection, keep: int, other: int) -> None:
    db.execute(
        "INSERT OR IGNORE INTO article_sources (article_id, source, url, added_at)"
        " SELECT ?, source, url, added_at FROM article_sources WHERE article_id = ?",
        (keep, other),
    )
    kept_in = db.execute("SELECT story_id FROM story_articles WHERE article_id = ?", (keep,)).fetchone()
    other_in = db.execute("SELECT story_id FROM story_articles WHERE article_id = ?", (other,)).fetchone()
    if other_in is not None and kept_in is None:
        db.execute("UPDATE story_articles SET article_id = ? WHERE article_id = ?", (keep, other))
    elif other_in is not None:
        story_id = int(other_in[0])
        db.execute("DELETE FROM story_articles WHERE article_id = ?", (other,))
        db.execute("UPDATE stories SET size = MAX(0, size - 1) WHERE id = ?", (story_id,))
        db.execute(
            "DELETE FROM stories WHERE id = ? AND NOT EXISTS (SELECT 1 FROM story_articles WHERE story_id = ?)",
            (story_id, story_id),
        )
    # explicit, not left to ON DELETE CASCADE: that needs foreign_keys on in the migrating connection
    for table in ("article_entities", "article_sources"):
        db.execute(f"DELETE FROM {table} WHERE article_id = ?", (other,))
    db.execute("DELETE FROM articles WHERE id = ?", (other,))  # its FTS row goes by the articles_ad trigger


def _repoint_story_briefs(db: sqlite3.Connection, merged: dict[int, int]) -> None:
    """A story brief's sources name article ids (the reader shows each source's text): a merged
    row's id becomes the kept row's."""
    for story_id, brief in db.execute("SELECT id, brief FROM stories WHERE brief IS NOT NULL").fetchall():
        try:
            data = json.loads(brief)
            sources = data.get("sources") or []
        except (ValueError, AttributeError):
            continue  # a damaged brief stays as it is; the reader reports it
        changed = False
        for src in sources:
            if isinstance(src, dict) and src.get("article_id") in merged:
                src["article_id"] = merged[src["article_id"]]
                changed = True
        if changed:
            db.execute("UPDATE stories SET brief = ? WHERE id = ?", (json.dumps(data, ensure_ascii=False), story_id))


# an entry is a script, or a function of the connection for what SQL alone cannot do (hashing)
MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    # 1: articles, entities, full-text search
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        content_hash TEXT NOT NULL UNIQUE,
        url TEXT, source TEXT NOT NULL, title TEXT, author TEXT, date TEXT, sitename TEXT,
        language TEXT, word_count INTEGER, reading_minutes INTEGER,
        tldr TEXT, summary TEXT, body TEXT, model TEXT, brief TEXT,
        added_at TEXT NOT NULL
    );
    CREATE INDEX articles_url ON articles(url);
    CREATE TABLE entities (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL, label TEXT NOT NULL, name TEXT NOT NULL,
        long_form TEXT, UNIQUE (key, label)
    );
    CREATE TABLE article_entities (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        entity_id INTEGER NOT NULL REFERENCES entities(id),
        count INTEGER NOT NULL,
        PRIMARY KEY (article_id, entity_id)
    );
    CREATE INDEX article_entities_entity ON article_entities(entity_id);
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, tldr, summary, body, content='articles', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, tldr, summary, body)
        VALUES (new.id, new.title, new.tldr, new.summary, new.body);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, tldr, summary, body)
        VALUES ('delete', old.id, old.title, old.tldr, old.summary, old.body);
    END;
    """,
    # 2: article versions and entity aliases (acronym <-> long form across articles)
    """
    ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE entity_aliases (
        alias_key TEXT NOT NULL, entity_id INTEGER NOT NULL REFERENCES entities(id),
        PRIMARY KEY (alias_key, entity_id)
    );
    CREATE INDEX articles_date ON articles(date);
    """,
    # 3: feed items the digest has handled (so each run only summarizes new ones)
    """
    CREATE TABLE feed_items (
        url TEXT PRIMARY KEY, feed TEXT NOT NULL, status TEXT NOT NULL, first_seen TEXT NOT NULL
    );
    """,
    # 4: the reader's queries (`newsbrief serve`): "when" of an article, entity lookup by key
    """
    CREATE INDEX articles_day ON articles(COALESCE(date, added_at));
    CREATE INDEX entities_key ON entities(key);
    CREATE INDEX entity_aliases_key ON entity_aliases(alias_key);
    """,
    # 5: an entity's aliases by entity (the writer's and the reader's alias joins scanned the table,
    # or built an automatic index for every lookup: 2.5 ms an entity at 7k entities, growing)
    """
    CREATE INDEX entity_aliases_entity ON entity_aliases(entity_id, alias_key);
    """,
    # 6: stories (pipeline/story.py): articles grouped by what they report. A story keeps what
    # grouping needs to take tomorrow's articles (the summed embedding, the entity profile, its
    # CVEs) and the brief written for it last
    """
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY, title TEXT, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        size INTEGER NOT NULL, vector BLOB NOT NULL, profile TEXT NOT NULL, cves TEXT NOT NULL,
        brief TEXT
    );
    CREATE INDEX stories_last ON stories(last_seen);
    CREATE TABLE story_articles (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        score REAL NOT NULL
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    """,
    # 7: the digests published to an Atom feed (its resolved path), each with the story briefs it
    # showed: the feed is written from the last few, so a subscriber sees a history, and a run
    # with nothing new leaves it as it was
    """
    CREATE TABLE published (
        id INTEGER PRIMARY KEY, feed TEXT NOT NULL, generated TEXT NOT NULL, stories TEXT NOT NULL
    );
    CREATE INDEX published_feed ON published(feed, id);
    """,
    # 8: one article, one row: the text's hash is the key, other sources are aliases
    _one_row_per_text,
]
SCHEMA_VERSION = len(MIGRATIONS)
_SOURCES_SCHEMA = 8  # the schema that has article_sources
MAX_ROWID = 2**63 - 1  # SQLite's largest row id: a bigger int cannot even be bound as a parameter
# what SQLite says when the file itself is damaged (not locked, not read-only)
_DAMAGED = ("malformed", "not a database", "vtable constructor failed", "corrupt")

# The entity a name or alias stands for, under one label: its own key first, else an alias. Two
# indexed lookups (UNIQUE(key, label), then entity_aliases' primary key): written as one join with
# an OR, SQLite scanned `entities` for every entity an article names, inside the write transaction.
_ENTITY_BY_KEY = (
    "SELECT id FROM entities WHERE key = :key AND label = :label"
    " UNION ALL SELECT e.id FROM entity_aliases a JOIN entities e ON e.id = a.entity_id"
    " WHERE a.alias_key = :key AND e.label = :label LIMIT 1"
)
# the ids of the entities a name or alias stands for, under any label (search --entity); two
# parameters, both the key
# the columns of a Brief (a listed article), its date the page's or the day the index took it
_BRIEF_COLUMNS = "a.id, a.title, COALESCE(a.date, substr(a.added_at, 1, 10)), a.reading_minutes, a.tldr"
_ENTITIES_NAMED = "SELECT id FROM entities WHERE key = ? UNION SELECT entity_id FROM entity_aliases WHERE alias_key = ?"

P = ParamSpec("P")
R = TypeVar("R")


def _typed(doing: str) -> Callable[[Callable[Concatenate[Store, P], R]], Callable[Concatenate[Store, P], R]]:
    """Any sqlite3 error of a :class:`Store` method becomes a one-line :class:`StoreError` naming
    the index: a damaged file, a full disk or a read-only folder is a state problem, not a crash."""

    def wrap(fn: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
        @functools.wraps(fn)
        def inner(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:
                if any(word in str(exc).lower() for word in _DAMAGED):
                    message = f"the index is damaged ({exc}); move it away to start a new one"
                else:
                    message = f"cannot {doing} the index ({exc})"
                raise StoreError(message, str(self.path)) from None

        return inner

    return wrap


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


TIMESTAMP = "%Y-%m-%dT%H:%M:%S"  # how the index stores times (UTC); text order is time order


def timestamp(when: dt.datetime | time.struct_time) -> str:
    """A time (UTC) as the index stores it: ``YYYY-MM-DDTHH:MM:SS``."""
    return time.strftime(TIMESTAMP, when) if isinstance(when, time.struct_time) else when.strftime(TIMESTAMP)


def utc_now() -> str:
    """Now, UTC, as the index stores times."""
    return timestamp(dt.datetime.now(dt.UTC))


def parse_since(text: str, now: dt.datetime | None = None) -> str:
    """``7d``, ``24h``, ``30m``, ``2w`` or an ISO date → ISO timestamp lower bound (UTC)."""
    now = now or dt.datetime.now(dt.UTC)
    m = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {
            "m": dt.timedelta(minutes=n),
            "h": dt.timedelta(hours=n),
            "d": dt.timedelta(days=n),
            "w": dt.timedelta(weeks=n),
        }
        return timestamp(now - delta[unit])
    try:
        return timestamp(dt.datetime.fromisoformat(text.strip()))
    except ValueError:
        raise UsageError(f"cannot read --since {text!r}: use 7d, 24h, 30m, 2w or a date like 2024-04-19") from None


def fts_query(text: str, max_terms: int = 16) -> str:
    """User words → an FTS5 query of quoted terms (no syntax injection), all required.

    Any string is accepted: punctuation-only text gives "" (no query); only the first
    ``max_terms`` words are used, which bounds the cost of a pasted paragraph.
    """
    terms = list(dict.fromkeys(m.group() for m in itertools.islice(_TERM.finditer(text[:100_000]), max_terms * 4)))
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms[:max_terms])


_TERM = re.compile(r"\w[\w'-]*")


class Store:
    def __init__(self, path: Path | str, readonly: bool = False, timeout: float = 10.0) -> None:
        if not isinstance(path, str | os.PathLike):
            raise UsageError(f"the index path must be a str or os.PathLike, not {type(path).__name__}")
        self.path = Path(path)
        self.version = SCHEMA_VERSION  # the schema this connection reads (older when opened read-only)
        try:
            if readonly:
                if not self.path.exists():
                    raise StoreError("no index yet (summarize something first)", str(self.path))
                self.db = self._open_readonly(timeout)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(self.path, timeout=timeout)
            self.db.row_factory = sqlite3.Row
        except sqlite3.DatabaseError as exc:
            raise self._unopenable(exc) from None
        except OSError as exc:  # its folder cannot be made (read-only, a file in the way)
            raise StoreError(f"cannot create the index's folder: {exc.strerror or exc}", str(self.path)) from None
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.migrate()
            else:
                # an older index is read as it is (a reader never writes, so never migrates)
                self.version = self._check_version()
        except StoreError:
            self.db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise self._unopenable(exc) from None

    def _unopenable(self, exc: sqlite3.DatabaseError) -> StoreError:
        if "malformed" in str(exc).lower():  # an index whose schema pages are damaged
            return StoreError(f"the index is damaged ({exc}); move it away to start a new one", str(self.path))
        return StoreError(f"cannot open the index ({exc}); the file was left untouched", str(self.path))

    def _open_readonly(self, timeout: float) -> sqlite3.Connection:
        """Read-only, even for a user who may not write next to the file: WAL mode needs a
        writable ``-shm``; when it cannot be made, the file is read as immutable (the last
        writer's close checkpointed the WAL into it, so it is complete)."""
        uri = "file:" + quote(str(self.path.resolve()))
        db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=timeout)
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            if os.access(self.path.parent, os.W_OK) and not str(exc).startswith("unable to open"):
                raise
            log.info("%s: read as immutable (cannot create its -shm file: %s)", self.path, exc)
            return sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, timeout=timeout)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- migrations
    def _check_version(self) -> int:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"index schema v{version} is newer than this newsbrief (v{SCHEMA_VERSION})", str(self.path)
            )
        return version

    def migrate(self) -> None:
        version = self._check_version()
        if version == SCHEMA_VERSION:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            version = int(self.db.execute("PRAGMA user_version").fetchone()[0])  # re-read under the lock
            for number in range(version + 1, SCHEMA_VERSION + 1):
                step = MIGRATIONS[number - 1]
                if callable(step):
                    step(self.db)
                else:
                    for statement in _statements(step):
                        self.db.execute(statement)
                self.db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (number, utc_now()))
                self.db.execute(f"PRAGMA user_version = {number}")
                log.info("index %s migrated to schema v%d", self.path, number)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

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
        for e in a.entities:
            self.db.execute(
                "INSERT INTO article_entities (article_id, entity_id, count) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET count = count + excluded.count",
                (article_id, self._entity_id(e), e.count),
            )
        return article_id

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
        """Find the entity by its key or any alias (ECCG ↔ European Cybersecurity Certification Group)."""
        keys = [entity_key(e.canonical)] + ([entity_key(e.long_form)] if e.long_form else [])
        for k in keys:
            row = self.db.execute(_ENTITY_BY_KEY, {"key": k, "label": e.label}).fetchone()
            if row:
                entity_id = int(row[0])
                break
        else:
            cur = self.db.execute(
                "INSERT INTO entities (key, label, name, long_form) VALUES (?, ?, ?, ?)",
                (keys[0], e.label, e.canonical, e.long_form),
            )
            entity_id = int(cur.lastrowid or 0)
        if e.long_form:
            self.db.execute(
                "UPDATE entities SET long_form = COALESCE(long_form, ?) WHERE id = ?", (e.long_form, entity_id)
            )
        for alias in {*keys, *(entity_key(x) for x in e.aliases)}:
            self.db.execute("INSERT OR IGNORE INTO entity_aliases VALUES (?, ?)", (alias, entity_id))
        return entity_id

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

    def _brief(self, row: sqlite3.Row, what: str) -> Article:
        """A stored brief back as a record; a row whose JSON was damaged is a typed error."""
        try:
            return Article.from_dict(json.loads(row[0]), row[1] or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(f"{what} is damaged in the index ({type(exc).__name__}: {exc})", str(self.path)) from None

    @_typed("read")
    def seen_urls(self, urls: Sequence[str], retry_statuses: Set[str] = frozenset()) -> set[str]:
        """Those of ``urls`` the digest has already handled (a status in ``retry_statuses``,
        such as an address refused under earlier settings, counts as not handled)."""
        out: set[str] = set()
        for i in range(0, len(urls), 500):
            part = list(urls[i : i + 500])
            marks = ",".join("?" * len(part))
            rows = self.db.execute(f"SELECT url, status FROM feed_items WHERE url IN ({marks})", part)
            out |= {r[0] for r in rows if r[1] not in retry_statuses}
        return out

    @_typed("write to")
    def mark_all_seen(self, items: Iterable[tuple[str, str, str]]) -> None:
        """Remember ``(url, feed, status)`` of feed items the digest handled, in one transaction."""
        now = utc_now()
        with self.db:
            self.db.executemany(
                "INSERT INTO feed_items (url, feed, status, first_seen) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET status = excluded.status",
                [(url, feed, status, now) for url, feed, status in items],
            )

    @_typed("read")
    def first_handled(self, urls: Sequence[str], status: str) -> dict[str, str]:
        """Those of ``urls`` the digest remembers with ``status``, and when it first handled each
        (a status update keeps that time: a page retried since its first failure keeps its date)."""
        out: dict[str, str] = {}
        for i in range(0, len(urls), 500):
            part = list(urls[i : i + 500])
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT url, first_seen FROM feed_items WHERE status = ? AND url IN ({marks})", [status, *part]
            )
            out.update((r[0], r[1]) for r in rows)
        return out

    @_typed("write to")
    def add_published(self, feed: str, generated: str, stories: Sequence[dict[str, Any]]) -> None:
        """Remember that a digest published ``stories`` (their briefs' dicts) to the Atom feed ``feed``."""
        with self.db:
            self.db.execute(
                "INSERT INTO published (feed, generated, stories) VALUES (?, ?, ?)",
                (feed, generated, json.dumps(list(stories), ensure_ascii=False)),
            )

    @_typed("read")
    def published(self, feed: str, last: int) -> list[tuple[str, list[dict[str, Any]]]]:
        """``(generated, story briefs)`` of the last ``last`` digests published to ``feed``, newest first."""
        rows = self.db.execute(
            "SELECT generated, stories FROM published WHERE feed = ? ORDER BY id DESC LIMIT ?", (feed, max(0, last))
        )
        return [(str(r[0]), list(json.loads(r[1]))) for r in rows]

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


@dataclass(frozen=True, slots=True)
class Brief:
    """A row of the latest-briefs list."""

    id: int
    title: str | None
    date: str | None
    reading_minutes: int
    tldr: str | None


Index = Store  # the public name: ``pipeline.Index``


def _statements(script: str) -> Sequence[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    out, buf = [], ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out
