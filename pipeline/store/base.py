"""What every part of the index shares: the connection (opened read-write and migrated, or
read-only as it is), the :func:`_typed` decorator that turns any sqlite3 error of a read or a
write into one :class:`StoreError` line naming the index, and the decoding of a stored brief.

:class:`StoreBase` is the typed base of the store's mixins (pipeline/store/articles.py,
search.py, stories.py, feeds.py, watches.py): each reads ``self.db``, ``self.path`` and
``self.version`` through it; :class:`~pipeline.store.Store` composes them.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, Self, TypeVar
from urllib.parse import quote

from ..document import Article
from ..errors import StoreError, UsageError
from .query import utc_now
from .schema import MIGRATIONS, SCHEMA_VERSION, _statements

log = logging.getLogger(__name__)

MAX_ROWID = 2**63 - 1  # SQLite's largest row id: a bigger int cannot even be bound as a parameter
# what SQLite says when the file itself is damaged (not locked, not read-only)
_DAMAGED = ("malformed", "not a database", "vtable constructor failed", "corrupt")

# the ids of the entities a name or alias stands for, under any label (search --entity); two
# parameters, both the key
_ENTITIES_NAMED = "SELECT id FROM entities WHERE key = ? UNION SELECT entity_id FROM entity_aliases WHERE alias_key = ?"

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="StoreBase")


def _typed(doing: str) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Any sqlite3 error of a :class:`Store` method becomes a one-line :class:`StoreError` naming
    the index: a damaged file, a full disk or a read-only folder is a state problem, not a crash."""

    def wrap(fn: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(fn)
        def inner(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
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


class StoreBase:
    """The connection to one index file and what every mixin of :class:`~pipeline.store.Store`
    reads through it."""

    path: Path
    version: int
    db: sqlite3.Connection

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

    def __enter__(self) -> Self:
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

    def _brief(self, row: sqlite3.Row, what: str) -> Article:
        """A stored brief back as a record; a row whose JSON was damaged is a typed error."""
        try:
            return Article.from_dict(json.loads(row[0]), row[1] or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(f"{what} is damaged in the index ({type(exc).__name__}: {exc})", str(self.path)) from None
