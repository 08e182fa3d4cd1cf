"""One frozen settings object, with a clear precedence.

flag > ``NEWSBRIEF_<NAME>`` environment variable > user config file > packaged ``defaults.toml``.
The user config file is ``$NEWSBRIEF_CONFIG`` or ``<user config dir>/newsbrief/config.toml``.
Nothing here is read at import time: call :func:`load_settings` and pass the result down.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import PipelineError, UsageError

ENV_PREFIX = "NEWSBRIEF_"
# kept here, not imported from the llama.cpp module, so loading settings stays light
SPECULATIVE_CHOICES = ("none", "ngram-simple", "ngram-map-k", "ngram-mod", "ngram-cache")
QUALITY_SUMMARY_CHOICES = ("ranker", "writer")
ENV_ALIASES = {"allow_private": "allow_private_addresses"}  # NEWSBRIEF_ALLOW_PRIVATE=1


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting; the values (and their documentation) live only in ``defaults.toml``."""

    mode: str  # fast | quality | auto
    model: str  # explicit summarizer model name or path ("" = mode default)
    quality_model: str  # default model of --mode quality
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
    quality_summary: str  # ranker | writer: who picks the Article Summary in quality mode
    support_check: bool  # generative summaries: replace sentences their support does not say
    story_window: float  # hours a story takes new articles after its last one
    digest_keep: int  # dated copies of a digest kept beside its --out file (0 = none)
    atom_digests: int  # the Atom feed holds the stories of this many last digests
    threads: int  # CPU threads for the models (0 = all cores)
    batch_size: int  # articles per model batch
    db: str  # SQLite index path ("" = user data dir)
    watch_file: str  # the watches and mutes, TOML ("" = watches.toml beside the user config file)
    entity_labels: tuple[str, ...]  # labels kept in the brief
    languages: Mapping[str, LanguageModels]  # per language (ISO 639-1 code): its models

    def __post_init__(self) -> None:
        # settings are hashed (a model loaded once per settings): the table is a frozen mapping
        if not isinstance(self.languages, LanguageTable):
            object.__setattr__(self, "languages", LanguageTable(self.languages))

    @property
    def ner_model(self) -> str:
        """The spaCy pipeline (names; the relation check's parser) of the default language."""
        return self.languages[DEFAULT_LANGUAGE].ner_model

    @property
    def fast_model(self) -> str:
        """The default model of --mode fast: the default language's sentence encoder."""
        return self.languages[DEFAULT_LANGUAGE].encoder

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (None = unchanged); a number out of its range is a :class:`UsageError`."""
        kept = {k: v for k, v in changes.items() if v is not None}
        for key, value in kept.items():
            if key in RANGES and (problem := RANGES[key].problem(key, value)):
                raise UsageError(problem, source="Settings.replace")
        return dataclasses.replace(self, **kept)

    @property
    def n_threads(self) -> int:
        return self.threads if self.threads > 0 else (os.cpu_count() or 1)

    def db_path(self) -> Path:
        if self.db:
            return Path(self.db).expanduser()
        from platformdirs import user_data_dir

        return Path(user_data_dir("newsbrief")) / "index.db"

    def watch_path(self) -> Path:
        """The watch file: ``watch_file``, else ``watches.toml`` beside the user config file (a
        file the user edits and versions, like the config, not data like the index)."""
        if self.watch_file:
            return Path(self.watch_file).expanduser()
        return user_config_path(os.environ).with_name("watches.toml")


class LanguageTable(Mapping[str, "LanguageModels"]):
    """The ``[languages]`` rows as a read-only, hashable mapping (in the order they were given),
    so that :class:`Settings` stays hashable like every other frozen setting."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Mapping[str, LanguageModels]) -> None:
        self._rows = tuple(rows.items())

    def __getitem__(self, code: str) -> LanguageModels:
        for c, row in self._rows:
            if c == code:
                return row
        raise KeyError(code)

    def __iter__(self) -> Iterator[str]:
        return (c for c, _ in self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __hash__(self) -> int:
        return hash(frozenset(self._rows))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._rows) == dict(other.items())

    def __repr__(self) -> str:
        return f"LanguageTable({dict(self._rows)!r})"


