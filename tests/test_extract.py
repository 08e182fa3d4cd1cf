import gzip
import io
import math
from pathlib import Path

import pytest
from conftest import SAMPLES, SEED

from pipeline.errors import ExtractionError, InputNotFound, TooLargeError, UnsupportedContent
from pipeline.extract import count_words, extract, reading_minutes
from pipeline.policy import Policy
from pipeline.sources import load, read_file


def test_seed_page_metadata_and_text(settings):
    a = extract(read_file(SEED, Policy.trusted(settings)), settings)
    assert a.title == "France seeks legal advice on cyber certificate, delaying agreement negotiations"
    assert a.date == "2024-04-19"
    assert a.language == "en"
    assert a.url == "https://securitybrief.example/2024/04/france-legal-advice-eucs"
    assert "SecNumCloud" in a.text and "ENISA" in a.text
    # boilerplate around the article is gone, and the <h1> is not repeated as body text
    assert "Latest from Blog" not in a.text and "Privacy" not in a.text
    assert not a.text.startswith(a.title)
    assert a.reading_minutes == reading_minutes(a.word_count, settings.words_per_minute) >= 1
    assert a.raw is None


def test_broken_markup_still_extracts(settings):
    a = extract(read_file(SAMPLES / "broken-markup.html", Policy.trusted(settings)), settings)
    assert a.title == "Ransomware gang hits two hospitals"
    assert "LockBit" in a.text and a.word_count > 60


def test_plain_text_first_line_is_title(settings):
    a = extract(read_file(SAMPLES / "plain-article.txt", Policy.trusted(settings)), settings)
    assert a.title == "Researchers find backdoor in popular compression library"
    assert a.text.startswith("A backdoor was found")


def test_non_english_language_detected(settings):
    a = extract(read_file(SAMPLES / "german-bsi.html", Policy.trusted(settings)), settings)
    assert a.language == "de"


CHINESE = (
    "欧洲网络安全局周二发布了新的云服务认证方案草案，法国坚持要求加入主权条款。该方案旨在统一欧盟各成员国对云服务提供商的安全要求。"
    "法国国家网络安全局表示，只有在欧盟境内运营并且不受外国法律管辖的服务商才能获得最高级别的认证。"
)


def test_chinese_and_japanese_are_counted_by_characters_not_spaces(tmp_path: Path, settings):
    assert count_words(CHINESE) == math.ceil((len(CHINESE) - 5) / 2)  # two characters a word, not its 5 marks
    assert count_words("東京で会議が開かれた。 CVE-2024-3094 was discussed.") == 5 + 3
    page = tmp_path / "zh.html"
    page.write_text(f"<html lang='zh'><head><title>云认证</title></head><body><article><p>{CHINESE}</p>"
                    f"<p>{CHINESE}</p></article></body></html>", encoding="utf-8")  # fmt: skip
    a = extract(read_file(page, Policy.trusted(settings)), settings)  # 4 "words" by spaces: refused before
    assert a.word_count > 40 and a.reading_minutes == 1


def test_index_page_has_no_article(settings):
    with pytest.raises(ExtractionError, match="index or teaser"):
        extract(read_file(SAMPLES / "index-page.html", Policy.trusted(settings)), settings)


def test_gzipped_page(tmp_path: Path, settings):
    p = tmp_path / "page.html.gz"
    p.write_bytes(gzip.compress(SEED.read_bytes()))
    assert "ENISA" in extract(read_file(p, Policy.trusted(settings)), settings).text


@pytest.mark.parametrize(
    "name, data, exc",
    [
        ("missing.html", None, InputNotFound),
        ("binary.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", UnsupportedContent),
        ("doc.pdf", b"%PDF-1.4", UnsupportedContent),
        ("bad.html.gz", b"not gzip at all", UnsupportedContent),
    ],
)
def test_bad_files_raise_typed_errors_naming_the_file(tmp_path: Path, settings, name, data, exc):
    p = tmp_path / name
    if data is not None:
        p.write_bytes(data)
    with pytest.raises(exc) as info:
        read_file(p, Policy.trusted(settings))
    assert info.value.source == str(p)


def test_file_over_size_cap(tmp_path: Path, settings):
    p = tmp_path / "big.html"
    p.write_bytes(b"<p>" + b"x" * 2000 + b"</p>")
    with pytest.raises(TooLargeError):
        read_file(p, Policy.trusted(settings.replace(max_bytes=1000)))


def test_stdin_url_list_yields_one_item_per_url(policy, server):
    stdin = io.BytesIO(f"# my list\n{server}/article\n\n{server}/missing\n".encode())
    ok, err = list(load("-", policy, stdin=stdin))
    assert ok.url == f"{server}/article" and "ENISA" in ok.raw
    assert err.source == f"{server}/missing" and err.reason == "http_error"


def test_stdin_html_document(policy):
    items = list(load("-", policy, stdin=io.BytesIO(SEED.read_bytes())))
    assert len(items) == 1 and items[0].is_html and items[0].source == "-"


