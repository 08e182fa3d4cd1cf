"""The eval itself (``make eval``): planted errors, the metrics and the floors, with no model.

Parsed text is a spaCy ``Doc`` built by hand (words, heads, labels and entities written out here,
no statistical model), so each planted error is checked against a sentence whose parse is known.
Every expected number below was worked out by hand from the inputs (the working is in the
comments), not copied from a run.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pipeline import eval_entities, eval_faithful, eval_table, evaluate
from pipeline.document import Article, SummarySentence
from pipeline.relations import Verdict

# ---------------------------------------------------------------- parsed text, written by hand


def T(word: str, dep: str = "dep", head: int | None = None, pos: str = "X", tag: str = "XX", lemma: str = "",
      ent: str = "O") -> dict[str, Any]:  # fmt: skip
    """One token: ``head`` is the index of its head in its sentence (None: the sentence's root)."""
    return {"word": word, "dep": dep, "head": head, "pos": pos, "tag": tag, "lemma": lemma or word.lower(), "ent": ent}


def plain(words: str, root: int, pos: str = "AUX", tag: str = "VBZ", lemma: str = "be", **ents: str) -> list[Any]:
    """A sentence whose tokens all hang off ``root`` (a form of "be" unless said otherwise): no
    subject, object, auxiliary or negation the planted errors could use. ``ents``: word -> IOB."""
    out = []
    for i, w in enumerate(words.split()):
        if i == root:
            out.append(T(w, "ROOT", pos=pos, tag=tag, lemma=lemma))
        elif w == ".":
            out.append(T(w, "punct", root, pos="PUNCT"))
        else:
            out.append(T(w, "dep", root, ent=ents.get(w, "O")))
    return out


def parsed(*sentences: list[dict[str, Any]]) -> Any:
    """A spaCy Doc of these sentences (English vocabulary, so ``like_num`` works; no model)."""
    import spacy
    from spacy.tokens import Doc

    words, spaces, heads, deps, pos, tags, lemmas, ents = [], [], [], [], [], [], [], []
    for sent in sentences:
        base = len(words)
        root = next(i for i, t in enumerate(sent) if t["dep"] == "ROOT")
        for i, t in enumerate(sent):
            words.append(t["word"])
            nxt = sent[i + 1]["word"] if i + 1 < len(sent) else None
            spaces.append(nxt != ".")
            heads.append(base + (root if t["head"] is None else t["head"]))
            deps.append(t["dep"])
            pos.append(t["pos"])
            tags.append(t["tag"])
            lemmas.append(t["lemma"])
            ents.append(t["ent"])
    spaces[-1] = False
    vocab = spacy.blank("en").vocab
    return Doc(vocab, words=words, spaces=spaces, heads=heads, deps=deps, pos=pos, tags=tags, lemmas=lemmas, ents=ents)


# Each long sentence (8-60 tokens) admits exactly one kind of planted error; the short one only
# brings a second PERSON into the article for the entity swap.
ENTITY = plain("Anna Berg is the new head of the city council .", 2, Anna="B-PERSON", Berg="I-PERSON")
OTHER_PERSON = plain("Tom Reed spoke .", 2, pos="VERB", tag="VBD", lemma="speak", Tom="B-PERSON", Reed="I-PERSON")
NUMBER = plain("The council is ready to build 40 new homes .", 2)
DATE = plain("The vote is on Monday at the town hall .", 2, Monday="B-DATE")
NEGATION = [  # "has" is its auxiliary: "has not spoken"
    T("The", "det", 1), T("mayor", "nsubj", 3, "NOUN", "NN"), T("has", "aux", 3, "AUX", "VBZ", "have"),
    T("spoken", "ROOT", pos="VERB", tag="VBN", lemma="speak"), T("about", "prep", 3), T("the", "det", 6),
    T("plan", "pobj", 4, "NOUN", "NN"), T("for", "prep", 6), T("the", "det", 9), T("bridge", "pobj", 7, "NOUN"),
    T(".", "punct", 3, "PUNCT"),
]  # fmt: skip
ROLES = [  # already negated, so only subject and object can be swapped
    T("The", "det", 1), T("union", "nsubj", 4, "NOUN", "NN"), T("did", "aux", 4, "AUX", "VBD", "do"),
    T("not", "neg", 4, "PART", "RB"), T("sue", "ROOT", pos="VERB", tag="VB"), T("the", "det", 6),
    T("company", "dobj", 4, "NOUN", "NN"), T("over", "prep", 4), T("the", "det", 10), T("pay", "compound", 10),
    T("cuts", "pobj", 7, "NOUN", "NNS", "cut"), T(".", "punct", 4, "PUNCT"),
]  # fmt: skip

# What each planted error must be, written out by hand
PLANTED = {
    "entity": ("Anna Berg is the new head of the city council.", "Tom Reed is the new head of the city council."),
    "number": ("The council is ready to build 40 new homes.", "The council is ready to build 41 new homes."),
    "date": ("The vote is on Monday at the town hall.", "The vote is on Thursday at the town hall."),
    "negation": (
        "The mayor has spoken about the plan for the bridge.",
        "The mayor has not spoken about the plan for the bridge.",
    ),
    "roles": (
        "The union did not sue the company over the pay cuts.",
        "The company did not sue the union over the pay cuts.",
    ),
}


def corrupt(kind: str, doc: Any, n: int = 0) -> str | None:
    """The ``kind`` of error planted in the ``n``-th sentence of ``doc``."""
    ents: dict[str, list[str]] = {}
    for e in doc.ents:
        ents.setdefault(e.label_, []).append(e.text)
    sent = list(doc.sents)[n]
    return eval_faithful._corrupt(kind, sent, sent.text.strip(), ents, doc.text)


def test_the_hand_built_article_reads_as_written():
    doc = parsed(ENTITY, OTHER_PERSON, NUMBER, DATE, NEGATION, ROLES)
    sents = [s.text for s in doc.sents]
    assert sents == [PLANTED["entity"][0], "Tom Reed spoke.", *(PLANTED[k][0] for k in eval_faithful.ERROR_TYPES[1:])]
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Anna Berg", "PERSON"),
        ("Tom Reed", "PERSON"),
        ("Monday", "DATE"),
    ]