@dataclass(frozen=True, slots=True)
class LanguageModels:
    """One row of the ``[languages]`` table: the models a language is read with (manifest names or
    paths). Its words are its module in ``pipeline/lang/``."""

    ner_model: str  # spaCy pipeline: names, and the parser of the relation check
    encoder: str  # sentence encoder: fast mode's ranker, the stories' grouping


# The language read when an article says none (and the one whose models the single-model stages
# use): English, as ``pipeline.lang.language`` falls back to.
DEFAULT_LANGUAGE = "en"
# the settings a language row had before languages had a table, still read as its default row's
# (a config file or NEWSBRIEF_NER_MODEL that sets them keeps working)
LEGACY_LANGUAGE_KEYS = {"ner_model": "ner_model", "fast_model": "encoder"}


def _language_rows(value: Any, base: Mapping[str, LanguageModels], source: str) -> dict[str, LanguageModels]:
    """``base`` with the rows of ``value`` (a TOML table of tables) over it: a row of a language
    ``base`` has may set some of its models, a new language's row names them all. An unknown key,
    a missing one or a model name that is no text is one error naming it."""
    if not isinstance(value, Mapping):
        raise PipelineError(f"setting 'languages': cannot use {value!r} as a table of languages", source=source)
    rows = dict(base)
    known = [f.name for f in dataclasses.fields(LanguageModels)]
    for code, row in value.items():
        where = f"languages.{code}"
        if not isinstance(row, Mapping):
            raise PipelineError(f"setting {where!r}: cannot use {row!r} as a table of models", source=source)
        for key, name in row.items():
            if key not in known:
                raise PipelineError(
                    f"unknown setting '{where}.{key}' (a language names {', '.join(known)})", source=source
                )
            if not isinstance(name, str) or not name.strip():
                raise PipelineError(f"setting '{where}.{key}': cannot use {name!r} as a model name", source=source)
        if code in rows:
            rows[code] = dataclasses.replace(rows[code], **row)
        elif missing := [k for k in known if k not in row]:
            raise PipelineError(f"setting {where!r}: a new language names its {' and '.join(missing)}", source=source)
        else:
            rows[code] = LanguageModels(**row)
    return rows


