"""Untrusted input, class by class (issue 11): what an attacker controls cannot read local files,
reach private hosts, exhaust memory, hang a run, crash a batch, inject output or make state lie.

Everything is served from 127.0.0.1 inside the test; feed items on loopback are allowed only where
a test says so (--allow-private-addresses), exactly as a user would have to.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_digest import html, page, rss, site, xml  # noqa: F401  (site is a fixture)

from pipeline import digest as dg
from pipeline.cli import main
from pipeline.errors import ExtractionTimeout, FetchError, UnsupportedContent
from pipeline.fsutil import run_lock, write_atomic
from pipeline.policy import Policy
from pipeline.settings import load_settings

SECRET = "TOPSECRET-credential-9f8e7d"
ESCAPES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def cli(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def secret_page(tmp_path: Path) -> Path:
    """A local file an attacker would love to see published in a digest."""
    p = tmp_path / "private" / "notes.html"
    p.parent.mkdir(exist_ok=True)
    p.write_bytes(page("My private notes", SECRET))
    return p


# ---------------------------------------------------------------- 1. feed links are never files


def test_feed_links_that_are_paths_never_read_local_files(site, tmp_path, fake_models):  # noqa: F811
    base, routes = site
    secret = secret_page(tmp_path)
    os.chdir(tmp_path)  # a relative link would resolve against the working directory
    routes["/feed.xml"] = xml(
        rss([
            ("abs", str(secret), 1), ("rel", "private/notes.html", 1), ("file", f"file://{secret}", 1),
            ("dotdot", "../../../../" + str(secret).lstrip("/"), 1), ("home", "~/notes.html", 1),
        ])
    )  # fmt: skip
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    out = tmp_path / "d.md"
    r = cli("digest", "--feeds", str(feeds), "--out", str(out), "--allow-private-addresses")
    assert SECRET not in out.read_text() and SECRET not in r.output
    assert not fake_models.batches  # nothing was summarized: every link failed as a URL
    # relative links were resolved against the feed (404 there); the file:// link was refused
    assert f"{base}/private/notes.html" in r.stderr and "[refused_scheme]" in r.stderr
    assert r.stderr.count("[http_error]") == 3  # the ../ link resolves to the same URL as the absolute one


def test_a_saved_page_claiming_a_url_is_never_reused_for_that_url(site, tmp_path, fake_models):  # noqa: F811
    base, routes = site
    fake = tmp_path / "saved.html"  # a saved page whose og:url claims the feed item's address
    fake.write_bytes(
        page("Forged", SECRET).replace(b"<head>", f'<head><meta property="og:url" content="{base}/a1">'.encode())
    )
    assert cli("summarize", "--mode", "fast", str(fake)).exit_code == 0  # indexed, url = og:url
    routes["/a1"] = html(page("The real story", "cloud certification"))
    routes["/feed.xml"] = xml(rss([("real", f"{base}/a1", 1)]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    r = cli("digest", "--feeds", str(feeds), "--out", str(tmp_path / "d.md"))
    text = (tmp_path / "d.md").read_text()
    assert r.exit_code == 0 and "The real story" in text and SECRET not in text and "(0 reused" in r.stderr


# ---------------------------------------------------------------- 2. caps on files and stdin


def test_fifos_devices_and_directories_are_refused_at_once(tmp_path, policy):
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)  # nobody writes: a blocking open would hang forever
    for path in (fifo, Path("/dev/zero"), Path("/dev/null"), tmp_path):
        with pytest.raises(UnsupportedContent):
            policy.read_file(path)
    r = cli("summarize", "--no-index", str(fifo), "/dev/zero")
    assert r.exit_code == 3 and r.stderr.count("[unsupported_content]") == 2


def test_a_gzip_file_bomb_stops_at_the_cap(tmp_path, fake_models):
    import gzip

    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(gzip.compress(b"<p>" + b"\0" * 100_000_000)))  # gzip inside gzip
    plain = tmp_path / "bomb2.html.gz"
    plain.write_bytes(gzip.compress(b"<p>" + b"a" * 50_000_000))
    r = cli("summarize", "--no-index", str(bomb), str(plain))
    assert r.exit_code == 3 and r.stderr.count("[too_large]") + r.stderr.count("[unsupported_content]") == 2


def test_stdin_is_capped(settings, fake_models, monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_MAX_BYTES", "100000")
    r = cli("summarize", "--no-index", "-", input=b"<p>" + b"x" * 200_000)
    assert r.exit_code == 3 and "[too_large]" in r.stderr


# ---------------------------------------------------------------- 3. discovery goes through the policy


def test_a_discovered_feed_on_a_private_address_is_refused(site, tmp_path, fake_models, monkeypatch, caplog):  # noqa: F811
    base, routes = site
    monkeypatch.delenv("NEWSBRIEF_ALLOW_PRIVATE")  # the user's homepage line is trusted; what it links to is not
    routes["/home"] = html(
        f'<html><head><link rel="alternate" type="application/rss+xml" href="{base}/internal-feed.xml"></head>'
        "<body><p>Home</p></body></html>".encode()
    )
    routes["/internal-feed.xml"] = xml(rss([("internal", f"{base}/a1", 1)]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/home\n")
    with caplog.at_level("INFO", "pipeline.feeds"):
        r = cli("digest", "--feeds", str(feeds), "--out", str(tmp_path / "d.md"))
    assert re.search(r"internal-feed.xml of \S+: refused non-public address", caplog.text), caplog.text
    assert f"{base}/a1" not in r.stderr  # the internal feed's items were never seen


# ---------------------------------------------------------------- 4. one deadline, also in digest


def test_a_dripping_server_cannot_hold_a_digest_past_its_budget(site, tmp_path, fake_models, server):  # noqa: F811
    base, routes = site
    routes["/feed.xml"] = xml(rss([("drip", f"{server}/drip-headers", 1), ("drip2", f"{server}/drip", 1)]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    os.environ["NEWSBRIEF_TIMEOUT"] = "20"  # per phase; 3x would allow a minute per item
    t0 = time.monotonic()
    r = cli("digest", "--feeds", str(feeds), "--out", str(tmp_path / "d.md"), "--budget", "2s")
    assert time.monotonic() - t0 < 8  # the dripping server would hold it 12 s per item
    assert r.exit_code in (1, 3) and "timeout" in r.stderr
    assert cli("digest", "--feeds", str(feeds), "--budget", "1s").exit_code != 5  # the lock was released


# ---------------------------------------------------------------- 5. malformed items are per-item errors

BAD_LINES = [
    "http://example.com:99999/a",
    "http://example.com:http/a",
    "http://[::1/a",
    "http://[fe80::1%zz/a",
    "http://exa\x01mple.com/a",
    "http://example.com/\x1b]52;c;cm0gLXJmIH4=\x07",
    "http://" + "a" * 3000 + ".example/",
    "javascript:alert(1)",
    "gopher://example.com/",
]


def test_a_url_list_of_malformed_lines_gives_one_typed_error_each(tmp_path, fake_models, server):
    urls = tmp_path / "urls.txt"
    urls.write_bytes("\n".join([f"{server}/article", *BAD_LINES]).encode() + b"\nhttp://caf\xe9.example/\n")
    out = tmp_path / "out"
    r = cli("batch", "--urls", str(urls), "--out", str(out), "--workers", "1", "-q")
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 1, r.output
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert [x["source"] for x in results] == [f"{server}/article"]
    assert len(errors) == len(BAD_LINES) + 1  # the non-UTF-8 line too
    assert {e["reason"] for e in errors} <= {"bad_url", "refused_scheme"}
    assert not ESCAPES.search(r.stderr) and all(len(ln) < 600 for ln in r.stderr.splitlines())


def test_feed_items_with_malformed_links_are_listed_not_fatal(site, tmp_path, fake_models):  # noqa: F811
    base, routes = site
    routes["/a1"] = html(page("A fine article", "cloud certification"))
    links = [f"{base}/a1", *(x.replace("<", "") for x in BAD_LINES)]
    body = rss([(f"item {i}", "LINK" + str(i), 1) for i in range(len(links))])
    for i, link in reversed(list(enumerate(links))):
        body = body.replace(f"LINK{i}".encode(), link.replace("&", "&amp;").encode("utf-8", "replace"))
    routes["/feed.xml"] = xml(body)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    out = tmp_path / "d.md"
    r = cli("digest", "--feeds", str(feeds), "--out", str(out))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 1 and "A fine article" in out.read_text()
    assert not ESCAPES.search(r.stderr) and not ESCAPES.search(out.read_text())
    published = out.read_text()
    r = cli("digest", "--feeds", str(feeds), "--out", str(out))  # bad links are remembered, not retried
    assert r.exit_code == 0 and "left as it was" in r.stderr and out.read_text() == published


def test_a_list_file_that_is_not_readable_is_one_clear_error(tmp_path, fake_models):
    fifo = tmp_path / "urls.txt"
    os.mkfifo(fifo)
    r = cli("batch", "--urls", str(fifo), "--out", str(tmp_path / "out"))
    # the input itself is unusable: 3 ("no source succeeded"), as for a source that fails
    assert r.exit_code == 3 and "not a regular file" in r.stderr and len(r.stderr.splitlines()) == 1


def test_list_comments_keep_url_fragments(tmp_path, policy):
    f = tmp_path / "list.txt"
    f.write_bytes(b"\xef\xbb\xbf# header\nhttps://a.example/x#frag  # my note\n  \n\thttps://b.example/#top\n")
    assert policy.read_list(f) == ["https://a.example/x#frag", "https://b.example/#top"]


def test_a_url_list_is_read_line_by_line_not_held_to_the_page_cap(tmp_path, fake_models, server, monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_MAX_BYTES", "20000")  # pages up to 20 kB; the list is 10x that
    urls = tmp_path / "urls.txt"
    padding = "".join(f"# note {i}: kept for the record, not a source\n" for i in range(6000))
    urls.write_text(f"{server}/article\n{padding}{server}/charset/utf-8\n")
    assert urls.stat().st_size > 10 * 20_000
    out = tmp_path / "out"
    r = cli("batch", "--urls", str(urls), "--out", str(out), "--workers", "1", "-q")
    assert r.exit_code == 0 and "2 summarized" in r.stderr, r.output


def test_a_url_list_over_its_line_cap_is_refused_whole(tmp_path, fake_models, settings, monkeypatch):
    urls = tmp_path / "urls.txt"
    urls.write_text("# three sources\n\nhttps://a.example/1\nhttps://a.example/2\nhttps://a.example/3\n")
    assert Policy.trusted(settings.replace(max_list_lines=3)).read_list(urls)[-1] == "https://a.example/3"
    with urls.open("a") as f:
        f.write("https://a.example/4\n")
    monkeypatch.setenv("NEWSBRIEF_MAX_LIST_LINES", "3")
    r = cli("batch", "--urls", str(urls), "--out", str(tmp_path / "out"), "-q")
    assert r.exit_code == 3 and "more than 3 entries (max_list_lines)" in one_error_line(r, "too_large")
    assert not (tmp_path / "out" / "results.jsonl").read_text()  # nothing done: refused, never cut


def test_an_overlong_list_line_is_one_bad_entry_read_in_bounded_steps(tmp_path, policy):
    urls = tmp_path / "urls.txt"
    urls.write_bytes(b"https://a.example/" + b"x" * 5_000_000 + b"\nhttps://b.example/ok # fine\n")
    first, second = policy.read_list(urls)
    assert len(first) == policy.max_url_length + 1 and second == "https://b.example/ok"
    with pytest.raises(FetchError) as info:
        policy.check_url(first)
    assert info.value.reason == "bad_url"


# ---------------------------------------------------------------- 6. bounded work after extraction


def test_the_extraction_limit_cannot_be_swallowed(tmp_path, fake_models, monkeypatch):
    import pipeline.core

    def stubborn(article, settings):  # a parser that catches everything, as trafilatura does
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with contextlib.suppress(Exception):
                time.sleep(0.01)
        return article

    monkeypatch.setattr(pipeline.core, "extract", stubborn)
    t0 = time.monotonic()
    with pytest.raises(ExtractionTimeout):
        pipeline.core.extract_within(pipeline.core.Article(source="x", raw="<p>x</p>"), load_settings().replace(
            extract_timeout=0.2))  # fmt: skip
    assert time.monotonic() - t0 < 5


def test_a_huge_text_is_read_in_part_and_says_so(tmp_path, fake_models, monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_MAX_TEXT_CHARS", "20000")
    p = tmp_path / "huge.txt"
    p.write_text("Huge\n" + "\n".join(f"Paragraph {i} says the breach cost {i} dollars." for i in range(20_000)))
    r = cli("summarize", "--no-index", "--format", "json", str(p))
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["word_count"] > 100_000 and 0 < out["coverage"] < 0.1
    assert all(e <= 20_000 for span in out["provenance"]["tldr"] for _, e in span)


def test_an_ok_brief_always_has_a_tldr_and_a_summary(tmp_path, fake_models, monkeypatch):
    from pipeline.summarizers.base import SummaryResult

    monkeypatch.setattr(fake_models, "summarize_batch", lambda arts: [SummaryResult([], []) for _ in arts])
    p = tmp_path / "a.txt"
    p.write_text("Title\n" + "word " * 5000)
    r = cli("summarize", "--no-index", str(p))
    assert r.exit_code == 3 and "[no_summary]" in r.stderr and not r.stdout


@pytest.mark.models
def test_degenerate_pages_are_bounded_with_the_real_models(tmp_path):
    one_word = tmp_path / "one-word.html"
    one_word.write_text("<html><body><p>" + "word " * 1_900_000 + "</p></body></html>")  # 9.5 MB
    tiny = tmp_path / "tiny.html"
    tiny.write_text("<html><body>" + "".join(f"<p>A b {i}.</p>" for i in range(100_000)) + "</body></html>")
    r = cli("summarize", "--no-index", "--mode", "fast", "--format", "json", str(one_word), str(tiny))
    for line in r.stdout.splitlines():
        o = json.loads(line)
        assert o["tldr"].strip() and o["summary"] and o["coverage"] < 1
    for line in r.stderr.splitlines():
        assert line.startswith("newsbrief: error: ") and line.endswith("]")


# ---------------------------------------------------------------- 7. output and terminal injection


@pytest.mark.parametrize(
    "og", ["javascript:alert(1)", "data:text/html,<script>x</script>", "https://x.example/>[a](javascript:b)"]
)
def test_page_urls_cannot_form_links_in_markdown_or_json(tmp_path, fake_models, og):
    p = tmp_path / "page.html"
    p.write_bytes(page("Story", "cloud").replace(b"<head>", f'<head><meta property="og:url" content="{og}">'.encode()))
    md = cli("summarize", "--no-index", str(p)).stdout
    js = json.loads(cli("summarize", "--no-index", "--format", "json", str(p)).stdout)
    source = [ln for ln in md.splitlines() if ln.startswith("Source:")][0]
    assert re.fullmatch(r"Source: <https?://[^<>\s]+>|Source: [^<>]*", source), source  # one autolink, or text
    assert js["url"] is None or (js["url"].startswith("https://") and ">" not in js["url"])


def test_digest_outputs_only_link_http_urls():
    from pipeline.document import Article, SummarySentence

    a = Article(source="x", url="javascript:alert(1)", title="t", reading_minutes=1)
    a.tldr = [SummarySentence("t.")]
    d = dg.Digest(since="2026-01-01", generated="2026-01-02T00:00:00Z", articles=[a])
    for fmt in ("md", "html", "atom"):
        assert "javascript" not in dg.render(d, fmt)


def test_escape_sequences_never_reach_the_terminal(tmp_path, fake_models):
    evil = tmp_path / "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07.html"
    evil.write_text("<p>short</p>")
    r = cli("-v", "summarize", "--no-index", str(evil), "http://127.0.0.1:1/\x1b[2J")
    assert r.exit_code == 3 and r.stderr.count("newsbrief: error:") == 2
    assert not ESCAPES.search(r.stderr.replace("\n", ""))


HANGUL_FILLERS = "\u115f\u1160\u3164\uffa0"  # render as blanks but are letters, not whitespace: spoofing


def test_hangul_fillers_never_reach_the_terminal(tmp_path, fake_models):
    from pipeline.text import strip_controls

    assert strip_controls("a\u115fb\u3164c\u1160d\uffa0e") == "abcde"
    # a line separator in a feed link split an error message in two lines (found by the fuzz test below)
    assert strip_controls("0\u20280\u2029x").splitlines() == ["0 0 x"]
    p = tmp_path / "page.html"
    p.write_bytes(page(f"Story{HANGUL_FILLERS}title", f"cloud{HANGUL_FILLERS}certification"))
    missing = tmp_path / f"no{HANGUL_FILLERS}such.html"
    r = cli("summarize", "--no-index", str(p), str(missing))
    assert r.exit_code == 1 and "Storytitle" in r.stdout and "nosuch.html" in r.stderr, r.output
    assert not any(c in r.stdout + r.stderr for c in HANGUL_FILLERS)


# ---------------------------------------------------------------- 8. exit codes and state tell the truth


@pytest.mark.parametrize(
    "args",
    [
        ["search", "x", "--since", "yesterday"],
        ["entities", "--since", "soon"],
        ["digest", "--feeds", "FEEDS", "--budget", "nan"],
        ["digest", "--feeds", "FEEDS", "--budget", "inf"],
        ["digest", "--feeds", "FEEDS", "--budget", "-5m"],
        ["digest", "--feeds", "FEEDS", "--since", "last tuesday"],
        ["--config", "/no/such/config.toml", "models"],
    ],
)
def test_usage_errors_exit_2(tmp_path, fake_models, args):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("")
    cli("summarize", str(Path(__file__).parent.parent / "samples" / "plain-article.txt"))  # an index to search
    r = cli(*[str(feeds) if a == "FEEDS" else a for a in args])
    assert r.exit_code == 2, r.output


def test_a_misspelt_config_in_the_environment_is_an_error(monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_CONFIG", "/no/such/config.toml")
    r = cli("models")
    assert r.exit_code == 2 and "config file not found" in r.stderr


@pytest.mark.parametrize("query", ["!!!", '"', "NEAR(", "*", "a AND OR NOT", "-", "^x", " ".join(["term"] * 20_000)])
def test_search_accepts_any_string(tmp_path, fake_models, query):
    cli("summarize", str(Path(__file__).parent.parent / "samples" / "plain-article.txt"))
    r = cli("search", query)
    assert r.exit_code == 0 and "error" not in r.stderr


def test_retry_failed_removes_resolved_entries(tmp_path, fake_models):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_text("<p>too short</p>")
    (pages / "b.html").write_bytes(page("Fine", "cloud"))
    out = tmp_path / "out"
    assert cli("batch", str(pages), "--out", str(out), "-q").exit_code == 1
    assert cli("batch", str(pages), "--out", str(out), "-q").exit_code == 1  # still a failure in the folder
    (pages / "a.html").write_bytes(page("Fixed", "certification"))
    assert cli("batch", str(pages), "--out", str(out), "-q", "--retry-failed").exit_code == 0
    assert (out / "errors.jsonl").read_text() == ""
    assert cli("batch", str(pages), "--out", str(out), "-q").exit_code == 0


def test_two_batches_into_one_folder_are_refused(tmp_path, fake_models):
    out = tmp_path / "out"
    from pipeline.batch import out_lock

    with out_lock(out):
        r = cli("batch", str(Path(__file__).parent.parent / "samples"), "--out", str(out))
    assert r.exit_code == 5 and "another batch" in r.stderr and not (out / "results.jsonl").exists()


def test_the_digest_lock_is_the_same_for_every_spelling_of_the_index(tmp_path, fake_models):
    real = tmp_path / "real" / "index.db"
    real.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("")
    with run_lock(dg.lock_path(real), "digest run"):
        for spelling in (str(link), str(tmp_path / "real" / ".." / "real" / "index.db")):
            assert cli("digest", "--feeds", str(feeds), "--db", spelling).exit_code == 5


def test_refused_addresses_are_reconsidered_when_allowed(site, tmp_path, fake_models, monkeypatch):  # noqa: F811
    base, routes = site
    monkeypatch.delenv("NEWSBRIEF_ALLOW_PRIVATE")
    routes["/a1"] = html(page("Local story", "cloud certification"))
    routes["/feed.xml"] = xml(rss([("local", f"{base}/a1", 1), ("js", "javascript:alert(1)", 1)]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    out = tmp_path / "d.md"
    assert cli("digest", "--feeds", str(feeds), "--out", str(out)).exit_code == 3
    assert cli("digest", "--feeds", str(feeds), "--out", str(out)).exit_code == 0  # remembered, not retried
    r = cli("digest", "--feeds", str(feeds), "--out", str(out), "--allow-private-addresses")
    assert r.exit_code == 0 and "Local story" in out.read_text()  # refused_scheme stays remembered


def test_atomic_writes_keep_the_mode_a_user_expects(tmp_path):
    old = os.umask(0o022)
    (tmp_path / "out").mkdir()
    try:
        new = tmp_path / "out" / "digest.html"
        write_atomic(new, "one")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        new.chmod(0o640)
        write_atomic(new, "two")
        assert stat.S_IMODE(new.stat().st_mode) == 0o640 and new.read_text() == "two"
    finally:
        os.umask(old)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["digest.html"]  # no temporary left behind


@pytest.fixture
def read_only_view(tmp_path):
    """``(writable, read_only)``: one folder seen through a read-only bind mount, the way a user
    without write access to the index's folder sees it (even root cannot write there)."""
    src, view = tmp_path / "src", tmp_path / "view"
    src.mkdir()
    view.mkdir()
    try:
        subprocess.run(["mount", "--bind", str(src), str(view)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True, capture_output=True)
        yield src, view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)  # lazy: never leave a mount behind


