"""Main text and metadata from a page (trafilatura), plus word count and reading time."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence

from .document import Article, normalize_text
from .errors import ExtractionError
from .policy import public_url
from .settings import Settings
from .text import share_read, strip_controls

log = logging.getLogger(__name__)

MIN_WORDS = 40  # below this a page is an index/teaser page, not an article
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


# Chinese and Japanese are written without spaces: a run of their characters is one "word" of
# _WORD. They are counted by characters instead, two to a word (a Chinese word is 1.5-2 characters
# long; Korean, spaced, counts as it is), so a 600-character article is 300 words, not 4.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def count_words(text: str) -> int:
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(_WORD.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + math.ceil(cjk / 2)


def clean(text: str | None) -> str | None:
    """Strip control and bidi-override characters from page-controlled strings."""
    if text is None:
        return None
    text = strip_controls(text.replace("\t", " ")).strip()
    return text or None


def reading_minutes(words: int, wpm: int) -> int:
    return max(1, math.ceil(words / wpm))


def _html_lang(html: str) -> str | None:
    m = re.search(r"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", html[:4096], re.I)
    return m.group(1).lower() if m else None


def extract_html(article: Article) -> None:
    import trafilatura
    from trafilatura.settings import Document, set_date_params

    assert article.raw is not None
    doc = trafilatura.bare_extraction(
        article.raw,
        url=article.url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        date_extraction_params=set_date_params(extensive=False),  # the text is read apart: _date
    )
    if not isinstance(doc, Document) or not doc.text:
        raise ExtractionError("no article text found on the page", article.source)
    lines = [p.strip() for p in (clean(doc.text) or "").splitlines() if p.strip()]
    article.title = clean(doc.title)
    if lines and article.title and normalize_text(lines[0]) == normalize_text(article.title):
        lines = lines[1:]  # trafilatura keeps the <h1>; the title is metadata, not body text
    article.text = "\n".join(lines)
    article.author = clean(doc.author)
    article.date, article.date_from_text = _date(doc.date, article.raw, doc.url or article.url)
    article.sitename = clean(doc.sitename)
    article.url = article.url or public_url(doc.url)  # og:url/canonical are page-controlled
    article.language = doc.language or _html_lang(article.raw)
    article.genre = genre(article, doc.categories or [])


# A title that says "review" counts only on a page in the first person (outside quotes): on the 54
# pages of the extraction dev set the three reviews have 8-59 first-person words per 1,000, the
# news pages 0-3 (a how-to, a company blog and a recipe have 11-39, but no "review" in the title)
REVIEW_VOICE = 5 / 1000


def genre(article: Article, sections: Sequence[object] = ()) -> str | None:
    """ "opinion" or "review" when the page says it is one: its section (the page's own
    ``article:section`` or category, by its name or its first word: "Opinion & Analysis"), a
    segment of its URL's path, its title ("Opinion: …", "… review | Site", the latter on a page
    in the first person) or a column's disclaimer in its text; else None. An opinion that is
    also a review (a critic's column) is an opinion."""
    from urllib.parse import urlsplit

    from .lang import language
    from .text import first_person_rate

    lang = language(article.language)
    found = set()
    for section in sections:
        for name in str(section).lower().split(","):
            words = name.split()
            g = lang.genre_sections.get("-".join(words)) or (lang.genre_sections.get(words[0]) if words else None)
            if g:
                found.add(g)
    url = article.url or ""
    path = urlsplit(url).path.lower() if url.lower().startswith(("http://", "https://")) else ""
    for k, segment in enumerate(x for x in path.split("/") if x):
        g = lang.genre_sections.get(segment)
        if g and (k == 0 or segment not in lang.genre_first_segment):
            found.add(g)
    for pattern, g in lang.genre_titles.items():
        if re.search(pattern, article.title or "", re.I) and (
            g != "review" or first_person_rate(article.text) >= REVIEW_VOICE
        ):
            found.add(g)
    found.update(g for pattern, g in lang.genre_notes.items() if re.search(pattern, article.text, re.I))
    return "opinion" if "opinion" in found else "review" if found else None


def _date(found: str | None, html: str, url: str | None) -> tuple[str | None, bool]:
    """The page's date and whether it was read from its text only. trafilatura is asked for the
    date its metadata or its URL give; when they give none, the text is searched (htmldate's
    extensive search), and that finds any date the text mentions: an event's ("on May 1, 2005")
    rather than the publication's, and as a last resort a copyright year or any year at all,
    returned as January 1st ("the last quake this strong, in 2003" dated the page 2003-01-01).
    Such a January 1st is no date (a wrong one would be shown, and a story groups its articles
    by time); another date from the text is kept, marked, so a feed's date for the item wins."""
    if found:
        return found, False
    from htmldate import find_date  # trafilatura's own date finder
    from trafilatura.settings import set_date_params

    try:
        guess = find_date(html, url=url, **set_date_params(extensive=True))
    except Exception:  # noqa: BLE001 - a page the finder chokes on has no date, not a crash
        guess = None
    if not guess or guess.endswith("-01-01"):
        return None, False
    return guess, True


def _cut(text: str, limit: int) -> int:
    """Where to cut ``text`` to at most ``limit`` characters: a paragraph end, else a space."""
    for sep in ("\n", " "):
        at = text.rfind(sep, 0, limit + 1)
        if at >= limit // 2:
            return at
    return limit


def extract_text(article: Article) -> None:
    """Plain text: the first non-empty line is the title, the rest is the body."""
    assert article.raw is not None
    lines = [ln.strip() for ln in (clean(article.raw) or "").splitlines()]
    lines = [ln for ln in lines if ln]
    if len(lines) < 2:
        raise ExtractionError("text file needs a title line and a body", article.source)
    article.title = lines[0]
    article.text = "\n".join(lines[1:])


def extract(article: Article, settings: Settings) -> Article:
    t0 = time.perf_counter()
    if article.is_html:
        extract_html(article)
    else:
        extract_text(article)
    article.raw = None  # the page is not needed any more; keep memory flat in batches
    finish(article, settings)
    article.timings["extract"] = time.perf_counter() - t0
    return article


def from_text(text: str, settings: Settings, title: str | None = None, source: str = "<text>") -> Article:
    """An article from raw main text (the library's ``summarize(text=...)``): the same cleaning,
    checks and bounds as extracted text, no page to parse."""
    lines = [ln.strip() for ln in (clean(text) or "").splitlines()]
    text = "\n".join(ln for ln in lines if ln)
    return finish(Article(source=source, title=clean(title), text=text, is_html=False), settings)


def finish(article: Article, settings: Settings) -> Article:
    """Word count, the too-short check, reading time, a plain text's genre (by its title or a
    disclaimer; a page's was read with the page, its section too), and the bound on what the
    models read."""
    article.word_count = count_words(article.text)
    if article.word_count < MIN_WORDS:
        raise ExtractionError(
            f"only {article.word_count} words of article text (an index or teaser page?)", article.source
        )
    article.reading_minutes = reading_minutes(article.word_count, settings.words_per_minute)
    if not article.is_html:
        article.genre = genre(article)
    if len(article.text) > settings.max_text_chars:
        # bounded work for every later stage, whatever the page: the models read a prefix cut at
        # a paragraph (else a word) boundary, and `coverage` says how much
        full = article.text
        article.text = article.text[: _cut(article.text, settings.max_text_chars)].rstrip()
        article.coverage = share_read(len(article.text), full)
    return article
