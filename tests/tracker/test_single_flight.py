"""Single flight (tracker.pagecache.ResponseStore.obtain): after a write, a crowd asking for
one page or API response computes it once; the others wait for it or get the previous
version, marked stale, and never once a second has passed since the write.

Real Redis, real threads (each with the Django test client and its own database
connection). The views are slowed down while they run, so that the crowd really arrives
during the build; no test asserts how long anything took.
"""

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import NOON
from tracker import dataversion, pagecache, safe_cache, views, writes
from tracker.api import views as api_views
from tracker.pagecache import ResponseStore

TREATY = "/treaties/hanoi-convention/"
PARTICIPANTS = "/api/v1/participants/"
CROWD = 50
BUILD_SECONDS = 0.3  # how long a counted view takes: the crowd arrives while it runs


class Counted:
    """Wraps ``function``: counts its calls (thread-safely) and makes each take a while."""

    def __init__(self, function, pause: float = BUILD_SECONDS):
        self.function, self.pause, self.calls = function, pause, 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.calls += 1
        time.sleep(self.pause)
        return self.function(*args, **kwargs)


WRITERS = itertools.cycle(["Austria", "Belgium", "Chile", "Denmark"])  # made-up deposits, one per write


def write() -> None:
    """A write that changes the pages: a made-up ratification, through the service."""
    from signatories.models import Participant
    from signatories.services import record_action
    from tracker.models import Treaty

    participant = Participant.objects.get(name=next(WRITERS))
    record_action(treaty=Treaty.objects.get(slug="hanoi-convention"), participant=participant,
                  kind="ratification", date=date(2026, 6, 1))  # fmt: skip


def crowd(make_client, path: str, size: int = CROWD) -> list:
    """``size`` GETs of ``path`` at once, each from its own thread and test client."""
    start = threading.Barrier(size, timeout=30)

    def one(_):
        try:
            client = make_client()
            start.wait()
            return client.get(path)
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(size) as pool:
        return list(pool.map(one, range(size)))


def states(responses, header: str) -> list[str]:
    return sorted(response.get(header, "-") for response in responses)


@pytest.fixture
def counted_page(monkeypatch):
    counted = Counted(views.headline)
    monkeypatch.setattr(views, "headline", counted)
    return counted


@pytest.fixture
def counted_list(monkeypatch, settings):
    settings.API_ANON_RATE = "100000/minute"  # the crowd comes from one address
    counted = Counted(api_views.participant_values)
    monkeypatch.setattr(api_views, "participant_values", counted)
    return counted


@pytest.mark.django_db(transaction=True)
def test_fifty_requests_at_once_after_a_write_compute_the_treaty_page_once(seeded, counted_page):
    before = Client().get(TREATY)
    write()
    counted_page.calls = 0
    responses = crowd(Client, TREATY)
    assert counted_page.calls == 1
    assert all(response.status_code == 200 for response in responses)
    assert states(responses, "X-Page-Cache").count("miss") == 1
    assert set(states(responses, "X-Page-Cache")) <= {"miss", "hit", "stale"}
    fresh = next(response for response in responses if response["X-Page-Cache"] == "miss")
    for response in responses:
        expected = before.content if response["X-Page-Cache"] == "stale" else fresh.content
        assert response.content == expected


@pytest.mark.django_db(transaction=True)
def test_fifty_requests_at_once_after_a_write_compute_an_api_list_once(seeded, counted_list):
    before = APIClient().get(PARTICIPANTS)
    write()
    counted_list.calls = 0
    responses = crowd(APIClient, PARTICIPANTS)
    assert counted_list.calls == 1
    assert all(response.status_code == 200 for response in responses)
    assert states(responses, "X-API-Cache").count("miss") == 1
    for response in responses:
        if response["X-API-Cache"] == "stale":  # the old body keeps its own validators
            assert (response.content, response["ETag"]) == (before.content, before["ETag"])
        else:
            assert response["ETag"] != before["ETag"]


@pytest.mark.django_db(transaction=True)
def test_with_single_flight_off_every_request_of_the_crowd_computes(seeded, counted_page, settings):
    """The old behaviour, kept for the benchmark: what single flight saves."""
    settings.PAGE_SINGLE_FLIGHT = "false"
    Client().get(TREATY)
    write()
    counted_page.calls = 0
    crowd(Client, TREATY, size=10)
    assert counted_page.calls > 1


def stored_then_written(client) -> tuple[bytes, str, str]:
    """The treaty page stored, then a write: the old body, its key, the new version."""
    body = client.get(TREATY).content
    write()
    return body, pagecache.pages.key(TREATY), dataversion.current_version()


@pytest.mark.django_db(transaction=True)
def test_while_another_process_builds_the_page_a_request_within_a_second_gets_the_old_one_marked_stale(
    seeded, client, counted_page
):
    old, key, version = stored_then_written(client)
    assert safe_cache.claim(pagecache.pages.flight(key, version), 5)  # another process builds it
    counted_page.calls = 0
    with time_machine.travel(NOON + timedelta(seconds=0.5), tick=False):
        response = client.get(TREATY)
    assert response["X-Page-Cache"] == "stale"
    assert response.content == old
    assert 0 <= float(response["X-Stale-Age"]) < 1
    assert counted_page.calls == 0


