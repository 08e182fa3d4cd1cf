"""Any Hugging Face model directory through transformers + torch: seq2seq or causal instruct.

Safety: safetensors weights only (a directory with only pickle checkpoints is refused), never
``trust_remote_code``, ``local_files_only`` unless the user passes a hub id with network access.

* seq2seq (BART, DistilBART, T5, Pegasus…): token-exact chunks for the encoder's length; the chunks
  of a whole batch are sorted by length and generated together; a long article's chunk summaries
  are summarized again (map-reduce). TLDR = the summary's lead sentence.
* causal instruct (Qwen, Llama, SmolLM…): the same facts → TLDR → paragraphs recipe as llama.cpp.

Both go through the faithfulness gate.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..document import Article
from ..errors import ModelError
from ..models import ModelSpec, use_threads
from ..settings import Settings
from .base import SummaryResult
from .chunking import chunk
from .gate import Gate, Source, sentences_of
from .recipe import Generation, Message, RecipeSummarizer, clean_reply

log = logging.getLogger(__name__)

GEN_TOKENS = 200  # summary tokens a seq2seq model may write per chunk


def model_dir(spec: ModelSpec) -> Path | str:
    """The local directory (checked: config.json and safetensors weights), or a hub id."""
    if "hub_id" in spec.info:
        return str(spec.info["hub_id"])
    path = spec.path or Path(spec.name)
    if not (path / "config.json").is_file():
        raise ModelError("not a Hugging Face model directory (no config.json)", str(path))
    if not any(path.glob("*.safetensors")):
        raise ModelError("no .safetensors weights; pickle checkpoints (.bin/.pt) are refused", str(path))
    return path


def _context(config: Any, tokenizer: Any, limit: int) -> int:
    sizes = [limit]
    for name in ("max_position_embeddings", "n_positions", "max_seq_len"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            sizes.append(value)
    tmax = getattr(tokenizer, "model_max_length", None)
    if isinstance(tmax, int) and 0 < tmax < 1_000_000:
        sizes.append(tmax)
    return min(sizes)


def load_hf(spec: ModelSpec, settings: Settings) -> Any:
    from transformers import AutoConfig, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = model_dir(spec)
    use_threads(settings.n_threads)
    t0 = time.perf_counter()
    hub = isinstance(path, str)
    # a hub id downloads only when the user has network and has not set HF_HUB_OFFLINE
    offline = not hub or os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
    opts = {"local_files_only": offline, "trust_remote_code": False}
    try:
        config = AutoConfig.from_pretrained(path, **opts)
        tokenizer = AutoTokenizer.from_pretrained(path, **opts)
        from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

        auto: Any = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
        model = auto.from_pretrained(path, use_safetensors=True, **opts)
    except (OSError, ValueError, KeyError) as exc:
        if hub and offline:
            msg = "not a local path, and as a Hugging Face hub id it is not in the local cache (offline)"
            raise ModelError(msg, str(path)) from None
        raise ModelError(f"transformers could not load it: {exc}", str(path)) from exc
    model.eval()
    log.info("loaded %s in %.1fs", path, time.perf_counter() - t0)
    model_id = f"{spec.name} (hf {config.model_type})"
    if config.is_encoder_decoder:
        return Seq2SeqSummarizer(tokenizer, model, model_id, settings)
    chat = HFCausalChat(tokenizer, model, model_id, _context(config, tokenizer, settings.llm_context))
    return RecipeSummarizer(chat, settings)


def _model_inputs(enc: Any) -> dict[str, Any]:
    """Only what every model's generate() takes (BERT-style tokenizers add token_type_ids)."""
    return {k: enc[k] for k in ("input_ids", "attention_mask") if k in enc}


class _HFModel:
    """A tokenizer + model pair; counts tokens the way the model will see them."""

    def __init__(self, tokenizer: Any, model: Any, model_id: str) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.model_id = model_id

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]


class HFCausalChat(_HFModel):
    """ChatModel over a causal LM: the tokenizer's chat template when it has one, greedy decoding."""

    def __init__(self, tokenizer: Any, model: Any, model_id: str, context: int) -> None:
        super().__init__(tokenizer, model, model_id)
        self.context = context

    def _prompt(self, messages: Sequence[Message]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return str(self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True))
        turns = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
        return "\n\n".join([*turns, "Assistant:"])

    def chat(self, messages: Sequence[Message], max_tokens: int) -> Generation:
        import torch

        t0 = time.perf_counter()
        enc = self.tokenizer(self._prompt(messages), return_tensors="pt", add_special_tokens=False)
        n = enc["input_ids"].shape[1]
        if n + max_tokens > self.context:
            raise ModelError(f"prompt of {n} tokens does not fit the context of {self.context}", self.model_id)
        with torch.inference_mode():
            out = self.model.generate(
                **_model_inputs(enc), max_new_tokens=max_tokens, do_sample=False, pad_token_id=self._pad_id()
            )
        new = out[0, n:]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        return Generation(text, n, 0, int(new.shape[0]), time.perf_counter() - t0)

    def _pad_id(self) -> int | None:
        tok = self.tokenizer
        return tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id


class Seq2SeqSummarizer(_HFModel):
    """Encoder-decoder summarizers, batched across the chunks of all articles in a batch."""

    def __init__(self, tokenizer: Any, model: Any, model_id: str, settings: Settings) -> None:
        super().__init__(tokenizer, model, model_id)
        self.settings = settings
        self.gate = Gate(settings)
        self.prefix = "summarize: " if model.config.model_type in {"t5", "mt5", "umt5"} else ""
        self.context = _context(model.config, tokenizer, settings.llm_context)
        self.budget = self.context - len(self._ids(self.prefix)) - 4  # room for special tokens

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(self, texts: Sequence[str]) -> list[str]:
        """Summaries of ``texts``, generated in length-sorted batches."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = [""] * len(texts)
        size = max(1, self.settings.batch_size)
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            enc = self.tokenizer(
                [self.prefix + texts[i] for i in idx],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.context,
            )
            with torch.inference_mode():
                gen = self.model.generate(
                    **_model_inputs(enc), max_new_tokens=min(GEN_TOKENS, self.context - 2), do_sample=False, num_beams=1
                )
            for i, text in zip(idx, self.tokenizer.batch_decode(gen, skip_special_tokens=True), strict=True):
                out[i] = " ".join(clean_reply(text).split())
        return out

    def summarize_batch(self, articles: Sequence[Article]) -> list[SummaryResult]:
        sources = [Source.of(a.text) for a in articles]
        plans = []
        for art, src in zip(articles, sources, strict=True):
            chunks = chunk(src.sentences, self.count_tokens, self.budget)
            read = chunks[: self.settings.llm_max_chunks]
            cov = 1.0 if len(read) == len(chunks) else read[-1].end / max(1, len(art.text.rstrip()))
            plans.append(([p.text for p in read], cov))
        flat = [t for texts, _ in plans for t in texts]
        summaries = iter(self.generate(flat))
        firsts = [[next(summaries) for _ in texts] for texts, _ in plans]
        # reduce: articles with several chunks get their chunk summaries summarized once more
        multi = [i for i, parts in enumerate(firsts) if len(parts) > 1]
        for i, text in zip(multi, self.generate([" ".join(firsts[i]) for i in multi]), strict=True):
            firsts[i] = [text]
        results = []
        for art, src, parts, (_, cov) in zip(articles, sources, firsts, plans, strict=True):
            sents = sentences_of(" ".join(parts)) if parts else []
            results.append(self.gate(art, sents[:1], [sents[1:] or sents], cov, src))
        return results