def test_a_read_only_user_can_search_a_wal_index(read_only_view, fake_models):
    src, view = read_only_view
    sample = Path(__file__).parent.parent / "samples" / "plain-article.txt"
    assert cli("summarize", "--db", str(src / "index.db"), str(sample)).exit_code == 0
    r = cli("search", "--db", str(view / "index.db"), "backdoor")
    assert r.exit_code == 0 and "[1]" in r.stdout, r.output
    assert cli("entities", "--db", str(view / "index.db")).exit_code == 0
    assert sorted(p.name for p in src.iterdir()) == ["index.db"]  # nothing was written next to it


def test_policy_is_what_batch_workers_get(settings):
    import pickle

    p = Policy.untrusted(settings, deadline=123.0)
    assert pickle.loads(pickle.dumps(p)) == p and not p.allow_files and not p.allow_private


# ---------------------------------------------------------------- fuzz: any line, any link

from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def no_dns(host, port, *args, **kwargs):
    """Loopback resolves; every other name fails at once: fuzzed hosts never reach a resolver."""
    import socket

    if host in ("127.0.0.1", "localhost"):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def lines_strategy(server: str) -> st.SearchStrategy[str]:
    port = server.rsplit(":", 1)[1]
    junk = st.text(max_size=40).map(lambda t: t.replace("\n", " ").replace("\r", " "))
    host = st.one_of(
        st.just("127.0.0.1"), st.just(f"127.0.0.1:{port}"), junk, st.sampled_from(["[::1", "[zz::]", "a" * 300, ""])
    )
    url = st.builds(
        lambda scheme, h, p, path: f"{scheme}://{h}:{p}/{path}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "file", "javascript", "", "hxxp"]),
        host,
        st.one_of(st.integers(-5, 70_000).map(str), junk),
        junk,
    )
    return st.one_of(junk, url, st.just(f"{server}/article"), st.just(f"{server}/missing"), st.just("-"))


