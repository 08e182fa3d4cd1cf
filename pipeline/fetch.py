"""The only module that talks to the network.

http(s) only; per-phase timeouts plus an overall deadline (slow-drip bodies); a size cap applied to
the *decoded* body (gzip bombs); bounded redirects, each hop re-checked against the URL policy;
a content-type check; a real User-Agent. Optionally refuses hosts that resolve to loopback,
private or link-local addresses (SSRF) for URLs that come from untrusted input such as feeds.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import FetchError, TooLargeError, UnsupportedContent
from .settings import Settings

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # final URL after redirects
    content: bytes
    content_type: str  # media type without parameters, lower-case
    charset: str | None


def is_url(text: str) -> bool:
    return urlsplit(text.strip()).scheme.lower() in {"http", "https"}


def check_url(url: str, allow_private: bool = True) -> None:
    """Raise :class:`FetchError` unless ``url`` is http(s) (and, if asked, public)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise FetchError(f"refused scheme {parts.scheme or '(none)'!r}: only http and https", url, "refused_scheme")
    if not parts.hostname:
        raise FetchError("URL has no host", url, "bad_url")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host: {exc.strerror}", url, "dns_error") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            raise FetchError(
                f"refused private address {ip} (use --allow-private-addresses to allow)", url, "refused_address"
            )


def fetch(
    url: str,
    settings: Settings,
    accept: tuple[str, ...] = HTML_TYPES + TEXT_TYPES,
    untrusted: bool = False,
) -> Response:
    """GET ``url`` and return its body, or raise a :class:`FetchError` subclass naming the URL."""
    import httpx

    allow_private = settings.allow_private_addresses or not untrusted
    check_url(url, allow_private)
    timeout = httpx.Timeout(settings.timeout)
    deadline = time.monotonic() + 3 * settings.timeout
    headers = {"User-Agent": settings.user_agent, "Accept": ", ".join(accept) + ", */*;q=0.1"}
    current = url
    try:
        with httpx.Client(timeout=timeout, headers=headers, follow_redirects=False, trust_env=False) as client:
            for _hop in range(settings.max_redirects + 1):
                with client.stream("GET", current) as resp:
                    if resp.is_redirect:
                        target = str(resp.url.join(resp.headers.get("location", "")))
                        try:
                            check_url(target, allow_private)
                        except FetchError as exc:
                            raise FetchError(f"redirect to {target}: {exc.message}", url, exc.reason) from None
                        log.debug("redirect %s -> %s", current, target)
                        current = target
                        continue
                    if resp.status_code >= 400:
                        raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}", url, "http_error")
                    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    if ctype and ctype not in accept:
                        raise UnsupportedContent(f"content type {ctype!r} is not {' or '.join(accept)}", url)
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > settings.max_bytes:
                        raise TooLargeError(
                            f"body of {int(declared):,} bytes exceeds the {settings.max_bytes:,}-byte cap", url
                        )
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in resp.iter_bytes():  # decoded bytes: the cap also stops gzip bombs
                        size += len(chunk)
                        if size > settings.max_bytes:
                            raise TooLargeError(f"body exceeds the {settings.max_bytes:,}-byte cap", url)
                        if time.monotonic() > deadline:
                            raise FetchError(f"download took longer than {3 * settings.timeout:g}s", url, "timeout")
                        chunks.append(chunk)
                    return Response(str(resp.url), b"".join(chunks), ctype, resp.charset_encoding)
            raise FetchError(f"more than {settings.max_redirects} redirects", url, "too_many_redirects")
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {settings.timeout:g}s", url, "timeout") from None
    except httpx.DecodingError as exc:
        raise FetchError(f"cannot decode body: {exc}", url, "bad_encoding") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"network error: {exc}", url, "network_error") from None
