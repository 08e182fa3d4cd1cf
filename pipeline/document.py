"""The record that flows through every stage: fetch fills ``raw``, extract fills the metadata and
``text``, a summarizer fills ``tldr``/``summary``, the tagger fills ``entities``.

Beside it, the story records (:class:`StoryBrief` with its :class:`StorySource` and
:class:`StorySentence`, and :class:`Story`, a story's grouping state): the stories code
(``pipeline/story/``) makes them, the index stores them and the reader shows them, and neither of
those imports the stories code for it."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from .errors import PipelineError


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
    # one of GENRES: the page speaks in its author's voice (a column, an editorial, a review),
    # and its brief says so; None for news and for pages that do not say
    genre: str | None = None
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
            "genre": self.genre,
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
            sitename=d.get("sitename"), language=d.get("language"), genre=_genre(d.get("genre")), text=text,
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


GENRES = ("opinion", "review")  # what a page that speaks in its author's voice is (Article.genre)


def _genre(value: Any) -> str | None:
    """A stored genre, if it is one (a brief read back shows nothing else as one)."""
    return value if value in GENRES else None


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


# ---------------------------------------------------------------- the story records
# what the stories code (pipeline/story/) makes and the index stores and the reader shows: here,
# beside Article, so the store and the reader use them without importing the stories code


def url_host(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname if url else None


MAX_SITE_NAME = 60  # characters of a site's name a brief shows


def site(host: str | None) -> str | None:
    """The registrable domain of a host (``news.bbc.co.uk`` -> ``bbc.co.uk``, from the public
    suffix list the ``tld`` package ships): two pages of one outlet are one voice. A host the list
    does not know (``a.example``, ``localhost``) keeps its last two labels; an IP address is its
    own site."""
    if not host:
        return None
    import ipaddress

    from tld import get_fld

    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    found = get_fld(host, fail_silently=True, fix_protocol=True)
    return found if isinstance(found, str) else ".".join(host.split(".")[-2:])


def voices(sources: Sequence[StorySource]) -> list[int]:
    """For each source, the voice it speaks with (a number): a copy speaks with its original's,
    and sources of one site with one voice. Corroboration is two voices or more."""
    parent = list(range(len(sources)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, s in enumerate(sources):
        if s.copy_of is not None and 0 <= s.copy_of < len(sources):
            parent[root(i)] = root(s.copy_of)
        where = site(s.host)
        if where is not None:
            parent[root(i)] = root(first.setdefault(where, i))
    return [root(i) for i in range(len(sources))]


@dataclass(slots=True)
class StorySource:
    """One article of a story, as the brief names it."""

    title: str | None
    url: str | None
    host: str | None
    date: str | None
    article_id: int | None = None
    copy_of: int | None = None  # index of the source it copies word for word (not a corroboration)
    name: str | None = None  # the site's name as its page gives it (trafilatura's ``sitename``)
    genre: str | None = None  # the article's :attr:`Article.genre` ("opinion", "review")

    @classmethod
    def of(cls, article: Article, article_id: int | None = None) -> StorySource:
        return cls(article.title, article.url, url_host(article.url), article.date, article_id, name=article.sitename,
                   genre=article.genre)  # fmt: skip

    @property
    def label(self) -> str:
        """How a brief names the source for a reader: the site's name beside its registrable
        domain ("Northwind Daily (127.0.0.1)", "BBC News (bbc.co.uk)": pages on one host are told
        apart, and a page calling itself "BBC News" on evil.example still shows where it is), the
        domain alone when the page names none or names its domain, else the page's title."""
        where = site(self.host) or self.host
        name = " ".join((self.name or "").split())[:MAX_SITE_NAME]
        plain = name.lower().removeprefix("www.").split(":")[0]
        if not name or (where and plain in {where, self.host, (self.host or "").removeprefix("www.")}):
            return where or self.title or "source"
        return f"{name} ({where})" if where else name

    @property
    def short(self) -> str:
        """The source named in passing (a disagreement's "who"): the site's name, else its domain."""
        return " ".join((self.name or "").split())[:MAX_SITE_NAME] or site(self.host) or self.host or "source"

    def as_dict(self) -> dict[str, Any]:
        from .policy import public_url

        return {"title": self.title, "url": public_url(self.url), "host": self.host, "date": self.date,
                "article_id": self.article_id, "copy_of": self.copy_of, "name": self.name,
                "genre": self.genre}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StorySource:
        return cls(d.get("title"), d.get("url"), d.get("host"), d.get("date"), d.get("article_id"), d.get("copy_of"),
                   d.get("name"), _genre(d.get("genre")))  # fmt: skip