@pytest.fixture
def fuzz_env(monkeypatch, fake_models, server):
    import pipeline.policy

    monkeypatch.setattr(pipeline.policy, "getaddrinfo", no_dns)
    monkeypatch.setenv("NEWSBRIEF_TIMEOUT", "2")
    return server


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_any_url_list_gives_a_result_or_a_typed_error_per_line(tmp_path_factory, fuzz_env, data):
    lines = data.draw(st.lists(lines_strategy(fuzz_env), min_size=1, max_size=6))
    tmp = tmp_path_factory.mktemp("fuzz")
    urls = tmp / "urls.txt"
    urls.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    out = tmp / "out"
    r = cli("batch", "--urls", str(urls), "--out", str(out), "--workers", "1", "-q", "--db", str(tmp / "i.db"))
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 1, 3), r.output
    expected = Policy.trusted(load_settings()).read_list(urls)
    got = [
        json.loads(x)["source"] for f in ("results.jsonl", "errors.jsonl") for x in (out / f).read_text().splitlines()
    ]
    assert sorted(got) == sorted(dict.fromkeys(expected))  # every line accounted for once: none lost
    for e in (json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()):
        assert e["reason"] != "internal_error", e
    for line in r.stderr.splitlines():
        assert line.startswith("newsbrief: ") and not ESCAPES.search(line)


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_any_feed_link_gives_a_result_or_a_typed_error(tmp_path_factory, fuzz_env, data, monkeypatch):
    from html import escape

    from conftest import Handler

    links = data.draw(st.lists(lines_strategy(fuzz_env), min_size=1, max_size=5))
    items = "".join(
        f"<item><title>t{i}</title><link>{escape(link, quote=False)}</link></item>" for i, link in enumerate(links)
    )
    Handler.feed_body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode(
        "utf-8", "replace"
    )
    tmp = tmp_path_factory.mktemp("fuzz")
    feeds = tmp / "feeds.txt"
    feeds.write_text(f"{fuzz_env}/feed\n")
    out = tmp / "d.md"
    args = ["digest", "--feeds", str(feeds), "--out", str(out), "--db", str(tmp / "i.db"), "--allow-private-addresses"]
    r = cli(*args)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 1, 3), r.output
    assert out.exists() and not ESCAPES.search(out.read_text().replace("\n", ""))
    assert "internal_error" not in r.stderr
    for line in r.stderr.splitlines():
        assert line.startswith("newsbrief: ") and not ESCAPES.search(line)
    assert cli(*args).exit_code in (0, 1, 3)  # and the next night too


