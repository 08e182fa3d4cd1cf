from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.settings import load_settings


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
