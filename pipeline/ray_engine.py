"""The batch engine on Ray Data: the same per-document functions, spread over a cluster.

The driver reads local files (through the user's input policy) and ships their content with the
tasks, so the same command works when the workers are other machines; URLs are fetched on the
workers. extract (and fetch) runs as stateless tasks; summarize + entities run in an actor pool whose
actors each load the models once in ``__init__`` (only the small frozen ``Settings`` travels, never
a loaded model). The driver receives finished records in input order and writes them with the same
crash-safe JSONL code as the local engine, so the outputs are identical.

Sizing for small nodes (measured with Ray 2.60): an actor pool that takes every CPU starves the
read stage and hangs; in local mode we start Ray with ``workers + 2`` CPUs and give each actor one.
Torch threads are set explicitly per actor (``settings.threads``, default 1 here): 2 threads on 2
busy cores was up to 2x slower than 1. A cluster address (``--address``) needs Ray's token auth
configured in the environment, as Ray documents; nothing here disables it.

A cluster address is checked before Ray is asked to join it: a malformed one is a usage error, and
one where nothing accepts a TCP connection within :data:`PROBE_SECONDS` is an
:class:`~pipeline.errors.EngineError` in one line (``ray.init`` itself would wait on it, with the
batch's lock held, for as long as Ray retries).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import time
from collections.abc import Iterator, Set
from dataclasses import dataclass
from typing import Any

from .core import Models, already_done, enrich, extracted, loaded, read
from .document import Article
from .errors import EngineError, MissingExtra, PipelineError, UsageError
from .policy import Policy
from .settings import Settings

log = logging.getLogger(__name__)

EXTRA = "newsbrief[ray]"
PROBE_SECONDS = 2.0  # a cluster's head answers a TCP connect at once; nothing there is not worth waiting for
# HOST:PORT (Ray's GCS address) or ray://HOST:PORT (Ray Client); HOST a name, IPv4 or [IPv6]
_ADDRESS = re.compile(
    r"(?:ray://)?(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(?P<port>\d{1,5})"
)


def check_ray() -> None:
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingExtra(f"the Ray engine needs the optional extra: pip install '{EXTRA}'", "--engine ray") from None


def cluster_address(address: str) -> tuple[str, int] | None:
    """The (host, port) a ``--address`` names, to probe before joining; None for ``auto`` (Ray
    finds this machine's cluster itself). Anything else is a :class:`UsageError`."""
    if address == "auto":
        return None
    m = _ADDRESS.fullmatch(address)
    host = (m.group("v6") or m.group("host")) if m else ""
    port = int(m.group("port")) if m else 0
    if m and m.group("v6"):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            host = ""
    if not host or not 0 < port < 65536:
        raise UsageError(
            f"--address {address!r}: use HOST:PORT of the cluster's head (ray://HOST:PORT for Ray Client) or auto"
        )
    return host, port


def probe(address: str, settings: Settings, seconds: float = PROBE_SECONDS) -> None:
    """Does something accept a TCP connection at ``address`` within ``seconds`` (the name lookup
    included)? If not, an :class:`EngineError` naming the address."""
    target = cluster_address(address)
    if target is None:
        return
    host, port = target
    end = time.monotonic() + seconds
    try:
        addresses = Policy.trusted(settings).resolve(host, port, address, seconds)
    except PipelineError as exc:
        raise EngineError(f"no Ray cluster at {address}: {exc.message}", "--address") from None
    error = "no address"
    for ip in addresses:
        try:
            with socket.create_connection((ip, port), timeout=max(0.05, end - time.monotonic())):
                return
        except TimeoutError:
            error = f"no answer within {seconds:g}s"
        except OSError as exc:
            error = exc.strerror or str(exc)
    raise EngineError(f"no Ray cluster answers at {address} ({error})", "--address")


@dataclass
class RayEngine:
    """The batch :class:`~pipeline.batch.Engine` on Ray Data (``workers`` model actors)."""

    workers: int = 1
    address: str | None = None

    def __post_init__(self) -> None:
        check_ray()  # a missing extra fails before any work, naming the extra
        if self.address == "local":  # Ray's name for its own instance here: the default
            self.address = None
        if self.address is not None:
            cluster_address(self.address)  # a malformed address is a usage error, before --out is made

    def process(self, sources: list[str], settings: Settings, done: Set[str]) -> Iterator[Article | None]:
        return run_on_ray(sources, settings, self.workers, frozenset(done), self.address)


def _objects(items: list[Any]) -> Any:
    import numpy as np

    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def shipped(source: str, settings: Settings) -> list[Article] | None:
    """What the driver sends for one source. A local file is read here, through the user's
    policy, and its content travels with the task: on a cluster the workers are other machines
    (and even on this one their working directory is not the caller's). URLs (and ``-``) are
    ``None``: the workers fetch them."""
    from .fetch import is_url

    if source == "-" or is_url(source):
        return None
    return loaded(source, Policy.trusted(settings))


def on_worker(source: str, raw: list[Article] | None, settings: Settings) -> Iterator[Article]:
    """A worker's part: extract the records the driver shipped, or fetch + extract a URL. Needs
    no access to the driver's files."""
    return read([source], settings) if raw is None else (extracted(a, settings) for a in raw)


def read_batch(batch: dict[str, Any], settings: Settings, done_hashes: frozenset[str]) -> dict[str, Any]:
    """extract what the driver shipped, fetch + extract URLs; an article whose content is
    already in results.jsonl is marked ``duplicate`` (not summarized; the index keeps its source
    as an alias). Records keep the source as the user gave it."""
    import ray

    out: list[Article | None] = []
    for source, raw in zip(batch["source"], batch["raw"], strict=True):
        for a in on_worker(str(source), None if raw is None else ray.get(raw), settings):
            a.duplicate = already_done(a, done_hashes)
            out.append(a)
    return {"article": _objects(out)}


class Enricher:
    """One per actor: loads the models once, then summarizes + tags each batch it is given."""

    def __init__(self, settings: Settings) -> None:
        # run_batch made "auto" concrete before shipping settings; the torch backends set their
        # threads as they load
        self.models = Models(settings)
        self.batch_size = settings.batch_size

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        items = list(batch["article"])
        todo = [a for a in items if a is not None and not a.duplicate]
        list(enrich(todo, self.models, self.batch_size))
        return {"article": _objects(items)}


def run_on_ray(
    sources: list[str], settings: Settings, workers: int, done_hashes: frozenset[str], address: str | None = None
) -> Iterator[Article | None]:
    """Finished records in input order; one skipped as a known content hash is marked ``duplicate``."""
    check_ray()
    import ray

    if not sources:
        return
    actors = max(1, workers)
    started = False
    if not ray.is_initialized():
        if address:
            probe(address, settings)  # nothing there: one line now, not a wait inside ray.init
            try:
                ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
            except (OSError, RuntimeError, ValueError) as exc:  # ConnectionError: not a Ray cluster, or gone
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise EngineError(f"Ray could not join the cluster at {address}: {first}", "--address") from None
        else:
            # "local": always our own instance, even when RAY_ADDRESS or a `ray start` cluster
            # (or its leftover address file) is on this machine; passing num_cpus to one of
            # those used to fail with a ValueError
            ray.init(
                address="local", num_cpus=actors + 2, include_dashboard=False, log_to_driver=False,
                logging_level=logging.ERROR,
            )  # fmt: skip
        started = True
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # same order as the local engine
        ctx.enable_progress_bars = False  # the CLI draws its own bar
        ctx.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # the driver is a CLI: no INFO chatter
        # nor the WARNING that progress bars are disabled: we turned them off, the CLI draws its own.
        # Left: the one "E ... core_worker.cc ... has constructor arguments in the object store and
        # max_restarts > 0" line Ray's C++ core prints when Ray Data starts the actor pool (its own
        # default of restarting actors; ray-project/ray#53727). No log level reaches it without
        # another line (RAY_BACKEND_LOG_LEVEL prints "Set ray log level ..."), and max_restarts=0
        # needs ray_remote_args, deprecated (a warning line) and gone in Ray 2.64
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
        actor_settings = settings.replace(threads=settings.threads or 1)
        # file contents go to the object store (spilled to disk when large), not the driver's heap
        refs = [None if (raw := shipped(s, settings)) is None else ray.put(raw) for s in sources]
        ds: Any = ray.data.from_items(
            [{"source": s, "raw": ref} for s, ref in zip(sources, refs, strict=True)],
            override_num_blocks=min(len(sources), 8 * actors),
        )
        ds = ds.map_batches(
            read_batch,
            fn_kwargs={"settings": settings, "done_hashes": done_hashes},
            batch_size=4,
            batch_format="numpy",
            num_cpus=1,  # Ray core retries a task whose worker process died; Python errors are records already
        )
        ds = ds.map_batches(
            Enricher,
            fn_constructor_kwargs={"settings": actor_settings},
            batch_size=settings.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
        )
        for batch in ds.iter_batches(batch_size=settings.batch_size, batch_format="numpy"):
            yield from batch["article"]
    finally:
        if started:
            ray.shutdown()
