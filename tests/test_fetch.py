"""Network behaviour against a local server on 127.0.0.1 only; the fetch policy attacked directly.

No test sends a packet anywhere but 127.0.0.1: public addresses appear only behind a fake
resolver, and connections to them are intercepted before a socket is made.
"""

import gzip
import ipaddress
import time
import zlib

import httpcore
import pytest

import pipeline.policy
from pipeline.decoding import decode_layers
from pipeline.errors import FetchError, TooLargeError, UnsupportedContent
from pipeline.fetch import fetch
from pipeline.policy import Policy, address_is_public, public_url


def test_fetch_article(policy, server):
    resp = fetch(f"{server}/article", policy)
    assert resp.content_type == "text/html" and b"ENISA" in resp.content


def test_redirect_is_followed_and_final_url_kept(settings, server):
    policy = Policy.trusted(settings.replace(allow_private_addresses=True))  # the hop is on loopback too
    assert fetch(f"{server}/redirect", policy).url == f"{server}/article"


@pytest.mark.parametrize("target", ["http://127.0.0.1:PORT/article", "http://localhost:PORT/article", "/article"])
def test_a_redirect_is_judged_by_the_untrusted_rule(settings, server, target):
    """The user's own URL may be private; where it redirects is the server's choice, even the
    same host (its name is resolved again), unless the user allowed private addresses."""
    url = f"{server}/goto?{target.replace('PORT', server.rsplit(':', 1)[1])}"
    with pytest.raises(FetchError) as info:
        fetch(url, Policy.trusted(settings))
    assert info.value.reason == "refused_address" and info.value.source == url
    assert info.value.message.startswith("redirect to http://") and "--allow-private-addresses" in info.value.message
    allowed = Policy.trusted(settings.replace(allow_private_addresses=True))
    assert b"ENISA" in fetch(url, allowed).content


def test_a_redirect_to_a_private_address_is_refused_before_connecting(settings, server, monkeypatch):
    port = int(server.rsplit(":", 1)[1])
    dns = FakeDNS(["127.0.0.1"])
    answers = {"intranet.example": "10.0.0.5", "news.example": "127.0.0.1"}
    monkeypatch.setattr(pipeline.policy, "getaddrinfo", lambda host, p, *a, **k: [(2, 1, 6, "", (answers[host], p))])
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", lambda self, *a, **k: dns.connect_tcp(self, *a, **k))
    with pytest.raises(FetchError) as info:
        fetch(f"http://news.example:{port}/goto?http://intranet.example/admin", Policy.trusted(settings))
    assert info.value.reason == "refused_address" and "10.0.0.5" in info.value.message
    assert dns.connected == ["127.0.0.1"]  # the first hop only: nothing was sent to the private address


@pytest.mark.parametrize(
    "path, exc, reason",
    [
        ("/missing", FetchError, "http_error"),
        ("/pdf", UnsupportedContent, "unsupported_content"),
        ("/loop", FetchError, "too_many_redirects"),
        ("/to-file", FetchError, "refused_scheme"),
        ("/to-ftp", FetchError, "refused_scheme"),
        ("/unavailable", FetchError, "http_error"),
        ("/big", TooLargeError, "too_large"),
        ("/bomb", TooLargeError, "too_large"),
        ("/bomb-gzip2", TooLargeError, "too_large"),
        ("/bomb-gzip3", TooLargeError, "too_large"),
        ("/bomb-split-header", TooLargeError, "too_large"),
        ("/brotli", UnsupportedContent, "unsupported_content"),
    ],
)
def test_faults_give_a_typed_reason_naming_the_url(settings, server, path, exc, reason):
    url = f"{server}{path}"
    with pytest.raises(exc) as info:  # private addresses allowed: /loop redirects on loopback
        fetch(url, Policy.trusted(settings.replace(max_bytes=2_000_000, allow_private_addresses=True)))
    assert info.value.reason == reason and info.value.source == url


@pytest.mark.parametrize("path", ["/gzip-deflate", "/multi-member"])
def test_legitimate_encoding_chains_decode_to_the_page(policy, server, path):
    assert fetch(f"{server}{path}", policy).content == fetch(f"{server}/article", policy).content


@pytest.mark.parametrize("layers", [1, 2, 3, 4])
def test_every_layer_of_a_chain_stops_at_the_cap_in_small_steps(layers):
    body = b"<p>" + b"\0" * 50_000_000
    for _ in range(layers):
        body = gzip.compress(body)
    cap = 1_000_000
    out = decode_layers(iter([body[i : i + 512] for i in range(0, len(body), 512)]), ["gzip"] * layers, cap, "x")
    got = 0
    with pytest.raises(TooLargeError):
        for chunk in out:
            assert len(chunk) <= 64 * 1024  # never a big allocation, whatever the ratio
            got += len(chunk)
    assert got <= cap


