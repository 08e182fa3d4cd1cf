"""quality mode: an instruct LLM writes the TLDR and the summary with a faithful recipe.

Recipe (see models.md; measured on the seed article): 1. list the article's key facts as short
bullets, 2. a one-sentence TLDR from the facts, 3. two short paragraphs from the facts. Greedy
decoding, no repetition penalty (a penalty of 1.1 turned "ECCG" into "ECWG"). Steps 2 and 3 extend
the conversation of step 1, so llama.cpp's prompt cache reuses the article's KV state: the article
is read once per article, not once per prompt.

Long articles: token-exact, sentence-aligned chunks sized for the model's context; facts are
listed per chunk (map), then TLDR and paragraphs are written from all facts (reduce). At most
``llm_max_chunks`` chunks are read; ``coverage`` reports the share read, never silently less. On
an LLM server, where each count is a request, an article is counted once and each chunk read once
(:meth:`RecipeSummarizer._counts`), not sentence by sentence.

A run's time budget (``digest --budget``, :meth:`RecipeSummarizer.until`) is checked before each
of an article's requests; when it has ended the article stops there (:class:`BudgetSpent`).

Every output passes the faithfulness gate (``gate.finalize``). This module is model-agnostic: the
chat model is an interface (``ChatModel``) with two implementations, llama.cpp (``llamacpp.py``,
GGUF, default) and transformers (``hf.py``).
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..document import Article
from ..errors import BudgetSpent, ModelError, WriterFailed
from ..lang import ENGLISH, language
from ..settings import Settings
from ..text import Sentence, share_read, take_words
from .base import SummaryResult
from .chunking import SEP, Chunk, chunk, estimate_tokens
from .gate import Gate, Source, sentences_of

log = logging.getLogger(__name__)

Message = dict[str, str]

# What the writer is told is the article's language's (``pipeline/lang/``: ``Prompts``).
REWRITE_TOKENS = 70
FACTS_TOKENS = 220
TLDR_TOKENS = 60
PARAGRAPH_TOKENS = 280
TURN_TOKENS = 12  # chat-template tokens around each message
# a long article's chunks packed from shares of one count (RecipeSummarizer._counts) fill this much
# of their budget: over a chunk's hundreds of sentences the shares are off by a percent or two either
# way, so a chunk packed to the brim was over by a few tokens about every other time, and the article
# was packed and its later chunks counted again; packed to 97%, each chunk's one count confirms it
SHARES_FILL = 0.97


@dataclass(slots=True)
class Generation:
    text: str
    prompt_tokens: int = 0  # tokens in the prompt
    cached_tokens: int = 0  # of which reused from the prompt cache
    generated_tokens: int = 0
    seconds: float = 0.0
    drafted: int = 0  # speculative decoding: tokens drafted
    accepted: int = 0  # of which the model accepted


class ChatModel(Protocol):
    """A writer's model. Optional: ``slots`` (articles written at once), ``counts_by_request``
    (True when each token count is a request to a server: see :meth:`RecipeSummarizer._counts`)
    and ``deadline`` (time.monotonic() by which its requests must end: see ``until``)."""

    model_id: str
    context: int  # tokens the model is run with

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def chat(self, messages: Sequence[Message], max_tokens: int) -> Generation: ...


@dataclass(slots=True)
class Stats:
    """Counters for the bench: what the recipe cost, call by call."""

    calls: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0
    drafted: int = 0
    accepted: int = 0
    per_call: list[Generation] = field(default_factory=list)
    _mu: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, g: Generation) -> None:
        with self._mu:  # slots call from several threads
            self.calls += 1
            self.prompt_tokens += g.prompt_tokens
            self.cached_tokens += g.cached_tokens
            self.generated_tokens += g.generated_tokens
            self.seconds += g.seconds
            self.drafted += g.drafted
            self.accepted += g.accepted
            self.per_call.append(g)


_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+", re.MULTILINE)
_LABEL = re.compile(ENGLISH.prompts.reply_label, re.I)  # "TLDR:", "First paragraph:" (the prompts' words)


_SPECIAL = re.compile(r"<\|[^|>]*\|>|</?s>|<(?:start|end)_of_turn>")


def clean_reply(text: str) -> str:
    """Drop special tokens, markdown headings, labels ("TLDR:"), bullets and wrapping quotes."""
    text = _SPECIAL.sub(" ", text)
    lines = [ln for ln in text.strip().splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(_LABEL.sub("", ln) for ln in lines)
    text = _BULLET.sub("", text).replace("**", "")
    return text.strip().strip('"“”').strip()


def split_paragraphs(text: str) -> list[list[str]]:
    blocks = [b for b in re.split(r"\n\s*\n", clean_reply(text)) if b.strip()]
    return [sentences_of(" ".join(b.split())) for b in blocks]


class RecipeSummarizer:
    """facts → TLDR → paragraphs with any :class:`ChatModel`; gated and with provenance."""

    def __init__(self, chat: ChatModel, settings: Settings, max_chunks: int | None = None, ranker: Any = None) -> None:
        self.chat = chat
        # quality_summary = "ranker": the Article Summary's sentences are fast mode's (a Summarizer
        # over the article, loaded on first use unless given); "writer": the writer's paragraphs
        self.ranker = ranker
        self._ranking = threading.Lock()  # slots' threads: one loads the ranker, one ranks at a time
        self.model_id = chat.model_id
        self.settings = settings
        self.max_chunks = max_chunks or settings.llm_max_chunks
        # articles worth writing at once: one per slot; more only delays each brief's commit
        self.batch_size = max(1, getattr(chat, "slots", 1))
        self.stats = Stats()
        self.gate = Gate(settings)
        self._pool: ThreadPoolExecutor | None = None
        self._finish = threading.Lock()  # the gate and spaCy run one article at a time
        self.deadline: float | None = None  # time.monotonic() at which the run's budget ends
        # counted on the English prompts, the only ones so far: a language whose prompts are longer
        # needs its own count here
        p = ENGLISH.prompts
        fixed = sum(chat.count_tokens([p.system, p.ask_facts, p.ask_tldr, p.ask_paragraphs])) + 6 * TURN_TOKENS
        # one conversation holds: article + facts + paragraph request + paragraphs
        self.single_budget = chat.context - fixed - 40 - FACTS_TOKENS - PARAGRAPH_TOKENS
        # a map call holds: one chunk + facts
        self.chunk_budget = chat.context - fixed - 40 - FACTS_TOKENS
        if self.chunk_budget < 64:
            raise ModelError(f"context of {chat.context} tokens is too small for the recipe", chat.model_id)

    def until(self, deadline: float | None) -> None:
        """Write within a run's time budget that ends at ``deadline`` (time.monotonic(); None: no
        budget): no request of an article starts after it, and a request to an LLM server is given
        at most the time left. An article the budget ends in is :class:`BudgetSpent`."""
        self.deadline = deadline
        if hasattr(self.chat, "deadline"):
            self.chat.deadline = deadline

    def _in_budget(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise BudgetSpent(f"the time budget ended before this brief was written ({self.model_id})")

    def _ask(self, messages: Sequence[Message], max_tokens: int) -> str:
        self._in_budget()
        g = self.chat.chat(messages, max_tokens)
        self.stats.add(g)
        return g.text

    def summarize_batch(self, articles: Sequence[Article]) -> list[SummaryResult]:
        """Results in input order. With several llama.cpp slots, that many articles are written
        at once (one thread each, pinned to a slot whose cache keeps its article between calls); on
        an LLM server, ``llm_concurrency`` requests at once."""
        slots = getattr(self.chat, "slots", 1)
        if slots <= 1 or len(articles) <= 1:
            return [self._one(a) for a in articles]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="llm-slot")
        return list(self._pool.map(self._one, articles))

    def _one(self, article: Article) -> SummaryResult:
        """An article whose LLM server request failed (or whose budget ended) is that article's
        error; the batch goes on."""
        try:
            return self.summarize_one(article)
        except WriterFailed as exc:
            return SummaryResult([], [], error=type(exc)(exc.message, article.source))

    def summarize_one(self, article: Article) -> SummaryResult:
        self._in_budget()
        src = Source.of(article.text, article.title or "")
        p = language(article.language).prompts
        head = p.title.format(title=article.title) if article.title else ""
        count = _Memo(self.chat.count_tokens)  # a text (a chunk, a window of a long sentence) is counted once
        counts, exact = self._counts(src.sentences, count)  # counted once, packed twice
        whole = chunk(src.sentences, count, self.single_budget, counts)
        if len(whole) <= 1:
            text = whole[0].text if whole else article.text
            convo: list[Message] = [
                {"role": "system", "content": p.system},
                {"role": "user", "content": p.article.format(head=head, text=text, ask=p.ask_facts)},
            ]
            facts = self._ask(convo, FACTS_TOKENS)
            convo.append({"role": "assistant", "content": facts})
            coverage = 1.0
        else:
            parts = self._packed(src.sentences, count, counts, exact)
            read = parts[: self.max_chunks]
            notes = []
            for i, part in enumerate(read, 1):
                where = p.part.format(i=i, n=len(parts))
                ask = [
                    {"role": "system", "content": p.system},
                    {
                        "role": "user",
                        "content": p.article_part.format(head=head, where=where, text=part.text, ask=p.ask_facts),
                    },
                ]
                notes.append(clean_reply(self._ask(ask, FACTS_TOKENS)))
            facts = "\n".join(f"- {line}" for n in notes for line in n.splitlines() if line.strip())
            convo = [
                {"role": "system", "content": p.system},
                {"role": "user", "content": p.key_facts.format(head=head, facts=facts)},
            ]
            convo.append({"role": "assistant", "content": p.noted})
            coverage = 1.0 if len(read) == len(parts) else share_read(read[-1].end, article.text)
        tldr = self._ask([*convo, {"role": "user", "content": p.ask_tldr}], TLDR_TOKENS)
        tldr_sents = sentences_of(" ".join(clean_reply(tldr).split()))
        if self.settings.quality_summary == "ranker":
            paragraphs = [self._ranked(article)]
        else:
            paras = self._ask([*convo, {"role": "user", "content": p.ask_paragraphs}], PARAGRAPH_TOKENS)
            paragraphs = self._trim(split_paragraphs(paras))
        asked = [*convo, {"role": "user", "content": p.ask_tldr}, {"role": "assistant", "content": tldr}]

        def rewrite(sentence: str, support: list[str], why: str, alone: bool) -> str | None:
            # the TLDR only (the gate asks for nothing else), again in its conversation. A summary
            # sentence is not written again: read against their articles, 22 that the writer
            # re-wrote from their support sentence had 4 fact errors (who did what swapped, which
            # no word-level check sees) and 5 misleading ones; its support sentence takes its place
            ask = [*asked, {"role": "user", "content": p.ask_tldr_again.format(why=why)}]
            first = sentences_of(" ".join(clean_reply(self._ask(ask, REWRITE_TOKENS)).split()))
            return first[0] if first else None

        logging.getLogger("pipeline.progress").info("checking the brief against the article")
        with self._finish:
            return self.gate(article, tldr_sents, paragraphs, coverage, src, rewrite=rewrite)

    def _ranked(self, article: Article) -> list[str]:
        """The Article Summary's candidates when the ranker picks it: fast mode's brief of the
        article (its TLDR sentence and summary, in article order), which the gate then finishes
        like the writer's paragraphs (what repeats the writer's TLDR goes, a short article's
        brief is cut). Every one is an article sentence: the summary says only what it says."""
        with self._ranking:  # transformers' lazy imports and the ranker's memo are not thread-safe
            if self.ranker is None:
                self.ranker = _ranker(self.settings)
            (brief,) = self.ranker.summarize_batch([article])
        picked = sorted([*brief.tldr, *(s for p in brief.paragraphs for s in p)], key=lambda s: s.support[0][0])
        return [s.text for s in picked]

    def _counts(self, sentences: Sequence[Sentence], count: _Memo) -> tuple[list[int], bool]:
        """The sentences' token counts, and whether each is exact.

        In-process, counting is cheap: each sentence is counted. On an LLM server each count is an
        HTTP request (llama.cpp's /tokenize takes one text), and one per sentence was 1,505
        requests, most of a digest's budget, for one long article. There the article (its
        sentences joined as a chunk joins them) is counted in one request, and each sentence gets
        a share of that count in proportion to its local estimate (``estimate_tokens``, which
        weighs digits, punctuation and other scripts as tokenizers do): the shares and separators
        add up to the article's count, so whether it fits in one conversation is decided exactly,
        and only a long article's chunks rest on shares; each of those that is read is counted
        before it is sent (:meth:`_packed`). The estimate alone would be safe but about 2x the
        real count of prose: articles that fit would be cut into chunks."""
        texts = [s.text for s in sentences]
        if len(texts) <= 1 or not getattr(self.chat, "counts_by_request", False):
            return count(texts), True
        total = count([" ".join(texts)])[0]
        return _shares(max(0, total - SEP * (len(texts) - 1)), [estimate_tokens(t) for t in texts]), False

    def _packed(self, sentences: Sequence[Sentence], count: _Memo, counts: list[int], exact: bool) -> list[Chunk]:
        """A long article's chunks for the map calls. From shares of one count (:meth:`_counts`),
        packed to :data:`SHARES_FILL` of the budget, every chunk that will be read is counted (one
        request each). When one is over the budget, the shares from it on are corrected by each
        counted chunk's real count (the chunks before it stay as they are, counted already) and the
        article is packed again."""
        if exact:
            return chunk(sentences, count, self.chunk_budget, counts)
        packing = int(self.chunk_budget * SHARES_FILL)
        parts = chunk(sentences, count, packing, counts)
        for _ in range(4):  # one round when the shares were right; a chunk dense in figures takes another
            read = parts[: self.max_chunks]
            real = count([p.text for p in read])
            first = next((k for k, n in enumerate(real) if n > self.chunk_budget), None)
            if first is None:
                break
            counts = list(counts)
            for p, n in zip(read[first:], real[first:], strict=True):
                ratio = n / max(1, p.tokens)
                for i, s in enumerate(sentences):
                    if s.start < p.end and s.end > p.start:
                        counts[i] = math.ceil(counts[i] * ratio)
            parts = chunk(sentences, count, packing, counts)
        return parts

    def _trim(self, paragraphs: list[list[str]]) -> list[list[str]]:
        """Keep at most 3 paragraphs and about 1.3× the target words: a runaway reply is cut at a sentence."""
        limit = int(self.settings.summary_words * 1.3)
        flat = [(p, sent) for p, para in enumerate(paragraphs[:3]) for sent in para]
        out: dict[int, list[str]] = {}
        for p, sent in take_words(flat, limit, lambda item: len(item[1].split())):
            out.setdefault(p, []).append(sent)
        return list(out.values())


class _Memo:
    """A token counter that counts each distinct text once."""

    def __init__(self, count: Callable[[Sequence[str]], list[int]]) -> None:
        self.count = count
        self.known: dict[str, int] = {}

    def __call__(self, texts: Sequence[str]) -> list[int]:
        todo = list(dict.fromkeys(t for t in texts if t not in self.known))
        if todo:
            self.known.update(zip(todo, self.count(todo), strict=True))
        return [self.known[t] for t in texts]


def _shares(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders): whole numbers that add
    up to ``total`` exactly."""
    whole = sum(weights) or 1
    exact = [total * w / whole for w in weights]
    out = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(out)), key=lambda i: out[i] - exact[i])
    for i in by_remainder[: total - sum(out)]:
        out[i] += 1
    return out


@functools.cache
def _ranker(settings: Settings) -> Any:
    """Fast mode's summarizer for quality_summary = "ranker", loaded once per process (a digest's
    stories and a batch's articles share it)."""
    from ..models import resolve
    from .extractive import ExtractiveSummarizer

    spec = resolve(settings.fast_model, "summarizer", settings.models_dir)
    return ExtractiveSummarizer.load(spec, settings, quantize=settings.int8)
