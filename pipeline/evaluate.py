"""Quality evaluation on the shared dev sets, scored by their own ``score.py``.

- extraction: our trafilatura stage on raw pages vs the expected main text (bag-of-words F1);
- summarization: the brief as read (TLDR + Article Summary) vs CNN/DM highlights (the summary
  alone is reported too) and the TLDR vs XSum one-liners (ROUGE), next to lead baselines computed
  the same way *at equal length* (the first N words of the article, N = our output's length for
  that document) and the classic lead-3 / lead-1; the reader defects of every brief
  (:mod:`pipeline.defects`);
- entities: our spaCy + rules spans vs CoNLL gold (labels mapped with score.py's spaCy map), and
  the junk the briefs of labelled dev articles show (:mod:`pipeline.eval_entities`);
- stories: story grouping (:mod:`pipeline.story`) on ECB+ (Cybulska & Vossen 2014, CC BY 3.0;
  ``bench/data/stories-ecbplus.jsonl.gz``, made by ``bench/make_story_set.py``), B-cubed
  precision/recall/F1 next to a title-and-lead TF-IDF single-pass baseline in the same run; both
  are tuned on the odd-numbered topics and scored on the even ones.

Floors live in ``eval_floors.toml``; :func:`check_floors` lists every metric below its floor, and
every floor it could not check.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import json
import logging
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from .document import Article
from .errors import ExtractionError, PipelineError
from .settings import Settings
from .text import split_sentences

log = logging.getLogger(__name__)

FLOORS_FILE = resources.files("pipeline").joinpath("eval_floors.toml")  # package data


def load_scorer(shared: Path) -> ModuleType:
    path = shared / "score.py"
    if not path.is_file():
        raise PipelineError("no score.py here (expected the shared eval folder)", str(shared))
    spec = importlib.util.spec_from_file_location("newsbrief_eval_score", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf8") as f:
        return [json.loads(line) for line in f if line.strip()]


def first_words(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def lead_sentences(text: str, n: int) -> str:
    return "\n".join(s.text for s in split_sentences(text)[:n])


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def eval_extraction(scorer: ModuleType, gold: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    from .extract import extract_html

    preds = []
    for g in gold:
        art = Article(source=g["id"], url=g.get("url"), raw=g["html"])
        with contextlib.suppress(ExtractionError, PipelineError):
            extract_html(art)
        preds.append({"id": g["id"], "text": art.text})
    return dict(scorer.score_extraction(gold, preds))


def first_of_each(rows: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` rows of each dataset (all rows when no limit), in the original order."""
    if not limit:
        return rows
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        ds = row.get("dataset", "")
        if seen.get(ds, 0) < limit:
            seen[ds] = seen.get(ds, 0) + 1
            out.append(row)
    return out


def gate_audit(articles: Sequence[Article]) -> dict[str, int]:
    """Claims in the final outputs that the source does not support (the target is 0)."""
    from .summarizers.gate import Source, unsupported

    claims = gated = 0
    for a in articles:
        src = Source.of(a.text)
        claims += sum(len(unsupported(s.text, src)) for s in [*a.tldr, *(s for p in a.summary for s in p)])
        gated += len(a.gated)
    return {"unsupported_after_gate": claims, "gated_sentences": gated}


def defect_audit(articles: Sequence[Article], verifier: Any = None, examples: int = 8) -> dict[str, Any]:
    """What a reader trips over (:mod:`pipeline.defects`), per class and as the share of briefs
    with any; with a relation ``verifier`` also attributions dropped. The worst briefs are kept
    with their defects so people can read them."""
    from . import defects

    found = []
    for a in articles:
        tldr, summary = [s.text for s in a.tldr], [[s.text for s in p] for p in a.summary]
        sentences = tldr + [s for p in summary for s in p]
        verdicts = verifier.check(a.text, sentences) if verifier is not None and sentences else []
        found.append(defects.find(tldr, summary, a.text, verdicts))
    return defects.report(found, [a.source for a in articles], examples)