@dataclass(frozen=True, slots=True)
class Range:
    """Where a numeric setting makes sense: finite, from ``low`` to ``high``; ``low`` itself is
    out when ``above`` (a positive time), and ``zero`` says what 0 means where it is allowed."""

    low: int
    high: int
    above: bool = False
    unit: str = ""
    zero: str = ""

    def problem(self, name: str, value: Any) -> str | None:
        """None when ``value`` is in range, else the one line that says so."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if number and (value > self.low if self.above else value >= self.low) and value <= self.high:
            return None
        high = f"{self.high:,}" + (f" {self.unit}" if self.unit else "")
        if self.above:
            allowed = f"more than {self.low} and at most {high}"
        else:
            allowed = f"between {self.low}{f' ({self.zero})' if self.zero else ''} and {high}"
        shown = value if isinstance(value, (int, float)) else repr(value)
        return f"{name} must be {allowed}, not {shown}"


_SECONDS = Range(0, 86_400, above=True, unit="seconds")  # a day; 0 or nan would not bound anything
# Every int and float setting, its range decided from its uses (a test checks none is missing).
# Caps are far above any real use and keep values that reach C (zlib, torch, llama.cpp) in range.
RANGES: dict[str, Range] = {
    "timeout": _SECONDS,
    "extract_timeout": _SECONDS,  # 0 would disarm the alarm: hostile markup unbounded
    "llm_timeout": _SECONDS,
    "story_window": Range(0, 24 * 365, above=True, unit="hours"),
    "llm_dry": Range(0, 5, zero="off"),
    "max_bytes": Range(1, 10**12, unit="bytes"),
    "max_redirects": Range(0, 100, zero="follow none"),
    "max_url_length": Range(1, 1_000_000, unit="characters"),  # a list line is read 4x this at a time
    "max_text_chars": Range(1, 10**12, unit="characters"),
    "max_query_terms": Range(1, 10_000),
    "max_summary_sentences": Range(1, 1_000_000),
    "max_list_lines": Range(1, 10**9),
    "summary_words": Range(1, 10_000),
    "tldr_words": Range(1, 10_000),
    "words_per_minute": Range(1, 10_000),  # divides the word count
    "llm_context": Range(1, 2**20, unit="tokens"),  # times llm_slots: llama.cpp's n_ctx, a C int
    "llm_max_chunks": Range(1, 10_000),
    "llm_slots": Range(1, 16),
    "llm_concurrency": Range(1, 64),
    "digest_keep": Range(0, 10_000, zero="no copies"),
    "atom_digests": Range(1, 10_000),  # the digest just written at least
    "threads": Range(0, 1024, zero="all cores"),
    "batch_size": Range(1, 10_000),
}


def _coerce(name: str, value: Any, target: Any) -> Any:
    kind = type(target)
    try:
        if isinstance(value, bool) and kind is not bool:
            raise TypeError(value)  # TOML `timeout = true` is no number of seconds
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)  # `max_bytes = 1.5` is not cut to 1
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
    except (TypeError, ValueError, OverflowError):  # int(inf) is an OverflowError
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
    rows = _language_rows(data["languages"], {}, "defaults.toml")
    if DEFAULT_LANGUAGE not in rows:
        raise PipelineError(f"defaults.toml has no [languages.{DEFAULT_LANGUAGE}] row")
    data["languages"] = rows
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def defaults() -> Settings:
    """The packaged defaults alone (no user config, environment or flags)."""
    return Settings(**packaged_defaults())


def user_config_path(env: Mapping[str, str]) -> Path:
    if env.get(ENV_PREFIX + "CONFIG"):
        return Path(env[ENV_PREFIX + "CONFIG"]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("newsbrief")) / "config.toml"


def url_problem(url: str) -> str:
    """What is wrong with ``url`` as an LLM server's address ("" = nothing): the one check of
    ``llm_url``, from the config file, the environment, the option or a library caller."""
    import httpx

    if any(c.isspace() or not c.isprintable() for c in url):
        return "has spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # a ValueError when out of range or not a number
        httpx.URL(url)  # what the client will be handed
    except (ValueError, httpx.InvalidURL):
        return "is not a valid URL (a port out of range, a broken [IPv6] address)"
    if parts.scheme.lower() not in ("http", "https") or "://" not in url:
        return "must start with http:// or https://"
    if "@" in parts.netloc:  # it would be shown and logged with the URL
        return "may not carry a user:password@ part (the key goes in the variable llm_api_key_env names)"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0"
    if parts.query or parts.fragment:
        return "may not have a ?query or #fragment"
    return ""


def _env_key(name: str) -> str:
    key = name[len(ENV_PREFIX) :].lower()
    return ENV_ALIASES.get(key, key)


def _problem(name: str, value: Any) -> str | None:
    """Why ``value`` is no value of setting ``name`` (None: it is one)."""
    if name in RANGES:
        return RANGES[name].problem(name, value)
    if name == "mode" and value not in {"fast", "quality", "auto"}:
        return f"mode must be fast, quality or auto, not {value!r}"
    if name == "quality_summary" and value not in QUALITY_SUMMARY_CHOICES:
        return f"quality_summary must be ranker or writer, not {value!r}"
    if name == "llm_speculative" and value not in SPECULATIVE_CHOICES:
        return f"llm_speculative must be one of {', '.join(SPECULATIVE_CHOICES)}, not {value!r}"
    if name == "llm_url" and value and (problem := url_problem(value.strip())):
        return f"llm_url {problem}: give the server's URL, e.g. http://127.0.0.1:8080"
    return None


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Merge the four layers; ``overrides`` holds command-line flags (``None`` = not given).

    A value that is no value of its setting (a word for a number, ``nan``, a number out of its
    :data:`RANGES`) is one error naming where it came from: ``config file PATH`` or
    ``environment variable NEWSBRIEF_X`` (a setup problem), or ``option --x`` (a :class:`UsageError`).
    """
    return Settings(**_merged(overrides, env, config_file)[0])


