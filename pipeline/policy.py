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
:class:`~pipeline.settings.Settings` and handed down; nothing else decides these questions. How
bytes become text under these caps is :mod:`pipeline.decoding`; the file readers are in
:mod:`pipeline.fsutil` and the time limit in :mod:`pipeline.timelimit`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urljoin, urlsplit

from .errors import FetchError
from .fsutil import read_capped, read_list, read_regular
from .settings import Settings

SCHEMES = frozenset({"http", "https"})
# NUL..space, DEL, C1 controls, bidi overrides: never part of a URL we accept
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufffd]")
# RFC 3986 reserved + unreserved characters and "%": everything else is percent-encoded on output
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
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
    def read_file(self, path: Path) -> bytes:
        """A regular file's bytes, at most ``max_bytes``; FIFOs, devices and sockets are refused."""
        return read_regular(path, self.max_bytes)

    def read_stream(self, stream: BinaryIO, source: str = "-") -> bytes:
        """A stream's bytes (stdin), at most ``max_bytes``: a longer stream is refused, never cut."""
        return read_capped(stream, self.max_bytes, source)

    def read_list(self, path: Path) -> list[str]:
        """A user's list file (URLs, feeds), at most ``max_list_lines`` entries, each cut to
        ``max_url_length + 1`` characters for :meth:`check_url` to refuse (:func:`fsutil.read_list`)."""
        return read_list(path, self.max_list_lines, self.max_url_length)


getaddrinfo = socket.getaddrinfo  # the one DNS lookup; tests swap it for a fake resolver
