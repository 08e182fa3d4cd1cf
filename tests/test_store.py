import re
import sqlite3
import threading

import pytest
from click.testing import CliRunner
from test_digest import html, page, rss, site, xml  # noqa: F401  (site is a fixture)

from pipeline.cli import main
from pipeline.document import Article, Entity, SummarySentence
from pipeline.errors import NoSuchArticle, StoreError, UsageError
from pipeline.store import MIGRATIONS, SCHEMA_VERSION, Store, fts_query, parse_since


def art(text: str, url: str | None = "https://x.example/a", title: str = "Title", entities=()) -> Article:
    a = Article(source=url or "file.html", url=url, title=title, text=text, word_count=len(text.split()))
    a.tldr = [SummarySentence(text.split(".")[0] + ".")]
    a.summary = [[SummarySentence(text)]]
    a.entities = list(entities)
    return a


ECCG = Entity("ECCG", "ORG", 2, "ECCG", "European Cybersecurity Certification Group", [])
ECCG_LONG = Entity("European Cybersecurity Certification Group", "ORG", 1, "European Cybersecurity Certification Group")


def test_readd_is_idempotent_and_changed_text_is_a_new_version(tmp_path):
    with Store(tmp_path / "i.db") as s:
        first = s.add_batch([art("France asked for a legal opinion on EUCS.")])
        again = s.add_batch([art("France  asked for a legal opinion on EUCS.")])  # same after normalization
        changed = s.add_batch([art("France asked for a legal opinion on EUCS. It may slip to June.")])
        assert first[0] is not None and again == [None] and changed[0] is not None
        assert s.count() == 2
        versions = [r[0] for r in s.db.execute("SELECT version FROM articles ORDER BY id")]
        assert versions == [1, 2]


def test_failed_articles_are_not_stored(tmp_path):
    bad = Article(source="x").fail(ValueError("boom"))
    with Store(tmp_path / "i.db") as s:
        assert s.add_batch([bad]) == [None] and s.count() == 0


def test_entity_acronym_and_long_form_are_one_entity_across_articles(tmp_path):
    with Store(tmp_path / "i.db") as s:
        s.add_batch([art("The ECCG met in Brussels.", "https://x.example/1", entities=[ECCG])])
        s.add_batch([art("The group met again.", "https://x.example/2", entities=[ECCG_LONG])])
        assert len(s.search(entity="ECCG")) == 2
        assert len(s.search(entity="european cybersecurity certification group")) == 2
        [row] = s.entities(label="org")
        assert (row["name"], row["articles"], row["mentions"]) == ("ECCG", 2, 3)
        assert row["long_form"] == "European Cybersecurity Certification Group"


def test_a_definition_joins_the_acronym_and_long_form_that_earlier_articles_named_apart(tmp_path):
    short = Entity("ECCG", "ORG", 1, "ECCG")
    with Store(tmp_path / "i.db") as s:
        s.add_batch([art("The group met in Brussels.", "https://x.example/1", entities=[ECCG_LONG])])
        s.add_batch([art("The ECCG met in Paris.", "https://x.example/2", entities=[short])])
        assert len(s.search(entity="ECCG")) == 1  # nothing says yet that they are one
        s.add_batch([art("The ECCG met in Rome.", "https://x.example/3", entities=[ECCG])])  # it defines ECCG
        for name in ("ECCG", "European Cybersecurity Certification Group"):
            assert len(s.search(entity=name)) == 3, name
        [row] = s.entities(label="org")
        assert (row["name"], row["articles"], row["mentions"]) == ("ECCG", 3, 4)


