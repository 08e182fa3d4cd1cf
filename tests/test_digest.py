"""`newsbrief digest` against feeds and pages served from 127.0.0.1 inside the test."""

from __future__ import annotations

import email.utils
import http.server
import os
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from conftest import QuietServer

from pipeline import digest as dg
from pipeline.cli import main
from pipeline.settings import load_settings
from pipeline.store import Store, parse_since

BODY = (
    "<p>{topic} was announced on Tuesday by the agency in Brussels, officials said in a statement. "
    "The decision affects cloud providers across the European Union and follows months of talks. "
    "Several member states had asked for more time to review the legal consequences.</p>"
    "<p>Critics said the rules for {topic} would raise costs for smaller firms, while supporters "
    "argued that the scheme gives customers a clear signal about security and data protection.</p>"
)


def page(title: str, topic: str) -> bytes:
    from html import escape

    t = escape(title)
    head = f"<html><head><title>{t}</title></head>"
    return f"{head}<body><article><h1>{t}</h1>{BODY.format(topic=topic)}</article></body></html>".encode()


def rss(items: list[tuple[str, str, float]]) -> bytes:
    """items: (title, link, age in hours)."""
    out = ['<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title><link>http://x/</link>']
    for title, link, age in items:
        date = email.utils.formatdate(time.time() - age * 3600, usegmt=True)
        out.append(f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate></item>")
    return ("".join(out) + "</channel></rss>").encode()


class Routes(dict):
    """path -> (status, content type, body, delay); ``hits`` counts the requests of each path."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: Counter[str] = Counter()


class Site(http.server.BaseHTTPRequestHandler):
    routes: Routes = Routes()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.routes.hits[self.path] += 1
        status, ctype, body, delay = self.routes.get(self.path, (404, "text/html", b"not here", 0.0))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site(monkeypatch) -> Iterator[tuple[str, Routes]]:
    routes = Routes()
    handler = type("Handler", (Site,), {"routes": routes})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setenv("NEWSBRIEF_ALLOW_PRIVATE", "1")  # the test server lives on loopback
    monkeypatch.setenv("NEWSBRIEF_TIMEOUT", "1")
    yield base, routes
    httpd.shutdown()
    httpd.server_close()


def html(body: bytes) -> tuple[int, str, bytes, float]:
    return (200, "text/html; charset=utf-8", body, 0.0)


def xml(body: bytes, delay: float = 0.0) -> tuple[int, str, bytes, float]:
    return (200, "application/rss+xml", body, delay)


def serve_news(base: str, routes: dict) -> None:
    routes["/a1"] = html(page("EU delays cloud certification vote", "EUCS"))
    routes["/a2"] = html(page("<script>document.title='pwned'</script> Patch Tuesday fixes", "patching"))
    routes["/old"] = html(page("Old news", "archives"))
    routes["/feed.xml"] = xml(
        rss([("EU delays", f"{base}/a1", 1), ("Patch", f"{base}/a2", 2), ("Old", f"{base}/old", 72)])
    )
    routes["/home"] = html(
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed2.xml"></head>'
        b"<body><p>Home</p></body></html>"
    )
    routes["/a3"] = html(page("ENISA publishes threat report", "the threat landscape"))
    routes["/feed2.xml"] = xml(rss([("ENISA", f"{base}/a3", 3)]))


def invoke(*args: str):
    return CliRunner().invoke(main, ["digest", *args])


def serve_feed(base: str, routes: dict, tmp_path, pages: list[tuple[str, bytes]]):
    """Serve each (path, page) and a feed listing them an hour apart, newest first; the feeds file."""
    links = []
    for i, (path, body) in enumerate(pages):
        routes[path] = html(body)
        links.append((path.strip("/"), f"{base}{path}", 1 + i))
    routes["/feed.xml"] = xml(rss(links))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    return feeds


def test_two_runs_new_articles_then_nothing_new(site, tmp_path, fake_models):
    base, routes = site
    serve_news(base, routes)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# my feeds\n{base}/feed.xml\n{base}/home\n")
    out = tmp_path / "digest.md"
    r = invoke("--feeds", str(feeds), "--since", "24h", "--out", str(out), "--atom", str(tmp_path / "d.atom"))
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "EU delays cloud certification vote" in text and "ENISA publishes threat report" in text
    assert "Old news" not in text  # older than --since
    assert "\\<script\\>" in text and "<script>" not in text  # page markup stays text in Markdown
    assert "## Latest" in text and "## In the news today" in text and f"(<{base}/a1>)" in text
    assert text.count("**TLDR:**") == 3
    assert "<title>EU delays cloud certification vote</title>" in (tmp_path / "d.atom").read_text()

    calls = len(fake_models.batches)
    published, feed = out.read_text(), (tmp_path / "d.atom").read_text()
    r = invoke("--feeds", str(feeds), "--since", "24h", "--out", str(out), "--atom", str(tmp_path / "d.atom"))
    assert r.exit_code == 0, r.output
    # a re-run (or a second cron slot) with nothing new leaves the morning's digest and its feed as they were
    assert out.read_text() == published and (tmp_path / "d.atom").read_text() == feed
    assert "left as it was" in r.stderr
    assert len(fake_models.batches) == calls  # nothing summarized again


def test_nothing_new_on_a_first_run_says_so(site, tmp_path, fake_models):
    base, routes = site
    routes["/feed.xml"] = xml(rss([]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    out = tmp_path / "digest.md"
    r = invoke("--feeds", str(feeds), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "Nothing new since" in out.read_text()


def test_each_digest_is_kept_dated_and_the_atom_feed_keeps_a_history(site, tmp_path, fake_models, monkeypatch):
    base, routes = site
    monkeypatch.setenv("NEWSBRIEF_DIGEST_KEEP", "2")
    out, atom = tmp_path / "digest.html", tmp_path / "digest.atom"
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    stamps = iter(["2026-12-01T06:00:00", "2026-12-02T06:00:00", "2026-12-03T06:00:00"])
    monkeypatch.setattr(dg, "utc_now", lambda: next(stamps))
    titles = ["Night one: EU delays cloud vote", "Night two: Patch Tuesday fixes", "Night three: ENISA report"]
    topics = ["EUCS", "patching", "the threat landscape"]
    for night, (title, topic) in enumerate(zip(titles, topics, strict=True)):
        routes[f"/n{night}"] = html(page(title, topic))
        routes["/feed.xml"] = xml(rss([(title, f"{base}/n{night}", 1)]))
        r = invoke("--feeds", str(feeds), "--out", str(out), "--format", "html", "--atom", str(atom))
        assert r.exit_code == 0, r.output
    assert titles[2] in out.read_text()  # the stable name is the latest digest
    # dated copies beside it, the newest two (digest_keep = 2): the first night's was removed
    dated = sorted(p.name for p in tmp_path.glob("digest-*.html"))
    assert dated == ["digest-2026-12-02-0600.html", "digest-2026-12-03-0600.html"]
    assert titles[1] in (tmp_path / dated[0]).read_text()
    # the Atom feed holds every night's story, newest first, each entry updated when it was published
    feed = atom.read_text()
    assert [feed.index(t) for t in reversed(titles)] == sorted(feed.index(t) for t in titles)
    assert "<updated>2026-12-01T06:00:00Z</updated>" in feed


def test_failures_are_isolated_and_listed(site, tmp_path, fake_models):
    base, routes = site
    serve_news(base, routes)
    routes["/bad.xml"] = xml(b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Broken')
    routes["/slow.xml"] = xml(rss([]), delay=3)
    routes["/feed.xml"] = xml(rss([("EU delays", f"{base}/a1", 1), ("Gone", f"{base}/gone", 1)]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/bad.xml\n{base}/feed.xml\n{base}/slow.xml\n")
    out = tmp_path / "d.md"
    r = invoke("--feeds", str(feeds), "--out", str(out))
    assert r.exit_code == 1  # some failed, some succeeded
    text = out.read_text()
    assert "EU delays cloud certification vote" in text
    failures = text.split("## Failures")[1]
    assert "malformed feed" in failures and "HTTP 404" in failures and "timed out" in failures
    assert f"{base}/gone" in r.stderr


def test_a_page_not_live_yet_is_retried_by_the_next_runs_for_days_then_given_up(site, tmp_path, fake_models):
    import sqlite3

    base, routes = site
    routes["/locked"] = (403, "text/html", b"members only", 0.0)  # refused: the server's answer for good
    routes["/down"] = (503, "text/html", b"try later", 0.0)
    feeds, out, db = tmp_path / "feeds.txt", tmp_path / "d.md", tmp_path / "i.db"
    feeds.write_text(f"{base}/feed.xml\n")

    def night(age: float) -> tuple[object, str]:
        routes["/feed.xml"] = xml(rss([("Soon", f"{base}/soon", age), ("Locked", f"{base}/locked", age),
                                       ("Down", f"{base}/down", age)]))  # fmt: skip
        r = invoke("--feeds", str(feeds), "--since", "24h", "--out", str(out), "--db", str(db))
        return r, r.stderr

    # the feed lists the article before its page is live (404)
    r, err = night(1)
    assert r.exit_code == 3 and "HTTP 404" in err and "tried again by the next runs until" in err, err
    r, err = night(2)
    assert routes.hits["/soon"] == 2 and routes.hits["/down"] == 2  # tried again
    assert routes.hits["/locked"] == 1  # a refusal is remembered, not asked again every night
    # the page goes live the next day, when its item is older than --since: it is still picked up
    routes["/soon"] = html(page("Soon: the cloud vote is delayed", "EUCS"))
    r, err = night(30)
    assert r.exit_code == 1 and "Soon: the cloud vote is delayed" in out.read_text(), err
    assert routes.hits["/soon"] == 3
    # a server down for more than RETRY_DAYS after the first failure: one last try, then given up
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE feed_items SET first_seen = '2020-01-01T00:00:00' WHERE url LIKE '%/down'")
    r, err = night(1)
    assert routes.hits["/down"] == 4 and "given up: failing since January 1, 2020" in err, err
    night(1)
    assert routes.hits["/down"] == 4 and routes.hits["/locked"] == 1 and routes.hits["/soon"] == 3
    assert dict(con.execute("SELECT url, status FROM feed_items").fetchall()) == {
        f"{base}/soon": "ok",
        f"{base}/locked": "failed",
        f"{base}/down": "failed",
    }


def test_a_digest_says_what_it_does_one_line_per_feed_item_and_story(site, tmp_path, fake_models, caplog, monkeypatch):
    import logging

    base, routes = site
    serve_news(base, routes)
    listed = [("EU delays", f"{base}/a1", 1), ("Gone", f"{base}/gone", 1), ("Old", f"{base}/old", 72)]
    routes["/feed.xml"] = xml(rss(listed))
    progress = logging.getLogger("pipeline.progress")  # as the library logs it (the CLI shows it on a terminal)
    monkeypatch.setattr(progress, "propagate", True)
    settings = load_settings()
    with caplog.at_level(logging.INFO, logger="pipeline.progress"), Store(settings.db_path()) as store:
        dg.build([f"{base}/feed.xml", f"{base}/broken.xml"], settings, store, parse_since("24h"))
    lines = [r.getMessage() for r in caplog.records if r.name == "pipeline.progress"]
    assert f"feed {base}/feed.xml: 3 items, 2 new" in lines, lines
    assert f"feed {base}/broken.xml: failed (http_error)" in lines
    assert "summarized: EU delays cloud certification vote" in lines and f"failed: {base}/gone (http_error)" in lines
    assert "story brief written: EU delays cloud certification vote" in lines


def test_feed_urls_on_private_addresses_are_refused_by_default(site, tmp_path, fake_models, monkeypatch):
    base, routes = site
    serve_news(base, routes)
    monkeypatch.delenv("NEWSBRIEF_ALLOW_PRIVATE")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")  # the user's own feed URL may be local; its items may not
    r = invoke("--feeds", str(feeds), "--out", str(tmp_path / "d.md"))
    assert r.exit_code == 3  # every item refused
    assert "refused non-public address 127.0.0.1" in r.stderr and "[refused_address]" in r.stderr


def test_an_overlapping_run_is_refused_by_the_lock(site, tmp_path, fake_models):
    base, routes = site
    serve_news(base, routes)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    from pipeline.fsutil import run_lock

    with run_lock(dg.lock_path(load_settings().db_path()), "digest run"):
        r = invoke("--feeds", str(feeds), "--out", str(tmp_path / "d.md"))
    assert r.exit_code == 5 and "another digest run holds the lock" in r.stderr, r.stderr
    assert not (tmp_path / "d.md").exists() and not fake_models.batches
    assert invoke("--feeds", str(feeds), "--out", str(tmp_path / "d.md")).exit_code == 0  # lock released


@pytest.mark.parametrize("broken", ["out", "atom"])
def test_a_digest_that_cannot_be_written_loses_no_article(site, tmp_path, fake_models, broken):
    base, routes = site
    serve_news(base, routes)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n{base}/home\n")
    (tmp_path / "not-a-folder").write_text("a file where the folder should be")
    blocked = tmp_path / "not-a-folder" / "blocked"  # the write fails, like a read-only or full folder
    out, atom = tmp_path / "digest.md", tmp_path / "digest.atom"
    r = invoke("--feeds", str(feeds), "--out", str(blocked if broken == "out" else out),
               "--atom", str(blocked if broken == "atom" else atom))  # fmt: skip
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 4 and "blocked: cannot write the file" in r.stderr and "[state_error]" in r.stderr
    summarized = sum(fake_models.batches)
    assert summarized == 3
    r = invoke("--feeds", str(feeds), "--out", str(out), "--atom", str(atom))  # the next night
    text = out.read_text()
    assert r.exit_code == 0 and "Nothing new" not in text, r.output
    for title in ("EU delays cloud certification vote", "Patch Tuesday fixes", "ENISA publishes threat report"):
        assert title in text and title in atom.read_text()
    assert "3 new (3 reused" in r.stderr and sum(fake_models.batches) == summarized  # from the index, not redone
    r = invoke("--feeds", str(feeds), "--out", str(out))  # and the night after: nothing new
    assert out.read_text() == text and "left as it was" in r.stderr  # the published digest stays


def test_budget_stops_starting_articles_and_the_next_run_picks_them_up(site, tmp_path, fake_models):
    base, routes = site
    serve_news(base, routes)
    settings = load_settings()
    ticks = iter(range(0, 10_000, 10))  # every clock read is 10 s later

    def clock() -> float:
        return float(next(ticks))

    feeds = [f"{base}/feed.xml", f"{base}/home"]
    with Store(settings.db_path()) as store:
        first = dg.build(feeds, settings, store, parse_since("24h"), budget=25, clock=clock)
        assert first.articles and first.skipped
        dg.publish(first, store, "md", None, None, emit=lambda text: None)  # written: now remembered
        assert "Skipped" in dg.render(first, "md")
        second = dg.build(feeds, settings, store, parse_since("24h"))
    assert sorted(a.url for a in second.articles) == sorted(first.skipped)
    assert len(first.articles) + len(second.articles) == 3


def test_bad_budget_and_missing_feeds_file_are_usage_errors(tmp_path):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("http://127.0.0.1:9/feed\n")
    r = invoke("--feeds", str(feeds), "--budget", "soon")
    assert r.exit_code == 2 and "--budget 'soon'" in r.stderr
    assert invoke("--feeds", str(tmp_path / "nope.txt")).exit_code == 2


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_digest_in_a_real_browser(site, tmp_path, fake_models):
    browser = _chromium()
    if browser is None:
        if os.environ.get("NEWSBRIEF_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (NEWSBRIEF_REQUIRE_BROWSER is set) but not installed")
        pytest.skip("chromium not installed (.ci/run installs it)")
    base, routes = site
    serve_news(base, routes)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    out = tmp_path / "digest.html"
    assert invoke("--feeds", str(feeds), "--format", "html", "--out", str(out)).exit_code == 0
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert "EU delays cloud certification vote" in dom
    # the page title containing <script> is shown as text: escaped in the DOM, never executed
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt; Patch Tuesday fixes" in dom
    assert "<script>" not in dom and "<title>News digest" in dom


@pytest.mark.parametrize(
    "fmt, escaped", [("html", "&lt;script&gt;"), ("atom", "&lt;script&gt;"), ("md", "\\<script\\>")]
)
def test_page_controlled_titles_are_escaped_in_every_format(fmt, escaped):
    from pipeline.document import Article
    from pipeline.story import write

    art = Article(source="x", url="http://example.com/a", title="<script>alert(1)</script> Hi", text="t")
    d = dg.Digest(
        "2026-01-01", "2026-01-02T00:00:00Z", articles=[art], stories=[write([art], None, words_per_minute=60)]
    )
    out = dg.render(d, fmt)
    assert escaped in out and "<script>" not in out


def _story_of(hosts: list[tuple[str, str]], genres: list[str | None] | None = None) -> dg.Digest:
    """A digest of one story told by pages at ``(url, site name)``, the first two saying the same,
    the pages of the ``genres`` given ("opinion", "review"; news by default)."""
    from fakes import LeadSummarizer

    from pipeline.document import Article
    from pipeline.story import write

    said = "The insurer Northwind said on Tuesday that a ransomware attack exposed 1.2 million customer records. "
    own = ["Police in Madrid opened an investigation into the attack on the insurer.",
           "Customers were told by the insurer to watch for phishing emails.",
           "Regulators in Spain were told of the breach within a single day."]  # fmt: skip
    arts = [
        Article(source=url, url=url, title=f"Report {i}", text=said + own[i], date="2026-12-05", sitename=name,
                genre=(genres or [None] * len(hosts))[i])
        for i, (url, name) in enumerate(hosts)
    ]  # fmt: skip
    fake = LeadSummarizer()
    story = write(arts, fake, encode=fake.encode, words_per_minute=200)
    return dg.Digest("2026-12-05T06:00:00", "2026-12-06T06:00:00Z", articles=arts, stories=[story])


def test_an_opinion_page_is_marked_as_one_in_every_brief_of_it():
    from markdown_it import MarkdownIt

    from pipeline.document import Article, StoryBrief
    from pipeline.render import markdown

    one = _story_of([("https://daily.example/opinion/1", "Daily")], ["opinion"])
    shown = MarkdownIt().render(dg.render(one, "md"))
    assert "<p>Opinion · December 5, 2026 · 0 min read · <a" in shown, shown  # (the fake article is 0 minutes)
    assert '<p class="meta">Opinion · December 5, 2026 · 0 min read' in dg.render(one, "html")
    # a story of several: the column among its sources is named so, the story is no opinion
    many = _story_of([("https://daily.example/1", "Daily"), ("https://times.example/opinion/2", "Times")],
                     [None, "opinion"])  # fmt: skip
    md = dg.render(many, "md")
    assert "Times (times.example)](<https://times.example/opinion/2>) (opinion)" in md and "Opinion ·" not in md
    stored = StoryBrief.from_dict(many.stories[0].as_dict())  # a story read back from the index keeps it
    assert [s.genre for s in stored.sources] == [s.genre for s in many.stories[0].sources]
    # a single article's brief, and read back from its JSON
    a = one.articles[0]
    assert "Opinion · 0 min read" in markdown(a).splitlines()
    assert Article.from_dict(a.as_dict()).genre == "opinion" and a.as_dict()["genre"] == "opinion"
    assert Article.from_dict({**a.as_dict(), "genre": "<b>news</b>"}).genre is None  # only a genre is read back
    a.genre = None
    assert "0 min read" in markdown(a).splitlines()


def test_the_digest_reads_as_a_person_reads_it_dates_names_and_corroboration():
    from markdown_it import MarkdownIt

    one_host = _story_of([(f"http://127.0.0.1:8001/{i}", name) for i, name in enumerate(["Daily", "Times", "Wire"])])
    md = dg.render(one_host, "md")
    shown = MarkdownIt().render(md)  # as a Markdown viewer shows it
    assert "<h1>News digest, December 6, 2026</h1>" in shown and "since December 5, 2026, 06:00 UTC." in shown
    assert "T06:00" not in md  # no machine time for people (the Atom feed keeps it)
    assert "<p>December 5, 2026 · 1 min read</p>\n<p>3 sources: " in shown, shown  # two lines, not run together
    # pages on one host are told apart by their sites' names; one host is still one voice
    assert "Daily (127.0.0.1)</a>, <a" in shown and "Times (127.0.0.1)" in shown and "Wire (127.0.0.1)" in shown
    assert "Each sentence comes from one outlet so far." in md and "Corroborated by" not in md
    html = dg.render(one_host, "html")
    assert "Times (127.0.0.1)</a>" in html and "Each sentence comes from one outlet so far." in html
    assert "since December 5, 2026, 06:00 UTC" in html and "<updated>2026-12-06T06:00:00Z</updated>" in dg.render(
        one_host, "atom"
    )
    two_sites = _story_of([("https://a.example/1", "A Daily"), ("https://b.example/2", "B Times")])
    for fmt in ("md", "html"):
        told = dg.render(two_sites, fmt)
        assert re.search(r"\b2 of 4 sentences are reported by two or more independent outlets\.", told), told
    (first,) = two_sites.stories[0].as_dict()["sentences"]["tldr"]
    assert first["corroborated"] is True  # the JSON keeps it as data


def test_kill_9_during_digest_then_resume_keeps_index_valid_and_complete(site, tmp_path):
    import random
    import signal
    import sqlite3
    import sys

    from test_batch import KILLABLE, ROOT

    base, routes = site
    n = 30
    for i in range(n):
        routes[f"/k{i}"] = html(page(f"Story number {i} about the cloud scheme", f"topic {i}"))
    routes["/feed.xml"] = xml(rss([(f"Story {i}", f"{base}/k{i}", 1) for i in range(n)]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{base}/feed.xml\n")
    script = tmp_path / "run.py"
    script.write_text(KILLABLE.format(tests=str(ROOT / "tests")))
    db = tmp_path / "i.db"
    out = tmp_path / "digest.md"
    # one article a batch: with bigger batches the stored count jumps past the last kill point
    env = {**os.environ, "NEWSBRIEF_DB": str(db), "NEWSBRIEF_BATCH_SIZE": "1"}
    cmd = [sys.executable, str(script), "digest", "--feeds", str(feeds), "--out", str(out)]

    def stored() -> int:
        try:
            return sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        except sqlite3.Error:
            return 0

    rng = random.Random(7)
    for _ in range(3):  # kill at three random points
        target = min(stored() + rng.randint(1, 6), n - 3)  # never wait for the run to end
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and stored() < target and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert stored() < n  # it really was interrupted
        assert not out.exists() or out.read_text().startswith("# News digest")  # never half a file
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*), COUNT(DISTINCT url) FROM articles").fetchone() == (n, n)
    assert con.execute("SELECT COUNT(*) FROM feed_items WHERE status IN ('ok', 'reused')").fetchone()[0] == n
    assert stored() == n and out.read_text().startswith("# News digest")


def test_a_digest_of_six_articles_about_two_stories_shows_two_stories_with_their_sources(site, tmp_path, fake_models):
    base, routes = site
    quake = ("The USGS said an earthquake of magnitude 6.1 struck {place} on Sunday, damaging houses and roads. "
             "Rescue teams searched collapsed buildings in {place} through the night, officials said.")  # fmt: skip
    vote = ("Parliament in {place} voted on Tuesday to approve the EUCS cybersecurity certification law. "
            "The certification law for cloud providers passed after months of debate in {place}.")  # fmt: skip
    pages = []
    for i in range(3):
        for name, text in (("quake", quake), ("vote", vote)):
            place = "Lisbon" if name == "quake" else "Warsaw"
            pages.append((f"/{name}{i}",
                f"<html><head><title>{name} report {i}</title></head><body><article><h1>{name} report {i}</h1>"
                f"<p>{text.format(place=place)} Report number {i} adds its own details.</p>"
                f"<p>{text.format(place=place)}</p>"
                "</article></body></html>".encode()
            ))  # fmt: skip
    feeds = serve_feed(base, routes, tmp_path, pages)
    out = tmp_path / "digest.md"
    r = invoke("--feeds", str(feeds), "--since", "24h", "--out", str(out))
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "6 new articles in 2 stories" in text and text.count("3 sources: ") == 2, text
    assert "in 2 stories" in r.stderr


def test_a_year_in_a_pages_text_is_not_its_date_reports_of_tonights_story_are_grouped(site, tmp_path, fake_models):
    # pages without date metadata: their date is guessed from the text, and a year a report
    # mentions came back as January 1st of it, so tonight's three reports were years apart
    base, routes = site
    quake = ("The USGS said an earthquake of magnitude 6.1 struck Lisbon on Sunday, damaging houses and roads. "
             "Rescue teams searched collapsed buildings in Lisbon through the night, officials said. "
             "The last quake this strong hit the city in {year}, the agency added.")  # fmt: skip
    pages = [
        (f"/quake{i}",
         f"<html><head><title>quake report {i}</title></head><body><article><h1>quake report {i}</h1>"
         f"<p>{quake.format(year=year)} Report number {i} adds its own details.</p>"
         "</article></body></html>".encode())
        for i, year in enumerate(("1969", "2003", "2011"))
    ]  # fmt: skip
    feeds = serve_feed(base, routes, tmp_path, pages)
    out = tmp_path / "digest.md"
    r = invoke("--feeds", str(feeds), "--since", "24h", "--out", str(out), "--db", str(tmp_path / "i.db"))
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "3 new articles in 1 story " in text and "3 sources: " in text, text
    assert "January 1, " not in text, text  # no brief dated by a year its text mentions
    with Store(tmp_path / "i.db") as store:
        feed_day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3600))
        dates = {store.get(i).date for i in (1, 2, 3)}
    assert dates <= {feed_day, time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3 * 3600))}, dates


def test_a_date_the_pages_text_mentions_yields_to_the_feeds_and_metadata_does_not(site, tmp_path, fake_models):
    base, routes = site
    day = 24 * 3600
    meta = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3 * day))  # published, listed later
    body = BODY.format(topic="EUCS")
    told = (f"<html><head><title>Told</title></head><body><article><h1>Told</h1><p>The last vote was on "
            f"May 1, 2005.</p>{body}</article></body></html>")  # fmt: skip
    dated = (f'<html><head><title>Meta</title><meta property="article:published_time" content="{meta}T08:00:00Z">'
             f"</head><body><article><h1>Meta</h1>{body}</article></body></html>")  # fmt: skip
    feeds = serve_feed(base, routes, tmp_path, [("/told", told.encode()), ("/meta", dated.encode())])
    r = invoke("--feeds", str(feeds), "--since", "24h", "--db", str(tmp_path / "i.db"))
    assert r.exit_code == 0, r.output
    with Store(tmp_path / "i.db") as store:
        dates = {store.get(i).title: store.get(i).date for i in (1, 2)}
    assert dates == {"Told": time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3600)), "Meta": meta}, dates


def test_an_article_url_in_the_feeds_file_is_fetched_once(site, tmp_path, fake_models):
    """discover() fetches a line to see whether it is a feed; an article page is read from that
    answer, not asked for again (two requests a page for every listed article before)."""
    base, routes = site
    routes["/a1"] = html(page("EU delays cloud certification vote", "EUCS"))
    routes["/a2"] = html(page("ENISA publishes threat report", "the threat landscape"))
    feeds, out = tmp_path / "feeds.txt", tmp_path / "d.md"
    feeds.write_text(f"{base}/a1\n{base}/a2\n")
    r = invoke("--feeds", str(feeds), "--since", "24h", "--out", str(out), "--db", str(tmp_path / "i.db"))
    assert r.exit_code == 0, r.output
    assert routes.hits["/a1"] == 1 and routes.hits["/a2"] == 1
    text = out.read_text()
    assert "EU delays cloud certification vote" in text and "ENISA publishes threat report" in text