# ---------------------------------------------------------------- 9. charsets: text encodings only, in bounded time

NOT_TEXT = ["punycode", "idna", "undefined", "unicode_escape", "raw_unicode_escape", "utf-7", "rot13", "base64", "hex",
            "zlib", "palmos", "bogus"]  # fmt: skip


@pytest.mark.parametrize("label", [*NOT_TEXT, "windows-1252", "utf-8"])
def test_a_page_is_decoded_only_with_a_text_encoding(server, fake_models, label):
    r = cli("summarize", "--no-index", f"{server}/charset/{label}")
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 0, r.output  # the label is ignored, as browsers ignore one they do not know
    assert "Cloud rules delayed" in r.stdout and "aaa" not in r.stdout


@pytest.mark.parametrize("label", [*NOT_TEXT, "utf-8\x00", "", "  "])
def test_only_text_encodings_are_codecs_for_a_declared_charset(label):
    from pipeline.decoding import text_codec

    assert text_codec(label) is None
    assert text_codec(" Windows-1252 ") == "cp1252" and text_codec('"UTF-8"') == "utf-8"
    assert text_codec("x-mac-cyrillic") == "mac-cyrillic"


def test_a_feed_or_homepage_declaring_punycode_is_read_as_text(server, tmp_path, fake_models, monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_ALLOW_PRIVATE", "1")  # the feed's item is on 127.0.0.1
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{server}/punycode-feed\n{server}/charset/punycode\n")  # a feed, then a homepage
    out = tmp_path / "d.md"
    r = cli("digest", "--feeds", str(feeds), "--out", str(out))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 0, r.output
    assert "France" in out.read_text() and "Cloud rules delayed" in out.read_text()


def test_decoding_is_cut_at_its_time_limit(monkeypatch):
    import trafilatura.utils

    from pipeline.errors import BadEncoding
    from pipeline.sources import decode

    def stuck(data):  # a sniffer that never returns (and swallows ordinary exceptions)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with contextlib.suppress(Exception):
                time.sleep(0.01)
        return "done"

    monkeypatch.setattr(trafilatura.utils, "decode_file", stuck)
    with pytest.raises(BadEncoding) as info:
        decode(b"\xff\xfe\xfd not utf-8", "page.html", None, timeout=0.2)
    assert info.value.reason == "bad_encoding" and "longer than 0.2s" in info.value.message


PUNYCODE_HANG_LIMIT = 120  # seconds; the fixed run takes a few, Python's punycode decoder needs minutes


@pytest.mark.parametrize("how", ["summarize", "batch", "digest-homepage", "digest-feed"])
def test_a_punycode_body_cannot_hang_a_run(server, tmp_path, how):
    import sys

    from test_batch import KILLABLE, ROOT  # the CLI with the fake models, in a process we can time out

    script = tmp_path / "run.py"
    script.write_text(KILLABLE.format(tests=str(ROOT / "tests")))
    (tmp_path / "urls.txt").write_text(f"{server}/punycode-bomb\n")
    feed = "/punycode-feed-bomb" if how == "digest-feed" else "/punycode-bomb"
    (tmp_path / "feeds.txt").write_text(f"{server}{feed}\n")
    args = {
        "summarize": ["summarize", "--no-index", f"{server}/punycode-bomb"],
        "batch": ["batch", "--urls", str(tmp_path / "urls.txt"), "--out", str(tmp_path / "out"), "-q", "--workers=1"],
    }.get(how, ["digest", "--feeds", str(tmp_path / "feeds.txt"), "--out", str(tmp_path / "d.md")])
    env = {**os.environ, "NEWSBRIEF_ALLOW_PRIVATE": "1", "NEWSBRIEF_DB": str(tmp_path / "i.db")}
    try:
        done = subprocess.run([sys.executable, str(script), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=PUNYCODE_HANG_LIMIT)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"{how} was still running after {PUNYCODE_HANG_LIMIT}s")
    assert done.returncode in (0, 3) and "Traceback" not in done.stderr, done.stderr


# ---------------------------------------------------------------- 10. redirects from the user's own URLs are untrusted


@pytest.mark.parametrize("command", ["summarize", "batch", "digest"])
def test_a_redirect_from_a_listed_url_cannot_reach_loopback(server, tmp_path, fake_models, command):
    url = f"{server}/goto?{server}/article"  # the user's line is theirs; the redirect is the server's
    (tmp_path / "list.txt").write_text(url + "\n")
    args = {
        "summarize": ["summarize", "--no-index", url],
        "batch": ["batch", "--urls", str(tmp_path / "list.txt"), "--out", str(tmp_path / "out"), "-q", "--workers=1"],
        "digest": ["digest", "--feeds", str(tmp_path / "list.txt"), "--out", str(tmp_path / "d.md")],
    }[command]
    r = cli(*args)
    published = r.stdout + "".join(p.read_text() for p in tmp_path.rglob("*") if p.suffix in (".md", ".jsonl"))
    assert r.exit_code == 3 and "[refused_address]" in r.stderr and "redirect to" in r.stderr, r.output
    assert "ENISA" not in published
    again = ["--retry-failed"] if command == "batch" else []
    r = cli(*args, *again, "--allow-private-addresses")  # the user may allow it
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- 11. state errors: typed, one line, exit 4


def one_error_line(r, reason: str) -> str:
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("newsbrief: error: ")]
    assert len(errors) == 1 and errors[0].endswith(f"[{reason}]"), r.stderr
    return errors[0]