def test_an_acronym_defined_two_ways_names_both_entities_and_merges_neither(tmp_path):
    bank = Entity("ECB", "ORG", 1, "ECB", "European Central Bank", [])
    cricket = Entity("ECB", "ORG", 1, "ECB", "England and Wales Cricket Board", [])
    with Store(tmp_path / "i.db") as s:
        s.add_batch([art("The ECB raised rates.", "https://x.example/1", entities=[bank])])
        s.add_batch([art("The ECB picked the squad.", "https://x.example/2", entities=[cricket])])
        assert len(s.search(entity="ECB")) == 2
        assert [a.url for a in s.search(entity="European Central Bank")] == ["https://x.example/1"]
        assert [a.url for a in s.search(entity="England and Wales Cricket Board")] == ["https://x.example/2"]
        assert sorted(r["long_form"] for r in s.entities(label="org")) == [
            "England and Wales Cricket Board",
            "European Central Bank",
        ]


def _people(*names: str) -> list[Entity]:
    return [Entity(n, "PERSON", 1, n) for n in names]


NASHVILLE, PLAYBOY = Entity("Nashville", "GPE", 1, "Nashville"), Entity("Playboy", "ORG", 1, "Playboy")


def test_a_surname_counts_for_the_one_person_of_that_name_its_article_shares_a_story_with(tmp_path):
    with Store(tmp_path / "i.db") as s:
        s.add_batch([art("Bettie Page was born in Nashville.", "https://x.example/1",
                         entities=[*_people("Bettie Page"), NASHVILLE, PLAYBOY])])  # fmt: skip
        s.add_batch([art("Page posed for Playboy in Nashville.", "https://x.example/2",
                         entities=[*_people("Page"), NASHVILLE, PLAYBOY])])  # fmt: skip
        s.add_batch([art("Page turned the corner in Nashville.", "https://x.example/3",
                         entities=[*_people("Page"), NASHVILLE])])  # fmt: skip  # one shared name is not enough
        assert [a.url for a in s.search(entity="Bettie Page")] == ["https://x.example/2", "https://x.example/1"]
        assert len(s.search(entity="Page")) == 2  # the surname stays an entity of its own
        again = art("Page was in Playboy, Nashville said.", "https://x.example/6",
                    entities=[*_people("Page"), NASHVILLE, PLAYBOY])  # fmt: skip
        assert unindexed_plans(s, lambda: s.add_batch([again])) == []
        assert len(s.search(entity="Bettie Page")) == 3
        # a second Page named in full: a surname alone no longer says which
        s.add_batch([art("Jimmy Page played in Nashville for Playboy.", "https://x.example/4",
                         entities=[*_people("Jimmy Page"), NASHVILLE, PLAYBOY])])  # fmt: skip
        s.add_batch([art("Page played Playboy's party in Nashville.", "https://x.example/5",
                         entities=[*_people("Page"), NASHVILLE, PLAYBOY])])  # fmt: skip
        assert "https://x.example/5" not in {a.url for a in s.search(entity="Bettie Page")}
        assert "https://x.example/5" not in {a.url for a in s.search(entity="Jimmy Page")}


def test_a_surname_link_needs_one_article_naming_the_person_in_full_that_shares_two_names(tmp_path):
    memphis, sun = Entity("Memphis", "GPE", 1, "Memphis"), Entity("Sun Records", "ORG", 1, "Sun Records")
    with Store(tmp_path / "i.db") as s:
        s.add_batch([art("Bettie Page was born in Nashville.", "https://x.example/1",
                         entities=[*_people("Bettie Page"), NASHVILLE])])  # fmt: skip
        s.add_batch([art("Bettie Page posed for Playboy.", "https://x.example/2",
                         entities=[*_people("Bettie Page"), PLAYBOY])])  # fmt: skip
        # Nashville and Playboy, each shared with another article: no article shares both
        s.add_batch([art("Page posed for Playboy in Nashville.", "https://x.example/3",
                         entities=[*_people("Page"), NASHVILLE, PLAYBOY, memphis, sun])])  # fmt: skip
        assert {a.url for a in s.search(entity="Bettie Page")} == {"https://x.example/1", "https://x.example/2"}
        s.add_batch([art("Bettie Page toured Nashville for Playboy.", "https://x.example/4",
                         entities=[*_people("Bettie Page"), NASHVILLE, PLAYBOY])])  # fmt: skip
        s.add_batch([art("Ms Page posed for Playboy in Nashville and Memphis.", "https://x.example/5",
                         entities=[*_people("Ms Page"), NASHVILLE, PLAYBOY, memphis, sun])])  # fmt: skip
        assert "https://x.example/5" in {a.url for a in s.search(entity="Bettie Page")}  # "Ms Page" is a surname
        # article 5 is a link, not a naming in full: it grounds no link of its own
        s.add_batch([art("Page recorded at Sun Records in Memphis.", "https://x.example/6",
                         entities=[*_people("Page"), memphis, sun])])  # fmt: skip
        assert "https://x.example/6" not in {a.url for a in s.search(entity="Bettie Page")}


