"""Paragraph-prompt variants of the quality recipe on CNN/DM dev articles the eval does not score.

    python bench/tune_paragraphs.py [--start 60] [--n 34]   # ~75 s per article on 2 cores

`make eval-quality` scores the first 60 CNN/DM articles; this uses the ones after them, so a
prompt chosen here is then checked on articles it was not chosen on. Per article the facts step
runs once, then every variant's paragraph request extends the same conversation (llama.cpp's
prompt cache keeps the article and the facts), and each reply passes the faithfulness gate like in
production. Reported per variant: ROUGE, equal-length lead, and the paired difference to the
current prompt with a bootstrap 95% interval. Results: bench/tune_paragraphs.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEEP_WORDING = "Keep the article's own wording where you can. "


def variants() -> dict[str, str]:
    from pipeline.lang import ENGLISH

    ask_paragraphs = ENGLISH.prompts.ask_paragraphs
    lead = (
        "Write two short paragraphs (about 60 words each) that summarize the article using only these facts. "
        "The first paragraph gives the main news: who did what, when and where. The second gives the most "
        "important details that follow. Do not add information, do not expand acronyms. Separate the "
        "paragraphs with a blank line. Reply with the paragraphs only."
    )
    return {
        "current": ask_paragraphs,
        "news_first": lead,
        "keep_wording": ask_paragraphs.replace("Do not add information,", KEEP_WORDING + "Do not add information,"),
        "news_first_keep_wording": lead.replace("Do not add information,", KEEP_WORDING + "Do not add information,"),
        "from_article": (
            "Write two short paragraphs (about 60 words each) that summarize the article, the most important "
            f"information first. {KEEP_WORDING}Do not add information, do not expand acronyms. Separate the "
            "paragraphs with a blank line. Reply with the paragraphs only."
        ),
    }


def main() -> None:
    from pipeline import evaluate
    from pipeline.document import Article
    from pipeline.lang import ENGLISH
    from pipeline.settings import load_settings
    from pipeline.summarizers import load_summarizer
    from pipeline.summarizers import recipe as R
    from pipeline.summarizers.gate import Source, finalize

    ap = argparse.ArgumentParser()
    ap.add_argument("--start", type=int, default=60, help="first CNN/DM dev article (the eval scores 0..59)")
    ap.add_argument("--n", type=int, default=34)
    ap.add_argument("--out", default=str(ROOT / "bench" / "tune_paragraphs.json"))
    args = ap.parse_args()
    shared = ROOT.parent / "shared" / "eval"
    scorer = evaluate.load_scorer(shared)
    rows = evaluate.read_jsonl(shared / "summarization.dev.jsonl.gz")
    gold = [g for g in rows if g["dataset"] == "cnndm"][args.start : args.start + args.n]
    asks = variants()
    summ = load_summarizer(load_settings({"mode": "quality"}))
    preds: dict[str, list[str]] = {k: [] for k in asks}
    gated = dict.fromkeys(asks, 0)
    for g in gold:
        src = Source.of(g["article"])
        counts = summ.chat.count_tokens([s.text for s in src.sentences])
        whole = R.chunk(src.sentences, summ.chat.count_tokens, summ.single_budget, counts)
        text = whole[0].text if whole else g["article"]
        convo = [
            {"role": "system", "content": ENGLISH.prompts.system},
            {"role": "user", "content": f"Article:\n{text}\n\n{ENGLISH.prompts.ask_facts}"},
        ]
        convo.append({"role": "assistant", "content": summ._ask(convo, R.FACTS_TOKENS)})
        for name, ask in asks.items():
            reply = summ._ask([*convo, {"role": "user", "content": ask}], R.PARAGRAPH_TOKENS)
            paragraphs = summ._trim(R.split_paragraphs(reply))
            res = finalize(
                Article(source=g["id"], text=g["article"]), [], paragraphs, 1.0, src, relations=summ.relations
            )
            gated[name] += len(res.gated)
            preds[name].append("\n".join(s.text for p in res.paragraphs for s in p))

    def minus_lead(texts: list[str]) -> list[float]:
        ours = scorer.rouge_rows([(g["reference"], t) for g, t in zip(gold, texts, strict=True)])
        lead = scorer.rouge_rows(
            [
                (g["reference"], evaluate.first_words(g["article"], len(t.split())))
                for g, t in zip(gold, texts, strict=True)
            ]
        )
        return [o["rouge1"] - ld["rouge1"] for o, ld in zip(ours, lead, strict=True)]

    base = minus_lead(preds["current"])
    result: dict[str, object] = {}
    for name, texts in preds.items():
        rel = minus_lead(texts)
        scored = scorer.score_summarization(
            gold, [{"id": g["id"], "summary": t} for g, t in zip(gold, texts, strict=True)]
        )
        row: dict[str, object] = {
            "rouge1": scored["cnndm"]["rouge1"],
            "rouge2": scored["cnndm"]["rouge2"],
            "rougeLsum": scored["cnndm"]["rougeLsum"],
            "rouge1_minus_equal_lead": round(sum(rel) / len(rel), 2),
            "words_mean": scored["cnndm"]["pred_words_mean"],
            "gated_sentences": gated[name],
        }
        if name != "current":
            diff = [a - b for a, b in zip(rel, base, strict=True)]
            row["vs_current_r1_minus_lead"] = round(sum(diff) / len(diff), 2)
            row["vs_current_ci95"] = [round(x, 2) for x in scorer.bootstrap_ci(diff)]  # paired
        result[name] = row
    report = {"articles": f"CNN/DM dev {args.start}..{args.start + len(gold) - 1}", "prompts": asks, "results": result}
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
