"""Subscribing never depends on the mail server, and nobody can flood an inbox through the form.

The confirmation email is a Celery task queued once the request commits. Where a test
looks at the queue, it reads the real broker (Redis); elsewhere the task runs eagerly,
in this process, when the request's on-commit callbacks run.
"""

import base64
import json
import logging
import socket
from datetime import datetime, timedelta
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery import app
from tests.conftest import NEW_YORK
from tracker import counters
from tracker.alerts import subscriptions
from tracker.alerts.models import Subscription
from tracker.alerts.tasks import send_confirmation

pytestmark = pytest.mark.django_db

HANOI = {"treaty": "hanoi-convention"}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST the subscribe form and run what its commit queues."""

    def send(data: dict, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/alerts/subscribe/", data, **headers)

    return send


@pytest.fixture
def smtp_down(settings):
    """Email goes over SMTP to a port of this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


def queued(task_name: str) -> list[list]:
    """The arguments of the messages for ``task_name`` waiting in the broker's default queue."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    found = []
    for raw in broker.lrange("celery", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == task_name:
            found.append(json.loads(base64.b64decode(message["body"]))[0])
    return found


def page(response) -> str:
    return response.content.decode().replace("victim@example.org", "X").replace("Victim@Example.org", "X")


def test_with_the_mail_server_down_subscribing_answers_and_queues_the_confirmation(post, seeded, smtp_down):
    app.control.purge()
    response = post({"email": "reader@example.org"} | HANOI)
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    subscription = Subscription.objects.get()
    assert queued("tracker.alerts.tasks.send_confirmation") == [[subscription.pk]]
    app.control.purge()


def test_the_confirmation_is_retried_while_the_mail_server_is_down_and_counted_once(seeded, smtp_down):
    subscription_id = subscriptions.subscribe("reader@example.org", seeded)
    result = send_confirmation.apply(args=[subscription_id])  # eagerly, with every retry at once
    assert result.failed() and isinstance(result.result, ConnectionRefusedError)
    assert counters.get(subscriptions.recipient_key("reader@example.org")) == 1  # five attempts, one email


def test_a_broker_that_cannot_be_reached_is_logged_and_the_request_answered(post, seeded, caplog):
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(send_confirmation, "apply_async", side_effect=refused) as queue:
        with caplog.at_level(logging.ERROR, logger="tracker.alerts.subscriptions"):
            response = post({"email": "reader@example.org"} | HANOI)
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert queue.call_count == 1
    assert "could not queue the confirmation email" in caplog.text


def test_a_fourth_request_for_one_address_in_a_day_sends_no_email_and_reads_the_same(
    post, seeded, eager_tasks, time_machine
):
    answers = [post({"email": email} | HANOI) for email in
               ("victim@example.org", "Victim@Example.org", "victim@example.org", "victim@example.org")]  # fmt: skip
    assert len(mail.outbox) == 3
    assert {r.status_code for r in answers} == {200} and len({page(r) for r in answers}) == 1
    post({"email": "someone-else@example.org"} | HANOI)
    assert mail.outbox[-1].to == ["someone-else@example.org"]  # another address has its own count
    time_machine.move_to(datetime(2026, 11, 23, 12, tzinfo=NEW_YORK), tick=False)
    post({"email": "victim@example.org"} | HANOI)
    assert len(mail.outbox) == 5 and mail.outbox[-1].to == ["victim@example.org"]  # a new day


def test_behind_a_proxy_each_client_address_has_its_own_hourly_limit(post, seeded, settings):
    settings.BEHIND_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request comes through the proxy
    for n in range(10):
        response = post({"email": f"a{n}@example.org"} | HANOI, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5", **proxy)
        assert response.status_code == 200
    assert post({"email": "b@example.org"} | HANOI, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    assert post({"email": "c@example.org"} | HANOI, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200


def test_without_a_proxy_a_forged_forwarded_for_header_gets_no_limit_of_its_own(post, seeded, settings):
    settings.BEHIND_PROXY = False
    for n in range(10):
        post({"email": f"a{n}@example.org"} | HANOI, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert post({"email": "b@example.org"} | HANOI, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_the_hourly_limit_of_an_origin_starts_again_the_next_hour(post, seeded, time_machine):
    for n in range(11):
        post({"email": f"a{n}@example.org"} | HANOI)
    assert post({"email": "b@example.org"} | HANOI).status_code == 429
    time_machine.move_to(datetime(2026, 11, 22, 13, 0, 1, tzinfo=NEW_YORK), tick=False)
    assert post({"email": "b@example.org"} | HANOI).status_code == 200


def statements(email: str, treaty) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        subscriptions.subscribe(email, treaty)
    return [query["sql"].split()[0] for query in captured.captured_queries]


def test_a_request_runs_the_same_statements_whether_or_not_the_address_is_known(seeded):
    new = statements("new@example.org", seeded)
    unconfirmed = statements("new@example.org", seeded)
    Subscription.objects.filter(email="new@example.org").update(confirmed_at=timezone.now())
    confirmed = statements("new@example.org", seeded)
    assert new == unconfirmed == confirmed
    assert [s for s in new if s in ("INSERT", "UPDATE", "SELECT")] == ["INSERT", "UPDATE", "SELECT"]
    assert Subscription.objects.get().active  # the confirmed subscription was left as it was


def test_a_confirmed_address_is_sent_nothing_and_counts_nothing(seeded):
    subscription = Subscription.objects.create(email="known@example.org", treaty=seeded, confirmed_at=timezone.now())
    assert subscriptions.send_confirmation(subscription.pk) == "confirmed"
    assert mail.outbox == [] and counters.get(subscriptions.recipient_key("known@example.org")) == 0


def test_an_unsubscribed_address_that_asks_again_confirms_again_with_the_kinds_now_chosen(seeded):
    gone = Subscription.objects.create(
        email="back@example.org", treaty=seeded, confirmed_at=timezone.now() - timedelta(days=30),
        unsubscribed_at=timezone.now() - timedelta(days=20),
    )  # fmt: skip
    kinds = {"wants_threshold": False, "wants_entry_into_force": True, "wants_deadline": False, "wants_participant": False}
    assert subscriptions.subscribe("Back@Example.org ", seeded, kinds=kinds) == gone.pk
    gone.refresh_from_db()
    assert (gone.confirmed_at, gone.unsubscribed_at, gone.kinds) == (None, None, ["entry_into_force"])
    assert subscriptions.send_confirmation(gone.pk) == "sent"
    assert mail.outbox[0].to == ["back@example.org"]


def test_a_subscription_request_nobody_confirmed_is_deleted_after_a_week(seeded, time_machine):
    subscriptions.subscribe("late@example.org", seeded)
    Subscription.objects.create(email="kept@example.org", treaty=seeded, confirmed_at=timezone.now())
    time_machine.move_to(datetime(2026, 11, 29, 11, tzinfo=NEW_YORK), tick=False)
    assert subscriptions.expire_unconfirmed() == 0  # not quite seven days
    time_machine.move_to(datetime(2026, 11, 29, 13, tzinfo=NEW_YORK), tick=False)
    assert subscriptions.expire_unconfirmed() == 1
    assert list(Subscription.objects.values_list("email", flat=True)) == ["kept@example.org"]