def test_a_definition_within_one_article_merges_what_it_already_counted(tmp_path):
    with Store(tmp_path / "i.db") as s:
        s.add_batch([art("The group met.", "https://x.example/1", entities=[ECCG_LONG])])
        s.add_batch([art("The ECCG met.", "https://x.example/2", entities=[Entity("ECCG", "ORG", 1, "ECCG")])])
        s.add_batch([art("The group, the ECCG, met.", "https://x.example/3", entities=[ECCG_LONG, ECCG])])
        assert len(s.search(entity="ECCG")) == 3


def test_a_persons_surname_skips_titles_and_suffixes():
    from pipeline.store.schema import surname_of, surname_only

    assert [surname_of(k) for k in ("bettie page", "martin luther king jr.", "ms page", "page", "gen sir mike")] == [
        "page", "king", None, None, None
    ]  # fmt: skip
    assert [surname_only(k) for k in ("page", "ms page", "bettie page")] == ["page", "page", None]


def test_a_v9_index_learns_the_surnames_of_the_people_it_names(tmp_path):
    path = tmp_path / "i.db"
    with Store(path) as s:
        s.add_batch([art("Bettie Page was born in Nashville.", "https://x.example/1",
                         entities=[*_people("Bettie Page"), NASHVILLE, PLAYBOY])])  # fmt: skip
    db = sqlite3.connect(path)
    db.execute("DROP TABLE entity_surnames")  # as schema v9 had it
    db.execute("DROP TABLE surname_links")
    db.execute("DELETE FROM schema_migrations WHERE version = 10")
    db.execute("PRAGMA user_version = 9")
    db.commit()
    db.close()
    with Store(path) as s:
        s.add_batch([art("Page posed for Playboy in Nashville.", "https://x.example/2",
                         entities=[*_people("Page"), NASHVILLE, PLAYBOY])])  # fmt: skip
        assert len(s.search(entity="Bettie Page")) == 2


def test_fts_ranks_title_matches_first_and_resists_syntax(tmp_path):
    with Store(tmp_path / "i.db") as s:
        s.add_batch(
            [
                art("Nothing about it here. Ransomware is mentioned once.", "https://x.example/body", "Port news"),
                art("A short note about ports.", "https://x.example/title", "Ransomware hits port"),
                art("Unrelated text about gardening.", "https://x.example/none", "Gardening"),
            ]
        )
        hits = s.search("ransomware")
        assert [h.url for h in hits] == ["https://x.example/title", "https://x.example/body"]
        assert s.search('ransomware*"') == hits  # stray syntax characters are dropped, no FTS error
        assert s.search("ransomware NEAR(") == []  # operators are plain (required) words
        assert fts_query('a "b" NEAR(c)') == '"a" "b" "NEAR" "c"'


def test_since_filters_on_publication_date(tmp_path):
    with Store(tmp_path / "i.db") as s:
        old = art("Old news about EUCS.", "https://x.example/old")
        old.date = "2001-01-01"
        s.add_batch([old, art("Fresh news about EUCS.", "https://x.example/new")])
        assert [h.url for h in s.search("EUCS", since="7d")] == ["https://x.example/new"]
        assert len(s.search("EUCS", since="2000-06-01")) == 2
    with pytest.raises(UsageError, match="--since"):  # a bad option value: exit code 2
        parse_since("yesterday")