def eval_summarization(
    scorer: ModuleType,
    gold: list[dict[str, Any]],
    summarize: Callable[[list[Article]], None],
    batch_size: int,
    verifier: Any = None,
) -> dict[str, Any]:
    arts = [Article(source=g["id"], text=g["article"]) for g in gold]
    t0 = time.perf_counter()
    for chunk in batched(arts, batch_size):
        summarize(list(chunk))
    seconds = time.perf_counter() - t0
    ours, equal_lead, classic_lead, only, only_lead = [], [], [], [], []
    for g, a in zip(gold, arts, strict=True):
        summary = [s.text for p in a.summary for s in p]
        if g["dataset"] == "xsum":  # one-line reference: score the TLDR
            pred = a.tldr_text
            classic = lead_sentences(g["article"], 1)
        else:
            # multi-sentence highlights: score the brief as a reader reads it, TLDR then Article
            # Summary, one sentence per line. The summary alone was scored until the summary
            # stopped repeating the TLDR (fast mode repeated it in 96% of briefs): the TLDR's
            # sentence is no longer in it, so the summary alone lost the lead sentence the
            # highlights paraphrase; it is still reported (``summary_only``).
            pred = "\n".join([s.text for s in a.tldr] + summary)
            classic = lead_sentences(g["article"], 3)
            only.append({"id": g["id"], "summary": "\n".join(summary)})
            only_lead.append({"id": g["id"], "summary": first_words(g["article"], len(" ".join(summary).split()))})
        ours.append({"id": g["id"], "summary": pred})
        equal_lead.append({"id": g["id"], "summary": first_words(g["article"], len(pred.split()))})
        classic_lead.append({"id": g["id"], "summary": classic})
    cnndm = [g for g in gold if g["dataset"] != "xsum"]
    return {
        "ours": scorer.score_summarization(gold, ours),
        "lead_equal_length": scorer.score_summarization(gold, equal_lead),
        "lead_classic": scorer.score_summarization(gold, classic_lead),
        "summary_only": {
            "ours": scorer.score_summarization(cnndm, only) if cnndm else {},
            "lead_equal_length": scorer.score_summarization(cnndm, only_lead) if cnndm else {},
        },
        "seconds_per_article": round(seconds / max(1, len(arts)), 3),
        "articles": len(arts),
        **gate_audit(arts),
        "defects": defect_audit(arts, verifier),
    }


def eval_entities(scorer: ModuleType, gold: list[dict[str, Any]], tagger: Any) -> dict[str, Any]:
    preds = []
    for g, mentions in zip(gold, tagger.spans_batch([g["text"] for g in gold]), strict=True):
        preds.append(
            {"id": g["id"], "entities": [{"start": m.start, "end": m.end, "label": m.label} for m in mentions]}
        )
    return dict(scorer.score_entities(gold, preds, scorer.SPACY_TO_CONLL))


TASKS = ("extraction", "summarization", "entities", "faithfulness", "stories")
SCORED = ("extraction", "summarization", "entities")  # the tasks the shared score.py scores
STORY_SET = Path(__file__).resolve().parents[1] / "bench" / "data" / "stories-ecbplus.jsonl.gz"  # a checkout's


