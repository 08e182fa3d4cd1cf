"""Grid search of the fast ranker's weights on the summarization dev set (embeddings computed once).

    python bench/tune_ranker.py            # prints the best settings for the summary and the TLDR

Used to choose the defaults in RankerOptions; the result is reported in bench/tune_ranker.json.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from pipeline import evaluate
    from pipeline.document import Article
    from pipeline.models import resolve
    from pipeline.settings import load_settings
    from pipeline.summarizers.extractive import ExtractiveSummarizer, RankerOptions, prepare, select

    shared = ROOT.parent / "shared" / "eval"
    scorer = evaluate.load_scorer(shared)
    gold = evaluate.read_jsonl(shared / "summarization.dev.jsonl.gz")
    summ = ExtractiveSummarizer.load(resolve("minilm-l6", "summarizer"), load_settings({"mode": "fast"}))
    arts = [Article(source=g["id"], text=g["article"]) for g in gold]
    preps = [prepare(a, summ.opts) for a in arts]
    embs = [summ.encode([s.text for s in p.sentences]) for p in preps]

    def score(opts: RankerOptions, ds: str) -> tuple[float, float]:
        ours, lead = [], []
        rows = [(g, p, e) for g, p, e in zip(gold, preps, embs, strict=True) if g["dataset"] == ds]
        for g, p, e in rows:
            res = select(p, e, None, opts)
            if ds == "xsum":
                pred = " ".join(s.text for s in res.tldr)
            else:
                pred = "\n".join(s.text for para in res.paragraphs for s in para)
            ours.append({"id": g["id"], "summary": pred})
            lead.append({"id": g["id"], "summary": evaluate.first_words(g["article"], len(pred.split()))})
        sub = [g for g, _, _ in rows]
        a = scorer.score_summarization(sub, ours)[ds]["rouge1"]
        b = scorer.score_summarization(sub, lead)[ds]["rouge1"]
        return a, a - b

    base = summ.opts
    results: dict[str, list[dict[str, float]]] = {"cnndm": [], "xsum": []}
    grid = itertools.product([0.5, 1.0, 1.5], [0.0, 0.2, 0.5, 0.8, 1.2], [0.0, 0.3, 0.6])
    for wc, wp, red in grid:
        opts = dataclasses.replace(base, w_centrality=wc, w_position=wp, redundancy=red)
        for ds in results:
            r1, gain = score(opts, ds)
            results[ds].append({"w_centrality": wc, "w_position": wp, "redundancy": red, "rouge1": r1, "gain": gain})
    best = {ds: max(rows, key=lambda r: r["gain"]) for ds, rows in results.items()}
    (ROOT / "bench" / "tune_ranker.json").write_text(json.dumps({"best": best, "grid": results}, indent=1))
    print(json.dumps(best, indent=1))


if __name__ == "__main__":
    main()
