"""The depositary sync over HTTP, against a real server the test starts on 127.0.0.1 that
serves a saved status page (no mock of the fetch): conditional requests, retries, failures
recorded and nothing written, and the alert check queued when something changed."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from signatories.models import Action
from tracker import writes
from tracker.sync.models import DepositarySync
from tracker.sync.tasks import LOCK_KEY, sync_depositary

PAGE = (Path(__file__).resolve().parent.parent / "depositary" / "pages" / "ottawa.html").read_bytes()
ETAG = '"ottawa-2026-02-03"'


class Depositary(BaseHTTPRequestHandler):
    """Serves the Ottawa page at /ottawa; ``script`` lists the status of each next answer."""

    script: list = []
    seen: list = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        type(self).seen.append(dict(self.headers))
        answer = type(self).script.pop(0) if type(self).script else 200
        if answer == "slow":
            time.sleep(2)
            answer = 200
        if answer == 200 and self.headers.get("If-None-Match") == ETAG:
            answer = 304
        body = b"<html><body>Service unavailable</body></html>" if answer != 200 else PAGE
        if answer == "garbage":
            answer, body = 200, b"<html><head><title>Maintenance</title></head><body>Back soon</body></html>"
        self.send_response(answer)
        self.send_header("ETag", ETAG)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "0" if answer == 304 else str(len(body)))
        self.end_headers()
        if answer != 304:
            self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def depositary(settings):
    Depositary.script, Depositary.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Depositary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.UNTC_BACKOFF_SECONDS = 0.01
    settings.UNTC_TIMEOUT_SECONDS = 0.5
    settings.UNTC_REQUEST_INTERVAL_SECONDS = 0
    yield f"http://127.0.0.1:{server.server_address[1]}/ottawa"
    server.shutdown()
    server.server_close()


@pytest.fixture
def ottawa(seeded, make_treaty, depositary):
    from tracker.services import save_valid

    seeded.depositary_url = ""  # this machine has no route to the real depositary
    save_valid(seeded, "test")
    return make_treaty(slug="ottawa", depositary_reference="XXVI-5", depositary_url=depositary,
                       adopted_on=None, signature_opens_on=None, signature_closes_on=None)


def outcomes() -> list[str]:
    return [sync.outcome for sync in DepositarySync.objects.order_by("started_at", "id")]


def test_the_sync_fetches_the_page_politely_and_imports_it(ottawa, capsys):
    call_command("sync_untc", "ottawa")
    assert "ottawa: changed (status as at 2026-02-03" in capsys.readouterr().out
    assert Action.objects.filter(treaty=ottawa, participant__name="Poland").count() == 2
    assert Depositary.seen[0]["User-Agent"].startswith("TreatyRatificationTracker/")
    assert outcomes() == ["changed"]


def test_a_second_sync_asks_conditionally_and_an_unchanged_page_costs_nothing(ottawa):
    call_command("sync_untc", "ottawa")
    call_command("sync_untc", "ottawa")
    assert Depositary.seen[1]["If-None-Match"] == ETAG
    assert outcomes() == ["changed", "not_modified"]


def test_a_server_error_is_retried_with_backoff(ottawa):
    Depositary.script = [503, 500]
    call_command("sync_untc", "ottawa")
    assert len(Depositary.seen) == 3
    assert outcomes() == ["changed"]


def test_a_failed_fetch_is_recorded_writes_nothing_and_the_command_says_so(ottawa, settings):
    settings.UNTC_RETRIES = 1
    Depositary.script = [404, 404]
    with pytest.raises(CommandError, match="1 of the syncs failed"):
        call_command("sync_untc", "ottawa")
    failure = DepositarySync.objects.get()
    assert failure.outcome == "fetch_failed" and "HTTP 404" in failure.error
    assert not Action.objects.filter(treaty=ottawa).exists()


def test_a_page_that_cannot_be_read_is_recorded_and_writes_nothing(ottawa):
    Depositary.script = ["garbage"]
    with pytest.raises(CommandError):
        call_command("sync_untc", "ottawa")
    failure = DepositarySync.objects.get()
    assert failure.outcome == "unreadable" and "Maintenance" in failure.error
    assert not Action.objects.filter(treaty=ottawa).exists()


def test_a_server_that_does_not_answer_in_time_is_a_recorded_failure(ottawa, settings):
    settings.UNTC_RETRIES = 0
    Depositary.script = ["slow"]
    with pytest.raises(CommandError):
        call_command("sync_untc", "ottawa")
    assert DepositarySync.objects.get().outcome == "fetch_failed"


def test_a_change_queues_the_alert_check_after_the_commit(ottawa, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        sync_depositary()
    assert writes.enqueue_check in callbacks
    with django_capture_on_commit_callbacks() as callbacks:
        sync_depositary()  # 304: nothing changed, no check
    assert writes.enqueue_check not in callbacks


def test_only_one_sync_runs_at_a_time(ottawa):
    from django.core.cache import cache

    cache.add(LOCK_KEY, 1, timeout=60)
    assert sync_depositary() == {}
    assert not Depositary.seen
    cache.delete(LOCK_KEY)
    assert sync_depositary() == {"ottawa": "changed"}


def test_the_import_command_reads_an_http_address(seeded, depositary, capsys):
    call_command("import_untc", depositary, "--slug", "ottawa")
    assert "ottawa: created" in capsys.readouterr().out


def test_sync_of_a_treaty_without_a_depositary_address_is_a_clear_error(seeded):
    with pytest.raises(CommandError, match="no treaty with a depositary URL: nowhere"):
        call_command("sync_untc", "nowhere")


def test_beat_runs_the_depositary_sync_every_day(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["sync-depositary"]
    assert (entry["task"], entry["schedule"]) == ("tracker.sync.tasks.sync_depositary", 24 * 60 * 60)
    app.loader.import_default_modules()
    assert "tracker.sync.tasks.sync_depositary" in app.tasks
