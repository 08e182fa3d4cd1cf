"""Speed and memory benchmarks (numbers into a results file; never timed assertions in tests).

    python bench/run.py --out bench/results.json

Measures: `newsbrief --help` start-up, cold start of one `summarize` call (wall, peak RSS), model
load time, per-article latency, a 50-article batch against a naive loop (one encode call per
article, no cross-article batching), int8 dynamic quantization, and cost vs article length; then
the quality writer (llama.cpp) against llama.cpp alone generating the same tokens (``--skip-quality``
leaves it out).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NEWSBRIEF = [sys.executable, "-m", "pipeline.cli"]
SEED = ROOT / "samples" / "eu-cloud-certification.html"


def run_cli(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one CLI process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(NEWSBRIEF + args, check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc)
"""


def measure(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall seconds, peak RSS (MB) and exit code of one CLI run, in a fresh process tree."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *NEWSBRIEF, *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})}, check=True,
    ).stdout.split()  # fmt: skip
    return {"seconds": round(float(out[0]), 2), "peak_rss_mb": round(float(out[1])), "exit_code": int(out[2])}


def bench_batch(texts: list[str], work: Path) -> dict[str, object]:
    """200 saved pages through `newsbrief batch` (fast mode), local engine vs Ray (local mode)."""
    from html import escape

    pages = work / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    for i in range(200):
        body = "".join(f"<p>{escape(p)}</p>" for p in texts[i % len(texts)].split("\n") if p.strip())
        note = f"<p>Copy {i} of this story was saved for the batch benchmark on the test machine.</p>"
        (pages / f"p{i:03d}.html").write_text(
            f"<html><body><article><h1>Story {i}</h1>{body}{note}</article></body></html>"
        )
    out: dict[str, object] = {"pages": 200}
    for engine in ("local", "ray"):
        run = measure(["batch", str(pages), "--out", str(work / engine), "--mode", "fast", "--no-index", "-q",
                       "--engine", engine, "--workers", "2" if engine == "ray" else "1"])  # fmt: skip
        run["articles_per_minute"] = round(200 / run["seconds"] * 60, 1)
        out[engine] = run
    out["note"] = "ray: local mode, 2 model actors; peak RSS is the driver's process tree only"
    return out