def test_old_schema_migrates_forward_keeping_rows(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO articles (content_hash, url, source, title, tldr, summary, body, brief, added_at)"
        " VALUES ('h1', 'u', 's', 'Old title', 't', 's', 'old body text', '{}', '2024-01-01T00:00:00')"
    )
    db.commit()
    db.close()
    with Store(path) as s:
        assert s.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [r[0] for r in s.db.execute("SELECT version FROM schema_migrations")] == list(
            range(2, SCHEMA_VERSION + 1)
        )
        assert tuple(s.db.execute("SELECT title, version FROM articles").fetchone()) == ("Old title", 1)
        assert [h.title for h in s.search("old body")] == ["Old title"]


def test_corrupt_database_is_a_clear_error_and_left_untouched(tmp_path):
    path = tmp_path / "bad.db"
    junk = b"this is not a database" * 100
    path.write_bytes(junk)
    with pytest.raises(StoreError, match="cannot open the index"):
        Store(path)
    assert path.read_bytes() == junk
    r = CliRunner().invoke(main, ["search", "x", "--db", str(path)])
    assert r.exit_code == 4 and str(path) in r.stderr


def damaged_index(path) -> bytes:
    """An index whose header and schema page are intact but whose tables are overwritten: it opens,
    and every query then meets a damaged page (a bad disk, a copy cut short). Returns its bytes."""
    with Store(path) as s:
        for i in range(40):
            s.add_batch([art(f"Report {i} about ENISA and the certification scheme. " * 40, f"https://x.example/{i}")])
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[2 * page :] = b"\x55" * (len(data) - 2 * page)
    path.write_bytes(bytes(data))
    return bytes(data)


SAMPLE = str(__import__("pathlib").Path(__file__).parent.parent / "samples" / "plain-article.txt")


@pytest.mark.parametrize(
    "args", [["search", "ENISA"], ["search", "--entity", "ECCG"], ["show", "1"], ["entities"], ["summarize", SAMPLE]]
)
def test_a_damaged_index_is_one_typed_line_and_left_untouched(tmp_path, fake_models, args):
    path = tmp_path / "i.db"
    data = damaged_index(path)
    r = CliRunner().invoke(main, [*args, "--db", str(path)])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 4, r.output
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"newsbrief: error: {path}: the index is damaged") and line.endswith("[store_error]")
    assert path.read_bytes() == data


@pytest.mark.parametrize("article_id", ["99999999999999999999", "9223372036854775808", "0", "-1"])
def test_show_of_an_id_that_is_no_row_id_is_not_found(tmp_path, article_id):
    with Store(tmp_path / "i.db") as s:
        s.add_batch([art("France asked for a legal opinion on EUCS.")])
    r = CliRunner().invoke(main, ["show", "--db", str(tmp_path / "i.db"), "--", article_id])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 2 and f"no article with id {article_id}" in r.stderr


def test_a_damaged_brief_row_is_a_typed_error(tmp_path):
    with Store(tmp_path / "i.db") as s:
        (article_id,) = s.add_batch([art("France asked for a legal opinion on EUCS.")])
        s.db.execute("UPDATE articles SET brief = '{not json' WHERE id = ?", (article_id,))
        s.db.commit()
        with pytest.raises(StoreError, match="damaged"):
            s.get(article_id)
        with pytest.raises(StoreError, match="damaged"):
            s.find_by_url("https://x.example/a")


def test_an_index_folder_that_cannot_be_made_is_a_typed_error(tmp_path):
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(StoreError, match="cannot create the index's folder"):
        Store(tmp_path / "file" / "sub" / "i.db")


