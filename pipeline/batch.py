"""Batches over folders, files and URL lists: resumable, crash-safe JSONL outputs.

``DIR/results.jsonl`` holds one finished brief per line (the ``summarize --format json`` schema
plus ``timings``); ``DIR/errors.jsonl`` one ``{source, reason, message}`` per failure. Each line
goes out in one ``write`` on an append-only file and each batch is fsynced, so a run killed at any
moment (SIGKILL included) leaves at most one torn last line, which the next run cuts off before
resuming. Re-running skips every source already in ``results.jsonl`` (and, after extraction,
every content hash already there); ``retry_failed`` re-attempts what is in ``errors.jsonl``.
Extraction runs in worker processes; the models run batched in this process, loaded once.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Set
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core import Models, enrich, read
from .document import Article
from .fetch import is_url
from .fsutil import run_lock, write_atomic
from .policy import Policy
from .settings import Settings
from .sources import HTML_SUFFIXES, TEXT_SUFFIXES

log = logging.getLogger(__name__)


def expand_inputs(inputs: Iterable[str], policy: Policy, urls_file: str | None = None) -> list[str]:
    """Folders (recursive, sorted), files and URLs → the list of sources, without duplicates.

    The URL list is read under the policy (a regular file, capped); each line becomes a source
    whose problems (bad URL, control characters, not UTF-8) are that source's typed error.
    """
    out: list[str] = []
    for item in inputs:
        p = Path(item)
        if not is_url(item) and "\x00" not in item and p.is_dir():
            out.extend(
                str(f)
                for f in sorted(p.rglob("*"))
                if f.is_file() and f.name.lower().endswith(HTML_SUFFIXES + TEXT_SUFFIXES)
            )
        else:
            out.append(item)
    if urls_file:
        out.extend(policy.read_list(Path(urls_file)))
    return list(dict.fromkeys(out))


class JsonlLog:
    """Append-only JSONL file that survives kill -9: whole-line writes, fsync per batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.repair()
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def repair(self) -> None:
        """Cut a torn last line left by a killed run."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            log.warning("%s: dropping a half-written last line", self.path)
            with self.path.open("r+b") as f:
                f.truncate(keep)

    def records(self) -> Iterator[dict[str, object]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)

    def rewrite(self, records: Iterable[dict[str, object]]) -> None:
        """Replace the whole file atomically (a kill leaves the old file or the new one)."""
        os.close(self.fd)
        write_atomic(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: dict[str, object]) -> None:
        os.write(self.fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())

    def sync(self) -> None:
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


@dataclass
class BatchState:
    done_sources: set[str] = field(default_factory=set)
    done_hashes: set[str] = field(default_factory=set)
    failed_sources: set[str] = field(default_factory=set)
    skipped: int = 0  # already in results.jsonl (by source or content hash)
    previously_failed: int = 0  # in errors.jsonl and not retried: still failures of this --out


def already_done(article: Article, done_hashes: Set[str]) -> bool:
    """The same article (by content hash) is already in results.jsonl, under any source name."""
    return article.status == "ok" and article.content_hash in done_hashes


def _read_one(args: tuple[str, Settings]) -> list[Article]:
    source, settings = args
    return list(read([source], settings))


def read_parallel(sources: list[str], settings: Settings, workers: int) -> Iterator[Article]:
    """fetch + extract in worker processes, results in input order."""
    if workers <= 1:
        yield from read(sources, settings)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for articles in pool.map(_read_one, [(s, settings) for s in sources], chunksize=4):
            yield from articles


def run_batch(
    inputs: Iterable[str],
    out_dir: Path,
    settings: Settings,
    models: Models | None = None,
    urls_file: str | None = None,
    retry_failed: bool = False,
    workers: int = 1,
    store: object | None = None,
    engine: str = "local",
    address: str | None = None,
) -> tuple[BatchState, int, Iterator[Article]]:
    """Plan the batch; returns (state, number of sources to do, iterator of finished records).

    The caller holds :func:`out_lock` around planning and iterating, so two runs never append to
    the same files. ``errors.jsonl`` always lists exactly the sources that failed and are not
    done: entries resolved by a later run are dropped, and ``retry_failed`` clears the ones it
    re-attempts (a new failure is written again).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    results, errors = JsonlLog(out_dir / "results.jsonl"), JsonlLog(out_dir / "errors.jsonl")
    state = BatchState()
    for r in results.records():
        state.done_sources.add(str(r["source"]))
        if r.get("content_hash"):
            state.done_hashes.add(str(r["content_hash"]))
    open_errors = {str(r["source"]): r for r in errors.records() if str(r["source"]) not in state.done_sources}
    if retry_failed:
        open_errors = {}
    else:
        state.failed_sources = set(open_errors)
    errors.rewrite(open_errors.values())  # one line per open failure, in first-seen order
    sources = expand_inputs(inputs, Policy.trusted(settings), urls_file)
    todo = [s for s in sources if s not in state.done_sources and s not in state.failed_sources]
    state.previously_failed = sum(1 for s in sources if s in state.failed_sources and s not in state.done_sources)
    state.skipped = len(sources) - len(todo) - state.previously_failed
    models = models or Models(settings, command="batch")
    if engine == "ray":
        from .ray_engine import check_ray

        check_ray()  # a missing extra fails before any work, naming the extra

    def fresh(articles: Iterable[Article]) -> Iterator[Article]:
        for a in articles:
            if already_done(a, state.done_hashes):
                state.skipped += 1  # same article under another name: no model work
                continue
            yield a

    def processed() -> Iterator[Article]:
        if engine == "ray":
            from .ray_engine import run_on_ray

            for a in run_on_ray(todo, settings, workers, frozenset(state.done_hashes), address):
                if a is None:
                    state.skipped += 1
                else:
                    yield a
        else:
            yield from enrich(fresh(read_parallel(todo, settings, workers)), models, settings.batch_size)

    def records() -> Iterator[Article]:
        finished = processed()
        if store is not None:
            finished = store.pipe(finished, settings.batch_size)  # type: ignore[attr-defined]
        try:
            for n, a in enumerate(finished, 1):
                if a.status == "ok":
                    results.write({**a.as_dict(), "timings": {k: round(v, 4) for k, v in a.timings.items()}})
                    state.done_hashes.add(a.content_hash)
                else:
                    errors.write({"source": a.source, "reason": a.error, "message": a.message})
                if n % settings.batch_size == 0:
                    results.sync()
                    errors.sync()
                yield a
        finally:
            results.sync()
            errors.sync()
            results.close()
            errors.close()

    return state, len(todo), records()


def out_lock(out_dir: Path) -> Any:
    """The lock every batch holds on its output folder (exit code 5 when taken)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return run_lock(out_dir / ".newsbrief-batch.lock", "batch writing to this folder")
