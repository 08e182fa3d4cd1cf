"""Faithfulness gate, provenance and chunking: pure code, no model."""

from __future__ import annotations

import string
from dataclasses import dataclass, field

import pytest
from fakes import finalize
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipeline.document import Article
from pipeline.summarizers.chunking import chunk
from pipeline.summarizers.gate import Gate, Source, problems, unsupported
from pipeline.text import split_sentences

TEXT = (
    "France has asked for a legal opinion on EUCS, the cloud certification scheme.\n"
    "The European Cybersecurity Certification Group (ECCG) has negotiated it for three years. "
    "ENISA published a draft in March that dropped the sovereignty rules.\n"
    "A diplomat said 1,200 providers could be affected and that CVE-2024-3094 was unrelated."
)
ART = Article(source="t", title="France and EUCS", text=TEXT)


def test_supported_claims_pass_in_any_case_or_spelling():
    src = Source.of(TEXT)
    assert unsupported("ENISA's draft dropped the sovereignty rules in March.", src) == []
    assert unsupported("About 1200 providers could be affected, a diplomat said.", src) == []
    assert unsupported("The ECCG worked on it for 3 years.", src) == []  # "three" in the source
    assert unsupported("On Tuesday France acted.", src) == ["On Tuesday France"]  # Tuesday is not in it


def test_invented_names_numbers_and_ids_are_caught():
    src = Source.of(TEXT)
    assert unsupported("The European Cloud Security Group met.", src) == ["The European Cloud Security Group"]
    assert unsupported("About 1,300 providers are affected.", src) == ["1,300"]
    assert unsupported("It is unrelated to CVE-2024-9999.", src) == ["CVE-2024-9999"]
    assert unsupported("Germany objected to the draft.", src) == ["Germany"]


def test_gate_removes_an_invented_parenthetical_and_keeps_the_rest():
    res = finalize(ART, ["France asked for a legal opinion on EUCS (European Union Cloud Scheme)."], [], 1.0)
    assert res.tldr[0].text == "France asked for a legal opinion on EUCS."
    assert res.gated[0]["action"] == "removed"
    assert res.gated[0]["unsupported"] == ["European Union Cloud Scheme"]


def test_gate_falls_back_to_the_best_supporting_source_sentence():
    res = finalize(
        ART, ["France asked for a legal opinion."], [["Germany said ENISA published a draft in March."]], 1.0
    )
    kept = res.paragraphs[0][0]
    assert kept.text == "ENISA published a draft in March that dropped the sovereignty rules."
    assert TEXT[kept.support[0][0] : kept.support[0][1]] == kept.text
    assert [g["action"] for g in res.gated] == ["replaced"]


CAPTIONS = (  # photo captions the page glued into one 70-word "sentence"
    "Sale: ENISA published a draft in March Cabinets: a pair of early Victorian cabinets made in Lancaster "
    "which are set to fetch up to 4,000 euros at the auction on Saturday Portrait: a painting of the agency's "
    "director holding a longbow, reflecting an interest in medieval history One of the most unusual items in "
    "the auction is a diorama of a battle with thousands of model soldiers and horses"
)
RUN_ON = Article(source="t", text="France asked for a legal opinion on EUCS.\n" + CAPTIONS + "\n")


def test_a_run_on_support_sentence_is_never_pasted_into_the_summary():
    res = finalize(RUN_ON, [], [["Germany said ENISA published a draft in March."]], 1.0)
    assert all(CAPTIONS not in s.text for p in res.paragraphs for s in p)
    assert "dropped (support sentence: caption)" in [g["action"] for g in res.gated]


COLUMN = Article(
    source="t",
    text=(
        "The critic AA Gill died on Saturday at the age of 62, weeks after he wrote about his cancer.\n"
        'Writing about his illness in November, Gill had said he had "an embarrassment of cancer, the full English."\n'
        "There is barely a morsel of offal not included. I have a trucker's gut-buster, a meaty malignancy.\"\n"
        "Writers and broadcasters paid tribute to him on Saturday evening.\n"
    ),
)


