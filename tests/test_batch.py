import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from pipeline.batch import JsonlLog, expand_inputs
from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent


def make_pages(folder: Path, n: int) -> None:
    """n distinct article pages (distinct text → distinct content hashes), some in a subfolder."""
    template = (SAMPLES / "short-patch-tuesday.html").read_text()
    for i in range(n):
        sub = folder / ("deep" if i % 3 == 0 else "")
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"page{i:03d}.html").write_text(template.replace("61 vulnerabilities", f"{i + 10} vulnerabilities"))


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_expand_inputs_recursive_sorted_deduplicated(tmp_path, policy):
    make_pages(tmp_path / "p", 4)
    (tmp_path / "p" / "notes.md").write_text("ignored")
    urls = tmp_path / "urls.txt"
    urls.write_text("# comment\nhttps://a.example/1\n\nhttps://a.example/1\n")
    got = expand_inputs([str(tmp_path / "p"), str(tmp_path / "p" / "page001.html")], policy, str(urls))
    assert [Path(g).name for g in got[:4]] == ["page000.html", "page003.html", "page001.html", "page002.html"]
    assert got[4:] == ["https://a.example/1"]
    import gzip

    (tmp_path / "p" / "z").mkdir()
    (tmp_path / "p" / "z" / "saved.html.gz").write_bytes(gzip.compress(b"<p>x</p>"))
    assert str(tmp_path / "p" / "z" / "saved.html.gz") in expand_inputs([str(tmp_path / "p")], policy)


def test_torn_last_line_is_cut(tmp_path):
    p = tmp_path / "results.jsonl"
    p.write_bytes(b'{"source": "a"}\n{"source": "b", "ti')
    log = JsonlLog(p)
    log.close()
    assert [r["source"] for r in log.records()] == ["a"]


