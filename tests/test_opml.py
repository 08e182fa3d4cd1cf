"""OPML import/export: the round trip, folders, duplicates, and hostile files refused cleanly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from pipeline.cli import main
from pipeline.errors import TooLargeError, UnsupportedContent
from pipeline.opml import MAX_DEPTH, export_opml, import_opml, parse
from pipeline.policy import Policy

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>My reader</title></head><body>
  <outline text="Security">
    <outline text="ENISA news" title="ENISA news" type="rss" xmlUrl="https://www.enisa.europa.eu/rss.xml"/>
    <outline text="Policy">
      <outline text="Clouds &amp; rules" type="rss" xmlUrl="https://policy.example/feed?a=1&amp;b=2"/>
    </outline>
  </outline>
  <outline text="Top level" type="rss" xmlurl="http://news.example/atom.xml"/>
</body></opml>
"""


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_nested_folders_are_flattened_with_titles_as_comments(tmp_path: Path, policy: Policy) -> None:
    feeds = tmp_path / "feeds.txt"
    r = invoke("feeds", "import", str(write(tmp_path / "s.opml", NESTED)), "--feeds", str(feeds))
    assert r.exit_code == 0, r.output
    assert feeds.read_text().splitlines() == [
        "https://www.enisa.europa.eu/rss.xml  # ENISA news",
        "https://policy.example/feed?a=1&b=2  # Clouds & rules",
        "http://news.example/atom.xml  # Top level",
    ]
    # the digest reads the same three URLs from it, comments dropped
    assert policy.read_list(feeds) == [line.split("  #")[0] for line in feeds.read_text().splitlines()]
    assert "3 added, 0 already listed, 0 refused" in r.stderr


def test_round_trip_export_then_import_gives_the_same_urls(tmp_path: Path, policy: Policy) -> None:
    original = tmp_path / "feeds.txt"
    original.write_text(
        '# my feeds\nhttps://a.example/feed.xml  # A <news> & "views"\n\nhttps://b.example/rss#top\n'
        "http://c.example/atom?x=1&y=2\n"
    )
    r = invoke("feeds", "export", "--feeds", str(original))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("<?xml") and 'version="2.0"' in r.stdout
    assert "A &lt;news&gt; &amp; &quot;views&quot;" in r.stdout  # escaped by ElementTree, not by hand
    opml = write(tmp_path / "out.opml", r.stdout.encode())
    copy = tmp_path / "copy.txt"
    done = import_opml(opml, copy, policy)
    assert [f.url for f in done.added] == policy.read_list(original) == policy.read_list(copy)
    assert done.added[0].title == 'A <news> & "views"' and done.added[1].title == "https://b.example/rss#top"


def test_feeds_already_listed_are_skipped(tmp_path: Path, policy: Policy) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("HTTPS://WWW.ENISA.EUROPA.EU/rss.xml\nhttp://news.example/atom.xml  # mine")  # no final newline
    twice = NESTED.replace(
        b"</body>", b'<outline text="again" xmlUrl="https://policy.example/feed?a=1&amp;b=2"/></body>'
    )
    done = import_opml(write(tmp_path / "s.opml", twice), feeds, policy)
    assert [f.url for f in done.added] == ["https://policy.example/feed?a=1&b=2"]
    assert len(done.present) == 3  # two already in the file, one twice in the OPML
    assert feeds.read_text().splitlines() == [
        "HTTPS://WWW.ENISA.EUROPA.EU/rss.xml",
        "http://news.example/atom.xml  # mine",
        "https://policy.example/feed?a=1&b=2  # Clouds & rules",
    ]
    before = feeds.read_bytes()
    r = invoke("feeds", "import", str(tmp_path / "s.opml"), "--feeds", str(feeds))
    assert r.exit_code == 0 and feeds.read_bytes() == before  # nothing new: the file is not touched


def test_file_and_javascript_urls_are_refused_and_the_rest_imported(tmp_path: Path) -> None:
    opml = NESTED.replace(
        b"</body>",
        b'<outline text="x" xmlUrl="file:///etc/passwd"/><outline text="y" xmlUrl="javascript:alert(1)"/></body>',
    )
    feeds = tmp_path / "feeds.txt"
    r = invoke("feeds", "import", str(write(tmp_path / "s.opml", opml)), "--feeds", str(feeds))
    assert r.exit_code == 1  # some refused, the others imported
    refused = [line for line in r.stderr.splitlines() if "refused scheme" in line]
    assert len(refused) == 2 and "file:///etc/passwd" in refused[0] and "javascript:alert(1)" in refused[1]
    assert "file:" not in feeds.read_text() and "javascript:" not in feeds.read_text()
    assert len(feeds.read_text().splitlines()) == 3