def test_a_copied_line_of_someones_quotation_is_not_said_in_the_briefs_voice():
    # the third paragraph is Gill's words (its opening mark was lost): copied without a quote
    # mark or a speaker, the brief would say it itself
    res = finalize(COLUMN, ["AA Gill died on Saturday at the age of 62."],
                   [["There is barely a morsel of offal not included.",
                     "Writers and broadcasters paid tribute to him on Saturday evening."]], 1.0)  # fmt: skip
    kept = [s.text for p in res.paragraphs for s in p]
    assert kept == ["Writers and broadcasters paid tribute to him on Saturday evening."], res.gated
    assert {"text": "There is barely a morsel of offal not included.", "unsupported": ["(quote without speaker)"],
            "action": "dropped (support sentence: quote without speaker)"} in res.gated  # fmt: skip
    # the same words with their speaker are his, and kept
    said = "Gill wrote that there is barely a morsel of offal not included."
    res = finalize(COLUMN, ["AA Gill died on Saturday at the age of 62."], [[said]], 1.0)
    assert [s.text for p in res.paragraphs for s in p] == [said]


@dataclass
class Verdict:
    supported: bool
    reason: str = ""
    detail: str = ""
    sources: list[tuple[int, int]] = field(default_factory=list)
    mended: str | None = None


class WrongRoles:
    """A relation checker that finds every sentence mentioning ENISA wrong, with its support."""

    def check(self, text: str, sentences: list[str], headline: str = "") -> list[Verdict]:
        at = text.find(CAPTIONS if CAPTIONS in text else "ENISA published")
        end = text.find("\n", at)
        return [
            Verdict(False, "roles", "who did what", [(at, end)]) if "ENISA" in s else Verdict(True) for s in sentences
        ]


def test_a_relation_error_with_a_run_on_support_is_dropped_and_a_readable_one_replaced():
    tldr, paras = ["ENISA drafted the EUCS scheme in March."], [["France asked for a legal opinion on EUCS."]]
    res = finalize(RUN_ON, tldr, paras, 1.0, relations=WrongRoles())
    assert [s.text for s in res.tldr] == ["France asked for a legal opinion on EUCS."]  # the lead, not the captions
    assert [g["action"] for g in res.gated][:2] == ["dropped (support sentence: caption)", "empty, used lead sentence"]
    res = finalize(ART, tldr, paras, 1.0, relations=WrongRoles())
    assert res.tldr[0].text == "ENISA published a draft in March that dropped the sovereignty rules."
    assert [g["action"] for g in res.gated] == ["replaced"]


def test_a_lost_tldr_is_the_lead_sentence_moved_up_from_the_summary_not_a_lesser_one():
    text = (
        "Gordon Brown has warned that the SNP wants a second referendum on independence.\n"
        "Mr Brown was speaking at a joint event with Douglas Alexander at Elderslie Village Hall.\n"
        "He also said that Labour will hold an economic summit after the General Election."
    )
    lead, hall, summit = (s.text for s in split_sentences(text))
    res = finalize(Article(source="t", text=text), ["<|im_start|>"], [[lead, summit]], 1.0)
    assert [s.text for s in res.tldr] == [lead]
    assert [s.text for p in res.paragraphs for s in p] == [summit]  # said once, as the TLDR


def test_a_tldr_whose_pronoun_points_at_no_one_gives_way_to_a_sentence_that_names_them():
    text = (
        "If only he'll wear those gold lame pants.\n"
        "Hugh Jackman will host this year's Oscars, the academy said on Friday.\n"
        "Jackman has hosted the Tony Awards three times."
    )
    quip, news, tonys = (s.text for s in split_sentences(text))
    res = finalize(Article(source="t", text=text), [quip], [[tonys]], 1.0)
    assert [s.text for s in res.tldr] == [news]
    assert any(g["text"] == quip and "(does not read on its own)" in g["unsupported"] for g in res.gated)
    # a pronoun after a name reads on its own
    named = "If Jackman wears those gold lame pants, he will please the crowd."
    assert finalize(Article(source="t", text=text + "\n" + named), [named], [[tonys]], 1.0).tldr[0].text == named