def test_batch_isolates_failures_and_resumes(fake_models, tmp_path):
    pages = tmp_path / "pages"
    make_pages(pages, 5)
    (pages / "index.html").write_text((SAMPLES / "index-page.html").read_text())
    (pages / "binary.htm").write_bytes(b"\x00\x01binary")
    out = tmp_path / "out"
    args = ["batch", str(pages), "--out", str(out), "--workers", "1", "-q"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1
    assert len(lines(out / "results.jsonl")) == 5
    errs = lines(out / "errors.jsonl")
    assert sorted(e["reason"] for e in errs) == ["no_article_text", "unsupported_content"]
    assert "5 summarized, 2 failed" in r.stderr
    r = CliRunner().invoke(main, args)  # nothing new to do, but the folder still holds 2 failures
    assert r.exit_code == 1 and "0 summarized, 0 failed, 5 already done, 2 failed earlier" in r.stderr
    assert len(lines(out / "results.jsonl")) == 5
    (pages / "index.html").unlink()
    (pages / "binary.htm").write_text((SAMPLES / "eu-cloud-certification.html").read_text())  # fixed
    r = CliRunner().invoke(main, [*args, "--retry-failed"])
    assert r.exit_code == 0 and "1 summarized, 0 failed, 5 already done" in r.stderr
    assert len(lines(out / "results.jsonl")) == 6


def test_damaged_lines_are_set_aside_and_reported_on_resume(fake_models, tmp_path):
    pages, out = tmp_path / "pages", tmp_path / "out"
    make_pages(pages, 4)
    args = ["batch", str(pages), "--out", str(out), "--workers", "1", "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    good = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    bad = [b'{"source": "half a rec\xff\xfe\n', b"[1, 2]\n", b'{"title": "no source"}\n']
    (out / "results.jsonl").write_bytes(good[0] + bad[0] + good[2] + bad[1] + good[3] + bad[2])  # good[1] is lost
    (out / "errors.jsonl").write_bytes(b"not json at all\n")
    r = CliRunner().invoke(main, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 0 and "1 summarized, 0 failed, 3 already done" in r.stderr, r.output
    assert "4 damaged line(s)" in r.stderr and "set aside" in r.stderr
    assert sorted(x["source"] for x in lines(out / "results.jsonl")) == sorted(json.loads(g)["source"] for g in good)
    assert (out / "results.jsonl.damaged").read_bytes() == b"".join(bad)  # kept, not thrown away
    assert (out / "errors.jsonl.damaged").read_bytes() == b"not json at all\n"
    r = CliRunner().invoke(main, args)  # whole again: nothing to report, nothing redone
    assert r.exit_code == 0 and "damaged line" not in r.stderr and "0 summarized, 0 failed, 4 already done" in r.stderr


def test_a_batch_that_cannot_start_leaves_no_file_open(tmp_path, settings):
    from pipeline.batch import run_batch
    from pipeline.errors import PipelineError

    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with pytest.raises(PipelineError):  # the URL list is missing: refused while planning
            run_batch([], tmp_path / "out", settings, urls_file=str(tmp_path / "missing.txt"))
    assert len(os.listdir("/proc/self/fd")) == before


def test_all_failed_exit_code(fake_models, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "x.html").write_bytes(b"\x00")
    r = CliRunner().invoke(main, ["batch", str(tmp_path / "p"), "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 3


KILLABLE = """
import sys, time
sys.path.insert(0, {tests!r})
import pipeline.core
from fakes import LeadSummarizer, rule_tagger
class Slow(LeadSummarizer):
    def summarize_batch(self, articles):
        time.sleep(0.15)
        return super().summarize_batch(articles)
pipeline.core.load_summarizer = lambda settings: Slow()
pipeline.core.EntityTagger.load = classmethod(lambda cls, s: rule_tagger(s.entity_labels))
from pipeline.cli import main
main(sys.argv[1:])
"""


def test_kill_9_mid_batch_then_resume_gives_exactly_one_result_per_page(tmp_path):
    n = 200
    pages, out = tmp_path / "pages", tmp_path / "out"
    make_pages(pages, n)
    script = tmp_path / "run.py"
    script.write_text(KILLABLE.format(tests=str(ROOT / "tests")))
    env = {**os.environ, "NEWSBRIEF_BATCH_SIZE": "4", "NEWSBRIEF_DB": str(tmp_path / "i.db")}
    cmd = [sys.executable, str(script), "batch", str(pages), "--out", str(out), "--workers", "1", "-q"]
    for kill_after in (20, 110):  # kill twice at different points
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(lines_safe(out / "results.jsonl")) < kill_after:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert len(lines_safe(out / "results.jsonl")) < n  # it really was interrupted
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = lines(out / "results.jsonl")
    assert len(results) == n
    assert len({r["source"] for r in results}) == n and len({r["content_hash"] for r in results}) == n
    import sqlite3

    assert sqlite3.connect(tmp_path / "i.db").execute("SELECT COUNT(*) FROM articles").fetchone()[0] == n


WRITER = """
import sys, time
sys.path.insert(0, {tests!r})
import pipeline.core
from fakes import LeadSummarizer, rule_tagger
class SlowWriter(LeadSummarizer):  # like the LLM writer: one article at a time, seconds each
    batch_size = 1
    def summarize_batch(self, articles):
        time.sleep(1.2 * len(articles))
        return super().summarize_batch(articles)
pipeline.core.load_summarizer = lambda settings: SlowWriter()
pipeline.core.EntityTagger.load = classmethod(lambda cls, s: rule_tagger(s.entity_labels))
from pipeline.cli import main
main(sys.argv[1:])
"""


def test_a_slow_writer_keeps_each_finished_article_through_kill_9(tmp_path):
    pages, out = tmp_path / "pages", tmp_path / "out"
    make_pages(pages, 12)
    script = tmp_path / "run.py"
    script.write_text(WRITER.format(tests=str(ROOT / "tests")))
    env = {**os.environ, "NEWSBRIEF_DB": str(tmp_path / "i.db")}  # batch_size stays 16
    cmd = [sys.executable, str(script), "batch", str(pages), "--out", str(out), "--workers", "1", "-q"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(lines_safe(out / "results.jsonl")) < 3:
        time.sleep(0.05)
    written = len(lines_safe(out / "results.jsonl"))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # before, nothing was written until 16 articles were summarized (here: never, 12 pages)
    assert written >= 3 and len(lines_safe(out / "results.jsonl")) < 12
    kept = len(lines(out / "results.jsonl"))
    import sqlite3

    assert sqlite3.connect(tmp_path / "i.db").execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= kept - 1
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = lines(out / "results.jsonl")
    assert len(results) == 12 and len({r["source"] for r in results}) == 12  # the rest done, none twice


def lines_safe(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _without_timings(path: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "timings"} for r in lines(path)]


@pytest.mark.models
def test_ray_engine_writes_the_same_results_as_the_local_engine(tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="the newsbrief[ray] extra is installed by make install")
    # relative paths, as a user types them (a Ray worker's working directory is not the caller's),
    # and a RAY_ADDRESS pointing nowhere: without --address the engine starts its own instance
    monkeypatch.chdir(SAMPLES.parent)
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")
    samples = [f"samples/{p.name}" for p in sorted(SAMPLES.glob("*.html"))] + ["samples/plain-article.txt"]
    outs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        r = CliRunner().invoke(
            main, ["batch", *samples, "--out", str(out), "--mode", "fast", "--no-index", "-q", "--engine", engine,
                   "--workers", "1"],
        )  # fmt: skip
        assert isinstance(r.exception, SystemExit) and r.exit_code == 1, r.output  # the index page fails
        outs[engine] = out
    assert _without_timings(outs["ray"] / "results.jsonl") == _without_timings(outs["local"] / "results.jsonl")
    assert lines(outs["ray"] / "errors.jsonl") == lines(outs["local"] / "errors.jsonl")
    assert len(lines(outs["ray"] / "results.jsonl")) == len(samples) - 1
    assert {r["source"] for r in lines(outs["ray"] / "results.jsonl")} <= set(samples)  # as the user typed them


def test_ray_engine_without_the_extra_names_it(tmp_path, monkeypatch, fake_models):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    r = CliRunner().invoke(main, ["batch", str(SAMPLES), "--out", str(tmp_path / "o"), "--engine", "ray", "-q"])
    assert r.exit_code == 4
    assert "pip install 'newsbrief[ray]'" in r.stderr
    assert not (tmp_path / "o").exists()  # checked before anything was created or processed


def _no_ray_init(monkeypatch) -> None:
    """Ray is never started by these tests: joining a cluster is refused before ``ray.init``."""
    ray = pytest.importorskip("ray", reason="the newsbrief[ray] extra is installed by make install")

    def refused(*args, **kwargs):
        raise AssertionError("ray.init was reached")

    monkeypatch.setattr(ray, "init", refused)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)


def test_a_ray_address_where_nothing_listens_is_one_setup_line_and_frees_the_batch_lock(
    tmp_path, monkeypatch, fake_models
):
    """Before: ray.init waited on 127.0.0.1:1 with the batch's lock held. The address is probed
    (a TCP connect, 2 s at most) first: one line naming it, exit 4, and the lock is free again."""
    _no_ray_init(monkeypatch)
    out = tmp_path / "o"
    args = ["batch", str(SAMPLES / "plain-article.txt"), "--out", str(out), "-q", "--no-index"]
    r = CliRunner().invoke(main, [*args, "--engine", "ray", "--address", "127.0.0.1:1"])
    assert r.exit_code == 4, r.output
    [line] = r.stderr.splitlines()
    assert "127.0.0.1:1" in line and line.endswith("[engine_error]"), line
    r = CliRunner().invoke(main, args)  # the next batch into the same folder takes the lock
    assert r.exit_code == 0, r.output
    assert [x["source"] for x in lines(out / "results.jsonl")] == [str(SAMPLES / "plain-article.txt")]


@pytest.mark.parametrize("address", ["nonsense:port", "10.0.0.1", "head:99999", "[zz::1]:6379", "http://head:6379"])
def test_a_malformed_ray_address_is_a_usage_error(tmp_path, monkeypatch, address):
    _no_ray_init(monkeypatch)
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["batch", str(SAMPLES), "--out", str(out), "--engine", "ray", "--address", address])
    assert r.exit_code == 2, r.output
    assert r.stderr.splitlines() == [
        f"newsbrief: error: --address {address!r}: use HOST:PORT of the cluster's head "
        "(ray://HOST:PORT for Ray Client) or auto [usage]"
    ]
    assert not out.exists()  # refused before the folder (and its lock) was made


def test_ray_addresses_that_name_a_head(monkeypatch):
    pytest.importorskip("ray", reason="the newsbrief[ray] extra is installed by make install")
    from pipeline.ray_engine import cluster_address

    assert cluster_address("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert cluster_address("ray://head.example.org:10001") == ("head.example.org", 10001)
    assert cluster_address("[::1]:6379") == ("::1", 6379)
    assert cluster_address("auto") is None  # Ray finds this machine's cluster itself


def test_ray_workers_get_local_files_from_the_driver(tmp_path, settings):
    # on a cluster the workers are other machines: a local input is read on the driver and its
    # content travels; the worker side needs no access to the file
    from pipeline.ray_engine import on_worker, shipped

    page = tmp_path / "page.html"
    page.write_bytes((SAMPLES / "eu-cloud-certification.html").read_bytes())
    raw = shipped(str(page), settings)
    page.unlink()
    [art] = on_worker(str(page), raw, settings)
    assert art.status == "ok" and "ENISA" in art.text and art.source == str(page)
    [missing] = on_worker("gone.html", shipped("gone.html", settings), settings)
    assert missing.status == "error" and missing.error == "not_found"  # the driver's verdict travels
    assert shipped("https://example.com/a", settings) is None  # URLs are fetched by the workers


@contextlib.contextmanager
def _ray_node(args: list[str], cwd: Path, env: dict[str, str]) -> Iterator[None]:
    """``ray start ARGS --block`` from ``cwd``, as a user starts a node, in a session of its own;
    ready once it says it started. Stopped by signalling that session alone: ``ray stop`` would stop
    every Ray of this user on the machine (another test's, the user's own cluster)."""
    ray_bin = Path(sys.executable).with_name("ray")
    log = cwd / "ray-start.log"
    with log.open("wb") as out:
        node = subprocess.Popen(
            [str(ray_bin), "start", *args, "--block", "--disable-usage-stats"],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        end = time.monotonic() + 120  # a bound on a hang, not a timed assertion
        while "Ray runtime started" not in log.read_text(errors="replace"):
            if node.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"ray start {' '.join(args)} did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield
    finally:
        node.terminate()  # `ray start --block` stops what it started (no drain time: see _ray_env)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGKILL)  # what is left of that session: its workers
        node.wait()


def _ray_env() -> dict[str, str]:
    """The environment of a cluster joined by address and of its driver: Ray's token auth on,
    with a token of this test's (not the user's ~/.ray/auth_token), as Ray documents for joining
    a cluster; a node stops at once when told to (no 30 s drain)."""
    import secrets

    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    env.pop("RAY_ADDRESS", None)
    return {**env, "RAY_USAGE_STATS_ENABLED": "0", "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}


# `newsbrief batch` as a user runs it against a cluster: a process of its own, Ray's auth in its
# environment before Ray is imported (Ray reads it once). With fakes=True the head's workers load
# the fakes through Ray's worker setup hook, and this driver never loads a summarizer
ON_RAY = """
import sys
sys.path.insert(0, {tests!r})
if {fakes!r}:
    import ray
    import pipeline.core
    def nowhere(settings):
        raise AssertionError("the driver loaded a summarizer")
    pipeline.core.load_summarizer = nowhere
    join = ray.init
    def init(*args, **kwargs):  # the workers import this checkout (Ray adds the cwd) and the fakes
        hook = {{"worker_process_setup_hook": "fakes.on_ray_worker", "env_vars": {{"PYTHONPATH": {tests!r}}}}}
        return join(*args, runtime_env=hook, **kwargs)
    ray.init = init
from pipeline.cli import main
main(sys.argv[1:])
"""


def _batch_on_ray(args: list[str], cluster: tuple[str, dict[str, str]], fakes: bool) -> subprocess.CompletedProcess:
    address, env = cluster
    script = ON_RAY.format(tests=str(ROOT / "tests"), fakes=fakes)
    cmd = [sys.executable, "-c", script, "batch", *args, "--engine", "ray", "--address", address]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def ray_temp() -> Iterator[Path]:
    """Ray's temp dir for a head: short (its socket paths must fit 107 bytes) and the test's own."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="nb-ray-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def ray_head(ray_temp) -> Iterator[tuple[str, dict[str, str]]]:
    """A real one-node Ray cluster on 127.0.0.1 (`ray start --head`): its address, and the
    environment its drivers need."""
    pytest.importorskip("ray", reason="the newsbrief[ray] extra is installed by make install")
    env, port = _ray_env(), _free_port()
    # 2 CPUs: the read tasks and the one summarizing actor each take one (ray_engine's sizing note)
    args = ["--head", "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
            "--node-ip-address", "127.0.0.1", "--temp-dir", str(ray_temp)]  # fmt: skip
    with _ray_node(args, ray_temp, env):
        yield f"127.0.0.1:{port}", env


@pytest.fixture
def ray_cluster(tmp_path, ray_temp) -> Iterator[tuple[str, dict[str, str]]]:
    """A real two-node Ray cluster as a user starts one (`ray start --head`, then a worker that
    joins it), each node started from its own working directory; stopped afterwards."""
    pytest.importorskip("ray", reason="the newsbrief[ray] extra is installed by make install")
    env, port = _ray_env(), _free_port()
    nodes = tmp_path / "nodes"
    head, worker = nodes / "head", nodes / "worker"
    head.mkdir(parents=True)
    worker.mkdir()
    start = ["--head", "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
             "--node-ip-address", "127.0.0.1", "--temp-dir", str(ray_temp)]  # fmt: skip
    join = ["--address", f"127.0.0.1:{port}", "--num-cpus", "2", "--node-ip-address", "127.0.0.1"]
    with _ray_node(start, head, env), _ray_node(join, worker, env):
        yield f"127.0.0.1:{port}", env


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.models
@pytest.mark.ray
def test_batch_joins_a_real_ray_cluster_with_the_same_results(tmp_path, monkeypatch, ray_cluster):
    # relative paths as a user types them: the nodes' working directories are not the caller's,
    # and the driver ships the files' content
    monkeypatch.chdir(SAMPLES.parent)
    samples = ["samples/eu-cloud-certification.html", "samples/german-bsi.html", "samples/plain-article.txt",
               "samples/index-page.html", "samples/no-such-page.html"]  # fmt: skip
    outs = {engine: tmp_path / engine for engine in ("local", "ray")}
    args = [*samples, "--mode", "fast", "--no-index", "-q"]
    r = CliRunner().invoke(main, ["batch", *args, "--out", str(outs["local"])])
    assert r.exit_code == 1, r.output  # the index page and the missing file fail, the rest do not
    done = _batch_on_ray([*args, "--out", str(outs["ray"]), "--workers", "2"], ray_cluster, fakes=False)
    assert done.returncode == 1, done.stderr
    assert _without_timings(outs["ray"] / "results.jsonl") == _without_timings(outs["local"] / "results.jsonl")
    assert lines(outs["ray"] / "errors.jsonl") == lines(outs["local"] / "errors.jsonl")
    assert [r["source"] for r in lines(outs["ray"] / "results.jsonl")] == samples[:3]


@pytest.mark.ray
def test_batch_joins_a_running_ray_head_and_writes_what_the_local_engine_writes(
    tmp_path, monkeypatch, fake_models, ray_head
):
    """`batch --engine ray --address HOST:PORT` against a head started as a user starts one (before,
    only Ray's own in-process instance and an address with nothing there were tried): the work runs
    in the head's worker processes, which load the fakes through Ray's worker setup hook (the
    driver loads no summarizer), and the results, failures and index rows are the local engine's."""
    from pipeline.store import Store

    monkeypatch.chdir(ROOT)  # relative paths as a user types them; the driver ships the files
    samples = ["samples/eu-cloud-certification.html", "samples/german-bsi.html", "samples/index-page.html"]
    (local, on_ray), dbs = (tmp_path / "local", tmp_path / "ray"), (tmp_path / "local.db", tmp_path / "ray.db")
    args = [*samples, "--mode", "fast", "--workers", "1", "-q"]
    r = CliRunner().invoke(main, ["batch", *args, "--out", str(local), "--db", str(dbs[0])])
    assert r.exit_code == 1 and "2 summarized, 1 failed" in r.stderr, r.output  # the index page fails
    done = _batch_on_ray([*args, "--out", str(on_ray), "--db", str(dbs[1])], ray_head, fakes=True)
    assert done.returncode == 1 and "2 summarized, 1 failed" in done.stderr, done.stderr
    assert _without_timings(on_ray / "results.jsonl") == _without_timings(local / "results.jsonl")
    assert lines(on_ray / "errors.jsonl") == lines(local / "errors.jsonl")
    results = lines(on_ray / "results.jsonl")
    assert [x["source"] for x in results] == samples[:2] and all(x["tldr"] for x in results)
    assert [e["reason"] for e in lines(on_ray / "errors.jsonl")] == ["no_article_text"]
    rows = "SELECT content_hash, url, source, title, tldr, summary, body FROM articles ORDER BY content_hash"
    with Store(dbs[0]) as a, Store(dbs[1]) as b:
        assert b.count() == 2 and b.db.execute(rows).fetchall() == a.db.execute(rows).fetchall()


def test_a_saved_page_then_its_url_are_one_article_with_both_sources(fake_models, tmp_path, server):
    from pipeline.store import Store

    pages, out = tmp_path / "pages", tmp_path / "out"
    pages.mkdir()
    saved = pages / "saved.html"
    saved.write_bytes((SAMPLES / "eu-cloud-certification.html").read_bytes())  # what the server's /article serves
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{server}/article\n")
    r = CliRunner().invoke(main, ["batch", str(pages), "--out", str(out), "--workers", "1", "-q"])
    assert r.exit_code == 0 and "1 summarized" in r.stderr, r.output
    # the URL gives the text already done: no model work, and the index keeps it as the saved page's alias
    args = ["batch", str(pages), "--urls", str(urls), "--out", str(out), "--workers", "1", "-q"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0 and "0 summarized, 0 failed, 2 already done" in r.stderr, r.output
    assert [x["source"] for x in lines(out / "results.jsonl")] == [str(saved)]
    with Store(tmp_path / "index.db") as s:
        assert s.count() == 1
        (hit,) = s.search("certification")
        assert s.get(hit.id).source == str(saved) and s.get(hit.id).aliases == [f"{server}/article"]
    # both in one run into a new folder (the second is summarized too when the first is not yet
    # stored, as for two copies of one file): still one row
    args = ["batch", str(pages), "--urls", str(urls), "--out", str(tmp_path / "out2"), "--workers", "1", "-q"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0 and "0 failed" in r.stderr, r.output
    with Store(tmp_path / "index.db") as s:
        assert s.count() == 1


def test_every_failure_says_its_reason_by_default_and_the_bar_stays_the_only_progress(
    fake_models, tmp_path, monkeypatch
):
    """The README promises one line on stderr per failure: before, only -q printed them."""
    import pipeline.cli.app

    monkeypatch.setattr(pipeline.cli.app, "on_terminal", lambda: True)  # stage lines would show but for the bar
    pages = tmp_path / "pages"
    make_pages(pages, 2)
    (pages / "index.html").write_text((SAMPLES / "index-page.html").read_text())
    (pages / "binary.htm").write_bytes(b"\x00\x01binary")
    r = CliRunner().invoke(main, ["batch", str(pages), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert r.exit_code == 1, r.output
    errors = [x for x in r.stderr.splitlines() if x.startswith("newsbrief: error: ")]
    assert len(errors) == 2
    assert f"{pages / 'binary.htm'}: " in errors[0] and errors[0].endswith("[unsupported_content]")
    assert f"{pages / 'index.html'}: " in errors[1] and errors[1].endswith("[no_article_text]")
    assert "2 summarized, 2 failed" in r.stderr
    assert "newsbrief: reading" not in r.stderr and "newsbrief: writing" not in r.stderr


def test_ray_steps_pass_an_article_already_done_on_unsummarized_as_a_duplicate(fake_models, tmp_path, settings):
    pytest.importorskip("ray", reason="the newsbrief[ray] extra is installed by make install")
    from pipeline.core import read
    from pipeline.ray_engine import Enricher, read_batch

    make_pages(tmp_path / "p", 2)
    pages = [str(tmp_path / "p" / "deep" / "page000.html"), str(tmp_path / "p" / "page001.html")]
    [done] = read(pages[:1], settings)
    # the driver's files travel as object refs; None makes the worker read the path itself
    batch = read_batch({"source": pages, "raw": [None, None]}, settings, frozenset({done.content_hash}))
    out = list(Enricher(settings)(batch)["article"])
    assert [(a.source, a.duplicate) for a in out] == [(pages[0], True), (pages[1], False)]
    assert not out[0].tldr and out[1].tldr and fake_models.batches == [1]  # no model work for the duplicate