def test_refused_scheme_as_source(policy):
    [err] = list(load("file:///etc/passwd", policy))
    assert getattr(err, "reason", None) == "refused_scheme"


def test_count_words():
    assert count_words("It's a state-of-the-art CVE-2024-3094 fix.") == 5


QUAKE = (
    "<p>The USGS said an earthquake of magnitude 6.1 struck Lisbon on Sunday, damaging houses and roads. "
    "Rescue teams searched collapsed buildings in Lisbon through the night, officials said. "
    "The last quake this strong hit the city in 2003, the agency added, and more tremors could follow "
    "in the coming days, according to seismologists who have studied the fault for decades.</p>"
)


@pytest.mark.parametrize(
    ("head", "lead", "url", "date", "from_text"),
    [
        ("", "", None, None, False),  # only a year the text mentions: no date, not 2003-01-01
        ('<meta property="article:published_time" content="2024-01-01T08:00:00Z">', "", None, "2024-01-01", False),
        ("", "", "https://news.example/2024/01/01/quake.html", "2024-01-01", False),  # the URL's date
        ("", "<p>Published March 14, 2013</p>", None, "2013-03-14", True),  # a date written on the page
    ],
)
def test_a_year_the_text_mentions_is_not_the_pages_date(head, lead, url, date, from_text):
    from pipeline.document import Article
    from pipeline.extract import extract_html

    page = f"<article><h1>Quake</h1>{lead}{QUAKE}</article>"
    raw = f"<html><head><title>Quake</title>{head}</head><body>{page}</body></html>"
    a = Article(source=url or "quake.html", url=url, raw=raw)
    extract_html(a)
    assert (a.date, a.date_from_text) == (date, from_text)


REVIEWER = "<p>I have used it for a month now, and I think my old seismograph was better. We liked the app.</p>"


@pytest.mark.parametrize(
    ("head", "title", "url", "tail", "genre"),
    [
        ("", "Quake", "https://news.example/2024/01/01/quake.html", "", None),  # news
        ("", "Quake", "https://news.example/opinion/quake-lessons", "", "opinion"),  # the path's section
        ("", "Quake", "https://www.theguardian.com/commentisfree/2024/jan/01/quake", "", "opinion"),
        ("", "Quake", "https://www.telegraph.co.uk/comment/2024/01/01/quake/", "", "opinion"),
        ("", "Quake", "https://news.example/news/comment/", "", None),  # a comment form deeper down
        ("", "Quake", "https://news.example/news/review/2024/quake", "", None),  # a folder of the news
        ('<meta property="article:section" content="Opinion">', "Quake", None, "", "opinion"),  # the page's section
        ('<meta property="article:section" content="Opinion &amp; Analysis">', "Quake", None, "", "opinion"),
        ("", "Opinion: Lisbon was not ready for this quake", None, "", "opinion"),
        ("", "Opinion - Lisbon was not ready for this quake", None, "", "opinion"),
        ("", "The Guardian view on Lisbon's quake | Editorial", None, "", "opinion"),
        (
            "",
            "Quake",
            None,
            "<p>The views and opinions expressed in the article do not necessarily reflect those of News Example.</p>",
            "opinion",
        ),  # a column's disclaimer
        ("", "Seismograph X2 review: it heard the quake first", None, REVIEWER, "review"),  # a reviewer's page
        ("", "Seismograph X2 review: it heard the quake first", None, "", None),  # ... not a report's
        ("", "Pentagon review: what the quake report found", None, "", None),
        ("", "Quake insurance under review", None, REVIEWER, None),
        ("", "2024 in review: the year of the quake", None, REVIEWER, None),
        ("", "Quake", "https://news.example/2024/01/01/seismograph-x2-review/", "", None),  # a slug is no section
        ("", "Court to review quake insurance claims", None, "", None),  # "review" as a verb
        ("", "Quake", "https://news.example/2024/01/01/quake.html#/opinion/", "", None),  # a fragment is no path
    ],
)
def test_opinion_and_review_pages_are_told_from_news(head, title, url, tail, genre):
    from pipeline.document import Article
    from pipeline.extract import extract_html

    page = f"<article><h1>{title}</h1>{QUAKE}{tail}</article>"
    raw = f"<html><head><title>{title}</title>{head}</head><body>{page}</body></html>"
    a = Article(source=url or "quake.html", url=url, raw=raw)
    extract_html(a)
    assert a.genre == genre


def test_a_section_that_is_no_string_is_no_genre_and_no_crash():
    from pipeline.document import Article
    from pipeline.extract import genre

    page = Article(source="quake.html", url="https://news.example/quake", title="Quake", text="A quake hit Lisbon.")
    assert genre(page, [None, 3, ["Opinion"], "News, Opinion"]) == "opinion"
    assert genre(page, [None, 3]) is None


def test_a_plain_texts_title_tells_its_genre_too(settings):
    from pipeline.extract import from_text

    body = QUAKE.removeprefix("<p>").removesuffix("</p>")
    assert from_text(body, settings, title="Opinion: Lisbon was not ready").genre == "opinion"
    assert from_text(body, settings, title="Lisbon quake kills none").genre is None