def test_he_said_gets_the_speakers_name_when_the_brief_never_named_them():
    text = (
        "A fired accountant opened fire at his former office in Troy on Monday.\n"
        "LaCalamita had been fired last Thursday and bought a shotgun on Friday, Scherlinck said.\n"
        "He said police found an empty shell box in a dumpster outside the apartment.\n"
        "The two wounded managers were in a stable condition on Tuesday.\n"
        + " ".join(f"Witness number {n} told reporters the building was evacuated within minutes." for n in range(9))
    )
    lead, fired, box, managers = (s.text for s in split_sentences(text)[:4])
    cut = "LaCalamita had been fired last Thursday."
    res = finalize(Article(source="t", text=text), [lead], [[cut, box, managers]], 1.0)
    said = [s.text for p in res.paragraphs for s in p]
    assert "Scherlinck said police found an empty shell box in a dumpster outside the apartment." in said
    assert box not in said
    # once the brief has named him, "He" may stay
    named = finalize(Article(source="t", text=text), [lead], [[fired, box, managers]], 1.0)
    assert box in [s.text for p in named.paragraphs for s in p]


def test_a_lost_tldr_is_the_articles_opening_cut_to_fit_its_bound_not_background():
    text = (
        "Scientists on Monday unveiled the first global geological map of Saturn's moon Titan including vast plains "
        "and dunes of frozen organic material and lakes of liquid methane, illuminating an exotic world considered a "
        "strong candidate in the search for life beyond Earth.\n"
        "The map was based on radar, infrared and other data collected by NASA's Cassini spacecraft, which studied "
        "Saturn and its moons from 2004 to 2017.\n"
        "Titan is the Solar System's second-biggest moon behind Jupiter's Ganymede."
    )
    lede, data, size = (s.text for s in split_sentences(text))
    assert 35 < len(lede.split()) <= 50
    res = finalize(Article(source="t", text=text), ["The article reveals a map."], [[data, size]], 1.0, tldr_words=35)
    # the news, cut before its trailing clause to fit (not where the map's data came from)
    assert [s.text for s in res.tldr] == [lede.split(", illuminating")[0] + "."]
    assert text[slice(*res.tldr[0].support[0])] + "." == res.tldr[0].text
    spaced = text.replace("frozen organic", "frozen  organic")  # the page's spacing, as it was
    cut = finalize(Article(source="t", text=spaced), ["The article reveals a map."], [[data]], 1.0, tldr_words=35).tldr[
        0
    ]
    assert " ".join(spaced[slice(*cut.support[0])].split()) + "." == cut.text
    said = [s.text for p in res.paragraphs for s in p]
    assert said[0] == data and lede not in said  # (a short article: its summary is cut to fit)
    short = finalize(Article(source="t", text=text), ["The article reveals a map."], [[data, size]], 1.0, tldr_words=20)
    assert [s.text for s in short.tldr] == [size]  # no cut of the opening fits 20 words: the first that does


def test_a_tldr_may_tell_the_news_in_the_headlines_words():
    # the writer is shown the headline: its names, numbers and words are the page's own (a TLDR
    # of the headline's "4-1" was replaced by a coach's pre-game remark)
    text = (
        "Hours before Zach Parise's two-goal performance Tuesday, Wild coach Bruce Boudreau expressed "
        "confidence in the veteran winger, saying he always finds a way to start scoring.\n"
        "Parise scored in the first and third periods against the Sabres in Buffalo."
    )
    written = "Zach Parise scores twice as the Wild beat the Sabres 4-1."
    headed = Article(source="t", title="Zach Parise heating up, scores twice as Wild beat Sabres 4-1", text=text)
    assert [t.text for t in finalize(headed, [written], [], 1.0, support_check=True).tldr] == [written]
    bare = finalize(Article(source="t", text=text), [written], [], 1.0, support_check=True)
    assert [t.text for t in bare.tldr] != [written]  # "4-1" is nowhere else on the page


