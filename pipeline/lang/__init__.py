"""The language room: every word list, pattern and prompt text the pipeline reads a language by,
as one frozen :class:`Language` record per language (``en.py`` builds ``ENGLISH``), picked by an
article's ``language`` with :func:`language`.

The mechanisms stay where they are (``text.py`` splits sentences and recognises furniture,
``summarizers/gate.py`` checks generated sentences, ``relations.py`` reads parses,
``summarizers/recipe.py`` asks the writer) and read their words from here, as spaCy's pipeline
reads ``spacy/lang/<code>/``: a second language is one module here plus one row of the settings'
``[languages]`` table (its NER model and sentence encoder), not edits in eight files.

Patterns are regex source strings, compiled where they are used with the flags the mechanism
gives them; word lists are frozensets (or space-separated words, where a pattern is built from
them). The reader-defect check (``defects.py``) keeps its own lists on purpose: it grades what
these filter.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Prompts:
    """What the LLM writer (``summarizers/recipe.py``) is told, and the frame around the article."""

    system: str  # the system prompt of every conversation
    ask_facts: str  # step 1: the article's key facts
    ask_tldr: str  # step 2: the TLDR from the facts
    ask_paragraphs: str  # step 3: the Article Summary's paragraphs from the facts
    ask_tldr_again: str  # a TLDR the support check flagged, asked again; ``{why}`` is what it lacked
    title: str  # ``{title}``: the article's title, before the article
    article: str  # ``{head}``, ``{text}``, ``{ask}``: the article and the facts ask
    article_part: str  # the same for one part of a long article (``{where}``: which part)
    part: str  # ``{i}``, ``{n}``: which part of the article that is
    key_facts: str  # ``{head}``, ``{facts}``: the facts of a long article's parts, joined
    noted: str  # the assistant's turn after the joined facts
    reply_label: str  # labels a reply opens on that are cut ("TLDR:", "First paragraph:"), re.I


@dataclass(frozen=True, slots=True)
class Language:
    """One language's words, as the mechanisms read them (one comment per field says who)."""

    code: str  # ISO 639-1, and the spaCy language of the rule-based sentencizer (``spacy.blank``)

    # -- words (text.py, gate.py, source.py, story/, evaluate.py)
    function_words: frozenset[str]  # words with no content of their own: overlap, grounding, keys
    stop_words: Callable[[], frozenset[str]]  # spaCy's list (imports spaCy): capitalised openers that are no names
    sentence_starters: frozenset[str]  # words that open a sentence, never a name after a title abbreviation
    dangling: frozenset[str]  # words a sentence cannot end on (what a cut left dangling)

    # -- page furniture and captions (text.py)
    furniture_prefix: str  # furniture glued to a sentence's first words (datelines, share widgets)
    furniture: str  # a sentence that is furniture through and through
    caption: str  # photo captions glued into the text
    not_label: str  # a lookahead: words a caption's label ("Flying high: …") never has
    glued: str  # two sentences with no full stop between them (a caption glued to the text)
    seam: str  # two blocks of a page met without a line break ("voteThe"), name prefixes excepted

    # -- sentence splitting (text.py)
    elisions: str  # after an opening straight quote: an elision, not a quote ('em, '90s)
    before_number: str  # title abbreviations followed by a number ("No. 5")
    before_name: str  # title abbreviations followed by a name ("Lt. Col. Jones")

    # -- speech and attribution (text.py, relations.py)
    reporting_forms: str  # reporting verbs as written (a regex alternation; text checks, no parser)
    attribution: str  # words that name a speaker in the writer's voice (uses ``reporting_forms``), re.I
    first_person: str  # first or second person: someone else's voice (case-sensitive)
    spoken: str  # a pronoun's contraction ("that's", "they've"): how people talk, seldom how news is written
    speaker_next: str  # what may follow a quotation that ends on a comma: its speaker
    reporting_lemmas: frozenset[str]  # reporting verbs as lemmas (parsed text: relations.py)
    opinion_lemmas: frozenset[str]  # of those, the ones that make what follows an opinion
    attributed: frozenset[str]  # adverbs and participles that attribute a claim ("reportedly")
    partisans: frozenset[str]  # speakers whose plain "say" is one side's claim ("critics say")
    denying: frozenset[str]  # verbs that deny a claim ("denied the claims")
    claim_nouns: frozenset[str]  # what such a verb denies: a claim, not a charge
    negators: frozenset[str]  # words that negate a verb besides the parser's ``neg`` relation
    # what makes a parsed verb not asserted (relations.py): "could have been attacked", "if he
    # wins", "plans to close", "reportedly killed"; a brief that asserts it states a possibility as fact
    modals: frozenset[str]  # auxiliaries of possibility, condition or future ("could", "will")
    future: frozenset[str]  # of those, the future ones ("will"): "will play" for what was played
    conditional: frozenset[str]  # of those, the ones of a condition or a chance ("would", "could")
    conditions: frozenset[str]  # subordinators whose clause is not asserted ("if", "whether")
    unasserting_lemmas: frozenset[str]  # verbs whose complement is not asserted ("fear", "plan")
    accusing: frozenset[str]  # what an act is accused of by ("accused of molesting", "suspicion of")
    hedging_adverbs: frozenset[str]  # adverbs that make a verb a possibility ("perhaps", "allegedly")
    uncut: frozenset[str]  # words a sentence cut from the article's may not lose from its middle
    uncut_tail: frozenset[str]  # ... nor have its cut end before: what they lead in qualifies it
    number_alone: str  # a sentence telling only a number of whom the one before names ("He was 95.")
    # a sanction someone "faces" or "risks" is not yet theirs: "faces a 15-year ban" told as
    # "leading to a 15-year ban" states a possibility as the outcome
    outcome_nouns: frozenset[str]  # what is faced before it is given ("ban", "fine", "sentence")
    facing_lemmas: frozenset[str]  # the verbs that face it ("face", "risk")
    possible_words: frozenset[str]  # modifiers that make it a possibility ("possible", "potential")
    hedging_adjectives: frozenset[str]  # what makes a noun a claim or a guess ("suspected gunman")
    light_lemmas: frozenset[str]  # verbs too common to compare across two sentences ("be", "make")
    sides: frozenset[str]  # prepositions that tell whose side a verb acts on ("for", "against")
    age_words: frozenset[str]  # lemmas that make a number an age, told many ways ("32-year-old", ", 32,")
    bounds: str  # what makes a number a bound or an estimate, just before it ("up to 100"), re.I
    bounds_after: str  # ... or just after it ("100 or so"), re.I

    # -- generated text (text.py, gate.py)
    leans: str  # a sentence that leans on the one before (a connective, a pronoun)
    aside: str  # a sentence that opens on background before its news ("Now that…", "Although…")
    connective: str  # a connective that may open a generated sentence
    meta_opener: str  # a sentence that talks about the article, not the news, re.I
    meta_that: str  # "The article reports that X": the frame to cut, re.I
    meta_according: str  # "According to the article, X": the frame to cut, re.I
    possessive: str  # the possessive ending of a name
    leading_det: str  # an article opening a name ("the", "a"), re.I
    name_run: str  # a run of capitalised words with the small words names hold ("Bank of England")
    said_where: str  # participles that lead in to an address ("listed at", "posted on")
    lead_in: str  # words that only lead in to an address, cut with it (uses ``said_where``), re.I
    aside_words: str  # an aside that holds only an address and such words, re.I
    suffixes: str  # inflection endings the support check strips (a crude stemmer)

    # -- names (entities.py)
    acronym_stoplist: frozenset[str]  # capitalised abbreviations that are no entity ("CEO", "PDF")
    acronym_words: frozenset[str]  # acronyms that are also words ("US"): spared the lower-case test
    form_labels: frozenset[str]  # form and page labels ("Subject:", "Category:"), never a name
    name_titles: frozenset[str]  # titles before a surname ("Mr", "Gen"): "Mr Yeaman" is Yeaman
    name_inner_words: frozenset[str]  # the lower-case words a name holds ("of", "van"); others are a run-on
    disease_after: str  # what follows a name that is a disease ("Ebola virus"), matched after it, re.I
    diseases: frozenset[str]  # disease names (lower case) the model tags as places or organisations

    # -- two tellings of one story compared word by word (story/claims.py, story/numbers.py)
    number_words: Mapping[str, int]  # numbers written as words ("twelve", "a dozen", "first")
    scales: Mapping[str, int]  # "million", "bn": what a number is multiplied by
    unit_words: Mapping[str, str]  # a unit as a word, as its sign ("percent" -> "%")
    negation_words: frozenset[str]  # a telling with one and one without disagree
    hedges: frozenset[str]  # words that make a statement an allegation or a possibility
    calendar_words: frozenset[str]  # weekdays and months: a date, not a name
    telling_words: frozenset[str]  # how a source reports a statement ("said", "told reporters")
    referring: frozenset[str]  # determiners of a phrase that refers to a named one ("the company")
    months: str  # month names and abbreviations (a regex group): a number beside one is a date

    # -- the page's genre (extract.py): an opinion column or a review speaks in its author's voice,
    # and a reader is told so. What a page's section or URL path is called, lower case ("opinion",
    # "commentisfree", "reviews") -> the genre; and what its title or text says of it, re.I
    genre_sections: Mapping[str, str]
    genre_first_segment: frozenset[str]  # of those, the ones a URL path means so only as its first segment
    genre_titles: Mapping[str, str]  # regex -> genre, searched in the title ("Opinion: …"), re.I
    genre_notes: Mapping[str, str]  # regex -> genre, searched in the text (a column's disclaimer), re.I

    prompts: Prompts


@functools.lru_cache(maxsize=64)  # a page names its language: a few distinct tags
def language(code: str | None) -> Language:
    """The language of a BCP 47 tag ("en", "en-GB", "de"): the module of its primary subtag here
    (its ``LANGUAGE``); English for None or a language with no module yet (everything was read
    as English before languages had a room, and still is)."""
    primary = (code or "").split("-")[0].split("_")[0].lower()
    if primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3 and primary != "en":
        try:
            found = importlib.import_module(f"{__name__}.{primary}")
        except ModuleNotFoundError:
            found = None
        if found is not None and isinstance(getattr(found, "LANGUAGE", None), Language):
            return found.LANGUAGE
    return ENGLISH


from .en import ENGLISH  # noqa: E402  (en.py builds its record from the classes above)

__all__ = ["ENGLISH", "Language", "Prompts", "language"]
