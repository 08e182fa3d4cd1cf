"""Watches: what a reader follows, kept in a TOML file they edit, matched through the index.

The file (setting ``watch_file``; by default ``watches.toml`` beside the config file)::

    mutes = ["horoscope", "sponsored"]      # stories containing one of these leave the digest

    [watch.eu-cloud]
    priority = 5                            # higher first in "On your watchlist"
    entities = ["ECCG", "ENISA"]            # through the entity index: keys and aliases
    phrases = ["cloud certification"]       # the words in this order, anywhere in the article
    cves = ["CVE-2024-3094"]
    sources = ["bsi.bund.de"]               # a site (its subdomains too) or a URL on it
    exclude = ["job offer"]                 # a story of this watch that says this is left out

A story matches a watch when one of its articles matches one of the watch's criteria and none of
its articles says one of the watch's exclude terms; a story that only such an exclude held out of
every watch it matched, or that says a muted term, is left out of the digest (and counted).

Matching reads the index, never the articles again: entities by the ids the watch's names stand
for (``entities`` + ``entity_aliases``: "ECCG" also finds an article that named the "European
Cybersecurity Certification Group", a person's full name finds the article where their surname
followed it, as the tagger merged them); phrases, CVE ids, excludes and mutes through the FTS
index (a phrase query built from the words: no FTS syntax from the file reaches SQLite); sources
by the URLs the article was read from. Everything is looked up once per run for all articles
(one query per entity name and per phrase, bounded by the articles' id range), then each story is
a few set lookups (bench ``watch``).

Errors: a bad file is one :class:`~pipeline.errors.PipelineError` (a setup problem, exit 4)
naming the file, the watch and the field; a watch that can match nothing is refused the same way
in the file, and as a :class:`~pipeline.errors.UsageError` by :func:`add`.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PipelineError, UsageError
from .text import CVE_ID, strip_controls

LISTS = ("entities", "phrases", "cves", "sources", "exclude")  # the list fields of a watch, in file order
CRITERIA = ("entities", "phrases", "cves", "sources")  # what can make a story match
MAX_NAME = 100  # characters of a watch's name
MAX_TERM = 200  # characters of one term
MAX_PRIORITY = 1_000_000
_CVE = re.compile(rf"{CVE_ID}", re.I)
_WORD = re.compile(r"[^\W_]+")  # a token as the index's FTS tokenizer (unicode61) cuts one


class WatchFileError(PipelineError):
    """The watch file cannot be used: unreadable TOML, an unknown key, a field of the wrong type,
    a watch that can match nothing. A setup problem (exit 4), like a bad config file."""

    reason = "bad_watch_file"


@dataclass(frozen=True, slots=True)
class Watch:
    name: str
    priority: int = 0
    entities: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The watch as its table in the file (empty lists left out) plus its name."""
        out: dict[str, Any] = {"name": self.name, "priority": self.priority}
        out.update({k: list(getattr(self, k)) for k in LISTS if getattr(self, k)})
        return out

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> Watch:
        """A watch from its table; a bad value raises ``ValueError("field 'x': ...")``."""
        unknown = sorted(set(d) - {"priority", *LISTS})
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r} (fields: priority, {', '.join(LISTS)})")
        priority = d.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > MAX_PRIORITY:
            raise ValueError(f"field 'priority' must be a whole number up to {MAX_PRIORITY:,}, not {priority!r}")
        lists = {k: _terms(k, d.get(k, [])) for k in LISTS}
        for cve in lists["cves"]:
            if not _CVE.fullmatch(cve):
                raise ValueError(f"field 'cves': {cve!r} is no CVE id (CVE-2024-3094)")
        lists["cves"] = tuple(c.upper() for c in lists["cves"])
        lists["sources"] = tuple(_host(s) for s in lists["sources"])
        for k in ("phrases", "exclude"):
            for term in lists[k]:
                if not _WORD.search(term):
                    raise ValueError(f"field {k!r}: {term!r} has no word to search for")
        watch = cls(name, priority, **lists)
        if not any(getattr(watch, k) for k in CRITERIA):
            raise ValueError("it can match nothing: give entities, phrases, cves or sources")
        return watch


