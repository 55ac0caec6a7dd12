"""Alerts recorded once, fanned out once, each email sent once, failures recorded.

The deposits here are made up for the tests; the treaty and participants are seeded.
"""

import smtplib
import threading
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from signatories.models import Participant
from signatories.services import record_action
from tracker.alerts import services
from tracker.alerts.models import Alert, Delivery, DeliveryAttempt, Subscription
from tracker.rules import ActionKind

pytestmark = pytest.mark.django_db


def subscribe(treaty, email: str, participant=None, **wants) -> Subscription:
    return Subscription.objects.create(
        email=email, treaty=treaty, participant=participant, confirmed_at=timezone.now() - timedelta(days=1), **wants
    )


def deposit_many(treaty, count: int, day: date) -> None:
    """Made-up ratifications by the first ``count`` seeded signatories (not the EU)."""
    signatories = Participant.objects.filter(actions__treaty=treaty, kind="state").order_by("name")[:count]
    for participant in signatories:
        record_action(treaty=treaty, participant=participant, kind=ActionKind.RATIFICATION, date=day)


def send_all() -> dict:
    totals = {"sent": 0, "retry": 0, "failed": 0, "lost": 0}
    while claim := services.claim_deliveries():
        for key, value in services.send_batch(claim).items():
            totals[key] += value
    return totals


def test_a_check_run_twice_records_each_alert_once(seeded):
    deposit_many(seeded, 12, date(2026, 11, 20))
    first = services.check_treaty(seeded, date(2026, 11, 22))
    second = services.check_treaty(seeded, date(2026, 11, 22))
    assert first.sent == ["threshold:10"]
    assert second.sent == [] and second.suppressed == []
    assert Alert.objects.filter(key="threshold:10").count() == 1


def test_importing_35_deposits_at_once_sends_35_of_40_not_four_emails(seeded):
    subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 35, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    assert send_all()["sent"] == 1
    [message] = mail.outbox
    assert message.subject == "Hanoi Convention: 35 of 40 instruments deposited, 5 to go"
    suppressed = set(Alert.objects.filter(state="suppressed").values_list("key", flat=True))
    assert {"threshold:10", "threshold:20", "threshold:30"} <= suppressed


