"""Alerts end to end: a real Celery worker on the real Redis sends through a real SMTP
server process (aiosmtpd, with the handler in tests/smtp_sink.py) that the test starts.

The deposits recorded here are made up for the tests; the treaty, its signatories and
their signatures come from the seed. The worker runs on the real clock, so the made-up
deposits are dated in the past, and the subscriber asks for threshold milestones only:
deadline notices become due or not depending on the day the suite runs.

Nothing here is skipped: without Redis, PostgreSQL or aiosmtpd the tests fail.
"""

import contextlib
import email
import email.policy
import importlib.util
import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery import app
from signatories.models import Participant
from signatories.services import record_action
from tests.helpers import child_env
from tracker.alerts import services
from tracker.alerts.emails import UNSUBSCRIBE_SALT, read_token
from tracker.alerts.models import Delivery, Subscription
from tracker.alerts.tasks import check_alerts, send_deliveries
from tracker.models import Treaty
from tracker.rules import ActionKind
from tracker.services import seed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SUBJECT = "Hanoi Convention: 10 of 40 instruments deposited, 30 to go"
READER = "reader@example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class SmtpSink:
    """The aiosmtpd process: what it stored, what it logged, and its stall switch."""

    def __init__(self, folder: Path, refuse: str = ""):
        self.port = free_port()
        self.messages_dir = folder / "messages"
        self.events_file = folder / "events.jsonl"
        self.stall_file = folder / "stall"
        self.log = folder / "sink.log"
        environment = os.environ | {
            "SMTP_SINK_DIR": str(self.messages_dir),
            "SMTP_SINK_LOG": str(self.events_file),
            "SMTP_SINK_STALL_FILE": str(self.stall_file),
            "SMTP_SINK_REFUSE": refuse,
        }
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aiosmtpd", "-n", "-d", "-l", f"127.0.0.1:{self.port}", "-c",
                 "tests.smtp_sink.Sink"],
                cwd=settings.BASE_DIR, env=environment, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(OSError):
                smtplib.SMTP("127.0.0.1", self.port, timeout=2).quit()
                return
            time.sleep(0.2)
        pytest.fail(f"the SMTP server (aiosmtpd) did not start on port {self.port}; its log:\n{self.log_text()}")

    def messages(self) -> list[email.message.EmailMessage]:
        files = sorted(self.messages_dir.glob("*.eml")) if self.messages_dir.exists() else []
        return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]

    def events(self, name: str | None = None) -> list[dict]:
        if not self.events_file.exists():
            return []
        events = [json.loads(line) for line in self.events_file.read_text().splitlines() if line.strip()]
        return [e for e in events if name is None or e["event"] == name]

    def stall(self, seconds: int) -> None:
        """Answer DATA only after ``seconds`` (or once unstall() is called)."""
        self.stall_file.write_text(str(seconds))

    def unstall(self) -> None:
        self.stall_file.unlink(missing_ok=True)

    def log_text(self) -> str:
        output = self.log.read_text() if self.log.exists() else ""
        events = self.events_file.read_text() if self.events_file.exists() else ""
        return f"--- aiosmtpd output ---\n{output}\n--- sink events ---\n{events}"


class Worker:
    """A Celery worker process (solo pool) on the test database and Redis, sending through the sink."""

    def __init__(self, folder: Path, sink: SmtpSink):
        self.log = folder / f"worker-{uuid.uuid4().hex[:8]}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"e2e-{uuid.uuid4().hex}@%h"],
                cwd=settings.BASE_DIR,
                env=child_env(EMAIL_URL=f"smtp://127.0.0.1:{sink.port}"),
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def succeeded(self, task_id: str) -> bool:
        return f"[{task_id}] succeeded" in self.log_text()

    def finished(self, task_name: str) -> int:
        """How many runs of the task succeeded."""
        return len(re.findall(rf"Task {re.escape(task_name)}\[[0-9a-f-]+\] succeeded", self.log_text()))


