"""One frozen settings object, with a clear precedence.

flag > ``NEWSBRIEF_<NAME>`` environment variable > user config file > packaged ``defaults.toml``.
The user config file is ``$NEWSBRIEF_CONFIG`` or ``<user config dir>/newsbrief/config.toml``.
Nothing here is read at import time: call :func:`load_settings` and pass the result down.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import PipelineError, UsageError

ENV_PREFIX = "NEWSBRIEF_"
# kept here, not imported from the llama.cpp module, so loading settings stays light
SPECULATIVE_CHOICES = ("none", "ngram-simple", "ngram-map-k", "ngram-mod", "ngram-cache")
ENV_ALIASES = {"allow_private": "allow_private_addresses"}  # NEWSBRIEF_ALLOW_PRIVATE=1


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting; the values (and their documentation) live only in ``defaults.toml``."""

    mode: str  # fast | quality | auto
    model: str  # explicit summarizer model name or path ("" = mode default)
    fast_model: str  # default model of --mode fast
    quality_model: str  # default model of --mode quality
    ner_model: str  # spaCy pipeline name from the manifest
    models_dir: str  # folder of local model weights ("" = <user data dir>/newsbrief/models)
    timeout: float  # network timeout in seconds
    extract_timeout: float  # seconds one page may take to parse and extract
    max_bytes: int  # size cap for bodies and files
    max_redirects: int  # redirects followed before giving up
    max_url_length: int  # longer URLs/links are refused (bad_url)
    max_text_chars: int  # characters of main text the models read (coverage says the rest)
    max_query_terms: int  # words of a search query used (bounds query cost)
    max_summary_sentences: int  # sentences `verify` checks at most (more is a usage error)
    max_list_lines: int  # entries of a URL or feeds list (longer lists are refused)
    user_agent: str  # sent with every request
    allow_private_addresses: bool  # allow URLs resolving to loopback/private ranges
    summary_words: int  # target words of the Article Summary
    tldr_words: int  # maximum words of the TLDR
    words_per_minute: int  # reading speed for "N min read"
    int8: bool  # fast mode: dynamic int8 quantization of the encoder's Linear layers
    llm_context: int  # context (tokens) the LLM runs with; longer articles are chunked
    llm_max_chunks: int  # chunks an LLM reads per article (coverage reports the rest)
    llm_speculative: str  # none | ngram-simple | ngram-map-k | ngram-mod | ngram-cache
    llm_slots: int  # articles the LLM writes at once (llama.cpp parallel slots)
    llm_dry: float  # DRY repetition penalty of the writer's decoding (0 = off)
    llm_lock: bool  # llama.cpp generations on this machine take turns (two jobs at once do not thrash)
    llm_url: str  # an OpenAI-compatible LLM server to write quality briefs ("" = the bundled model in-process)
    llm_model: str  # the server's model to use ("" = the one it lists)
    llm_api_key_env: str  # NAME of the environment variable holding the server's key ("" = no key)
    llm_concurrency: int  # articles sent to the server at once
    llm_timeout: float  # seconds one request to the server may take, retries included
    relation_check: bool  # generative summaries: replace sentences whose relations their source contradicts
    support_check: bool  # generative summaries: replace sentences their support does not say
    story_window: float  # hours a story takes new articles after its last one
    digest_keep: int  # dated copies of a digest kept beside its --out file (0 = none)
    atom_digests: int  # the Atom feed holds the stories of this many last digests
    threads: int  # CPU threads for the models (0 = all cores)
    batch_size: int  # articles per model batch
    db: str  # SQLite index path ("" = user data dir)
    entity_labels: tuple[str, ...]  # labels kept in the brief

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def n_threads(self) -> int:
        return self.threads if self.threads > 0 else (os.cpu_count() or 1)

    def db_path(self) -> Path:
        if self.db:
            return Path(self.db).expanduser()
        from platformdirs import user_data_dir

        return Path(user_data_dir("newsbrief")) / "index.db"


