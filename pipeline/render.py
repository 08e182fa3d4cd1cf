"""Render finished articles: Markdown in the seed layout, or JSON (one object per article).

Page-controlled strings are untrusted: control characters are stripped (terminal safety) and
Markdown/HTML metacharacters are escaped so a title cannot inject markup or links.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from .document import Article
from .policy import public_url
from .text import strip_controls

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def safe(text: str | None) -> str:
    """Plain text safe for a terminal and for Markdown: no control chars, metacharacters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", strip_controls(text or ""))


def code_span(text: str) -> str:
    """A file path (or any text) shown as written, in Markdown and on a terminal: a code span,
    fenced by more backticks than the text holds. Escaping printed ``saved\\_pages/a.html``,
    a path that fails when copied; inside a code span Markdown reads nothing (no link, no HTML)."""
    text = terminal_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""  # CommonMark strips one each side
    return f"{fence}{pad}{text}{pad}{fence}"


def human_date(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        d = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return safe(iso)
    return f"{d:%B} {d.day}, {d.year}"


def human_time(iso: str | None) -> str | None:
    """A time the index or the digest keeps (UTC, ``2026-12-05T20:00:00``, optionally ``Z``) for
    people: ``December 5, 2026, 20:00 UTC``; a date alone as :func:`human_date` gives it."""
    if not iso:
        return None
    try:
        t = dt.datetime.fromisoformat(iso.removesuffix("Z"))
    except ValueError:
        return human_date(iso)
    if len(iso) <= 10:
        return human_date(iso)
    return f"{human_date(iso)}, {t:%H:%M} UTC"


def entity_lines(article: Article) -> list[str]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for e in article.entities:
        name = safe(e.text) + (f" ({safe(e.long_form)})" if e.long_form else "")
        by_label[e.label].append(name)
    return [f"- {label}: {', '.join(names)}" for label, names in sorted(by_label.items())]


def markdown(article: Article) -> str:
    lines = [f"# {safe(article.title) or 'Untitled'}", ""]
    date = human_date(article.date)
    if date:
        lines.append(date + "  ")
    kind = f"{article.genre.title()} · " if article.genre else ""  # "Opinion · 4 min read": the author's views
    lines += [f"{kind}{article.reading_minutes} min read", "", "TLDR:", "", safe(article.tldr_text), ""]
    if article.summary_paragraphs:  # a very short article may have nothing beyond its TLDR
        lines += ["Article Summary:", ""]
    for para in article.summary_paragraphs:
        lines += [safe(para), ""]
    ents = entity_lines(article)
    if ents:
        lines += ["Entities:", "", *ents, ""]
    if article.coverage < 0.999:
        lines += [f"_Summary read {article.coverage:.0%} of the article._", ""]
    link = public_url(article.url)  # http(s) only, percent-encoded: cannot close the <…> or form a link
    lines.append(f"Source: <{link}>" if link else f"Source: {code_span(article.source)}")
    return "\n".join(lines) + "\n"


def to_json(article: Article) -> str:
    return json.dumps(article.as_dict(), ensure_ascii=False)


def hit_lines(hits: Iterable[Any], fmt: str) -> Iterator[str]:
    """`newsbrief search` results: two lines per hit, or one JSON object per hit."""
    for h in hits:
        if fmt == "json":
            yield json.dumps(dataclasses.asdict(h), ensure_ascii=False)
        else:
            link = public_url(h.url)
            yield f"[{h.id}] {safe(h.title) or 'Untitled'} ({safe(h.date) or 'no date'}) {link or code_span(h.source)}"
            yield f"    {safe(h.snippet or h.tldr)}"


def story_lines(stories: Iterable[dict[str, Any]], fmt: str) -> Iterator[str]:
    """`newsbrief stories` and `search --stories`: a line per story and one per article under it,
    or one JSON object per story."""
    for s in stories:
        if fmt == "json":
            yield json.dumps(s, ensure_ascii=False)
            continue
        n = len(s["articles"])
        yield (f"- **{safe(s['title'] or 'Untitled')}** (story {s['id']}, {n} article{'s' if n != 1 else ''}, "
               f"last {s['last_seen'][:10]})")  # fmt: skip
        for a in s["articles"]:
            where = public_url(a["url"]) or ""
            yield f"  - {safe(a['title'] or 'Untitled')} ({safe(a['date']) or '?'}, id {a['id']}) {where}".rstrip()


def entity_table(rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[str]:
    """`newsbrief entities`: one aligned line (or JSON object) per entity."""
    for r in rows:
        if fmt == "json":
            yield json.dumps(r, ensure_ascii=False)
        else:
            long = f" ({safe(r['long_form'])})" if r["long_form"] else ""
            yield f"{r['articles']:>5} articles {r['mentions']:>6} mentions  {r['label']:<8} {safe(r['name'])}{long}"


def verdict_text(v: Any, article_text: str) -> str:
    """`verify`'s lines for one verdict: the sentence, why, and its source sentences."""
    said = (getattr(v, "verdict", "") or "unsupported").replace("_", " ")
    why = "supported" if v.supported else f"{said} ({v.reason}{': ' + v.detail if v.detail else ''})"
    lines = [f"{'✓' if v.supported else '✗'} {terminal_line(v.sentence)}", f"    {terminal_line(why)}"]
    lines += [f"    source [{a}:{b}]: {terminal_line(article_text[a:b])}" for a, b in v.sources]
    return "\n".join(lines)


def terminal_line(text: str, limit: int | None = None) -> str:
    """Page- and feed-controlled text bound for a terminal: no escape/control sequences (OSC 52
    clipboard writes, title changes), no line breaks, optionally shortened."""
    text = strip_controls(text.replace("\n", " ").replace("\t", " "))
    return text if limit is None or len(text) <= limit else text[:limit] + "…"


def model_lines(settings: Any) -> Iterator[str]:
    """`newsbrief models`: each known model, its role, size, licence, installed or not."""
    from .models import is_installed, manifest

    defaults = {settings.fast_model: "fast default", settings.quality_model: "quality default",
                settings.ner_model: "ner default"}  # fmt: skip
    for name, spec in manifest().items():
        mark = "installed" if is_installed(spec, settings.models_dir) else "missing"
        extra = f"  [{defaults[name]}]" if name in defaults else ""
        yield (
            f"{name:<22} {spec.role:<10} {spec.backend:<10} {spec.info.get('size_mb', '?'):>5} MB  "
            f"{spec.info.get('licence', '?'):<18} {mark}{extra}"
        )


def templates() -> Any:
    """The one Jinja environment of the digest and the reader: the package's templates, HTML and
    Atom escaped (Markdown escapes with its own filter, ``md``), page text cleaned of control
    characters (``clean``), dates and times for people (``human_date``, ``human_time``), only
    http(s) URLs as links (``link``)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline", "templates"),
        autoescape=lambda name: name is None or not name.endswith(".md.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = safe
    env.filters["clean"] = lambda s: strip_controls(s or "")
    env.filters["human_date"] = lambda iso: human_date(iso) or ""
    env.filters["human_time"] = lambda iso: human_time(iso) or ""
    env.filters["link"] = lambda url: public_url(url) or ""
    return env
