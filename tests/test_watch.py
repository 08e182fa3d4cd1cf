"""Watches (pipeline/watch.py): the file, the commands, matching through the index, the digest."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_digest import serve_feed
from test_digest import site as site  # noqa: F401  (the fixture: the digest tests' feed server on 127.0.0.1)

from pipeline import digest as dg
from pipeline import watch as wl
from pipeline.cli import main
from pipeline.document import Article, Entity, SummarySentence
from pipeline.settings import load_settings
from pipeline.store import Store, parse_since

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


def test_a_watch_finds_what_articles_named_apart_once_one_defines_it_and_a_person_by_surname(tmp_path):
    db = tmp_path / "i.db"
    short, eu = Entity("ECCG", "ORG", 1, "ECCG"), Entity("EU", "ORG", 1, "EU")
    paris, breton_alone = Entity("Paris", "GPE", 1, "Paris"), Entity("Breton", "PERSON", 1, "Breton")
    ids = index(db, [
        art("The European Cybersecurity Certification Group met.", "https://b.example/1", entities=[ECCG_LONG]),
        art("Thierry Breton spoke in Paris for the EU.", "https://c.example/2", entities=[BRETON, paris, eu]),
        art("Breton said in Paris that the EU would wait.", "https://c.example/3", entities=[breton_alone, paris, eu]),
    ])  # fmt: skip
    ws = wl.Watches(tmp_path / "w.toml", (watch("eu", entities=["ECCG"]), watch("people", entities=["Thierry Breton"])))
    assert [[m.watch for m in x.matches] for x in verdicts(db, ws, [[i] for i in ids])] == [[], ["people"], ["people"]]
    ids += index(db, [art("The ECCG, the European Cybersecurity Certification Group, met.", "https://a.example/4",
                          entities=[ECCG])])  # fmt: skip  # a definition: the two become one
    index(db, [art("The ECCG met in Rome.", "https://a.example/5", entities=[short])])
    v = verdicts(db, ws, [[ids[0]], [ids[3]]])
    assert [[m.watch for m in x.matches] for x in v] == [["eu"], ["eu"]]


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


# ---------------------------------------------------------------- the digest (real feeds on 127.0.0.1)

NEWS = {
    "/cloud": ("Cloud certification vote delayed",
               "The vote on cloud certification was delayed on Tuesday in Brussels, officials said. Member states "
               "asked for more time to study the legal consequences of the scheme. Providers said it adds costs."),
    "/agency": ("Agency report on ransomware",
                "The European Cybersecurity Certification Group (ECCG) published its annual report on ransomware on "
                "Monday. The ECCG said attacks on hospitals doubled last year. Analysts welcomed the figures."),
    "/stars": ("Horoscope for the week",
               "Your horoscope for the week ahead says the stars favour patience. Readers born in spring should "
               "rest. Astrologers disagree about the coming full moon and its meaning."),
    "/xz": ("Patch for the xz backdoor",
            "A patch for CVE-2024-3094 in the xz library was released on Friday. Maintainers urged users to "
            "update at once. The flaw let attackers run code on servers remotely."),
    "/cup": ("Football club wins the cup",
             "The football club won the national cup final on Saturday evening in the capital. Fans celebrated "
             "in the streets until morning. The coach thanked the players and the supporters."),
    "/cup2": ("Football club wins the cup final",
              "The football club won the national cup final on Saturday evening in the capital. Fans celebrated "
              "in the streets until morning. The coach thanked the players and the supporters warmly."),
}  # fmt: skip
WATCHES = """\
mutes = ["horoscope"]

[watch.cloud]
priority = 1
phrases = ["cloud certification"]

[watch.agency]
priority = 5
entities = ["European Cybersecurity Certification Group"]

