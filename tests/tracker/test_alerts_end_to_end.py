"""Alerts end to end: a real Celery worker on the real Redis sends through a real SMTP
server process (aiosmtpd, with the handler in tests/smtp_sink.py) that the test starts.

The deposits recorded here are made up for the tests; the treaty, its signatories and
their signatures come from the seed. The worker runs on the real clock, so the made-up
deposits are dated in the past, and the subscriber asks for threshold milestones only:
deadline notices become due or not depending on the day the suite runs.

Nothing here is skipped: without Redis, PostgreSQL or aiosmtpd the tests fail.
"""

import re
import time
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from signatories.models import Participant
from signatories.services import record_action
from tests.alert_harness import FAST, harness  # noqa: F401 (the fixture)
from tracker.alerts import services
from tracker.alerts.emails import UNSUBSCRIBE_SALT, read_token
from tracker.alerts.models import Delivery, Subscription
from tracker.alerts.tasks import check_alerts
from tracker.models import Treaty
from tracker.rules import ActionKind
from tracker.services import seed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SUBJECT = "Hanoi Convention: 10 of 40 instruments deposited, 30 to go"
# The "10" milestone sent after an eleventh instrument was recorded: the email gives the
# count when it is sent.
SUBJECT_AFTER_ELEVENTH = "Hanoi Convention: 11 of 40 instruments deposited, 29 to go"
READER = "reader@example.org"


def hanoi_with_ten_made_up_deposits() -> tuple[Treaty, Subscription]:
    """The seed, one confirmed subscriber, and ten made-up ratifications by seeded signatories."""
    seed()  # the real clock: the seed's dates all lie in the past
    treaty = Treaty.objects.get(slug="hanoi-convention")
    subscription = Subscription.objects.create(
        email=READER, treaty=treaty, confirmed_at=timezone.now() - timedelta(days=1),
        wants_deadline=False, wants_entry_into_force=False, wants_participant=False,
    )  # fmt: skip
    signatories = Participant.objects.filter(actions__treaty=treaty, kind="state").order_by("name")[:10]
    for participant in signatories:
        record_action(treaty=treaty, participant=participant, kind=ActionKind.RATIFICATION, date=date(2026, 11, 20))
    return treaty, subscription


def test_a_worker_sends_the_alert_through_a_real_smtp_server_exactly_once(harness, client):
    sink = harness.sink
    treaty, subscription = hanoi_with_ten_made_up_deposits()
    deposited = Participant.objects.filter(actions__treaty=treaty, actions__kind="ratification")
    ten = list(deposited.order_by("name").values_list("name", flat=True))
    # The check records "10 of 40" (as the one the tenth deposit queued would), then an
    # eleventh instrument is recorded before any worker sends the alert. (Deadline notices
    # may be due too, depending on the day; the reader does not want them.)
    assert "threshold:10" in services.check_treaty(treaty, treaty.local_date()).sent
    eleventh = Participant.objects.filter(actions__treaty=treaty, kind="state").exclude(name__in=ten).order_by("name")[0]
    record_action(treaty=treaty, participant=eleventh, kind=ActionKind.RATIFICATION, date=date(2026, 11, 21))

    with harness.logs_on_failure():
        worker = harness.start_worker()
        check_alerts.delay()
        harness.wait_until(lambda: sink.messages(), 60, "the alert to reach the SMTP server")
        harness.wait_until(
            lambda: Delivery.objects.filter(status=Delivery.Status.SENT).exists(), 30, "the delivery to be recorded as sent"
        )
        [message] = sink.messages()
        delivery = Delivery.objects.get()
        assert delivery.subscription_id == subscription.pk
        assert (delivery.status, delivery.attempts) == ("sent", 1)
        assert message["To"] == READER
        assert message["Subject"] == SUBJECT_AFTER_ELEVENTH
        assert message["Message-ID"] == delivery.message_id
        # The header is folded after its name; unfolded, it is the signed link of this subscription.
        unsubscribe = re.fullmatch(r"<(http\S+/alerts/unsubscribe/([^/]+)/)>", message["List-Unsubscribe"].strip())
        assert unsubscribe, message["List-Unsubscribe"]
        assert unsubscribe[1].startswith(f"{settings.SITE_URL}/alerts/unsubscribe/")
        assert read_token(unsubscribe[2], UNSUBSCRIBE_SALT) == {"s": subscription.pk, "e": READER}
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        html = message.get_body(preferencelist=("html",)).get_content()
        today = treaty.local_date().isoformat()
        assert f"11 of the 40 instruments of ratification, acceptance, approval or accession needed for the Hanoi " \
               f"Convention to enter into force have been deposited (as of {today}); this alert was recorded when " \
               f"the count reached 10." in " ".join(text.split())  # fmt: skip
        assert "29 more are needed." in text and "<strong>11 of 40</strong>" in html and "29 more are needed." in html
        # Who deposited since the previous alert (none before: all ten), as the check found it.
        listed = re.findall(r"^- (.+): ratification, (\S+)$", text, re.MULTILINE)
        assert listed == [(name, "2026-11-20") for name in ten]
        assert eleventh.name not in text
        assert html.count("<li>") == 10
        assert "/treaties/hanoi-convention/" in text
        # Preferences and one-click unsubscribe, in the text and the HTML, and both work.
        manage = re.search(r"^Choose which alerts you receive: (\S+)$", text, re.MULTILINE)[1]
        assert manage == unsubscribe[1].replace("/unsubscribe/", "/manage/")
        assert f"Unsubscribe at once: {unsubscribe[1]}" in text
        assert f'href="{manage}"' in html and f'href="{unsubscribe[1]}"' in html
        assert client.get(manage.removeprefix(settings.SITE_URL)).status_code == 200

        # The check again (as beat would run it): the worker runs it and the send it queues,
        # and nothing more is sent.
        again = check_alerts.delay()
        harness.wait_until(lambda: worker.succeeded(again.id), 60, "the second check to run")
        harness.wait_until(
            lambda: worker.finished("tracker.alerts.tasks.send_deliveries") == 2, 60, "the second send to run"
        )
        assert len(sink.messages()) == 1
        assert Delivery.objects.count() == 1


