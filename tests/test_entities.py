import pytest
from conftest import SEED
from fakes import rule_tagger

from pipeline.document import Article
from pipeline.entities import Mention, aggregate, best_long_form, canonical, find_definitions


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "The European Cybersecurity Certification Group (ECCG) met.",
            {"ECCG": "European Cybersecurity Certification Group"},
        ),
        (
            "the Cybersecurity and Infrastructure Security Agency (CISA) said",
            {"CISA": "Cybersecurity and Infrastructure Security Agency"},
        ),
        ("ENISA (European Union Agency for Cybersecurity) said", {}),  # letters do not match in order
        ("Results (2024) were good and (see above)", {}),
        (
            "They use NIST (National Institute of Standards and Technology) rules",
            {"NIST": "National Institute of Standards and Technology"},
        ),
    ],
)
def test_schwartz_hearst_definitions(text, expected):
    assert find_definitions(text) == expected


def test_best_long_form_needs_word_initial_first_letter():
    assert best_long_form("HMM", "a hidden Markov model") == "hidden Markov model"
    assert best_long_form("XYZ", "nothing to see") is None


@pytest.mark.parametrize(
    "raw, canon",
    [("  the  European Commission ", "European Commission"), ("France's", "France"), ("Microsoft’s", "Microsoft")],
)
def test_canonical(raw, canon):
    assert canonical(raw) == canon


def test_aggregate_merges_acronym_and_long_form_and_counts():
    ms = [
        Mention("ECCG", "ORG", 0, 4, "rule"),
        Mention("The European Cybersecurity Certification Group", "ORG", 10, 50, "ner"),
        Mention("ECCG", "ORG", 60, 64, "rule"),
        Mention("France", "GPE", 70, 76, "ner"),
        Mention("France's", "GPE", 80, 88, "ner"),
        Mention("April", "DATE", 90, 95, "ner"),
    ]
    ents = aggregate(ms, {"ECCG": "European Cybersecurity Certification Group"}, ["ORG", "GPE"])
    by = {e.canonical: e for e in ents}
    assert set(by) == {"ECCG", "France"}  # DATE filtered by label
    assert by["ECCG"].count == 3 and by["ECCG"].long_form == "European Cybersecurity Certification Group"
    assert by["France"].count == 2
    assert ents[0].canonical == "ECCG"  # most mentioned first


def test_rules_tag_acronyms_and_cves_but_not_headlines_or_stopwords():
    tagger = rule_tagger()
    [ms] = tagger.spans_batch(
        ["CISA and the CEO discussed CVE-2024-3094 and SecNumCloud.\nWORLD CUP SKIING RESULTS FROM TIGNES"]
    )
    got = {(m.text, m.label) for m in ms}
    assert ("CISA", "ORG") in got and ("CVE-2024-3094", "CVE") in got and ("SecNumCloud", "PRODUCT") in got
    assert not {t for t, _ in got} & {"CEO", "WORLD", "CUP", "TIGNES"}


@pytest.mark.models
def test_real_ner_on_seed_article(settings):
    from pipeline.entities import EntityTagger
    from pipeline.extract import extract
    from pipeline.policy import Policy
    from pipeline.sources import read_file

    a = extract(read_file(SEED, Policy.trusted(settings)), settings)
    EntityTagger.load(settings).tag_batch([a])
    by = {e.canonical: e for e in a.entities}
    assert {"France", "ENISA", "ECCG", "EUCS", "SecNumCloud"} <= set(by)
    assert by["ECCG"].long_form == "European Cybersecurity Certification Group"
    assert by["France"].label == "GPE"
    assert a.model["ner"].startswith("en-core-web-sm")


@pytest.mark.models
def test_real_ner_on_non_english_keeps_only_rules(settings):
    from pipeline.entities import EntityTagger

    a = Article(
        source="x", text="Das Bundesamt für Sicherheit in der Informationstechnik (BSI) warnt Betreiber.", language="de"
    )
    EntityTagger.load(settings).tag_batch([a])
    assert [e.canonical for e in a.entities] == ["BSI"]
    assert "rules only" in a.model["ner"]


def test_long_texts_are_tagged_in_pieces_with_exact_offsets():
    from pipeline.entities import split_pieces

    para = "Officials at ENISA said CVE-2024-3094 was patched. " * 30
    text = "\n".join([para] * 40) + " " + "word " * 6000  # many lines, then one very long line
    pieces = split_pieces(text, size=5000)
    assert "".join(p for p, _ in pieces) == text and all(len(p) <= 5000 for p, _ in pieces)
    assert all(text[o : o + len(p)] == p for p, o in pieces)
    whole = rule_tagger().spans_batch([text[:4000]])[0]  # fits in one piece
    split = rule_tagger().spans_batch([text])[0]
    assert [(m.text, m.start) for m in split[: len(whole)]] == [(m.text, m.start) for m in whole]
    assert all(text[m.start : m.end] == m.text for m in split)
    assert sum(m.text == "ENISA" for m in split) == 30 * 40


