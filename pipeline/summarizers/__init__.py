"""Summarizer backends behind one batch-first interface (:class:`~.base.Summarizer`).

``load_summarizer(settings)`` picks the backend from ``mode``/``model`` and loads it once; heavy
imports happen inside the backends' ``load`` functions. ``mode = "auto"`` is made concrete by
:func:`prefer` (each entry point says which mode it prefers; the library never asks which
command is running); unresolved ``auto`` means quality when installed.
"""

from __future__ import annotations

from ..errors import ModelError
from ..models import ModelSpec, is_installed, manifest, resolve
from ..settings import Settings
from .base import Summarizer, SummaryResult

__all__ = ["Summarizer", "SummaryResult", "load_summarizer", "choose_model", "prefer"]


def prefer(settings: Settings, mode: str) -> Settings:
    """``settings`` with ``mode = "auto"`` made concrete: ``mode`` ("fast" or "quality"), quality
    only when its model is installed. An explicit mode or ``model`` is left alone."""
    if settings.mode != "auto" or settings.model:
        return settings
    if mode == "quality" and not settings.llm_url:  # a server the user configured is always "installed"
        spec = manifest().get(settings.quality_model)
        if spec is None or not is_installed(spec, settings.models_dir) or spec.backend not in BACKENDS:
            mode = "fast"
    return settings.replace(mode=mode)


def choose_model(settings: Settings) -> ModelSpec:
    """``model`` wins; else the mode's default model (``auto``: quality when installed)."""
    if settings.model:
        return resolve(settings.model, "summarizer", settings.models_dir)
    mode = prefer(settings, "quality").mode
    name = settings.fast_model if mode == "fast" else settings.quality_model
    return resolve(name, "summarizer", settings.models_dir)


def _extractive(spec: ModelSpec, settings: Settings) -> Summarizer:
    from .extractive import ExtractiveSummarizer

    return ExtractiveSummarizer.load(spec, settings, quantize=settings.int8)


def _llamacpp(spec: ModelSpec, settings: Settings) -> Summarizer:
    from .llamacpp import LlamaCppChat
    from .recipe import RecipeSummarizer

    return RecipeSummarizer(LlamaCppChat.load(spec, settings), settings)


def _hf(spec: ModelSpec, settings: Settings) -> Summarizer:
    from .hf import load_hf

    return load_hf(spec, settings)


BACKENDS = {"extractive": _extractive, "llamacpp": _llamacpp, "hf": _hf}


def remote_writer(settings: Settings) -> bool:
    """Does quality mode write on the user's LLM server (``llm_url``) rather than in-process?
    An explicit ``model`` (a local one) wins."""
    return bool(settings.llm_url) and not settings.model and prefer(settings, "quality").mode == "quality"


def load_summarizer(settings: Settings) -> Summarizer:
    if remote_writer(settings):
        from .recipe import RecipeSummarizer
        from .remote import RemoteChat

        return RecipeSummarizer(RemoteChat.connect(settings), settings)
    spec = choose_model(settings)
    try:
        factory = BACKENDS[spec.backend]
    except KeyError:
        raise ModelError(f"backend {spec.backend!r} is not available in this build", spec.name) from None
    return factory(spec, settings)
