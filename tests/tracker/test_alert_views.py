"""Subscribing with double opt-in, managing preferences and one-click unsubscribe."""

import re

import pytest
from django.core import mail
from django.test import Client

from tracker.alerts.emails import unsubscribe_token
from tracker.alerts.models import Subscription

pytestmark = pytest.mark.django_db


def link(message, path: str) -> str:
    return re.search(rf"http://[^/\s]+(/alerts/{path}/[^/\s]+/)", message.body).group(1)


def test_subscribing_mails_a_confirmation_link_and_confirming_takes_a_post(client, seeded):
    response = client.post("/alerts/subscribe/", {"email": "Reader@Example.org", "treaty": "hanoi-convention"})
    assert "Check your inbox" in response.content.decode()
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.confirmed_at, subscription.kinds) == (
        "reader@example.org", None, ["threshold", "entry_into_force", "deadline", "participant"],
    )  # fmt: skip
    [message] = mail.outbox
    confirm = link(message, "confirm")
    assert "Confirm alerts for reader@example.org" in client.get(confirm).content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None  # a GET (a mail scanner) confirms nothing
    assert "Confirmed" in client.post(confirm).content.decode()
    subscription.refresh_from_db()
    assert subscription.active


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(client, seeded):
    first = client.post("/alerts/subscribe/", {"email": "known@example.org", "treaty": "hanoi-convention"})
    Subscription.objects.update(confirmed_at="2026-11-01T00:00:00Z")
    again = client.post("/alerts/subscribe/", {"email": "known@example.org", "treaty": "hanoi-convention"})
    other = client.post("/alerts/subscribe/", {"email": "other@example.org", "treaty": "hanoi-convention"})
    def strip(response):
        return response.content.decode().replace("known@example.org", "X").replace("other@example.org", "X")
    assert strip(first) == strip(again) == strip(other)
    assert len(mail.outbox) == 2  # a confirmed address is not mailed again


def test_choosing_kinds_and_following_a_participant(client, seeded):
    client.post(
        "/alerts/subscribe/",
        {"email": "a@example.org", "treaty": "hanoi-convention", "participant": "AUT", "wants_participant": "on"},
    )
    subscription = Subscription.objects.get()
    assert subscription.participant.name == "Austria"
    assert subscription.kinds == ["participant"]


def test_a_bad_request_shows_the_form_with_its_errors(client, seeded):
    response = client.post("/alerts/subscribe/", {"email": "not-an-address", "treaty": "no-such-treaty"})
    html = response.content.decode()
    assert "Enter a valid email address." in html and "No treaty is tracked under that name." in html
    assert not Subscription.objects.exists()


def test_the_form_is_rate_limited(client, seeded):
    for _ in range(10):
        client.post("/alerts/subscribe/", {"email": "a@example.org", "treaty": "hanoi-convention"})
    assert client.post("/alerts/subscribe/", {"email": "a@example.org", "treaty": "hanoi-convention"}).status_code == 429


def test_a_confirmation_link_expires_after_seven_days(client, seeded, time_machine):
    client.post("/alerts/subscribe/", {"email": "late@example.org", "treaty": "hanoi-convention"})
    confirm = link(mail.outbox[0], "confirm")
    time_machine.move_to("2026-12-01T12:00:00+00:00")
    assert client.post(confirm).status_code == 404
    assert Subscription.objects.get().confirmed_at is None


def test_one_click_unsubscribe_works_without_a_form(seeded):
    subscription = Subscription.objects.create(email="a@example.org", treaty=seeded, confirmed_at="2026-11-01T00:00:00Z")
    client = Client(enforce_csrf_checks=True)  # as a mail client would post it
    response = client.post(
        f"/alerts/unsubscribe/{unsubscribe_token(subscription)}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert not subscription.active


def test_a_tampered_link_is_refused(client, seeded):
    subscription = Subscription.objects.create(email="a@example.org", treaty=seeded, confirmed_at="2026-11-01T00:00:00Z")
    token = unsubscribe_token(subscription)
    assert client.post(f"/alerts/unsubscribe/{token[:-2]}xx/").status_code == 404
    subscription.refresh_from_db()
    assert subscription.active


def test_preferences_can_be_changed_from_the_emails_link(client, seeded):
    subscription = Subscription.objects.create(email="a@example.org", treaty=seeded, confirmed_at="2026-11-01T00:00:00Z")
    url = f"/alerts/manage/{unsubscribe_token(subscription)}/"
    assert client.post(url, {"wants_deadline": "on"}).status_code == 200
    subscription.refresh_from_db()
    assert subscription.kinds == ["deadline"]