def test_each_recipient_gets_each_alert_once_however_often_the_check_runs(seeded):
    for n in range(3):
        subscribe(seeded, f"reader{n}@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    for _ in range(3):
        services.run_checks(lambda treaty: date(2026, 11, 22))
        send_all()
    assert sorted(m.to[0] for m in mail.outbox) == ["reader0@example.org", "reader1@example.org", "reader2@example.org"]
    assert Delivery.objects.filter(status="sent").count() == 3


def test_only_one_fan_out_wins(seeded):
    subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.check_treaty(seeded, date(2026, 11, 22))
    alert = Alert.objects.get(key="threshold:10")
    assert (services.fan_out(alert.pk), services.fan_out(alert.pk)) == (1, 0)


def test_an_alert_email_has_text_html_and_one_click_unsubscribe(seeded):
    subscription = subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    send_all()
    [message] = mail.outbox
    delivery = Delivery.objects.get()
    assert message.extra_headers["Message-ID"] == delivery.message_id
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http") and "/alerts/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert "10 of the 40 instruments" in message.body and "/treaties/hanoi-convention/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>10 of 40</strong>" in html
    assert subscription.email in message.to


def test_subscribers_get_only_the_kinds_they_chose(seeded):
    subscribe(seeded, "deadlines@example.org", wants_threshold=False)
    subscribe(seeded, "all@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    send_all()
    assert [m.to[0] for m in mail.outbox] == ["all@example.org"]


def test_unconfirmed_and_unsubscribed_addresses_get_nothing(seeded):
    Subscription.objects.create(email="new@example.org", treaty=seeded)
    gone = subscribe(seeded, "gone@example.org")
    gone.unsubscribed_at = timezone.now()
    gone.save()
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    assert send_all()["sent"] == 0


def test_a_follower_hears_of_its_participants_new_action_but_not_of_the_past(seeded, time_machine):
    austria = Participant.objects.get(name="Austria")
    Subscription.objects.create(email="vienna@example.org", treaty=seeded, participant=austria, confirmed_at=timezone.now())
    services.run_checks(lambda treaty: date(2026, 11, 22))
    assert send_all()["sent"] == 0  # Austria's signature was recorded before the subscription
    time_machine.move_to("2026-11-22T18:00:00+00:00")
    record_action(treaty=seeded, participant=austria, kind=ActionKind.RATIFICATION, date=date(2026, 11, 21))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    send_all()
    [message] = mail.outbox
    assert message.subject == "Hanoi Convention: Austria deposited its instrument of ratification (2026-11-21)"


def test_a_transient_smtp_error_is_retried_later_and_a_permanent_one_recorded(seeded):
    subscribe(seeded, "flaky@example.org")
    subscribe(seeded, "refused@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))

    def fail(message):
        if message.to == ["flaky@example.org"]:
            raise smtplib.SMTPServerDisconnected("connection lost")
        raise smtplib.SMTPRecipientsRefused({"refused@example.org": (550, b"no such user")})

    with mock.patch("django.core.mail.EmailMessage.send", autospec=True, side_effect=fail):
        assert services.send_batch(services.claim_deliveries()) == {"sent": 0, "retry": 1, "failed": 1, "lost": 0}
    flaky = Delivery.objects.get(subscription__email="flaky@example.org")
    assert flaky.status == "pending" and flaky.not_before > timezone.now() and "connection lost" in flaky.error
    refused = Delivery.objects.get(subscription__email="refused@example.org")
    assert refused.status == "failed" and "no such user" in refused.error
    [final] = refused.failed_attempts.all()
    assert "no such user" in final.error and final.retry_at is None
    assert not services.claim_deliveries()  # the retry waits for its backoff
    [attempt] = DeliveryAttempt.objects.filter(delivery=flaky)
    assert attempt.number == 1 and "connection lost" in attempt.error and attempt.retry_at == flaky.not_before


def test_a_delivery_whose_worker_died_is_claimed_again_after_its_lease(seeded):
    subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    first = services.claim_deliveries()  # …and the worker dies before sending
    [claimed] = first.ids
    assert not services.claim_deliveries()  # leased: nobody else takes it
    Delivery.objects.filter(pk=claimed).update(lease_until=timezone.now() - timedelta(seconds=1))
    second = services.claim_deliveries()
    assert second.ids == [claimed] and second.token != first.token
    services.send_batch(second)
    delivery = Delivery.objects.get(pk=claimed)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert mail.outbox[0].extra_headers["Message-ID"] == delivery.message_id


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_get_the_same_delivery(seeded):
    for n in range(300):
        subscribe(seeded, f"reader{n:03}@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    claims: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def worker(number: int) -> None:
        start.wait()
        try:
            while claim := services.claim_deliveries(limit=25):
                claims[number].extend(claim.ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert claims[0] and claims[1], "both workers took part"
    assert not set(claims[0]) & set(claims[1])
    assert len(claims[0]) + len(claims[1]) == 300


def test_check_alerts_command_prints_what_was_due_sent_and_suppressed(seeded, capsys):
    subscribe(seeded, "reader@example.org")
    call_command("check_alerts", "--dry-run")
    out = capsys.readouterr().out
    assert "due: deadline:2026-12-31:T-90, deadline:2026-12-31:T-60" in out
    assert "would send: nothing" in out
    assert not Alert.objects.exists()
    call_command("check_alerts")
    assert "suppressed: deadline:2026-12-31:T-90, deadline:2026-12-31:T-60" in capsys.readouterr().out
    assert Alert.objects.filter(state="suppressed").count() == 2


def test_a_worker_whose_lease_ran_out_sends_nothing_another_worker_claimed(seeded):
    """A slow relay: the first worker's lease ran out in the middle of its batch and a
    second worker claimed the tail; the first sends only what it still holds."""
    for n in range(4):
        subscribe(seeded, f"reader{n}@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    slow = services.claim_deliveries()
    tail = slow.ids[2:]
    Delivery.objects.filter(pk__in=tail).update(lease_until=timezone.now() - timedelta(seconds=1))
    fast = services.claim_deliveries()
    assert fast.ids == tail
    slow.until = timezone.now()  # the lease is as good as gone: the next message renews it first
    assert services.send_batch(slow) == {"sent": 2, "retry": 0, "failed": 0, "lost": 2}
    assert services.send_batch(fast) == {"sent": 2, "retry": 0, "failed": 0, "lost": 0}
    assert sorted(m.to[0] for m in mail.outbox) == [f"reader{n}@example.org" for n in range(4)]


def test_a_lease_is_renewed_while_a_long_batch_is_sent(seeded, settings):
    settings.ALERT_LEASE_SECONDS = 60
    subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    claim = services.claim_deliveries()
    claim.until = timezone.now() + timedelta(seconds=10)  # less than a quarter of the lease left
    assert services.renew(claim) == set(claim.ids)
    assert claim.until > timezone.now() + timedelta(seconds=50)
    assert Delivery.objects.get(pk=claim.ids[0]).lease_until == claim.until


def one_round() -> dict:
    """One claim and send, then the backoff's wait is over (as if time had passed)."""
    outcome = services.send_batch(services.claim_deliveries())
    Delivery.objects.filter(status="pending").update(not_before=timezone.now() - timedelta(seconds=1))
    return outcome


def test_a_success_after_a_failed_attempt_keeps_that_attempt_s_error(seeded):
    subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    refusal = smtplib.SMTPDataError(451, b"4.3.0 Try again later")
    with mock.patch("django.core.mail.EmailMessage.send", autospec=True, side_effect=refusal):
        assert one_round()["retry"] == 1
    assert one_round()["sent"] == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert "451" in delivery.error
    [attempt] = delivery.failed_attempts.all()
    assert attempt.number == 1 and "Try again later" in attempt.error


def test_transient_errors_are_retried_until_the_retry_period_is_over(seeded):
    subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    refusal = smtplib.SMTPRecipientsRefused({"reader@example.org": (450, b"greylisted")})
    with mock.patch("django.core.mail.EmailMessage.send", autospec=True, side_effect=refusal):
        for _ in range(7):  # more attempts than the old fixed limit of five
            assert one_round()["retry"] == 1
        Delivery.objects.update(created_at=timezone.now() - timedelta(days=3))
        assert one_round()["failed"] == 1
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.error.startswith("gave up after 8 attempts")
    assert delivery.failed_attempts.count() == 8
    assert delivery.failed_attempts.last().retry_at is None


def test_the_sweep_fans_out_an_alert_that_a_killed_worker_left_pending(seeded):
    """fan_out is one transaction: a worker killed in it leaves the alert pending, with no
    delivery, for the sweep to fan out whole."""
    subscribe(seeded, "reader@example.org")
    deposit_many(seeded, 10, date(2026, 11, 20))
    services.check_treaty(seeded, date(2026, 11, 22))  # recorded, not fanned out
    assert Alert.objects.filter(key="threshold:10", state="pending").exists()
    from tracker.alerts.tasks import send_deliveries

    send_deliveries()
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]


@pytest.mark.parametrize(
    "error, is_broken",
    [
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPDataError(451, b"4.3.0 Try again later"), False),
        (smtplib.SMTPHeloError(421, b"4.7.0 Too busy"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"greylisted")}), False),
    ],
)
def test_only_a_lost_connection_is_opened_again_a_reply_keeps_it(error, is_broken):
    """smtplib's errors are OSErrors too: a reply on a working connection must not make the
    rest of the batch open a connection per message."""
    assert services.broken(error) is is_broken