def test_locked_database_is_a_clear_error_and_keeps_rows(tmp_path):
    path = tmp_path / "i.db"
    with Store(path) as s:
        s.add_batch([art("Kept row about ENISA.", "https://x.example/kept")])
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with Store(path, timeout=0.2) as s, pytest.raises(StoreError, match="locked"):
            s.add_batch([art("New row about ENISA.", "https://x.example/new")])
    finally:
        holder.rollback()
        holder.close()
    with Store(path, readonly=True) as s:
        assert [h.url for h in s.search("ENISA")] == ["https://x.example/kept"]


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_readers_work_while_a_batch_writes(tmp_path):
    path = tmp_path / "i.db"
    with Store(path) as s:
        s.add_batch([art("Seed row about ENISA.", "https://x.example/0")])
    writer = Store(path)
    writer.db.execute("BEGIN IMMEDIATE")
    writer.db.execute(
        "INSERT INTO articles (content_hash, source, body, added_at) VALUES ('pending', 's', 'ENISA pending', 'now')"
    )
    seen: list[int] = []
    t = threading.Thread(target=lambda: seen.append(len(Store(path, readonly=True).search("ENISA"))))
    t.start()
    t.join(timeout=10)
    assert seen == [1]  # the reader is not blocked and sees only committed rows
    writer.db.execute("COMMIT")
    writer.close()
    with Store(path, readonly=True) as r:
        assert len(r.search("ENISA")) == 2


def test_cli_summarize_indexes_and_search_finds_by_entity(fake_models, tmp_path):
    from conftest import SEED

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    assert runner.invoke(main, ["summarize", "--db", db, str(SEED)]).exit_code == 0
    assert runner.invoke(main, ["summarize", "--db", db, str(SEED)]).exit_code == 0  # re-run adds nothing
    r = runner.invoke(main, ["search", "--db", db, "--entity", "ECCG"])
    assert r.exit_code == 0 and r.stdout.count("France seeks legal advice") == 1
    r = runner.invoke(main, ["show", "--db", db, r.stdout.split("]")[0].strip("[")])
    assert r.exit_code == 0 and r.stdout.startswith("# France seeks legal advice")
    r = runner.invoke(main, ["entities", "--db", db, "--label", "ORG"])
    assert "ECCG (European Cybersecurity Certification Group)" in r.stdout
    assert runner.invoke(main, ["summarize", "--no-index", "--db", str(tmp_path / "none.db"), str(SEED)]).exit_code == 0
    assert not (tmp_path / "none.db").exists()


# a table read row by row, or an index SQLite builds for one statement: what made entity
# indexing quadratic (only the FTS table and a materialized subquery are scanned by design)
_UNINDEXED = re.compile(r"AUTOMATIC|\bSCAN (?!articles_fts VIRTUAL TABLE|best$)")


def unindexed_plans(store: Store, work) -> list[tuple[str, str]]:
    """Run ``work()`` with every statement traced; the SELECTs whose query plan scans a table or
    builds an automatic index, with the offending plan line (a plan, not a timing)."""
    traced: list[str] = []
    store.db.set_trace_callback(traced.append)
    try:
        work()
    finally:
        store.db.set_trace_callback(None)
    selects = [sql for sql in traced if sql.lstrip().upper().startswith("SELECT")]
    assert selects
    return [(sql, row[3]) for sql in selects for row in store.db.execute("EXPLAIN QUERY PLAN " + sql)
            if _UNINDEXED.search(row[3])]  # fmt: skip


def test_entity_lookups_use_indexes(tmp_path):
    with Store(tmp_path / "i.db") as s:
        for i in range(30):
            names = [Entity(f"Org{j}", "ORG", 1, f"Org{j}", aliases=[f"o{j}"]) for j in range(i, i + 5)]
            s.add_batch([art(f"Text {i} about ECCG.", f"https://x.example/{i}", entities=[*names, ECCG])])
        new = art(
            "New text about ECCG.", "https://x.example/new", entities=[ECCG, ECCG_LONG, Entity("o3", "ORG", 1, "o3")]
        )
        assert unindexed_plans(s, lambda: s.add_batch([new])) == []  # the writer, inside its transaction
        assert unindexed_plans(s, lambda: s.search(entity="European Cybersecurity Certification Group")) == []
        assert unindexed_plans(s, lambda: s.search("text", entity="o3")) == []
        assert unindexed_plans(s, lambda: s.entity("ECCG")) == []
        # the rewritten lookups still merge by key and by alias
        assert [h.url for h in s.search(entity="o3")][-1] == "https://x.example/0"
        assert s.db.execute("SELECT COUNT(*) FROM entities WHERE label = 'ORG'").fetchone()[0] == 35