def test_the_headlines_words_ground_a_tldr_not_a_summary_sentence():
    src = Source.of("Pears, lemons and pectin are cooked for twenty minutes.", "Spiced honey pear jam, a holiday gift")
    sentence = "Spiced honey pear jam makes a holiday gift."
    assert problems(sentence, src, alone=True) == []  # a TLDR tells the headline's news
    assert problems(sentence, src) == ["(most of its words are not in the article)"]  # the summary tells the article's


@pytest.mark.parametrize(
    "lede",
    [
        "Orders for 120 new aircraft worth more than 15 billion dollars were placed over the past two years by the "
        "carrier with Airbus, Boeing and Bombardier before the collapse of the airline's finances this spring.",
        "City won the derby four goals to nil in front of a record crowd at the Etihad Stadium on Sunday afternoon, "
        "and the goals came from Aguero, Sterling and Silva in a second half the visitors will want to forget.",
    ],
)
def test_a_lede_is_never_cut_inside_a_list_of_names(lede):
    # cut at "Airbus," the TLDR would say the orders went to Airbus alone
    text = lede + "\nThe airline's chief executive resigned on Monday after a board meeting in the capital."
    res = finalize(Article(source="t", text=text), ["The article reveals a story."], [], 1.0, tldr_words=30)
    assert not any(t.text.endswith(("Airbus.", "Aguero.")) for t in res.tldr)


def test_a_summary_left_with_one_sentence_gets_the_next_new_lead_sentence():
    lead = "Gordon Brown has warned that the SNP wants a second referendum on independence."
    summit = "He also said that Labour will hold an economic summit after the General Election."
    filler = " ".join(
        f"Voters in district {i} will choose between {i + 2} candidates on polling day." for i in range(30)
    )
    text = f"{lead}\n{summit}\n{filler}"
    res = finalize(Article(source="t", text=text), [lead], [[summit.replace("He also", "Mr Brown")]], 1.0)
    said = [s.text for p in res.paragraphs for s in p]
    assert len(said) == 2 and said[1].startswith("Voters in district 0")  # the next sentence with news
    assert "added a lead sentence" in res.gated[-1]["action"]
    short = finalize(
        Article(source="t", text=f"{lead}\n{summit}\nVoters go to the polls in May."), [lead], [[summit]], 1.0
    )
    assert len([s for p in short.paragraphs for s in p]) == 1  # a short article may have a one-sentence summary


def test_provenance_points_at_the_supporting_sentences():
    tldr = ["ENISA dropped the sovereignty rules from its March draft."]
    res = finalize(ART, tldr, [["France asked for a legal opinion on EUCS."]], 1.0)
    (a, b), *_ = res.tldr[0].support
    assert "ENISA published a draft in March" in TEXT[a:b]
    assert not res.gated


def test_debris_and_empty_output_fall_back_to_the_lead():
    res = finalize(ART, ["<|im_start|>"], [["zz qq xx yy ww vv."]], 1.0)
    first = split_sentences(TEXT)[0]
    assert res.tldr[0].text == first.text
    assert res.paragraphs and all(s.support for p in res.paragraphs for s in p)
    assert {g["action"] for g in res.gated} >= {"dropped", "empty, used lead sentence"}


