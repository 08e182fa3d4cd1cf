import re
from pathlib import Path

import pytest

from pipeline.errors import PipelineError, UsageError
from pipeline.settings import defaults, load_settings


def test_packaged_defaults_are_loaded():
    s = load_settings(env={})
    assert s.mode == "auto"
    assert "ORG" in s.entity_labels and "DATE" not in s.entity_labels


def test_precedence_flag_over_env_over_file(tmp_path: Path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('timeout = 5.0\nsummary_words = 90\nmode = "fast"\n')
    env = {"NEWSBRIEF_CONFIG": str(cfg), "NEWSBRIEF_TIMEOUT": "7.5"}
    s = load_settings(env=env)
    assert (s.timeout, s.summary_words, s.mode) == (7.5, 90, "fast")
    s = load_settings({"timeout": 1.0, "mode": None}, env=env)
    assert s.timeout == 1.0 and s.mode == "fast"  # None = flag not given


def test_env_booleans_and_lists():
    s = load_settings(env={"NEWSBRIEF_ALLOW_PRIVATE_ADDRESSES": "yes", "NEWSBRIEF_ENTITY_LABELS": "ORG, GPE"})
    assert s.allow_private_addresses is True
    assert s.entity_labels == ("ORG", "GPE")


@pytest.mark.parametrize(
    "content, needle",
    [
        ("nonsense = 1\n", "unknown setting 'nonsense'"),
        ("timeout = 'soon'\n", "timeout"),
        ("mode = [\n", "invalid config"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, content: str, needle: str):
    cfg = tmp_path / "c.toml"
    cfg.write_text(content)
    with pytest.raises(PipelineError, match=needle.replace("[", r"\[")):
        load_settings(env={"NEWSBRIEF_CONFIG": str(cfg)})


def test_defaults_have_one_source():
    """defaults.toml holds every setting and nothing else; Settings has no values of its own."""
    import dataclasses

    from pipeline.settings import Settings, defaults, packaged_defaults

    assert set(packaged_defaults()) == {f.name for f in dataclasses.fields(Settings)}
    assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(Settings))
    assert defaults().user_agent.startswith("newsbrief/") and "ORG" in defaults().entity_labels


def test_check_floors_fails_loudly_without_pinned_floors(tmp_path: Path):
    from pipeline.evaluate import check_floors

    floors = tmp_path / "floors.toml"
    floors.write_text("[floors]\nx = 0.5\n[floors.limit12]\nx = 0.4\n")
    assert check_floors({"x": 0.6}, None, floors) == []
    assert check_floors({"x": 0.3}, 12, floors) == ["x = 0.300 is below its floor 0.400"]
    (failure,) = check_floors({"x": 0.9}, 7, floors)  # no floor pinned for --limit 7
    assert "no floors are pinned for a --limit 7 run" in failure


# ---------------------------------------------------------------- issue 35 item 7: numbers in range


@pytest.mark.parametrize(
    "name, value",
    [
        ("timeout", "nan"),
        ("timeout", "inf"),
        ("timeout", "0"),
        ("extract_timeout", "0"),  # would disarm the alarm that bounds hostile markup
        ("extract_timeout", "-inf"),
        ("llm_timeout", "nan"),
        ("story_window", "nan"),
        ("words_per_minute", "0"),  # divides the word count
        ("max_bytes", "-1"),
        ("max_bytes", "0"),
        ("max_bytes", "9" * 30),  # would overflow zlib's C integers
        ("max_redirects", "-1"),
        ("max_url_length", "0"),
        ("max_text_chars", "0"),
        ("max_query_terms", "0"),
        ("max_summary_sentences", "-5"),
        ("max_list_lines", "0"),
        ("summary_words", "0"),
        ("tldr_words", "-1"),
        ("llm_context", "0"),
        ("llm_max_chunks", "0"),
        ("llm_dry", "nan"),
        ("digest_keep", "-1"),
        ("atom_digests", "0"),
        ("threads", "-3"),
        ("batch_size", "0"),
    ],
)
def test_a_number_out_of_range_is_one_error_naming_the_setting_value_range_and_variable(name: str, value: str):
    var = "NEWSBRIEF_" + name.upper()
    with pytest.raises(PipelineError) as info:
        load_settings(env={var: value})
    err = info.value
    assert not isinstance(err, UsageError)  # bad configuration: a setup problem (exit 4)
    assert err.source == f"environment variable {var}"
    shown = type(getattr(defaults(), name))(value)  # the value as read: nan, -3, 0.0
    assert err.message.startswith(f"{name} must be ") and err.message.endswith(f", not {shown}")
    assert re.search(r"must be (between -?[\d.]+( \(.+\))? and|more than [\d.]+ and at most) [\d,]+", err.message)


@pytest.mark.parametrize(
    "line, needle",
    [
        ("timeout = nan\n", "timeout must be more than 0 and at most 86,400 seconds, not nan"),
        ("timeout = inf\n", "timeout must be more than 0 and at most 86,400 seconds, not inf"),
        ("words_per_minute = 0\n", "words_per_minute must be between 1 and 10,000, not 0"),
        ("max_bytes = -1\n", "max_bytes must be between 1 and 1,000,000,000,000 bytes, not -1"),
        ("threads = -3\n", "threads must be between 0 (all cores) and 1,024, not -3"),
        ("max_bytes = 1.5\n", "cannot use 1.5 as int"),  # never cut to 1
        ("timeout = true\n", "cannot use True as float"),  # a boolean is no number of seconds
    ],
)
def test_a_bad_number_in_the_config_file_names_the_file(tmp_path: Path, line: str, needle: str):
    cfg = tmp_path / "c.toml"
    cfg.write_text(line)
    with pytest.raises(PipelineError) as info:
        load_settings(env={"NEWSBRIEF_CONFIG": str(cfg)})
    assert info.value.source == f"config file {cfg}" and needle in info.value.message


def test_every_numeric_setting_has_a_range_its_default_is_in():
    import dataclasses

    from pipeline.settings import RANGES, Settings, defaults

    numeric = {f.name for f in dataclasses.fields(Settings) if f.type in ("int", "float")}
    assert numeric == set(RANGES)
    values = dataclasses.asdict(defaults())
    assert all(RANGES[name].problem(name, values[name]) is None for name in numeric)


@pytest.mark.parametrize("name", ["threads", "digest_keep", "max_redirects", "llm_dry"])
def test_zero_is_allowed_where_it_means_off_or_all(name: str):
    assert getattr(load_settings(env={"NEWSBRIEF_" + name.upper(): "0"}), name) == 0


def test_an_option_out_of_range_is_a_usage_error_naming_the_option():
    with pytest.raises(UsageError) as info:
        load_settings({"threads": -3}, env={})
    assert info.value.source == "option --threads" and "threads must be between 0 (all cores) and 1,024, not -3" in (
        info.value.message
    )
    with pytest.raises(UsageError, match="timeout must be more than 0"):
        defaults().replace(timeout=float("nan"))  # a library caller's copy is checked too
    assert defaults().replace(threads=2, timeout=None).threads == 2


def test_the_command_line_says_where_a_bad_number_came_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from click.testing import CliRunner

    from pipeline.cli import main

    page = str(Path(__file__).resolve().parent.parent / "samples" / "eu-cloud-certification.html")
    r = CliRunner().invoke(main, ["summarize", "--threads", "-3", page])
    assert r.exit_code == 2 and r.stderr.splitlines() == [
        "newsbrief: error: option --threads: threads must be between 0 (all cores) and 1,024, not -3 [usage]"
    ]
    monkeypatch.setenv("NEWSBRIEF_TIMEOUT", "nan")
    r = CliRunner().invoke(main, ["search", "cloud"])
    assert r.exit_code == 4 and r.stderr.splitlines() == [
        "newsbrief: error: environment variable NEWSBRIEF_TIMEOUT: timeout must be more than 0 and at most "
        "86,400 seconds, not nan [error]"
    ]
    monkeypatch.delenv("NEWSBRIEF_TIMEOUT")
    cfg = tmp_path / "c.toml"
    cfg.write_text("words_per_minute = 0\n")
    r = CliRunner().invoke(main, ["--config", str(cfg), "search", "cloud"])  # (sets NEWSBRIEF_CONFIG)
    assert r.exit_code == 4 and r.stderr.splitlines() == [
        f"newsbrief: error: config file {cfg}: words_per_minute must be between 1 and 10,000, not 0 [error]"
    ]


# ---------------------------------------------------------------- house round 3 item 1: a table of languages


def test_each_language_names_its_models_in_one_table_row(tmp_path: Path):
    """The NER model and the encoder are the [languages] table's; a config file sets a row's
    models or adds a language's row, and the single-model settings still set the "en" row."""
    from pipeline.settings import explain_settings

    s = load_settings(env={})
    assert (s.ner_model, s.fast_model) == ("en-core-web-sm", "minilm-l6")
    assert [(k, v) for k, v, _ in explain_settings(env={}) if k.startswith("languages.")] == [
        ("languages.en.ner_model", "en-core-web-sm"),
        ("languages.en.encoder", "minilm-l6"),
    ]
    cfg = tmp_path / "c.toml"
    cfg.write_text('[languages.en]\nner_model = "my-ner"\n[languages.de]\nner_model = "de-ner"\nencoder = "de-enc"\n')
    s = load_settings(env={"NEWSBRIEF_CONFIG": str(cfg)})
    assert (s.ner_model, s.fast_model, s.languages["de"].encoder) == ("my-ner", "minilm-l6", "de-enc")
    rows = {k: where for k, _, where in explain_settings(env={"NEWSBRIEF_CONFIG": str(cfg)})}
    assert rows["languages.de.encoder"] == f"config file {cfg}" and rows["languages.en.encoder"] == "default"
    s = load_settings(env={"NEWSBRIEF_NER_MODEL": "old-ner", "NEWSBRIEF_FAST_MODEL": "old-enc"})
    assert (s.ner_model, s.fast_model) == ("old-ner", "old-enc")
    assert load_settings(env={}).ner_model == "en-core-web-sm"  # the packaged row is not changed


@pytest.mark.parametrize(
    "content, needle",
    [
        ('[languages.en]\nnerr_model = "x"\n', "unknown setting 'languages.en.nerr_model'"),
        ('[languages.de]\nner_model = "x"\n', "a new language names its encoder"),
        ("[languages.en]\nencoder = 3\n", "'languages.en.encoder': cannot use 3 as a model name"),
        ('languages = "en"\n', "cannot use 'en' as a table of languages"),
    ],
)
def test_a_bad_language_row_is_a_clear_error(tmp_path: Path, content: str, needle: str):
    cfg = tmp_path / "c.toml"
    cfg.write_text(content)
    with pytest.raises(PipelineError, match=re.escape(needle)) as info:
        load_settings(env={"NEWSBRIEF_CONFIG": str(cfg)})
    assert str(cfg) in str(info.value.source)


def test_settings_stay_hashable_with_their_table_of_languages():
    """Models are loaded once per settings (functools.cache): the [languages] table made Settings
    unhashable, and quality_summary = "ranker" failed with 'unhashable type: dict'."""
    from pipeline.settings import defaults

    s = defaults()
    assert hash(s) == hash(s.replace(threads=s.threads)) and s == s.replace(threads=s.threads)
    other = s.replace(languages={**s.languages, "de": s.languages["en"]})
    assert other != s and hash(other) != hash(s) and other.languages["de"] == s.languages["en"]
    assert list(other.languages) == ["en", "de"] and dict(other.languages)["en"].ner_model == s.ner_model