def test_read_only_output_and_index_folders_are_typed_errors(read_only_view, tmp_path, fake_models):
    src, view = read_only_view
    (src / "out").mkdir()
    pages = Path(__file__).parent.parent / "samples"
    for out in (view / "out", view / "new-out"):  # an existing folder, one that cannot be made
        r = cli("batch", str(pages), "--out", str(out), "--no-index", "-q")
        assert r.exit_code == 4 and "cannot" in one_error_line(r, "state_error")
    r = cli("summarize", "--db", str(view / "sub" / "index.db"), str(pages / "plain-article.txt"))
    assert r.exit_code == 4 and "cannot create the index's folder" in one_error_line(r, "store_error")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("")
    r = cli("digest", "--feeds", str(feeds), "--out", str(view / "digest.md"))
    assert r.exit_code == 4 and "digest.md: cannot write the file" in one_error_line(r, "state_error")
    assert sorted(p.name for p in src.iterdir()) == ["out"]  # nothing was written there


def test_a_lock_path_that_is_a_directory_is_a_typed_error(tmp_path, fake_models):
    out = tmp_path / "out"
    (out / ".newsbrief-batch.lock").mkdir(parents=True)
    r = cli("batch", str(Path(__file__).parent.parent / "samples"), "--out", str(out), "-q")
    assert r.exit_code == 4 and "lock" in one_error_line(r, "state_error")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("")
    dg.lock_path(load_settings().db_path()).mkdir(parents=True)
    r = cli("digest", "--feeds", str(feeds))
    assert r.exit_code == 4 and "lock" in one_error_line(r, "state_error")


