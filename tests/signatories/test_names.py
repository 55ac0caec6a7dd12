"""Tolerant name matching: the depositary's spellings drift, the participant does not."""

import pytest

from signatories.names import closest_names, name_key, strip_footnotes

SAME_NAME = [
    ("St. Lucia", "Saint Lucia"),
    ("St Kitts and Nevis", "Saint Kitts and Nevis"),
    ("Bahamas (The)", "Bahamas"),
    ("Gambia (the)", "Gambia"),
    ("Turkiye", "Türkiye"),
    ("COTE D'IVOIRE", "Côte d'Ivoire"),
    ("Côte d’Ivoire", "Côte d'Ivoire"),
    ("France 3", "France"),
    ("Chile*", "Chile"),
    ("Peru [2]", "Peru"),
    ("Guinea-Bissau 1, 2", "Guinea-Bissau"),
    ("  Viet   Nam ", "Viet Nam"),
    ("Iran (Islamic Republic of) 4", "Iran (Islamic Republic of)"),
]


@pytest.mark.parametrize("variant, name", SAME_NAME)
def test_spelling_variants_share_the_name_key(variant, name):
    assert name_key(variant) == name_key(name)


@pytest.mark.parametrize(
    "one, other",
    [("Niger", "Nigeria"), ("Guinea", "Guinea-Bissau"), ("Dominica", "Dominican Republic"), ("Congo", "DR Congo")],
)
def test_different_participants_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_footnotes_are_stripped_but_numbers_inside_a_name_stay():
    assert strip_footnotes("France 12") == "France"
    assert strip_footnotes("Timor-Leste") == "Timor-Leste"


def test_closest_names_suggest_the_participant_meant():
    names = {name_key(n): n for n in ("Slovakia", "Slovenia", "Sweden", "Czech Republic")}
    assert closest_names("Slovakai", names)[0] == "Slovakia"
    assert closest_names("Atlantis", names) == []
