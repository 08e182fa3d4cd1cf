"""What the digest remembers in the index: the feed items it has handled (so each run only
summarizes new ones) and the digests it published to an Atom feed (the feed's history)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence, Set
from typing import Any

from .base import StoreBase, _typed
from .query import utc_now


class FeedsMixin(StoreBase):
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
    def mark_all_seen(self, items: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Remember ``(url, feed, status, reason)`` of feed items the digest handled (``reason``:
        why one failed, None for one that did not), in one transaction."""
        now = utc_now()
        with self.db:
            self.db.executemany(
                "INSERT INTO feed_items (url, feed, status, first_seen, reason) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET status = excluded.status, reason = excluded.reason",
                [(url, feed, status, now, reason) for url, feed, status, reason in items],
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
