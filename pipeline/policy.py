"""What may be fetched or read, and how much: one policy for every path that takes input.

Who controls what (the README's threat model):

* the **user** controls the command line, the config, the feeds file and URL lists: they may name
  local files and private hosts, but every line is still parsed as hostile (a malformed line is a
  typed error for that line, never a crash);
* **pages, feeds and every link in them** are the attacker's: only http(s) URLs, never a local
  path; the host is resolved once and every address must be global unicast unless private
  addresses are allowed, and :mod:`pipeline.fetch` connects to exactly the address checked here.

Both kinds share the limits: the decoded-bytes cap (any chain of encodings, files on disk), regular
files only, one overall deadline per fetch, a bounded URL length, text decoded only with real text
encodings and within a time limit. :class:`Policy` is built from
:class:`~pipeline.settings.Settings` and handed down; nothing else decides these questions.
"""

from __future__ import annotations

import codecs
import ipaddress
import os
import re
import signal
import socket
import stat
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import quote, urljoin, urlsplit

from .errors import BadEncoding, FetchError, InputNotFound, SourceError, TooLargeError, UnsupportedContent
from .settings import Settings

SCHEMES = frozenset({"http", "https"})
# NUL..space, DEL, C1 controls, bidi overrides: never part of a URL we accept
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufffd]")
# RFC 3986 reserved + unreserved characters and "%": everything else is percent-encoded on output
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
# Content codings decoded, each layer streamed with a bounded output; the header may chain them.
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
MAX_CODING_LAYERS = 4  # HTTP defines no use for more; each layer costs a full decompression pass
_STEP = 64 * 1024  # at most this many bytes come out of one decompression call
# RFC 6052 NAT64 prefix: the IPv4 address inside is the one actually reached
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 4291: the only IPv6 global unicast space. IPv4-compatible (::127.0.0.1) and IPv4-translated
# (::ffff:0:127.0.0.1) addresses lie outside it, and Python's is_global calls both global.
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
# IANA special-purpose ranges that are not globally reachable, written out because the stdlib's
# idea of `is_global` changes between Python patch releases (3.11.7 calls 192.0.0.8 global).
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/127", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10",
        "fec0::/10", "ff00::/8",
    )
)  # fmt: skip


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

T = TypeVar("T")


class _Expired(BaseException):
    """Raised by the :class:`time_limit` alarm. A BaseException, so the ``except Exception``
    blocks inside trafilatura and its helpers cannot swallow it and carry on parsing."""


class TimeUp(Exception):
    """:func:`within` stopped its function at the time limit (callers raise their typed error)."""


