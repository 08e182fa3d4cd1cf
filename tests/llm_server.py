"""A real llama.cpp HTTP server (``newsbrief llm-server``: llama.cpp's own server, through
xllamacpp) on 127.0.0.1, serving one of the bundled GGUF models: what tests and the bench point
the OpenAI-compatible writer at. Started as a subprocess so a test can kill it halfway through a
batch; it runs as many threads as the in-process writer (all cores), so the two compare.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def start(name: str, port: int, parallel: int = 1) -> tuple[subprocess.Popen[str], str]:
    """The server as a child process and its base URL, once it answers."""
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "llm-server", "--model", name, "--port", str(port),
         "--parallel", str(parallel)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=root,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http"):
        proc.kill()
        raise RuntimeError(f"the llama.cpp server for {name} did not start")
    return proc, line
