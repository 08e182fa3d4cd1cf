"""The language room (pipeline/lang/): one record per language, picked by an article's language,
English for any language with no module; the mechanisms read their words from it."""

import re

from pipeline.lang import ENGLISH, language


def test_a_language_without_a_module_is_read_as_english():
    assert language(None) is ENGLISH and language("en") is ENGLISH and language("en-GB") is ENGLISH
    assert language("xx") is ENGLISH and language("") is ENGLISH and language("../../etc") is ENGLISH


def test_the_opinion_verbs_are_reporting_verbs_and_the_patterns_compile():
    assert ENGLISH.opinion_lemmas < ENGLISH.reporting_lemmas
    assert ENGLISH.reporting_forms in ENGLISH.attribution  # the written forms, defined once
    for name in ("furniture_prefix", "furniture", "caption", "glued", "seam", "leans", "meta_opener", "lead_in"):
        re.compile(getattr(ENGLISH, name))


def test_the_filters_read_their_words_from_the_language_record():
    from pipeline import relations, text
    from pipeline.summarizers import gate, links, recipe

    assert text._FURNITURE.pattern == ENGLISH.furniture and text.FUNCTION_WORDS is ENGLISH.function_words
    assert gate.META_OPENER.pattern == ENGLISH.meta_opener and gate._META_THAT.pattern == ENGLISH.meta_that
    assert links._LEAD_IN.pattern == ENGLISH.lead_in and relations._REPORT is ENGLISH.reporting_lemmas
    assert recipe._LABEL.pattern == ENGLISH.prompts.reply_label
