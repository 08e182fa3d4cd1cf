"""The eval's results as the table ``newsbrief eval`` prints: each task's figures beside their
baselines, the reader defects with the worst briefs, each task's wall time."""

from __future__ import annotations

from typing import Any


def _defect_lines(d: dict[str, Any]) -> list[str]:
    per = ", ".join(f"{k} {d['count'][k]}" for k in d["count"] if d["count"][k])
    lines = [f"  reader defects: {d['with_any']} of {d['briefs']} briefs ({d['any']:.1%}) have one: {per or 'none'}"]
    for i, brief in enumerate(d["worst"][:3]):
        lines.append(f"    worst #{i + 1} ({brief['id']}):")
        for defect in brief["defects"][:4]:
            shown = defect["text"] if len(defect["text"]) <= 160 else defect["text"][:157] + "..."
            extra = f" [{defect['detail']}]" if defect["detail"] else ""
            lines.append(f"      {defect['kind']}{extra}: {shown}")
    return lines


def table(results: dict[str, Any]) -> str:
    lines = []
    if "extraction" in results:
        b = results["extraction"]["bow_macro"]
        lines.append(f"extraction  BoW P/R/F1 {b['precision']:.3f}/{b['recall']:.3f}/{b['f1']:.3f}")
    if "faithfulness" in results:
        f = results["faithfulness"]
        per = ", ".join(f"{k} {r['rate']:.0%} of {r['planted']}" for k, r in f["recall"].items())
        fa = f["false_alarm"]
        lines.append(
            f"verify      planted errors caught {f['recall_all']:.1%} of {f['planted']} ({per}); false alarms "
            f"{fa['source']['rate']:.1%} on source sentences, {fa['reference']['rate']:.1%} on reference highlights; "
            f"{f['ms_per_sentence']} ms/sentence"
        )
        if f.get("labelled"):
            rate, n = f["labelled"]["flagged"], f["labelled"]["sentences"]
            lines.append(
                f"support     labelled briefs: fact errors flagged {rate['fact_error']:.0%} of {n['fact_error']}, "
                f"correct sentences {rate['ok']:.1%} of {n['ok']}, copied {rate['copied']:.0%} of {n['copied']}"
            )
            if "verify" in f["labelled"]:
                vr, pv = f["labelled"]["verify"], f.get("verify", {})
                lines.append(
                    f"            as verify reads them (with the relation check): fact errors {vr['fact_error']:.0%}, "
                    f"correct {vr['ok']:.1%}, copied {vr['copied']:.0%}; planted errors {pv.get('planted', 0):.1%}, "
                    f"source sentences {pv.get('source', 0):.1%}, reference highlights {pv.get('reference', 0):.1%}"
                )
            if "tldr" in f["labelled"]:
                tr, tn = f["labelled"]["tldr"], f["labelled"]["tldrs"]
                lines.append(
                    f"            TLDRs as the writer's gate reads them (support and relation checks): fact errors "
                    f"{tr['fact_error']:.0%} of {tn['fact_error']}, correct {tr['ok']:.1%} of {tn['ok']}"
                )
        parts = (("labelled_all", "all labelled briefs"), ("labelled_pages", "web pages' briefs"),
                 ("labelled_news", "unseen news briefs"))  # fmt: skip
        for part, what in parts:
            if not f.get(part, {}).get("verify"):
                continue
            a, an = f[part]["verify"], f[part]["sentences"]
            read, articles = sum(an.values()) - an["copied"], f[part]["briefs"]
            lines.append(
                f"            {what} ({articles} articles, {read} sentences), as verify reads "
                f"them: fact errors {a['fact_error']:.0%} of {an['fact_error']}, correct {a['ok']:.1%} of {an['ok']}, "
                f"misleading {a['misleading']:.0%} of {an['misleading']}, copied {a['copied']:.0%} of {an['copied']}"
            )
            if "tldr_cut" in f[part]:
                t, c, tn = f[part]["tldr"], f[part]["tldr_cut"], f[part]["tldrs"]
                r = f[part].get("tldr_replaced", {})
                shares = {k: f"{t[k]:.0%} / {c[k]:.0%} / {r.get(k, 0.0):.0%}" for k in t}
                lines.append(
                    f"              TLDRs the gate flags / cuts to their news / gives the article's words: "
                    f"fact errors {shares['fact_error']} of {tn['fact_error']}, misleading {shares['misleading']} "
                    f"of {tn['misleading']}, correct {shares['ok']} of {tn['ok']}"
                )
        if f.get("frank"):
            fr = f["frank"]
            others = ", ".join(f"{k} {v:.3f}" for k, v in fr.items() if k not in ("ours", "summaries"))
            lines.append(
                f"            FRANK partial correlation {fr['ours']:.3f} ({fr['summaries']} summaries; {others})"
            )
        if "quote_without_speaker" in f:
            q = f["quote_without_speaker"]
            lines.append(
                f"            quotes without their speaker (a reader defect, not counted as false alarms): "
                f"{q['source']} source sentences, {q['reference']} reference highlights"
            )
    if "entities" in results:
        m = results["entities"]["micro"]
        lines.append(f"entities    P/R/F1 {m['precision']:.3f}/{m['recall']:.3f}/{m['f1']:.3f} (CoNLL labels)")
        if "junk" in results["entities"]:
            j = results["entities"]["junk"]
            lines.append(
                f"            junk {j['junk_rate']:.1%} ({j['junk']} of {j['shown']} entities shown in {j['articles']} "
                f"labelled dev briefs), {j['unlabelled_shown']} shown without a label"
            )
    if "stories" in results:
        st = results["stories"]
        for name, r in (
            ("ours", st["ours"]),
            (f"TF-IDF baseline (threshold {st['baseline_threshold']})", st["baseline"]),
        ):
            lines.append(
                f"stories     {name}: B-cubed P/R/F1 {r['precision']:.3f}/{r['recall']:.3f}/{r['f1']:.3f}, "
                f"{r['stories']} stories for {r['gold_stories']} gold ({st['set']}, held-out topics); "
                f"precision against topics {r['topic_precision']:.3f} (1 = no unrelated events mixed)"
            )
        if "briefs" in st:
            b = st["briefs"]
            lines.append(
                f"  story briefs (fast, the held-out gold stories, {b['seconds_per_story']:.2f} s/story): "
                f"{b['corroborated_share']:.0%} of {b['sentences']} sentences corroborated, "
                f"{b['with_disagreements']} of {b['briefs']} with sources disagreeing"
            )
            lines += _defect_lines(b)
    for mode, res in results.get("summarization", {}).items():
        lines.append(
            f"summaries ({mode}, {res['articles']} articles, {res['seconds_per_article']:.2f} s/article, "
            f"{res['gated_sentences']} sentences gated, {res['unsupported_after_gate']} unsupported claims left)"
            "   R1 / R2 / RLsum   words"
        )
        if "defects" in res:
            lines += _defect_lines(res["defects"])
        for ds, what in (("cnndm", "TLDR + Article Summary vs highlights"), ("xsum", "TLDR vs one-liner")):
            lines.append(f"  {ds}: {what}")
            for name, key in (
                ("ours", "ours"),
                ("lead, equal length", "lead_equal_length"),
                ("lead-3/lead-1", "lead_classic"),
            ):
                r = res[key][ds]
                scores = f"{r['rouge1']:6.2f} {r['rouge2']:6.2f} {r['rougeLsum']:6.2f}"
                lines.append(f"    {name:<20} {scores}   {r.get('pred_words_mean', 0):5.1f}")
            only = res.get("summary_only", {})
            if ds == "cnndm" and "cnndm" in only.get("ours", {}):
                o, lead = only["ours"]["cnndm"], only["lead_equal_length"]["cnndm"]
                lines.append(
                    f"    {'summary alone':<20} {o['rouge1']:6.2f} {o['rouge2']:6.2f} {o['rougeLsum']:6.2f}   "
                    f"{o.get('pred_words_mean', 0):5.1f}  (lead at its length: R1 {lead['rouge1']:.2f})"
                )
    if results.get("wall_seconds"):
        wall = results["wall_seconds"]
        each = ", ".join(f"{name} {s:.0f} s" for name, s in wall.items())
        lines.append(f"wall time   {each} (total {sum(wall.values()):.0f} s)")
    return "\n".join(lines)


# ---------------------------------------------------------------- the planted-error benchmark