def _terms(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]  # `entities = "ENISA"`: what was meant is plain
    if not isinstance(value, list):
        raise ValueError(f"field {name!r} must be a list of strings, not {type(value).__name__}")
    out = []
    for v in value:
        if not isinstance(v, str):
            raise ValueError(f"field {name!r} must be a list of strings, not one holding {v!r}")
        v = " ".join(strip_controls(v).split())
        if not v or len(v) > MAX_TERM:
            raise ValueError(f"field {name!r}: a term must have 1 to {MAX_TERM} characters, not {v!r}")
        out.append(v)
    return tuple(dict.fromkeys(out))


def _host(source: str) -> str:
    """A watch's source as the host it stands for: ``https://www.bsi.bund.de/feed`` -> ``bsi.bund.de``."""
    from urllib.parse import urlsplit

    text = source.strip().lower()
    host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    host = host.rstrip(".").removeprefix("www.")
    if not host or not re.fullmatch(r"[\w.-]+|\[[0-9a-f:.]+\]", host):
        raise ValueError(f"field 'sources': {source!r} is no site (bsi.bund.de or a URL on it)")
    return host


@dataclass(frozen=True, slots=True)
class Watches:
    """The watch file's content: its watches (highest priority first) and mutes."""

    path: Path
    watches: tuple[Watch, ...] = ()
    mutes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.watches or self.mutes)

    def get(self, name: str) -> Watch:
        for w in self.watches:
            if w.name == name:
                return w
        known = ", ".join(w.name for w in self.watches) or "none yet"
        raise UsageError(f"no watch named {name!r} (watches: {known})", str(self.path))

    def only(self, name: str) -> Watches:
        """Just the watch ``name`` (no mutes): what `stories --watch` and `watch test` match."""
        return Watches(self.path, (self.get(name),))


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or strip_controls(name) != name:
        raise ValueError(f"a watch's name must be 1 to {MAX_NAME} printable characters, not {name!r}")
    return name.strip()


def parse(data: Mapping[str, Any], path: Path) -> Watches:
    """The watch file's parsed TOML as :class:`Watches`; a problem is one :class:`WatchFileError`
    naming the file, the watch and the field."""
    unknown = sorted(set(data) - {"watch", "mutes"})
    if unknown:
        raise WatchFileError(f"unknown key {unknown[0]!r} (a watch is a [watch.NAME] table; mutes = [...])", str(path))
    tables = data.get("watch", {})
    if not isinstance(tables, Mapping):
        raise WatchFileError("'watch' must hold [watch.NAME] tables", str(path))
    watches = []
    for name, table in tables.items():
        try:
            name = _check_name(name)
            if not isinstance(table, Mapping):
                raise ValueError(f"must be a table ([watch.{name}]), not {type(table).__name__}")
            watches.append(Watch.from_dict(name, table))
        except ValueError as exc:
            raise WatchFileError(f"watch {name!r}: {exc}", str(path)) from None
    try:
        mutes = _terms("mutes", data.get("mutes", []))
    except ValueError as exc:
        raise WatchFileError(f"mutes: {exc}".replace("field 'mutes' ", ""), str(path)) from None
    if any(not _WORD.search(m) for m in mutes):
        raise WatchFileError("mutes: a muted term needs a word to search for", str(path))
    watches.sort(key=lambda w: -w.priority)  # stable: file order within a priority
    return Watches(path, tuple(watches), mutes)


