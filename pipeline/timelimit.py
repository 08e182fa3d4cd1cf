"""A time limit on work that hostile input can make slow (decoding a page, parsing it): a signal
that even a parser's bare ``except:`` cannot swallow. Used by the text decoder and the extractor."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _Expired(BaseException):
    """Raised by the :class:`time_limit` alarm. A BaseException, so the ``except Exception``
    blocks inside trafilatura and its helpers cannot swallow it and carry on parsing."""


class TimeUp(Exception):
    """:func:`within` stopped its function at the time limit (callers raise their typed error)."""


class time_limit:  # noqa: N801  (used as a context manager, like contextlib's)
    """Stop one hostile input from hanging the run: SIGALRM after ``seconds``, re-armed every
    50 ms until the block exits, raising :class:`_Expired` each time, so even a bare ``except:``
    in a parser cannot keep it going. Main thread only (batch workers are processes, each with
    its own main thread); elsewhere the work runs unlimited."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = seconds > 0 and threading.current_thread() is threading.main_thread()
        self.previous: Any = None

    def _expired(self, signum: int, frame: object) -> None:
        if self.armed:
            raise _Expired

    def __enter__(self) -> time_limit:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.disarm()

    def disarm(self) -> None:
        """Idempotent; also called by the caller when _Expired fired inside ``__exit__``."""
        if self.armed:
            self.armed = False  # a signal already on its way now does nothing
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def within(seconds: float, fn: Callable[[], T]) -> T:
    """``fn()`` under :class:`time_limit`; :class:`TimeUp` when it ran past ``seconds``."""
    limit = time_limit(seconds)
    try:
        with limit:
            return fn()
    except _Expired:
        limit.disarm()
        raise TimeUp(seconds) from None
