"""Commands about the installation: ``models``, ``doctor``, ``serve`` (the reader),
``llm-server`` (the bundled model behind an OpenAI-compatible API) and ``eval``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .app import guarded, main, terminal_safe
from .common import (
    EXISTING_FOLDER,
    FILE,
    db_option,
    llm_options,
    settings_from,
)


@main.command("models")
@guarded
def models_cmd() -> None:
    """List known models and whether each is installed.

    \b
    Example:
      newsbrief models
    """
    from ..render import model_lines

    for line in model_lines(settings_from()):
        click.echo(line)


@main.command()
@click.option(
    "--settings", "show_settings", is_flag=True,
    help="Print every effective setting as TOML, each with where it came from, instead of checking models.",
)  # fmt: skip
@guarded
def doctor(show_settings: bool) -> None:
    """Say where the index, config file, models and cache are; check that the default models load
    and run offline.

    \b
    Examples:
      newsbrief doctor
      newsbrief doctor --settings
    """
    import json
    import time

    from ..api import doctor as check_models
    from ..settings import explain_settings
    from .common import places

    settings = settings_from()  # a bad value is its one error line here, naming its file or variable
    for name, path in places(settings):
        click.echo(terminal_safe(f"{name + ':':<8} {path}"))
    if show_settings:
        for name, value, origin in explain_settings():
            shown = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
            click.echo(terminal_safe(f"{name} = {shown}  # {origin}"))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    for role, model_id, detail in check_models(settings):  # raises a setup error on failure
        click.echo(f"{role:<11} {model_id}: ok ({detail})")
    click.echo(f"models loaded and ran offline in {time.perf_counter() - t0:.1f}s")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (local only by default).")
@click.option("--port", type=int, default=8750, show_default=True)
@click.option(
    "--allow-host", "allow_hosts", multiple=True, metavar="NAME",
    help="Also answer to this Host name (the machine's name or address when listening on every interface).",
)  # fmt: skip
@click.option("--digests", "digests_dir", type=EXISTING_FOLDER, help="Folder of digests to serve.")
@db_option
@guarded
def serve(host: str, port: int, allow_hosts: tuple[str, ...], digests_dir: Path | None, db: str | None) -> None:
    """Browse the index in a local web reader: search, entities over time, every summary
    sentence linked to the article sentences it comes from. Read-only; JSON at every URL
    (?format=json). Answers only to 127.0.0.1, localhost, [::1], the --host and --allow-host
    names. Needs the newsbrief[serve] extra.

    \b
    Examples:
      newsbrief serve                      # http://127.0.0.1:8750/
      newsbrief serve --digests ~/digests --port 9000
      newsbrief serve --host 0.0.0.0 --allow-host reader.lan
    """
    from ..errors import MissingExtra

    try:
        import uvicorn  # noqa: F401  (checked here: the extra is missing, not the reader broken)

        from .. import serve as reader
    except ImportError:
        raise MissingExtra("the reader needs the optional extra: pip install 'newsbrief[serve]'", "serve") from None
    from ..watch import load as load_watches

    settings = settings_from(db=db)
    db_path = settings.db_path()
    watches = load_watches(settings.watch_path())  # a bad watch file is its one line, before a port is bound
    app, sock, hosts = reader.start(db_path, host, port, allow_hosts, digests_dir, watches)
    where = "only this machine can connect" if reader.is_local(host) else "reachable from the network"
    click.echo(
        f"newsbrief: serving {db_path} read-only at {reader.listen_url(host, port)} ({where}; "
        f"answers to Host {', '.join(hosts)})",
        err=True,
    )
    reader.serve_socket(app, sock)


@main.command("llm-server")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--host", default="127.0.0.1", show_default=True,
    help="Interface to listen on; another than loopback needs a key (the variable llm_api_key_env names).",
)  # fmt: skip
@click.option("--model", "model_name", help="A llama.cpp model of `newsbrief models` (default: the quality model).")
@click.option("--parallel", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Conversations decoded together (each gets llm_context tokens).")  # fmt: skip
@guarded
def llm_server(port: int, host: str, model_name: str | None, parallel: int) -> None:
    """Serve the bundled writer as an OpenAI-compatible LLM server (llama.cpp's own), offline: what
    --llm-url / llm_url point at, to try that path or to keep one model loaded for many runs.
    Prints the URL to use on stdout and serves until Ctrl-C.

    \b
    Examples:
      newsbrief llm-server --port 8080 &
      newsbrief summarize --llm-url http://127.0.0.1:8080 samples/eu-cloud-certification.html
    """
    import time

    from ..errors import UsageError
    from ..models import resolve
    from ..serve import is_local
    from ..summarizers.llamacpp import serve as serve_model
    from ..summarizers.remote import api_key

    settings = settings_from()
    spec = resolve(model_name or settings.quality_model, "summarizer", settings.models_dir)
    if spec.backend != "llamacpp":
        raise UsageError(f"{spec.name} is a {spec.backend} model; llm-server serves llama.cpp (GGUF) models")
    key = api_key(settings)
    if not is_local(host) and not key:
        raise UsageError(
            f"listening on {host} needs a key: set llm_api_key_env to the name of a variable that holds it"
        )
    server = serve_model(spec, settings, host, port, parallel, key)
    click.echo(server.listening_address)
    where = "only this machine can connect" if is_local(host) else "reachable from the network, key required"
    click.echo(
        f"newsbrief: serving {spec.name} ({spec.id}) at {server.listening_address}/v1 ({where}); Ctrl-C stops it",
        err=True,
    )
    while True:
        time.sleep(3600)


@main.command("eval")
@click.option("--shared", type=EXISTING_FOLDER, default="../shared/eval",
              show_default=True, help="Folder with the dev sets and score.py.")  # fmt: skip
@click.option(
    "--task",
    "tasks",
    multiple=True,
    type=click.Choice(["extraction", "summarization", "entities", "faithfulness", "stories"]),
)
@click.option(
    "--mode", "modes", multiple=True, type=click.Choice(["fast", "quality"]), help="Summarizer modes to score."
)
@click.option(
    "--limit",
    type=int,
    help="Score only the first N documents of each set (of each dataset in summarization). "
    "Floors are checked only for the limit they were pinned at (none for fast, see eval_floors.toml).",
)
@click.option("--json", "json_out", type=FILE, help="Write the full results here.")
@click.option("--briefs", "briefs_out", type=FILE, help="Write every brief (JSONL) to read next to its article.")
@llm_options
@guarded
def eval_cmd(shared: Path, tasks: tuple[str, ...], modes: tuple[str, ...], limit: int | None,
             json_out: Path | None, briefs_out: Path | None, **flags: Any) -> None:  # fmt: skip
    """Score extraction, summaries and entities on the shared dev sets; fail below the floors.

    Prints a table next to lead baselines (equal length and lead-3/lead-1) and exits 1 when a
    metric is below its floor in pipeline/eval_floors.toml.

    \b
    \b
    Examples:
      newsbrief eval --shared ../shared/eval --json bench/eval.json
      newsbrief eval --task summarization --mode quality --limit 60 --llm-url http://127.0.0.1:8080
    """
    from .. import evaluate
    from ..eval_table import table

    results = evaluate.evaluate(shared, settings_from(**flags), tasks, modes, limit, briefs_out)
    click.echo(table(results))
    values = evaluate.metrics(results)
    if json_out:
        evaluate.save(json_out, values, results)
    failures = evaluate.check_floors(values, limit)
    for line in failures:
        click.echo(f"newsbrief: eval: {line}", err=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