def test_the_same_text_from_a_file_and_from_its_url_is_one_row_with_both_sources(tmp_path):
    text = "France asked for a legal opinion on EUCS. The vote on the scheme slipped to June."
    saved = art(text, None)
    saved.source = "saved/eucs.html"
    fetched = art(text.replace(" on ", "  on\n"), "https://x.example/eucs", entities=[ECCG])  # same once normalized
    with Store(tmp_path / "i.db") as s:
        (article_id,) = s.add_batch([saved])
        assert s.add_batch([fetched]) == [None] and s.add_batch([fetched]) == [None]
        assert s.count() == 1 and len(s.search("EUCS")) == 1 and [b.id for b in s.latest()] == [article_id]
        shown = s.get(article_id)
        assert shown.source == "saved/eucs.html" and shown.aliases == ["https://x.example/eucs"]
        assert shown.as_dict()["aliases"] == ["https://x.example/eucs"]  # `show --format json`
        assert shown.content_hash == fetched.content_hash
        # a feed's link to that address is the stored article (the digest reuses it, no second row)
        found = s.find_by_url("https://x.example/eucs")
        assert found is not None and found.source == "saved/eucs.html"
        # a new text at that address is its next version, as before
        changed = art(text + " It may slip again.", "https://x.example/eucs")
        (new_id,) = s.add_batch([changed])
        assert s.count() == 2 and s.get(new_id).aliases == []
        assert [r[0] for r in s.db.execute("SELECT version FROM articles ORDER BY id")] == [1, 2]
        found = s.find_by_url("https://x.example/eucs")
        assert found is not None and found.content_hash == changed.content_hash


def old_hash(text: str, url: str | None) -> str:
    """The key the index used up to schema v7: the normalized text plus the URL."""
    import hashlib

    from pipeline.document import normalize_text

    return hashlib.sha256(normalize_text(text).encode() + b"\0" + (url or "").encode()).hexdigest()


def v7_index(path) -> sqlite3.Connection:
    """An index as newsbrief left it at schema v7 (the URL in the content hash)."""
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:7]:
        assert isinstance(script, str)
        db.executescript(script)
    db.execute("PRAGMA user_version = 7")
    return db


def v7_row(db: sqlite3.Connection, a: Article, added: str) -> int:
    cur = db.execute(
        "INSERT INTO articles (content_hash, url, source, title, tldr, summary, body, model, brief, added_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?)",
        (old_hash(a.text, a.url), a.url, a.source, a.title, a.tldr_text, a.text, a.text,
         __import__("json").dumps(a.as_dict()), added),
    )  # fmt: skip
    article_id = int(cur.lastrowid or 0)
    for e in a.entities:
        db.execute(
            "INSERT OR IGNORE INTO entities (key, label, name) VALUES (?, ?, ?)",
            (e.canonical.lower(), e.label, e.canonical),
        )
        (entity_id,) = db.execute("SELECT id FROM entities WHERE key = ?", (e.canonical.lower(),)).fetchone()
        db.execute("INSERT INTO article_entities VALUES (?, ?, ?)", (article_id, entity_id, e.count))
    return article_id