@pytest.mark.parametrize("kind", eval_faithful.ERROR_TYPES)
def test_each_planted_error_changes_its_sentence_the_way_it_claims(kind: str):
    doc = parsed(ENTITY, OTHER_PERSON, NUMBER, DATE, NEGATION, ROLES)
    n = {"entity": 0, "number": 2, "date": 3, "negation": 4, "roles": 5}[kind]
    assert corrupt(kind, doc, n) == PLANTED[kind][1]
    # and no other kind fits that sentence (so the benchmark's counts below are known)
    assert all(corrupt(other, doc, n) is None for other in eval_faithful.ERROR_TYPES if other != kind)


def test_a_changed_number_is_one_the_article_does_not_hold():
    # a year tagged DATE is never the number changed; "41" is in the article (in a short sentence,
    # itself no candidate): 40 -> 42, the next candidate (n + 2)
    doc = parsed(plain("In 2019 the council was ready to build 40 new homes .", 4, tag="VBD", **{"2019": "B-DATE"}),
                 plain("Route 41 is shut .", 2))  # fmt: skip
    assert corrupt("number", doc) == "In 2019 the council was ready to build 42 new homes."


def test_a_date_is_swapped_for_another_of_the_article_before_a_weekday_is_moved():
    doc = parsed(DATE, plain("It closed last year .", 1, pos="VERB", tag="VBD", lemma="close", last="B-DATE",
                             year="I-DATE"))  # fmt: skip
    assert corrupt("date", doc) == "The vote is on last year at the town hall."


def test_a_verb_without_an_auxiliary_is_negated_with_do():
    spoke = [
        T("The", "det", 1), T("mayor", "nsubj", 2, "NOUN", "NN"), T("spoke", "ROOT", pos="VERB", tag="VBD",
        lemma="speak"), T("about", "prep", 2), T("the", "det", 6), T("new", "amod", 6), T("plan", "pobj", 3, "NOUN"),
        T("today", "npadvmod", 2), T(".", "punct", 2, "PUNCT"),
    ]  # fmt: skip
    assert corrupt("negation", parsed(spoke)) == "The mayor did not speak about the new plan today."


def test_a_pronoun_subject_or_object_is_never_swapped():
    roles = [dict(t) for t in ROLES]
    roles[0:2] = [T("They", "nsubj", 3, "PRON", "PRP")]
    for t in roles[1:]:
        t["head"] = None if t["head"] is None else t["head"] - 1
    doc = parsed(roles)
    assert doc.text == "They did not sue the company over the pay cuts."
    assert corrupt("roles", doc) is None


def test_planted_errors_one_of_each_kind_from_the_articles_own_sentences():
    doc = parsed(ENTITY, OTHER_PERSON, NUMBER, DATE, NEGATION, ROLES)
    planted = eval_faithful.plant_errors(doc, random.Random(13))
    assert sorted(planted) == sorted((kind, *PLANTED[kind]) for kind in eval_faithful.ERROR_TYPES)


