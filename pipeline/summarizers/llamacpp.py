"""The llama.cpp runtime of the quality writer: a GGUF model run in-process by xllamacpp.

Implements :class:`~pipeline.summarizers.recipe.ChatModel`; the recipe itself (facts → TLDR →
paragraphs, chunking, the gate) is model-agnostic and lives in ``recipe.py``.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..fsutil import TurnLock
from ..models import ModelSpec, cache_dir, gguf_file
from ..settings import Settings
from .recipe import Generation, Message

log = logging.getLogger(__name__)


# Speculative decoding without a second model: drafts are looked up in the tokens already in the
# slot (the article, the facts), where a summary's words come from. Off by default (bench "writer",
# 2 cores): drafts are accepted often (ngram-map-k 81%) but verifying a draft of k tokens costs
# ~40 ms a token against ~55 ms for one ordinary step (decoding here is compute-bound, not
# memory-bound), so ngram-map-k gains 1.10x on 12 articles interleaved with the plain writer, and
# 7 of 12 briefs differ by floating point of batched verification: not the default until a 60+60
# eval shows quality does not move. ngram-simple 3/4: 58-70% accepted, no faster; llama.cpp's
# defaults, match 12 / draft 48, are slower. The knobs are the best measured for each type.
SPECULATIVE: dict[str, tuple[str, dict[str, int]]] = {
    "ngram-simple": ("NGRAM_SIMPLE", {"ngram_simple.size_n": 3, "ngram_simple.size_m": 4}),
    "ngram-map-k": ("NGRAM_MAP_K", {"ngram_map_k.size_n": 4, "ngram_map_k.size_m": 3}),
    "ngram-mod": ("NGRAM_MOD", {"ngram_mod.n_match": 4, "ngram_mod.n_min": 1, "ngram_mod.n_max": 3}),
    "ngram-cache": ("NGRAM_CACHE", {}),
}


def _speculate(params: Any, name: str, xllamacpp: Any) -> None:
    if name == "none":
        return
    kind, knobs = SPECULATIVE[name]
    spec = params.speculative
    spec.types = [getattr(xllamacpp.common_speculative_type, f"COMMON_SPECULATIVE_TYPE_{kind}")]
    for dotted, value in knobs.items():
        group, knob = dotted.split(".")
        setattr(getattr(spec, group), knob, value)


def _params(xllamacpp: Any, path: Path, settings: Settings, slots: int) -> Any:
    """llama.cpp's parameters for the writer's model at ``path`` with ``slots`` conversations."""
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    # the context is split evenly between the slots: each holds one article's conversation
    params.n_ctx = settings.llm_context * slots
    params.n_parallel = slots
    params.cache_prompt = True
    # no host-RAM copy of finished prompts: each article is read once, and llama.cpp's default
    # (up to 8 GiB) grew a 120-article eval to 5.5 GB RSS; the slot's own KV cache still
    # serves the recipe's later calls
    params.cache_ram_mib = 0
    _speculate(params, settings.llm_speculative, xllamacpp)
    params.cpuparams.n_threads = settings.n_threads
    params.cpuparams_batch.n_threads = settings.n_threads
    params.warmup = False
    params.verbosity = -1  # library code stays quiet
    return params


def serve(spec: ModelSpec, settings: Settings, host: str, port: int, slots: int, api_key: str) -> Any:
    """llama.cpp's own OpenAI-compatible HTTP server for a GGUF model of the manifest, on
    ``host:port`` (``newsbrief llm-server``): the bundled writer behind ``llm_url``, offline, to
    try the LLM-server path or to share one loaded model between runs. It lists the model under
    the id the in-process writer reports, with ``slots`` conversations of ``llm_context`` tokens,
    and asks for ``api_key`` when one is given. Returns the running server (it serves until the
    process ends; ``listening_address`` is its base URL)."""
    try:
        import xllamacpp
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise ModelError("xllamacpp is not installed (run `make install`)", spec.name) from exc
    path = spec.path if spec.path is not None else gguf_file(spec)
    params = _params(xllamacpp, Path(path), settings, max(1, slots))
    params.model_alias = {spec.id}
    params.hostnames = [host]
    params.port = port
    if api_key:
        params.api_keys = [api_key]
    try:
        return xllamacpp.Server(params)
    except Exception as exc:
        raise ModelError(f"llama.cpp could not serve the model on {host}:{port}: {exc}", str(path)) from exc


class LlamaCppChat:
    """A GGUF model run in-process by llama.cpp (xllamacpp), greedy, with prompt-prefix caching.

    ``slots`` sequences decode together (llama.cpp's continuous batching): each thread that calls
    :meth:`chat` is pinned to one slot, whose KV cache keeps that thread's article between calls."""

    def __init__(
        self,
        server: Any,
        path: Path,
        model_id: str,
        context: int,
        api_key: str,
        turn: Path | None = None,
        slots: int = 1,
        dry: float = 0.0,
    ) -> None:
        self.server = server
        self.path = path
        self.model_id = model_id
        self.context = context  # tokens per slot
        self.slots = slots
        self._headers = {"Authorization": f"Bearer {api_key}"}
        # machine-wide lock file: one llama.cpp process generates at a time (llm_lock); its own
        # slots share the turn
        self.turn = TurnLock(turn) if turn is not None else None
        self._local = threading.local()
        # DRY: penalise a token that would extend a sequence already repeated in the last 64 tokens
        self.dry: dict[str, Any] = (
            {"dry_multiplier": dry, "dry_base": 1.75, "dry_allowed_length": 2, "dry_penalty_last_n": 64} if dry else {}
        )
        self._next_slot = itertools.count()

    @classmethod
    def load(cls, spec: ModelSpec, settings: Settings) -> LlamaCppChat:
        try:
            import xllamacpp
        except ImportError as exc:  # pragma: no cover - it is a declared dependency
            raise ModelError("xllamacpp is not installed (run `make install`)", spec.name) from exc
        path = spec.path if spec.path is not None else gguf_file(spec)
        t0 = time.perf_counter()
        slots = max(1, settings.llm_slots)
        params = _params(xllamacpp, Path(path), settings, slots)
        # The runtime also opens an HTTP listener on 127.0.0.1 (used here only for /tokenize);
        # a random key keeps other local users out of it.
        api_key = secrets.token_urlsafe(24)
        params.api_keys = [api_key]
        try:
            server = xllamacpp.Server(params)
        except Exception as exc:
            raise ModelError(f"llama.cpp could not load the model: {exc}", str(path)) from exc
        log.info("loaded %s in %.1fs", spec.name, time.perf_counter() - t0)
        turn = cache_dir() / "llm.lock" if settings.llm_lock else None
        return cls(server, Path(path), spec.id, settings.llm_context, api_key, turn, slots, settings.llm_dry)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        import httpx

        out = []
        with httpx.Client(base_url=self.server.listening_address, headers=self._headers, timeout=60) as client:
            for text in texts:
                r = client.post("/tokenize", json={"content": text, "add_special": False})
                r.raise_for_status()
                out.append(len(r.json()["tokens"]))
        return out

    @property
    def slot(self) -> int:
        """This thread's slot (threads are numbered on first use; more threads than slots share)."""
        if not hasattr(self._local, "slot"):
            self._local.slot = next(self._next_slot) % self.slots
        return int(self._local.slot)

    def _request(self, body: dict[str, Any], chat: bool) -> Generation:
        body = {"temperature": 0.0, "top_k": 1, "repeat_penalty": 1.0, "cache_prompt": True, **self.dry, **body}
        if self.slots > 1:
            body["id_slot"] = self.slot
        t0 = time.perf_counter()
        call = self.server.handle_chat_completions if chat else self.server.handle_completions
        if self.turn is None:
            reply = call(body)
        else:
            # llama.cpp's threads spin-wait on all cores: two generations at once (a cron digest
            # while someone runs summarize) fight and each runs many times slower than twice
            # its idle time; taking turns per call keeps each near 2x (measured in bench)
            with self.turn:
                reply = call(body)
        if isinstance(reply, str):
            reply = json.loads(reply)
        if "error" in reply:
            raise ModelError(f"llama.cpp: {reply['error'].get('message', reply['error'])}", self.model_id)
        choice = reply["choices"][0]
        usage = reply.get("usage", {})
        timings = reply.get("timings", {})
        return Generation(
            choice["message"]["content"] if chat else choice["text"],
            usage.get("prompt_tokens", 0),
            usage.get("prompt_tokens_details", {}).get("cached_tokens", 0),
            usage.get("completion_tokens", 0),
            time.perf_counter() - t0,
            drafted=timings.get("draft_n", 0),
            accepted=timings.get("draft_n_accepted", 0),
        )

    def chat(self, messages: Sequence[Message], max_tokens: int) -> Generation:
        return self._request({"messages": list(messages), "max_tokens": max_tokens}, chat=True)

    def complete(self, prompt: str, max_tokens: int, ignore_eos: bool = False) -> Generation:
        """Plain completion (the bench's anchor: llama.cpp generating N tokens in one call)."""
        return self._request({"prompt": prompt, "max_tokens": max_tokens, "ignore_eos": ignore_eos}, chat=False)
