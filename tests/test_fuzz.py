"""Hostile input: property-based fuzzing of extract → summarize → gate → render, a corpus of nasty
pages through the CLI, and the per-page time limit. No crash, no hang: a typed error or a result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import LeadSummarizer, finalize
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.document import Article
from pipeline.errors import PipelineError
from pipeline.extract import extract
from pipeline.render import markdown, to_json
from pipeline.sources import decode

CORPUS = Path(__file__).parent / "corpus"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

words = st.sampled_from(
    ["breach", "patch", "ENISA", "CVE-2024-3094", "ransomware", "the", "and", "hospital", "€", "数据", "é", "🙂",
     "\x00", "\x1b[2J", "\u202e", "<script>alert(1)</script>", "[x](javascript:alert(1))", "&amp;", "&#0;", "]]>",
     "said", "officials", "on", "Tuesday", ".", "!", "\n"]
)  # fmt: skip
text = st.lists(words, max_size=40).map(" ".join)
tags = st.sampled_from(["p", "div", "span", "article", "h1", "h2", "script", "style", "table", "td", "li", "a", "svg"])
attrs = st.dictionaries(
    st.sampled_from(["class", "id", "href", "style", "onload", "data-x", "lang"]),
    st.one_of(text, st.just("x" * 50_000), st.just('"><script>alert(1)</script>')),
    max_size=3,
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, at: dict[str, str], kids: list[str], close: bool) -> str:
        a = "".join(f' {k}="{v}"' for k, v in at.items())
        return f"<{tag}{a}>" + "".join(kids) + (f"</{tag}>" if close else "")

    return st.builds(build, tags, attrs, st.lists(children, max_size=4), st.booleans())


html_docs = st.recursive(text, _element, max_leaves=30).map(lambda body: f"<html><body>{body}</body></html>")


def _check_outputs(article: Article) -> None:
    """Whatever the page held, the rendered brief carries no live markup and no control characters."""
    md = markdown(article)
    assert not CONTROL.search(md)
    assert not re.search(r"(?<!\\)<", md)  # every "<" from the page is escaped
    assert not re.search(r"(?<!\\)\]\(", md)  # no page text can form a Markdown link
    json.loads(to_json(article))


def _through_pipeline(raw: str, is_html: bool = True) -> None:
    from pipeline.settings import load_settings

    art = Article(source="fuzz", raw=raw, is_html=is_html)
    try:
        art = extract(art, load_settings())
    except PipelineError as exc:
        assert exc.reason and exc.message  # a typed error with a message
        return
    result = LeadSummarizer().summarize_batch([art])[0]
    gated = finalize(art, [s.text for s in result.tldr], [[s.text for s in p] for p in result.paragraphs], 1.0)
    art.tldr, art.summary = gated.tldr, gated.paragraphs
    _check_outputs(art)


@hsettings(max_examples=120, deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(html_docs)
def test_random_markup_gives_a_result_or_a_typed_error(doc):
    _through_pipeline(doc)


@hsettings(max_examples=80, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.sampled_from([None, "utf-8", "latin-1", "utf-16", "shift_jis", "bogus-charset"]))
def test_random_bytes_in_any_declared_charset(data, charset):
    try:
        raw = decode(data, "fuzz", charset)
    except PipelineError as exc:  # binary content is refused with a reason
        assert exc.reason == "unsupported_content"
        return
    _through_pipeline(raw)
    _through_pipeline(raw, is_html=False)


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_corpus_page_through_the_cli(path, fake_models):
    r = CliRunner().invoke(main, ["summarize", "--no-index", str(path)])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception  # never a crash
    assert r.exit_code in (0, 3), r.output
    if r.exit_code == 3:
        (line,) = r.stderr.splitlines()  # one clear line naming the input
        assert line.startswith(f"newsbrief: error: {path}: ") and line.endswith("]")
    else:
        assert not CONTROL.search(r.stdout) and not re.search(r"(?<!\\)<", r.stdout)


def test_generated_monsters_are_bounded(tmp_path, fake_models):
    deep = tmp_path / "deep.html"
    deep.write_text("<div>" * 100_000 + "<p>" + "Deeply nested text about a breach. " * 20 + "</p>")
    huge_attr = tmp_path / "attr.html"
    huge_attr.write_text('<html><body><p title="' + "A" * 5_000_000 + '">' + "Words about a breach. " * 30 + "</p>")
    long = tmp_path / "long.txt"
    long.write_text("Long article\n" + "The breach affected many users across the region. " * 25_000)  # 200k words
    r = CliRunner().invoke(main, ["summarize", "--no-index", "--format", "json", str(deep), str(huge_attr), str(long)])
    assert (r.exception is None or isinstance(r.exception, SystemExit)) and r.exit_code in (0, 1), r.output
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert any(o["word_count"] >= 200_000 for o in out)  # the 200k-word article went through
    for line in r.stderr.splitlines():
        assert line.startswith("newsbrief: error: ")


def test_a_page_that_takes_too_long_to_extract_is_cut_off(tmp_path, fake_models, monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_EXTRACT_TIMEOUT", "0.05")
    page = tmp_path / "slow.html"
    page.write_text("<html><body>" + "<div><p>A sentence about a hospital breach and its cost.</p></div>" * 40_000)
    r = CliRunner().invoke(main, ["summarize", "--no-index", str(page), str(CORPUS / "script-title.html")])
    assert r.exit_code == 1, r.output  # the slow page failed, the other one printed
    assert f"newsbrief: error: {page}: extraction took longer than 0.05s" in r.stderr
    assert "[extract_timeout]" in r.stderr and "min read" in r.stdout