def test_planted_errors_are_the_same_for_a_seed_and_the_seed_decides_which_sentence_gets_which():
    # both sentences admit an entity swap and a negation; the first one drawn takes the entity
    anna = [T("Anna", head=1, ent="B-PERSON"), T("Berg", "nsubj", 3, ent="I-PERSON"), T("has", "aux", 3, "AUX", "VBZ"),
            T("spoken", "ROOT", pos="VERB", tag="VBN", lemma="speak"), T("about", "prep", 3), T("the", "det", 6),
            T("plan", "pobj", 4), T("today", "npadvmod", 3), T(".", "punct", 3)]  # fmt: skip
    tom = [dict(t) for t in anna]
    tom[0], tom[1] = T("Tom", head=1, ent="B-PERSON"), T("Reed", "nsubj", 3, ent="I-PERSON")
    tom[6] = T("budget", "pobj", 4)
    doc = parsed(anna, tom)
    a, b = "Anna Berg has spoken about the plan today.", "Tom Reed has spoken about the budget today."
    anna_first = [
        ("entity", a, "Tom Reed has spoken about the plan today."),
        ("negation", b, "Tom Reed has not spoken about the budget today."),
    ]
    tom_first = [
        ("entity", b, "Anna Berg has spoken about the budget today."),
        ("negation", a, "Anna Berg has not spoken about the plan today."),
    ]
    seen = []
    for seed in range(12):
        once = eval_faithful.plant_errors(doc, random.Random(seed))
        assert once == eval_faithful.plant_errors(doc, random.Random(seed))
        assert once in (anna_first, tom_first)
        seen.append(once == anna_first)
    assert any(seen) and not all(seen)  # the seed, not the article's order, picks


# ---------------------------------------------------------------- the planted-error benchmark's counts