words = st.sampled_from(
    ["France", "Germany", "ENISA", "EUCS", "ECCG", "1,200", "1,300", "CVE-2024-3094", "CVE-2023-1", "March", "May"]
    + ["the", "scheme", "draft", "said", "cloud", "rules", "providers", "opinion"]
)


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.lists(words, min_size=3, max_size=14).map(lambda w: " ".join(w) + "."), min_size=1, max_size=6))
def test_nothing_unsupported_survives_the_gate(sentences):
    res = finalize(ART, sentences[:2], [sentences[2:]], 1.0)
    src = Source.of(TEXT)
    for s in [*res.tldr, *(s for p in res.paragraphs for s in p)]:
        assert unsupported(s.text, src) == []
        for a, b in s.support:
            assert 0 <= a < b <= len(TEXT)


def _words(texts):
    return [len(t.split()) for t in texts]


def test_chunks_respect_the_budget_cover_everything_in_order():
    text = " ".join(
        f"Sentence number {i} talks about {string.ascii_lowercase[i % 26] * (1 + i % 7)}." for i in range(200)
    )
    text += " " + " ".join(["word"] * 500) + "."  # one sentence longer than the budget
    sents = split_sentences(text)
    chunks = chunk(sents, _words, budget=60)
    assert all(c.tokens <= 60 and sum(_words([c.text])) <= 60 for c in chunks)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    joined = " ".join(c.text for c in chunks)
    assert joined.split() == text.split()  # nothing dropped, nothing repeated
    assert chunks[0].text.startswith("Sentence number 0") and text[chunks[0].start : chunks[0].end] == chunks[0].text


def test_chunk_count_grows_linearly_with_length():
    base = "The regulator published a new draft of the scheme today. "
    counts = [len(chunk(split_sentences(base * n), _words, budget=100)) for n in (50, 100, 200)]
    assert abs(counts[1] - 2 * counts[0]) <= 1 and abs(counts[2] - 2 * counts[1]) <= 1


def test_a_summary_emptied_by_the_relation_check_falls_back_to_readable_lead_sentences():
    res = finalize(ART, [], [["ENISA drafted the EUCS scheme in March."]], 1.0, relations=WrongRoles())
    assert res.paragraphs[0][0].text == "ENISA published a draft in March that dropped the sovereignty rules."
    res = finalize(RUN_ON, [], [["ENISA drafted the EUCS scheme in March."]], 1.0, relations=WrongRoles())
    assert res.gated[-1]["action"] == "summary empty after the gate (the TLDR is all the lead says)"
    # the only readable sentence became the TLDR: the summary does not say it a second time
    assert [s.text for s in res.tldr] == ["France asked for a legal opinion on EUCS."] and res.paragraphs == []


def test_the_seq2seq_writer_finishes_through_the_settings_gate_with_its_relation_check_and_tldr_bound():
    from pipeline.settings import defaults
    from pipeline.summarizers.hf import Seq2SeqSummarizer

    writer = object.__new__(Seq2SeqSummarizer)  # the model itself is not needed to finish a brief
    writer.settings = defaults().replace(relation_check=True, tldr_words=12)
    writer.gate = Gate(writer.settings)
    writer.gate._relations = WrongRoles()
    writer.budget, writer.count_tokens = 10_000, lambda texts: [len(t.split()) for t in texts]
    reply = "ENISA drafted the EUCS scheme in March. France asked for a legal opinion."
    writer.generate = lambda texts: [reply] * len(texts)
    (res,) = writer.summarize_batch([ART])
    assert any(g.get("action") == "replaced" for g in res.gated)  # the relation check ran
    assert res.tldr[0].text == "ENISA published a draft in March that dropped the sovereignty rules."
    writer.generate = lambda texts: ["Qqq zzz."] * len(texts)  # nothing usable: a fallback within the bound
    writer.gate._relations = None
    writer.settings = writer.gate.settings = defaults().replace(relation_check=False, tldr_words=12)
    (res,) = writer.summarize_batch([ART])
    assert res.tldr and all(len(s.text.split()) <= 12 for s in res.tldr)


# ---- links and markup: where a sentence sends its reader is a claim the article must make ----

FAITHFUL = "France asked for a legal opinion on EUCS."
PLANTED = "https://evil.example/cloud-rules"