def v7_story(db: sqlite3.Connection, members: list[int], brief: dict | None = None) -> int:
    cur = db.execute(
        "INSERT INTO stories (title, first_seen, last_seen, size, vector, profile, cves, brief)"
        " VALUES ('Story', '2026-12-01', '2026-12-02', ?, x'', '{}', '[]', ?)",
        (len(members), None if brief is None else __import__("json").dumps(brief)),
    )
    story_id = int(cur.lastrowid or 0)
    db.executemany("INSERT INTO story_articles VALUES (?, ?, 1.0)", [(m, story_id) for m in members])
    return story_id


def test_the_migration_merges_rows_of_one_text_with_their_stories_and_entities(tmp_path):
    import json

    from pipeline.document import content_hash

    text_a = "France asked the ECCG for a legal opinion on EUCS. The vote on the scheme slipped to June."
    text_b = "The ECCG will meet again in June, after the legal opinion on EUCS."
    path = tmp_path / "old.db"
    db = v7_index(path)
    saved = v7_row(db, art(text_a, None, entities=[ECCG]), "2026-12-01T08:00:00")
    fetched = v7_row(db, art(text_a, "https://x.example/a", entities=[ECCG]), "2026-12-01T09:00:00")
    other = v7_row(db, art(text_b, "https://y.example/b", entities=[ECCG]), "2026-12-01T10:00:00")
    copy = v7_row(db, art(text_b + " ", "https://z.example/b", entities=[ECCG]), "2026-12-02T10:00:00")
    brief = {"title": "Story", "sources": [{"url": None, "article_id": saved}, {"url": "https://x.example/a",
             "article_id": fetched}, {"url": "https://y.example/b", "article_id": other}]}  # fmt: skip
    story = v7_story(db, [saved, fetched, other], brief)  # 3 reports, once shown as "3 articles"
    alone = v7_story(db, [copy])  # a copy grouped on its own: nothing left of it once merged
    db.commit()
    db.close()
    with Store(path, readonly=True) as s:  # a reader (show, serve) reads it as it is, and never migrates it
        assert s.get(saved).title == "Title" and s.get(saved).aliases == [] and s.count() == 4
        assert s.db.execute("PRAGMA user_version").fetchone()[0] == 7
    with Store(path) as s:
        assert s.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [r[0] for r in s.db.execute("SELECT id FROM articles ORDER BY id")] == [saved, other]  # the oldest stay
        assert s.get(saved).aliases == ["https://x.example/a"] and s.get(other).aliases == ["https://z.example/b"]
        assert s.get(saved).content_hash == content_hash(text_a)
        assert s.placed([content_hash(text_a)])[content_hash(text_a)] == (saved, "2026-12-01T08:00:00", story)
        brief_hash = json.loads(s.db.execute("SELECT brief FROM articles WHERE id = ?", (other,)).fetchone()[0])
        assert brief_hash["content_hash"] == content_hash(text_b)
        # one story membership each; the story's size follows; the copy's own story is gone
        assert [tuple(r) for r in s.db.execute("SELECT article_id, story_id FROM story_articles ORDER BY 1")] == [
            (saved, story), (other, story)
        ]  # fmt: skip
        [listed] = s.stories("2000-01-01")
        assert listed["id"] == story and listed["size"] == 2 and len(listed["articles"]) == 2
        assert [src["article_id"] for src in listed["brief"]["sources"]] == [saved, saved, other]
        with pytest.raises(NoSuchArticle):
            s.story(alone)
        # entity counts are the two articles', not the four rows'
        [row] = s.entities(label="org")
        assert (row["articles"], row["mentions"]) == (2, 4)
        # the full-text index follows the rows: one hit per article, and it checks out
        assert sorted(h.id for h in s.search("legal opinion")) == [saved, other]
        assert len(s.search("slipped")) == 1
        s.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        # and the same text arriving again from either source adds nothing
        assert s.add_batch([art(text_a, "https://x.example/a")]) == [None] and s.count() == 2
    with Store(path) as s:  # applied once
        assert s.count() == 2 and s.get(saved).aliases == ["https://x.example/a"]


