"""The record that flows through every stage: fetch fills ``raw``, extract fills the metadata and
``text``, a summarizer fills ``tldr``/``summary``, the tagger fills ``entities``."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Entity:
    text: str  # most frequent surface form in the article
    label: str  # spaCy/OntoNotes label (ORG, GPE, PERSON, ...)
    count: int  # mentions in the article, all aliases included
    canonical: str  # normalized key used by the index (acronym when one is defined)
    long_form: str | None = None  # expansion defined in the text ("European ... Group" for ECCG)
    aliases: list[str] = field(default_factory=list)  # other surface forms merged into this one

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entity:
        return cls(
            d["text"],
            d["label"],
            int(d.get("count") or 0),
            d.get("canonical") or "",
            d.get("long_form"),
            list(d.get("aliases") or []),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "count": self.count,
            "canonical": self.canonical,
            "long_form": self.long_form,
            "aliases": self.aliases,
        }


@dataclass(slots=True)
class SummarySentence:
    text: str
    # character offsets [start, end) of the supporting source sentence(s) in ``Article.text``
    support: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Article:
    source: str  # what the user gave: URL, path or "-" (stdin)
    url: str | None = None  # canonical URL when known
    raw: str | None = None  # HTML or text as fetched/read (dropped after extraction)
    is_html: bool = True
    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    sitename: str | None = None
    language: str | None = None
    text: str = ""  # main text, paragraphs separated by "\n"
    word_count: int = 0
    reading_minutes: int = 0
    tldr: list[SummarySentence] = field(default_factory=list)
    summary: list[list[SummarySentence]] = field(default_factory=list)  # paragraphs of sentences
    entities: list[Entity] = field(default_factory=list)
    model: dict[str, str] = field(default_factory=dict)  # role -> model id used
    coverage: float = 1.0  # share of the article text the summarizer read
    gated: list[dict[str, Any]] = field(default_factory=list)  # faithfulness-gate decisions
    status: str = "ok"  # ok | error
    error: str | None = None  # machine reason when status == "error"
    message: str | None = None  # human message when status == "error"
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    stored_hash: str | None = None  # content_hash of a brief read back without its text
    failure: Exception | None = None  # the error a failed record failed with (not serialized)
    date_from_text: bool = False  # the date was found in the page's text only (not serialized)
    # the other sources the index read this same text from (a saved file and its URL): filled
    # when the brief is read back from the index, since a same-text source is no second row
    aliases: list[str] = field(default_factory=list)
    # a batch record whose text is one already done under another source: not summarized, only
    # its source is remembered as an alias of the stored article (not serialized)
    duplicate: bool = False

    @property
    def content_hash(self) -> str:
        if not self.text and self.stored_hash:
            return self.stored_hash
        return content_hash(self.text)

    @property
    def tldr_text(self) -> str:
        return " ".join(s.text for s in self.tldr)

    @property
    def summary_paragraphs(self) -> list[str]:
        return [" ".join(s.text for s in para) for para in self.summary]

    def fail(self, exc: Exception) -> Article:
        from .errors import PipelineError

        self.status = "error"
        # only our typed errors are kept (the API re-raises them; they pickle across batch
        # workers); any other exception is a bug, reported by its message as internal_error
        self.failure = exc if isinstance(exc, PipelineError) else None
        self.error = exc.reason if isinstance(exc, PipelineError) else "internal_error"
        self.message = exc.message if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
        self.raw = None
        return self

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON schema (see README, "JSON output")."""
        from .policy import public_url

        return {
            "source": self.source,
            "url": public_url(self.url),
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "sitename": self.sitename,
            "language": self.language,
            "word_count": self.word_count,
            "reading_minutes": self.reading_minutes,
            "tldr": self.tldr_text,
            "summary": self.summary_paragraphs,
            "provenance": {
                "tldr": [[list(span) for span in s.support] for s in self.tldr],
                "summary": [[[list(span) for span in s.support] for s in p] for p in self.summary],
            },
            "sentences": {  # the same sentences as text: what each provenance entry is about
                "tldr": [s.text for s in self.tldr],
                "summary": [[s.text for s in p] for p in self.summary],
            },
            "entities": [e.as_dict() for e in self.entities],
            "model": self.model,
            "coverage": round(self.coverage, 3),
            "gated": self.gated,
            "content_hash": self.content_hash if self.text or self.stored_hash else None,
            "aliases": list(self.aliases),
            "status": self.status,
            "error": self.error,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], text: str = "") -> Article:
        """The inverse of :meth:`as_dict`: ``Article.from_dict(a.as_dict()).as_dict() == a.as_dict()``.

        ``text`` is the main text when the caller has it (the index stores it beside the brief);
        without it the stored ``content_hash`` is kept.
        """
        prov = d.get("provenance") or {}
        sents = d.get("sentences") or {}

        def sentences(texts: list[str], supports: list[Any]) -> list[SummarySentence]:
            return [
                SummarySentence(t, [(int(a), int(b)) for a, b in (supports[i] if i < len(supports) else [])])
                for i, t in enumerate(texts)
            ]

        tldr_texts = sents.get("tldr") or ([d["tldr"]] if d.get("tldr") else [])  # briefs stored before "sentences"
        para_texts = sents.get("summary") or [[p] for p in d.get("summary") or []]
        para_supports = prov.get("summary") or []
        return cls(
            source=d["source"], url=d.get("url"), title=d.get("title"), author=d.get("author"), date=d.get("date"),
            sitename=d.get("sitename"), language=d.get("language"), text=text,
            word_count=d.get("word_count") or 0, reading_minutes=d.get("reading_minutes") or 0,
            tldr=sentences(tldr_texts, prov.get("tldr") or []),
            summary=[
                sentences(p, para_supports[i] if i < len(para_supports) else []) for i, p in enumerate(para_texts)
            ],
            entities=[Entity.from_dict(e) for e in d.get("entities") or []],
            model=dict(d.get("model") or {}), coverage=float(d.get("coverage", 1.0)), gated=list(d.get("gated") or []),
            status=d.get("status") or "ok", error=d.get("error"), message=d.get("message"),
            stored_hash=d.get("content_hash"), aliases=[str(x) for x in d.get("aliases") or []],
        )  # fmt: skip


_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    return _WS.sub(" ", text).strip().lower()


def content_hash(text: str) -> str:
    """Key of an article: its normalized main text, wherever it was read from.

    The URL was part of the key once, so a page saved to a file and later fetched from its
    address became two index rows (doubled search hits, stories and entity counts). The text
    alone decides now; the index keeps the other sources as aliases, and a new text at a known
    URL is still its next version. Two pages with the very same text (a syndicated copy) are one
    article: the extractor refuses teaser and index pages (fewer than 40 words) before they get
    here, so a shared boilerplate text does not merge unrelated pages."""
    return hashlib.sha256(normalize_text(text).encode()).hexdigest()
