"""Network behaviour against a local server on 127.0.0.1 only."""

import time

import pytest

from pipeline.errors import FetchError, TooLargeError, UnsupportedContent
from pipeline.fetch import check_url, fetch


def test_fetch_article(settings, server):
    resp = fetch(f"{server}/article", settings)
    assert resp.content_type == "text/html" and b"ENISA" in resp.content


def test_redirect_is_followed_and_final_url_kept(settings, server):
    assert fetch(f"{server}/redirect", settings).url == f"{server}/article"


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
    ],
)
def test_faults_give_a_typed_reason_naming_the_url(settings, server, path, exc, reason):
    url = f"{server}{path}"
    with pytest.raises(exc) as info:
        fetch(url, settings.replace(max_bytes=2_000_000))
    assert info.value.reason == reason and info.value.source == url


def test_timeout(settings, server):
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/slow", settings.replace(timeout=0.5))
    assert info.value.reason == "timeout"


def test_slow_drip_body_hits_the_overall_deadline(settings, server):
    t0 = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/drip", settings.replace(timeout=0.5))  # each byte is in time; the total is not
    assert info.value.reason == "timeout" and "longer than 1.5s" in info.value.message
    assert time.monotonic() - t0 < 5


def test_connection_refused(settings):
    with pytest.raises(FetchError) as info:
        fetch("http://127.0.0.1:1/", settings)
    assert info.value.reason == "network_error"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http://"])
def test_only_http_urls(url):
    with pytest.raises(FetchError):
        check_url(url)


def test_untrusted_urls_to_private_addresses_are_refused(settings, server):
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/article", settings, untrusted=True)
    assert info.value.reason == "refused_address"
    assert fetch(f"{server}/article", settings.replace(allow_private_addresses=True), untrusted=True).content