def test_a_person_named_short_after_the_full_name_is_one_entity_unless_two_share_the_name():
    def people(*names: str) -> list[Mention]:
        return [Mention(n, "PERSON", i * 20, i * 20 + len(n), "ner") for i, n in enumerate(names)]

    ents = aggregate(people("Bettie Page", "Page", "Page", "Hugh Hefner", "Bettie"), {}, ["PERSON"])
    by = {e.canonical: e for e in ents}
    assert set(by) == {"Bettie Page", "Hugh Hefner", "Bettie"}  # a first name is left alone
    # counted, but no alias: in the index another article's "Page" is not filed under her
    assert by["Bettie Page"].count == 3 and by["Bettie Page"].aliases == []
    # two people of one family: "Gomes" alone could be either, so it stays apart
    ents = aggregate(people("Catherine Gomes", "Gary Gomes", "Gomes"), {}, ["PERSON"])
    assert {e.canonical for e in ents} == {"Catherine Gomes", "Gary Gomes", "Gomes"}
    # a place that shares a word with a person is not merged into the person
    ents = aggregate(people("Paris Hilton") + [Mention("Paris", "GPE", 50, 55, "ner")], {}, ["PERSON", "GPE"])
    assert {e.canonical for e in ents} == {"Paris Hilton", "Paris"}


def spans(text: str, tagged: list[tuple[str, str]]) -> list[Mention]:
    """``mentions_of`` on a doc whose entities are set by hand, as a statistical model might tag
    them (each surface at its first place in ``text``)."""
    import spacy

    from pipeline.entities import mentions_of

    doc = spacy.blank("en")(text)
    ents = []
    for surface, label in tagged:
        start = text.index(surface)
        span = doc.char_span(start, start + len(surface), label=label)
        assert span is not None, surface
        ents.append(span)
    doc.ents = ents
    return mentions_of(doc)


def test_spans_that_are_no_name_are_dropped():
    # each seen in briefs of unseen articles or in the labelled dev briefs (entity-junk-labels.jsonl)
    text = (
        "Subject: budget\nPLAYERS READ THIS. The players said marijuana is legal, the MP said. He paid "
        "HMRC).An appeal followed. Follow @BBCNewsbeat now. An Ebola virus case was found in file "
        "3f2a9c81d0e4. Locke when Ross County won."
    )
    tagged = [
        ("Subject", "PERSON"),  # a form label
        ("PLAYERS", "ORG"),  # an English word in capitals: the text writes "players"
        ("READ", "ORG"),  # kept: not a stop word, and the text never writes "read"
        ("marijuana", "GPE"),  # no capital letter
        ("MP", "ORG"),  # a capitalised abbreviation of the stoplist
        ("HMRC).An", "ORG"),  # two sentences glued
        ("@BBCNewsbeat", "ORG"),  # a handle
        ("Ebola", "GPE"),  # a disease
        ("3f2a9c81d0e4", "ORG"),  # an identifier
        ("Locke when Ross County", "ORG"),  # run on past the name
    ]
    got = [m.text for m in spans(text, tagged)]
    assert got == ["READ"]  # a word in capitals the text never writes otherwise may be an acronym


def test_names_like_the_junk_are_kept():
    text = "The US told us that NASA and the Bank of England met Ludwig van Beethoven on a 787 in Salahuddin province."
    tagged = [
        ("US", "GPE"),  # an acronym that is a word ("us")
        ("NASA", "ORG"),
        ("Bank of England", "ORG"),
        ("Ludwig van Beethoven", "PERSON"),
        ("787", "PRODUCT"),
        ("Salahuddin province", "GPE"),
    ]
    assert [m.text for m in spans(text, tagged)] == [s for s, _ in tagged]
    # an acronym whose lower-case form is only a piece of a web address, spaced out or not
    for address in ("www.usgs.gov", "www. earthquake. usgs. gov"):
        text = f"The USGS measured the quake, details at {address} now."
        assert [m.text for m in spans(text, [("USGS", "ORG")])] == ["USGS"], address


def test_a_span_run_on_past_its_name_is_cut_back_with_exact_offsets():
    text = "Hackers of Cyber Berkut and others wrote to the federal Bureau of Reclamation (BR today."
    got = spans(text, [("Cyber Berkut and", "ORG"), ("the federal Bureau of Reclamation (BR", "ORG")])
    assert [m.text for m in got] == ["Cyber Berkut", "Bureau of Reclamation"]
    assert all(text[m.start : m.end] == m.text for m in got)


def test_the_articles_own_id_is_no_entity():
    from pipeline.entities import own_ids

    a = Article(source="inbox/X7Q9.eml", url="https://example.org/news/X7Q9", text="Ref X7Q9: ENISA said so.")
    assert own_ids(a) == {"x7q9"}
    rule_tagger().tag_batch([a])
    assert [e.canonical for e in a.entities] == ["ENISA"]


def test_a_title_and_surname_is_the_person_named_in_full():
    def people(*names: str) -> list[Mention]:
        return [Mention(n, "PERSON", i * 20, i * 20 + len(n), "ner") for i, n in enumerate(names)]

    ents = aggregate(people("Leon Yeaman", "Mr Yeaman", "Yeaman", "Mrs May"), {}, ["PERSON"])
    assert {e.canonical: e.count for e in ents} == {"Leon Yeaman": 3, "Mrs May": 1}
    assert ents[0].aliases == []  # a surname is no alias
    # a full name the model tagged ORG still counts: "Prof Ruggles" could be either Ruggles
    ms = people("Alice Ruggles", "Prof Ruggles") + [Mention("Clive Ruggles", "ORG", 90, 103, "ner")]
    got = {e.canonical for e in aggregate(ms, {}, ["PERSON", "ORG"])}
    assert got == {"Alice Ruggles", "Prof Ruggles", "Clive Ruggles"}
    # no full name: the one titled name is the person ("Lord Coe" … "Coe said")
    ents = aggregate(people("Lord Coe", "Coe", "Coe"), {}, ["PERSON"])
    assert {e.canonical: e.count for e in ents} == {"Lord Coe": 3}
