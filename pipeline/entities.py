"""Named entities: spaCy NER + an acronym EntityRuler + Schwartz–Hearst definitions.

Statistical NER misses most acronyms (ECCG, EUCS) and mislabels CamelCase names (SecNumCloud as
PERSON). On top of the spaCy model we add what the field does:

- an EntityRuler *after* ``ner`` (it only fills gaps, never overrides the model) that tags
  all-caps acronyms, skipping lines written in capitals (headlines) and a short stoplist;
- the Schwartz & Hearst (2003) definition detector for "long form (SF)" and "SF (long form)",
  which links each acronym to its expansion, merges their counts and shares their label;
- a CamelCase rule: a one-token PERSON with two inner capitals is a product/scheme name.

Spans that are no name a reader would watch are dropped (:func:`junk_reason`: common words,
English words in capitals, form labels, identifiers, glued text, diseases; :func:`own_ids`: the
article's own id), and a span run on past its name is cut back (:func:`trimmed`). Mentions are
then normalized (whitespace, possessives, leading "the") and counted per article.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .document import Article, Entity
from .errors import ModelError
from .lang import ENGLISH
from .models import ModelSpec, load_spacy, resolve
from .settings import Settings
from .text import CVE_ID, LEADING_DET, canonical, key

ACRONYM_STOPLIST = ENGLISH.acronym_stoplist  # capitalised abbreviations that are no entity ("CEO", "PDF")
ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&]*[A-Z][A-Za-z0-9&]*$")
# --- what is no name, whichever component tagged it (see :func:`junk_reason`)
_CAPS_WORD = re.compile(r"^[A-Z][A-Z&]*[A-Z]$")
# a word of prose in lower case; not a piece of an address or handle ("bbc" in "www.bbc.co.uk"),
# also when a page spaced the address out ("usgs" in "www. earthquake. usgs. gov")
_LOWER_WORD = re.compile(
    r"(?<![\w&@#./:-])[a-z]{3,}(?![\w&@/:-]|\.\w|\.\s(?:com|org|gov|net|edu|int|mil|co|uk|eu|io)\b)"
)
_SEAM = re.compile(ENGLISH.seam)  # "victoryNigeria", "BBC.On": two blocks of a page glued
# Glue the seam pattern leaves (it guards a sentence splitter, we a name): a stop after a bracket
# ("HMRC).An"), a name run into "The" ("AbujaThe APC"), a word run into capitals ("ShawBBC") or
# into a digit ("vote6 June").
_GLUE = re.compile(r"[)\]][.!?]\S|[a-z](?:The|An|In|On|It|He|She|We|They)\b|[a-z]{2}[A-Z]{2,}|(?<![\w@#])[a-z]{3,}\d")
# An identifier, not a name: a long run of digits, a hex digest, a file name or an address piece.
_ID = re.compile(r"\d{5,}|^(?=[a-f\d-]*\d)[a-f\d-]{8,}$|_|^(?:https?|www)\b|\.(?:html?|php|aspx?|jsp|pdf|txt)$", re.I)
# Words a name cannot end on: what a span run on past the name kept ("Cyber Berkut and").
_TAIL = re.compile(r"(?:\s+(?:and|or|the|The|of|for|at|in|with|against|to|from|a|an|[-–—(]))+$")
_FORM_LABEL = re.compile(r"^(\w+)\s*:\s*")
_DISEASE_AFTER = re.compile(ENGLISH.disease_after, re.I)
_TITLED = ("WORK_OF_ART", "LAW", "EVENT")  # titles hold any word ("Love Comes to Town")
_PAREN = re.compile(r"\(\s*([^()]{1,60}?)\s*\)")
_CAMEL = re.compile(r"[a-z][A-Z].*[a-z][A-Z]")


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    label: str
    start: int
    end: int
    source: str  # "ner" (statistical model) | "rule" (entity rulers)


# --------------------------------------------------------------- Schwartz–Hearst definitions
def is_short_form(s: str) -> bool:
    words = s.split()
    return (
        2 <= len(s) <= 10
        and len(words) <= 2
        and any(c.isalpha() for c in s)
        and s[0].isalnum()
        and sum(c.isupper() for c in s) >= 2
    )


def best_long_form(short: str, long: str) -> str | None:
    """Schwartz–Hearst: match the short form's characters right-to-left inside the candidate."""
    s_i, l_i = len(short) - 1, len(long) - 1
    while s_i >= 0:
        c = short[s_i].lower()
        if not c.isalnum():
            s_i -= 1
            continue
        while l_i >= 0 and (long[l_i].lower() != c or (s_i == 0 and l_i > 0 and long[l_i - 1].isalnum())):
            l_i -= 1
        if l_i < 0:
            return None
        l_i -= 1
        s_i -= 1
    start = long.rfind(" ", 0, l_i + 1) + 1
    found = long[start:].strip()
    if len(found.split()) > min(len(short) + 5, 2 * len(short)) or found.lower() == short.lower():
        return None
    return found