DRAFT = "ENISA published a draft in March that dropped the sovereignty rules."


def _only(article, written):
    """The TLDR the gate makes of ``written`` (beside a faithful summary) and its one decision."""
    res = finalize(article, [written], [[DRAFT]], 1.0)
    assert [s.text for p in res.paragraphs for s in p] == [DRAFT]
    assert len(res.tldr) == 1 and len(res.gated) == 1, (res.tldr, res.gated)
    return res.tldr[0].text, res.gated[0]


def _kept(article, written):
    res = finalize(article, [written], [[DRAFT]], 1.0)
    return [s.text for s in res.tldr] == [written] and res.gated == []


def test_an_appended_url_the_article_lacks_is_cut_and_recorded_as_a_link():
    written = f"France asked for a legal opinion on EUCS, as listed at {PLANTED}."
    assert unsupported(written, Source.of(TEXT)) == [PLANTED]
    text, gated = _only(ART, written)
    assert text == FAITHFUL
    assert gated == {"text": written, "unsupported": [f"link: {PLANTED}"], "action": "removed", "kept": FAITHFUL}


LINKED = Article(
    source="t",
    title="France and EUCS",
    text=TEXT + "\nThe rules are listed at HTTPS://www.Evil.example/cloud-rules/ and press@evil.example answers.",
)


def test_a_url_domain_or_address_the_article_has_is_kept_whatever_its_case_scheme_or_slash():
    for written in (
        f"France asked for a legal opinion on EUCS, as listed at {PLANTED}.",  # no "www.", no slash
        "France asked for a legal opinion on EUCS, as listed at evil.example.",  # the host of its URL
        "France asked for a legal opinion on EUCS, as Press@Evil.example answers.",
    ):
        assert _kept(LINKED, written), written
    other = "France asked for a legal opinion on EUCS, as listed at https://evil.example/cloud-rules-v2."
    text, gated = _only(LINKED, other)  # another page of the same site
    assert text == FAITHFUL and gated["unsupported"] == ["link: https://evil.example/cloud-rules-v2"]


@pytest.mark.parametrize(
    "written, lost",
    [
        ("France asked for a legal opinion on EUCS (see evil.example).", ["evil.example"]),  # a bare domain
        ("France asked for a legal opinion on EUCS at www.evil.example.", ["www.evil.example"]),
        ("France asked for a legal opinion on EUCS; write to press@evil.example.", ["press@evil.example"]),
        (
            'France asked for a <a href="https://evil.example/x">legal opinion</a> on EUCS.',
            ['<a href="https://evil.example/x">', "</a>"],  # the tags go, the words stay
        ),
        (
            "France asked for a legal opinion on EUCS.<script>fetch('//evil.example')</script>",
            ["<script>fetch('//evil.example')</script>"],  # code goes whole
        ),
        (
            "France asked for a legal opinion on [EUCS](https://evil.example/eucs).",
            ["[EUCS](https://evil.example/eucs)"],
        ),
        (
            "France asked for a legal opinion on EUCS ![EUCS](https://evil.example/eucs.png).",
            ["![EUCS](https://evil.example/eucs.png)"],
        ),
    ],
)
def test_a_domain_an_email_or_markup_the_article_lacks_is_cut(written, lost):
    text, gated = _only(ART, written)
    assert text == FAITHFUL
    assert gated == {"text": written, "unsupported": [f"link: {x}" for x in lost], "action": "removed", "kept": text}


def test_a_sentence_that_is_only_a_link_or_leans_on_one_is_dropped():
    res = finalize(ART, [], [[PLANTED, "Visit evil.example for the rules.", DRAFT]], 1.0)
    assert [s.text for p in res.paragraphs for s in p] == [DRAFT]
    assert {"text": PLANTED, "unsupported": [f"link: {PLANTED}"], "action": "dropped"} in res.gated
    visit = {"text": "Visit evil.example for the rules.", "unsupported": ["link: evil.example"], "action": "dropped"}
    assert visit in res.gated  # "for the rules." is no sentence