def bench_limits(work: Path) -> dict[str, object]:
    """Memory and time on hostile input (issue 11), each in a fresh process tree: a 50 MB page
    (refused by the 10 MB cap, then with the cap raised), a 200k-word article (at the default
    max_text_chars and with it lifted), a 9.9 MB page of one repeated word, 100k tiny
    sentences, and a 300-byte `Content-Encoding: gzip, gzip` bomb of 200 MB served on loopback."""
    import gzip
    import http.server
    import threading

    big = work / "50mb.html"
    para = "<p>" + "The regulator said the breach exposed records of customers in several countries. " * 10 + "</p>"
    big.write_text("<html><body><article>" + para * (50_000_000 // len(para)) + "</article></body></html>")
    long = work / "200k.txt"
    long.write_text("A very long article\n" + "The breach affected many users across the region. " * 25_000)
    one_word = work / "one-word.html"
    one_word.write_text("<html><body><p>" + "word " * 1_980_000 + "</p></body></html>")
    tiny = work / "tiny.html"
    tiny.write_text("<html><body>" + "".join(f"<p>A b {i}.</p>" for i in range(100_000)) + "</body></html>")
    bomb = gzip.compress(gzip.compress(b"<p>" + b"\0" * 200_000_000, 9), 9)

    class Bomb(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip, gzip")
            self.send_header("Content-Length", str(len(bomb)))
            self.end_headers()
            self.wfile.write(bomb)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Bomb)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    args = ["summarize", "--mode", "fast", "--no-index", "--format", "json"]
    try:
        return {
            "html_50mb_default_cap": measure([*args, str(big)]),
            "html_50mb_cap_raised": measure([*args, str(big)], {"NEWSBRIEF_MAX_BYTES": "60000000"}),
            "text_200k_words": measure([*args, str(long)]),
            "text_200k_words_no_text_cap": measure([*args, str(long)], {"NEWSBRIEF_MAX_TEXT_CHARS": "100000000"}),
            "html_9_9mb_one_word": measure([*args, str(one_word)]),
            "html_100k_tiny_sentences": measure([*args, str(tiny)]),
            "gzip_gzip_bomb_bytes": len(bomb),
            "gzip_gzip_bomb_200mb": measure([*args, f"http://127.0.0.1:{httpd.server_address[1]}/"]),
        }
    finally:
        httpd.shutdown()


def bench_serve(work: Path, n: int = 10_000, runs: int = 30) -> dict[str, object]:
    """`newsbrief serve` on a generated index of ``n`` articles: server time per page (median and
    p95 over ``runs`` requests through the ASGI app in-process, so no network or browser time)."""
    import datetime as dt
    import random
    import statistics

    from starlette.testclient import TestClient

    from pipeline.document import Article, Entity, SummarySentence
    from pipeline.serve import create_app
    from pipeline.store import Store

    rng = random.Random(7)
    words = ("breach ransomware patch cloud certification agency vendor exploit zero-day regulator "
             "customers records scheme sovereignty operator botnet phishing update advisory").split()  # fmt: skip
    names = [(f"Org{i} Group", "ORG") for i in range(400)] + [(f"Country{i}", "GPE") for i in range(100)]
    db = work / "serve-index.db"
    today = dt.date.today()
    t0 = time.perf_counter()
    with Store(db) as store:
        batch = []
        for i in range(n):
            sents = [" ".join(rng.choice(words) for _ in range(18)).capitalize() + "." for _ in range(20)]
            text = "\n".join(" ".join(sents[k : k + 4]) for k in range(0, 20, 4))
            day = (today - dt.timedelta(days=rng.randrange(365))).isoformat()
            a = Article(source=f"https://bench.example/{i}", url=f"https://bench.example/{i}", title=sents[0][:80],
                        date=day, text=text, word_count=360, reading_minutes=2)  # fmt: skip
            a.tldr = [SummarySentence(sents[0], [(0, len(sents[0]))])]
            a.summary = [[SummarySentence(s, [(text.find(s), text.find(s) + len(s))]) for s in sents[1:4]]]
            a.entities = [Entity(nm, lb, rng.randint(1, 5), nm) for nm, lb in rng.sample(names, 6)]
            a.model = {"summarizer": "bench", "ner": "bench"}
            batch.append(a)
            if len(batch) == 500:
                store.add_batch(batch)
                batch = []
        store.add_batch(batch)
    build = time.perf_counter() - t0
    client = TestClient(create_app(db), base_url="http://127.0.0.1:8750")  # the reader answers only to its own Host
    pages = {
        "home": "/", "search": "/search?q=ransomware+patch", "article": f"/article/{n // 2}",
        "entity": "/entity/org7 group", "entity_json": "/entity/org7 group?format=json", "digests": "/digests/",
    }  # fmt: skip
    out: dict[str, object] = {"articles": n, "index_build_seconds": round(build, 1)}
    for name, url in pages.items():
        client.get(url)  # warm the page cache
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            assert client.get(url).status_code == 200, url
            times.append(1000 * (time.perf_counter() - t0))
        times.sort()
        out[f"{name}_ms_median"] = round(statistics.median(times), 1)
        out[f"{name}_ms_p95"] = round(times[int(0.95 * (len(times) - 1))], 1)
    return out


def bench_entity_index(
    work: Path, sizes: tuple[int, ...] = (1_000, 100_000), probes: int = 50, per_article: int = 20
) -> dict[str, object]:
    """Cost of indexing one entity as the index grows: an index is filled to each size (generated
    articles naming ``per_article`` entities each, every entity with an alias), then ``probes``
    articles naming ``per_article`` entities each (half known, by key or by alias; half new) are
    added in one transaction: milliseconds per entity. Flat from 1k to 100k entities means every
    lookup is indexed (with the old OR-join lookup it was 0.26 / 0.98 / 2.50 ms at 1k / 3k / 7k)."""
    import random

    from pipeline.document import Article, Entity, SummarySentence
    from pipeline.store import Store

    rng = random.Random(7)

    def article(i: int, names: list[str]) -> Article:
        a = Article(source=f"https://bench.example/{i}", url=f"https://bench.example/{i}", title=f"Article {i}",
                    text=f"Article {i} names {len(names)} organisations.", word_count=5, reading_minutes=1)  # fmt: skip
        a.tldr = [SummarySentence(a.text)]
        a.summary = [[SummarySentence(a.text)]]
        a.entities = [Entity(n, "ORG", 1, n, aliases=[f"{n} Inc"]) for n in names]
        return a

    out: dict[str, object] = {"probe_entities": probes * per_article}
    for size in sizes:
        with Store(work / f"entities-{size}.db") as store:
            n, batch = 0, []
            for start in range(0, size, per_article):
                batch.append(article(n, [f"Org{k}" for k in range(start, min(start + per_article, size))]))
                n += 1
                if len(batch) == 500:
                    store.add_batch(batch)
                    batch = []
            store.add_batch(batch)
            half = per_article // 2
            known = [f"Org{rng.randrange(size)}" + (" Inc" if k % 2 else "") for k in range(probes * half)]
            todo = [article(n + j, known[j * half : (j + 1) * half] + [f"New{j}-{k}" for k in range(half)])
                    for j in range(probes)]  # fmt: skip
            t0 = time.perf_counter()
            store.add_batch(todo)
            out[f"ms_per_entity_at_{size}"] = round(1000 * (time.perf_counter() - t0) / (probes * per_article), 3)
    per = [float(str(out[f"ms_per_entity_at_{size}"])) for size in sizes]
    out["growth"] = round(per[-1] / per[0], 2)  # the target: within 2x from 1k to 100k
    return out


def bench_shared_cpu(work: Path, shared: Path) -> dict[str, object]:
    """Two quality jobs at once on 2 cores (a cron digest while someone runs summarize): wall
    time of one `summarize --mode quality` of a ~600-word dev article alone, then of two started
    together, with the machine-wide turn lock (llm_lock) off and on. Each in fresh processes."""
    texts = dev_articles(shared, 174)
    text = min(texts, key=lambda t: abs(len(t.split()) - 600))
    page = work / "article.txt"
    page.write_text("A dev article for the shared-CPU bench\n" + text)
    args = [*NEWSBRIEF, "summarize", "--mode", "quality", "--no-index", str(page)]

    def pair(lock: str) -> list[float]:
        env = {**os.environ, "NEWSBRIEF_LLM_LOCK": lock}
        t0 = time.perf_counter()
        procs = [subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in (1, 2)]
        ends = []
        for p in procs:
            p.wait()
            ends.append(time.perf_counter() - t0)
        return [round(x, 1) for x in ends]

    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    idle = round(time.perf_counter() - t0, 1)
    out: dict[str, object] = {"article_words": len(text.split()), "idle_seconds": idle}
    for name, lock in (("with_lock", "1"), ("without_lock", "0")):
        walls = pair(lock)
        out[f"two_jobs_{name}_seconds"] = walls
        out[f"two_jobs_{name}_worst_ratio"] = round(max(walls) / idle, 2)
    return out


def bench_writer(shared: Path, n: int = 12, slot_counts: tuple[int, ...] = (2, 4)) -> dict[str, object]:
    """Quality-mode speed against the plain writer (no speculation, one slot) as the anchor.

    Speculative types: one process holds the anchor and every type (the weights are one shared
    mmap) and runs each article through all of them in turn, so machine drift (±15% between
    runs here) hits all alike; per type: median per-article speed-up, seconds, generated tok/s,
    acceptance, and how many briefs differ from the anchor's. Slots: per slot count, a fresh
    process runs ``n`` articles on the anchor one by one, then as one batch on k slots:
    articles/min, its ratio, and peak RSS."""
    from pipeline.summarizers.llamacpp import SPECULATIVE

    texts = dev_articles(shared, n)
    out: dict[str, object] = {"articles": n, "words_median": statistics.median(len(t.split()) for t in texts)}
    out["speculative"] = _child({"shared": str(shared), "n": n, "speculative": ["none", *SPECULATIVE]})
    out["slots"] = {k: _child({"shared": str(shared), "n": n, "slots": k}) for k in slot_counts}
    return out


def _child(cfg: dict[str, object]) -> dict[str, object]:
    """Run :func:`_writer_config` in a fresh process (its own peak RSS; one model process at a time)."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import run; "
        "print(json.dumps(run._writer_config(json.loads(sys.argv[2]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), json.dumps(cfg)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _writer_config(cfg: dict[str, object]) -> dict[str, object]:
    from pipeline.document import Article
    from pipeline.models import resolve
    from pipeline.settings import load_settings
    from pipeline.summarizers.llamacpp import LlamaCppChat
    from pipeline.summarizers.recipe import RecipeSummarizer

    texts = dev_articles(Path(str(cfg["shared"])), int(str(cfg["n"])))
    base = load_settings({"mode": "quality"}).replace(llm_lock=False, llm_speculative="none", llm_slots=1)
    spec = resolve(base.quality_model, "summarizer")

    def writer(**changes: object) -> RecipeSummarizer:
        settings = base.replace(**changes)
        summ = RecipeSummarizer(LlamaCppChat.load(spec, settings), settings)
        summ.summarize_batch([Article(source="warm", text=texts[0])])  # spaCy + the checker load once
        summ.stats = type(summ.stats)()
        return summ

    brief = _brief
    arts = [Article(source=str(i), text=t) for i, t in enumerate(texts)]
    if cfg.get("per_article"):  # the in-process side of bench_server
        seconds, texts_out = _one_by_one(writer(), arts)
        return {"seconds": seconds, "briefs": texts_out}
    if "speculative" in cfg:
        names = list(cfg["speculative"])  # type: ignore[call-overload]
        writers = {name: writer(llm_speculative=name) for name in names}
        secs: dict[str, list[float]] = {name: [] for name in names}
        briefs: dict[str, list[str]] = {name: [] for name in names}
        for a in arts:
            for name, summ in writers.items():  # interleaved: drift hits every type alike
                t0 = time.perf_counter()
                [res] = summ.summarize_batch([a])
                secs[name].append(time.perf_counter() - t0)
                briefs[name].append(brief(res))
        rows: dict[str, object] = {}
        for name, summ in writers.items():
            st = summ.stats
            row: dict[str, object] = {
                "seconds_median": round(statistics.median(secs[name]), 2),
                "seconds_total": round(sum(secs[name]), 1),
                "generated_tokens": st.generated_tokens,
                "generated_tokens_per_second": round(st.generated_tokens / sum(secs[name]), 2),
            }
            if name != "none":
                ratios = [a / b for a, b in zip(secs["none"], secs[name], strict=True)]
                row["speedup_median"] = round(statistics.median(ratios), 3)
                row["speedup_total"] = round(sum(secs["none"]) / sum(secs[name]), 3)
                row["briefs_differing_from_anchor"] = sum(
                    x != y for x, y in zip(briefs["none"], briefs[name], strict=True)
                )
                row["drafted_tokens"], row["accepted_tokens"] = st.drafted, st.accepted
                row["acceptance_rate"] = round(st.accepted / st.drafted, 3) if st.drafted else 0.0
            rows[name] = row
        return rows
    k = int(str(cfg["slots"]))
    anchor = writer()
    t0 = time.perf_counter()
    one = [brief(anchor.summarize_batch([a])[0]) for a in arts]
    t_one = time.perf_counter() - t0
    del anchor
    many_writer = writer(llm_slots=k)
    t0 = time.perf_counter()
    many = [brief(r) for r in many_writer.summarize_batch(arts)]
    t_many = time.perf_counter() - t0
    return {
        "anchor_articles_per_minute": round(60 * len(arts) / t_one, 2),
        "articles_per_minute": round(60 * len(arts) / t_many, 2),
        "throughput_vs_anchor": round(t_one / t_many, 3),
        "briefs_differing_from_anchor": sum(x != y for x, y in zip(one, many, strict=True)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def bench_server(shared: Path, n: int = 12, levels: tuple[int, ...] = (2, 4), n_levels: int = 4) -> dict[str, object]:
    """Quality mode through llama.cpp's own HTTP server (the bundled GGUF, 4 slots) against the
    in-process writer, one after the other, never both generating at once: per-article seconds on
    ``n`` dev articles (median of the paired ratio), how many briefs differ byte for byte (same
    GGUF, temperature 0), then articles/min at ``llm_concurrency`` 2 and 4 on the first ``n_levels``
    against concurrency 1 on the same articles. On 2 cores expect no gain from concurrency: the
    point is the path; on a GPU server the same command measures what batching buys."""
    sys.path.insert(0, str(ROOT / "tests"))
    from llm_server import start

    from pipeline.document import Article
    from pipeline.settings import load_settings
    from pipeline.summarizers.recipe import RecipeSummarizer
    from pipeline.summarizers.remote import RemoteChat

    local = _child({"shared": str(shared), "n": n, "per_article": True})  # the model unloads with its process
    texts = dev_articles(shared, n)
    arts = [Article(source=str(i), text=t) for i, t in enumerate(texts)]
    base = load_settings({"mode": "quality"})
    proc, url = start(base.quality_model, 18750 + os.getpid() % 1000, parallel=max(levels))
    try:

        def writer(k: int) -> RecipeSummarizer:
            settings = base.replace(llm_url=url, llm_concurrency=k)
            summ = RecipeSummarizer(RemoteChat.connect(settings), settings)
            summ.summarize_batch([Article(source="warm", text=texts[0])])  # spaCy + the checker load once
            return summ

        secs, briefs = _one_by_one(writer(1), arts)
        local_secs: list[float] = local["seconds"]  # type: ignore[assignment]
        local_briefs: list[str] = local["briefs"]  # type: ignore[assignment]
        ratios = [s / t for s, t in zip(secs, local_secs, strict=True)]
        out: dict[str, object] = {
            "articles": n,
            "in_process_seconds_median": round(statistics.median(local_secs), 2),
            "server_seconds_median": round(statistics.median(secs), 2),
            "server_vs_in_process_time_ratio_median": round(statistics.median(ratios), 3),
            "briefs_differing_from_in_process": sum(x != y for x, y in zip(briefs, local_briefs, strict=True)),
            "concurrency_1_articles_per_minute": round(60 * n / sum(secs), 2),
        }
        anchor = sum(secs[:n_levels])
        for k in levels:
            summ = writer(k)
            t0 = time.perf_counter()
            summ.summarize_batch(arts[:n_levels])
            took = time.perf_counter() - t0
            out[f"concurrency_{k}_articles_per_minute"] = round(60 * n_levels / took, 2)
            out[f"concurrency_{k}_vs_1_on_{n_levels}_articles"] = round(anchor / took, 3)
        return out
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _one_by_one(summ: Any, arts: list[Any]) -> tuple[list[float], list[str]]:
    """Each article through ``summ`` on its own: its seconds and its brief."""
    secs, briefs = [], []
    for a in arts:
        t0 = time.perf_counter()
        [res] = summ.summarize_batch([a])
        secs.append(time.perf_counter() - t0)
        briefs.append(_brief(res))
    return secs, briefs


def _brief(r: object) -> str:
    return json.dumps([[s.text for s in r.tldr], [[s.text for s in p] for p in r.paragraphs]])  # type: ignore[attr-defined]


def dev_articles(shared: Path, n: int) -> list[str]:
    with gzip.open(shared / "summarization.dev.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    return [r["article"] for r in rows[:n]]


def bench_stories(work: Path, sizes: tuple[int, ...] = (1_000, 10_000), per_story: int = 5) -> dict[str, object]:
    """Cost of story grouping for a night of 1k and 10k items (generated: ``per_story`` reports
    of each event, noisy copies of its embedding, naming two of 20 big names and two names of
    their own, spread over 24 hours): ms per item and peak memory (tracemalloc) of the grouping
    itself; growth from 1k to 10k near 1x (per item) means it is not quadratic."""
    import tracemalloc

    import numpy as np

    from pipeline.document import GroupItem
    from pipeline.eval_stories import group
    from pipeline.story import idf_from

    rng = np.random.default_rng(7)
    out: dict[str, object] = {"per_story": per_story}
    for n in sizes:
        centers = rng.normal(size=(n // per_story, 384)).astype(np.float32)
        items = []
        for i in range(n):
            e = i % len(centers)
            v = centers[e] + 0.8 * rng.normal(size=384).astype(np.float32) * np.linalg.norm(centers[e]) / 20
            names = {f"big{e % 20}": 2.0, f"big{(e * 7) % 20}": 1.0, f"event{e}": 3.0, f"place{e}": 1.0}
            items.append(
                GroupItem(f"k{i}", f"2024-05-01T{i * 24 // n:02d}:{i % 60:02d}:00", v / np.linalg.norm(v), names)
            )
        df: dict[str, int] = {}
        for it in items:
            for k in it.entities:
                df[k] = df.get(k, 0) + 1
        tracemalloc.start()
        t0 = time.perf_counter()
        labels = group(items, idf_from(df, n))
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[f"ms_per_item_at_{n}"] = round(1000 * seconds / n, 3)
        out[f"peak_mb_at_{n}"] = round(peak / 2**20, 1)
        out[f"stories_at_{n}"] = len(set(labels))
        out[f"true_stories_at_{n}"] = len(centers)
    out["growth_per_item"] = round(
        float(str(out[f"ms_per_item_at_{sizes[-1]}"])) / float(str(out[f"ms_per_item_at_{sizes[0]}"])), 2
    )
    return out


def bench_story_digest(work: Path, n_stories: int = 40, per_story: int = 5) -> dict[str, object]:
    """What stories add to a fast-mode digest: ECB+ articles (``per_story`` reports of each of
    ``n_stories`` events) get their fast briefs and are indexed, as a digest does; then grouping
    and the story briefs (fast mode) are timed against that. Models are loaded before timing."""
    import gzip

    from pipeline.core import Models, enrich
    from pipeline.document import Article
    from pipeline.settings import load_settings
    from pipeline.store import Store
    from pipeline.story import briefs
    from pipeline.summarizers.base import apply

    with gzip.open(ROOT / "bench" / "data" / "stories-ecbplus.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    by: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by.setdefault(r["story"], []).append(r)
    chosen = [r for k in sorted(by)[:n_stories] for r in by[k][:per_story]]
    urls = [f"https://x{i}.example/{r['id']}" for i, r in enumerate(chosen)]
    arts = [Article(source=u, url=u, title=r.get("title"), text=r["text"], date="2024-05-01",
                    word_count=len(r["text"].split())) for u, r in zip(urls, chosen, strict=True)]  # fmt: skip
    models = Models(load_settings().replace(mode="fast", model=""))
    summ = models.summarizer
    list(enrich(arts[:2], models, 2, 2))  # load both models
    summ.remember()  # as the digest does: the stories' pass reuses the articles' sentence embeddings
    t0 = time.perf_counter()
    done = list(enrich(arts, models, 16, 16))
    fast = time.perf_counter() - t0
    with Store(work / "story-digest.db") as store:
        store.add_batch(done)
        t1 = time.perf_counter()
        with summ.reusing():  # type: ignore[attr-defined]
            out = briefs(
                done,
                store,
                summ.encode,
                lambda texts: apply(summ, texts),  # type: ignore[attr-defined]
                words_per_minute=models.settings.words_per_minute,
            )
        grouped = time.perf_counter() - t1
    return {
        "articles": len(arts), "events": n_stories, "stories": len(out),
        "multi_source_stories": sum(1 for b in out if len(b.sources) > 1),
        "fast_briefs_s": round(fast, 2), "stories_s": round(grouped, 2),
        "stories_share_of_fast_digest": round(grouped / fast, 3),
    }  # fmt: skip


def bench_watch(work: Path, index_size: int = 300_000, night: int = 10_000, n_watches: int = 100) -> dict[str, object]:
    """Matching cost of ``n_watches`` watches (pipeline/watch.py): a generated index of
    ``index_size`` articles (each naming 6 of 2,000 organisations, a third with a CVE, from 50
    sites) in stories of 1 to 5 articles; each watch has two entities (one by an alias), a phrase,
    an exclude term, and every third a CVE or a site; 5 mutes. Timed: resolving the watches, then
    the verdicts on the stories of the last ``night`` articles (a digest's work) and on every story
    of the index (``watch test`` over all of it): ms per story, and the night's share of a fast
    digest's time per article (from the ``story_digest`` section, when measured)."""
    import random

    from pipeline import watch as wl
    from pipeline.document import Article, Entity, SummarySentence
    from pipeline.store import Store

    rng = random.Random(7)
    words = ("breach ransomware patch cloud certification agency vendor exploit regulator customers records scheme "
             "sovereignty operator botnet phishing update advisory outage fine court minister").split()  # fmt: skip
    orgs = [f"Org{i} Group" for i in range(2000)]
    db = work / "watch-index.db"
    t0 = time.perf_counter()
    with Store(db) as store:
        batch = []
        for i in range(index_size):
            text = " ".join(rng.choice(words) for _ in range(60)) + "."
            cve = f"CVE-2024-{rng.randrange(10_000, 12_000)}" if i % 3 == 0 else None
            if cve:
                text += f" It is tracked as {cve}."
            url = f"https://news{i % 50}.example/{i}"
            a = Article(source=url, url=url, title=text[:60], text=text, word_count=62, reading_minutes=1)
            a.tldr = [SummarySentence(text[:80])]
            a.summary = [[SummarySentence(text)]]
            a.entities = [Entity(n, "ORG", 1, n, aliases=[n.split()[0]]) for n in rng.sample(orgs, 6)]
            a.entities += [Entity(cve, "CVE", 1, cve)] if cve else []
            batch.append(a)
            if len(batch) == 1000:
                store.add_batch(batch)
                batch = []
        store.add_batch(batch)
    build = time.perf_counter() - t0
    watches = tuple(
        wl.Watch(f"w{k}", k % 10, entities=(orgs[rng.randrange(2000)], orgs[rng.randrange(2000)].split()[0]),
                 phrases=(" ".join(rng.sample(words, 2)),), cves=(f"CVE-2024-{10_000 + k}",) if k % 3 == 0 else (),
                 sources=(f"news{k % 50}.example",) if k % 3 == 1 else (), exclude=(rng.choice(words) + " court",))
        for k in range(n_watches)
    )  # fmt: skip
    ws = wl.Watches(
        work / "watches.toml",
        watches,
        ("outage fine court", "minister botnet", "recall notice", "horoscope", "sponsored"),
    )
    groups, start = [], 1
    while start <= index_size:
        size = rng.randint(1, 5)
        groups.append(list(range(start, min(start + size, index_size + 1))))
        start += size
    tonight = [g for g in groups if g[-1] > index_size - night]
    out: dict[str, object] = {"articles": index_size, "watches": n_watches, "index_build_seconds": round(build, 1)}
    with Store(db, readonly=True) as store:
        t0 = time.perf_counter()
        matcher = wl.Matcher(ws, store)
        out["resolve_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        for name, part in (("night", tonight), ("index", groups)):
            t0 = time.perf_counter()
            verdicts = matcher.verdicts(part)
            spent = time.perf_counter() - t0
            out[f"{name}_stories"] = len(part)
            out[f"{name}_ms_per_story"] = round(1000 * spent / len(part), 3)
            out[f"{name}_seconds"] = round(spent, 2)
            out[f"{name}_watched_share"] = round(sum(v.watched for v in verdicts) / len(part), 3)
    old = json.loads((ROOT / "bench" / "results.json").read_text()).get("story_digest") or {}
    if old.get("fast_briefs_s") and old.get("articles"):
        fast_ms = 1000 * float(old["fast_briefs_s"]) / float(old["articles"])  # a fast digest, per article
        night_articles = sum(len(g) for g in tonight)
        per_article = (float(str(out["night_seconds"])) * 1000 + float(str(out["resolve_ms"]))) / night_articles
        out["night_share_of_fast_digest"] = round(per_article / fast_ms, 4)  # the target: <= 0.05
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/results.json")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "eval"))
    ap.add_argument("--skip-quality", action="store_true", help="Skip the LLM (quality mode) section.")
    ap.add_argument(
        "--only",
        choices=[
            "limits",
            "serve",
            "entity_index",
            "shared_cpu",
            "writer",
            "server",
            "stories",
            "story_digest",
            "watch",
        ],  # fmt: skip
        help="Run one section, update it in --out.",
    )  # the keys of `sections` below
    ap.add_argument("--story-events", type=int, default=40, help="story_digest: ECB+ events (86 in all).")
    ap.add_argument("--story-reports", type=int, default=5, help="story_digest: reports of each, at most.")
    ap.add_argument(
        "--story-cold", action="store_true", help="story_digest: the text caches off (a night too big for them)."
    )
    ap.add_argument(
        "--watch-index", type=int, default=300_000, help="watch: articles in the generated index (~100,000 stories)."
    )
    ap.add_argument("--watch-night", type=int, default=10_000, help="watch: the night's articles (the newest).")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.only:
        import tempfile

        old = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
        shared = Path(args.shared)
        sections: dict[str, Callable[[Path], dict[str, object]]] = {
            "limits": bench_limits,
            "serve": bench_serve,
            "entity_index": bench_entity_index,
            "shared_cpu": lambda work: bench_shared_cpu(work, shared),
            "writer": lambda work: bench_writer(shared),
            "server": lambda work: bench_server(shared),
            "stories": bench_stories,
            "story_digest": lambda work: bench_story_digest(work, args.story_events, args.story_reports),
            "watch": lambda work: bench_watch(work, args.watch_index, args.watch_night),
        }
        name = args.only  # a story_digest of another size, or cold, is kept beside the default one
        if args.only == "watch" and (args.watch_index, args.watch_night) != (300_000, 10_000):
            name += f"_{args.watch_index}x{args.watch_night}"
        if args.only == "story_digest":
            size = (args.story_events, args.story_reports)
            if size != (ap.get_default("story_events"), ap.get_default("story_reports")):
                name += "_{}x{}".format(*size)
            if args.story_cold:
                from pipeline import text

                text.cache_off()
                name += "_cold"
        with tempfile.TemporaryDirectory() as tmp:
            old[name] = sections[args.only](Path(tmp))
        old[f"{name}_date"] = time.strftime("%Y-%m-%d")
        Path(args.out).write_text(json.dumps(old, indent=1) + "\n")
        print(json.dumps(old[name], indent=1))
        return
    res: dict[str, object] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "date": time.strftime("%Y-%m-%d"),
    }

    res["help_seconds"] = round(min(run_cli(["--help"])[0] for _ in range(3)), 3)
    wall, rss = run_cli(["summarize", "--mode", "fast", str(SEED)])
    res["cold_summarize_seconds"], res["cold_summarize_peak_rss_mb"] = round(wall, 2), round(rss)

    from pipeline.document import Article
    from pipeline.entities import EntityTagger
    from pipeline.models import resolve
    from pipeline.settings import load_settings
    from pipeline.summarizers.extractive import ExtractiveSummarizer

    settings = load_settings({"mode": "fast"})
    spec = resolve("minilm-l6", "summarizer")
    t0 = time.perf_counter()
    summ = ExtractiveSummarizer.load(spec, settings)
    res["load_minilm_seconds"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    tagger = EntityTagger.load(settings)
    res["load_spacy_seconds"] = round(time.perf_counter() - t0, 2)

    texts = dev_articles(Path(args.shared), 50)

    def arts() -> list[Article]:
        return [Article(source=str(i), text=t) for i, t in enumerate(texts)]

    summ.summarize_batch(arts()[:2])  # warm-up
    t0 = time.perf_counter()
    for a in arts():
        summ.summarize_batch([a])
    naive = time.perf_counter() - t0
    t0 = time.perf_counter()
    summ.summarize_batch(arts())
    batched = time.perf_counter() - t0
    q = ExtractiveSummarizer.load(spec, settings, quantize=True)
    q.summarize_batch(arts()[:2])
    t0 = time.perf_counter()
    q.summarize_batch(arts())
    quant = time.perf_counter() - t0
    t0 = time.perf_counter()
    tagger.tag_batch(arts())
    ner = time.perf_counter() - t0
    res["batch50"] = {
        "words_mean": round(sum(len(t.split()) for t in texts) / len(texts)),
        "naive_loop_seconds": round(naive, 2),
        "batched_seconds": round(batched, 2),
        "batched_int8_seconds": round(quant, 2),
        "speedup_batched": round(naive / batched, 2),
        "speedup_batched_int8": round(naive / quant, 2),
        "summarize_ms_per_article": round(1000 * batched / len(texts)),
        "entities_ms_per_article": round(1000 * ner / len(texts)),
    }

    pool = " ".join(texts).split()
    scaling = {}
    for n in (1000, 4000, 16000):
        words = (pool * (n // len(pool) + 1))[:n]
        text = "\n".join(" ".join(words[i : i + 80]) for i in range(0, n, 80))
        t0 = time.perf_counter()
        summ.summarize_batch([Article(source="x", text=text)])
        scaling[f"{n}_words_seconds"] = round(time.perf_counter() - t0, 2)
    res["length_scaling_fast"] = scaling
    res["peak_rss_mb_bench_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    res["ranker"] = dataclasses.asdict(summ.opts)

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        res["batch200"] = bench_batch(dev_articles(Path(args.shared), 174), Path(tmp))
        res["limits"] = bench_limits(Path(tmp))
        res["serve"] = bench_serve(Path(tmp))
    if not args.skip_quality:
        res["quality"] = bench_quality(texts, pool)
        res["writer"] = bench_writer(Path(args.shared))
        res["server"] = bench_server(Path(args.shared))
        with tempfile.TemporaryDirectory() as tmp:
            res["shared_cpu"] = bench_shared_cpu(Path(tmp), Path(args.shared))

    Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))


def bench_quality(texts: list[str], pool: list[str]) -> dict[str, object]:
    """The llama.cpp writer: cold start, per-article cost, tokens/s, and our overhead against
    llama.cpp alone generating the same number of tokens in one call (the anchor)."""
    from pipeline.document import Article
    from pipeline.models import resolve
    from pipeline.settings import load_settings
    from pipeline.summarizers.llamacpp import LlamaCppChat
    from pipeline.summarizers.recipe import RecipeSummarizer

    out: dict[str, object] = {}
    cold = measure(["summarize", "--mode", "quality", "--no-index", str(SEED)])
    out["cold_summarize_seconds"], out["cold_summarize_peak_rss_mb"] = cold["seconds"], cold["peak_rss_mb"]
    settings = load_settings({"mode": "quality"})
    t0 = time.perf_counter()
    chat = LlamaCppChat.load(resolve(settings.quality_model, "summarizer"), settings)
    out["load_seconds"] = round(time.perf_counter() - t0, 2)
    rows = []
    for i, text in enumerate(texts[:4]):
        summ = RecipeSummarizer(chat, settings)
        t0 = time.perf_counter()
        summ.summarize_batch([Article(source=str(i), text=text)])
        ours = time.perf_counter() - t0
        st = summ.stats
        anchor = chat.complete(text, st.generated_tokens, ignore_eos=True)
        rows.append(
            {
                "words": len(text.split()),
                "seconds": round(ours, 2),
                "calls": st.calls,
                "prompt_tokens": st.prompt_tokens,
                "cached_tokens": st.cached_tokens,
                "generated_tokens": st.generated_tokens,
                "tokens_per_second": round(st.generated_tokens / ours, 2),
                "anchor_prompt_tokens": anchor.prompt_tokens,
                "anchor_seconds": round(anchor.seconds, 2),
                "overhead_vs_anchor": round(ours / anchor.seconds, 2),
            }
        )
    out["articles"] = rows
    out["seconds_per_article_mean"] = round(sum(r["seconds"] for r in rows) / len(rows), 2)
    out["overhead_vs_anchor_mean"] = round(sum(r["overhead_vs_anchor"] for r in rows) / len(rows), 2)
    scaling = {}
    for n in (1000, 4000, 16000):
        words = (pool * (n // len(pool) + 1))[:n]
        text = "\n".join(" ".join(words[i : i + 80]) + "." for i in range(0, n, 80))
        summ = RecipeSummarizer(chat, settings)
        t0 = time.perf_counter()
        res = summ.summarize_batch([Article(source="x", text=text)])[0]
        scaling[f"{n}_words"] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "calls": summ.stats.calls,
            "coverage": round(res.coverage, 3),
        }
    out["length_scaling"] = scaling
    out["peak_rss_mb_bench_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


if __name__ == "__main__":
    main()
