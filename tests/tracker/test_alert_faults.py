"""Alerts under the faults of issue 10, on PostgreSQL, Redis and a real SMTP server process.

Real Celery workers and beat (tests/alert_harness.py) run with short intervals set
through the environment, as in production only shorter: the check every 2 s, the sweep
every second, a lease of 3 s (2 s against the slow relay), a retry backoff of 1 s. Each
test prints its figures (shown with ``-s`` or on failure) and a one-line summary, also
appended to test-artifacts/alert-faults.txt.

The deposits are made up for the tests (the treaty, its signatories and their
signatures come from the seed) and dated in the past: the processes run on the real
clock. Subscribers want threshold milestones only, so that the calendar's deadline
notices, due or not depending on the day the suite runs, send nothing.

Nothing here is skipped: without Redis, PostgreSQL, redis-server or aiosmtpd the tests fail.
"""

import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from signatories.models import Participant
from signatories.services import record_action
from tests.alert_harness import FAST, harness  # noqa: F401 (the fixture)
from tests.helpers import MANAGE, child_env
from tracker.alerts.models import Alert, Delivery, DeliveryAttempt, Subscription
from tracker.models import Treaty
from tracker.rules import ActionKind
from tracker.services import seed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEASE = int(FAST["ALERT_LEASE_SECONDS"])
SWEEP = int(FAST["ALERT_SWEEP_SECONDS"])
CHECK = int(FAST["ALERT_CHECK_SECONDS"])
# Starting a worker or beat process (Django, Celery, the pool) on a loaded machine.
STARTUP = 20
SUMMARY = Path(settings.BASE_DIR) / "test-artifacts" / "alert-faults.txt"


def report(name: str, **figures) -> None:
    line = f"{name}: " + ", ".join(f"{key}={value}" for key, value in figures.items())
    print("\n" + line)
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    with SUMMARY.open("a") as out:
        out.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {line}\n")


def hanoi_with_subscribers(count: int) -> Treaty:
    """The seed and ``count`` confirmed subscribers who want threshold milestones only."""
    seed()  # the real clock: the seed's dates all lie in the past
    treaty = Treaty.objects.get(slug="hanoi-convention")
    confirmed = timezone.now() - timedelta(days=1)
    Subscription.objects.bulk_create(
        [
            Subscription(email=f"reader{n:05}@example.org", treaty=treaty, confirmed_at=confirmed,
                         wants_deadline=False, wants_entry_into_force=False, wants_participant=False)  # fmt: skip
            for n in range(count)
        ]
    )
    return treaty


def ten_signatories(treaty: Treaty) -> list[Participant]:
    return list(Participant.objects.filter(actions__treaty=treaty, kind="state").order_by("name")[:10])


def ten_made_up_deposits(treaty: Treaty) -> None:
    for participant in ten_signatories(treaty):
        record_action(treaty=treaty, participant=participant, kind=ActionKind.RATIFICATION, date=date(2026, 11, 20))


def message_ids(deliveries) -> set[str]:
    return {f"<alert-{alert}.delivery-{pk}@treaty-tracker>" for alert, pk in deliveries.values_list("alert_id", "pk")}


def all_sent(count: int) -> bool:
    return Delivery.objects.filter(status=Delivery.Status.SENT).count() == count