[watch.xz]
priority = 3
cves = ["CVE-2024-3094"]
"""


def news_page(title: str, text: str) -> bytes:
    """An article page: ``text``, then its sentences again as a second paragraph told from the end
    (enough words to be read as an article, and no words shared with the other pages)."""
    from html import escape

    again = " ".join(reversed(text.split(". ")))
    body = f"<h1>{escape(title)}</h1><p>{escape(text)}</p><p>{escape(again)}</p>"
    return f"<html><head><title>{escape(title)}</title></head><body><article>{body}</article></body></html>".encode()


def night(site, tmp_path, watches: str | None, budget=None, clock=None) -> dg.Digest:
    """One digest of NEWS on a fresh index, with ``watches`` as the watch file (None: no file)."""
    base, routes = site
    feeds = serve_feed(base, routes, tmp_path, [(p, news_page(t, x)) for p, (t, x) in NEWS.items()])
    path = tmp_path / "watches.toml"
    if watches is not None:
        path.write_text(watches)
    settings = load_settings().replace(db=str(tmp_path / f"{watches is None}-{budget}.db"))
    extra = {"clock": clock} if clock else {}
    with Store(settings.db_path()) as store:
        d = dg.build([str(f) for f in feeds.read_text().split()], settings, store, parse_since("24h"), budget,
                     watches=wl.load(path), **extra)  # fmt: skip
    d.generated, d.since = "2026-12-06T06:00:00", "2026-12-05T06:00:00"  # two nights render alike at any minute
    return d


def test_the_digest_opens_with_the_watchlist_by_priority_says_why_and_leaves_muted_stories_out(
    site, tmp_path, fake_models
):
    d = night(site, tmp_path, WATCHES)
    assert [b.title for b in d.watched] == [
        "Agency report on ransomware",
        "Patch for the xz backdoor",
        "Cloud certification vote delayed",
    ]  # fmt: skip  (priority 5, 3, 1)
    assert d.left_out == 1 and "Horoscope for the week" not in [b.title for b in d.stories]
    horoscope = next(a for a in d.articles if a.title == "Horoscope for the week")
    horoscope.entities = [Entity("Zodiac Council", "ORG", 3, "Zodiac Council")]
    assert "Zodiac Council" not in [name for name, _, _ in d.top_entities()]  # nor in the news today
    assert d.stories[len(d.watched)].title.startswith("Football club wins the cup")  # then the others, as before
    md = dg.render(d, "md")
    assert md.index("## On your watchlist") < md.index("## Latest") and "## In the news today" in md
    assert "agency (entity European Cybersecurity Certification Group (ECCG))" in md  # by the index's alias
    assert "xz (cve CVE-2024-3094)" in md and "cloud (phrase cloud certification)" in md
    assert "1 story left out by your mutes and excludes." in md and "Horoscope" not in md
    assert "**TLDR:** The **European Cybersecurity Certification Group** (**ECCG**) published" in md
    assert "The vote on **cloud certification** was delayed" in md
    from markdown_it import MarkdownIt

    shown = MarkdownIt().render(md)
    assert "<strong>ECCG</strong>" in shown and 'href="#1">Agency report on ransomware</a>' in shown
    page = dg.render(d, "html")
    assert "<h2>On your watchlist</h2>" in page and "(<mark>ECCG</mark>) published" in page
    assert page.index('<article id="a1">') < page.index("Agency report on ransomware</h3>") < page.index('id="a2"')
    assert "Horoscope" not in dg.render(d, "atom")


def test_without_watches_the_digest_is_as_before(site, tmp_path, fake_models):
    plain = night(site, tmp_path, None)
    (tmp_path / "n").mkdir()
    nothing = night(site, tmp_path / "n", '[watch.none]\nphrases = ["no such words anywhere"]\n')
    assert not plain.watched and not nothing.watched and nothing.left_out == 0
    for fmt in ("md", "html", "atom"):
        text = dg.render(plain, fmt)
        assert text == dg.render(nothing, fmt)
        assert "watchlist" not in text and "left out" not in text and "mark" not in text
    assert plain.stories[0].title.startswith("Football club wins the cup")  # biggest first, as before


def test_with_a_budget_watched_stories_are_written_first(site, tmp_path, fake_models, monkeypatch):
    """Stories are written in order and the budget may end at any one: watched ones go first,
    before the bigger unwatched story, and a muted one last."""
    import pipeline.story.brief

    written: list[str | None] = []
    finish = pipeline.story.brief.finish
    monkeypatch.setattr(pipeline.story.brief, "finish", lambda d: written.append(d.sources[0].title) or finish(d))
    night(site, tmp_path, WATCHES, budget=3600)
    assert set(written[:3]) == {"Agency report on ransomware", "Patch for the xz backdoor",
                                "Cloud certification vote delayed"}  # fmt: skip
    assert written[3].startswith("Football club wins the cup") and written[4] == "Horoscope for the week"


def test_what_a_watch_matched_is_escaped_in_every_format():
    """The matched words and the reasons come from pages (an entity's name): text, never markup."""
    from test_digest import _story_of

    d = _story_of([("https://a.example/1", "A Daily")])
    brief = d.stories[0]
    brief.story_id = 7
    brief.tldr[0].text = "The <script>alert(1)</script> group *ECCG* met."
    match = wl.Match("w<b>", 1, "entity", "ECCG", "<img src=x onerror=alert(1)>")
    d.watched, d.verdicts = [brief], {7: wl.WatchVerdict([match], ["<script>alert(1)</script>", "ECCG"])}
    page = dg.render(d, "html")
    assert "<script>" not in page and "<img" not in page and "w<b>" not in page
    assert "&lt;<mark>script&gt;alert(1)&lt;/script</mark>&gt;" in page and "*<mark>ECCG</mark>*" in page
    md = dg.render(d, "md")
    assert "\\<**script\\>alert(1)\\</script**\\>" in md and "\\***ECCG**\\*" in md and "w\\<b\\>" in md


def test_stories_search_and_watch_test_show_what_a_watch_matches_and_why(site, tmp_path, fake_models):
    night(site, tmp_path, WATCHES)
    db = ["--db", str(tmp_path / "False-None.db")]
    r = cli("stories", "--since", "7d", "--watch", "agency", "--format", "json", *db)
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [s["title"] for s in rows] == ["Agency report on ransomware"]
    assert rows[0]["matched"][0]["why"] == "entity European Cybersecurity Certification Group (ECCG)"
    hits = [
        json.loads(line)
        for line in cli("search", "report", "--watch", "agency", "-f", "json", *db).stdout.split("\n")
        if line
    ]
    assert [h["title"] for h in hits] == ["Agency report on ransomware"] and hits[0]["matched"][0]["watch"] == "agency"
    r = cli("search", "--watch", "xz", *db)
    assert "Patch for the xz backdoor" in r.stdout and "matched xz: cve CVE-2024-3094" in r.stdout
    assert "Football" not in r.stdout
    found = cli("search", "--since", "7d", "--stories", "--watch", "cloud", "-f", "json", *db).stdout.splitlines()
    assert [json.loads(s)["title"] for s in found] == ["Cloud certification vote delayed"]
    r = cli("watch", "test", "cloud", *db)
    assert r.exit_code == 0 and "Cloud certification vote delayed" in r.stdout
    assert "matched cloud: phrase cloud certification" in r.stdout and "Football" not in r.stdout
    r = cli("stories", "--watch", "nobody", *db)
    assert r.exit_code == 2 and "no watch named 'nobody'" in r.stderr


# ---------------------------------------------------------------- alerts (pipeline/alerts.py)
RECORDER = """\
import json, sys
payload = json.load(sys.stdin)
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(payload) + "\\n")
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
"""


def alert_night(site, tmp_path, *extra: str, news: dict | None = None):
    """A digest run through the CLI with WATCHES, its alerts recorded in tmp_path/alerts.jsonl."""
    import shlex
    import sys

    base, routes = site
    pages = [(p, news_page(t, x)) for p, (t, x) in (news or NEWS).items()]
    feeds = serve_feed(base, routes, tmp_path, pages)
    (tmp_path / "watches.toml").write_text(WATCHES)
    (tmp_path / "recorder.py").write_text(RECORDER)
    cmd = shlex.join([sys.executable, str(tmp_path / "recorder.py"), str(tmp_path / "alerts.jsonl"), *extra])
    out = tmp_path / "digest.md"
    return cli("digest", "--feeds", str(feeds), "--out", str(out), "--alert-cmd", cmd), out


def alerts_seen(tmp_path) -> list[dict]:
    path = tmp_path / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_an_alert_command_gets_each_new_watched_story_as_json_once(site, tmp_path, fake_models):
    r, out = alert_night(site, tmp_path)
    assert r.exit_code == 0, r.output
    got = alerts_seen(tmp_path)
    assert sorted(a["watch"] for a in got) == ["agency", "cloud", "xz"]
    xz = next(a for a in got if a["watch"] == "xz")
    assert xz["title"] == "Patch for the xz backdoor" and xz["tldr"].startswith("A patch for CVE-2024-3094")
    assert xz["sources"] == [f"{site[0]}/xz"] and xz["matched"][0]["why"] == "cve CVE-2024-3094"
    assert isinstance(xz["story_id"], int) and "3 alert(s) sent, 0 waiting" in r.stderr
    # another outlet joins the xz story tonight: the story grew by a source, it does not alert again
    more = {**NEWS, "/xz2": ("xz backdoor patched", NEWS["/xz"][1].replace("Friday", "Friday evening"))}
    r, out = alert_night(site, tmp_path, news=more)
    assert r.exit_code == 0 and "2 sources: " in out.read_text() and "xz (cve CVE-2024-3094)" in out.read_text()
    assert len(alerts_seen(tmp_path)) == 3 and "0 alert(s) sent, 0 waiting" in r.stderr
    assert all(a["changed"] == [] for a in alerts_seen(tmp_path))


def test_a_watched_story_whose_facts_change_alerts_again_and_says_what_changed(site, tmp_path, fake_models):
    """Growing by a source is no news; a source telling it otherwise is: the xz story alerts again
    the night an outlet says the flaw did *not* let attackers run code, and says so; not the next."""
    alert_night(site, tmp_path)
    said = NEWS["/xz"][1]
    denied = said.replace("The flaw let attackers", "The flaw did not let attackers")
    more = {**NEWS, "/xz2": ("xz backdoor patched", said.replace("Friday", "Friday evening")),
            "/xz3": ("xz flaw not exploitable, says vendor", denied)}  # fmt: skip
    r, _ = alert_night(site, tmp_path, news=more)
    assert r.exit_code == 0 and "1 alert(s) sent, 0 waiting" in r.stderr, r.stderr
    again = alerts_seen(tmp_path)[-1]
    assert again["watch"] == "xz"
    assert again["changed"] and all(c.startswith("sources disagree on ") for c in again["changed"])
    assert any("did not let" in c for c in again["changed"]) and again["changed"][0] in again["facts"]
    r, _ = alert_night(site, tmp_path, news=more)  # the same disagreement the next night: told already
    assert "0 alert(s) sent, 0 waiting" in r.stderr and len(alerts_seen(tmp_path)) == 4


def test_an_alert_command_that_fails_keeps_the_digest_and_is_retried_next_run(site, tmp_path, fake_models):
    r, out = alert_night(site, tmp_path, "3")  # the command exits 3 for every alert
    assert out.exists() and "## On your watchlist" in out.read_text()  # the digest is written all the same
    assert r.exit_code == 0 and r.stderr.count("[alert_failed]") == 3 and "exited with 3" in r.stderr
    assert "0 alert(s) sent, 3 waiting" in r.stderr
    r, _ = alert_night(site, tmp_path)  # nothing new tonight; the command works again
    assert "3 alert(s) sent, 0 waiting" in r.stderr
    assert sorted(a["watch"] for a in alerts_seen(tmp_path)[3:]) == ["agency", "cloud", "xz"]
    r, _ = alert_night(site, tmp_path)
    assert "0 alert(s) sent, 0 waiting" in r.stderr and len(alerts_seen(tmp_path)) == 6


def test_a_hanging_alert_command_is_stopped_with_its_children(tmp_path):
    import sys
    import time

    from pipeline import alerts

    script = tmp_path / "hang.py"
    script.write_text("import subprocess, time\nsubprocess.Popen(['sleep', '30'])\ntime.sleep(30)\n")
    t0 = time.monotonic()
    problem = alerts.run_command([sys.executable, str(script)], {"watch": "w"}, timeout=1.0)
    assert problem is not None and "longer than 1 s" in problem and time.monotonic() - t0 < 10
    assert alerts.run_command(["/no/such/command"], {}) is not None  # cannot start: said, not raised


def test_a_feed_per_watch_holds_its_stories_escaped(site, tmp_path, fake_models):
    base, routes = site
    pages = dict(NEWS)
    pages["/xz"] = ("Patch for <script>alert(1)</script> xz", NEWS["/xz"][1])
    feeds = serve_feed(base, routes, tmp_path, [(p, news_page(t, x)) for p, (t, x) in pages.items()])
    (tmp_path / "watches.toml").write_text(WATCHES)
    r = cli("digest", "--feeds", str(feeds), "--out", str(tmp_path / "d.md"), "--watch-atom", str(tmp_path / "w"))
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["agency.atom", "cloud.atom", "xz.atom"]
    xz = (tmp_path / "w" / "xz.atom").read_text()
    assert "<title>newsbrief watch: xz</title>" in xz and "&lt;script&gt;" in xz and "<script>" not in xz
    assert "Cloud certification" not in xz and "CVE-2024-3094" in xz


def test_a_bad_watch_file_stops_the_digest_before_it_fetches_anything(site, tmp_path, fake_models):
    base, routes = site
    feeds = serve_feed(base, routes, tmp_path, [(p, news_page(t, x)) for p, (t, x) in NEWS.items()])
    (tmp_path / "watches.toml").write_text('[watch.cloud]\npriority = "high"\nphrases = ["cloud"]\n')
    r = cli("digest", "--feeds", str(feeds), "--out", str(tmp_path / "d.md"))
    assert r.exit_code == 4 and "watches.toml: watch 'cloud': field 'priority'" in r.stderr
    assert not routes.hits and not (tmp_path / "d.md").exists()


def test_an_alert_state_written_before_facts_were_kept_still_loads(tmp_path):
    """A state file from the previous release has no "facts": every fact tonight is new to it."""
    from pipeline import alerts

    path = tmp_path / "index.db.alerts.json"
    path.write_text('{"sent": {"xz": [4]}, "waiting": []}')
    state = alerts.AlertState.load(path)
    assert state.delivered("xz", 4) and state.new_facts("xz", 4, ["sources disagree on x: a / b"]) == [
        "sources disagree on x: a / b"
    ]
    state.mark("xz", 4, ["sources disagree on x: a / b"])
    state.save()
    again = alerts.AlertState.load(path)
    assert again.sent == {"xz": [4]} and again.new_facts("xz", 4, ["sources disagree on x: a / b"]) == []