def test_decoder_handles_raw_deflate_and_rejects_garbage():
    raw = zlib.compressobj(wbits=-15)
    data = raw.compress(b"hello " * 100) + raw.flush()
    assert b"".join(decode_layers([data], ["deflate"], 10_000, "x")) == b"hello " * 100
    with pytest.raises(FetchError) as info:
        list(decode_layers([b"\x1f\x8bnot really gzip"], ["gzip"], 10_000, "x"))
    assert info.value.reason == "bad_encoding"
    with pytest.raises(UnsupportedContent):
        list(decode_layers([b""], ["gzip"] * 5, 10_000, "x"))  # more layers than HTTP has a use for


def test_timeout(settings, server):
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/slow", Policy.trusted(settings.replace(timeout=0.5)))
    assert info.value.reason == "timeout"


def test_slow_drip_body_hits_the_overall_deadline(settings, server):
    t0 = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/drip", Policy.trusted(settings.replace(timeout=0.5)))  # each byte in time; the total not
    assert info.value.reason == "timeout" and "longer than 1.5s" in info.value.message
    assert time.monotonic() - t0 < 5


def test_slow_drip_headers_hit_the_overall_deadline(settings, server):
    t0 = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/drip-headers", Policy.trusted(settings.replace(timeout=0.5)))
    assert info.value.reason == "timeout" and "longer than 1.5s" in info.value.message
    assert time.monotonic() - t0 < 5  # the server would go on for 12 s


def test_a_run_deadline_cuts_a_fetch_short(settings, server):
    from dataclasses import replace

    policy = replace(Policy.trusted(settings), deadline=time.monotonic() + 0.5)  # a digest budget's end
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/drip", policy)  # 3x the 20 s timeout would allow a minute
    assert info.value.reason == "timeout"


def test_connection_refused(policy):
    with pytest.raises(FetchError) as info:
        fetch("http://127.0.0.1:1/", policy)
    assert info.value.reason == "network_error"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://example.com/x", "refused_scheme"),
        ("file:///etc/passwd", "refused_scheme"),
        ("javascript:alert(1)", "refused_scheme"),
        ("data:text/html,<script>alert(1)</script>", "refused_scheme"),
        ("/etc/passwd", "refused_scheme"),
        ("http://", "bad_url"),
        ("http://example.com:99999/", "bad_url"),
        ("http://example.com:port/", "bad_url"),
        ("http://[::1/", "bad_url"),
        ("http://[not-ipv6]/", "bad_url"),
        ("http://exa mple.com/", "bad_url"),
        ("http://example.com/\x1b]52;c;aGk=\x07", "bad_url"),
        ("http://example.com/\u202eevil", "bad_url"),
        ("http://example.com/\ufffd", "bad_url"),
        ("http://example.com/" + "a" * 5000, "bad_url"),
    ],
)
def test_check_url_gives_a_typed_reason(policy, url, reason):
    with pytest.raises(FetchError) as info:
        policy.check_url(url)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "href, base, expected",
    [
        ("/news/1", "https://feeds.example/rss", "https://feeds.example/news/1"),
        ("story.html", "https://feeds.example/a/rss", "https://feeds.example/a/story.html"),
        ("//cdn.example/x", "https://feeds.example/rss", "https://cdn.example/x"),
        ("  https://x.example/a#frag  ", "https://feeds.example/rss", "https://x.example/a#frag"),
    ],
)
def test_feed_links_resolve_against_the_feed(policy, href, base, expected):
    assert policy.link(href, base) == expected


@pytest.mark.parametrize("href", ["file:///etc/passwd", "javascript:alert(1)", "mailto:a@b.example", "ftp://x/y"])
def test_feed_links_can_never_leave_http(policy, href):
    with pytest.raises(FetchError) as info:
        policy.link(href, "https://feeds.example/rss")
    assert info.value.reason == "refused_scheme"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.100.100.200",
        "0.0.0.0", "255.255.255.255", "224.0.0.1", "198.18.0.1", "192.0.0.8", "::1", "::", "fe80::1", "fc00::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "ff02::1",
    ],
)  # fmt: skip
def test_non_global_addresses_are_not_public(address):
    assert not address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["::127.0.0.1", "::ffff:0:127.0.0.1", "::ffff:0:10.0.0.5", "::a9fe:a9fe", "::8.8.8.8", "4000::1"]
)
def test_ipv4_compatible_and_translated_ipv6_are_not_public(settings, address, monkeypatch):
    """Outside 2000::/3, which Python's is_global does not check: never global unicast."""
    assert not address_is_public(ipaddress.ip_address(address))
    monkeypatch.setattr(pipeline.policy, "getaddrinfo", lambda host, port, *a, **k: [(10, 1, 6, "", (address, port))])
    with pytest.raises(FetchError) as info:
        fetch("http://sneaky.example/", Policy.untrusted(settings))
    assert info.value.reason == "refused_address"


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_global_unicast_addresses_are_public(address):
    assert address_is_public(ipaddress.ip_address(address))


