"""The home page: each treaty's status, from the same numbers as the command line."""

import re

import pytest

from signatories.models import Participant
from signatories.services import record_action
from tracker.rules import ActionKind


def stat(html: str, key: str) -> str:
    match = re.search(rf'data-stat="{key}">([^<]*)<', html)
    assert match, f"no data-stat={key!r} on the page"
    return match.group(1).strip()


def test_home_page_shows_the_status_of_each_treaty(client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        html = client.get("/").content.decode()
    assert "Hanoi Convention" in html
    assert stat(html, "signatories") == "67"
    assert stat(html, "instruments_counted") == "0"
    assert stat(html, "threshold") == "40"
    assert stat(html, "remaining") == "40"
    assert stat(html, "days_until_signature_closes") == "39"


@pytest.mark.django_db(transaction=True)
def test_home_page_shows_a_new_deposit_at_once(client, seeded):
    assert stat(client.get("/").content.decode(), "instruments_counted") == "0"  # now cached
    record_action(
        treaty=seeded,
        participant=Participant.objects.get(name="Azerbaijan"),
        kind=ActionKind.RATIFICATION,
        date=seeded.local_date(),
        confidence="official",
    )
    html = client.get("/").content.decode()
    assert stat(html, "instruments_counted") == "1"
    assert stat(html, "remaining") == "39"


def test_home_page_without_treaties_says_how_to_seed(client, db):
    assert "manage.py seed" in client.get("/").content.decode()