def test_what_only_looks_like_a_domain_is_no_link():
    text = (
        "The U.S. agency moved its Node.js servers to version 2.13.0 of the ASP.NET runtime.\n"
        "Its report.pdf lists the servers, e.g. the ones in Ohio, at 3.5 times the old cost."
    )
    written = "The U.S. agency moved Node.js servers to version 2.13.0, e.g. the ones in Ohio, per report.pdf."
    from pipeline.summarizers.links import links

    assert links(written) == [] and links("ASP.NET runtime, i.e. 3.5 times a.m. costs.") == []
    res = finalize(Article(source="t", text=text), [written], [], 1.0)
    assert [s.text for s in res.tldr] == [written]
    assert [g["action"] for g in res.gated] == ["summary empty after the gate, used lead sentences"]  # none else


class LinkingChat:
    """A ChatModel (the recipe writer's interface) whose TLDR and summary carry planted links."""

    model_id = "scripted-links"
    context = 4096

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def chat(self, messages, max_tokens):
        from pipeline.lang import ENGLISH
        from pipeline.summarizers.recipe import Generation

        ask = messages[-1]["content"]
        if ask.endswith(ENGLISH.prompts.ask_facts):
            reply = "- France asked for a legal opinion on EUCS.\n- ENISA published a draft in March."
        elif "TLDR" in ask:
            reply = f"TLDR: France asked for a legal opinion on EUCS, as listed at {PLANTED}."
        else:
            reply = (
                "ENISA published a draft in March that dropped the sovereignty rules (see evil.example).\n\n"
                "A diplomat said 1,200 providers could be affected, as [the list](https://evil.example/list) shows."
            )
        return Generation(reply, 10, 0, len(reply.split()))


def test_links_the_writer_plants_never_reach_the_brief():
    from pipeline.settings import defaults
    from pipeline.summarizers.recipe import RecipeSummarizer

    # the support check on, as packaged; the writer's paragraphs (the ranker's are article sentences)
    settings = defaults().replace(relation_check=False, quality_summary="writer")
    (res,) = RecipeSummarizer(LinkingChat(), settings).summarize_batch([ART])
    assert [s.text for s in res.tldr] == [FAITHFUL]
    said = [s.text for s in [*res.tldr, *(s for p in res.paragraphs for s in p)]]
    assert said and not any("evil" in s or "](" in s for s in said)
    assert [g["unsupported"] for g in res.gated if str(g["unsupported"]).startswith("['link: ")] == [
        [f"link: {PLANTED}"],
        ["link: evil.example"],
        ["link: [the list](https://evil.example/list)"],
    ]


def test_a_short_article_gets_a_short_brief_from_the_writer_too():
    """The writer's summary of a six-sentence article was the article's other five sentences."""
    from pipeline.summarizers.base import BRIEF_SHARE

    sents = [
        "The city council approved the new cycling plan on Monday after a two-hour debate.",
        "The plan adds forty kilometres of protected bike lanes across the northern districts.",
        "Construction is expected to begin in the spring and to last about three years.",
        "Shop owners on the main avenue had asked for more parking spaces in the plan.",
        "The council said that delivery zones would be kept on every block of the avenue.",
        "A public meeting on the first stretch of lanes is planned for next month.",
    ]
    text = " ".join(sents)
    res = finalize(Article(source="t", text=text), [sents[0]], [sents[1:3], sents[3:]], 1.0)
    shown = [s.text for s in res.tldr] + [s.text for p in res.paragraphs for s in p]
    assert 2 <= len(shown) < len(sents) and shown[0] == sents[0]
    assert sum(len(s.split()) for s in shown[:-1]) <= BRIEF_SHARE * len(text.split())
    assert any(g["action"].startswith("summary cut to") for g in res.gated)
