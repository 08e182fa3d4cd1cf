"""``python -m pipeline.cli`` works like the ``newsbrief`` command (as it did when the command
line was one module; the Makefile's eval targets and the bench call it so)."""

from . import main

main(prog_name="newsbrief")