def explain_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> list[tuple[str, Any, str]]:
    """``(setting, effective value, where it came from)`` for every setting, in ``Settings``
    order (``doctor --settings``); where: ``default``, ``config file PATH``, ``environment
    variable NEWSBRIEF_X`` or ``option --x``, as errors name them."""
    merged, origin = _merged(overrides, env, config_file)
    out = []
    for f in dataclasses.fields(Settings):
        if f.name != "languages":
            out.append((f.name, merged[f.name], origin.get(f.name, "default")))
            continue
        for code, row in merged["languages"].items():  # one line per model: languages.en.ner_model
            for k, name in dataclasses.asdict(row).items():
                where = f"languages.{code}.{k}"
                out.append((where, name, origin.get(where, "default")))
    return out


def _merged(
    overrides: Mapping[str, Any] | None, env: Mapping[str, str] | None, config_file: Path | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged values and, for each set above the defaults, where it came from."""
    env = os.environ if env is None else env
    fields = packaged_defaults()
    merged: dict[str, Any] = dict(fields)
    origin: dict[str, str] = {}
    layers: list[tuple[str, dict[str, tuple[str, Any]]]] = []  # (kind, {setting: (where from, value)})
    path = config_file or user_config_path(env)
    explicit = config_file is not None or bool(env.get(ENV_PREFIX + "CONFIG"))
    if path.is_file():
        layers.append(("file", {k: (f"config file {path}", v) for k, v in _read_toml(path).items()}))
    elif explicit:  # a misspelt --config / NEWSBRIEF_CONFIG must not silently fall back to defaults
        raise UsageError("config file not found", source=str(path))
    named = {_env_key(k): (f"environment variable {k}", v) for k, v in env.items() if k.startswith(ENV_PREFIX)}
    layers.append(("environment", named))
    flags = {k: (f"option --{k.replace('_', '-')}", v) for k, v in (overrides or {}).items() if v is not None}
    layers.append(("flags", flags))
    for kind, layer in layers:
        error = UsageError if kind == "flags" else PipelineError
        for key, (source, value) in layer.items():
            if key == "languages" or key in LEGACY_LANGUAGE_KEYS:
                row = {DEFAULT_LANGUAGE: {LEGACY_LANGUAGE_KEYS[key]: value}} if key != "languages" else value
                try:
                    merged["languages"] = _language_rows(row, merged["languages"], source)
                except PipelineError as exc:
                    raise error(exc.message, source=source) from None
                if isinstance(row, Mapping):
                    origin.update({f"languages.{c}.{k}": source for c, r in row.items() for k in r})
                continue
            if key not in fields:
                if kind == "environment":
                    continue  # NEWSBRIEF_CONFIG, NEWSBRIEF_RAISE_ERRORS, ... are not settings
                raise error(f"unknown setting {key!r}", source=source)
            try:
                merged[key] = _coerce(key, value, fields[key])
            except PipelineError as exc:
                raise error(exc.message, source=source) from None
            if problem := _problem(key, merged[key]):
                raise error(problem, source=source)
            origin[key] = source
    return merged, origin