class Harness:
    """The sink and the workers of one test. Every wait is bounded; inside logs_on_failure(),
    a failure prints the logs of the workers and the sink."""

    def __init__(self, folder: Path, refuse: str = ""):
        self.folder = folder
        self.sink = SmtpSink(folder, refuse)
        self.workers: list[Worker] = []

    def start_worker(self) -> Worker:
        """Empty the queue (the checks that recording the made-up deposits queued), then
        start a worker and wait until it consumes."""
        app.control.purge()
        worker = Worker(self.folder, self.sink)
        self.workers.append(worker)
        self.wait_until(lambda: " ready." in worker.log_text(), 60, "the Celery worker to be ready")
        return worker

    def wait_until(self, condition, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := condition():
                return value
            for worker in self.workers:
                if worker.process.poll() not in (None, -signal.SIGKILL):
                    pytest.fail(f"a worker exited with {worker.process.returncode} while waiting for {what}")
            time.sleep(0.2)
        pytest.fail(f"waited {timeout} s for {what} in vain")

    def logs(self) -> str:
        parts = [f"--- worker {n} (pid {w.pid}) ---\n{w.log_text()}" for n, w in enumerate(self.workers, 1)]
        return "\n".join([*parts, self.sink.log_text()])

    @contextlib.contextmanager
    def logs_on_failure(self):
        """Print the logs of the worker(s) and the sink if the test fails (pytest shows them)."""
        try:
            yield
        except BaseException:
            print(self.logs())
            raise

    def stop(self) -> None:
        self.sink.unstall()
        for worker in self.workers:
            stop(worker.process)
        stop(self.sink.process)


@pytest.fixture
def harness(request, tmp_path):
    """An SMTP server process now; workers when the test asks for them. All stopped after.
    ``@pytest.mark.parametrize("harness", ["a@x=450"], indirect=True)`` makes the server
    refuse recipients (see tests/smtp_sink.py)."""
    if importlib.util.find_spec("aiosmtpd") is None:
        pytest.fail("aiosmtpd is not installed: pip install -r requirements-dev.txt")
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "the end-to-end tests run on Redis"
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
    except OperationalError as error:
        pytest.fail(f"Redis at {settings.CELERY_BROKER_URL} is not reachable: {error!r}")
    harness = Harness(tmp_path, getattr(request, "param", ""))
    try:
        harness.sink.wait_ready()
        yield harness
    finally:
        harness.stop()


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


def test_a_worker_sends_the_alert_through_a_real_smtp_server_exactly_once(harness):
    sink = harness.sink
    _, subscription = hanoi_with_ten_made_up_deposits()

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
        assert message["Subject"] == SUBJECT
        assert message["Message-ID"] == delivery.message_id
        # The header is folded after its name; unfolded, it is the signed link of this subscription.
        unsubscribe = re.fullmatch(r"<(http\S+/alerts/unsubscribe/([^/]+)/)>", message["List-Unsubscribe"].strip())
        assert unsubscribe, message["List-Unsubscribe"]
        assert read_token(unsubscribe[2], UNSUBSCRIBE_SALT) == {"s": subscription.pk, "e": READER}
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and "10 of the 40 instruments" in text.get_content()
        assert html is not None and "<strong>10 of 40</strong>" in html.get_content()
        assert "/treaties/hanoi-convention/" in text.get_content() and unsubscribe[1] in text.get_content()

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
    sink = harness.sink
    hanoi_with_ten_made_up_deposits()
    sink.stall(30)  # the server holds its answer to DATA: the worker is caught mid-delivery

    with harness.logs_on_failure():
        first = harness.start_worker()
        check_alerts.delay()
        harness.wait_until(
            lambda: Delivery.objects.filter(status=Delivery.Status.SENDING).exists() and sink.events("data"),
            60,
            "the delivery to be claimed and its message to be in DATA",
        )
        os.kill(first.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        # Its unacknowledged send_deliveries stays in Redis until the visibility timeout (an
        # hour); the cache.clear() after each test empties this Redis database anyway.
        harness.wait_until(lambda: sink.events("abandoned"), 10, "the server to see the sender hang up")
        assert sink.messages() == [], "no message is accepted without its answer"
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("sending", 1)

        # Expire the lease: this stands in for waiting the five minutes of services.LEASE.
        Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        sink.unstall()
        second = harness.start_worker()
        retry = send_deliveries.delay()
        harness.wait_until(lambda: second.succeeded(retry.id), 60, "the second worker to send")
        [message] = sink.messages()
        delivery.refresh_from_db()
        assert message["Message-ID"] == delivery.message_id
        assert message["To"] == READER and message["Subject"] == SUBJECT
        assert (delivery.status, delivery.attempts) == ("sent", 2)
        assert len(sink.events("stored")) == 1


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
        assert services.send_batch(services.claim_deliveries()) == {"sent": 1, "retry": 1, "failed": 1}
        [message] = harness.sink.messages()
        assert message["To"] == READER
        greylisted = Delivery.objects.get(subscription__email="greylisted@example.org")
        assert greylisted.status == "pending" and greylisted.not_before > timezone.now()
        assert "450" in greylisted.error
        gone = Delivery.objects.get(subscription__email="gone@example.org")
        assert gone.status == "failed" and "550" in gone.error
