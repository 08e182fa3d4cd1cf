"""The index's schema: the migrations that build it, in order, and what they need.

Each entry of :data:`MIGRATIONS` is one schema version, an SQL script or, for what SQL alone cannot
do (hashing a text), a function of the connection; :data:`SCHEMA_VERSION` is how many there are.
The store applies the missing ones on open, inside a transaction (``StoreBase.migrate``); the
schema in prose is the package's docstring.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Sequence

from ..document import content_hash, normalize_text
from ..lang import ENGLISH

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


_TITLES = frozenset(t.casefold() for t in ENGLISH.name_titles)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def surname_only(key: str) -> str | None:
    """The surname a person's key is, when it is no more ("page", "ms page"); else None."""
    words = key.split()
    if len(words) == 2 and words[0].rstrip(".") in _TITLES:
        return words[1]
    return words[0] if len(words) == 1 else None


def surname_of(key: str) -> str | None:
    """The surname of a person named in full ("bettie page", "martin luther king jr."); None for
    a surname alone or a title and a surname."""
    words = [w for w in key.split() if w.rstrip(".,") not in _SUFFIXES]
    if len(words) < 2 or surname_only(key) is not None or words[0].rstrip(".") in _TITLES:
        return None
    return words[-1]


def _person_surnames(db: sqlite3.Connection) -> None:
    """Migration 10: ``entity_surnames`` (surname key -> person named in full), filled for the
    people the index already names, and ``surname_links`` (the articles counted for a person
    they name only by surname: never themselves the ground for another such link)."""
    for statement in _statements(
        """
        CREATE TABLE entity_surnames (
            surname TEXT NOT NULL, entity_id INTEGER NOT NULL REFERENCES entities(id), PRIMARY KEY (surname, entity_id)
        );
        CREATE TABLE surname_links (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            entity_id INTEGER NOT NULL REFERENCES entities(id), PRIMARY KEY (article_id, entity_id)
        );
        """
    ):
        db.execute(statement)
    people = db.execute("SELECT id, key FROM entities WHERE label = 'PERSON'").fetchall()
    db.executemany(
        "INSERT OR IGNORE INTO entity_surnames VALUES (?, ?)",
        [(s, i) for i, k in people if (s := surname_of(k))],
    )


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
    # 6: stories (pipeline/story/): articles grouped by what they report. A story keeps what
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
    # 9: why the digest gave up on a feed item (``reason``: no_article_text, http_error, ...) beside
    # its status, so a later fix can send back just the items it concerns. Up to v8 every refusal
    # was "failed" alone: a Chinese or Japanese article refused as a teaser page (its words counted
    # by spaces) is not told apart from a 403, a 410 or a page given up after days of 404s. So each
    # of those items is tried once more ('recheck': the next digest reads it if its feed still
    # lists it); one that fails again is remembered as failed, with its reason, and not tried again
    """
    ALTER TABLE feed_items ADD COLUMN reason TEXT;
    UPDATE feed_items SET status = 'recheck' WHERE status = 'failed';
    """,
    # 10: people by surname, so an article that names someone only by surname ("Page said") is
    # linked to the one person of the index with that surname (see ArticlesMixin._surnames)
    _person_surnames,
]
SCHEMA_VERSION = len(MIGRATIONS)
_SOURCES_SCHEMA = 8  # the schema that has article_sources


def _statements(script: str) -> Sequence[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    out, buf = [], ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out
