"""A digest against an LLM server that takes NAP seconds a reply: does --budget bound it?
The sample pages and a stub OpenAI-compatible server run on 127.0.0.1 (one process, threads);
the digest runs as a user runs it (``python -m pipeline digest --mode quality --llm-url ...``)
with each budget, on a fresh index, and the wall time is printed beside the budget.
Usage: .venv/bin/python bench/slow_llm_digest.py [NAP] [BUDGET ...]   (default 30 s; 10s 30s 60s)"""

import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["eu-cloud-certification.html", "short-patch-tuesday.html", "long-article.html"]
NAP = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
BUDGETS = sys.argv[2:] or ["10s", "30s", "60s"]


class Stub(BaseHTTPRequestHandler):
    chats = 0

    def log_message(self, *args: object) -> None:
        pass

    def reply(self, code: int, body: bytes, ctype: str = "application/json") -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the digest gave up on this reply at its budget's end, as it should

    def do_GET(self) -> None:
        name = self.path.strip("/").removeprefix("site/")
        if self.path.endswith("/v1/models"):
            self.reply(200, json.dumps({"data": [{"id": "slow-model", "object": "model"}]}).encode())
        elif name in PAGES:
            self.reply(200, (ROOT / "samples" / name).read_bytes(), "text/html; charset=utf-8")
        else:
            self.reply(404, b"{}")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.endswith("/tokenize"):
            self.reply(200, json.dumps({"tokens": [7] * len(str(body.get("content", "")).split())}).encode())
        elif self.path.endswith("/v1/chat/completions"):
            Stub.chats += 1
            time.sleep(NAP)  # a loaded server: every reply takes NAP seconds
            self.reply(200, json.dumps({"choices": [{"message": {"content": "- The article says little."}}]}).encode())
        else:
            self.reply(404, b"{}")


server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_port}"
print(f"LLM server answers each chat completion after {NAP:g} s; {len(PAGES)} article pages")
for budget in BUDGETS:
    with tempfile.TemporaryDirectory() as d:
        feeds = Path(d) / "feeds.txt"
        feeds.write_text("".join(f"{base}/site/{p}\n" for p in PAGES))
        cmd = [sys.executable, "-m", "pipeline", "digest", "--feeds", str(feeds), "--out", f"{d}/digest.md",
               "--since", "30d", "--mode", "quality", "--llm-url", base, "--budget", budget,
               "--allow-private-addresses", "--db", f"{d}/index.db", "-q"]  # fmt: skip
        before, t0 = Stub.chats, time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        tally = next((line for line in done.stderr.splitlines() if "digest" in line.lower()), done.stderr[-200:])
        print(f"--budget {budget:>4}: {wall:6.1f} s wall, exit {done.returncode}, "
              f"{Stub.chats - before} chat requests; {tally.strip()[:160]}")  # fmt: skip
server.shutdown()
