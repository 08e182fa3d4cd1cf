"""The support check measured on people's reading: our own briefs labelled sentence by sentence,
and FRANK's human factuality judgements (``make eval``, task ``faithfulness``).

* **labelled briefs** (``bench/data/faithfulness-labels.jsonl``): 330 sentences of 60 quality
  briefs of dev articles (30 CNN/DM, 30 XSum), written by the default writer before the support
  check existed, each read against its article: ok / fact_error / misleading, with its kind; a
  second reader re-read the ones the first was unsure of. Reported: the share of fact errors the
  check flags (recall), of correct sentences it flags (false alarms), of sentences copied or cut
  from the article (every word, in order, from one article sentence) it flags (must be 0);
* the briefs of the next 60 dev articles (rows 30-59), before and after the support check, read
  the same way, are kept in ``bench/data/faithfulness-labels-heldout.jsonl`` (briefs with a fact
  error: 26 of 60 before, 15 after); they record a reading, not a figure ``make eval`` recomputes;
* **FRANK** (``frank-valid.jsonl.gz`` beside the dev sets; Pagnoni et al. 2021, MIT): 256 system
  summaries of 56 dev articles judged by people; the partial correlation of the check's score
  (the share of content words a sentence's best support sentence lacks, averaged over the summary) with their
  factuality, the system as control variable, as FRANK reports it, beside the published metrics'.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

LABELS = Path(__file__).resolve().parents[1] / "bench" / "data" / "faithfulness-labels.jsonl"  # a checkout's


def _articles(shared: Path) -> dict[str, str]:
    with gzip.open(shared / "summarization.dev.jsonl.gz", "rt", encoding="utf-8") as f:
        return {r["id"]: r["article"] for r in map(json.loads, f)}


def labelled_briefs(shared: Path, labels: Path = LABELS, verifier: Any = None) -> dict[str, Any]:
    """Recall on the labelled fact errors, false alarms on the correct sentences, copied ones
    flagged: as the writer's gate judges them (``flagged``) and, with the relation ``verifier``,
    as ``verify`` does (``verify``: the relation check's verdicts read by the support check)."""
    from .summarizers.faithful import Grams, judge
    from .summarizers.source import Source

    if not labels.is_file():
        return {}
    articles = _articles(shared)
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    read: dict[str, tuple[Source, Grams]] = {}
    count = {"fact_error": [0, 0], "misleading": [0, 0], "ok": [0, 0], "copied": [0, 0]}
    by_verify = {k: 0 for k in count}
    relation: dict[tuple[str, int], Any] = {}
    if verifier is not None:
        for aid in dict.fromkeys(r["id"] for r in rows if r["id"] in articles):
            mine = [r for r in rows if r["id"] == aid]
            for r, v in zip(mine, verifier.check(articles[aid], [r["text"] for r in mine]), strict=True):
                relation[(aid, r["n"])] = v
    for r in rows:
        if r["id"] not in articles:
            continue
        if r["id"] not in read:
            src = Source.of(articles[r["id"]])
            read[r["id"]] = (src, Grams(src))
        src, grams = read[r["id"]]
        j = judge(r["text"], src, grams, alone=r["part"] == "tldr")
        v = judge(r["text"], src, grams, relation=relation[(r["id"], r["n"])]) if relation else None
        # the article's own words: a sentence of it, or one with words cut (none changed)
        kinds = [r["label"]] + (["copied"] if j.copied >= 1 or grams.cut(r["text"], src, j.support[:1]) else [])
        for kind in kinds:
            count[kind][0] += 1
            count[kind][1] += not j.supported
            by_verify[kind] += v is not None and not v.supported
    rate = {k: round(flagged / n, 4) if n else 0.0 for k, (n, flagged) in count.items()}
    out = {"briefs": len(read), "sentences": {k: n for k, (n, _) in count.items()}, "flagged": rate}
    if relation:
        out["verify"] = {k: round(by_verify[k] / n, 4) if n else 0.0 for k, (n, _) in count.items()}
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