@pytest.mark.parametrize("harness", [{"debug": False}], indirect=True)  # 2,000 messages: no SMTP transcript
def test_a_worker_killed_mid_send_leaves_no_delivery_undelivered_and_repeats_only_what_was_in_flight(harness):
    sink, total = harness.sink, 2000
    treaty = hanoi_with_subscribers(total)
    ten_made_up_deposits(treaty)
    prefork = {"pool": "prefork", "concurrency": 2}  # as the Procfile's worker line

    with harness.logs_on_failure():
        first = harness.start_worker(**prefork, **FAST)
        harness.start_beat(**FAST)  # its check records the alert and fans it out; its sweeps send
        harness.wait_until(lambda: sink.arrived() >= 300, 60, "a few hundred messages to arrive")
        harness.kill(first)  # SIGKILL, the pool's processes included
        killed, killed_at = time.monotonic(), time.time()
        time.sleep(1)  # the sink sees the connections drop and logs what reached it
        arrived_at_kill = sink.arrived()
        rate = arrived_at_kill / max(killed_at - sink.events("stored")[0]["at"], 0.1)  # messages a second
        # In flight: messages whose DATA reached the server but whose delivery was not yet
        # recorded as sent. The stored ones among them are the only possible duplicates.
        sent = Delivery.objects.filter(status=Delivery.Status.SENT)
        recorded_at_kill = sent.count()
        in_flight = {e["message_id"] for e in sink.events("data")} - message_ids(sent)
        held = Delivery.objects.filter(status=Delivery.Status.SENDING).count()
        assert Delivery.objects.count() == total, "the fan-out is whole"
        assert len(in_flight) <= first.concurrency, "one message at a time per SMTP connection"

        harness.start_worker(purge=False, **prefork, **FAST)
        harness.wait_until(lambda: sink.arrived() == total, 120, "every delivery to arrive")
        completed = time.monotonic() - killed
        harness.wait_until(lambda: all_sent(total), 30, "every delivery to be recorded as sent")

        duplicates = sink.duplicates()
        report(
            "SIGKILL mid send", deliveries=total, arrived=sink.arrived(), duplicates=duplicates,
            in_flight_at_kill=len(in_flight), arrived_at_kill=arrived_at_kill, recorded_at_kill=recorded_at_kill,
            held_under_lease_at_kill=held, seconds_to_complete=f"{completed:.1f}", rate_per_s=f"{rate:.0f}",
        )  # fmt: skip
        assert sink.arrived() == total
        assert duplicates <= len(in_flight)
        # The held deliveries wait out the lease, the sweep claims them: lease + sweep +
        # starting the new worker + sending the rest (at a third of the first worker's rate).
        remaining = total - arrived_at_kill
        assert completed < LEASE + SWEEP + STARTUP + 3 * remaining / rate


def write_status_table(path: Path, participants: list[Participant]) -> Path:
    rows = ["participant,signature_date,action,action_date"]
    rows += [f'"{p.name}",,ratification,2026-11-20' for p in participants]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_an_import_while_the_broker_is_down_is_alerted_within_one_check_after_it_is_back(harness, tmp_path):
    sink = harness.sink
    treaty = hanoi_with_subscribers(1)
    redis = harness.start_redis()  # this test's own broker and cache, to stop and start again
    on_private = FAST | {"CELERY_BROKER_URL": redis.url, "REDIS_URL": redis.url, "CELERY_RESULT_BACKEND": redis.url}

    with harness.logs_on_failure():
        worker = harness.start_worker(purge=False, **on_private)
        harness.start_beat(**on_private)
        harness.wait_until(lambda: worker.finished("tracker.alerts.tasks.check_alerts") >= 1, 30, "a periodic check")
        assert not Alert.objects.filter(key="threshold:10").exists()

        redis.stop()
        stopped = time.monotonic()
        table = write_status_table(tmp_path / "deposits.csv", ten_signatories(treaty))
        imported = subprocess.run(
            [*MANAGE, "import_status", "hanoi-convention", str(table), "--reason", "made up for a test"],
            env=child_env(**on_private), capture_output=True, text=True, timeout=120, cwd=settings.BASE_DIR,
        )  # fmt: skip
        assert imported.returncode == 0, f"the import failed with the broker down:\n{imported.stdout}{imported.stderr}"
        assert "10 created" in imported.stdout
        assert "could not queue the alert check" in imported.stderr, imported.stderr
        assert not Alert.objects.filter(key="threshold:10").exists(), "nothing checked while the broker is down"

        harness.start_redis(redis.port)  # empty: the check queued on commit is lost for good
        restarted = time.monotonic()
        # No further write: the periodic check records the alert, the sweep sends it. The
        # worker reconnects with Celery's backoff (2 s, then 4 s, 6 s…): the slack.
        reconnect = 12
        alert = harness.wait_until(
            lambda: Alert.objects.filter(key="threshold:10").first(), CHECK + reconnect + 10, "the alert to be recorded"
        )
        recorded = time.monotonic() - restarted
        harness.wait_until(lambda: sink.arrived() == 1 and all_sent(1), 30, "the alert to be delivered")
        delivered = time.monotonic() - restarted
        report(
            "broker restart", deliveries=1, arrived=sink.arrived(), duplicates=sink.duplicates(),
            down_seconds=f"{restarted - stopped:.1f}", seconds_to_record=f"{recorded:.1f}",
            seconds_to_complete=f"{delivered:.1f}", check_interval=CHECK,
        )  # fmt: skip
        alert.refresh_from_db()  # read when first recorded, maybe before its fan-out
        assert alert.state == Alert.State.FANNED_OUT
        assert sink.duplicates() == 0
        [message] = sink.messages()
        assert message["Subject"].startswith("Hanoi Convention: 10 of 40 instruments deposited")