def find_definitions(text: str) -> dict[str, str]:
    """``{short form: long form}`` for every "long form (SF)" / "SF (long form)" in ``text``."""
    out: dict[str, str] = {}
    for m in _PAREN.finditer(text):
        inside = m.group(1).strip()
        before = re.split(r"[.;:!?()\n]", text[: m.start()])[-1].strip()
        if is_short_form(inside):
            words = before.split()
            limit = min(len(inside) + 5, 2 * len(inside))
            candidate = " ".join(words[-limit:])
            long = best_long_form(inside, candidate)
            if long:
                out.setdefault(inside, LEADING_DET.sub("", long))
        else:  # "SF (long form)"
            words = before.split()
            if words and is_short_form(words[-1]):
                long = best_long_form(words[-1], inside)
                if long and len(long.split()) >= 2:
                    out.setdefault(words[-1], LEADING_DET.sub("", long))
    return out


# --------------------------------------------------------------- normalization
# --------------------------------------------------------------- the spaCy pipeline
ACRONYM_PATTERNS: list[dict[str, Any]] = [
    {"label": "ORG", "id": "acronym", "pattern": [{"TEXT": {"REGEX": r"^[A-Z][A-Z0-9&]{1,9}$"}}]},
    # CamelCase names with two inner capitals (SecNumCloud, GitHub is one hump and left to NER)
    {"label": "PRODUCT", "id": "camel", "pattern": [{"TEXT": {"REGEX": r"^[A-Z][a-z]+(?:[A-Z][a-z0-9]+){2,}$"}}]},
]
_CVE_YEAR, _CVE_NUMBER = CVE_ID.rsplit("-", 1)
# Identifiers go in before the statistical model so it cannot split or relabel them.
ID_PATTERNS: list[dict[str, Any]] = [
    {"label": "CVE", "id": "cve", "pattern": [{"TEXT": {"REGEX": rf"^{CVE_ID}$"}}]},
    # spaCy's tokenizer splits "CVE-2024-3094" into "CVE-2024", "-", "3094"
    {
        "label": "CVE",
        "id": "cve",
        "pattern": [{"TEXT": {"REGEX": rf"^{_CVE_YEAR}$"}}, {"TEXT": "-"}, {"TEXT": {"REGEX": rf"^{_CVE_NUMBER}$"}}],
    },
]


def build_nlp(spec: ModelSpec) -> Any:
    """The process's spaCy pipeline (:func:`~pipeline.models.load_spacy`) with our rulers."""
    nlp = load_spacy(spec)
    if "ner" not in nlp.pipe_names:
        raise ModelError("spaCy pipeline has no 'ner' component", spec.name)
    return add_rulers(nlp) if "acronym_ruler" not in nlp.pipe_names else nlp


# what NER does not need: run with these disabled (the relation checker uses them)
NOT_FOR_NER = ("tagger", "parser", "lemmatizer", "attribute_ruler", "senter")


def add_rulers(nlp: Any) -> Any:
    """Identifier ruler before the statistical ``ner`` (if any), acronym ruler after it."""
    has_ner = "ner" in nlp.pipe_names
    ids = nlp.add_pipe("entity_ruler", name="id_ruler", **({"before": "ner"} if has_ner else {}))
    ids.add_patterns(ID_PATTERNS)
    ruler = nlp.add_pipe("entity_ruler", name="acronym_ruler", config={"overwrite_ents": False})
    ruler.add_patterns(ACRONYM_PATTERNS)
    nlp.max_length = 5_000_000
    return nlp


