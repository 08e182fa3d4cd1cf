from __future__ import annotations

import functools
import gzip
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.policy import Policy
from pipeline.settings import Settings, load_settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SEED = SAMPLES / "eu-cloud-certification.html"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config, no user index, no hub: every test starts from the packaged defaults."""
    for k in list(os.environ):
        if k.startswith("NEWSBRIEF_"):
            monkeypatch.delenv(k)
    (tmp_path / "empty-config.toml").write_text("")
    monkeypatch.setenv("NEWSBRIEF_CONFIG", str(tmp_path / "empty-config.toml"))
    monkeypatch.setenv("NEWSBRIEF_DB", str(tmp_path / "index.db"))
    monkeypatch.setenv("NEWSBRIEF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def policy(settings: Settings) -> Policy:
    """The policy for the user's own sources (local files and private hosts allowed)."""
    return Policy.trusted(settings)


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch):
    """Route the pipeline's model loading to fakes behind the real interfaces."""
    from fakes import LeadSummarizer, rule_tagger

    import pipeline.core

    summarizer = LeadSummarizer()
    monkeypatch.setattr(pipeline.core, "load_summarizer", lambda settings: summarizer)
    monkeypatch.setattr(pipeline.core.EntityTagger, "load", classmethod(lambda cls, s: rule_tagger(s.entity_labels)))
    return summarizer


ARTICLE_HTML = SEED.read_bytes()
# an ASCII page with hyphens: under `charset=punycode` the text after its last "-" is not valid
# punycode, which Python's decoder answers with a bare UnicodeError
ASCII_PAGE = (
    b"<html><head><title>Cloud rules delayed</title></head><body><article><h1>Cloud rules delayed</h1>"
    + b"<p>The cloud-security scheme was delayed on Tuesday by the agency in Brussels, officials said. "
    b"Several member states had asked for more time to review the legal consequences of the rules.</p>"
    b"<p>Critics said the rules would raise costs for smaller firms, while supporters argued that the "
    b"scheme gives customers a clear signal about security and data protection in the cloud.</p>"
    + b"</article><!-- end of article --></body></html>"
)


def punycode_feed(article_url: str, tail: bytes = b"") -> bytes:
    """An RSS feed whose XML declaration names punycode; ``tail`` makes it valid punycode."""
    return (
        b'<?xml version="1.0" encoding="punycode"?><rss version="2.0"><channel><title>Puny</title>'
        b"<link>http://puny.example/</link><item><title>Cloud rules delayed</title><link>"
        + article_url.encode()
        + b"</link></item><!-- end of feed --></channel></rss>"
        + tail
    )


PUNYCODE_TAIL = b"-" + b"a" * 2_000_000  # valid punycode that Python decodes in quadratic time: minutes
BIG = b"<html><body><p>" + b"a" * 3_000_000 + b"</p></body></html>"


def gzip_layers(data: bytes, n: int) -> bytes:
    for _ in range(n):
        data = gzip.compress(data, compresslevel=9)
    return data


@functools.cache
def bomb(layers: int) -> bytes:
    """200 MB of zeros when decoded; a few hundred bytes when gzipped twice or more."""
    return gzip_layers(b"<p>" + b"\0" * 200_000_000, layers)


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes for network-fault tests; only ever bound to 127.0.0.1."""

    feed_body = b""  # what /feed serves (tests set it)

    def log_message(self, *args: object) -> None:
        pass

    def send(self, code: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/article":
            self.send(200, ARTICLE_HTML)
        elif path == "/missing":
            self.send(404, b"not here")
        elif path == "/pdf":
            self.send(200, b"%PDF-1.4 ...", "application/pdf")
        elif path == "/big":
            self.send(200, BIG)
        elif path == "/slow":
            time.sleep(3)
            self.send(200, ARTICLE_HTML)
        elif path == "/loop":
            self.send(302, b"", Location="/loop")
        elif path == "/to-file":
            self.send(302, b"", Location="file:///etc/passwd")
        elif path.startswith("/goto?"):  # a redirect to the URL in the query
            self.send(302, b"", Location=path.removeprefix("/goto?"))
        elif path == "/redirect":
            self.send(301, b"", Location="/article")
        elif path == "/drip":  # headers at once, then one byte every 0.2 s (slow-loris body)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        elif path == "/unavailable":
            self.send(503, b"try later")
        elif path == "/to-ftp":
            self.send(302, b"", Location="ftp://127.0.0.1/x")
        elif path == "/bomb":
            body = gzip.compress(b"<p>" + b"x" * 20_000_000)
            self.send(200, body, Content_Encoding="gzip")
        elif path == "/bomb-gzip2":  # layered encodings: each layer must stop at the cap
            self.send(200, bomb(2), Content_Encoding="gzip, gzip")
        elif path == "/bomb-gzip3":
            self.send(200, bomb(3), Content_Encoding="gzip, identity, gzip, gzip")
        elif path == "/bomb-split-header":  # the chain split over two header lines
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(bomb(2))))
            self.end_headers()
            self.wfile.write(bomb(2))
        elif path == "/gzip-deflate":  # a legitimate chain: deflate applied first, then gzip
            import zlib

            self.send(200, gzip.compress(zlib.compress(ARTICLE_HTML)), Content_Encoding="deflate, gzip")
        elif path == "/multi-member":
            half = len(ARTICLE_HTML) // 2
            body = gzip.compress(ARTICLE_HTML[:half]) + gzip.compress(ARTICLE_HTML[half:])
            self.send(200, body, Content_Encoding="gzip")
        elif path == "/brotli":
            self.send(200, b"\x1b\x00", Content_Encoding="br")
        elif path == "/drip-headers":  # slow-loris headers: each byte in time, the whole never
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self.wfile.flush()
            for _ in range(60):
                self.wfile.write(b"X-Slow: a\r\n")
                self.wfile.flush()
                time.sleep(0.2)
        elif path == "/host":  # echoes the Host header it was sent
            self.send(200, f"<html><body><p>host={self.headers.get('Host')}</p></body></html>".encode())
        elif path.startswith("/charset/"):  # an ASCII page under whatever charset the path names
            self.send(200, ASCII_PAGE, f"text/html; charset={path.removeprefix('/charset/')}")
        elif path == "/punycode-bomb":
            self.send(200, ASCII_PAGE + PUNYCODE_TAIL, "text/html; charset=punycode")
        elif path.startswith("/punycode-feed"):  # the XML declaration names punycode; "-bomb": valid too
            tail = PUNYCODE_TAIL if path.endswith("-bomb") else b""
            article = f"http://127.0.0.1:{self.server.server_address[1]}/article"
            self.send(200, punycode_feed(article, tail), "application/rss+xml")
        elif path.startswith("/feed"):
            self.send(200, Handler.feed_body, "application/rss+xml")
        else:
            self.send(404, b"")


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up on purpose (size caps, timeouts): not worth a traceback


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
