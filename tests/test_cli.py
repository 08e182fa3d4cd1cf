"""CLI behaviour with fake models behind the real interfaces (CliRunner, piped stdin)."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, SEED

from pipeline.cli import main

SCHEMA_KEYS = {
    "source",
    "url",
    "title",
    "author",
    "date",
    "sitename",
    "language",
    "word_count",
    "reading_minutes",
    "tldr",
    "summary",
    "entities",
    "model",
    "status",
    "coverage",
    "provenance",
    "content_hash",
}


def invoke(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_markdown_follows_the_seed_layout(fake_models):
    r = invoke("summarize", str(SEED))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "# France seeks legal advice on cyber certificate, delaying agreement negotiations"
    assert "April 19, 2024" in lines[2] and lines[3] == "2 min read"
    order = [r.stdout.index(h) for h in ("TLDR:", "Article Summary:", "Entities:", "Source:")]
    assert order == sorted(order)
    assert "ECCG (European Cybersecurity Certification Group)" in r.stdout


def test_json_matches_the_documented_schema(fake_models):
    r = invoke("summarize", "--format", "json", str(SEED), str(SAMPLES / "plain-article.txt"))
    assert r.exit_code == 0
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(objs) == 2
    for o in objs:
        assert set(o) >= SCHEMA_KEYS
        assert isinstance(o["tldr"], str) and isinstance(o["summary"], list) and o["status"] == "ok"
        assert o["model"] == {"summarizer": "fake-lead", "ner": "fake-rules"}
        for e in o["entities"]:
            assert {"text", "label", "count", "canonical"} <= set(e)
    assert objs[0]["date"] == "2024-04-19" and objs[1]["date"] is None


def test_bad_sources_fail_alone_with_one_line_each(fake_models, tmp_path):
    binary = tmp_path / "x.html"
    binary.write_bytes(b"\x00\x01\x02binary")
    r = invoke("summarize", str(SAMPLES / "index-page.html"), str(SEED), "nope.html", str(binary), "ftp://x/y")
    assert r.exit_code == 1  # some failed
    assert r.stdout.count("TLDR:") == 1
    errs = r.stderr.strip().splitlines()
    assert len(errs) == 4
    assert all(line.startswith("newsbrief: error: ") for line in errs)
    assert "index-page.html" in errs[0] and "[no_article_text]" in errs[0]
    assert "nope.html: no such file" in errs[1]
    assert str(binary) in errs[2] and "binary" in errs[2]
    assert "ftp://x/y" in errs[3] and "refused_scheme" in errs[3]


def test_all_failed_has_its_own_exit_code(fake_models):
    r = invoke("summarize", "missing.html")
    assert r.exit_code == 3
    assert fake_models.batches == []  # no model work when nothing extracted


def test_stdin_html(fake_models):
    r = invoke("summarize", "-", input=SEED.read_bytes())
    assert r.exit_code == 0 and "TLDR:" in r.stdout
    assert "Source: <https://securitybrief.example/2024/04/france-legal-advice-eucs>" in r.stdout  # canonical link


def test_stdin_url_list_and_server_errors(fake_models, server):
    urls = f"{server}/article\n{server}/missing\n{server}/pdf\n"
    r = invoke("summarize", "-", "--format", "json", input=urls)
    assert r.exit_code == 1
    [obj] = [json.loads(x) for x in r.stdout.splitlines()]
    assert obj["url"] == f"{server}/article"
    assert "HTTP 404" in r.stderr and "application/pdf" in r.stderr


def test_empty_stdin(fake_models):
    r = invoke("summarize", "-", input=b"")
    assert r.exit_code == 3 and "empty input" in r.stderr


def test_page_text_cannot_inject_markup(fake_models, tmp_path):
    page = tmp_path / "evil.html"
    body = "<p>" + "Normal words in a sentence that is long enough to count. " * 8 + "</p>"
    title = "Hi &lt;script&gt;alert(1)&lt;/script&gt; \x1b[31mred"
    page.write_text(f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>")
    r = invoke("summarize", str(page))
    assert r.exit_code == 0
    assert "<script>" not in r.stdout and "\x1b" not in r.stdout


def test_models_lists_the_manifest():
    r = invoke("models")
    assert r.exit_code == 0
    assert "minilm-l6" in r.stdout and "en-core-web-sm" in r.stdout and "installed" in r.stdout


def test_unknown_model_is_a_setup_error(tmp_path):
    r = invoke("summarize", "--model", "no-such-model", str(SEED))
    assert r.exit_code == 4
    assert "no-such-model" in r.stderr and "minilm-l6" in r.stderr  # lists what exists


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command):
    r = invoke(command, "--help")
    assert r.exit_code == 0 and "Example" in r.stdout


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from click.testing import CliRunner; from pipeline.cli import main; "
        "r = CliRunner().invoke(main, ['summarize', '--help']); assert r.exit_code == 0; "
        "print(sorted(m for m in ('torch', 'transformers', 'spacy', 'trafilatura', 'xllamacpp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.models
def test_real_models_end_to_end_on_the_seed_page():
    r = invoke("summarize", "--mode", "fast", "--format", "json", str(SEED))
    assert r.exit_code == 0, r.stderr
    o = json.loads(r.stdout)
    assert o["model"]["summarizer"].startswith("minilm-l6")
    assert {"France", "ENISA", "ECCG", "EUCS", "SecNumCloud"} <= {e["canonical"] for e in o["entities"]}
    assert 1 <= len(o["summary"]) <= 3 and o["tldr"]


# ---------------------------------------------------------------- progress a person can see (issue 37)

STAGES = ["reading ", "loading the summarizer model", 'writing the brief of "France seeks', "loading the entity model",
          "tagging entities"]  # fmt: skip


def stage_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(line.startswith(f"newsbrief: {s}") for s in STAGES)]


def test_on_a_terminal_each_stage_says_itself_on_stderr_and_never_on_stdout(fake_models, monkeypatch):
    import pipeline.cli.app

    monkeypatch.setattr(pipeline.cli.app, "on_terminal", lambda: True)
    r = invoke("summarize", "--no-index", str(SEED))
    assert r.exit_code == 0, r.output
    lines = stage_lines(r.stderr)
    assert [next(s for s in STAGES if line.startswith(f"newsbrief: {s}")) for line in lines] == STAGES  # in order
    assert lines[0] == f"newsbrief: reading {SEED}"
    assert not stage_lines(r.stdout) and r.stdout.startswith("# France seeks")


@pytest.mark.parametrize(("terminal", "flags", "shown"), [
    (False, [], False),  # cron, a pipe, a test runner: silent
    (False, ["-v"], True),  # asked for: a cron log that wants them
    (True, ["-q"], False),  # -q wins on a terminal
    (True, ["-v", "-q"], False),  # and over -v
])  # fmt: skip
def test_stage_lines_only_where_a_person_watches_or_asked(fake_models, monkeypatch, terminal, flags, shown):
    import pipeline.cli.app

    monkeypatch.setattr(pipeline.cli.app, "on_terminal", lambda: terminal)
    verbose, rest = [f for f in flags if f == "-v"], [f for f in flags if f != "-v"]
    r = invoke(*verbose, "summarize", "--no-index", *rest, str(SEED))
    assert r.exit_code == 0, r.output
    assert bool(stage_lines(r.stderr)) is shown
    assert not stage_lines(r.stdout)


def test_the_writer_says_when_it_checks_its_brief(settings, caplog):
    """Quality briefs: "checking" is its own stage (the gate and support check), after the writing."""
    from pipeline.document import Article
    from pipeline.summarizers.recipe import Generation, RecipeSummarizer

    class Echo:
        model_id, context = "echo", 4096

        def count_tokens(self, texts):
            return [len(t.split()) for t in texts]

        def chat(self, messages, max_tokens):
            return Generation("Officials said the bridge will open in May.")

    text = "Officials said the bridge will open in May. The city council approved the budget on Monday."
    writer = RecipeSummarizer(Echo(), settings.replace(relation_check=False, support_check=False))
    with caplog.at_level("INFO", logger="pipeline.progress"):
        writer.summarize_one(Article(source="a", title="Bridge", text=text))
    assert [r.getMessage() for r in caplog.records if r.name == "pipeline.progress"] == [
        "checking the brief against the article"
    ]


# ---------------------------------------------------------------- smaller CLI defects (issue 37)


def test_show_of_an_id_not_in_the_index_is_bad_input_not_a_setup_problem(fake_models, tmp_path):
    db = str(tmp_path / "i.db")
    assert invoke("summarize", "--db", db, str(SEED)).exit_code == 0
    r = invoke("show", "--db", db, "999")
    assert r.exit_code == 2, r.output  # the usage code: the id is wrong, the index is fine
    assert r.stderr.strip().endswith("no article with id 999 [store_error]")
    assert invoke("show", "--db", db, "1").exit_code == 0


def test_a_file_path_is_printed_as_it_is_so_a_copied_path_works(fake_models, tmp_path):
    saved = tmp_path / "saved_pages" / "eu_cloud*rules.txt"
    saved.parent.mkdir()
    saved.write_bytes((SAMPLES / "plain-article.txt").read_bytes())
    r = invoke("summarize", "--db", str(tmp_path / "i.db"), str(saved))
    assert r.exit_code == 0, r.output
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("Source:")]
    assert line == f"Source: `{saved}`"  # a code span: Markdown reads nothing inside it
    hits = invoke("search", "--db", str(tmp_path / "i.db"), "--limit", "1", "the")
    assert f"`{saved}`" in hits.stdout and "\\_" not in hits.stdout


def test_doctor_says_where_everything_is_and_where_each_setting_came_from(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("words_per_minute = 180\n")
    monkeypatch.setenv("NEWSBRIEF_CONFIG", str(config))
    monkeypatch.setenv("NEWSBRIEF_TIMEOUT", "7")
    monkeypatch.setenv("NEWSBRIEF_DB", str(tmp_path / "my_index.db"))
    r = invoke("doctor", "--settings")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert f"index:   {tmp_path / 'my_index.db'} (not created yet)" in lines  # as it is: no \_
    assert f"config:  {config}" in lines
    assert f"watches: {tmp_path / 'watches.toml'} (none yet: newsbrief watch add creates it)" in lines
    assert "timeout = 7.0  # environment variable NEWSBRIEF_TIMEOUT" in lines
    assert f"words_per_minute = 180  # config file {config}" in lines
    assert [x for x in lines if x.startswith("mode = ")][0].endswith("  # default")
    assert any(x.startswith("entity_labels = [") for x in lines)
    assert not [x for x in lines if x.startswith(("fast ", "ner "))]  # --settings checks no model


def test_the_exit_codes_are_one_table_that_help_and_the_readme_both_show():
    """The codes were written out in three places (the module, the README, the constants) and could
    drift: --help prints the code's table, and the README's table lists the same codes."""
    import re
    from pathlib import Path

    from pipeline.cli.common import EXIT_MEANINGS

    shown = CliRunner().invoke(main, ["--help"]).output
    for code, meaning in EXIT_MEANINGS.items():
        assert re.search(rf"^\s+{code}\s+{re.escape(meaning)}$", shown, re.M), (code, shown)
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    assert [int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)] == list(EXIT_MEANINGS)


def test_stories_lists_as_many_from_the_command_as_from_the_library():
    """`newsbrief stories` listed 50 by default and `pipeline.api.stories` 100."""
    import inspect

    from pipeline.api import stories

    defaults = {p.name: p.default for p in main.commands["stories"].params}
    signature = inspect.signature(stories).parameters
    assert (defaults["since"], defaults["limit"]) == (signature["since"].default, signature["limit"].default)
