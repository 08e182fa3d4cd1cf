"""The command line: parse options, call one library function, render, map errors to exit codes.

This package is the only code that writes to the terminal. The exit codes are one table,
``common.EXIT_MEANINGS``: ``newsbrief --help`` prints it and a test holds the README's to it.

Set ``NEWSBRIEF_RAISE_ERRORS=1`` to get tracebacks instead of one-line errors.
"""

# each module registers its commands on ``main`` when imported
from . import admin, articles, feeds, index, watching  # noqa: E402,F401  (registration)
from .app import main

__all__ = ["main"]