def test_a_title_cannot_add_a_line_to_the_feeds_file(tmp_path: Path, policy: Policy) -> None:
    opml = b'<opml version="2.0"><body><outline title="T&#10;file:///etc/passwd&#13;&#x202e;x" xmlUrl="https://a.example/f"/></body></opml>'
    feeds = tmp_path / "feeds.txt"
    import_opml(write(tmp_path / "s.opml", opml), feeds, policy)
    assert feeds.read_text() == "https://a.example/f  # T file:///etc/passwdx\n"  # CR and U+202E dropped
    assert policy.read_list(feeds) == ["https://a.example/f"]


HOSTILE = {
    "entity": b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY t "https://a.example/f">]>'
    b'<opml version="2.0"><body><outline text="x" xmlUrl="&t;"/></body></opml>',
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b']><opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://a.example/f"/></body></opml>',
    "external entity": b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/f"/></body></opml>',
    "deep nesting": b'<opml version="2.0"><body>' + b"<outline>" * 5000 + b"</outline>" * 5000 + b"</body></opml>",
    "not xml": b"https://a.example/f\n",
    "not opml": b'<rss version="2.0"><channel><outline xmlUrl="https://a.example/f"/></channel></rss>',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_opml_is_refused_with_one_line_naming_the_file(name: str, tmp_path: Path) -> None:
    opml = write(tmp_path / "hostile.opml", HOSTILE[name])
    feeds = tmp_path / "feeds.txt"
    t0 = time.perf_counter()
    r = invoke("feeds", "import", str(opml), "--feeds", str(feeds))
    assert time.perf_counter() - t0 < 2
    assert r.exit_code == 3, r.output  # the input is unusable (the exit-code table)
    assert r.stdout == "" and r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"newsbrief: error: {opml}: ") and "[unsupported_content]" in r.stderr
    assert not feeds.exists()  # nothing was written


def test_the_refusal_says_why(tmp_path: Path, policy: Policy) -> None:
    with pytest.raises(UnsupportedContent, match="DTD or entity"):
        parse(HOSTILE["billion laughs"], "x.opml", 100)
    with pytest.raises(UnsupportedContent, match=f"more than {MAX_DEPTH} levels"):
        parse(HOSTILE["deep nesting"], "x.opml", 100)
    many = b'<opml version="2.0"><body>' + b'<outline xmlUrl="https://a.example/f"/>' * 11 + b"</body></opml>"
    with pytest.raises(TooLargeError, match="more than 10 feeds"):
        parse(many, "x.opml", 10)


def test_an_opml_over_the_size_cap_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.opml"
    with big.open("wb") as f:  # 20 MB: its size alone refuses it (sparse, so the test stays fast)
        f.write(b'<opml version="2.0"><body>')
        f.truncate(20_000_000)
    r = invoke("feeds", "import", str(big), "--feeds", str(tmp_path / "feeds.txt"))
    assert r.exit_code == 3 and f"{big}: file of 20,000,000 bytes exceeds" in r.stderr and "[too_large]" in r.stderr


def test_a_missing_opml_or_feeds_file_is_a_clean_error(tmp_path: Path) -> None:
    r = invoke("feeds", "import", str(tmp_path / "none.opml"), "--feeds", str(tmp_path / "f.txt"))
    assert r.exit_code == 3 and "none.opml: no such file" in r.stderr
    r = invoke("feeds", "export", "--feeds", str(tmp_path / "none.txt"))
    assert r.exit_code == 2  # click: the option's path must exist
    r = invoke("feeds", "export")
    assert r.exit_code == 2 and "--feeds" in r.stderr


def test_export_leaves_out_what_is_not_an_http_url(tmp_path: Path, policy: Policy) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{SAMPLES / 'plain-article.txt'}\nhttps://a.example/f  # A\n")
    text, skipped = export_opml(feeds, policy)
    assert text.count("<outline ") == 1 and 'xmlUrl="https://a.example/f"' in text
    assert [e.source for e in skipped] == [str(SAMPLES / "plain-article.txt")]