def test_a_worker_killed_in_the_middle_of_a_delivery_leaves_it_to_be_sent_exactly_once(harness):
    """Nothing is done by hand: the workers and beat run with a short lease and sweep
    (tests.alert_harness.FAST: 3 s and 1 s), and the lease of the killed worker's delivery
    runs out by itself before the sweep of a second worker claims it again."""
    sink = harness.sink
    lease, sweep = int(FAST["ALERT_LEASE_SECONDS"]), int(FAST["ALERT_SWEEP_SECONDS"])
    hanoi_with_ten_made_up_deposits()
    sink.stall(30)  # the server holds its answer to DATA: the worker is caught mid-delivery

    with harness.logs_on_failure():
        first = harness.start_worker(**FAST)
        check_alerts.delay()
        harness.wait_until(
            lambda: Delivery.objects.filter(status=Delivery.Status.SENDING).exists() and sink.events("data"),
            60,
            "the delivery to be claimed and its message to be in DATA",
        )
        harness.kill(first)  # SIGKILL
        killed = time.monotonic()
        # Its unacknowledged send_deliveries stays in Redis until the visibility timeout (ten
        # minutes); the sweep does not wait for it.
        harness.wait_until(lambda: sink.events("abandoned"), 10, "the server to see the sender hang up")
        assert sink.messages() == [], "no message is accepted without its answer"
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("sending", 1)
        held_until = delivery.lease_until

        sink.unstall()
        harness.start_worker(purge=False, **FAST)
        harness.start_beat(**FAST)  # its sweep claims the delivery once the lease ran out
        harness.wait_until(
            lambda: Delivery.objects.filter(status=Delivery.Status.SENT).exists(), 60, "the delivery to be sent again"
        )
        resent = time.monotonic() - killed
        [message] = sink.messages()
        delivery.refresh_from_db()
        assert message["Message-ID"] == delivery.message_id
        assert message["To"] == READER and message["Subject"] == SUBJECT
        assert (delivery.status, delivery.attempts) == ("sent", 2)
        assert delivery.sent_at >= held_until, "claimed again only once the lease had run out"
        assert len(sink.events("stored")) == 1
        # Lease + sweep, and the time to start a worker and beat on a loaded machine.
        assert resent < lease + sweep + 40, resent


@pytest.mark.parametrize("harness", ["greylisted@example.org=450,gone@example.org=550"], indirect=True)
def test_a_4xx_reply_is_retried_later_and_a_5xx_reply_recorded_as_failed(harness, settings):
    """Sent from this process through the real SMTP server, which greylists one address
    (450: try again later) and does not know another (550)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", harness.sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    treaty, _ = hanoi_with_ten_made_up_deposits()
    for address in ("greylisted@example.org", "gone@example.org"):
        Subscription.objects.create(email=address, treaty=treaty, confirmed_at=timezone.now() - timedelta(days=1))

    with harness.logs_on_failure():
        services.run_checks(lambda treaty: date(2026, 11, 22))
        assert services.send_batch(services.claim_deliveries()) == {"sent": 1, "retry": 1, "failed": 1, "lost": 0}
        [message] = harness.sink.messages()
        assert message["To"] == READER
        greylisted = Delivery.objects.get(subscription__email="greylisted@example.org")
        assert greylisted.status == "pending" and greylisted.not_before > timezone.now()
        assert "450" in greylisted.error
        gone = Delivery.objects.get(subscription__email="gone@example.org")
        assert gone.status == "failed" and "550" in gone.error
