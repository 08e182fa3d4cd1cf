"""What two tellings of one fact differ on (pipeline/claims.py): the edits that change a fact are
found, the ones that only change spelling, abbreviation, unit or reporting verb are not."""

from __future__ import annotations

import pytest

from pipeline.story.claims import differ, figures_clash

REPORT = "A ransomware attack on Northwind exposed 1.2 million customer records, the company said on Tuesday."


@pytest.mark.parametrize(
    ("edited", "kind", "mine", "theirs"),
    [
        (REPORT.replace("1.2 million", "12 million"), "figure", "1.2 million customer", "12 million customer"),
        (REPORT.replace("1.2 million", "1.2 billion"), "figure", "1.2 million customer", "1.2 billion customer"),
        ("Northwind has paid the ransom.", "negation", "Northwind has not paid the", "Northwind has paid the"),
        ("Northwind hasn't paid the ransom, Jon Ortega said.", "name",
         "the ransom, Maria Lopez said", "the ransom, Jon Ortega said"),
        ("Police arrested the attacker.", "certainty", "arrested the alleged attacker", "arrested the attacker"),
        ("Northwind has refused to pay the ransom.", "wording", None, None),
        (REPORT.replace("Tuesday", "Friday"), "date", None, None),
    ],
)  # fmt: skip
def test_an_edit_that_changes_a_fact_is_a_difference_of_its_kind(edited, kind, mine, theirs):
    original = {
        "figure": REPORT, "date": REPORT, "negation": "Northwind has not paid the ransom.",
        "name": "Northwind hasn't paid the ransom, Maria Lopez said.",
        "certainty": "Police arrested the alleged attacker.", "wording": "Northwind has paid the ransom.",
    }[kind]  # fmt: skip
    found = differ(original, edited)
    assert found is not None and found.kind == kind
    if mine is not None:
        assert (found.mine, found.theirs) == (mine, theirs)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Police could not say how many shots were fired.", "Police couldn't say how many shots were fired."),
        ("Eleven other men were charged.", "Jeffs and 11 other men were charged."),
        ("Police had recovered 80 percent of the haul.", "Police had recovered 80% of the haul."),
        ("Troy police Lieutenant Gerry Scherlinck said.", "Troy police Lt. Gerry Scherlinck said."),
        ("It has offices in the United States and the United Kingdom.", "It has offices in the US and the UK."),
        ("The robbery near Place Vendome was the latest.", "The robbery near Place Vendôme was the latest."),
        ("They stole jewelry and watches.", "They stole jewellery and watches."),
        ("Police chased him for 48km at up to 193km/h.", "Police chased him for 30 miles at up to 120 mph."),
        ("Thieves took watches worth two million euros.", "Thieves took watches worth €2 million."),
        ("Northwind paid the ransom, a spokesman said.", "Northwind paid the ransom, a spokesman told reporters."),
        ("Northwind paid the ransom.", "Northwind paid the ransom of 2 million dollars to the gang."),
    ],
)
def test_spelling_abbreviations_units_reporting_verbs_and_added_details_are_no_difference(a, b):
    assert differ(a, b) is None and differ(b, a) is None


def test_a_retelling_in_other_words_clashes_only_on_a_figure_of_the_same_unit():
    retold = "Northwind said 12 million customer records were exposed in a ransomware attack."
    clash = figures_clash(REPORT, retold)
    assert clash is not None and (clash.mine, clash.theirs) == ("1.2 million customer", "12 million customer")
    assert figures_clash(REPORT, retold.replace("12 million", "1.2 million")) is None
    assert figures_clash("Ten people were killed.", "Forty buildings were destroyed.") is None  # other units
    # a retelling is read for figures, negations, names and hedges only: its wording differs anyway
    assert differ(REPORT, REPORT.replace("exposed", "leaked"), strict=False) is None
