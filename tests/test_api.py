"""The public library surface, used only through ``import pipeline`` as a notebook would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline as newsbrief

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def test_the_surface_is_what_all_says():
    for name in newsbrief.__all__:
        assert getattr(newsbrief, name) is not None
    with pytest.raises(AttributeError):
        newsbrief.no_such_thing  # noqa: B018


def test_importing_the_package_loads_no_model_library():
    code = "import sys, pipeline; pipeline.Settings; pipeline.Index; pipeline.summarize; " \
           "print(sorted(m for m in ('torch', 'transformers', 'spacy', 'xllamacpp') if m in sys.modules))"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_summarize_a_saved_page_and_raw_text(fake_models):
    brief = newsbrief.summarize(str(SAMPLES / "eu-cloud-certification.html"), mode="fast")
    assert isinstance(brief, newsbrief.Article) and brief.tldr and brief.summary and brief.entities
    assert brief.reading_minutes >= 1 and brief.title
    text = (SAMPLES / "plain-article.txt").read_text().split("\n", 1)[1]
    from_text = newsbrief.summarize(text=text, title="XZ backdoor", mode="fast")
    assert from_text.title == "XZ backdoor" and from_text.tldr_text and from_text.source == "<text>"


def test_errors_are_typed_and_arguments_checked(tmp_path, fake_models):
    with pytest.raises(newsbrief.InputNotFound) as info:  # its own class, not the base
        newsbrief.summarize(str(tmp_path / "missing.html"))
    assert info.value.reason == "not_found"
    with pytest.raises(newsbrief.FetchError) as fetch:
        newsbrief.summarize("ftp://example.com/story.html")
    assert fetch.value.reason == "refused_scheme"
    with pytest.raises(newsbrief.UsageError):
        newsbrief.summarize("a.html", text="both")
    with pytest.raises(newsbrief.UsageError):
        newsbrief.summarize(text="x " * 100, mode="turbo")
    with pytest.raises(newsbrief.ExtractionError) as info:
        newsbrief.summarize(text="too short")
    assert info.value.reason == "no_article_text"


WRONG_TYPES = {
    "summarize(123)": lambda tmp: newsbrief.summarize(123, mode="fast"),
    "summarize(text=bytes)": lambda tmp: newsbrief.summarize(text=b"word " * 50, mode="fast"),
    "summarize(title=5)": lambda tmp: newsbrief.summarize(text="word " * 50, title=5, mode="fast"),
    "summarize(mode=5)": lambda tmp: newsbrief.summarize(text="word " * 50, mode=5),
    "summarize(settings=str)": lambda tmp: newsbrief.summarize(text="word " * 50, settings="fast"),
    "run(one string)": lambda tmp: list(newsbrief.run(str(SAMPLES / "german-bsi.html"), mode="fast")),
    "run(5)": lambda tmp: list(newsbrief.run(5, mode="fast")),
    "run([5])": lambda tmp: list(newsbrief.run([5], mode="fast")),
    # a list is refused before its first source is read, not after half of it was summarized
    "run([ok, 5]) at once": lambda tmp: newsbrief.run([str(SAMPLES / "german-bsi.html"), 5], mode="fast"),
    "verify(5, ...)": lambda tmp: newsbrief.verify(5, "A sentence."),
    "verify(..., 5)": lambda tmp: newsbrief.verify(str(SAMPLES / "german-bsi.html"), 5),
    "Index(5)": lambda tmp: newsbrief.Index(5),
    "Index.search(5)": lambda tmp: newsbrief.Index(tmp / "i.db").search(5),
    "Index.get('1')": lambda tmp: newsbrief.Index(tmp / "i.db").get("1"),
}


@pytest.mark.parametrize("call", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_argument_types_are_usage_errors(tmp_path, fake_models, call):
    with pytest.raises(newsbrief.UsageError):
        call(tmp_path)


def test_paths_are_sources_too(fake_models):
    assert newsbrief.summarize(SAMPLES / "german-bsi.html", mode="fast").title
    assert [a.status for a in newsbrief.run([SAMPLES / "german-bsi.html"], mode="fast")] == ["ok"]


def test_run_streams_records_and_failures_in_order(tmp_path, fake_models):
    sources = [str(SAMPLES / "short-patch-tuesday.html"), str(tmp_path / "gone.html"), str(SAMPLES / "german-bsi.html")]
    got = list(newsbrief.run(sources, newsbrief.load_settings(), mode="fast"))
    assert [a.source for a in got] == sources
    assert [a.status for a in got] == ["ok", "error", "ok"] and got[1].error == "not_found"


def test_the_index_class_searches_what_was_stored(tmp_path, fake_models):
    brief = newsbrief.summarize(str(SAMPLES / "eu-cloud-certification.html"), mode="fast")
    with newsbrief.Index(tmp_path / "i.db") as index:
        index.add_batch([brief])
        hits = index.search("certification")
        assert [h.title for h in hits] == [brief.title]
        assert index.get(hits[0].id).as_dict() == brief.as_dict()  # exactly what was stored


def test_python_dash_m_works_like_the_command():
    r = subprocess.run([sys.executable, "-m", "pipeline", "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.startswith("newsbrief, version ")


def test_show_json_is_exactly_the_summarize_json(tmp_path, fake_models):
    from click.testing import CliRunner

    from pipeline.cli import main

    out = CliRunner().invoke(main, ["summarize", "--format", "json", str(SAMPLES / "eu-cloud-certification.html")])
    shown = CliRunner().invoke(main, ["show", "1", "--format", "json"])
    assert json.loads(shown.stdout) == json.loads(out.stdout)
    assert json.loads(shown.stdout)["provenance"]["summary"] and json.loads(shown.stdout)["content_hash"]


@pytest.mark.models
def test_the_surface_with_the_real_default_models():
    brief = newsbrief.summarize(str(SAMPLES / "eu-cloud-certification.html"), mode="fast")
    assert brief.model["summarizer"].startswith("minilm-l6") and brief.model["ner"].startswith("en-core-web-sm")
    assert {"France", "ENISA"} <= {e.text for e in brief.entities}
    assert 1 <= len(brief.summary_paragraphs) <= 3 and brief.tldr_text
    import itertools

    from pipeline.api import doctor

    checks = list(itertools.islice(doctor(newsbrief.load_settings()), 2))  # lazily: the LLM is not loaded
    assert [role for role, _, _ in checks] == ["fast", "ner"]


def test_the_command_line_runs_as_a_module_both_ways():
    """`python -m pipeline.cli` (the Makefile's eval, the bench) stopped working when the command
    line became a package; `python -m pipeline` is the other spelling."""
    for module in ("pipeline", "pipeline.cli"):
        r = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.startswith("newsbrief"), (module, r.stderr)