def _tfidf_baseline(texts: Sequence[str], order: Sequence[int], threshold: float) -> list[int]:
    """The simple baseline: single-pass grouping on TF-IDF cosine of the same title + lead text
    (each text joins the most similar story centroid at or above ``threshold``)."""
    import math
    import re
    from collections import Counter

    from .text import FUNCTION_WORDS

    bags = [Counter(w for w in re.findall(r"[a-z0-9]+", t.lower()) if w not in FUNCTION_WORDS) for t in texts]
    df = Counter(w for b in bags for w in b)
    vecs = []
    for b in bags:
        v = {w: (1 + math.log(c)) * math.log((len(bags) + 1) / (df[w] + 1)) for w, c in b.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({w: x / norm for w, x in v.items()})
    centroids: list[Counter[str]] = []
    label = [0] * len(texts)
    for i in order:
        best, score = -1, threshold
        for k, c in enumerate(centroids):
            norm = math.sqrt(sum(x * x for x in c.values())) or 1.0
            s = sum(x * c.get(w, 0.0) for w, x in vecs[i].items()) / norm
            if s >= score:
                best, score = k, s
        if best < 0:
            centroids.append(Counter())
            best = len(centroids) - 1
        centroids[best].update(vecs[i])
        label[i] = best
    return label


def _scored(labels: Sequence[int], gold: Sequence[str], topics: Sequence[str]) -> dict[str, float]:
    """B-cubed against the gold events, and the precision against the topics: below 1 only when
    a story mixes two unrelated events (two articles of twin events in one story is not counted
    there), the error a shared big name would cause."""
    from .eval_stories import bcubed

    return bcubed(labels, gold) | {"topic_precision": bcubed(labels, topics)["precision"]}


def eval_stories(path: Path, models: Any, seeds: int = 5) -> dict[str, Any]:
    """Story grouping on a labelled set (JSONL: id, story, title, text), against the baseline.

    The set has no dates, so arrival order is a seeded shuffle within one day (the window never
    closes); a single-pass grouper depends on that order, so every figure is the mean over
    ``seeds`` orders. Odd-numbered topics tune (the defaults and the baseline's threshold are
    picked there), even-numbered ones are the score."""
    import random
    import statistics

    from . import story
    from .eval_stories import group, lead

    if not path.is_file():
        raise PipelineError("the labelled story set is not here (it ships with a source checkout)", str(path))
    rows = read_jsonl(path)
    articles = [Article(source=r["id"], title=r.get("title"), text=r["text"]) for r in rows]
    t0 = time.perf_counter()
    models.tagger.tag_batch(articles)
    items = story.items_of(articles, models.summarizer.encode, [""] * len(rows))
    features = time.perf_counter() - t0
    df = Counter(k for it in items for k in it.entities)
    idf = story.idf_from(df, len(items))
    texts = [lead(a.title, a.text) for a in articles]
    out: dict[str, Any] = {
        "set": path.name,
        "articles": len(rows),
        "seeds": seeds,
        "features_seconds": round(features, 1),
    }
    runs: dict[str, dict[str, list[dict[str, float]]]] = {"tune": {}, "test": {}}
    seconds = 0.0
    for seed in range(seeds):
        minutes = list(range(len(rows)))
        random.Random(seed).shuffle(minutes)
        for item, row, m in zip(items, rows, minutes, strict=True):
            item.key, item.when = row["id"], f"2024-01-01T{m // 60 % 24:02d}:{m % 60:02d}:00"
        for part, parity in (("tune", 1), ("test", 0)):
            sel = [i for i, r in enumerate(rows) if int(str(r["story"]).rstrip("+")) % 2 == parity]
            gold = [rows[i]["story"] for i in sel]
            topics = [str(g).rstrip("+") for g in gold]  # an ECB+ topic: the two twin events
            t1 = time.perf_counter()
            labels = group([items[i] for i in sel], idf)
            seconds += time.perf_counter() - t1
            runs[part].setdefault("ours", []).append(_scored(labels, gold, topics))
            order = sorted(range(len(sel)), key=lambda j: items[sel[j]].when + items[sel[j]].key)
            for th in ("0.1", "0.15", "0.2", "0.3"):
                labels = _tfidf_baseline([texts[i] for i in sel], order, float(th))
                runs[part].setdefault(th, []).append(_scored(labels, gold, topics))

    def mean(results: list[dict[str, float]]) -> dict[str, float]:
        return {k: round(statistics.fmean(r[k] for r in results), 4) for k in results[0]}

    best = max((k for k in runs["tune"] if k != "ours"), key=lambda k: mean(runs["tune"][k])["f1"])
    out["briefs"] = story_brief_audit(articles, rows, models.summarizer, models.settings.words_per_minute)
    out.update(
        ours=mean(runs["test"]["ours"]), baseline=mean(runs["test"][best]), baseline_threshold=float(best),
        tune={"ours": mean(runs["tune"]["ours"]), "baseline": mean(runs["tune"][best])},
        ms_per_article=round(1000 * seconds / (seeds * len(rows)), 3),
    )  # fmt: skip
    return out


def story_brief_audit(
    articles: Sequence[Article], rows: Sequence[dict[str, Any]], summarizer: Any, words_per_minute: int
) -> dict[str, Any]:
    """Fast story briefs of the gold stories of the held-out (even) topics, each written from its
    first MAX_STORY_SOURCES articles as a digest would: the reader defects of each brief (against
    the story's text), how many sentences two independent sources say (corroborated), and how
    many numbers the sources disagree on. ECB+ has no copies and few dates: this measures what a
    reader sees, not the grouping."""
    from . import defects, story
    from .core import encoder_of
    from .summarizers.base import apply

    by: dict[str, list[Article]] = {}
    for a, r in zip(articles, rows, strict=True):
        if int(str(r["story"]).rstrip("+")) % 2 == 0:
            by.setdefault(str(r["story"]), []).append(a)
    found, ids, sentences, corroborated, disagreeing, failed = [], [], 0, 0, 0, 0
    t0 = time.perf_counter()
    remember = getattr(summarizer, "remember", None)
    if remember is not None:
        remember()  # the sources' sentences are encoded once: for the story's text, then its brief
    with getattr(summarizer, "reusing", contextlib.nullcontext)():
        for key in sorted(by):
            d = story.draft(by[key][: story.MAX_STORY_SOURCES], encode=encoder_of(summarizer),
                            words_per_minute=words_per_minute)  # fmt: skip
            apply(summarizer, [d.union])
            try:
                brief = story.finish(d)
            except PipelineError:
                failed += 1  # a digest shows the first article's brief instead
                continue
            said = [*brief.tldr, *(s for p in brief.summary for s in p)]
            found.append(defects.find([s.text for s in brief.tldr], [[s.text for s in p] for p in brief.summary],
                                      d.union.text))  # fmt: skip
            ids.append(f"story {key}")
            sentences += len(said)
            corroborated += sum(s.corroborated for s in said)
            disagreeing += bool(brief.disagreements)
    report = defects.report(found, ids)
    return {
        **report,
        "sentences": sentences,
        "corroborated_share": round(corroborated / max(1, sentences), 4),
        "with_disagreements": disagreeing,
        "failed": failed,
        "seconds_per_story": round((time.perf_counter() - t0) / max(1, len(found)), 3),
    }


def evaluate(
    shared: Path,
    settings: Settings,
    tasks: Sequence[str] = (),
    modes: Sequence[str] = (),
    limit: int | None = None,
    briefs: Path | None = None,
) -> dict[str, Any]:
    """Score ``tasks`` (default: all) on the dev sets in ``shared`` with its ``score.py``;
    summaries in each of ``modes`` (default: fast), the first ``limit`` documents of each set.
    ``briefs``: write every brief there (JSONL) to read them next to their articles. Each task's
    wall time, model loading included, is in ``results["wall_seconds"]``: what a task costs is
    what decides whether it fits in CI."""
    from .core import Models
    from .summarizers.base import apply

    tasks = tasks or TASKS
    # stories read only the set in bench/data and faithfulness no score.py: they run without it
    # (``and scorer`` below only tells mypy: it is loaded whenever one of those tasks runs)
    scorer = load_scorer(shared) if set(tasks) & set(SCORED) else None
    results: dict[str, Any] = {}
    wall: dict[str, float] = {}

    def gold(name: str) -> list[dict[str, Any]]:
        return first_of_each(read_jsonl(shared / f"{name}.dev.jsonl.gz"), limit)

    @contextlib.contextmanager
    def timed(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        wall[name] = round(time.perf_counter() - t0, 1)

    if "extraction" in tasks and scorer:
        with timed("extraction"):
            results["extraction"] = eval_extraction(scorer, gold("extraction"), settings)
    if "entities" in tasks and scorer:
        from .eval_entities import JUNK_LABELS, junk_audit, read_labels

        with timed("entities"):
            tagger = Models(settings).tagger
            results["entities"] = eval_entities(scorer, gold("entities"), tagger)
            if JUNK_LABELS.is_file():  # a checkout's; without it the junk ceilings say they went unchecked
                texts = {r["id"]: r["article"] for r in read_jsonl(shared / "summarization.dev.jsonl.gz")}
                results["entities"]["junk"] = junk_audit(read_labels(), texts, tagger)
    verifier = None
    if "faithfulness" in tasks or "summarization" in tasks:
        from .relations import Verifier

        with timed("relation check (load)"):
            verifier = Verifier.load(settings)  # also finds dropped attributions for the defect check
    if "faithfulness" in tasks:
        from .eval_faithful import (
            ALL_LABELS,
            NEWS_LABELS,
            PAGE_LABELS,
            eval_faithfulness,
            frank,
            labelled_briefs,
            news_articles,
            page_articles,
        )

        with timed("faithfulness"):
            results["faithfulness"] = eval_faithfulness(gold("summarization"), verifier)
            results["faithfulness"]["labelled"] = labelled_briefs(shared, verifier=verifier)
            results["faithfulness"]["labelled_all"] = labelled_briefs(shared, ALL_LABELS, verifier=verifier)
            if PAGE_LABELS.is_file():
                pages, heads = page_articles(shared, settings)
                results["faithfulness"]["labelled_pages"] = labelled_briefs(shared, PAGE_LABELS, verifier, pages, heads)
            if NEWS_LABELS.is_file():
                news, heads = news_articles()
                results["faithfulness"]["labelled_news"] = labelled_briefs(shared, NEWS_LABELS, verifier, news, heads)
            results["faithfulness"]["frank"] = frank(shared)
    if "stories" in tasks:
        with timed("stories"):
            results["stories"] = eval_stories(STORY_SET, Models(settings.replace(mode="fast", model="")))
    if "summarization" in tasks and scorer:
        results["summarization"] = {}
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(briefs.open("w", encoding="utf-8")) if briefs else None
            for mode in modes or ("fast",):
                models = Models(settings.replace(mode=mode))

                def summarize(articles: list[Article], models: Models = models, mode: str = mode) -> None:
                    apply(models.summarizer, articles)
                    for a in articles if out else ():
                        row = {"mode": mode, "id": a.source, "tldr": a.tldr_text, "summary": a.summary_paragraphs}
                        out.write(json.dumps({**row, "gated": a.gated}, ensure_ascii=False) + "\n")  # type: ignore[union-attr]
                        out.flush()  # type: ignore[union-attr]

                with timed(f"summarization {mode}"):
                    results["summarization"][mode] = eval_summarization(
                        scorer, gold("summarization"), summarize, settings.batch_size, verifier
                    )
    results["wall_seconds"] = wall
    return results


def save(path: Path, values: dict[str, float], results: dict[str, Any]) -> None:
    """The named metrics and the full results as one JSON file (``--json``)."""
    path.write_text(json.dumps({"metrics": values, "results": results}, indent=1))


def metrics(results: dict[str, Any]) -> dict[str, float]:
    """Flatten the results into the named numbers the floors refer to."""
    out: dict[str, float] = {}
    if "extraction" in results:
        out["extraction.bow_f1"] = results["extraction"]["bow_macro"]["f1"]
    if "entities" in results:
        out["entities.f1"] = results["entities"]["micro"]["f1"]
        if "junk" in results["entities"]:
            out["entities.junk_rate"] = results["entities"]["junk"]["junk_rate"]
            out["entities.unlabelled_shown"] = results["entities"]["junk"]["unlabelled_shown"]
    if "faithfulness" in results:
        f = results["faithfulness"]
        out["faithfulness.recall_all"] = f["recall_all"]
        for kind, r in f["recall"].items():
            out[f"faithfulness.recall.{kind}"] = r["rate"]
        for kind, a in f["false_alarm"].items():
            out[f"faithfulness.false_alarm.{kind}"] = a["rate"]
        for part in ("labelled", "labelled_all", "labelled_pages", "labelled_news"):
            for what in ("flagged", "verify", "tldr", "tldr_cut", "tldr_replaced"):
                for kind, rate in f.get(part, {}).get(what, {}).items():
                    out[f"faithfulness.{part}.{what}.{kind}"] = rate
        for kind, rate in f.get("verify", {}).items():
            out[f"faithfulness.verify.{kind}"] = rate
        if f.get("frank"):
            out["faithfulness.frank.partial"] = f["frank"]["ours"]
    if "stories" in results:
        st = results["stories"]
        for k in ("precision", "recall", "f1", "topic_precision"):
            out[f"stories.{k}"] = round(st["ours"][k], 4)
        out["stories.baseline_f1"] = round(st["baseline"]["f1"], 4)
        out["stories.f1_minus_baseline"] = round(st["ours"]["f1"] - st["baseline"]["f1"], 4)
        if "briefs" in st:
            out["stories.briefs.defects.any"] = round(st["briefs"]["any"], 4)
            for kind, rate in st["briefs"]["rate"].items():
                out[f"stories.briefs.defects.{kind}"] = round(rate, 4)
            out["stories.briefs.corroborated_share"] = st["briefs"]["corroborated_share"]
    for mode, res in results.get("summarization", {}).items():
        out[f"{mode}.unsupported_after_gate"] = res["unsupported_after_gate"]
        if "defects" in res:
            out[f"{mode}.defects.any"] = round(res["defects"]["any"], 4)
            for kind, rate in res["defects"]["rate"].items():
                out[f"{mode}.defects.{kind}"] = round(rate, 4)
        for ds in ("cnndm", "xsum"):
            for k in ("rouge1", "rouge2", "rougeLsum"):
                out[f"{mode}.{ds}.{k}"] = res["ours"][ds][k]
                out[f"{mode}.{ds}.{k}_minus_lead"] = round(res["ours"][ds][k] - res["lead_equal_length"][ds][k], 2)
        only = res.get("summary_only", {})
        if "cnndm" in only.get("ours", {}):
            ours_, lead_ = only["ours"]["cnndm"]["rouge1"], only["lead_equal_length"]["cnndm"]["rouge1"]
            out[f"{mode}.cnndm.summary_only.rouge1"] = ours_
            out[f"{mode}.cnndm.summary_only.rouge1_minus_lead"] = round(ours_ - lead_, 2)
    return out


# The first part of every name :func:`metrics` makes: a task's, or for summaries the mode's. A
# floor's group tells whether this run measured it (``--task stories`` leaves the others alone).
METRIC_GROUPS = ("extraction", "entities", "faithfulness", "stories", "fast", "quality")


def check_floors(values: dict[str, float], limit: int | None = None, floors_file: Any = FLOORS_FILE) -> list[str]:
    """Metrics below their floor (or above their ceiling). Each table holds for one run size:
    ``[floors]`` for full runs, ``[floors.limitN]`` for ``--limit N`` runs. Nothing is checked
    silently: a run size with no pinned floor for any metric it measured fails, and so does a floor
    or ceiling this run should have measured and did not (a misspelt name, a part of a task left
    out) or one naming no metric of the eval at all."""
    data = tomllib.loads(floors_file.read_text(encoding="utf-8"))
    sized = data["floors"].get(f"limit{limit}", {}) if limit else data["floors"]
    floors = {name: floor for name, floor in sized.items() if isinstance(floor, (int, float))}  # not limitN
    if values and not floors.keys() & values.keys():
        size = f"--limit {limit}" if limit else "full"
        return [f"no floors are pinned for a {size} run of these metrics (see eval_floors.toml); nothing was checked"]
    ceilings = data.get("ceilings", {})
    out = _unchecked(floors, "floor", values) + _unchecked(ceilings, "ceiling", values)
    out += [
        f"{name} = {values[name]:.3f} is below its floor {floor:.3f}"
        for name, floor in floors.items()
        if name in values and values[name] < floor
    ]
    out += [
        f"{name} = {values[name]:.3f} is above its ceiling {top:.3f}"
        for name, top in ceilings.items()
        if name in values and values[name] > top
    ]
    return out


def _unchecked(limits: dict[str, float], what: str, values: dict[str, float]) -> list[str]:
    """The floors or ceilings that name a metric missing from ``values`` although this run measured
    its group, or that belong to no group the eval measures."""
    measured = {name.split(".")[0] for name in values}
    out = []
    for name in limits:
        group = name.split(".")[0]
        if group in measured and name not in values:
            out.append(f"{name}: this run measured {group} but not this metric, so its {what} was not checked")
        elif group not in measured and group not in METRIC_GROUPS:
            out.append(f"{name}: its {what} names no metric the eval produces (see eval_floors.toml)")
    return out