def load(path: Path) -> Watches:
    """The watches in ``path``; no file is no watches."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return Watches(path)
    except tomllib.TOMLDecodeError as exc:
        raise WatchFileError(f"invalid TOML: {exc}", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchFileError(f"cannot read the watch file ({exc})", str(path)) from None
    return parse(data, path)


# ---------------------------------------------------------------- editing the file
# tomlkit edits the document in place, so the user's comments, order and layout stay as written.


def _document(path: Path) -> Any:
    import tomlkit

    load(path)  # a broken file is reported as it is, never overwritten
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    except OSError as exc:
        raise WatchFileError(f"cannot read the watch file ({exc})", str(path)) from None


def _save(path: Path, doc: Any) -> Watches:
    import tomlkit

    from .fsutil import write_atomic

    text = tomlkit.dumps(doc)
    parse(tomllib.loads(text), path)  # what is written reads back
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return load(path)


def add(path: Path, name: str, priority: int | None = None, **terms: Sequence[str]) -> Watch:
    """Create the watch ``name`` or add ``terms`` (entities=..., phrases=..., ...) to it, and set
    its priority when given; a watch that would match nothing is a :class:`UsageError`."""
    import tomlkit

    doc = _document(path)
    try:
        name = _check_name(name)
        old = load(path)
        current: dict[str, Any] = next((w.as_dict() for w in old.watches if w.name == name), {"priority": 0})
        current.pop("name", None)
        for k in LISTS:
            merged = list(dict.fromkeys([*current.get(k, []), *terms.get(k, ())]))
            if merged:
                current[k] = merged
        if priority is not None:
            current["priority"] = priority
        watch = Watch.from_dict(name, current)  # the same rules as the file's
    except ValueError as exc:
        raise UsageError(f"watch {name!r}: {exc}", str(path)) from None
    if "watch" not in doc:
        doc.append("watch", tomlkit.table(is_super_table=True))
    table = doc["watch"].get(name)
    if table is None:
        table = tomlkit.table()
        doc["watch"].append(name, table)
    table["priority"] = watch.priority
    for k in LISTS:
        if getattr(watch, k):
            table[k] = list(getattr(watch, k))
    _save(path, doc)
    return watch


def remove(path: Path, name: str) -> None:
    doc = _document(path)
    load(path).get(name)  # a name not there: a usage error listing those that are
    del doc["watch"][name]
    _save(path, doc)


def mute(path: Path, term: str, on: bool = True) -> tuple[str, ...]:
    """Add (``on``) or remove a muted term; returns the mutes. Unmuting a term not muted is a
    :class:`UsageError`."""
    try:
        (term,) = _terms("term", [term])
    except ValueError as exc:
        raise UsageError(str(exc).replace("field 'term': ", ""), str(path)) from None
    if not _WORD.search(term):
        raise UsageError(f"{term!r} has no word to search for", str(path))
    doc = _document(path)
    mutes = list(load(path).mutes)
    if on and term not in mutes:
        mutes.append(term)
    elif not on:
        if term not in mutes:
            raise UsageError(f"{term!r} is not muted (mutes: {', '.join(mutes) or 'none'})", str(path))
        mutes.remove(term)
    doc["mutes"] = mutes  # tomlkit puts a new key before the tables (after them it would be the last table's)
    return _save(path, doc).mutes


# ---------------------------------------------------------------- matching through the index


@dataclass(frozen=True, slots=True)
class Match:
    """One reason a story matches a watch: which criterion, as the watch names it, and what the
    article says (an alias or long form of the entity, the phrase, the CVE id, the site)."""

    watch: str
    priority: int
    kind: str  # entity | phrase | cve | source
    term: str
    found: str

    @property
    def why(self) -> str:
        said = f" ({self.found})" if self.found.casefold() != self.term.casefold() else ""
        return f"{self.kind} {self.term}{said}"

    def as_dict(self) -> dict[str, Any]:
        return {"watch": self.watch, "priority": self.priority, "kind": self.kind, "term": self.term,
                "found": self.found, "why": self.why}  # fmt: skip


@dataclass(slots=True)
class WatchVerdict:
    """What the watches say about a story (or an article): its matches (highest priority first),
    the words to highlight in its brief, and the term that leaves it out (None: it stays)."""

    matches: list[Match] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    left_out: str | None = None

    @property
    def watched(self) -> bool:
        return bool(self.matches) and self.left_out is None

    @property
    def priority(self) -> int:
        return max((m.priority for m in self.matches), default=0)

    def watches(self) -> list[str]:
        return list(dict.fromkeys(m.watch for m in self.matches))


@dataclass(slots=True)
class Hits:
    """What :meth:`Matcher.lookup` found for a set of articles."""

    ids: set[int]
    entities: defaultdict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # watched entity ids
    said: defaultdict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # FTS queries matched
    hosts: defaultdict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # where it was read


def phrase_query(text: str) -> str:
    """The FTS5 phrase of ``text``'s words (each token as the index cuts it), safely quoted."""
    return '"' + " ".join(_WORD.findall(text)).replace('"', '""') + '"'