def test_untrusted_urls_to_private_addresses_are_refused(settings, server):
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/article", Policy.untrusted(settings))
    assert info.value.reason == "refused_address"
    assert fetch(f"{server}/article", Policy.untrusted(settings.replace(allow_private_addresses=True))).content


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]"])
def test_other_spellings_of_loopback_are_refused(settings, server, host):
    port = server.rsplit(":", 1)[1]
    with pytest.raises(FetchError) as info:
        fetch(f"http://{host}:{port}/article", Policy.untrusted(settings))
    assert info.value.reason in {"refused_address", "bad_url"}


class FakeDNS:
    """A resolver that answers from a table, changing its answer after the first lookup
    (DNS rebinding), and a connector that records where sockets would go."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.lookups = 0
        self.connected: list[str] = []

    def getaddrinfo(self, host, port, *args, **kwargs):
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(2 if ":" not in answer else 10, 1, 6, "", (answer, port))]

    def connect_tcp(self, backend, host, port, *args, **kwargs):
        self.connected.append(host)
        if host.startswith("127."):
            return real_connect(backend, host, port, *args, **kwargs)
        raise httpcore.ConnectError("intercepted: tests never leave 127.0.0.1")


real_connect = httpcore.SyncBackend.connect_tcp


def test_dns_rebinding_cannot_swap_in_a_private_address(settings, monkeypatch):
    dns = FakeDNS(["93.184.216.34", "127.0.0.1"])  # public when checked, loopback on a second lookup
    monkeypatch.setattr(pipeline.policy, "getaddrinfo", dns.getaddrinfo)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", lambda self, *a, **k: dns.connect_tcp(self, *a, **k))
    with pytest.raises(FetchError) as info:
        fetch("http://rebind.example/", Policy.untrusted(settings))
    assert info.value.reason == "network_error"
    assert dns.lookups == 1 and dns.connected == ["93.184.216.34"]  # one lookup; the checked address


def test_an_answer_with_any_private_address_is_refused(settings, monkeypatch):
    def answers(host, port, *a, **k):
        return [(2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr(pipeline.policy, "getaddrinfo", answers)
    with pytest.raises(FetchError) as info:
        fetch("http://mixed.example/", Policy.untrusted(settings))
    assert info.value.reason == "refused_address" and "10.0.0.5" in info.value.message


def test_connection_goes_to_the_checked_address_with_the_real_host_header(policy, server, monkeypatch):
    port = int(server.rsplit(":", 1)[1])
    dns = FakeDNS(["127.0.0.1"])
    monkeypatch.setattr(pipeline.policy, "getaddrinfo", dns.getaddrinfo)
    resp = fetch(f"http://news.example:{port}/host", policy)
    assert f"host=news.example:{port}".encode() in resp.content and dns.lookups == 1


def test_a_hanging_resolver_is_cut_by_the_deadline(settings, monkeypatch):
    monkeypatch.setattr(pipeline.policy, "getaddrinfo", lambda *a, **k: time.sleep(3) or [])
    t0 = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch("http://slow-dns.example/", Policy.trusted(settings.replace(timeout=0.3)))
    assert info.value.reason == "timeout" and time.monotonic() - t0 < 2.5


@pytest.mark.parametrize(
    "raw, expected",
    [
        ('https://ex.example/a<c>"d`e', "https://ex.example/a%3Cc%3E%22d%60e"),
        ("https://ex.example/a b", None),
        ("https://ex.example/ok?q=1&r=%20", "https://ex.example/ok?q=1&r=%20"),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        ("//no-scheme.example/x", None),
        ("https://ex.example/\x1b]0;title\x07", None),
        ("http://x.example:99999/", None),
        ("", None),
    ],
)
def test_public_url_only_lets_safe_http_urls_out(raw, expected):
    assert public_url(raw) == expected
