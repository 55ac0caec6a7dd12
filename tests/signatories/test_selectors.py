"""Finding a participant by any name a status table may give it."""

import pytest

from signatories.selectors import ParticipantIndex

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "written, participant",
    [
        ("St. Lucia", "Saint Lucia"),
        ("Saint Lucia", "Saint Lucia"),
        ("Bahamas (The)", "Bahamas"),
        ("Czechia", "Czech Republic"),
        ("CZE", "Czech Republic"),
        ("Turkey", "Türkiye"),
        ("Turkiye", "Türkiye"),
        ("Vietnam", "Viet Nam"),
        ("Iran (Islamic Republic of) 2", "Iran (Islamic Republic of)"),
        ("united kingdom", "United Kingdom of Great Britain and Northern Ireland"),
        ("EU", "European Union"),
    ],
)
def test_a_participant_is_found_under_any_of_its_names(seeded, written, participant):
    assert ParticipantIndex().get(written).name == participant


def test_an_unknown_name_suggests_the_closest_participant(seeded):
    index = ParticipantIndex()
    assert index.get("Slovakai") is None
    assert index.unknown_message("Slovakai") == "Unknown participant 'Slovakai'. Did you mean 'Slovakia'?"
    assert index.unknown_message("Atlantis") == "Unknown participant 'Atlantis'."


def test_the_index_is_built_with_two_queries_whatever_the_number_of_participants(
    seeded, django_assert_num_queries
):
    with django_assert_num_queries(2):
        index = ParticipantIndex()
    assert index.get("France").name == "France"
