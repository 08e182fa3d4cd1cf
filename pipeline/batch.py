"""Batches over folders, files and URL lists: resumable, crash-safe JSONL outputs.

``DIR/results.jsonl`` holds one finished brief per line (the ``summarize --format json`` schema
plus ``timings``); ``DIR/errors.jsonl`` one ``{source, reason, message}`` per failure. Each line
goes out in one ``write`` on an append-only file and each batch is fsynced, so a run killed at any
moment (SIGKILL included) leaves at most one torn last line, which the next run cuts off before
resuming. Re-running skips every source already in ``results.jsonl`` (and, after extraction,
every content hash already there); ``retry_failed`` re-attempts what is in ``errors.jsonl`` (a
failure of the LLM server, ``model_error``, is re-attempted by every run).
Extraction runs in worker processes; the models run batched in this process, loaded once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator, Set
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .core import Models, already_done, enrich, indexed, read
from .document import Article
from .errors import UsageError, WriterFailed
from .fetch import is_url
from .fsutil import run_lock, state_error, write_atomic
from .policy import Policy
from .settings import Settings
from .sources import HTML_SUFFIXES, TEXT_SUFFIXES
from .summarizers import prefer

if TYPE_CHECKING:
    from .store import Store

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
    """Append-only JSONL file that survives kill -9: whole-line writes, fsync per batch.

    A line that is not an intact record (not UTF-8, not JSON, not an object with a ``source``:
    a bad disk, an editor) is skipped and counted in :attr:`damaged`; :meth:`set_aside` moves such
    lines to ``NAME.damaged`` so the file is whole again and nothing is silently thrown away.
    Any OSError (read-only or full folder) is a :class:`~pipeline.errors.StateError`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.damaged = 0
        try:
            self.repair()
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise state_error(exc, "open the results file", path) from None

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

    def _lines(self) -> Iterator[tuple[bytes, dict[str, object] | None]]:
        """Every non-blank line with its record, or None when the line is damaged."""
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            for line in f:
                if line.strip():
                    yield line, _record(line)

    def records(self) -> Iterator[dict[str, object]]:
        self.damaged = 0
        for _, record in self._lines():
            if record is None:
                self.damaged += 1
            else:
                yield record

    def set_aside(self) -> None:
        """Append the damaged lines to ``NAME.damaged`` and replace the file by its intact lines
        (streamed to a temporary file, fsynced, renamed: a kill leaves the old file or the new)."""
        aside = self.path.with_name(self.path.name + ".damaged")
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with aside.open("ab") as bad, tmp.open("wb") as good:
                for line, record in self._lines():
                    (good if record is not None else bad).write(line)
                bad.flush()
                os.fsync(bad.fileno())
                good.flush()
                os.fsync(good.fileno())
            self.close()
            os.replace(tmp, self.path)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise state_error(exc, "set aside damaged lines of", self.path) from None
        log.warning("%s: %d damaged line(s) set aside in %s", self.path, self.damaged, aside)

    def rewrite(self, records: Iterable[dict[str, object]]) -> None:
        """Replace the whole file atomically (a kill leaves the old file or the new one)."""
        self.close()
        write_atomic(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise state_error(exc, "open the results file", self.path) from None

    def write(self, record: dict[str, object]) -> None:
        try:
            os.write(self.fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())
        except OSError as exc:  # a full disk: stop with a typed error, the lines before are whole
            raise state_error(exc, "append to", self.path) from None

    def sync(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError as exc:
            raise state_error(exc, "sync", self.path) from None

    def close(self) -> None:
        if self.fd >= 0:  # closing twice (an error path, then the run's end) is harmless
            os.close(self.fd)
            self.fd = -1


def _record(line: bytes) -> dict[str, object] | None:
    try:
        record = json.loads(line)
    except ValueError:  # UnicodeDecodeError included
        return None
    return record if isinstance(record, dict) and isinstance(record.get("source"), str) else None


@dataclass
class BatchState:
    done_sources: set[str] = field(default_factory=set)
    done_hashes: set[str] = field(default_factory=set)
    failed_sources: set[str] = field(default_factory=set)
    skipped: int = 0  # already in results.jsonl (by source or content hash)
    previously_failed: int = 0  # in errors.jsonl and not retried: still failures of this --out
    ok: int = 0  # summarized by this run
    failed: int = 0  # failed in this run
    damaged: int = 0  # damaged lines of results/errors.jsonl set aside (NAME.damaged); their sources are redone


class Engine(Protocol):
    """Runs read (fetch + extract) and enrich (summarize + entities) over sources; yields the
    finished records in input order. An article already done (by content hash) is not
    summarized: it comes out marked ``duplicate`` (the index keeps its source as an alias of the
    stored article), or as ``None``."""

    def process(self, sources: list[str], settings: Settings, done: Set[str]) -> Iterator[Article | None]: ...


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


@dataclass
class LocalEngine:
    """Extraction in ``workers`` processes; the models run batched in this process, loaded once."""

    models: Models | None = None
    workers: int = 1

    def process(self, sources: list[str], settings: Settings, done: Set[str]) -> Iterator[Article | None]:
        models = self.models or Models(settings)
        skipped: list[Article] = []

        def fresh(articles: Iterable[Article]) -> Iterator[Article]:
            for a in articles:
                if already_done(a, done):
                    a.duplicate = True  # same article under another name: no model work
                    skipped.append(a)
                    continue
                yield a

        for a in enrich(fresh(read_parallel(sources, settings, self.workers)), models, settings.batch_size):
            yield from skipped
            skipped.clear()
            yield a
        yield from skipped


class BatchRun:
    """A planned batch: iterate it for the finished records (each written to the JSONL files as
    it comes); :attr:`state` and :attr:`outcome` stay valid after iteration."""

    def __init__(self, state: BatchState, todo: list[str], records: Iterator[Article]) -> None:
        self.state = state
        self.todo = todo
        self._records = records

    def __iter__(self) -> Iterator[Article]:
        return self._records

    def tally(self) -> str:
        """One line: what this run did and what it found."""
        s = self.state
        earlier = f", {s.previously_failed} failed earlier (--retry-failed)" if s.previously_failed else ""
        if s.damaged:
            earlier += f", {s.damaged} damaged line(s) of its JSONL files set aside in *.jsonl.damaged and redone"
        return f"{s.ok} summarized, {s.failed} failed, {s.skipped} already done{earlier}"

    @property
    def outcome(self) -> tuple[int, int]:
        """(ok, failed) for the whole output folder: earlier failures still count."""
        s = self.state
        return s.ok + s.skipped, s.failed + s.previously_failed


def make_engine(name: str = "local", workers: int | None = None, address: str | None = None) -> Engine:
    """The engine ``batch --engine`` names: extraction in ``workers`` processes (default cores - 1)
    here, or the same steps on Ray (``address``: a cluster; default: Ray started locally)."""
    n_workers = workers if workers is not None else max(1, (os.cpu_count() or 1) - 1)
    if name == "ray":
        from .ray_engine import RayEngine

        return RayEngine(n_workers, address)
    if name != "local":
        raise UsageError(f"unknown engine {name!r}: local or ray")
    return LocalEngine(workers=n_workers)


def run_batch(
    inputs: Iterable[str],
    out_dir: Path,
    settings: Settings,
    engine: Engine | None = None,
    urls_file: str | None = None,
    retry_failed: bool = False,
    store: Store | None = None,
) -> BatchRun:
    """Plan the batch and return the run (iterate it to do the work).

    The caller holds :func:`out_lock` around planning and iterating, so two runs never append to
    the same files. ``errors.jsonl`` always lists exactly the sources that failed and are not
    done: entries resolved by a later run are dropped, and ``retry_failed`` clears the ones it
    re-attempts (a new failure is written again). ``mode = "auto"`` means fast here.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise state_error(exc, "create the output folder", out_dir) from None
    results = JsonlLog(out_dir / "results.jsonl")
    try:
        errors = JsonlLog(out_dir / "errors.jsonl")
    except BaseException:
        results.close()
        raise
    try:
        return _plan(results, errors, inputs, settings, store, retry_failed, urls_file, engine)
    except BaseException:  # nothing to run: the files are closed now, not at the end of a run
        results.close()
        errors.close()
        raise


RETRIED = frozenset({WriterFailed.reason})  # failures a plain rerun re-attempts


def _plan(
    results: JsonlLog,
    errors: JsonlLog,
    inputs: Iterable[str],
    settings: Settings,
    store: Store | None,
    retry_failed: bool,
    urls_file: str | None,
    engine: Engine | None,
) -> BatchRun:
    state = BatchState()
    for r in results.records():
        state.done_sources.add(str(r["source"]))
        if r.get("content_hash"):
            state.done_hashes.add(str(r["content_hash"]))
    open_errors = {str(r["source"]): r for r in errors.records() if str(r["source"]) not in state.done_sources}
    for jsonl in (results, errors):
        if jsonl.damaged:  # resumable again; the lines are kept aside, their sources are done again
            jsonl.set_aside()
            state.damaged += jsonl.damaged
    sources = expand_inputs(inputs, Policy.trusted(settings), urls_file)
    # a writer-server failure is not the article's fault: every run that has the source tries it
    # again, as --retry-failed does (the failures of sources not in this run stay listed)
    wanted = set(sources)
    again = {s for s, r in open_errors.items() if r.get("reason") in RETRIED and s in wanted}
    open_errors = {} if retry_failed else {s: r for s, r in open_errors.items() if s not in again}
    state.failed_sources = set(open_errors)
    errors.rewrite(open_errors.values())  # one line per open failure, in first-seen order
    todo = [s for s in sources if s not in state.done_sources and s not in state.failed_sources]
    state.previously_failed = sum(1 for s in sources if s in state.failed_sources and s not in state.done_sources)
    state.skipped = len(sources) - len(todo) - state.previously_failed
    settings = prefer(settings, "fast")  # batch: the extractive ranker unless asked otherwise
    engine = engine or LocalEngine()

    def processed() -> Iterator[Article]:
        for a in engine.process(todo, settings, state.done_hashes):
            if a is None or a.duplicate:
                state.skipped += 1
            if a is not None:
                yield a  # a duplicate too: the index adds its source to the stored article

    def records() -> Iterator[Article]:
        finished = indexed(processed(), store, settings.batch_size)
        synced = time.monotonic()
        try:
            for n, a in enumerate(finished, 1):
                if a.duplicate:
                    continue
                if a.status == "ok":
                    results.write({**a.as_dict(), "timings": {k: round(v, 4) for k, v in a.timings.items()}})
                    state.done_hashes.add(a.content_hash)
                    state.ok += 1
                else:
                    errors.write({"source": a.source, "reason": a.error, "message": a.message})
                    state.failed += 1
                # fsync per batch, and per record when records are slow to come (an LLM brief
                # takes ~30 s; an fsync a few ms): a kill loses at most the brief in flight
                if n % settings.batch_size == 0 or time.monotonic() - synced >= 1.0:
                    results.sync()
                    errors.sync()
                    synced = time.monotonic()
                yield a
        finally:
            results.sync()
            errors.sync()
            results.close()
            errors.close()

    return BatchRun(state, todo, records())


def out_lock(out_dir: Path) -> Any:
    """The lock every batch holds on its output folder (exit code 5 when taken)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise state_error(exc, "create the output folder", out_dir) from None
    return run_lock(out_dir / ".newsbrief-batch.lock", "batch writing to this folder")