@pytest.mark.django_db(transaction=True)
def test_a_second_after_the_write_a_request_waits_for_the_builder_and_never_gets_the_old_page(
    seeded, client, counted_page, monkeypatch
):
    old, key, version = stored_then_written(client)
    monkeypatch.setattr(pagecache, "WAIT_SECONDS", 0.5)
    assert safe_cache.claim(pagecache.pages.flight(key, version), 60)  # a builder that hangs
    counted_page.calls = 0
    with time_machine.travel(NOON + timedelta(seconds=1), tick=False):
        response = client.get(TREATY)
    assert response["X-Page-Cache"] == "miss"  # waited, then computed it itself
    assert response.content != old
    assert counted_page.calls == 1


@pytest.mark.django_db(transaction=True)
def test_a_response_two_writes_old_is_never_served_stale(seeded, client, counted_page, monkeypatch):
    old = client.get(TREATY).content
    write()
    write()
    key, version = pagecache.pages.key(TREATY), dataversion.current_version()
    monkeypatch.setattr(pagecache, "WAIT_SECONDS", 0.5)
    assert safe_cache.claim(pagecache.pages.flight(key, version), 60)
    response = client.get(TREATY)  # the clock is pinned: the last write was just now
    assert response["X-Page-Cache"] == "miss"
    assert response.content != old


@pytest.mark.django_db(transaction=True)
def test_a_process_behind_on_the_version_serves_the_newer_stored_response_rather_than_compute_again(
    seeded, client, counted_page
):
    old_version = dataversion.current_version()
    write()
    fresh = client.get(TREATY)  # built and stored by "another process" for the new version
    dataversion._version = (old_version, time.monotonic())  # this one has not re-read it yet
    counted_page.calls = 0
    response = client.get(TREATY)
    assert response["X-Page-Cache"] == "hit"
    assert response.content == fresh.content
    assert counted_page.calls == 0


def test_two_processes_sharing_redis_build_a_response_once():
    """Two stores, as two processes have (each its own memory and threads), one Redis."""
    stores = [ResponseStore("tracker:test-flight", 1 << 20) for _ in range(2)]
    build = Counted(lambda: (built_response(), True))
    start = threading.Barrier(40, timeout=30)

    def one(number):
        start.wait()
        return stores[number % 2].obtain("tracker:test-flight:k", "a" * 32 + ":1.000", build).state

    with ThreadPoolExecutor(40) as pool:
        served = list(pool.map(one, range(40)))
    assert build.calls == 1
    assert sorted(set(served)) == ["hit", "miss"]
    assert served.count("miss") == 1


def test_a_builder_that_crashed_blocks_the_others_only_until_its_claim_expires(monkeypatch):
    store = ResponseStore("tracker:test-flight", 1 << 20)
    key, version = "tracker:test-flight:k", "b" * 32 + ":1.000"
    monkeypatch.setattr(pagecache, "WAIT_SECONDS", 30)
    assert safe_cache.claim(store.flight(key, version), 0.2)  # then the process died
    build = Counted(lambda: (built_response(), True), pause=0)
    assert store.obtain(key, version, build).state == "miss"
    assert build.calls == 1


def test_a_cache_that_fails_computes_without_a_claim_rather_than_failing(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # fmt: skip  (nothing listens)
    store = ResponseStore("tracker:test-flight", 1 << 20)
    build = Counted(lambda: (built_response(), True), pause=0)
    served = store.obtain("tracker:test-flight:k", "c" * 32 + ":1.000", build)
    assert (served.state, served.body, build.calls) == ("miss", b"built", 1)


@pytest.mark.django_db(transaction=True)
def test_on_the_database_cache_a_claim_is_held_by_one_until_released(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "tracker_cache"}}  # fmt: skip  (the embedded default)
    call_command("createcachetable", verbosity=0)
    token = safe_cache.claim("tracker:flight:db", 5)
    assert token
    assert safe_cache.claim("tracker:flight:db", 5) is False
    assert safe_cache.held("tracker:flight:db") is True
    safe_cache.release("tracker:flight:db", "another's token")
    assert safe_cache.claim("tracker:flight:db", 5) is False
    safe_cache.release("tracker:flight:db", token)
    assert safe_cache.claim("tracker:flight:db", 5)


def test_a_version_follows_only_the_one_it_replaced(db):
    first = dataversion.data_version()
    with transaction.atomic():
        writes.data_changed()
    second = dataversion.data_version()
    with transaction.atomic():
        writes.data_changed()
    third = dataversion.data_version()
    assert dataversion.follows(second, first) and dataversion.follows(third, second)
    assert not dataversion.follows(third, first)
    assert not dataversion.follows(first, second)


def built_response():
    from django.http import HttpResponse

    return HttpResponse(b"built", content_type="text/plain")

