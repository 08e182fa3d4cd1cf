"""The only module that talks to the network; what it may fetch is decided by :mod:`pipeline.policy`.

* every URL and every redirect hop passes :meth:`Policy.check_url` (http(s), well-formed), and
  every hop after the first is fetched under :meth:`Policy.redirected` (the untrusted address
  rule), on a connection of its own;
* the host is resolved **once** per connection by :meth:`Policy.resolve`, which checks every
  address, and the socket connects to exactly those addresses (no second lookup, so DNS
  rebinding cannot swap in a private address); the URL is unchanged, so Host and TLS SNI and
  certificate checks use the real host name;
* one overall deadline from DNS to the last byte: every socket read and write gets at most the
  time left, so a server dripping its headers or body cannot hold a fetch past it;
* the body is read raw and decoded by :func:`~pipeline.decoding.decode_layers`: any chain of
  encodings stops at the decoded-bytes cap with bounded memory; the content type is checked.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpcore  # imported with this module only: `newsbrief --help` never loads it
import httpx

from .decoding import decode_layers, too_large
from .errors import FetchError, UnsupportedContent
from .policy import Policy

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
    """Does ``text`` name an http(s) URL (well-formed or not: :func:`fetch` judges that)?"""
    return text.strip()[:8].lower().startswith(("http://", "https://"))


def time_left(deadline: float, timeout: float | None, exc: type[Exception]) -> float:
    """Seconds an I/O step may take: what is left of the deadline (and at most ``timeout``)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise exc("overall deadline passed")
    return left if timeout is None else min(timeout, left)


def read_body(resp: httpx.Response, cap: int, source: str, deadline: float, what: str = "body") -> bytes:
    """The body of ``resp``, as every HTTP body newsbrief reads (a page, an LLM server's reply) is
    read: refused at once when its Content-Length is over ``cap``, its content codings undone layer
    by layer under the same cap, and every chunk, decoding included, within ``deadline``."""
    declared = resp.headers.get("content-length", "")
    too_large(int(declared) if declared.isascii() and declared.isdigit() else 0, cap, source, what)
    body = bytearray()
    encodings = resp.headers.get_list("content-encoding", split_commas=True)
    for chunk in decode_layers(resp.iter_raw(), encodings, cap, source):
        body += chunk
        time_left(deadline, None, httpx.ReadTimeout)  # a body that trickles forever ends at the deadline
    return bytes(body)


class DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write gets at most the time left before ``deadline()``
    (asked at each step: a kept-alive connection serves requests with deadlines of their own)."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Callable[[], float]) -> None:
        self.inner, self.deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, time_left(self.deadline(), timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, time_left(self.deadline(), timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        left = time_left(self.deadline(), timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, left), self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class PolicyBackend(httpcore.NetworkBackend):
    """Connects only to the addresses :meth:`Policy.resolve` checked, within the deadline: the
    one given, or (``None``) the one this thread's request set with :meth:`PolicyTransport.until`."""

    plain = httpcore.SyncBackend()

    def __init__(self, policy: Policy, url: str, deadline: float | None) -> None:
        self.policy, self.url, self.fixed = policy, url, deadline
        self.local = threading.local()  # .deadline: this thread's request's

    def deadline(self) -> float:
        mine: float | None = getattr(self.local, "deadline", None)
        if mine is not None:
            return mine
        if self.fixed is None:
            raise httpcore.ConnectError("no deadline set for this request")  # a caller's bug, never a hang
        return self.fixed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        left = time_left(self.deadline(), timeout, httpcore.ConnectTimeout)
        addresses = self.policy.resolve(host, port, self.url, left)
        error: Exception = httpcore.ConnectError(f"cannot connect to {host}")
        for address in addresses:  # numeric addresses: connecting resolves nothing again
            left = time_left(self.deadline(), timeout, httpcore.ConnectTimeout)
            try:
                return DeadlineStream(self.plain.connect_tcp(address, port, left, local_address), self.deadline)
            except httpcore.ConnectError as exc:
                error = exc
        raise error

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PolicyTransport(httpx.HTTPTransport):
    """An httpx transport whose sockets go through the policy: checked addresses, one deadline.

    ``deadline=None``: a transport kept for many requests (the LLM writer's one client and its
    kept-alive connections); each request, the reading of its body included, runs inside
    :meth:`until` with a deadline of its own."""

    def __init__(self, policy: Policy, url: str, deadline: float | None, connections: int = 2) -> None:
        super().__init__(retries=0)
        # httpx has no parameter for httpcore's network backend; its pool is the documented
        # httpcore ConnectionPool, so we build that one ourselves with ours.
        self._backend = PolicyBackend(policy, url, deadline)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=self._backend,
            max_connections=connections,
        )

    @contextlib.contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        """This thread's I/O on the transport ends by ``deadline`` (time.monotonic()); other
        threads' requests keep theirs."""
        self._backend.local.deadline = deadline
        try:
            yield
        finally:
            self._backend.local.deadline = None


def fetch(url: str, policy: Policy, accept: tuple[str, ...] = HTML_TYPES + TEXT_TYPES) -> Response:
    """GET ``url`` under ``policy``; the body, or a :class:`FetchError` subclass naming ``url``."""
    policy.check_url(url)
    deadline = policy.fetch_deadline()
    total = max(0.0, deadline - time.monotonic())
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": ", ".join(accept) + ", */*;q=0.1",
        "Accept-Encoding": "gzip, deflate",  # the codings decode_layers undoes with a cap
    }
    current, hop_policy = url, policy
    try:
        for _hop in range(policy.max_redirects + 1):
            # a client per hop: its transport checks the addresses under that hop's policy, and a
            # pooled connection to the first host can never carry a redirect past that check
            with (
                httpx.Client(
                    timeout=httpx.Timeout(policy.timeout),
                    headers=headers,
                    follow_redirects=False,
                    trust_env=False,
                    transport=PolicyTransport(hop_policy, url, deadline),
                ) as client,
                client.stream("GET", current) as resp,
            ):
                if resp.is_redirect:
                    target = str(resp.url.join(resp.headers.get("location", "")))
                    try:
                        policy.check_url(target)
                    except FetchError as exc:
                        raise FetchError(f"redirect to {target}: {exc.message}", url, exc.reason) from None
                    log.debug("redirect %s -> %s", current, target)
                    current, hop_policy = target, policy.redirected()
                    continue
                if resp.status_code >= 400:
                    raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}", url, "http_error")
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype and ctype not in accept:
                    raise UnsupportedContent(f"content type {ctype!r} is not {' or '.join(accept)}", url)
                body = read_body(resp, policy.max_bytes, url, deadline)
                return Response(str(resp.url), body, ctype, resp.charset_encoding)
        raise FetchError(f"more than {policy.max_redirects} redirects", url, "too_many_redirects")
    except FetchError as exc:
        if current != url and exc.reason == "refused_address":  # say which hop was refused
            raise FetchError(f"redirect to {current}: {exc.message}", url, exc.reason) from None
        raise
    except (httpx.TimeoutException, httpcore.TimeoutException):
        if time.monotonic() >= deadline - 0.01:
            raise FetchError(f"took longer than {total:.3g}s (the overall deadline)", url, "timeout") from None
        raise FetchError(f"timed out after {policy.timeout:g}s", url, "timeout") from None
    except (httpx.HTTPError, httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise FetchError(f"network error: {exc}", url, "network_error") from None
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise FetchError(f"malformed URL: {exc}", url, "bad_url") from None
