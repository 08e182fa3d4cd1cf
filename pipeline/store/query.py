"""What a question to the index is made of: times as the index stores them, ``--since`` bounds,
and FTS5 queries built from the user's words (quoted terms, never user syntax).

Pure functions with no connection: the CLI, the digest and the reader use them too.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time

from ..errors import UsageError

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
