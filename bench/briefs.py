"""Write the briefs of the summarization dev set to JSONL, one article per line, for reading them
side by side with their articles and for the reader-defect check (``pipeline.defects``).

    python bench/briefs.py --shared ../shared/eval --mode quality --limit 60 --out briefs.jsonl
    python bench/briefs.py --mode fast --skip 60 --out heldout.jsonl   # the rows the eval never scores
    python bench/briefs.py --mode quality --pages --out pages.jsonl     # the extraction set's web pages

``--pages`` writes the briefs of the extraction dev set's pages instead (news pages of many sites,
with no reference summary, never summarized while the checks were built): each page goes through
the whole pipeline, trafilatura included, as ``newsbrief summarize page.html`` would.

Rows are written and flushed one article at a time, so a long quality run can be read while it
runs and resumed (``--resume`` skips ids already in ``--out``).

Quality mode's writer can be recorded and replayed: ``--record writer.jsonl`` keeps every reply of
the LLM (and every token count) keyed by its exact prompt; ``--replay writer.jsonl`` answers from
that file instead of loading the model, so a change after the writer (the gate, the checks) is
measured on the same writer output in seconds, byte for byte. A prompt the file does not hold is
answered by the model when ``--record`` names a file too (new prompts are added to it), else it
is an error.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def prompt_key(messages: Sequence[dict[str, str]], max_tokens: int) -> str:
    return hashlib.sha256(json.dumps([list(messages), max_tokens], sort_keys=True).encode()).hexdigest()


class WriterLog:
    """A chat model's replies and token counts kept in a JSONL file, keyed by the exact prompt;
    it answers from the file, else asks ``chat`` (and appends what it says), else fails."""

    def __init__(self, path: Path, chat: Any = None, model_id: str = "", context: int = 4096) -> None:
        self.path, self.model = path, chat
        self.replies: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}
        if path.exists():
            for line in path.read_text(encoding="utf8").splitlines():
                rec = json.loads(line)
                if "count" in rec:
                    self.counts[rec["text"]] = rec["count"]
                else:
                    self.replies[rec["key"]] = rec
        self.model_id = chat.model_id if chat is not None else model_id
        self.context = chat.context if chat is not None else context
        self.slots = getattr(chat, "slots", 1)
        self.out = path.open("a", encoding="utf8") if chat is not None else None

    def _keep(self, rec: dict[str, Any]) -> None:
        if self.out is not None:
            self.out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.out.flush()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.counts]
        if missing:
            if self.model is None:
                raise KeyError(f"no recorded token count for {missing[0][:60]!r}")
            for t, n in zip(missing, self.model.count_tokens(missing), strict=True):
                self.counts[t] = n
                self._keep({"text": t, "count": n})
        return [self.counts[t] for t in texts]

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int) -> Any:
        from pipeline.summarizers.recipe import Generation

        key = prompt_key(messages, max_tokens)
        rec = self.replies.get(key)
        if rec is None:
            if self.model is None:
                raise KeyError("no recorded reply for this prompt: " + json.dumps(messages[-1])[:200])
            g = self.model.chat(messages, max_tokens)
            rec = {"key": key, "text": g.text, "prompt_tokens": g.prompt_tokens, "cached_tokens": g.cached_tokens,
                   "generated_tokens": g.generated_tokens, "seconds": round(g.seconds, 3)}  # fmt: skip
            self.replies[key] = rec
            self._keep(rec)
        return Generation(rec["text"], rec["prompt_tokens"], rec["cached_tokens"], rec["generated_tokens"],
                          rec["seconds"])  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared/eval")
    ap.add_argument("--mode", default="fast", choices=["fast", "quality"])
    ap.add_argument("--limit", type=int, default=0, help="at most this many rows of each dataset (0: all)")
    ap.add_argument("--skip", type=int, default=0, help="skip the first N rows of each dataset")
    ap.add_argument("--dataset", choices=["cnndm", "xsum"], help="only this dataset")
    ap.add_argument("--pages", action="store_true", help="the extraction dev set's web pages, extracted first")
    ap.add_argument("--out", required=True)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--warmup", action="store_true", help="summarize one article untimed first (model loading)")
    ap.add_argument("--record", help="quality: keep every reply of the writer in this JSONL file")
    ap.add_argument("--replay", help="quality: answer from this file instead of the model (see above)")
    args = ap.parse_args()

    from pipeline.core import Models
    from pipeline.errors import PipelineError
    from pipeline.settings import load_settings
    from pipeline.summarizers.base import apply

    name = "extraction.dev.jsonl.gz" if args.pages else "summarization.dev.jsonl.gz"
    with gzip.open(Path(args.shared) / name, "rt", encoding="utf8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for row in rows if args.pages else ():
        row["dataset"] = "pages"
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
    settings = load_settings().replace(mode=args.mode)
    models = Models(settings)
    if args.mode == "quality" and (args.record or args.replay):
        from pipeline.models import resolve
        from pipeline.summarizers.recipe import RecipeSummarizer

        spec = resolve(settings.quality_model, "summarizer", settings.models_dir)
        chat = None
        if args.record:
            from pipeline.summarizers.llamacpp import LlamaCppChat

            chat = LlamaCppChat.load(spec, settings)
        log = WriterLog(Path(args.record or args.replay), chat, spec.id, settings.llm_context)
        if args.replay and args.record and args.replay != args.record:
            log.replies.update(WriterLog(Path(args.replay)).replies)
            log.counts.update(WriterLog(Path(args.replay)).counts)
        models = Models(settings, summarizer=RecipeSummarizer(log, settings))  # type: ignore[arg-type]
    if args.warmup and picked:  # load the models (and warm caches) before anything is timed
        apply(models.summarizer, [article_of(picked[0], settings)])
    with out.open("a" if args.resume else "w", encoding="utf8") as f:
        for i, row in enumerate(picked, 1):
            if row["id"] in done:
                continue
            try:
                art = article_of(row, settings)
            except PipelineError as exc:  # a page trafilatura finds no article in: say so, go on
                print(f"{i}/{len(picked)} {row['id']} skipped: {exc}", file=sys.stderr, flush=True)
                continue
            t0 = time.perf_counter()
            apply(models.summarizer, [art])
            seconds = time.perf_counter() - t0
            rec = {
                "id": row["id"],
                "dataset": row["dataset"],
                **({"url": row["url"], "title": art.title, "text": art.text} if args.pages else {}),
                "seconds": round(seconds, 3),
                "tldr": [s.text for s in art.tldr],
                "summary": [[s.text for s in p] for p in art.summary],
                "gated": art.gated,
            }
            f.write(json.dumps(rec) + "\n")
            f.flush()
            print(f"{i}/{len(picked)} {row['id']} {seconds:.1f}s", file=sys.stderr, flush=True)


def article_of(row: dict[str, Any], settings: Any) -> Any:
    """The article of a summarization row, or of a page (extracted as the pipeline extracts it)."""
    from pipeline.document import Article
    from pipeline.extract import extract

    if "html" in row:
        return extract(Article(source=row["url"], url=row["url"], raw=row["html"]), settings)
    return Article(source=row["id"], text=row["article"], title=row.get("title"))


if __name__ == "__main__":
    main()