class Matcher:
    """The watches resolved against one index: each entity name to the ids it stands for (and the
    words that say them), each phrase, CVE id, exclude and mute to its FTS query."""

    def __init__(self, watches: Watches, store: Any) -> None:
        self.watches = watches
        self.store = store
        # entity id -> (watch, term, the entity's name); words that say each entity id
        self.by_entity: dict[int, list[tuple[Watch, str, str]]] = defaultdict(list)
        self.words_of: dict[int, list[str]] = {}
        for w in watches.watches:
            for term in w.entities:
                for e in store.entities_named(term):
                    self.by_entity[e["id"]].append((w, term, _other_name(term, e)))
                    self.words_of[e["id"]] = _entity_words(e)
        # FTS query -> (watch or None for a mute, kind, term)
        self.by_query: dict[str, list[tuple[Watch | None, str, str]]] = defaultdict(list)
        for w in watches.watches:
            for kind, terms in (("phrase", w.phrases), ("cve", w.cves), ("exclude", w.exclude)):
                for term in terms:
                    self.by_query[phrase_query(term)].append((w, kind, term))
        for term in watches.mutes:
            self.by_query[phrase_query(term)].append((None, "mute", term))

    def verdicts(self, groups: Sequence[Sequence[int | None]]) -> list[WatchVerdict]:
        """A :class:`WatchVerdict` for each group of article ids (a story's articles, or one article)."""
        hits = self.lookup([i for g in groups for i in g if i is not None])
        return [self.verdict(hits, g) for g in groups]

    def lookup(self, article_ids: Iterable[int]) -> Hits:
        """What the index says about these articles, for every watch at once: the watched entities
        each names, the phrase queries each matches, the hosts it was read from."""
        ids = sorted(set(article_ids))
        hits = Hits(set(ids))
        if not ids or not self.watches:
            return hits
        low, high = ids[0], ids[-1]
        if self.by_entity:
            for article_id, entity_id in self.store.entity_hits(sorted(self.by_entity), low, high):
                if article_id in hits.ids:
                    hits.entities[article_id].add(entity_id)
        for query in self.by_query:
            for article_id in self.store.phrase_hits(query, low, high) & hits.ids:
                hits.said[article_id].add(query)
        if any(w.sources for w in self.watches.watches):
            for article_id, url in self.store.article_urls(ids):
                if host := _url_host(url):
                    hits.hosts[article_id].add(host)
        return hits

    def verdict(self, hits: Hits, group: Iterable[int | None]) -> WatchVerdict:
        """The verdict on a story of these articles (those :meth:`lookup` did not see count as
        saying nothing)."""
        return self._verdict([i for i in group if i is not None], hits.entities, hits.said, hits.hosts)

    def _verdict(
        self, ids: Sequence[int], entities: Mapping[int, set[int]], said: Mapping[int, set[str]],
        hosts: Mapping[int, set[str]],
    ) -> WatchVerdict:  # fmt: skip
        found: dict[tuple[str, str, str], Match] = {}
        words: list[str] = []
        excluded: dict[str, str] = {}  # watch -> the exclude term its story says
        muted: str | None = None

        def hit(w: Watch, kind: str, term: str, what: str) -> None:
            found.setdefault((w.name, kind, term), Match(w.name, w.priority, kind, term, what))

        for i in ids:
            for entity_id in entities.get(i, ()):
                for w, term, name in self.by_entity[entity_id]:
                    hit(w, "entity", term, name)
                    words += self.words_of[entity_id]
            for query in said.get(i, ()):
                for owner, kind, term in self.by_query[query]:
                    if owner is None:
                        muted = muted or term
                    elif kind == "exclude":
                        excluded.setdefault(owner.name, term)
                    else:
                        hit(owner, kind, term, term)
                        words.append(term)
            for host in hosts.get(i, ()):
                for w in self.watches.watches:
                    for s in w.sources:
                        if host == s or host.endswith("." + s):
                            hit(w, "source", s, host)
        matches = sorted(found.values(), key=lambda m: -m.priority)  # stable: the file's order within
        kept = [m for m in matches if m.watch not in excluded]
        left_out = None
        if muted is not None:
            left_out = f"muted: {muted}"
        elif matches and not kept:
            first = matches[0].watch
            left_out = f"excluded by watch {first}: {excluded[first]}"
        return WatchVerdict(kept, list(dict.fromkeys(words)), left_out)


