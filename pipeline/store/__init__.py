"""The SQLite index: schema, migrations, idempotent writes, search.

Schema (usable from any SQLite tool; ``sqlite3 index.db .schema``)::

    articles(id, content_hash UNIQUE, url, source, title, author, date, sitename, language,
             word_count, reading_minutes, tldr, summary JSON, body, model JSON, brief JSON,
             added_at, version)                      -- one row per article *version*
    article_sources(article_id, source, url, added_at) -- every source a row's text was read from
    entities(id, key, label, name, long_form)          -- key = casefolded canonical form
    entity_aliases(alias_key, entity_id)               -- long forms and other surfaces → entity
    article_entities(article_id, entity_id, count)
    entity_surnames(surname, entity_id)               -- people named in full, by surname
    surname_links(article_id, entity_id)               -- an article counted for a person by surname alone
    articles_fts  (FTS5 over title, tldr, summary, body; kept in sync by triggers)
    stories(id, title, first_seen, last_seen, size, vector BLOB, profile JSON, cves JSON, brief JSON)
    story_articles(article_id PRIMARY KEY, story_id, score)  -- an article is in one story
    published(id, feed, generated, stories JSON)       -- digests published to an Atom feed
    feed_items(url PRIMARY KEY, feed, status, first_seen, reason) -- feed items the digest handled,
                                                       -- and why one failed
    schema_migrations(version, applied_at)

Articles are keyed by the content hash of the normalized main text: adding the same article
again changes nothing, and the same text from another source (a saved file, then its URL) only
adds that source to ``article_sources``; a changed text at a known URL is stored as the next
``version``.
Migrations are ordered, recorded, and applied on open inside a transaction. WAL mode lets
readers work while a batch writes; each batch is one transaction.

The package holds one concern a module: ``schema`` (the migrations), ``query`` (times, ``--since``,
FTS queries), ``records`` (Hit, Brief), ``base`` (the connection, typed errors), and the store's
mixins by what they read and write: ``articles``, ``search``, ``stories``, ``feeds`` (the digest's
memory), ``watches``; :class:`Store` composes them.
"""

from __future__ import annotations

from .articles import ArticlesMixin
from .base import MAX_ROWID
from .feeds import FeedsMixin
from .query import TIMESTAMP, fts_query, parse_since, timestamp, utc_now
from .records import Brief, Hit
from .schema import MIGRATIONS, SCHEMA_VERSION
from .search import SearchMixin
from .stories import StoriesMixin
from .watches import WatchesMixin

__all__ = [
    "MAX_ROWID", "MIGRATIONS", "SCHEMA_VERSION", "TIMESTAMP", "Brief", "Hit", "Index", "Store", "fts_query",
    "parse_since", "timestamp", "utc_now",
]  # fmt: skip


class Store(StoriesMixin, SearchMixin, ArticlesMixin, FeedsMixin, WatchesMixin):
    """The SQLite index: open it (``Store(path)``, or ``readonly=True`` for a reader), then write and
    read through the mixins' methods; a context manager closes it."""


Index = Store  # the public name: ``pipeline.Index``