def _is_acronym(surface: str) -> bool:
    return surface not in ACRONYM_STOPLIST and bool(ACRONYM.match(surface)) and len(surface) <= 10


def _shouting(text: str, start: int, end: int) -> bool:
    """True when the line around [start, end) is mostly capitals (a headline, a CoNLL title)."""
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    line = text[a : b if b >= 0 else len(text)]
    letters = [c for c in line if c.isalpha()]
    return len(letters) > 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6


PIECE_CHARS = 20_000  # characters of text the spaCy pipeline sees at once


def split_pieces(text: str, size: int = PIECE_CHARS) -> list[tuple[str, int]]:
    """(piece, offset) runs of whole lines of at most ``size`` characters (a longer line is cut at a
    space); the pieces concatenate back to ``text``."""
    if len(text) <= size:
        return [(text, 0)]
    out: list[tuple[str, int]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        out.append((text[start:end], start))
        start = end
    return out


def trimmed(surface: str, start: int) -> tuple[str, int]:
    """The name inside a span the model ran on past it: a form label or lower-case words before
    it ("Subject: Foo" and "website Foo" are Foo) and an unclosed bracket or a small word after
    it ("Asian Civilisation Museum (ACM", "Cyber Berkut and") cut off. Returns the surface and
    its new start."""
    m = _FORM_LABEL.match(surface)
    if m and m.group(1) in ENGLISH.form_labels and m.end() < len(surface):
        surface, start = surface[m.end() :], start + m.end()
    words = surface.split(" ")
    lead = next((i for i, w in enumerate(words) if not (w.isalpha() and w.islower())), len(words))
    if lead < len(words) and any(w not in ENGLISH.name_inner_words for w in words[:lead]):  # "the federal Bureau…"
        cut = len(" ".join(words[:lead])) + 1
        surface, start = surface[cut:], start + cut
    if surface.count("(") > surface.count(")"):
        surface = surface[: surface.rfind("(")]
    return _TAIL.sub("", surface).rstrip(), start


def junk_reason(surface: str, label: str, text: str, start: int, end: int, lower: frozenset[str]) -> str | None:
    """Why a tagged span is no name a reader would watch, or None. ``lower`` is the set of words
    ``text`` writes in lower case. Each rule is one kind of junk seen in briefs of unseen
    articles and in the labelled dev briefs (bench/data/entity-junk-labels.jsonl):

    - words with no capital letter ("marijuana", "officers", a Welsh article read as English);
    - a word in capitals that is an English word: a stop word ("ABOUT", "NOTHING") or one the same
      text writes in lower case ("PLAYERS" beside "players"; a headline or a shouting caption),
      and the capitalised abbreviations of the stoplist ("MP", "DNA");
    - a form label ("Subject:", "Category:");
    - an identifier (digits, a hex digest, a file name) or a handle/hashtag ("@BBCNewsbeat");
    - two blocks of a page glued without a space ("HMRC).An", "victoryNigeria");
    - a span run on past the name: a lower-case word a name does not hold ("Locke when Ross
      County"; titles of works are spared);
    - a disease the model took for a place or a person ("Ebola", "West Nile virus").
    """
    if label == "CVE":
        return None
    if not any(c.isupper() for c in surface) and any(c.islower() for c in surface):  # "787" is a name
        return "no capital letter"
    if _CAPS_WORD.match(surface) and surface not in ENGLISH.acronym_words:
        if surface in ACRONYM_STOPLIST:
            return "capitalised abbreviation"
        word = surface.lower()
        if word in ENGLISH.stop_words() or (len(word) >= 3 and word in lower):
            return "an English word in capitals"
    if surface in ENGLISH.form_labels and text[end : end + 3].lstrip(" \t").startswith(":"):
        return "form label"
    if _ID.search(surface) or text[max(0, start - 1) : start] in ("@", "#") or surface[0] in "@#":
        return "identifier or handle"
    if _SEAM.search(surface) or _GLUE.search(surface):
        return "text glued without a space"
    if label not in _TITLED and any(
        w.isalpha() and w.islower() and w not in ENGLISH.name_inner_words for w in surface.split()[1:]
    ):
        return "words run on past the name"
    if label != "PRODUCT" and (key(surface) in ENGLISH.diseases or _DISEASE_AFTER.match(text[end : end + 30])):
        return "a disease"
    return None


def _lower_words(text: str) -> frozenset[str]:
    return frozenset(_LOWER_WORD.findall(text))


def mentions_of(doc: Any) -> list[Mention]:
    out: list[Mention] = []
    text = doc.text
    lower = _lower_words(text)
    for ent in doc.ents:
        surface, start = trimmed(ent.text.strip(), ent.start_char)
        end = start + len(surface)
        if not surface or junk_reason(surface, ent.label_, text, start, end, lower):
            continue
        if ent.ent_id_ == "acronym":
            if not _is_acronym(surface) or _shouting(text, start, end):
                continue
            out.append(Mention(surface, ent.label_, start, end, "rule"))
            continue
        label = ent.label_
        if label == "PERSON" and len(ent) == 1 and _CAMEL.search(surface):
            label = "PRODUCT"
        out.append(Mention(surface, label, start, end, "rule" if ent.ent_id_ else "ner"))
    return out


def _label(ms: Sequence[Mention]) -> str:
    ner_labels = Counter(m.label for m in ms if m.source == "ner")
    return (ner_labels or Counter(m.label for m in ms)).most_common(1)[0][0]


def _people_named_short(labels: dict[str, str]) -> dict[str, str]:
    """A person named in full, then by surname as news style has it ("Bettie Page" … "Page
    said"): the surname's key -> the full name's, when exactly one person of the article has
    that surname ("Catherine Gomes" and "Gary Gomes" leave "Gomes" alone). Otherwise one person
    is two entities in the index, the digest's counts and a story's names. First names are not
    merged: on 60 dev articles they mostly met the model's run-together spans ("John
    yesterday"). A title and a surname ("Mr Yeaman", "Gen Buhari") is the surname: it was a
    second person beside the full name in 9 of the 40 labelled dev briefs."""
    titles = {t.casefold() for t in ENGLISH.name_titles}

    def surname(k: str) -> str | None:  # "page", "mr page" -> "page"; a full name -> None
        words = k.split()
        if len(words) == 2 and words[0].rstrip(".") in titles:
            return words[1]
        return words[0] if len(words) == 1 else None

    # a full name tagged ORG or NORP counts against "exactly one" too: the model tags people so
    # ("Prof Ruggles" beside "Alice Ruggles" and a NORP "Clive Ruggles", her father; "Miliband"
    # beside "Justine Miliband" and an ORG "Ed Miliband"); other labels are mostly run-on spans
    full: dict[str, set[str]] = defaultdict(set)
    titled: dict[str, set[str]] = defaultdict(set)
    for k, label in labels.items():
        words = k.split()
        if len(words) > 1 and label in ("PERSON", "ORG", "NORP"):
            (full if surname(k) is None else titled)[words[-1]].add(k)
    for sur, names in titled.items():  # "Lord Coe" and "Coe", no full name: the title names him
        if sur not in full and len(names) == 1:
            full[sur] = names
    out = {}
    for k, label in labels.items():
        last = surname(k) if label == "PERSON" else None
        if last is not None and len(full.get(last, ())) == 1:
            person = next(iter(full[last]))
            if labels[person] == "PERSON" and person != k:
                out[k] = person
    return out


def aggregate(mentions: Iterable[Mention], definitions: dict[str, str], keep: Sequence[str]) -> list[Entity]:
    """Group mentions by normalized key, merge acronym ↔ long form, count, sort by count."""
    groups: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        k = key(m.text)
        if k:
            groups[k].append(m)
    long_of = {key(sf): lf for sf, lf in definitions.items()}
    for sf_key, lf in long_of.items():  # merge the long form's mentions into the acronym
        lf_key = key(lf)
        for k in [k for k in groups if k != sf_key and (k == lf_key or k.endswith(" " + lf_key))]:
            groups[sf_key].extend(groups.pop(k))  # "Dutch National Cyber Security Centre" too
    labels = {k: _label(ms) for k, ms in groups.items()}
    surnames = _people_named_short(labels)
    for surname, person in surnames.items():
        groups[person].extend(groups.pop(surname))
    entities = []
    for k, ms in groups.items():
        surfaces = Counter(m.text for m in ms)
        label = labels[k]
        if keep and label not in keep:
            continue
        long_form = long_of.get(k)
        short = next((m.text for m in ms if key(m.text) == k), None)
        text = short or surfaces.most_common(1)[0][0]
        canon = canonical(text)
        # a surname is no alias: the index would then file another article's "Smith" (maybe
        # someone else) under this article's John Smith
        aliases = sorted({canonical(s) for s in surfaces if key(s) not in surnames} - {canon})
        entities.append(Entity(canon, label, len(ms), canon, canonical(long_form) if long_form else None, aliases))
    entities.sort(key=lambda e: (-e.count, e.canonical.casefold()))
    return entities


_ID_PIECES = re.compile(r"[\s/\\?#=&.]+")


def own_ids(article: Article) -> frozenset[str]:
    """The pieces of the article's own path and address that hold a digit ("4f3a2c1d", "doc-1208"),
    case-folded: a page that prints its own id or file name gets it tagged as a name."""
    where = f"{article.source} {article.url or ''}"
    return frozenset(p.casefold() for p in _ID_PIECES.split(where) if any(c.isdigit() for c in p))


class EntityTagger:
    def __init__(self, nlp: Any, model_id: str, labels: Sequence[str], languages: Sequence[str] = ("en",)) -> None:
        self.nlp = nlp
        self.model_id = model_id
        self.labels = tuple(labels)
        self.languages = tuple(languages)  # the languages (tag prefixes) the statistical model reads

    @classmethod
    def load(cls, settings: Settings) -> EntityTagger:
        """The default language's NER model; the languages it reads are its manifest entry's, else
        those whose row of the settings' [languages] table names it."""
        spec = resolve(settings.ner_model, "ner", settings.models_dir)
        named = [code for code, row in settings.languages.items() if row.ner_model == settings.ner_model]
        return cls(build_nlp(spec), spec.id, settings.entity_labels, spec.languages or named)

    def spans_batch(self, texts: Sequence[str]) -> list[list[Mention]]:
        """Mentions per text. Long texts go through the model in paragraph-aligned pieces: spaCy's
        memory grows with the document (a 200k-word article took 4 GB in one piece)."""
        pieces = [(piece, (i, offset)) for i, text in enumerate(texts) for piece, offset in split_pieces(text)]
        out: list[list[Mention]] = [[] for _ in texts]
        off = [p for p in NOT_FOR_NER if p in self.nlp.pipe_names]
        for doc, (i, offset) in self.nlp.pipe(pieces, batch_size=8, as_tuples=True, disable=off):
            out[i].extend(
                Mention(m.text, m.label, m.start + offset, m.end + offset, m.source) for m in mentions_of(doc)
            )
        return out

    def tag_batch(self, articles: Sequence[Article]) -> None:
        t0 = time.perf_counter()
        texts = [f"{a.title}\n{a.text}" if a.title else a.text for a in articles]
        for article, text, mentions in zip(articles, texts, self.spans_batch(texts), strict=True):
            ids = own_ids(article)
            mentions = [m for m in mentions if m.text.casefold() not in ids]
            model_id = self.model_id
            if article.language and not article.language.startswith(self.languages):
                # The statistical model reads its languages only (English): elsewhere it tags
                # capitalised nouns as names. Keep the language-independent rules (acronyms,
                # identifiers, definitions). One model per run: another language's row is not loaded.
                mentions = [m for m in mentions if m.source == "rule" or _is_acronym(m.text)]
                model_id += f" (rules only: language {article.language})"
            article.entities = aggregate(mentions, find_definitions(text), self.labels)
            article.model["ner"] = model_id
        per = (time.perf_counter() - t0) / max(1, len(articles))
        for a in articles:
            a.timings["entities"] = per
