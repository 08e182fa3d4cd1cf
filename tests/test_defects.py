"""Reader defects: for each class, real sentences (from the dev sets' CNN/DailyMail and BBC
articles and from briefs the writer produced) that show the defect, the detector finding it, and
the fix where the defect arises (segmentation, the furniture filter, the extractive selection,
the gate). No model here; the parser-based checks are in test_verify.py."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import finalize

from pipeline.defects import CLASSES, find, report
from pipeline.document import Article
from pipeline.summarizers.extractive import RankerOptions, prepare, select
from pipeline.summarizers.gate import reframe
from pipeline.text import is_caption, is_speech, problem, quote_marks, split_sentences, stands_alone, units


def kinds(tldr, summary, article="") -> set[str]:
    return {d.kind for d in find(tldr, summary, article)}


LEAD = "Blues legend B.B. King was hospitalized for dehydration, though the ailment didn't keep him out for long."
CLEAN = [
    "King's dehydration was caused by his Type II diabetes, his daughter told the Los Angeles Times.",
    "He was inducted into the Rock and Roll Hall of Fame in 1987, and has 30 Grammy nominations.",
]


def test_a_clean_brief_has_no_defect():
    assert find([LEAD], [CLEAN], "word " * 400) == []


# -- meta-openers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The article discusses the closure of 10 Army bases announced by the Ministry of Defence.",
        "This article describes how Mozart was portrayed as a punk by the orchestra.",
        "In this article, the author explains the new apprenticeship rules.",
        "The text highlights the risks of the new scheme for cloud providers.",
        # written after a connective, or with "it" for the article (a quality brief, 2026-11-30)
        "Finally, the article discusses drone technology being used at sea by the Pentagon.",
        "It also mentions the discovery of a new frog with similarities to Kermit the Frog.",
    ],
)
def test_meta_openers_are_found(sentence):
    assert kinds([LEAD], [[sentence, *CLEAN]]) == {"meta_opener"}
    assert reframe(sentence) is None  # the gate drops it


def test_the_gate_cuts_a_meta_frame_and_drops_a_sentence_that_only_talks_about_the_article():
    assert reframe("The article reports that France asked for a legal opinion.") == "France asked for a legal opinion."
    assert reframe("According to the article, ENISA published a draft in March.") == "ENISA published a draft in March."
    assert reframe("The article discusses the EUCS certification scheme.") is None
    assert reframe("The report found that 1,200 providers could be affected.") == (
        "The report found that 1,200 providers could be affected."  # a real report is news, not a frame
    )
    text = "France asked for a legal opinion on EUCS.\nENISA published a draft in March that dropped the rules."
    res = finalize(
        Article(source="t", text=text),
        ["The article reports that France asked for a legal opinion on EUCS."],
        [["The article discusses the EUCS scheme.", "ENISA published a draft in March."]],
        1.0,
    )
    assert [s.text for s in res.tldr] == ["France asked for a legal opinion on EUCS."]
    assert [s.text for p in res.paragraphs for s in p] == ["ENISA published a draft in March."]


# -- page furniture and captions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "(CNN)They may not be the most popular team, but the Mets have loyal fans across New York.",
        "Share this withEmailFacebookMessengerTwitterCopy this linkResearchers found the virus in 12 samples.",
        "Scroll down for video Flying high: Half of the 6,000-metre-long kite took to the sky last Saturday.",
        "Jamie Silvonek (left), 14, and Caleb Barnes, 20, were charged with the murder of her mother.",
        "Critical: A guard at the U.S. Census Bureau was shot and critically wounded on Thursday.",
        "Abase Hussen, left, took his daughter Amira, right, to a demonstration when she was 13.",
        "The video is at the top of this story.",
        "By Danny ShawBBC home affairs correspondentTheresa May's whole life tariff is welcomed by officers.",
    ],
)
def test_furniture_and_captions_are_found(sentence):
    assert "furniture" in kinds([LEAD], [[sentence, *CLEAN]])


def test_segmentation_cuts_glued_furniture_and_leaves_out_pure_furniture():
    text = (
        "(CNN)They may not be the most popular team in the league this year. Scroll down for video\n"
        "Share this withEmailFacebookMessengerTwitterCopy this linkResearchers found the virus in 12 samples.\n"
        "Media playback is not supported on this device\nAdvertisement"
    )
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "They may not be the most popular team in the league this year.",
        "Researchers found the virus in 12 samples.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sents)  # provenance still points into the text


@pytest.mark.parametrize(
    "sentence",
    [
        "The Associated Press (AP) reported that 12 people died in the flooding.",
        "Related charges were filed against two other men on Friday.",
        "Copyright lawyers say the ruling is narrow and will be appealed.",
        "Follow her advice and you will be fine, the coach told reporters.",
        "The reason was simple: Nobody wanted to pay for the new stadium.",
        "His message to voters: We will win this election in May.",
        "The Article 50 talks will begin in June, officials in Brussels said.",
        "The text of the bill was published on Monday by the committee.",
    ],
)
def test_prose_that_looks_like_furniture_is_kept(sentence):
    assert [s.text for s in split_sentences(sentence)] == [sentence]  # not cut, not left out
    assert not {"furniture", "meta_opener"} & kinds([LEAD], [[sentence, *CLEAN]])
    assert reframe(sentence) == sentence


def test_a_named_report_keeps_its_attribution_and_a_reframed_sentence_is_still_checked():
    assert reframe("The report says that unemployment rose to 5% in March.") == (
        "The report says that unemployment rose to 5% in March."
    )
    assert reframe("The article reports that unemployment rose.") == "Unemployment rose."
    text = "Unemployment rose to 5% in March, the report said.\nThe minister blamed the strikes."
    seen: list[list[str]] = []

    class Relations:  # what the gate asks of the relation checker
        def check(self, text, sentences, headline=""):
            seen.append(list(sentences))
            return [type("Verdict", (), {"supported": True, "reason": None})() for _ in sentences]

    finalize(Article(source="t", text=text), ["The article reports that unemployment rose to 5% in March."],
             [["The minister blamed the strikes."]], 1.0, relations=Relations())  # fmt: skip
    assert "Unemployment rose to 5% in March." in [s for batch in seen for s in batch]


def test_captions_are_recognised_and_never_chosen_by_fast_mode():
    assert is_caption("Jamie Silvonek (left), 14, was charged on Monday.")
    assert is_caption("Grim discovery: Street cleaners found the remains on Friday.")
    assert not is_caption("He said: 'Street cleaners found the remains on Friday.'")
    assert not is_caption("The minister, who spoke on Monday, left the room.")
    # a pull quote or a caption glued on with no full stop: after its closing mark, or before "For"
    assert is_caption("£64 a ticket' The cheapest tickets for the lunchtime kick-off were £64.")
    assert is_caption("Giroud chose 'Every Teardrop' as his track For instance, who would have guessed it?")
    assert not is_caption("He called the deal 'a disaster', and the board agreed.")
    assert is_caption("Uber hired a security chief to defend safety concerns There were three assaults.")
    assert not is_caption("They staged For Whom the Bell Tolls in May.")  # a title
    assert not is_caption("The Minister For the Environment said a campaign called Out There is for everyone.")
    art = Article(
        source="t",
        text=(
            "Police have charged two people over the death of a woman in Pennsylvania last week. "
            "Jamie Silvonek (left), 14, and Caleb Barnes, 20, appeared in court on Tuesday morning. "
            "The woman was found in a shallow grave near her home on Saturday. "
            "Investigators said the pair had planned the attack for weeks before it happened. "
            "The court will hear the case again in May, prosecutors said on Tuesday."
        ),
    )
    prep = prepare(art, RankerOptions(summary_words=60, tldr_words=35))
    assert all("(left)" not in u.text for u in prep.sentences)


# -- quote marks ---------------------------------------------------------------------------------


def test_stray_and_dangling_quote_marks_are_found():
    assert "quote_marks" in kinds([LEAD], [['The plane crashed in the French Alps last week. "', *CLEAN]]) | kinds(
        [LEAD], [[*CLEAN, "Pique told reporters. '"]]
    )
    assert "bad_ending" in kinds([LEAD], [[*CLEAN, "centre back Gerard Pique told reporters. '"]])
    assert "quote_marks" in kinds([LEAD], [["'We are proud to honor Alicia Keys for her artistry.", *CLEAN]])


def test_a_quote_mark_spaced_apart_closes_the_quotation_that_is_open():
    # tokenised text (ECB+): "informant 'Deep Throat, ' died" read as an unclosed quote kept the
    # obituary's lead sentence out of the brief
    spaced = "Mark Felt, who was known as the informant 'Deep Throat, ' died on Friday."
    assert quote_marks(spaced).stray == [] and quote_marks(spaced).spans == [(spaced.index("'"), spaced.index("' d"))]
    assert problem(spaced) is None
    assert quote_marks("He said ' no way.").spans == []  # nothing open: no quotation


def test_an_opening_quote_goes_with_the_sentence_it_opens():
    text = 'The plane crashed in the French Alps last week. "It was a tragedy," the minister said.'
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "The plane crashed in the French Alps last week.",
        '"It was a tragedy," the minister said.',
    ]
    assert [quote_marks(s.text).stray for s in sents] == [[], []]


def test_an_abbreviation_before_a_number_or_a_name_ends_no_sentence():
    # a real lead (ECB+ 29_10ecb): cut after "No." it became a TLDR that ends "…and the No."
    text = (
        "Keiwan Ratliff scored on a 35-yard interception return last night to give the Indianapolis Colts "
        "a 31-24 win over the Jacksonville Jaguars and the No. 5 seed position in the National Football League "
        "playoffs. Lt. Col. Mark Wright, a spokesman, said Sgt. Maj. Rice was not hurt. He said no. "
        "5 people were questioned. He was promoted to Sgt. The next day he quit. It was signed by John Smith Sr. "
        "Police said nothing."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Keiwan Ratliff scored on a 35-yard interception return last night to give the Indianapolis Colts "
        "a 31-24 win over the Jacksonville Jaguars and the No. 5 seed position in the National Football League "
        "playoffs.",
        "Lt. Col. Mark Wright, a spokesman, said Sgt. Maj. Rice was not hurt.",
        "He said no.",
        "5 people were questioned.",
        "He was promoted to Sgt.",
        "The next day he quit.",
        "It was signed by John Smith Sr.",  # "Sr." follows a name: a sentence may end on it
        "Police said nothing.",
    ]


def test_a_decimal_point_written_with_a_space_ends_no_sentence():
    # real ECB+ leads: cut at the point, briefs said "arrested at Millom Pier around 9." and
    # "6-magnitude earthquake rattled Northern California" of a 4.6 quake
    text = (
        "A 4. 6-magnitude earthquake rattled Northern California overnight. Jenkin was arrested around 9. 35am. "
        "The bail was $1. 25 million. The law passed in 2009. 35 people protested. Arsenal won 3-1. "
        "2 goals came late."
    )
    assert [s.text for s in split_sentences(text)] == [
        "A 4. 6-magnitude earthquake rattled Northern California overnight.",
        "Jenkin was arrested around 9. 35am.",
        "The bail was $1. 25 million.",
        "The law passed in 2009.",  # a year ends a sentence
        "35 people protested.",
        "Arsenal won 3-1.",  # so does a score
        "2 goals came late.",
    ]


def test_a_quote_is_split_from_its_speaker_only_by_mistake():
    text = "'We have arrested taxi driver Salim on a complaint filed on Saturday.' said the man. He was charged."
    assert [s.text for s in split_sentences(text)] == [
        "'We have arrested taxi driver Salim on a complaint filed on Saturday.' said the man.",
        "He was charged.",
    ]


def test_a_quotation_of_several_sentences_is_one_unit_with_its_speaker():
    text = (
        'The agency confirmed the leak on Monday. "He was struggling before, and he is a trouper," Moore said. '
        '"He wasn\'t going to let his fans down." The hospital declined to comment. '
        "He said: 'There is an SNP candidate here. She says vote SNP and get SNP MPs.' The poll closed at ten."
    )
    us = units(text, split_sentences(text))
    shown = [u.text for u in us]
    assert shown[1] == (
        '"He was struggling before, and he is a trouper," Moore said. "He wasn\'t going to let his fans down."'
    )
    assert "He said: 'There is an SNP candidate here. She says vote SNP and get SNP MPs.'" in shown
    assert all(u.problem is None for u in us)


def test_no_sentence_from_the_middle_of_a_long_quotation_is_shown_as_fact():
    said = " ".join(f"We will build {n} new schools." for n in ("two", "three", "four", "five", "six", "seven"))
    text = f'The minister spoke on Monday. He said: "{said}" The vote is on Friday.'
    us = units(text, split_sentences(text))
    assert [u.problem for u in us] == [None, "quote too long", None]  # one unit, to its closing mark


def test_a_quote_shifted_across_lines_gets_its_opening_mark_back():
    # BBC text as in the dev set: each quoted paragraph's opening mark ends the line before it
    text = (
        'This inspired a conviction that time should never be wasted."\n'
        'Life was so cheap in Vietnam. That is where my sense of urgency comes from," he said.\n'
        "During his training he excelled in research."
    )
    us = units(text, split_sentences(text))
    assert [u.text for u in us] == [
        "This inspired a conviction that time should never be wasted.",
        '"Life was so cheap in Vietnam. That is where my sense of urgency comes from," he said.',
        "During his training he excelled in research.",
    ]
    assert all(u.problem is None for u in us)


# -- quotes without their speaker ------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The last few months have been a crazy time and I don't think it has sunk in yet.",
        '"He wasn\'t going to let his fans down."',
        "We are in a fantastic position.",
        "If you think of the money spent on the i360 in Brighton, this building is already there.",
    ],
)
def test_speech_in_the_briefs_own_voice_is_found(sentence):
    assert is_speech(sentence)
    assert "quote_without_speaker" in kinds([LEAD], [[sentence, *CLEAN]])


@pytest.mark.parametrize(
    "sentence",
    [
        '"It was a crazy time," Wood told reporters after the race.',
        "The US said it would send 200 troops, according to a statement.",
        "Temperton's other hits included Off The Wall and Baby Be Mine for Jackson.",
        'The company called the report "inaccurate and misleading" on Monday.',
        "We are going to win the league, said Smith.",
    ],
)
def test_attributed_speech_and_ordinary_prose_pass(sentence):
    assert not is_speech(sentence)


@pytest.mark.parametrize(
    "sentence", ["I’ve got to say, I’m impressed!", "We’ve asked him to share some insights into the business."]
)
def test_a_reporting_verb_whose_speaker_is_the_first_person_names_no_one(sentence):
    assert is_speech(sentence)  # the writer's own gate reads it so (the reader-defect checker is apart)


@pytest.mark.parametrize(
    "sentence",
    [
        "World War I veterans said the memorial was long overdue.",  # a numeral, not the pronoun
        "Type I diabetes patients said the drug changed their lives.",
        "Experts we spoke to said the plan would fail.",  # the experts said it
    ],
)
def test_a_speaker_named_before_a_first_person_word_is_still_named(sentence):
    assert not is_speech(sentence)


def test_the_gate_puts_a_quote_back_with_its_speaker_or_drops_it():
    text = (
        "Wood won the 10,000m title in Portland on Sunday. "
        '"The last few months have been a crazy time," Wood said after the race. '
        '"I don\'t think it has sunk in yet."'
    )
    res = finalize(
        Article(source="t", text=text),
        ["Wood won the 10,000m title in Portland on Sunday."],
        [["The last few months have been a crazy time and I don't think it has sunk in yet."]],
        1.0,
    )
    shown = [s.text for p in res.paragraphs for s in p]
    assert shown == [
        '"The last few months have been a crazy time," Wood said after the race. "I don\'t think it has sunk in yet."'
    ]


# -- run-ons, loops, repetition -------------------------------------------------------------------

LOOP = (
    "GB will play Greece in London, Denmark in Patras, Greece, in Greece, in Greece, in Greece, in Greece, "
    "in Greece, in Greece."
)
RUN_ON = (
    "Former England rugby captain Mike Tindall and wife Zara Phillips at Aintree ahead of the Grand National "
    "Tindall celebrates after watching his horse Monbeg Dude finish third in the National Monbeg Dude is now 10 "
    "and, according to his jockey Liam Treadwell, likes to do things at his own pace but his owner was happy."
)


def test_loops_and_run_ons_are_found_and_the_gate_drops_them():
    assert "loop" in kinds([LEAD], [[LOOP, *CLEAN]])
    assert "run_on" in kinds([LEAD], [[RUN_ON, *CLEAN]])
    assert "loop" not in kinds([LEAD], [["The United States and the United Kingdom signed the deal.", *CLEAN]])
    long = ("He is part of the team in the 2015 series in the north after a season in the world and European "
            "kart championships, finishing second.")  # fmt: skip
    assert "loop" not in kinds([LEAD], [[long, *CLEAN]])  # "in the" four times is English, not a loop
    text = "GB will play Greece in London and Denmark in Patras, Greece.\nThe draw was made on Monday in Athens."
    res = finalize(Article(source="t", text=text), ["The draw was made on Monday in Athens."], [[LOOP]], 1.0)
    assert all(s.text != LOOP for p in res.paragraphs for s in p)
    assert any("repetition loop" in str(g["unsupported"]) for g in res.gated)


def test_repeats_are_found():
    assert "tldr_repeated" in kinds([LEAD], [[LEAD, *CLEAN]])
    assert "tldr_repeated" in kinds([LEAD], [[LEAD.replace("for long", "for very long"), *CLEAN]])
    assert "duplicate_sentence" in kinds([LEAD], [[CLEAN[0], CLEAN[1], CLEAN[0]]])


BADER = (
    "Bader – who lost his legs in a flying accident in 1931 – was shot down over France in August 1941 "
    "and ended up in a German prison camp in Warburg."
)
BADER_AGAIN = "He was shot down over France in August 1941 and ended up in a German prison camp in Warburg."
BREAKOUT = (
    "The officer was involved in a mass break-out that pre-dated the break in 1944 immortalised in The Great Escape."
)
LADDERS = "The ladders were made from wood from a wrecked hut and crafted in the camp's music room."


def test_a_tldr_said_again_in_other_words_is_found_and_dropped():
    # the summary's first sentence is the TLDR's second half: a reader reads the same thing twice
    assert "tldr_repeated" in kinds([BADER], [[BADER_AGAIN, BREAKOUT], [LADDERS]])
    # a sentence that shares the TLDR's subject but says something new is no repeat
    kept = "B.B. King was hospitalized for dehydration, though the ailment didn't keep him out for long."
    tldr = "B.B. King was hospitalized for dehydration, but he is much better."
    assert "tldr_repeated" not in kinds([tldr], [[kept, *CLEAN]])
    text = "\n".join([BADER, BREAKOUT, LADDERS, _news(8).text])  # long enough for a 3-sentence brief
    res = finalize(Article(source="t", text=text), [BADER], [[BADER_AGAIN, BREAKOUT], [LADDERS]], 1.0)
    assert [s.text for p in res.paragraphs for s in p] == [BREAKOUT, LADDERS]
    # ... but never down to a one-sentence summary
    res = finalize(Article(source="t", text=text), [BADER], [[BADER_AGAIN, LADDERS]], 1.0)
    assert [s.text for p in res.paragraphs for s in p] == [BADER_AGAIN, LADDERS]


def test_the_gate_never_repeats_the_tldr_in_the_summary():
    text = "France asked for a legal opinion on EUCS.\nENISA published a draft in March that dropped the rules."
    res = finalize(
        Article(source="t", text=text),
        ["France asked for a legal opinion on EUCS."],
        [["France asked for a legal opinion on EUCS.", "ENISA published a draft in March."]],
        1.0,
    )
    assert [s.text for p in res.paragraphs for s in p] == ["ENISA published a draft in March."]
    assert "dropped (repeats the TLDR)" in [g["action"] for g in res.gated]


def test_the_summary_does_not_quote_again_the_sentence_the_tldr_was_written_from():
    # a quality dev brief (CNN): the writer's TLDR, then its source sentence pasted as is
    buzz = (
        'Buzz has surrounded HBO\'s new documentary "Going Clear: Scientology and the Prison of Belief," '
        "but Scientologist John Travolta is not a fan."
    )
    member = "Travolta, a prominent member of the Church of Scientology, told the Tampa Bay Times he had not seen it."
    premiere = "The documentary, directed by Alex Gibney, premiered at the Sundance Film Festival in January."
    air = "HBO will air the film on March 29."
    tldr = (
        "John Travolta, a prominent member of the Church of Scientology, is not a fan of the HBO documentary "
        '"Going Clear: Scientology and the Prison of Belief."'
    )
    text = "\n".join([buzz, member, premiere, air, _news(8).text])  # long enough for a 4-sentence brief
    res = finalize(Article(source="t", text=text), [tldr], [[buzz, member], [premiere, air]], 1.0)
    assert [s.text for s in res.tldr] == [tldr]
    # the TLDR's source goes; a sentence the TLDR also borrows from, but was not written from, stays
    assert [s.text for p in res.paragraphs for s in p] == [member, premiere, air]
    assert {"text": buzz, "unsupported": [], "action": "dropped (repeats the TLDR)"} in res.gated
    # a summary the gate left with one sentence is filled up from the article, but not with it
    long = Article(source="t", text=text + "\n" + _news(30).text)
    res = finalize(long, [tldr], [[premiere]], 1.0)
    assert [s.text for p in res.paragraphs for s in p] == [member, premiere]


def _news(n: int) -> Article:
    topics = ["the budget", "the vote", "the court", "the strike", "the storm", "the election", "the deal"]
    body = " ".join(f"Officials in town number {i} said {topics[i % 7]} would be decided on day {i}." for i in range(n))
    return Article(source="x", text=body)


def test_fast_mode_never_repeats_the_tldr_or_a_sentence():
    art = _news(14)
    art.text += " " + art.text.split(". ")[0] + "."  # the page repeats its first sentence (a caption)
    prep = prepare(art, RankerOptions(summary_words=60, tldr_words=35))
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(len(prep.sentences), 8))
    emb[-1] = emb[0]  # the repeat embeds like the original
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    res = select(prep, emb, None, RankerOptions(summary_words=60, tldr_words=35))
    tldr, summary = [s.text for s in res.tldr], [[s.text for s in p] for p in res.paragraphs]
    assert summary and not {"tldr_repeated", "duplicate_sentence"} & kinds(tldr, summary)


def test_a_tldr_reads_on_its_own():
    assert not stands_alone("However, he added that he still had concerns about Apple's security system.")
    assert not stands_alone("But he appeared to have been targeted later, a spokesman said.")
    assert stands_alone("Apple has expanded its two-step verification checks to iCloud.")
    # a noun that refers back: the gate pasted this in as a quality TLDR (ECB+ 9_1ecbplus)
    assert not stands_alone("The action will restore an important check-and-balance system.")
    assert not stands_alone("The move comes after weeks of talks between the two companies.")
    assert stands_alone("The decision by the Supreme Court was unanimous.")
    assert stands_alone("The movement grew quickly across the country.")


# -- endings, fragments, short summaries ----------------------------------------------------------


def test_bad_endings_fragments_and_short_summaries_are_found():
    assert "bad_ending" in kinds([LEAD], [["King's dehydration was caused by his Type II diabetes, his daughter"]])
    assert "fragment" in kinds([LEAD], [["said the Russian world number nine, after the match.", *CLEAN]])
    assert "too_short" in kinds([LEAD], [[CLEAN[0]]], "word " * 400)
    assert "too_short" not in kinds([LEAD], [[CLEAN[0]]], "word " * 100)  # a short article may have a short brief


def test_report_counts_briefs_per_class_and_keeps_the_worst():
    briefs = [find([LEAD], [[LEAD, *CLEAN]], ""), find([LEAD], [CLEAN], ""), find([LEAD], [[LOOP]], "")]
    r = report(briefs, ["a", "b", "c"], examples=2)
    assert r["briefs"] == 3 and r["with_any"] == 2 and set(r["rate"]) == set(CLASSES)
    assert r["count"]["tldr_repeated"] == 1 and r["count"]["loop"] == 1
    assert [w["id"] for w in r["worst"]] == ["c", "a"] or [w["id"] for w in r["worst"]] == ["a", "c"]


def test_a_failed_tldr_falls_back_to_a_sentence_not_a_heading_or_a_fragment():
    text = (
        "Living under ISIS.\nSelling Girl Scout cookies.\n"
        "In the West, ISIS is widely known for its terrorist actions across Iraq and Syria.\n"
        "But for some communities, the group is the local governing authority, picking up garbage."
    )
    res = finalize(Article(source="t", text=text), ["The article discusses ISIS and cookies."], [], 1.0)
    assert [s.text for s in res.tldr] == [
        "In the West, ISIS is widely known for its terrorist actions across Iraq and Syria."
    ]
    assert all(len(s.text.split()) >= 6 for p in res.paragraphs for s in p)


class PointsAt:
    """A relation checker that finds every sentence wrong and points at one article sentence."""

    def __init__(self, target: str) -> None:
        self.target = target

    def check(self, text, sentences, headline=""):
        from pipeline.relations import Verdict

        at = text.find(self.target)
        return [Verdict(s, False, "roles", "who did what", [(at, at + len(self.target))]) for s in sentences]


def test_a_tldr_is_never_replaced_by_a_sentence_that_leans_on_the_one_before():
    text = (
        "The Yankees and the Red Sox are the most followed baseball teams in the country.\n"
        "Also making a very impressive showing are the Texas Rangers and the Atlanta Braves."
    )
    also = "Also making a very impressive showing are the Texas Rangers and the Atlanta Braves."
    res = finalize(Article(source="t", text=text), ["The Rangers are the most followed team."], [], 1.0,
                   relations=PointsAt(also))  # fmt: skip
    assert [s.text for s in res.tldr] == [
        "The Yankees and the Red Sox are the most followed baseball teams in the country."
    ]
    assert "dropped (support sentence: not on its own)" in [g["action"] for g in res.gated]


def test_relation_replacements_never_say_a_sentence_twice():
    text = (
        "Most teams only really get support near their home field, the survey of fans found.\n"
        "The Giants get some love in Hawaii as well as in California."
    )
    target = "Most teams only really get support near their home field, the survey of fans found."
    paras = [["Most teams only really get support near their home field.", "Teams are followed near home."]]
    res = finalize(Article(source="t", text=text), [], paras, 1.0, relations=PointsAt(target))
    shown = [s.text for p in res.paragraphs for s in p]
    assert len(shown) == len(set(shown)) and shown.count(target) <= 1


# -- the checker's own rules: a second opinion on the filters it grades ----------------------------
# Each sentence is from a fast brief of the dev set (or made after one) that the summarizers'
# filters let through; the checker's own, simpler rules find it, and leave the prose beside it.


def test_the_checker_imports_none_of_the_filters_it_grades_and_the_gate_none_of_the_checker():
    import ast
    import inspect

    from pipeline import defects
    from pipeline.summarizers import gate

    def imported(module: object) -> set[str]:
        tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
        names = {"." * n.level + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        return names | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}

    assert not {m for m in imported(defects) if m.startswith((".", "pipeline"))}  # nothing of the project
    assert not {m for m in imported(gate) if m.endswith("defects")}


@pytest.mark.parametrize(
    "sentence",
    [
        "For more reports from BBC Monitoring, click here.",
        # a share widget in Welsh, and a promo line glued to the text: two words with no space between
        "Rhannu hwn arEbostFacebookMessengerTwitterCopïo’r ddolen ymaMae gan Gymru rai o'r cyfraddau gwaethaf.",
        "Local Live has all the latest travel newsFirst said that services had resumed a normal schedule.",
        # a caption: someone "pictured" in a photo the reader of a brief does not have
        "Paul Casey, pictured in action last month, is the 99th qualifier in the field of 99 for the Masters.",
        "A taxi driver, who has now been arrested (pictured posed by model), denies molesting a British tourist.",
    ],
)
def test_the_checker_finds_furniture_and_captions_the_filters_let_through(sentence):
    assert "furniture" in kinds([LEAD], [[sentence, *CLEAN]])


@pytest.mark.parametrize(
    "sentence",
    [
        "His dead body was pictured on social media today with a bloody head wound.",
        "YouTube and WhatsApp said the iPhone app was fixed on Monday.",
        "One post read: 'I tell you all now he is twice the fighter I ever was.'",
    ],
)
def test_prose_near_the_checkers_furniture_words_is_clean(sentence):
    assert "furniture" not in kinds([LEAD], [[sentence, *CLEAN]])


def test_the_checker_finds_a_quote_whose_speaker_was_cut_off_and_passes_one_named_next_to_it():
    cut = "'He was arrested under Section 354 of the Indian Penal Code,' His arrest follows protests in India."
    assert "quote_without_speaker" in kinds([LEAD], [[cut, *CLEAN]])
    for named in (
        "'Come on, guys, give me a faster car,' he moaned over the team radio.",
        "The official reason for the resignation was 'to spend more time with her family and young children'.",
        "'Amy' was in fact a vigilante named John who was pretending to be a young girl.",
    ):
        assert "quote_without_speaker" not in kinds([LEAD], [[named, *CLEAN]]), named


def test_the_checker_finds_a_repeat_in_other_words():
    tldr = "Two prisoners escaped from the Warburg camp on Sunday using wooden ladders."
    again = "The escaped prisoner used wooden ladders at the Warburg camp."  # plural to singular, one new word
    assert "tldr_repeated" in kinds([tldr], [[again, *CLEAN]])
    said = "They announced their decision to expel Nigalidze on Sunday morning on their Facebook page."
    more = "Tournament organisers announced their decision to expel Nigalidze on Sunday morning on their Facebook page."
    assert "duplicate_sentence" in kinds([LEAD], [[said, CLEAN[0], more]])


def test_the_checkers_meta_opener_leaves_a_real_report_and_its_loop_counts_three_in_a_row():
    assert "meta_opener" in kinds([LEAD], [["Overall, the article explains the new apprenticeship rules.", *CLEAN]])
    assert "meta_opener" not in kinds([LEAD], [["The report outlined 15 recommendations for improvement.", *CLEAN]])
    assert "loop" in kinds([LEAD], [["The team will play in Greece, Greece, Greece next year.", *CLEAN]])
    listed = (
        "Delta was second with 5.6 million U.S. award seats; United third with 5 million U.S. award "
        "tickets; American fourth with 3.5 million U.S. award seats."
    )
    assert "loop" not in kinds([LEAD], [[listed, *CLEAN]])
