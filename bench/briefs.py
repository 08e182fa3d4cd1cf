"""Write the briefs of the summarization dev set to JSONL, one article per line, for reading them
side by side with their articles and for the reader-defect check (``pipeline.defects``).

    python bench/briefs.py --shared ../shared/eval --mode quality --limit 60 --out briefs.jsonl
    python bench/briefs.py --mode fast --skip 60 --out heldout.jsonl   # the rows the eval never scores

Rows are written and flushed one article at a time, so a long quality run can be read while it
runs and resumed (``--resume`` skips ids already in ``--out``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared/eval")
    ap.add_argument("--mode", default="fast", choices=["fast", "quality"])
    ap.add_argument("--limit", type=int, default=0, help="at most this many rows of each dataset (0: all)")
    ap.add_argument("--skip", type=int, default=0, help="skip the first N rows of each dataset")
    ap.add_argument("--dataset", choices=["cnndm", "xsum"], help="only this dataset")
    ap.add_argument("--out", required=True)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--warmup", action="store_true", help="summarize one article untimed first (model loading)")
    args = ap.parse_args()

    from pipeline.core import Models
    from pipeline.document import Article
    from pipeline.settings import load_settings
    from pipeline.summarizers.base import apply

    with gzip.open(Path(args.shared) / "summarization.dev.jsonl.gz", "rt", encoding="utf8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    seen: dict[str, int] = {}
    picked = []
    for row in rows:
        n = seen.get(row["dataset"], 0)
        seen[row["dataset"]] = n + 1
        if args.dataset and row["dataset"] != args.dataset:
            continue
        if n >= args.skip and (not args.limit or n < args.skip + args.limit):
            picked.append(row)
    out = Path(args.out)
    done = set()
    if args.resume and out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    models = Models(load_settings().replace(mode=args.mode))
    if args.warmup and picked:  # load the models (and warm caches) before anything is timed
        apply(models.summarizer, [Article(source="warmup", text=picked[0]["article"])])
    with out.open("a" if args.resume else "w", encoding="utf8") as f:
        for i, row in enumerate(picked, 1):
            if row["id"] in done:
                continue
            art = Article(source=row["id"], text=row["article"])
            t0 = time.perf_counter()
            apply(models.summarizer, [art])
            seconds = time.perf_counter() - t0
            rec = {
                "id": row["id"],
                "dataset": row["dataset"],
                "seconds": round(seconds, 3),
                "tldr": [s.text for s in art.tldr],
                "summary": [[s.text for s in p] for p in art.summary],
                "gated": art.gated,
            }
            f.write(json.dumps(rec) + "\n")
            f.flush()
            print(f"{i}/{len(picked)} {row['id']} {seconds:.1f}s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
