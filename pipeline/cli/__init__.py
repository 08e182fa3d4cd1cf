"""The command line: parse options, call one library function, render, map errors to exit codes.

This package is the only code that writes to the terminal. Exit codes (also in the README):

    0  every source succeeded          3  no source succeeded
    1  some sources failed             4  setup problem (model, config, index)
    2  usage error, an unknown id      5  another run holds the lock (digest, batch --out)
                                       130 interrupted

Set ``NEWSBRIEF_RAISE_ERRORS=1`` to get tracebacks instead of one-line errors.
"""

# each module registers its commands on ``main`` when imported
from . import admin, articles, feeds, index, watching  # noqa: E402,F401  (registration)
from .app import main

__all__ = ["main"]