def test_show_and_the_reader_name_an_articles_other_sources(tmp_path):
    pytest.importorskip("starlette")
    import json

    from starlette.testclient import TestClient

    from pipeline.serve import create_app

    text = "France asked for a legal opinion on EUCS. The vote on the scheme slipped to June."
    path = tmp_path / "i.db"
    with Store(path) as s:
        (article_id,) = s.add_batch([art(text, None)])
        s.add_batch([art(text, "https://x.example/eucs?a=1&b=<2>")])
    r = CliRunner().invoke(main, ["show", "--format", "json", "--db", str(path), str(article_id)])
    assert r.exit_code == 0 and json.loads(r.stdout)["aliases"] == ["https://x.example/eucs?a=1&b=<2>"]
    client = TestClient(create_app(path), base_url="http://127.0.0.1:8750")
    page = client.get(f"/article/{article_id}")
    assert page.status_code == 200 and "Also read from: https://x.example/eucs?a=1&amp;b=&lt;2&gt;" in page.text
    assert client.get(f"/article/{article_id}?format=json").json()["aliases"] == ["https://x.example/eucs?a=1&b=<2>"]


def v8_index(path) -> sqlite3.Connection:
    """An index as newsbrief left it at schema v8 (a feed item's refusal kept without its reason)."""
    db = v7_index(path)
    step = MIGRATIONS[7]
    assert callable(step)
    step(db)
    db.execute("PRAGMA user_version = 8")
    return db


def test_feed_items_refused_before_reasons_were_kept_are_read_once_more(site, tmp_path, fake_models):  # noqa: F811
    """Up to v8 the digest remembered every refusal as 'failed', nothing more: a Chinese article
    refused as a teaser page (its words were counted by spaces) was never read again once that was
    fixed. v9 has each such item read once more; one that fails again is remembered with its reason."""
    from test_extract import CHINESE

    base, routes = site
    zh = "<html lang='zh'><head><title>云服务认证方案草案</title></head><body><article>"
    routes["/zh"] = html(f"{zh}<p>{CHINESE}</p><p>{CHINESE}</p></article></body></html>".encode())
    routes["/gone"] = (410, "text/html", b"gone for good", 0.0)
    routes["/new"] = html(page("EU delays cloud certification vote", "EUCS"))
    feed = f"{base}/feed.xml"
    # both refused two days ago: older than --since, and still listed by the feed
    routes["/feed.xml"] = xml(rss([("zh", f"{base}/zh", 48), ("Gone", f"{base}/gone", 48), ("New", f"{base}/new", 1)]))
    feeds, out, path = tmp_path / "feeds.txt", tmp_path / "d.md", tmp_path / "i.db"
    feeds.write_text(f"{feed}\n")
    db = v8_index(path)
    db.executemany(
        "INSERT INTO feed_items (url, feed, status, first_seen) VALUES (?, ?, 'failed', '2026-12-05T06:00:00')",
        [(f"{base}/zh", feed), (f"{base}/gone", feed)],
    )
    db.commit()
    db.close()
    args = ["digest", "--feeds", str(feeds), "--since", "24h", "--out", str(out), "--db", str(path)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "云服务认证方案草案" in text and "EU delays cloud certification vote" in text
    assert "## Failures" not in text and "410" not in r.stderr  # the digest that refused it listed it
    assert routes.hits["/zh"] == 1 and routes.hits["/gone"] == 1
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {r[0]: (r[1], r[2]) for r in con.execute("SELECT url, status, reason FROM feed_items")} == {
        f"{base}/zh": ("ok", None),
        f"{base}/gone": ("failed", "http_error"),  # refused again: now with its reason
        f"{base}/new": ("ok", None),
    }
    con.close()
    with Store(path) as s:
        assert s.find_by_url(f"{base}/zh") is not None and s.count() == 2
    r = CliRunner().invoke(main, args)  # once more, not every night
    assert r.exit_code == 0 and "left as it was" in r.stderr, r.output
    assert routes.hits["/zh"] == 1 and routes.hits["/gone"] == 1