def test_a_symlinked_lock_is_refused_and_never_truncates_its_target(tmp_path, fake_models):
    precious = tmp_path / "precious.txt"
    precious.write_text("do not truncate me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".newsbrief-batch.lock").symlink_to(precious)
    r = cli("batch", str(Path(__file__).parent.parent / "samples"), "--out", str(out), "-q")
    assert r.exit_code == 4 and "symlink" in one_error_line(r, "state_error")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("")
    lock = dg.lock_path(load_settings().db_path())
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.symlink_to(precious)
    r = cli("digest", "--feeds", str(feeds))
    assert r.exit_code == 4 and "symlink" in one_error_line(r, "state_error")
    assert precious.read_text() == "do not truncate me\n" and not (out / "results.jsonl").exists()


@pytest.mark.parametrize(
    "summary, why",
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "not UTF-8"),
        (b"A sentence.\x00\x01\x02 More.", "binary"),
        (b"France " * 200_000, "characters"),  # one 1.4 MB line: spaCy's E088 if it got that far
        (b"France asked.\n" * 600, "600 sentences"),  # minutes of checking; verdicts only at the end
    ],
)
def test_verify_refuses_an_empty_binary_or_huge_summary(tmp_path, summary, why):
    article = tmp_path / "a.txt"
    article.write_text("Cloud scheme delayed\n" + "France asked for a legal opinion on the scheme. " * 10)
    (tmp_path / "summary.txt").write_bytes(summary)
    for args, stdin in ((["--summary", str(tmp_path / "summary.txt")], None), (["--summary", "-"], summary)):
        r = cli("verify", "--article", str(article), *args, input=stdin)
        assert r.exit_code == 2 and why in one_error_line(r, "usage"), r.output