@dataclass(slots=True)
class StorySentence:
    text: str
    # (source index, start, end): the sentences of the sources' texts that support it
    support: list[tuple[int, int, int]] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)  # sources that say it (support + their near copies)
    corroborated: bool = False  # said by two or more independent sources

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "support": [list(s) for s in self.support], "sources": self.sources,
                "corroborated": self.corroborated}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StorySentence:
        support = [(int(i), int(a), int(b)) for i, a, b in d.get("support") or []]
        return cls(str(d["text"]), support, [int(i) for i in d.get("sources") or []], bool(d.get("corroborated")))


@dataclass(slots=True)
class StoryBrief:
    title: str | None
    date: str | None
    sources: list[StorySource]
    tldr: list[StorySentence]
    summary: list[list[StorySentence]]
    reading_minutes: int = 1
    update: bool = False  # the story had articles in an earlier run
    story_id: int | None = None
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # {what, values: {value: [source]}}
    model: dict[str, str] = field(default_factory=dict)
    gated: list[dict[str, Any]] = field(default_factory=list)
    failure: PipelineError | None = None  # its own brief failed: it shows its first article's
    hashes: list[str] = field(default_factory=list)  # content hashes of this run's articles in it

    @property
    def url(self) -> str | None:
        return self.sources[0].url if self.sources else None

    @property
    def genre(self) -> str | None:
        """A one-source story's article's genre (a story of several names each source's)."""
        return self.sources[0].genre if len(self.sources) == 1 else None

    @property
    def tldr_text(self) -> str:
        return " ".join(s.text for s in self.tldr)

    @property
    def summary_paragraphs(self) -> list[str]:
        return [" ".join(s.text for s in p) for p in self.summary]

    @property
    def independent(self) -> int:
        """Independent voices among the sources: a copy speaks with its original's, and the
        pages of one site with one voice (:func:`voices`)."""
        return len(set(voices(self.sources)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "story_id": self.story_id, "title": self.title, "date": self.date, "update": self.update,
            "reading_minutes": self.reading_minutes, "sources": [s.as_dict() for s in self.sources],
            "tldr": self.tldr_text, "summary": self.summary_paragraphs,
            "sentences": {"tldr": [s.as_dict() for s in self.tldr],
                          "summary": [[s.as_dict() for s in p] for p in self.summary]},
            "disagreements": self.disagreements, "model": self.model, "gated": self.gated,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StoryBrief:
        """The inverse of :meth:`as_dict` (``from_dict(b.as_dict()).as_dict() == b.as_dict()``);
        a damaged dict raises KeyError, TypeError or ValueError."""
        sentences = d.get("sentences") or {}
        return cls(
            d.get("title"), d.get("date"), [StorySource.from_dict(s) for s in d.get("sources") or []],
            [StorySentence.from_dict(s) for s in sentences.get("tldr") or []],
            [[StorySentence.from_dict(s) for s in p] for p in sentences.get("summary") or []],
            int(d.get("reading_minutes") or 1), bool(d.get("update")), d.get("story_id"),
            list(d.get("disagreements") or []), dict(d.get("model") or {}), list(d.get("gated") or []),
        )  # fmt: skip


@dataclass(slots=True)
class GroupItem:
    """What grouping reads of one article."""

    key: str  # content hash (or a data set's id): the tie-break and the link back
    when: str  # ISO timestamp (published, else added): the order and the window
    vector: np.ndarray  # unit embedding of title + lead
    entities: dict[str, float]  # entity key -> mentions
    cves: frozenset[str] = frozenset()
    host: str | None = None
    article_id: int | None = None


@dataclass(slots=True, eq=False)
class Story:
    id: int | None  # row in the index; None until saved
    first: str
    last: str
    total: np.ndarray  # sum of the member vectors (the centroid's direction)
    profile: Counter[str]  # entity key -> summed 1 + log(mentions) over members
    cves: set[str] = field(default_factory=set)
    size: int = 0
    members: list[GroupItem] = field(default_factory=list)  # the members added in this process
    title: str | None = None
    pos: int = -1  # place among the grouper's open stories
    norm: float | None = None  # of the IDF-weighted profile (idf is fixed for a grouper's run)
