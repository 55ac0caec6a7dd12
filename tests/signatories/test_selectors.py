"""Reads about participants: finding one by any name a status table may give it, and the
API's participant rows built from plain values."""

import json

import pytest

from signatories.models import Membership, Participant, ParticipantAlias
from signatories.selectors import ParticipantIndex, participant_rows, participant_values
from tracker.api.renderers import JSONRenderer
from tracker.api.serializers import ParticipantSerializer

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


# --- the API's participant rows ---------------------------------------------------------


def rendered(data) -> list[dict]:
    return json.loads(JSONRenderer().render(data))


def test_the_rows_are_what_the_serializer_gives_for_every_participant(seeded):
    participants = Participant.objects.order_by("name")
    rows = participant_rows(participant_values(participants))
    expected = ParticipantSerializer(
        participants.prefetch_related("aliases", "memberships__organization"), many=True
    ).data
    assert len(rows) == participants.count() > 190
    assert rendered(rows) == rendered(expected)
    # The seed gives aliases and memberships to compare, not only empty lists.
    assert any(row["aliases"] for row in rows) and any(row["memberships"] for row in rows)


def test_a_page_of_rows_has_only_its_own_aliases_and_memberships(seeded):
    austria = Participant.objects.get(name="Austria")
    ParticipantAlias.objects.create(participant=austria, name="Republic of Austria (made up for the test)")
    [row] = participant_rows(participant_values(Participant.objects.filter(pk=austria.pk)))
    assert "Republic of Austria (made up for the test)" in row["aliases"]
    assert [m["organization"] for m in row["memberships"]] == ["european-union"]
    assert row["un_regional_group_label"] == austria.get_un_regional_group_display()


@pytest.mark.parametrize("page_size", [1, 50, 198])
def test_the_rows_take_three_queries_whatever_their_number(seeded, page_size, django_assert_num_queries):
    values = participant_values(Participant.objects.order_by("name"))[:page_size]
    with django_assert_num_queries(3):
        rows = participant_rows(values)
    assert len(rows) == page_size
    assert Membership.objects.exists()
