"""Turn what the user typed (URL, path, ``-``) into :class:`Article` records holding raw content.

Local files: ``.html``/``.htm`` (optionally ``.gz``) are HTML; ``.txt`` is a plain-text article whose
first line is the title. stdin (``-``) holds either an HTML document or one URL per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .decoding import decode_layers, decode_text
from .document import Article
from .errors import FetchError, InputNotFound, PipelineError, SourceError, UnsupportedContent
from .fetch import Response, fetch, is_url
from .policy import Policy

# "javascript:…", "file://…", "data:…": anything with a URL scheme is a URL (and refused unless
# http/https), never a file name
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
TEXT_SUFFIXES = (".txt", ".txt.gz")


def decode(data: bytes, source: str, charset: str | None = None, timeout: float = 0.0) -> str:
    """Bytes → str, refusing binary content; a declared charset is honoured when it is a text
    encoding (:func:`~pipeline.decoding.decode_text`: else sniffed, within ``timeout``)."""
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedContent("binary content, not HTML or text", source)
    return decode_text(data, source, charset, timeout)


def looks_like_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body", "<meta", "<!--")) or "<p" in head


def read_file(source: str | Path, policy: Policy) -> Article:
    """A saved page or text file; the record's ``source`` is ``source`` exactly as given (a
    batch resumes by matching it)."""
    path, source = Path(source), str(source)
    name = path.name.lower()
    if "\x00" in source:
        raise SourceError("path contains a NUL character", source)
    if not name.endswith(HTML_SUFFIXES + TEXT_SUFFIXES):
        if not path.exists():
            raise InputNotFound("no such file", source)
        if not path.is_dir():
            raise UnsupportedContent("unsupported file type (expected .html, .htm, .txt, optionally .gz)", source)
    data = policy.read_file(path)  # regular files only, capped
    if name.endswith(".gz"):
        try:
            data = b"".join(decode_layers([data], ["gzip"], policy.max_bytes, source))
        except FetchError as exc:
            raise UnsupportedContent(f"broken gzip file: {exc.message}", source) from None
    text = decode(data, source, timeout=policy.decode_timeout)
    return Article(source=source, raw=text, is_html=name.endswith(HTML_SUFFIXES))


def read_url(url: str, policy: Policy) -> Article:
    return fetched(url, fetch(url, policy), policy)


def fetched(url: str, resp: Response, policy: Policy) -> Article:
    """The raw record of the page ``resp`` answered for ``url`` (decoded, not yet extracted)."""
    text = decode(resp.content, url, resp.charset, policy.decode_timeout)
    is_html = resp.content_type != "text/plain" or looks_like_html(text)
    return Article(source=url, url=resp.url, raw=text, is_html=is_html)


def read_stream(stream: BinaryIO, policy: Policy) -> Iterator[Article | PipelineError]:
    """stdin: an HTML (or text) document, or a list of URLs one per line."""
    try:
        text = decode(policy.read_stream(stream), "-", timeout=policy.decode_timeout)
    except PipelineError as exc:
        yield exc
        return
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and all(is_url(ln) for ln in lines):
        for url in lines:
            yield from load(url, policy)
        return
    if not lines:
        yield UnsupportedContent("empty input", "-")
        return
    yield Article(source="-", raw=text, is_html=looks_like_html(text))


def load(source: str, policy: Policy, stdin: BinaryIO | None = None) -> Iterator[Article | PipelineError]:
    """Yield one Article per document behind ``source``, or the error that stopped it.

    A source is a URL when it has an http(s) scheme; anything else with a scheme is refused; the
    rest are local paths, allowed only when the policy allows files (never for feed links).
    """
    try:
        if source == "-" and policy.allow_files:
            if stdin is None:
                raise UnsupportedContent("no standard input", "-")
            yield from read_stream(stdin, policy)
        elif is_url(source) or _SCHEME.match(source) or not policy.allow_files:
            yield read_url(source, policy)  # fetch() applies the policy to the URL
        else:
            yield read_file(source, policy)
    except PipelineError as exc:
        yield exc
