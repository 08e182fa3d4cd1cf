"""Bytes into text, with caps: content codings undone layer by layer under the size cap, the size
check every input shares (files, stdin, HTTP bodies raw and decoded), and text decoded only with a
real text encoding and within a time limit. The rules of what may be read are in :mod:`policy`;
this is how it is read."""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Iterable, Iterator

from .errors import BadEncoding, FetchError, TooLargeError, UnsupportedContent
from .timelimit import TimeUp, within

# Content codings decoded, each layer streamed with a bounded output; the header may chain them.
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
MAX_CODING_LAYERS = 4  # HTTP defines no use for more; each layer costs a full decompression pass
_STEP = 64 * 1024  # at most this many bytes come out of one decompression call


# The text encodings a body is ever decoded with, as Python codec names: the WHATWG Encoding
# Standard's (what browsers decode) plus ASCII, Latin-1 and UTF-32. A server names the codec
# (`charset=`, an XML declaration), and Python's codec registry also holds codecs that are no
# text encoding or are dangerous ones: punycode is quadratic (a 0.2 MB body took 2.8 s, hours at
# the 10 MB cap) and raises UnicodeError on bad input, idna and the *_escape codecs turn bytes
# into other characters. A label outside this list is ignored, as browsers ignore an unknown one.
TEXT_ENCODINGS = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii", "latin-1",
        "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8", "iso8859-10",
        "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254",
        "cp1255", "cp1256", "cp1257", "cp1258", "cp874", "cp866", "koi8-r", "koi8-u", "mac-roman",
        "mac-cyrillic", "tis-620", "gbk", "gb2312", "gb18030", "big5", "big5hkscs", "euc-jp", "iso2022-jp",
        "shift_jis", "cp932", "euc-kr", "cp949",
    )
)  # fmt: skip
# WHATWG labels Python spells differently
_LABELS = {"windows-874": "cp874", "x-mac-cyrillic": "mac-cyrillic", "iso-8859-8-i": "iso8859-8",
           "windows-31j": "cp932", "x-sjis": "shift_jis"}  # fmt: skip


def text_codec(label: str | None) -> str | None:
    """The codec for a declared charset when it is one of :data:`TEXT_ENCODINGS`, else None."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(_LABELS.get(label, label)).name
    except (LookupError, ValueError, TypeError):  # unknown, or no codec name at all ("a\0b")
        return None
    return name if name in TEXT_ENCODINGS else None


def decode_text(data: bytes, source: str, charset: str | None = None, timeout: float = 0.0) -> str:
    """Bytes → str with a declared ``charset`` when it is a text encoding and fits the bytes, else
    sniffed (UTF-8, then trafilatura's charset detection, then UTF-8 with replacement), all within
    ``timeout`` seconds (0: no limit). Any failure is :class:`BadEncoding`, naming ``source``."""

    def run() -> str:
        codec = text_codec(charset)
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:  # a mislabelled page: sniff, as before
                pass
        from trafilatura.utils import decode_file

        return decode_file(data)

    try:
        return within(timeout, run)
    except TimeUp:
        raise BadEncoding(f"decoding the text took longer than {timeout:g}s", source) from None
    except (UnicodeError, LookupError, ValueError) as exc:
        raise BadEncoding(f"cannot decode the text: {exc}", source) from None


def too_large(size: int, cap: int, source: str, what: str = "body") -> None:
    """Refuse what is known to be over ``cap`` before reading it (a file's size, a Content-Length)."""
    if size > cap:
        raise TooLargeError(f"{what} of {size:,} bytes exceeds the {cap:,}-byte cap", source)


def capped(chunks: Iterable[bytes], cap: int, source: str, what: str = "body") -> Iterator[bytes]:
    """``chunks`` passed on until more than ``cap`` bytes went by: then a :class:`TooLargeError`.
    The one size check of every input (files, stdin, HTTP bodies raw and decoded): refused, never cut."""
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise TooLargeError(f"{what} exceeds the {cap:,}-byte cap", source)
        yield chunk


def decode_layers(chunks: Iterable[bytes], encodings: list[str], cap: int, source: str) -> Iterator[bytes]:
    """Undo a chain of content codings (as listed in ``Content-Encoding``: the last was applied
    last) with every layer streamed in bounded steps and capped at ``cap`` bytes, encoded and
    decoded, so no chain of gzip/deflate can expand past the cap in memory. ``identity`` layers
    are skipped."""
    layers = [e for e in (x.strip().lower() for x in encodings) if e and e != "identity"]
    if len(layers) > MAX_CODING_LAYERS:
        raise UnsupportedContent(f"{len(layers)} content-encoding layers (at most {MAX_CODING_LAYERS})", source)
    chunks = capped(chunks, cap, source)  # a compressed body is never larger than the cap either
    for name in reversed(layers):
        if name not in _CODINGS:
            raise UnsupportedContent(f"content encoding {name!r} is not supported", source)
        chunks = capped(_inflate(chunks, name, source), cap, source, "decoded body")
    return iter(chunks)


def _inflate(chunks: Iterable[bytes], name: str, source: str) -> Iterator[bytes]:
    """One content coding undone, ``_STEP`` output bytes at a time (its reader caps the total)."""
    wbits = _CODINGS[name]
    d: zlib._Decompress | None = None
    try:
        for chunk in chunks:
            data = chunk
            while data:
                if d is None:
                    if name == "deflate" and not _zlib_header(data):
                        wbits = -zlib.MAX_WBITS  # servers often send raw deflate under this name
                    d = zlib.decompressobj(wbits)
                out = d.decompress(data, _STEP)
                data = d.unconsumed_tail
                if d.eof:  # a gzip member ended; another may follow (multi-member gzip)
                    data = d.unused_data + data
                    d = None
                    if name == "deflate" or not data.startswith(b"\x1f\x8b"):
                        data = b""  # trailing bytes that start no new member: ignored, as browsers do
                if out:
                    yield out
        while d is not None and not d.eof and (out := d.decompress(b"", _STEP)):
            yield out
    except zlib.error as exc:
        raise FetchError(f"cannot decode {name} body: {exc}", source, "bad_encoding") from None


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
