"""A real llama.cpp HTTP server (llama.cpp's own server, through xllamacpp) on 127.0.0.1, serving
one of the bundled GGUF models: what tests and the bench point the OpenAI-compatible writer at.

    python tests/llm_server.py MODEL PORT [N_PARALLEL]   # prints the base URL once it is up

Started as a subprocess so a test can kill it halfway through a batch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def main(name: str, port: int, parallel: int = 1, context: int = 4096, threads: int = 0) -> None:
    import xllamacpp

    from pipeline.models import gguf_file, resolve

    spec = resolve(name, "summarizer")
    params = xllamacpp.CommonParams()
    params.model.path = str(spec.path if spec.path is not None else gguf_file(spec))
    params.model_alias = {spec.id}  # /v1/models lists the model by the id the in-process writer reports
    params.n_parallel = parallel
    params.n_ctx = context * parallel  # the context is split between the slots, as in the writer
    params.cache_prompt = True
    params.cache_ram_mib = 0
    params.warmup = False
    params.verbosity = -1
    # as many threads as the in-process writer uses (all cores): same speed, same arithmetic
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads or os.cpu_count() or 1
    params.hostnames = ["127.0.0.1"]
    params.port = port
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    while True:
        time.sleep(3600)


def start(name: str, port: int, parallel: int = 1) -> tuple[subprocess.Popen[str], str]:
    """The server as a child process and its base URL, once it answers."""
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, __file__, name, str(port), str(parallel)],
        stdout=subprocess.PIPE, text=True, cwd=root,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise RuntimeError(f"the llama.cpp server for {name} did not start")
    return proc, line if line.startswith("http") else f"http://127.0.0.1:{port}"


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
