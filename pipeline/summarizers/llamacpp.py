"""The llama.cpp runtime of the quality writer: a GGUF model run in-process by xllamacpp.

Implements :class:`~pipeline.summarizers.recipe.ChatModel`; the recipe itself (facts → TLDR →
paragraphs, chunking, the gate) is model-agnostic and lives in ``recipe.py``.
"""

from __future__ import annotations

import json
import logging
import secrets
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


class LlamaCppChat:
    """A GGUF model run in-process by llama.cpp (xllamacpp), greedy, with prompt-prefix caching."""

    def __init__(
        self, server: Any, path: Path, model_id: str, context: int, api_key: str, turn: Path | None = None
    ) -> None:
        self.server = server
        self.path = path
        self.model_id = model_id
        self.context = context
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self.turn = turn  # machine-wide lock file: one llama.cpp generation at a time (llm_lock)

    @classmethod
    def load(cls, spec: ModelSpec, settings: Settings) -> LlamaCppChat:
        try:
            import xllamacpp
        except ImportError as exc:  # pragma: no cover - it is a declared dependency
            raise ModelError("xllamacpp is not installed (run `make install`)", spec.name) from exc
        path = spec.path if spec.path is not None else gguf_file(spec)
        t0 = time.perf_counter()
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = settings.llm_context
        params.n_parallel = 1  # one slot: its KV cache holds the current article
        params.cache_prompt = True
        params.cpuparams.n_threads = settings.n_threads
        params.cpuparams_batch.n_threads = settings.n_threads
        params.warmup = False
        params.verbosity = -1  # library code stays quiet
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
        return cls(server, Path(path), spec.id, settings.llm_context, api_key, turn)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        import httpx

        out = []
        with httpx.Client(base_url=self.server.listening_address, headers=self._headers, timeout=60) as client:
            for text in texts:
                r = client.post("/tokenize", json={"content": text, "add_special": False})
                r.raise_for_status()
                out.append(len(r.json()["tokens"]))
        return out

    def _request(self, body: dict[str, Any], chat: bool) -> Generation:
        body = {"temperature": 0.0, "top_k": 1, "repeat_penalty": 1.0, "cache_prompt": True, **body}
        t0 = time.perf_counter()
        call = self.server.handle_chat_completions if chat else self.server.handle_completions
        if self.turn is None:
            reply = call(body)
        else:
            # llama.cpp's threads spin-wait on all cores: two generations at once (a cron digest
            # while someone runs summarize) fight and each runs many times slower than twice
            # its idle time; taking turns per call keeps each near 2x (measured in bench)
            with TurnLock(self.turn):
                reply = call(body)
        if isinstance(reply, str):
            reply = json.loads(reply)
        if "error" in reply:
            raise ModelError(f"llama.cpp: {reply['error'].get('message', reply['error'])}", self.model_id)
        choice = reply["choices"][0]
        usage = reply.get("usage", {})
        return Generation(
            choice["message"]["content"] if chat else choice["text"],
            usage.get("prompt_tokens", 0),
            usage.get("prompt_tokens_details", {}).get("cached_tokens", 0),
            usage.get("completion_tokens", 0),
            time.perf_counter() - t0,
        )

    def chat(self, messages: Sequence[Message], max_tokens: int) -> Generation:
        return self._request({"messages": list(messages), "max_tokens": max_tokens}, chat=True)

    def complete(self, prompt: str, max_tokens: int, ignore_eos: bool = False) -> Generation:
        """Plain completion (the bench's anchor: llama.cpp generating N tokens in one call)."""
        return self._request({"prompt": prompt, "max_tokens": max_tokens, "ignore_eos": ignore_eos}, chat=False)
