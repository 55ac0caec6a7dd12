"""The API's response cache, validators and 304s (tracker.api.caching), on the seeded data.

Every deposit below is made up for the tests, not taken from a source.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date, parse_http_date
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from signatories.models import Participant
from signatories.services import record_action
from tracker import pagecache
from tracker.api import caching
from tracker.pagecache import ResponseStore

pytestmark = pytest.mark.django_db

API = "/api/v1/"
STATUS = f"{API}treaties/hanoi-convention/status/"
FRESH = {"HTTP_CACHE_CONTROL": "no-cache"}


@pytest.fixture
def api():
    return APIClient()


def test_a_second_anonymous_read_is_served_from_the_cache_without_a_query(
    seeded, api, django_assert_num_queries
):
    first = api.get(f"{API}participants/", {"region": "weog"})
    assert first["X-API-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = api.get(f"{API}participants/", {"region": "weog"})
    assert second["X-API-Cache"] == "hit"
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"] == "application/json"


def test_a_response_stored_by_another_process_is_served_from_redis(seeded, api, django_assert_num_queries):
    first = api.get(STATUS)
    caching.responses.clear()  # as if another process had stored it: only Redis has it
    pagecache.forget_version()
    with django_assert_num_queries(1):  # the data version, read once a second by each process
        second = api.get(STATUS)
    assert second["X-API-Cache"] == "hit"
    assert second.content == first.content


def test_cache_control_no_cache_computes_the_response_afresh(seeded, api):
    api.get(f"{API}actions/")
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{API}actions/", **FRESH)
    assert response["X-API-Cache"] == "miss"
    assert len(queries) > 0
    assert response.json()["count"] == 68


def test_a_token_holder_s_read_is_never_served_from_the_cache(seeded, api, django_user_model):
    user = django_user_model.objects.create_user(username="reader", password="not-used")
    holder = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    api.get(STATUS)
    assert holder.get(STATUS)["X-API-Cache"] == "miss"


@pytest.mark.django_db(transaction=True)  # the data version moves when a write commits
def test_a_cached_response_is_not_served_after_the_data_changes(seeded, api):
    assert api.get(STATUS).json()["instruments_deposited"] == 0
    assert api.get(STATUS)["X-API-Cache"] == "hit"
    treaty = seeded
    record_action(treaty=treaty, participant=Participant.objects.get(name="Austria"), kind="ratification",
                  date=date(2026, 6, 1))  # fmt: skip
    response = api.get(STATUS)
    assert response["X-API-Cache"] == "miss"
    assert response.json()["instruments_deposited"] == 1


def test_a_future_if_modified_since_on_an_unknown_path_is_a_404_not_a_304(seeded, api):
    future = http_date(parse_http_date(api.get(STATUS)["Last-Modified"]) + 365 * 24 * 60 * 60)
    assert api.get(STATUS, HTTP_IF_MODIFIED_SINCE=future).status_code == 304
    response = api.get(f"{API}treaties/no-such-treaty/status/", HTTP_IF_MODIFIED_SINCE=future)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_an_error_is_neither_stored_nor_answered_304(seeded, api):
    first = api.get(STATUS, {"as_of": "yesterday"})
    assert first.status_code == 400
    assert "X-API-Cache" not in first and "ETag" not in first
    again = api.get(STATUS, {"as_of": "yesterday"}, HTTP_IF_MODIFIED_SINCE=http_date(4102444800))
    assert again.status_code == 400


def test_the_browsable_api_page_is_not_stored(seeded, api):
    response = api.get(f"{API}treaties/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "X-API-Cache" not in response
    assert api.get(f"{API}treaties/", HTTP_ACCEPT="text/html").get("X-API-Cache") is None


def test_the_same_url_asked_as_json_and_as_csv_gets_each_its_own(seeded, api):
    assert api.get(f"{API}treaties/").json()["results"][0]["slug"] == "hanoi-convention"
    csv = api.get(f"{API}treaties/", HTTP_ACCEPT="text/csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert b"".join(csv.streaming_content).startswith(b"slug,short_title")
    again = api.get(f"{API}treaties/")
    assert again["X-API-Cache"] == "hit"
    assert again.json()["results"][0]["slug"] == "hanoi-convention"


def test_pagination_links_name_the_host_that_was_asked(seeded, api):
    for host in ("localhost", "127.0.0.1"):
        response = api.get(f"{API}participants/", {"page_size": 10}, HTTP_HOST=host)
        assert response.json()["next"].startswith(f"http://{host}/api/v1/participants/")


def test_the_store_keeps_at_most_its_size_in_memory_dropping_the_least_used():
    store = ResponseStore("tracker:test", local_bytes=8 * 100)
    for name in "abcdefghi":
        store.put(name, "v1", name.encode() * 100, "application/json")
    assert store.get("i", "v1") == (b"i" * 100, "application/json")
    assert sorted(store._entries) == list("bcdefghi")  # "a" was dropped when "i" came in
    store.get("b", "v1")
    store.put("j", "v1", b"j" * 100, "application/json")
    assert "b" in store._entries and "c" not in store._entries
    assert store.get("c", "v1") == (b"c" * 100, "application/json")  # still in the shared cache
    assert store.get("c", "v2") is None  # rendered from another version of the data


def test_an_unusual_accept_header_is_answered_but_never_stored(seeded, api):
    for _ in range(2):
        response = api.get(STATUS, HTTP_ACCEPT="application/json; indent=2")
        assert response.status_code == 200
        assert response.content.startswith(b'{\n  "treaty"')
        assert "X-API-Cache" not in response
    plain = api.get(STATUS, HTTP_ACCEPT="application/json")
    assert plain["X-API-Cache"] == "miss"  # the indented copy was not stored in its place
    assert not plain.content.startswith(b"{\n")
    assert api.get(STATUS, HTTP_ACCEPT="*/*")["X-API-Cache"] == "hit"  # the same JSON
