"""``python -m pipeline`` works like the ``newsbrief`` command."""

from .cli import main

main(prog_name="newsbrief")