class BagVerifier:
    """A relation check that knows only word bags: a sentence is supported when its words are
    exactly some article sentence's. So it catches every planted error that changes a word and
    misses the roles swap (the same words in another order)."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.bags = [self.bag(s.text) for s in doc.sents]

    @staticmethod
    def bag(text: str) -> Counter[str]:
        return Counter(re.findall(r"[a-z0-9]+", text.lower()))

    def parse(self, texts: list[str]) -> Any:
        assert texts == [self.doc.text]
        return iter([self.doc])

    def check(self, text: str, sentences: list[str], headline: str = "") -> list[Verdict]:
        assert text == self.doc.text
        return [Verdict(s, self.bag(s) in self.bags, None if self.bag(s) in self.bags else "no_support")
                for s in sentences]  # fmt: skip


def test_the_planted_benchmark_counts_caught_errors_and_false_alarms():
    doc = parsed(ENTITY, OTHER_PERSON, NUMBER, DATE, NEGATION, ROLES)
    reference = "The mayor has spoken about the plan for the bridge.\nThe council wants more homes."
    gold = [{"id": "a1", "dataset": "cnndm", "article": doc.text, "reference": reference}]
    out = eval_faithful.eval_faithfulness(gold, BagVerifier(doc))
    # 5 planted, all but the roles swap caught: 4 / 5
    assert {k: (r["caught"], r["planted"]) for k, r in out["recall"].items()} == {
        "entity": (1, 1), "number": (1, 1), "date": (1, 1), "negation": (1, 1), "roles": (0, 1),
    }  # fmt: skip
    assert out["planted"] == 5 and out["recall_all"] == 4 / 5
    # the 5 unmodified sentences: none flagged; the highlights: the second is in no article sentence
    assert out["false_alarm"]["source"] == {"flagged": 0, "checked": 5, "rate": 0.0}
    assert out["false_alarm"]["reference"] == {"flagged": 1, "checked": 2, "rate": 0.5}
    assert out["missed_examples"] == [{"type": "roles", "missed": PLANTED["roles"][1], "correct": PLANTED["roles"][0]}]
    assert out["quote_without_speaker"] == {"source": 0, "reference": 0}
    # and with one seed the same benchmark twice
    again = eval_faithful.eval_faithfulness(gold, BagVerifier(doc))
    assert {k: v for k, v in again.items() if k != "ms_per_sentence"} == {
        k: v for k, v in out.items() if k != "ms_per_sentence"
    }


# ---------------------------------------------------------------- labelled briefs

MATCH = (
    "Athletic Bilbao's Aritz Aduriz struck late in the second half to secure a 1-1 draw at Sevilla on Sunday. "
    "Sevilla had led through a first-half penalty from Kevin Gameiro after a foul on Vitolo."
)


def test_labelled_briefs_count_what_the_support_check_flags_per_label(tmp_path: Path):
    with gzip.open(tmp_path / "summarization.dev.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "m1", "article": MATCH, "reference": "", "dataset": "xsum"}) + "\n")
    labels = tmp_path / "labels.jsonl"
    rows = [  # an article sentence cut short: correct, and copied; an invented win: a fact error
        {"id": "m1", "n": 0, "part": "tldr", "label": "ok",
         "text": "Sevilla had led through a first-half penalty from Kevin Gameiro."},
        {"id": "m1", "n": 1, "part": "summary", "label": "fact_error",
         "text": "Athletic Bilbao won the match at Sevilla 1-1 thanks to Aduriz."},
        {"id": "gone", "n": 0, "part": "tldr", "label": "ok", "text": "Not an article of the dev set."},
    ]  # fmt: skip
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = eval_faithful.labelled_briefs(tmp_path, labels)
    assert out == {
        "briefs": 1,  # the row of an article not in the dev set is left out
        "sentences": {"fact_error": 1, "misleading": 0, "ok": 1, "copied": 1},
        "flagged": {"fact_error": 1.0, "misleading": 0.0, "ok": 0.0, "copied": 0.0},
    }
    # as verify reads them: a relation check that calls every sentence a flipped negation still
    # cannot get the sentence cut from the article flagged, only the invented one
    contrary = SimpleNamespace(check=lambda text, sentences, _="": [Verdict(s, False, "negation") for s in sentences])
    verify = eval_faithful.labelled_briefs(tmp_path, labels, verifier=contrary)["verify"]
    assert verify == {"fact_error": 1.0, "misleading": 0.0, "ok": 0.0, "copied": 0.0}
    assert eval_faithful.labelled_briefs(tmp_path, tmp_path / "no-labels.jsonl") == {}


# ---------------------------------------------------------------- ROUGE, as the eval feeds it


def rouge_scorer() -> SimpleNamespace:
    """A stand-in for the shared ``score.py`` (not in a clone): the same contract and the same
    ROUGE (Google's rouge-score, Porter stemming, F1 x 100, mean per dataset rounded to 2)."""
    from rouge_score import rouge_scorer as rs

    scorer = rs.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)

    def score_summarization(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> dict[str, Any]:
        by_id = {p["id"]: p["summary"] for p in pred}
        groups: dict[str, list[dict[str, float]]] = defaultdict(list)
        words: dict[str, list[int]] = defaultdict(list)
        for g in gold:
            s = scorer.score(g["reference"], by_id.get(g["id"], ""))
            groups[g["dataset"]].append({k: 100 * v.fmeasure for k, v in s.items()})
            words[g["dataset"]].append(len(by_id.get(g["id"], "").split()))
        return {
            ds: {k: round(statistics.fmean(r[k] for r in rows), 2) for k in rows[0]}
            | {"pred_words_mean": statistics.fmean(words[ds])}
            for ds, rows in groups.items()
        }

    return SimpleNamespace(score_summarization=score_summarization)


SUM_GOLD = [
    {"id": "c1", "dataset": "cnndm", "article": "The cat sat on the mat. The dog ran to the park. Birds sang all day.",
     "reference": "The dog ran to the park."},
    {"id": "x1", "dataset": "xsum", "article": "A storm hit the coast. Trees fell on the road. Power was cut.",
     "reference": "A storm hit the town."},
]  # fmt: skip
BRIEFS = {  # TLDR, Article Summary: each an article sentence
    "c1": (["The dog ran to the park."], ["Birds sang all day."]),
    "x1": (["Trees fell on the road."], ["Power was cut."]),
}


def write_briefs(articles: list[Article]) -> None:
    for a in articles:
        tldr, summary = BRIEFS[a.source]
        a.tldr = [SummarySentence(t) for t in tldr]
        a.summary = [[SummarySentence(s) for s in summary]]


def test_rouge_scores_the_brief_as_read_and_the_lead_of_the_same_length():
    res = evaluate.eval_summarization(rouge_scorer(), SUM_GOLD, write_briefs, batch_size=1)
    m = evaluate.metrics({"summarization": {"fast": res}})
    # CNN/DM, the brief as read: "the dog ran to the park / birds sang all day" (10 words) vs the
    # reference's 6; 6 shared -> P 6/10, R 1 -> F 0.75. Bigrams: all 5 of the reference among 9.
    assert m["fast.cnndm.rouge1"] == 75.0
    assert m["fast.cnndm.rouge2"] == round(100 * 2 * (5 / 9) / (5 / 9 + 1), 2)  # 71.43
    assert m["fast.cnndm.rougeLsum"] == 75.0
    # lead at the brief's length, its first 10 words "the cat sat on the mat the dog ran to":
    # the x2, dog, ran, to = 5 shared -> P 1/2, R 5/6 -> F 0.625; so 75 - 62.5
    assert res["lead_equal_length"]["cnndm"]["rouge1"] == 62.5
    assert m["fast.cnndm.rouge1_minus_lead"] == 12.5
    # lead-3: all 16 words, the reference's 6 among them -> F 2*(6/16)/(6/16 + 1)
    assert res["lead_classic"]["cnndm"]["rouge1"] == round(100 * 2 * (6 / 16) / (6 / 16 + 1), 2)  # 54.55
    # the summary alone "birds sang all day": nothing shared; the lead at its 4 words "the cat sat
    # on" shares "the": P 1/4, R 1/6 -> F 0.2
    assert m["fast.cnndm.summary_only.rouge1"] == 0.0
    assert m["fast.cnndm.summary_only.rouge1_minus_lead"] == -20.0
    # XSum scores the TLDR alone: "trees fell on the road" vs "a storm hit the town": "the", 1 of
    # 5 each way -> 20; the lead's 5 words "a storm hit the coast": 4 of 5 -> 80
    assert m["fast.xsum.rouge1"] == 20.0
    assert m["fast.xsum.rouge1_minus_lead"] == -60.0
    assert res["lead_classic"]["xsum"]["rouge1"] == 80.0  # lead-1 is the same sentence
    # every sentence is the article's own: nothing for the gate to find
    assert m["fast.unsupported_after_gate"] == 0 and res["articles"] == 2


def test_the_shared_scorer_gives_the_same_rouge_as_worked_out_by_hand():
    shared = Path(__file__).resolve().parents[2] / "shared" / "eval"
    if not (shared / "score.py").is_file():
        pytest.skip("the shared eval folder (score.py) is not beside this checkout")
    res = evaluate.eval_summarization(evaluate.load_scorer(shared), SUM_GOLD, write_briefs, batch_size=2)
    assert (res["ours"]["cnndm"]["rouge1"], res["lead_equal_length"]["cnndm"]["rouge1"]) == (75.0, 62.5)
    assert (res["ours"]["xsum"]["rouge1"], res["lead_equal_length"]["xsum"]["rouge1"]) == (20.0, 80.0)


def test_a_folder_without_score_py_is_named_in_the_error(tmp_path: Path):
    from pipeline.errors import PipelineError

    with pytest.raises(PipelineError, match="no score.py here"):
        evaluate.load_scorer(tmp_path)


# ---------------------------------------------------------------- B-cubed of story grouping


def test_bcubed_of_a_tiny_grouping_worked_out_by_hand():
    # gold: A A A B; one story holding all four. Precision per article: 3/4 for each A, 1/4 for B
    # -> (3 * 3/4 + 1/4) / 4 = 5/8; recall 1 each; F1 = 2 * 5/8 / (5/8 + 1) = 10/13
    r = evaluate._scored([0, 0, 0, 0], ["A", "A", "A", "B"], ["T", "T", "T", "T"])
    assert r["precision"] == pytest.approx(5 / 8) and r["recall"] == 1.0 and r["f1"] == pytest.approx(10 / 13)
    assert (r["stories"], r["gold_stories"], r["topic_precision"]) == (1, 2, 1.0)


def test_bcubed_split_and_mixed_stories_worked_out_by_hand():
    # gold events 1 1 1+ 2 2 (topic 1 holds the twins 1 and 1+); predicted stories {0,1,2} {3} {4}
    # precision: 2/3 2/3 1/3 1 1 -> 11/15; recall: 1 1 1 1/2 1/2 -> 4/5; F1 = 2PR/(P+R) = 88/115
    # against topics 1 1 1 2 2 the first story is pure: topic precision 1
    r = evaluate._scored([0, 0, 0, 1, 2], ["1", "1", "1+", "2", "2"], ["1", "1", "1", "2", "2"])
    assert r["precision"] == pytest.approx(11 / 15) and r["recall"] == pytest.approx(4 / 5)
    assert r["f1"] == pytest.approx(88 / 115) and r["topic_precision"] == 1.0
    # an article of topic 2 joining the first story: topic precision (3/4 * 3 + 1/4 + 1) / 5 = 7/10
    mixed = evaluate._scored([0, 0, 0, 0, 2], ["1", "1", "1+", "2", "2"], ["1", "1", "1", "2", "2"])
    assert mixed["topic_precision"] == pytest.approx(7 / 10)


# ---------------------------------------------------------------- FRANK's partial correlation

# two systems; the system's own level is taken out before the scores are correlated
X = [1.0, 2.0, 3.0, 10.0, 12.0, 14.0]
Y = [2.0, 1.0, 4.0, 5.0, 9.0, 7.0]
SYSTEMS = ["a", "a", "a", "b", "b", "b"]
# by hand: x less its system's mean: -1 0 1 | -2 0 2; y: -1/3 -4/3 5/3 | -2 2 0
# sum of products 1/3 + 5/3 + 4 = 6; squares 10 and 42/9 + 8 = 38/3 -> r = 6 / sqrt(10 * 38/3)
PARTIAL = 6 / math.sqrt(10 * 38 / 3)  # 0.5331


def test_partial_correlation_controls_for_the_system():
    import numpy as np

    assert eval_faithful._partial(X, Y, SYSTEMS) == pytest.approx(PARTIAL)
    assert float(np.corrcoef(X, Y)[0, 1]) > 0.8  # without the control the systems' levels dominate


def write_frank(folder: Path) -> None:
    """FRANK's file with the six summaries above: one per (x, y, system), the published metric
    "M" = x, and "Partial" = x but missing for the last summary."""
    rows = []
    for i, (x, y, system) in enumerate(zip(X, Y, SYSTEMS, strict=True)):
        article = f"Article number {i} says the council met on Tuesday about the bridge."
        said = " ".join(["The council met on Tuesday", *["with zebras", "and lions", "near pyramids"][: i % 3]]) + "."
        rows.append({"article": article, "summary_sentences": [said], "factuality": y,
                     "system": system, "metrics": {"M": x, "Partial": x if i < 5 else None}})  # fmt: skip
    with gzip.open(folder / "frank-valid.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)


def test_frank_reports_each_published_metric_on_the_summaries_it_scored(tmp_path: Path):
    write_frank(tmp_path)
    out = eval_faithful.frank(tmp_path)
    assert out["summaries"] == 6 and out["M"] == round(PARTIAL, 3)
    # a metric missing for one summary is scored on the other five: x 1 2 3 | 10 12 less their
    # means: -1 0 1 | -1 1; y: -1/3 -4/3 5/3 | -2 2: products 2 + 4 = 6, squares 4 and 42/9 + 8
    assert out["Partial"] == round(6 / math.sqrt(4 * (42 / 9 + 8)), 3)
    assert eval_faithful.frank(tmp_path / "elsewhere") == {}  # no FRANK file: nothing reported


# ---------------------------------------------------------------- the floors table


def floors_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "floors.toml"
    path.write_text(text)
    return path


def test_a_metric_below_its_floor_fails_at_or_above_it_passes(tmp_path: Path):
    floors = floors_file(tmp_path, '[floors]\n"stories.f1" = 0.85\n"stories.precision" = 0.83\n')
    assert evaluate.check_floors({"stories.f1": 0.84, "stories.precision": 0.9}, None, floors) == [
        "stories.f1 = 0.840 is below its floor 0.850"
    ]
    assert evaluate.check_floors({"stories.f1": 0.85, "stories.precision": 0.9}, None, floors) == []


def test_a_metric_above_its_ceiling_fails(tmp_path: Path):
    floors = floors_file(tmp_path, '[floors]\n"fast.xsum.rouge1" = 16.8\n[ceilings]\n"fast.defects.any" = 0.05\n')
    values = {"fast.xsum.rouge1": 17.0, "fast.defects.any": 0.06}
    assert evaluate.check_floors(values, None, floors) == ["fast.defects.any = 0.060 is above its ceiling 0.050"]
    assert evaluate.check_floors({**values, "fast.defects.any": 0.05}, None, floors) == []


def test_a_floor_naming_a_metric_the_eval_does_not_produce_fails(tmp_path: Path):
    # "stories.F1" is no metric (the eval writes stories.f1): it used to be skipped, so the gate
    # passed without checking it
    floors = floors_file(tmp_path, '[floors]\n"stories.F1" = 0.85\n"stories.precision" = 0.83\n')
    (failure,) = evaluate.check_floors({"stories.f1": 0.5, "stories.precision": 0.9}, None, floors)
    assert failure.startswith("stories.F1:") and "not this metric" in failure
    # so is a ceiling, and a name outside every task the eval runs
    floors = floors_file(tmp_path, '[floors]\n"stories.f1" = 0.8\n[ceilings]\n"storie.defects.any" = 0.0\n')
    (failure,) = evaluate.check_floors({"stories.f1": 0.9}, None, floors)
    assert failure.startswith("storie.defects.any:") and "no metric the eval produces" in failure


def test_floors_of_a_task_the_run_did_not_measure_are_not_failures(tmp_path: Path):
    # `newsbrief eval --task stories`: the extraction floor and the fast ceiling are for other runs
    floors = floors_file(
        tmp_path, '[floors]\n"stories.f1" = 0.8\n"extraction.bow_f1" = 0.96\n[ceilings]\n"fast.defects.any" = 0.05\n'
    )
    assert evaluate.check_floors({"stories.f1": 0.9}, None, floors) == []


# ---------------------------------------------------------------- the entity junk audit

JUNK_LABELS = [
    {"id": "a1", "text": "Leon Yeaman", "junk": False},
    {"id": "a1", "text": "PLAYERS", "junk": True},
    {"id": "a1", "text": "Brisbane", "junk": False},
    {"id": "a2", "text": "Subject", "junk": True},
]
JUNK_ARTICLES = {"a1": "Leon Yeaman of Brisbane. PLAYERS said", "a2": "Subject: Ebola", "a3": "not labelled"}
JUNK_SHOWN = {"a1": ["Leon Yeaman", "PLAYERS", "Brisbane"], "a2": ["Subject", "Ebola"]}


class ListTagger:
    """Shows the entities listed per article id (the real tagger is scored by the eval, not here)."""

    def __init__(self, shown: dict[str, list[str]]) -> None:
        self.shown = shown

    def tag_batch(self, articles: list[Article]) -> None:
        from pipeline.document import Entity

        for a in articles:
            a.entities = [Entity(t, "ORG", 1, t) for t in self.shown[a.source]]


def test_the_junk_audit_counts_shown_entities_labelled_junk_and_those_without_a_label():
    got = eval_entities.junk_audit(JUNK_LABELS, JUNK_ARTICLES, ListTagger(JUNK_SHOWN))
    # a1 and a2 are labelled (a3 is not tagged); 5 shown, PLAYERS and Subject junk: 2/5; Ebola unlabelled
    assert got == {
        "articles": 2, "shown": 5, "junk": 2, "junk_rate": 0.4, "unlabelled_shown": 1, "unlabelled": ["a2: Ebola"],
    }  # fmt: skip
    values = evaluate.metrics({"entities": {"micro": {"f1": 0.62}, "junk": got}})
    assert values == {"entities.f1": 0.62, "entities.junk_rate": 0.4, "entities.unlabelled_shown": 1}
    # the packaged ceilings fail both: more junk than pinned, and an entity no one labelled
    problems = evaluate.check_floors(values)
    assert any(p.startswith("entities.junk_rate = 0.400 is above its ceiling") for p in problems)
    assert any(p.startswith("entities.unlabelled_shown = 1.000 is above its ceiling") for p in problems)


def test_the_committed_junk_labels_are_one_per_shown_entity_with_a_reason():
    rows = eval_entities.read_labels()
    keys = [(r["id"], r["text"]) for r in rows]
    assert len(keys) == len(set(keys)) and len({r["id"] for r in rows}) == 40
    assert all(isinstance(r["junk"], bool) and r["why"] and r["dataset"] in ("cnndm", "xsum") for r in rows)


def full_results(tmp_path: Path) -> dict[str, Any]:
    """What a full `make eval` and a quality run return, in shape, each part made by the code that
    makes it wherever that needs no model (the planted benchmark, labelled briefs and FRANK on the
    tiny inputs above, B-cubed, the defect report)."""
    from pipeline import defects

    doc = parsed(ENTITY, OTHER_PERSON, NUMBER, DATE, NEGATION, ROLES)
    gold = [{"id": "a1", "dataset": "cnndm", "article": doc.text, "reference": "The council wants more homes."}]
    faith = eval_faithful.eval_faithfulness(gold, BagVerifier(doc))
    with gzip.open(tmp_path / "summarization.dev.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps(gold[0]) + "\n")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "a1", "n": 0, "part": "tldr", "label": "ok", "text": PLANTED["date"][0]}))
    faith["labelled"] = eval_faithful.labelled_briefs(tmp_path, labels, BagVerifier(doc))
    again = tmp_path / "labels-again.jsonl"  # a second reading of another brief of the same article
    again.write_text(
        json.dumps({"id": "a1", "n": 0, "part": "tldr", "label": "fact_error", "text": PLANTED["number"][1]})
    )
    faith["labelled_all"] = eval_faithful.labelled_briefs(tmp_path, (labels, again), BagVerifier(doc))
    assert faith["labelled_all"]["sentences"]["ok"] == 1 and faith["labelled_all"]["tldrs"]["fact_error"] == 1
    assert faith["labelled_all"]["verify"] == {"fact_error": 1.0, "misleading": 0.0, "ok": 0.0, "copied": 0.0}
    # a reading of briefs written from other texts (the web pages'): the texts given, not the dev set's
    pages = eval_faithful.labelled_briefs(tmp_path, again, BagVerifier(doc), articles={"a1": doc.text})
    assert pages["sentences"]["fact_error"] == 1
    assert eval_faithful.labelled_briefs(tmp_path, again, articles={})["briefs"] == 0
    faith["labelled_pages"] = pages
    # the unseen news briefs were written from the story set's articles: every label finds its text
    news, heads = eval_faithful.news_articles()
    read = {json.loads(line)["id"] for line in eval_faithful.NEWS_LABELS.read_text(encoding="utf-8").splitlines()}
    assert read and read <= set(news) and set(heads) == set(news)
    faith["labelled_news"] = pages
    write_frank(tmp_path)
    faith["frank"] = eval_faithful.frank(tmp_path)
    grouped = evaluate._scored([0, 1], ["1", "2"], ["1", "2"])
    report = defects.report([], [])
    stories = {"ours": grouped, "baseline": grouped, "briefs": {**report, "corroborated_share": 0.4}}
    rouge = {"rouge1": 30.0, "rouge2": 10.0, "rougeLsum": 28.0}
    brief = {
        "ours": {"cnndm": rouge, "xsum": rouge}, "lead_equal_length": {"cnndm": rouge, "xsum": rouge},
        "summary_only": {"ours": {"cnndm": rouge}, "lead_equal_length": {"cnndm": rouge}},
        "unsupported_after_gate": 0, "defects": report,
    }  # fmt: skip
    junk = eval_entities.junk_audit(JUNK_LABELS, JUNK_ARTICLES, ListTagger(JUNK_SHOWN))
    return {
        "extraction": {"bow_macro": {"f1": 0.97}},
        "entities": {"micro": {"f1": 0.62}, "junk": junk},
        "faithfulness": faith,
        "stories": stories,
        "summarization": {"fast": brief, "quality": brief},
    }


def test_every_floor_and_ceiling_in_the_packaged_table_is_a_metric_the_eval_produces(tmp_path: Path):
    import tomllib

    names = set(evaluate.metrics(full_results(tmp_path)))
    data = tomllib.loads(evaluate.FLOORS_FILE.read_text(encoding="utf-8"))
    tables = [data["ceilings"], *(t for t in data["floors"].values() if isinstance(t, dict))]
    pinned = {k for k, v in data["floors"].items() if not isinstance(v, dict)}
    pinned |= {k for t in tables for k in t}
    assert pinned and pinned <= names, sorted(pinned - names)


# ---------------------------------------------------------------- what a run costs


def test_the_stories_task_runs_without_score_py_and_each_task_reports_its_wall_time(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
):
    # the story set ships in bench/data: a clone without the shared dev sets can still run it
    clock = SimpleNamespace(now=100.0)

    def eval_stories(path: Path, models: Any) -> dict[str, Any]:
        assert path == evaluate.STORY_SET and models.settings.mode == "fast"
        clock.now += 42.0
        return {"f1": 0.9}

    monkeypatch.setattr(evaluate, "eval_stories", eval_stories)
    monkeypatch.setattr(evaluate, "time", SimpleNamespace(perf_counter=lambda: clock.now))
    results = evaluate.evaluate(tmp_path, settings, tasks=("stories",))
    assert results == {"stories": {"f1": 0.9}, "wall_seconds": {"stories": 42.0}}
    # a task scored by score.py still needs it, named before any model loads
    from pipeline.errors import PipelineError

    with pytest.raises(PipelineError, match="no score.py here"):
        evaluate.evaluate(tmp_path, settings, tasks=("stories", "entities"))


def test_the_table_ends_with_the_wall_time_of_each_task():
    line = eval_table.table({"wall_seconds": {"extraction": 12.4, "stories": 200.0, "summarization fast": 31.6}})
    assert line == "wall time   extraction 12 s, stories 200 s, summarization fast 32 s (total 244 s)"