def _coerce(name: str, value: Any, target: Any) -> Any:
    kind = type(target)
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() in {"1", "true", "yes", "on"}:
                    return True
                if value.lower() in {"0", "false", "no", "off", ""}:
                    return False
                raise ValueError(value)
            return bool(value)
        if kind is tuple:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(value)
        return kind(value)
    except (TypeError, ValueError):
        raise PipelineError(f"setting {name!r}: cannot use {value!r} as {kind.__name__}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"invalid config file: {exc}", source=str(path)) from None


@functools.cache
def packaged_defaults() -> dict[str, Any]:
    """``defaults.toml`` from the package (importlib.resources: works from a wheel or a zip);
    it must hold every :class:`Settings` field, nothing else."""
    data = tomllib.loads(resources.files("pipeline").joinpath("defaults.toml").read_text(encoding="utf-8"))
    names = {f.name for f in dataclasses.fields(Settings)}
    if set(data) != names:
        raise PipelineError(f"defaults.toml and Settings disagree on {sorted(set(data) ^ names)}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def defaults() -> Settings:
    """The packaged defaults alone (no user config, environment or flags)."""
    return Settings(**packaged_defaults())


def user_config_path(env: Mapping[str, str]) -> Path:
    if env.get(ENV_PREFIX + "CONFIG"):
        return Path(env[ENV_PREFIX + "CONFIG"]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("newsbrief")) / "config.toml"


def _env_key(name: str) -> str:
    key = name[len(ENV_PREFIX) :].lower()
    return ENV_ALIASES.get(key, key)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Merge the four layers; ``overrides`` holds command-line flags (``None`` = not given)."""
    env = os.environ if env is None else env
    fields = packaged_defaults()
    merged: dict[str, Any] = dict(fields)
    layers: list[tuple[str, Mapping[str, Any]]] = []
    path = config_file or user_config_path(env)
    explicit = config_file is not None or bool(env.get(ENV_PREFIX + "CONFIG"))
    if path.is_file():
        layers.append((str(path), _read_toml(path)))
    elif explicit:  # a misspelt --config / NEWSBRIEF_CONFIG must not silently fall back to defaults
        raise UsageError("config file not found", source=str(path))
    layers.append(("environment", {_env_key(k): v for k, v in env.items() if k.startswith(ENV_PREFIX)}))
    layers.append(("flags", {k: v for k, v in (overrides or {}).items() if v is not None}))
    for origin, layer in layers:
        for key, value in layer.items():
            if key not in fields:
                if origin in {"environment"}:
                    continue  # NEWSBRIEF_CONFIG, NEWSBRIEF_RAISE_ERRORS, ... are not settings
                raise PipelineError(f"unknown setting {key!r}", source=origin)
            merged[key] = _coerce(key, value, fields[key])
    if merged["mode"] not in {"fast", "quality", "auto"}:
        raise PipelineError(f"mode must be fast, quality or auto, not {merged['mode']!r}")
    if merged["llm_speculative"] not in SPECULATIVE_CHOICES:
        raise PipelineError(
            f"llm_speculative must be one of {', '.join(SPECULATIVE_CHOICES)}, not {merged['llm_speculative']!r}"
        )
    if not 1 <= merged["llm_slots"] <= 16:
        raise PipelineError(f"llm_slots must be between 1 and 16, not {merged['llm_slots']}")
    if not 1 <= merged["llm_concurrency"] <= 64:
        raise PipelineError(f"llm_concurrency must be between 1 and 64, not {merged['llm_concurrency']}")
    if not 0 < merged["llm_timeout"] <= 86400:
        raise PipelineError(f"llm_timeout must be between 0 and 86400 seconds, not {merged['llm_timeout']}")
    if merged["llm_url"] and not re.match(r"https?://[^/@\s]+(/\S*)?$", merged["llm_url"].strip(), re.I):
        # a user:password@ part would be shown and logged with the URL: the key goes in llm_api_key_env
        raise PipelineError("llm_url must be an http(s) URL without a user:password@ part (the key: llm_api_key_env)")
    if not 0 < merged["story_window"] <= 24 * 365:
        raise PipelineError(f"story_window must be between 0 and 8760 hours, not {merged['story_window']}")
    for name in ("digest_keep", "atom_digests"):
        if not 0 <= merged[name] <= 10_000:
            raise PipelineError(f"{name} must be between 0 and 10000, not {merged[name]}")
    if merged["atom_digests"] < 1:
        raise PipelineError("atom_digests must be at least 1 (the digest just written)")
    if not 0 <= merged["llm_dry"] <= 5:
        raise PipelineError(f"llm_dry must be between 0 (off) and 5, not {merged['llm_dry']}")
    return Settings(**merged)
