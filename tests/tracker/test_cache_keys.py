"""Cached pages and API responses are keyed by the parameters they declare, made canonical:
junk in an address cannot fill the cache (tracker.pagecache, tracker.api.caching)."""

import re

import pytest
from django.core.cache import cache
from django.http import QueryDict
from rest_framework.test import APIClient

from tracker import pagecache
from tracker.api import caching

pytestmark = pytest.mark.django_db

TREATY = "/treaties/hanoi-convention/"
STATUS = "/api/v1/treaties/hanoi-convention/status/"


def table_rows(response) -> set[str]:
    """The ISO codes of the participants table's rows."""
    return set(re.findall(r'<tr data-iso3="([A-Z]{3})"', response.content.decode()))


def stored_keys(prefix: str) -> set[str]:
    return {key.decode().split(":", 1)[1] for key in cache._cache.get_client().keys(f"*{prefix}*")}


@pytest.mark.parametrize("path", ["/", TREATY, "/participants/fra/"])
def test_two_hundred_junk_parameters_add_one_page_to_the_cache(seeded, client, path):
    for number in range(200):
        response = client.get(path, {"zz": number, f"utm_{number}": "x"})
        assert response.status_code == 200
    assert len(stored_keys("tracker:page")) == 1
    assert client.get(path)["X-Page-Cache"] == "hit"


def test_a_date_written_another_way_is_the_same_page(seeded, client):
    assert client.get(TREATY, {"as_of": "2026-02-01"})["X-Page-Cache"] == "miss"
    again = client.get(TREATY, {"as_of": "20260201", "zz": "1"})
    assert again["X-Page-Cache"] == "hit"
    assert len(stored_keys("tracker:page")) == 1


def test_the_table_s_parameters_each_keep_their_own_page_in_any_order_or_case(seeded, client):
    by_group = client.get(TREATY, {"group": "eastern_european", "sort": "deposit"})
    assert by_group["X-Page-Cache"] == "miss"
    assert {"SVK", "POL"} <= table_rows(by_group) and "FRA" not in table_rows(by_group)
    swapped = client.get(f"{TREATY}?sort=DEPOSIT&group=Eastern_European")
    assert swapped["X-Page-Cache"] == "hit" and swapped.content == by_group.content
    assert client.get(TREATY)["X-Page-Cache"] == "miss"  # another page, keyed apart
    assert len(stored_keys("tracker:page")) == 2


def test_free_text_and_misspelt_dates_are_answered_but_never_stored(seeded, client):
    for number in range(20):
        assert client.get(TREATY, {"q": f"slov{number}"}).status_code == 200
        bad = client.get(TREATY, {"as_of": f"2026-02-{40 + number}"})
        assert bad.status_code == 200 and f"2026-02-{40 + number}" in bad.content.decode()
    assert table_rows(client.get(TREATY, {"q": "slov"})) == {"SVK", "SVN"}
    assert stored_keys("tracker:page") == set()


def test_an_unknown_group_is_answered_as_before_but_never_stored(seeded, client):
    for number in range(10):
        assert client.get(TREATY, {"group": f"nowhere{number}"}).status_code == 200
    assert stored_keys("tracker:page") == set()


def test_the_view_sees_only_the_declared_parameters_in_their_canonical_form():
    query, storable = pagecache.canonical_query(
        QueryDict("zz=1&as_of=20260201&order=ASC&sort=nope&status=Signed"),
        {"as_of": pagecache.iso_date, "order": pagecache.choice(["desc"], other=""),
         "sort": pagecache.choice(["name"], other=""), "status": pagecache.choice(["signed"], other="")},
    )  # fmt: skip
    assert storable and query.urlencode() == "as_of=2026-02-01&status=signed"


def test_two_hundred_junk_parameters_add_no_api_response_to_the_cache(seeded, settings):
    settings.API_ANON_RATE = "1000/minute"
    api = APIClient()
    assert api.get(STATUS).status_code == 200
    for number in range(200):
        response = api.get(STATUS, {f"zz{number}": number})
        assert response.status_code in (200, 400)  # refused, or ignored, by the view
        assert "X-API-Cache" not in response
    assert len(stored_keys("tracker:api")) == 1


def test_an_api_read_is_keyed_by_its_declared_parameters_sorted_and_canonical(seeded):
    api = APIClient()
    first = api.get("/api/v1/participants/?un_member=1&page_size=10")
    assert first.status_code == 200 and first["X-API-Cache"] == "miss"
    again = api.get("/api/v1/participants/?page_size=010&un_member=true")
    assert again["X-API-Cache"] == "hit" and again.content == first.content
    assert "page_size=10" in first.json()["next"] and "un_member=true" in first.json()["next"]
    dated = api.get(STATUS, {"as_of": "2026-02-01"})
    assert api.get(STATUS, {"as_of": "20260201"})["X-API-Cache"] == "hit"
    assert dated.status_code == 200
    assert len(stored_keys("tracker:api")) == 2


def test_an_api_error_is_never_stored(seeded):
    api = APIClient()
    for day in ("2026-02-30", "yesterday"):
        assert api.get(STATUS, {"as_of": day}).status_code == 400
    assert stored_keys("tracker:api") == set()


def test_the_declared_parameters_come_from_the_schema(seeded, rf):
    declared = caching.parameters.of(rf.get("/api/v1/actions/"))
    assert {"treaty", "participant", "date_after", "ordering", "page", "page_size"} <= set(declared)
    assert caching.parameters.of(rf.get(STATUS)).keys() >= {"as_of"}
    assert caching.parameters.of(rf.get("/api/schema/")) == {}