def _other_name(term: str, e: Mapping[str, Any]) -> str:
    """How a match on ``term`` names the entity: its other name (ECCG for the long form, the
    long form for ECCG), so the reason says why an article that never wrote ``term`` matched."""
    from .text import key

    names = [e["name"], *([e["long_form"]] if e.get("long_form") else [])]
    return next((n for n in names if key(n) != key(term)), e["name"])


def _entity_words(e: Mapping[str, Any]) -> list[str]:
    """The words that say an entity in a text: its name, long form and aliases, and for a person
    named in full their surname (news style names them so after the first mention)."""
    words = [e["name"], *([e["long_form"]] if e.get("long_form") else []), *e.get("aliases", [])]
    if e.get("label") == "PERSON" and len(e["name"].split()) > 1:
        words.append(e["name"].split()[-1])
    return list(dict.fromkeys(w for w in words if w))


def _url_host(url: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".").removeprefix("www.") if host else None


MAX_MARKED = 50  # words highlighted in a brief at most (a regex of their alternatives)


def segments(text: str, words: Iterable[str]) -> list[tuple[str, bool]]:
    """``text`` cut into ``(part, is a watched word)`` runs, the parts joined giving ``text``
    back: the templates mark the watched parts (escaped as any text). A word matches whole, any
    case, its own words separated by any run of spaces or punctuation."""
    chosen = sorted(dict.fromkeys(w for w in words if _WORD.search(w)), key=len, reverse=True)[:MAX_MARKED]
    if not text or not chosen:
        return [(text, False)]
    alts = [r"\W+".join(re.escape(t) for t in _WORD.findall(w)) for w in chosen]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.I)
    out: list[tuple[str, bool]] = []
    at = 0
    for m in pattern.finditer(text):
        if m.start() > at:
            out.append((text[at : m.start()], False))
        out.append((m.group(), True))
        at = m.end()
    if at < len(text):
        out.append((text[at:], False))
    return out or [(text, False)]


def watched_stories(store: Any, watches: Watches, stories: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Those of ``stories`` (the index's story dicts) that match a watch and none of its excludes
    or the mutes, as the digest orders them (priority, then sources, then the newest), each with
    ``matched`` (the :class:`Match` dicts)."""
    verdicts = Matcher(watches, store).verdicts([[a["id"] for a in s["articles"]] for s in stories])
    kept = [(s, v) for s, v in zip(stories, verdicts, strict=True) if v.watched]
    kept.sort(key=lambda sv: str(sv[0].get("last_seen") or ""), reverse=True)
    kept.sort(key=lambda sv: (-sv[1].priority, -len(sv[0]["articles"])))  # stable: the newest first within
    return [{**s, "matched": [m.as_dict() for m in v.matches]} for s, v in kept]


def watched_articles(store: Any, watches: Watches, article_ids: Sequence[int]) -> dict[int, WatchVerdict]:
    """article id -> its verdict, for those of ``article_ids`` a watch matches (`search --watch`)."""
    verdicts = Matcher(watches, store).verdicts([[i] for i in article_ids])
    return {i: v for i, v in zip(article_ids, verdicts, strict=True) if v.watched}
