"""Turn what the user typed (URL, path, ``-``) into :class:`Article` records holding raw content.

Local files: ``.html``/``.htm`` (optionally ``.gz``) are HTML; ``.txt`` is a plain-text article whose
first line is the title. stdin (``-``) holds either an HTML document or one URL per line.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .document import Article
from .errors import InputNotFound, PipelineError, TooLargeError, UnsupportedContent
from .fetch import fetch, is_url
from .settings import Settings

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
TEXT_SUFFIXES = (".txt", ".txt.gz")


def decode(data: bytes, source: str, charset: str | None = None) -> str:
    """Bytes → str, refusing binary content; honours a declared charset, else sniffs."""
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedContent("binary content, not HTML or text", source)
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    from trafilatura.utils import decode_file

    return decode_file(data)


def looks_like_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body", "<meta", "<!--")) or "<p" in head


def read_file(path: Path, settings: Settings) -> Article:
    source = str(path)
    name = path.name.lower()
    if not path.exists():
        raise InputNotFound("no such file", source)
    if path.is_dir():
        raise UnsupportedContent("is a directory (use `newsbrief batch` for folders)", source)
    if not name.endswith(HTML_SUFFIXES + TEXT_SUFFIXES):
        raise UnsupportedContent("unsupported file type (expected .html, .htm, .txt, optionally .gz)", source)
    if path.stat().st_size > settings.max_bytes:
        raise TooLargeError(
            f"file of {path.stat().st_size:,} bytes exceeds the {settings.max_bytes:,}-byte cap", source
        )
    data = path.read_bytes()
    if name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as f:
                data = f.read(settings.max_bytes + 1)
        except (OSError, EOFError) as exc:
            raise UnsupportedContent(f"broken gzip file: {exc}", source) from None
        if len(data) > settings.max_bytes:
            raise TooLargeError(f"decompressed file exceeds the {settings.max_bytes:,}-byte cap", source)
    text = decode(data, source)
    return Article(source=source, raw=text, is_html=name.endswith(HTML_SUFFIXES))


def read_url(url: str, settings: Settings, untrusted: bool = False) -> Article:
    resp = fetch(url, settings, untrusted=untrusted)
    text = decode(resp.content, url, resp.charset)
    is_html = resp.content_type != "text/plain" or looks_like_html(text)
    return Article(source=url, url=resp.url, raw=text, is_html=is_html)


def read_stream(stream: BinaryIO, settings: Settings, untrusted: bool = False) -> Iterator[Article | PipelineError]:
    """stdin: an HTML (or text) document, or a list of URLs one per line."""
    data = stream.read(settings.max_bytes + 1)
    if len(data) > settings.max_bytes:
        yield TooLargeError(f"input exceeds the {settings.max_bytes:,}-byte cap", "-")
        return
    try:
        text = decode(data, "-")
    except PipelineError as exc:
        yield exc
        return
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and all(is_url(ln) for ln in lines):
        for url in lines:
            yield from load(url, settings, untrusted=untrusted)
        return
    if not lines:
        yield UnsupportedContent("empty input", "-")
        return
    yield Article(source="-", raw=text, is_html=looks_like_html(text))


def load(
    source: str, settings: Settings, stdin: BinaryIO | None = None, untrusted: bool = False
) -> Iterator[Article | PipelineError]:
    """Yield one Article per document behind ``source``, or the error that stopped it."""
    try:
        if source == "-":
            if stdin is None:
                raise UnsupportedContent("no standard input", "-")
            yield from read_stream(stdin, settings, untrusted)
        elif is_url(source):
            yield read_url(source, settings, untrusted)
        elif "://" in source:
            from .fetch import check_url

            check_url(source)
        else:
            yield read_file(Path(source), settings)
    except PipelineError as exc:
        yield exc
