"""Watches (pipeline/watch.py): the file, the commands, matching through the index, the digest."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline import watch as wl
from pipeline.cli import main
from pipeline.document import Article, Entity, SummarySentence
from pipeline.store import Store

ECCG = Entity("ECCG", "ORG", 2, "ECCG", "European Cybersecurity Certification Group", [])
ECCG_LONG = Entity("European Cybersecurity Certification Group", "ORG", 1, "European Cybersecurity Certification Group")
BRETON = Entity("Thierry Breton", "PERSON", 3, "Thierry Breton", None, [])


def art(text: str, url: str = "https://news.example/a", title: str = "Title", entities=()) -> Article:
    a = Article(source=url, url=url, title=title, text=text, word_count=len(text.split()))
    a.tldr = [SummarySentence(text.split(".")[0] + ".")]
    a.summary = [[SummarySentence(text)]]
    a.entities = list(entities)
    return a


@pytest.fixture
def env(tmp_path, monkeypatch):
    """The watch file and the index of this test (NEWSBRIEF_WATCH_FILE, NEWSBRIEF_DB)."""
    monkeypatch.setenv("NEWSBRIEF_WATCH_FILE", str(tmp_path / "watches.toml"))
    monkeypatch.setenv("NEWSBRIEF_DB", str(tmp_path / "index.db"))
    return tmp_path / "watches.toml", tmp_path / "index.db"


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------- the file and the commands


def test_watch_add_list_remove_mute_keep_the_users_comments(env):
    path, _ = env
    path.write_text('# my beat, by hand\n[watch.old]  # since 2025\npriority = 1\nentities = ["ENISA"]\n')
    assert cli("watch", "add", "eu-cloud", "--entity", "ECCG", "--phrase", "cloud certification",
               "--priority", "5").exit_code == 0  # fmt: skip
    assert cli("watch", "add", "eu-cloud", "--exclude", "job offer", "--cve", "cve-2024-3094").exit_code == 0
    assert cli("watch", "mute", "horoscope").exit_code == 0
    text = path.read_text()
    assert "# my beat, by hand" in text and "# since 2025" in text  # tomlkit kept them
    listed = json.loads(cli("watch", "list", "--format", "json").output)
    assert [w["name"] for w in listed["watches"]] == ["eu-cloud", "old"]  # highest priority first
    assert listed["watches"][0] == {
        "name": "eu-cloud", "priority": 5, "entities": ["ECCG"], "phrases": ["cloud certification"],
        "cves": ["CVE-2024-3094"], "exclude": ["job offer"],
    }  # fmt: skip
    assert listed["mutes"] == ["horoscope"]
    assert cli("watch", "unmute", "horoscope").exit_code == 0
    assert cli("watch", "remove", "old").exit_code == 0
    listed = json.loads(cli("watch", "list", "--format", "json").output)
    assert [w["name"] for w in listed["watches"]] == ["eu-cloud"] and listed["mutes"] == []


@pytest.mark.parametrize(
    "args, said",
    [
        (["add", "w", "--exclude", "sport"], "watch 'w': it can match nothing"),
        (["add", "w", "--phrase", "!!!"], "watch 'w': field 'phrases': '!!!' has no word"),
        (["add", "w", "--cve", "2024-1"], "watch 'w': field 'cves': '2024-1' is no CVE id"),
        (["add", "w", "--source", "not a host"], "watch 'w': field 'sources'"),
        (["remove", "nobody"], "no watch named 'nobody'"),
        (["unmute", "never"], "'never' is not muted"),
        (["test", "nobody"], "no watch named 'nobody'"),
    ],
)
def test_a_watch_that_can_match_nothing_or_a_bad_name_is_a_usage_error(env, args, said):
    r = cli("watch", *args)
    assert r.exit_code == 2, r.output
    assert said in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "text, said",
    [
        ('[watch.a]\npriority = "high"\nentities = ["x"]\n', "watch 'a': field 'priority' must be a whole number"),
        ("[watch.a]\nphrases = []\n", "watch 'a': it can match nothing"),
        ('[watch.a]\nentity = ["x"]\n', "watch 'a': unknown field 'entity'"),
        ("[watch.a]\nentities = [1]\n", "watch 'a': field 'entities' must be a list of strings"),
        ('[watch.a]\ncves = ["CVE-1"]\n', "watch 'a': field 'cves': 'CVE-1' is no CVE id"),
        ('watches = ["x"]\n', "unknown key 'watches'"),
        ("[watch.a\n", "invalid TOML"),
    ],
)
def test_a_bad_watch_file_is_one_line_naming_the_file_watch_and_field_exit_4(env, text, said):
    path, _ = env
    path.write_text(text)
    for args in (["watch", "list"], ["watch", "add", "b", "--entity", "X"]):
        r = cli(*args)
        assert r.exit_code == 4, r.output
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and said in lines[0]
    assert path.read_text() == text  # a broken file is never overwritten


def test_no_watch_file_is_no_watches(tmp_path):
    watches = wl.load(tmp_path / "none.toml")
    assert not watches and watches.watches == () and watches.mutes == ()


# ---------------------------------------------------------------- matching through the index


def index(path, articles):
    with Store(path) as s:
        return s.add_batch(articles)


def verdicts(db, watches, groups):
    with Store(db) as s:
        return wl.Matcher(watches, s).verdicts(groups)


def watch(name="w", **kw) -> wl.Watch:
    return wl.Watch(name, **{k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()})


def test_an_entity_matches_by_alias_and_long_form_a_person_by_full_name(tmp_path):
    db = tmp_path / "i.db"
    ids = index(db, [
        art("The ECCG met. The European Cybersecurity Certification Group (ECCG) agreed.", "https://a.example/1",
            entities=[ECCG]),
        art("The European Cybersecurity Certification Group met again in May.", "https://b.example/2",
            entities=[ECCG_LONG]),
        art("Thierry Breton spoke. Breton said the scheme would wait.", "https://c.example/3", entities=[BRETON]),
        art("Nothing about it at all, a text on gardening.", "https://d.example/4"),
    ])  # fmt: skip
    ws = wl.Watches(tmp_path / "w.toml", (watch("eu", entities=["ECCG"]), watch("people", entities=["Thierry Breton"])))
    v = verdicts(db, ws, [[i] for i in ids])
    assert [[m.watch for m in x.matches] for x in v] == [["eu"], ["eu"], ["people"], []]
    assert v[1].matches[0].why == "entity ECCG (European Cybersecurity Certification Group)"
    assert "European Cybersecurity Certification Group" in v[0].words  # highlighted in the brief
    assert "Breton" in v[2].words  # the surname after the full name


def test_phrases_and_cves_match_through_the_full_text_index(tmp_path):
    db = tmp_path / "i.db"
    ids = index(db, [
        art("Vendors wait for the cloud certification scheme to pass.", "https://a.example/1"),
        art("Certification of the cloud is a different word order.", "https://a.example/2"),
        art("A backdoor in xz, tracked as CVE-2024-3094, was found.", "https://a.example/3"),
        art("A flaw tracked as CVE-2024-30940 is another one.", "https://a.example/4"),
    ])  # fmt: skip
    ws = wl.Watches(
        tmp_path / "w.toml", (watch("p", phrases=["Cloud Certification"]), watch("c", cves=["CVE-2024-3094"]))
    )
    v = verdicts(db, ws, [[i] for i in ids])
    assert [[m.why for m in x.matches] for x in v] == [
        ["phrase Cloud Certification"], [], ["cve CVE-2024-3094"], [],
    ]  # fmt: skip


def test_a_source_matches_its_site_and_subdomains_only(tmp_path):
    db = tmp_path / "i.db"
    ids = index(db, [
        art("One text about patches released today.", "https://www.bsi.bund.de/news/1"),
        art("Two text about other patches released.", "https://notbsi.bund.de/news/2"),
    ])  # fmt: skip
    v = verdicts(db, wl.Watches(tmp_path / "w.toml", (watch("bsi", sources=["bsi.bund.de"]),)), [[i] for i in ids])
    assert [x.watched for x in v] == [True, False]


def test_an_exclude_drops_its_watchs_story_and_a_mute_drops_any(tmp_path):
    db = tmp_path / "i.db"
    ids = index(db, [
        art("ENISA opens a job offer for analysts in Athens.", "https://a.example/1"),
        art("ENISA publishes its threat landscape report today.", "https://a.example/2"),
        art("Your horoscope for Tuesday and the stars.", "https://a.example/3"),
        art("A job offer elsewhere with no agency in it.", "https://a.example/4"),
    ])  # fmt: skip
    ws = wl.Watches(tmp_path / "w.toml", (watch("enisa", phrases=["ENISA"], exclude=["job offer"]),), ("horoscope",))
    v = verdicts(db, ws, [[i] for i in ids] + [[ids[0], ids[1]]])
    assert [x.left_out for x in v] == [
        "excluded by watch enisa: job offer",
        None,
        "muted: horoscope",
        None,
        "excluded by watch enisa: job offer",
    ]
    assert [x.watched for x in v] == [False, True, False, False, False]
    # a story is what its articles say: one saying the exclude term leaves the watch's story out
    assert v[4].matches == []


def test_highlight_segments_give_the_text_back_and_mark_whole_words_any_case():
    text = "The ECCG met; the european cybersecurity  certification group agreed. ECCGX is not it."
    parts = wl.segments(text, ["ECCG", "European Cybersecurity Certification Group"])
    assert "".join(p for p, _ in parts) == text
    assert [p for p, hit in parts if hit] == ["ECCG", "european cybersecurity  certification group"]
    assert wl.segments(text, []) == [(text, False)]


@pytest.mark.parametrize("command", ["add", "remove", "list", "test", "mute", "unmute"])
def test_every_watch_command_has_help_with_an_example(command):
    r = cli("watch", command, "--help")
    assert r.exit_code == 0 and "Example" in r.stdout and "--db" in r.stdout
