"""Faithfulness measured (``make eval``, task ``faithfulness``): the relation check on planted
errors (:func:`eval_faithfulness`), and the support check on people's reading: our own briefs
labelled sentence by sentence, and FRANK's human factuality judgements.

* **labelled briefs** (``bench/data/faithfulness-labels.jsonl``): 330 sentences of 60 quality
  briefs of dev articles (30 CNN/DM, 30 XSum), written by the default writer before the support
  check existed, each read against its article: ok / fact_error / misleading, with its kind; a
  second reader re-read the ones the first was unsure of. Reported: the share of fact errors the
  check flags (recall), of correct sentences it flags (false alarms), of sentences copied or cut
  from the article (every word, in order, from one article sentence) it flags (must be 0);
* the briefs of the next 60 dev articles (rows 30-59), before and after the support check, read
  the same way, are kept in ``bench/data/faithfulness-labels-heldout.jsonl`` (briefs with a fact
  error: 26 of 60 before, 15 after, 7 once summary sentences keep the article's words: the 48
  sentences that put in their place are labelled as brief "cut"); they record a reading, not a
  figure ``make eval`` recomputes;
* **FRANK** (``frank-valid.jsonl.gz`` beside the dev sets; Pagnoni et al. 2021, MIT): 256 system
  summaries of 56 dev articles judged by people; the partial correlation of the check's score
  (the share of content words a sentence's best support sentence lacks, averaged over the summary) with their
  factuality, the system as control variable, as FRANK reports it, beside the published metrics'.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

LABELS = Path(__file__).resolve().parents[1] / "bench" / "data" / "faithfulness-labels.jsonl"  # a checkout's
# every labelled reading of our briefs: the first set, the held-out rows before and after the
# support check, the ranker's, the fresh rows (a sentence read in two of them counts once)
ALL_LABELS = tuple(sorted(LABELS.parent.glob("faithfulness-labels*.jsonl")))


# the briefs of the extraction dev set's 54 web pages (bench/briefs.py --pages), read the same way:
# sites and kinds of page (reviews, blogs, op-eds, results) the checks were not built on
PAGE_LABELS = LABELS.parent / "pages-labels.jsonl"

# the quality briefs of 150 articles of the story set (ECB+ news and blog posts of many outlets, picked
# at random in five draws, one per event while events lasted; bench/briefs.py on them with their
# headlines), each draw read blind by the code of its day: articles none of the checks were built on
NEWS_LABELS = LABELS.parent / "news-labels.jsonl"
NEWS_ARTICLES = LABELS.parent / "stories-ecbplus.jsonl.gz"


def _articles(shared: Path) -> dict[str, str]:
    with gzip.open(shared / "summarization.dev.jsonl.gz", "rt", encoding="utf-8") as f:
        return {r["id"]: r["article"] for r in map(json.loads, f)}


def _put_right(text: str, relation: Any, src: Any, grams: Any, verifier: Any) -> str | None:
    """What the gate does to a TLDR its own check lets through and ``verify`` flags: "cut" to its
    news, "replaced" by the article sentence that tells it, or None (summarizers.gate.verified_tldr)."""
    from .summarizers.gate import guard, verified_tldr

    done = verified_tldr(text, relation, src, grams, guard(src, grams, verifier, [], strict=True))
    return done[0] if done is not None else None


def news_articles(path: Path = NEWS_ARTICLES) -> tuple[dict[str, str], dict[str, str]]:
    """The text and the headline of each article of the story set, by its id in the labels
    ("ecb-" and the set's id)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {f"ecb-{r['id']}": r["text"] for r in rows}, {f"ecb-{r['id']}": r["title"] or "" for r in rows}


def page_articles(shared: Path, settings: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The text and the headline of each page of the extraction dev set, extracted as the
    pipeline extracts them (the writer was shown both)."""
    from .document import Article
    from .errors import PipelineError
    from .extract import extract

    texts, titles = {}, {}
    with gzip.open(shared / "extraction.dev.jsonl.gz", "rt", encoding="utf-8") as f:
        for r in map(json.loads, f):
            try:
                page = extract(Article(source=r["url"], url=r["url"], raw=r["html"]), settings)
            except PipelineError:
                continue  # a page with no article: no brief was written for it either
            texts[r["id"]], titles[r["id"]] = page.text or "", page.title or ""
    return texts, titles


def labelled_briefs(
    shared: Path,
    labels: Path | tuple[Path, ...] = LABELS,
    verifier: Any = None,
    articles: dict[str, str] | None = None,
    headlines: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Recall on the labelled fact errors, false alarms on the correct sentences, copied ones
    flagged: as the writer's gate judges them (``flagged``) and, with the relation ``verifier``,
    as ``verify`` does (``verify``: the relation check's verdicts read by the support check).
    ``labels``: one label file, or several (a sentence of one article read in two counts once);
    ``articles``: the texts they were written from (default: the summarization dev set's), with
    their ``headlines`` where the writer was shown one."""
    from .summarizers.faithful import Grams, judge
    from .summarizers.gate import RELATION_REASONS
    from .summarizers.source import Source

    files = [labels] if isinstance(labels, Path) else list(labels)
    if not files or not all(f.is_file() for f in files):
        return {}
    articles = articles if articles is not None else _articles(shared)
    heads = headlines or {}
    rows, seen = [], set()
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            r = json.loads(line) if line.strip() else None
            if r is not None and (r["id"], r["text"]) not in seen:
                seen.add((r["id"], r["text"]))
                rows.append(r)
    read: dict[str, tuple[Source, Grams]] = {}
    count = {"fact_error": [0, 0], "misleading": [0, 0], "ok": [0, 0], "copied": [0, 0]}
    by_verify = {k: 0 for k in count}
    # as the writer's gate reads a TLDR: checked, flagged (replaced), and of those not flagged, cut
    # to its news or replaced by the article sentence that tells it (verify flags them)
    tldrs = {"fact_error": [0, 0, 0, 0], "misleading": [0, 0, 0, 0], "ok": [0, 0, 0, 0]}
    relation: dict[tuple[str, str], Any] = {}
    if verifier is not None:
        for aid in dict.fromkeys(r["id"] for r in rows if r["id"] in articles):
            mine = [r for r in rows if r["id"] == aid]
            said = verifier.check(articles[aid], [r["text"] for r in mine], heads.get(aid, ""))
            for r, v in zip(mine, said, strict=True):
                relation[(aid, r["text"])] = v
    for r in rows:
        if r["id"] not in articles:
            continue
        if r["id"] not in read:
            src = Source.of(articles[r["id"]], heads.get(r["id"], ""))
            read[r["id"]] = (src, Grams(src))
        src, grams = read[r["id"]]
        j = judge(r["text"], src, grams, alone=r["part"] == "tldr")
        v = judge(r["text"], src, grams, relation=relation[(r["id"], r["text"])]) if relation else None
        # the article's own words: a sentence of it, or one with words cut (none changed)
        kinds = [r["label"]] + (["copied"] if j.copied >= 1 or grams.cut(r["text"], src, j.support[:1]) else [])
        for kind in kinds:
            count[kind][0] += 1
            count[kind][1] += not j.supported
            by_verify[kind] += v is not None and not v.supported
        if relation and r["part"] == "tldr" and r["label"] in tldrs:
            rel = relation[(r["id"], r["text"])]
            tldrs[r["label"]][0] += 1
            flagged = not j.supported or (not rel.supported and rel.reason in RELATION_REASONS)
            tldrs[r["label"]][1] += flagged
            done = None if flagged else _put_right(r["text"], rel, src, grams, verifier)
            tldrs[r["label"]][2] += done == "cut"
            tldrs[r["label"]][3] += done == "replaced"
    rate = {k: round(flagged / n, 4) if n else 0.0 for k, (n, flagged) in count.items()}
    out = {"briefs": len(read), "sentences": {k: n for k, (n, _) in count.items()}, "flagged": rate}
    if relation:
        out["verify"] = {k: round(by_verify[k] / n, 4) if n else 0.0 for k, (n, _) in count.items()}
        out["tldr"] = {k: round(f / n, 4) if n else 0.0 for k, (n, f, _, _) in tldrs.items()}
        out["tldr_cut"] = {k: round(c / n, 4) if n else 0.0 for k, (n, _, c, _) in tldrs.items()}
        out["tldr_replaced"] = {k: round(r / n, 4) if n else 0.0 for k, (n, _, _, r) in tldrs.items()}
        out["tldrs"] = {k: n for k, (n, _, _, _) in tldrs.items()}
    return out


def _partial(x: list[float], y: list[float], groups: list[str]) -> float:
    import numpy as np

    g = sorted(set(groups))
    design = np.array([[s == u for u in g] for s in groups], dtype=float)

    def residual(v: list[float]) -> Any:
        a = np.asarray(v, dtype=float)
        beta, *_ = np.linalg.lstsq(design, a, rcond=None)
        return a - design @ beta

    return float(np.corrcoef(residual(x), residual(y))[0, 1])


def frank(shared: Path) -> dict[str, Any]:
    """Partial correlation with FRANK's human factuality (system controlled): ours and the published metrics'."""
    from .summarizers.faithful import Grams, judge
    from .summarizers.source import Source

    path = shared / "frank-valid.jsonl.gz"
    if not path.is_file():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    read: dict[str, tuple[Source, Grams]] = {}
    ours = []
    for r in rows:
        if r["article"] not in read:
            src = Source.of(r["article"])
            read[r["article"]] = (src, Grams(src))
        src, grams = read[r["article"]]
        novel = [judge(s, src, grams).novel for s in r["summary_sentences"]]
        ours.append(-sum(novel) / len(novel) if novel else 0.0)
    human = [float(r["factuality"]) for r in rows]
    systems = [str(r["system"]) for r in rows]
    out = {"summaries": len(rows), "ours": round(_partial(ours, human, systems), 3)}
    for name in sorted({m for r in rows for m in r.get("metrics", {})}):
        have = [i for i, r in enumerate(rows) if r.get("metrics", {}).get(name) is not None]
        xs = [float(rows[i]["metrics"][name]) for i in have]
        out[name] = round(_partial(xs, [human[i] for i in have], [systems[i] for i in have]), 3)
    return out


def eval_faithfulness(gold: list[dict[str, Any]], verifier: Any, seed: int = 13) -> dict[str, Any]:
    """The planted-error benchmark: wrong sentences made from each dev article's own sentences
    (see :func:`plant_errors` below) must be caught; the unmodified sentences and the
    reference highlights (CNN/DM, one per line) must not be flagged."""
    import random

    from .summarizers.faithful import judged

    rng = random.Random(seed)
    caught = {k: [0, 0] for k in ERROR_TYPES}
    alarms = {"source": [0, 0], "reference": [0, 0]}
    speaker = {"source": 0, "reference": 0}
    by_verify = {"planted": [0, 0], "source": [0, 0], "reference": [0, 0]}  # caught / flagged, checked
    examples: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    checked = 0
    for g in gold:
        article = g["article"]
        doc = next(verifier.parse([article[:20_000]]))
        planted = plant_errors(doc, rng)
        refs = [ln.strip() for ln in g["reference"].splitlines() if ln.strip()] if g["dataset"] == "cnndm" else []
        sentences = [w for _, _, w in planted] + [c for _, c, _ in planted] + refs
        verdicts = verifier.check(article[:20_000], sentences)
        # and as `verify` reads them: the relation check's verdicts through the support check
        read = list(judged(article[:20_000], verdicts))
        checked += len(sentences)
        n = len(planted)
        for (kind, correct, wrong), v, r in zip(planted, verdicts[:n], read[:n], strict=True):
            caught[kind][0] += not v.supported
            caught[kind][1] += 1
            by_verify["planted"][0] += not r.supported
            by_verify["planted"][1] += 1
            if v.supported and len(examples) < 12:
                examples.append({"type": kind, "missed": wrong, "correct": correct})
        # a correct sentence flagged for a faithfulness reason is a false alarm; "speaker" (a
        # quotation taken out without who said it) is a reader defect of the sentence as shown,
        # true of article sentences too: counted apart
        for key, part in (("source", verdicts[n : 2 * n]), ("reference", verdicts[2 * n :])):
            for v in part:
                alarms[key][0] += not v.supported and v.reason != "speaker"
                alarms[key][1] += 1
                speaker[key] += v.reason == "speaker"
        for key, part in (("source", read[n : 2 * n]), ("reference", read[2 * n :])):
            by_verify[key][0] += sum(not r.supported for r in part)
            by_verify[key][1] += len(part)
    seconds = time.perf_counter() - t0
    total = [sum(c[0] for c in caught.values()), sum(c[1] for c in caught.values())]
    return {
        "recall": {k: {"caught": c, "planted": n, "rate": c / n if n else 0.0} for k, (c, n) in caught.items()},
        "recall_all": total[0] / max(1, total[1]),
        "planted": total[1],
        "false_alarm": {k: {"flagged": f, "checked": n, "rate": f / n if n else 0.0} for k, (f, n) in alarms.items()},
        "quote_without_speaker": speaker,
        "verify": {k: round(a / n, 4) if n else 0.0 for k, (a, n) in by_verify.items()},
        "ms_per_sentence": round(1000 * seconds / max(1, checked), 2),
        "missed_examples": examples,
    }


ERROR_TYPES = ("entity", "number", "date", "negation", "roles")
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def plant_errors(doc: Any, rng: Any) -> list[tuple[str, str, str]]:
    """(error type, correct sentence, wrong sentence) made from one parsed article: a named
    entity swapped for another of the same label from the same article, a number changed, a date
    swapped, the main verb negated, subject and object swapped. At most one of each per sentence
    type per article, from sentences of 8-60 words."""
    sents = [s for s in doc.sents if 8 <= len(s) <= 60]
    rng.shuffle(sents)
    ents_by_label: dict[str, list[str]] = {}
    for e in doc.ents:
        ents_by_label.setdefault(e.label_, []).append(e.text)
    out: list[tuple[str, str, str]] = []
    done: set[str] = set()
    for sent in sents:
        text = sent.text.strip()
        for kind in ERROR_TYPES:
            if kind in done:
                continue
            wrong = _corrupt(kind, sent, text, ents_by_label, doc.text)
            if wrong and wrong != text:
                out.append((kind, text, wrong))
                done.add(kind)
                break
    return out


def _corrupt(kind: str, sent: Any, text: str, ents: dict[str, list[str]], article: str) -> str | None:
    base = sent.start_char
    if kind == "entity":
        for e in sent.ents:
            if e.label_ in {"PERSON", "ORG", "GPE", "NORP"}:
                others = [o for o in dict.fromkeys(ents.get(e.label_, [])) if o not in text and e.text not in o]
                if others:
                    return text[: e.start_char - base] + others[0] + text[e.end_char - base :]
    if kind == "number":
        for t in sent:
            if t.like_num and t.text.isdigit() and t.ent_type_ != "DATE":
                n = int(t.text)
                new = next((str(x) for x in (n + 1, n + 2, n * 2 + 3, n * 10 + 7) if str(x) not in article), None)
                if new:
                    return text[: t.idx - base] + new + text[t.idx - base + len(t.text) :]
    if kind == "date":
        for e in sent.ents:
            if e.label_ == "DATE":
                others = [o for o in dict.fromkeys(ents.get("DATE", [])) if o not in text and e.text not in o]
                day = next((d for d in _WEEKDAYS if d in e.text), None)
                swapped = others[0] if others else None
                if swapped is None and day:
                    swapped = e.text.replace(day, _WEEKDAYS[(_WEEKDAYS.index(day) + 3) % 7])
                if swapped:
                    return text[: e.start_char - base] + swapped + text[e.end_char - base :]
    if kind == "negation":
        root = sent.root
        if any(c.dep_ == "neg" for c in root.children) or root.pos_ not in {"VERB", "AUX"}:
            return None
        aux = next((c for c in root.children if c.dep_ in {"aux", "auxpass"}), None)
        if aux is not None:
            at = aux.idx + len(aux.text) - base
            return text[:at] + " not" + text[at:]
        if root.tag_ in {"VBD", "VBZ", "VBP"} and root.lemma_ != "be":
            helper = {"VBD": "did", "VBZ": "does", "VBP": "do"}[root.tag_]
            return text[: root.idx - base] + f"{helper} not {root.lemma_}" + text[root.idx - base + len(root.text) :]
    if kind == "roles":
        root = sent.root
        subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
        obj = next((c for c in root.children if c.dep_ == "dobj"), None)
        if subj is None or obj is None or subj.pos_ == "PRON" or obj.pos_ == "PRON":
            return None
        s0, s1 = subj.left_edge.idx - base, subj.right_edge.idx + len(subj.right_edge.text) - base
        o0, o1 = obj.left_edge.idx - base, obj.right_edge.idx + len(obj.right_edge.text) - base
        if not (s1 <= o0) or s1 - s0 > 60 or o1 - o0 > 60:
            return None
        a, b = text[s0:s1], text[o0:o1]
        if a.lower() == b.lower():
            return None
        first = b[0].upper() + b[1:] if s0 == 0 else b
        second = a[0].lower() + a[1:] if s0 == 0 and not sent[0].ent_type_ else a
        return text[:s0] + first + text[s1:o0] + second + text[o1:]
    return None