class time_limit:  # noqa: N801  (used as a context manager, like contextlib's)
    """Stop one hostile input from hanging the run: SIGALRM after ``seconds``, re-armed every
    50 ms until the block exits, raising :class:`_Expired` each time, so even a bare ``except:``
    in a parser cannot keep it going. Main thread only (batch workers are processes, each with
    its own main thread); elsewhere the work runs unlimited."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = seconds > 0 and threading.current_thread() is threading.main_thread()
        self.previous: Any = None

    def _expired(self, signum: int, frame: object) -> None:
        if self.armed:
            raise _Expired

    def __enter__(self) -> time_limit:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.disarm()

    def disarm(self) -> None:
        """Idempotent; also called by the caller when _Expired fired inside ``__exit__``."""
        if self.armed:
            self.armed = False  # a signal already on its way now does nothing
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def within(seconds: float, fn: Callable[[], T]) -> T:
    """``fn()`` under :class:`time_limit`; :class:`TimeUp` when it ran past ``seconds``."""
    limit = time_limit(seconds)
    try:
        with limit:
            return fn()
    except _Expired:
        limit.disarm()
        raise TimeUp(seconds) from None


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


def address_is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global unicast only: not private, loopback, link-local, CGNAT (100.64/10), reserved,
    multicast or unspecified; IPv4 inside IPv6 (mapped, 6to4, NAT64) is judged as IPv4; any other
    IPv6 address must be in 2000::/3."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_is_public(inner)
        if ip not in _GLOBAL_UNICAST_V6:
            return False
    return ip.is_global and not any(ip in net for net in _NOT_GLOBAL if net.version == ip.version)


def public_url(text: str | None) -> str | None:
    """``text`` as an http(s) URL safe to print in Markdown, HTML, Atom or JSON, else None.

    For URLs taken from page metadata (``og:url``, canonical links) and stored briefs: anything
    that is not a well-formed http(s) URL is dropped; characters outside RFC 3986 are
    percent-encoded, so the result can sit inside ``<…>``, quotes or an attribute.
    """
    if not text:
        return None
    text = text.strip()
    if len(text) > 8192 or _BAD_URL_CHARS.search(text):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        return None
    return quote(text, safe=_URL_SAFE)


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules one run applies to its inputs (frozen and picklable: batch workers get a copy)."""

    max_bytes: int  # decoded bytes of a body or file
    timeout: float  # per network phase (connect, each read)
    max_redirects: int
    max_url_length: int
    user_agent: str
    allow_private: bool = True  # may URLs resolve to loopback/private/reserved addresses?
    allow_files: bool = True  # may a source be a local path? (never for feed-derived strings)
    deadline: float | None = None  # time.monotonic() by which every fetch must end (digest budget)
    decode_timeout: float = 0.0  # seconds to decode a body's text (extract_timeout); 0 = no limit
    # may a redirect reach a non-public address? Only when the user allowed private addresses: a
    # redirect is the server's choice, even from a URL the user typed (see redirected())
    allow_private_redirects: bool = False
    max_list_lines: int = 1_000_000  # entries of a URL or feeds list (read line by line)

    @classmethod
    def trusted(cls, settings: Settings) -> Policy:
        """For what the user typed or listed: local files and private hosts allowed."""
        return cls(
            settings.max_bytes,
            settings.timeout,
            settings.max_redirects,
            settings.max_url_length,
            settings.user_agent,
            decode_timeout=settings.extract_timeout,
            allow_private_redirects=settings.allow_private_addresses,
            max_list_lines=settings.max_list_lines,
        )

    @classmethod
    def untrusted(cls, settings: Settings, deadline: float | None = None) -> Policy:
        """For strings that came from the internet (feed items, discovered feeds): URLs only."""
        return replace(
            cls.trusted(settings), allow_private=settings.allow_private_addresses, allow_files=False, deadline=deadline
        )

    # ------------------------------------------------------------------ URLs
    def redirected(self) -> Policy:
        """The rule for every hop after the first: only the first URL is the user's; where it
        redirects is the server's choice, judged like a link on a page (private and loopback
        addresses refused unless the user allowed them), even on the same host, whose name is
        resolved again (a rebinding name could answer 127.0.0.1 the second time)."""
        return replace(self, allow_private=self.allow_private_redirects, allow_files=False)

    def fetch_deadline(self) -> float:
        """One fetch, from DNS to the last byte: 3x the per-phase timeout, or the run's deadline."""
        end = time.monotonic() + 3 * self.timeout
        return end if self.deadline is None else min(end, self.deadline)

    def check_url(self, url: str) -> str:
        """``url`` if it is a well-formed http(s) URL, else a typed :class:`FetchError`."""
        if len(url) > self.max_url_length:
            raise FetchError(f"URL longer than {self.max_url_length:,} characters", url, "bad_url")
        if _BAD_URL_CHARS.search(url):
            raise FetchError("URL contains spaces, control or undecodable characters", url, "bad_url")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises on a bad port)
            host = parts.hostname
        except ValueError as exc:
            raise FetchError(f"malformed URL: {exc}", url, "bad_url") from None
        if parts.scheme.lower() not in SCHEMES:
            raise FetchError(f"refused scheme {parts.scheme or '(none)'!r}: only http and https", url, "refused_scheme")
        if not host:
            raise FetchError("URL has no host", url, "bad_url")
        try:
            import httpx

            httpx.URL(url)  # the parser that will send it: IDNA, IPv6 literals, percent-encoding
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise FetchError(f"malformed URL: {exc}", url, "bad_url") from None
        return url

    def link(self, href: str, base: str) -> str:
        """A link found in a document at ``base`` (feed item, discovered feed) → an absolute URL.

        Relative links resolve against ``base``; the result must pass :meth:`check_url`, so a link
        can never become a local path or another scheme.
        """
        href = href.strip()
        if len(href) > self.max_url_length:
            raise FetchError(f"link longer than {self.max_url_length:,} characters", href, "bad_url")
        try:
            absolute = urljoin(base, href)
        except ValueError as exc:
            raise FetchError(f"malformed link: {exc}", href, "bad_url") from None
        return self.check_url(absolute)

    def resolve(self, host: str, port: int, url: str, timeout: float) -> list[str]:
        """Resolve ``host`` once; every address must pass the address rule. Returns them all, in
        the resolver's order, for the caller to connect to (never resolving again)."""
        pool = ThreadPoolExecutor(max_workers=1)  # getaddrinfo has no timeout of its own
        try:
            infos = pool.submit(getaddrinfo, host, port, type=socket.SOCK_STREAM).result(timeout=timeout)
        except FutureTimeout:
            raise FetchError(f"DNS lookup of {host} took longer than {timeout:.3g}s", url, "timeout") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"cannot resolve host {host}: {getattr(exc, 'strerror', exc)}", url, "dns_error") from None
        finally:
            pool.shutdown(wait=False)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise FetchError(f"host {host} has no address", url, "dns_error")
        if not self.allow_private:
            for a in addresses:
                ip = ipaddress.ip_address(a.split("%", 1)[0])
                if not address_is_public(ip):
                    of = "" if a == host.strip("[]") else f" of {host}"
                    raise FetchError(
                        f"refused non-public address {ip}{of} (use --allow-private-addresses to allow)",
                        url,
                        "refused_address",
                    )
        return addresses

    # ------------------------------------------------------------------ files
    def _open_regular(self, path: Path) -> tuple[int, os.stat_result]:
        """A descriptor on a regular file: opened non-blocking and checked on the descriptor, so
        a FIFO, device or socket is refused at once and nothing can be swapped in after the check."""
        source = str(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise InputNotFound("no such file", source) from None
        except PermissionError:
            raise SourceError("permission denied", source) from None
        except OSError as exc:
            raise SourceError(f"cannot open: {exc.strerror or exc}", source) from None
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise UnsupportedContent("is a directory (use `newsbrief batch` for folders)", source)
            if not stat.S_ISREG(st.st_mode):
                raise UnsupportedContent("not a regular file (a FIFO, device or socket)", source)
        except BaseException:
            os.close(fd)
            raise
        return fd, st

    def read_file(self, path: Path) -> bytes:
        """A regular file's bytes, at most ``max_bytes``; FIFOs, devices and sockets are refused."""
        source = str(path)
        fd, st = self._open_regular(path)
        try:
            too_large(st.st_size, self.max_bytes, source, "file")  # its size says so: not read at all
            with os.fdopen(os.dup(fd), "rb") as f:
                return b"".join(capped(iter(lambda: f.read(_STEP), b""), self.max_bytes, source, "file"))
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", source) from None
        finally:
            os.close(fd)

    def read_stream(self, stream: BinaryIO, source: str = "-") -> bytes:
        """A stream's bytes (stdin), at most ``max_bytes``: a longer stream is refused, never cut."""
        return b"".join(capped(iter(lambda: stream.read(_STEP), b""), self.max_bytes, source, "input"))

    def read_list(self, path: Path) -> list[str]:
        """A user's list file (URLs, feeds): one entry per line, ``#`` comments, blank lines skipped.

        Read line by line from a regular file, whatever its size (``max_bytes`` caps pages, not
        lists); more than ``max_list_lines`` entries is a :class:`TooLargeError` (refused, never
        cut). A line is read ``4 × max_url_length`` bytes at a time: a longer entry is kept to
        ``max_url_length + 1`` characters, which :meth:`check_url` refuses for that line alone.
        A comment starts at a ``#`` that begins the line or follows whitespace, so a URL keeps its
        ``#fragment``. Bytes that are not UTF-8 become U+FFFD, which :meth:`check_url` refuses.
        """
        source = str(path)
        fd, _ = self._open_regular(path)
        chunk = 4 * self.max_url_length + 2  # a URL, a comment after it, CR LF
        out: list[str] = []
        try:
            with os.fdopen(fd, "rb") as f:
                first = True
                while line := f.readline(chunk):
                    if len(line) == chunk and not line.endswith(b"\n"):
                        while (rest := f.readline(chunk)) and not rest.endswith(b"\n"):
                            pass  # the rest of an overlong line: never held in memory
                    text = line.decode("utf-8", errors="replace")
                    if first:
                        text, first = text.lstrip("\ufeff"), False
                    for part in text.splitlines():
                        entry = re.split(r"(?:^|\s)#", part, maxsplit=1)[0].strip()
                        if not entry:
                            continue
                        if len(out) == self.max_list_lines:
                            raise TooLargeError(
                                f"list has more than {self.max_list_lines:,} entries (max_list_lines)", source
                            )
                        out.append(entry[: self.max_url_length + 1])
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", source) from None
        return out


getaddrinfo = socket.getaddrinfo  # the one DNS lookup; tests swap it for a fake resolver


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
