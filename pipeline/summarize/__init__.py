"""Summarizer backends behind one batch-first interface (:class:`~.base.Summarizer`).

``load_summarizer(settings, command)`` picks the backend from ``--mode``/``--model`` and loads it
once; heavy imports happen inside the backends' ``load`` functions.
"""

from __future__ import annotations

from ..errors import ModelError
from ..models import ModelSpec, is_installed, manifest, resolve
from ..settings import Settings
from .base import Summarizer, SummaryResult

__all__ = ["Summarizer", "SummaryResult", "load_summarizer", "choose_model"]


def choose_model(settings: Settings, command: str = "summarize") -> ModelSpec:
    """--model wins; else the mode's default; ``auto`` = quality for summarize/digest when installed."""
    if settings.model:
        return resolve(settings.model, "summarizer")
    mode = settings.mode
    if mode == "auto":
        mode = "fast" if command == "batch" else "quality"
        if mode == "quality":
            spec = manifest().get(settings.quality_model)
            if spec is None or not is_installed(spec) or spec.backend not in BACKENDS:
                mode = "fast"
    return resolve(settings.fast_model if mode == "fast" else settings.quality_model, "summarizer")


def _extractive(spec: ModelSpec, settings: Settings) -> Summarizer:
    from .extractive import ExtractiveSummarizer

    return ExtractiveSummarizer.load(spec, settings, quantize=settings.int8)


def _llamacpp(spec: ModelSpec, settings: Settings) -> Summarizer:
    from .llm import LlamaCppChat, RecipeSummarizer

    return RecipeSummarizer(LlamaCppChat.load(spec, settings), settings)


def _hf(spec: ModelSpec, settings: Settings) -> Summarizer:
    from .hf import load_hf

    return load_hf(spec, settings)


BACKENDS = {"extractive": _extractive, "llamacpp": _llamacpp, "hf": _hf}


def load_summarizer(settings: Settings, command: str = "summarize") -> Summarizer:
    spec = choose_model(settings, command)
    try:
        factory = BACKENDS[spec.backend]
    except KeyError:
        raise ModelError(f"backend {spec.backend!r} is not available in this build", spec.name) from None
    return factory(spec, settings)