@pytest.mark.parametrize("harness", [{"data_451_every": 5}], indirect=True)
def test_a_451_to_data_is_retried_with_backoff_until_sent_and_its_error_kept(harness):
    sink, total = harness.sink, 50
    treaty = hanoi_with_subscribers(total)
    ten_made_up_deposits(treaty)

    with harness.logs_on_failure():
        start = time.monotonic()
        harness.start_worker(**FAST)
        harness.start_beat(**FAST)
        harness.wait_until(lambda: sink.arrived() == total and all_sent(total), 60, "every delivery to be sent")
        completed = time.monotonic() - start

        deferred = {e["message_id"] for e in sink.events("deferred")}
        report(
            "SMTP 451", deliveries=total, arrived=sink.arrived(), duplicates=sink.duplicates(), deferred=len(deferred),
            attempt_rows=DeliveryAttempt.objects.count(), seconds_to_complete=f"{completed:.1f}",
        )  # fmt: skip
        assert len(deferred) == total // 5
        assert sink.duplicates() == 0
        for delivery in Delivery.objects.select_related("alert"):
            attempts = list(delivery.failed_attempts.all())
            if delivery.message_id in deferred:
                assert (delivery.status, delivery.attempts) == ("sent", 2)
                [attempt] = attempts
                assert attempt.number == 1 and "451" in attempt.error and "Try again later" in attempt.error
                assert attempt.retry_at is not None and delivery.sent_at >= attempt.retry_at
                assert "451" in delivery.error, "the error stays on record after the success"
            else:
                assert (delivery.status, delivery.attempts, attempts, delivery.error) == ("sent", 1, [], "")


@pytest.mark.parametrize("harness", [{"delay": 0.3}], indirect=True)
def test_a_slow_relay_never_lets_a_second_worker_send_the_tail_of_a_batch_again(harness):
    sink, total = harness.sink, 20
    treaty = hanoi_with_subscribers(total)
    ten_made_up_deposits(treaty)
    short_lease = FAST | {"ALERT_LEASE_SECONDS": "2"}  # the batch takes 20 × 0.3 s = 6 s

    with harness.logs_on_failure():
        start = time.monotonic()
        harness.start_worker(**short_lease)
        harness.start_worker(purge=False, **short_lease)
        harness.start_beat(**short_lease)  # a sweep every second, for either worker
        harness.wait_until(lambda: sink.arrived() == total and all_sent(total), 60, "every delivery to be sent")
        completed = time.monotonic() - start

        stored = sink.events("stored")
        batch_seconds = stored[-1]["at"] - stored[0]["at"]
        report(
            "slow relay", deliveries=total, arrived=sink.arrived(), duplicates=sink.duplicates(),
            data_commands=len(sink.events("data")), lease=2, batch_seconds=f"{batch_seconds:.1f}",
            seconds_to_complete=f"{completed:.1f}",
        )  # fmt: skip
        assert batch_seconds > 2, "the batch outlived the lease it was claimed under"
        assert sink.duplicates() == 0
        assert len(sink.events("data")) == total, "no message was even begun twice"
        assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
