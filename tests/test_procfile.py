"""The Procfile's worker and beat, started exactly as its lines say, do the periodic work.

The two lines run through ``sh -c`` in the checkout with .venv/bin first on PATH, as
honcho or a process manager runs them, on the test database and Redis, with short
intervals set through the environment (config/settings.py reads them). Without any write,
the worker's log shows the alert check, the delivery sweep, the status refresh and the
digest succeed, the first two again and again, and the digest reaches a real SMTP server.

Nothing is skipped: without Redis, PostgreSQL or aiosmtpd the test fails.
"""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app
from tests.alert_harness import Process, SmtpSink, require_redis, stop
from tests.helpers import child_env
from tracker import dataversion
from tracker.services import seed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PROCFILE = Path(settings.BASE_DIR) / "Procfile"
INTERVALS = {"ALERT_CHECK_SECONDS": "2", "ALERT_SWEEP_SECONDS": "1", "STATUS_REFRESH_SECONDS": "2",
             "ALERT_DIGEST_SECONDS": "3"}  # fmt: skip
TASKS = {  # task: how many successful runs show it runs periodically
    "tracker.alerts.tasks.check_alerts": 2,
    "tracker.alerts.tasks.send_deliveries": 2,
    "tracker.tasks.refresh_statuses": 1,
    "tracker.alerts.tasks.send_digest": 1,
}
DIGEST_SUBJECT = "Treaty tracker: alerts of the last day"


def procfile_lines() -> dict[str, str]:
    lines = (line.partition(":") for line in PROCFILE.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {name.strip(): command.strip() for name, _, command in lines}


def succeeded(log: str, task: str) -> int:
    return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", log))


def test_the_procfiles_worker_and_beat_run_the_check_the_sweep_the_refresh_and_the_digest(tmp_path):
    require_redis()
    lines = procfile_lines()
    assert {"worker", "beat"} <= set(lines), lines
    sink = SmtpSink(tmp_path)
    processes: list[Process] = []
    try:
        sink.wait_ready()
        seed()  # the real clock: the seed's dates all lie in the past
        version = dataversion.data_version()
        app.control.purge()
        env = child_env(
            PATH=f"{Path(settings.BASE_DIR) / '.venv' / 'bin'}:{child_env()['PATH']}",
            TRACKER_VAR_DIR=str(tmp_path / "var"),
            ALERT_DIGEST_TO="staff@example.org",
            EMAIL_URL=sink.url,
            **INTERVALS,
        )
        for name in ("worker", "beat"):
            processes.append(Process(tmp_path, name, ["sh", "-c", lines[name]], env))
        worker, beat = processes

        def done() -> bool:
            log = worker.log_text()
            ran = all(succeeded(log, task) >= times for task, times in TASKS.items())
            return ran and any(m["Subject"] == DIGEST_SUBJECT for m in sink.messages())

        deadline_seconds = 90
        deadline = time.monotonic() + deadline_seconds
        while not done():
            for process in processes:
                assert process.process.poll() is None, f"the {process.label} exited with {process.process.returncode}"
            assert time.monotonic() < deadline, f"waited {deadline_seconds} s for the periodic tasks in vain"
            time.sleep(0.5)

        beat_log = beat.log_text()
        for entry, times in {"check-alerts": 2, "send-deliveries": 2, "refresh-treaty-statuses": 1,
                             "alerts-digest": 1}.items():  # fmt: skip
            assert beat_log.count(f"Sending due task {entry} ") >= times, f"beat queued {entry} fewer than {times} times"
        assert list((tmp_path / "var").glob("celerybeat-schedule*")), "beat keeps its schedule under TRACKER_VAR_DIR"
        [digest, *_] = [m for m in sink.messages() if m["Subject"] == DIGEST_SUBJECT]
        assert digest["To"] == "staff@example.org"
        assert dataversion.data_version() == version, "nothing was written to the tracked data"
        counts = {task: succeeded(worker.log_text(), task) for task in TASKS}
        print(f"\nProcfile worker and beat: successful runs {counts}")
    except BaseException:
        for process in processes:
            print(f"--- {process.label} ({process.pid}) ---\n{process.log_text()[-20000:]}")
        print(sink.log_text())
        raise
    finally:
        for process in processes:
            process.stop()
        stop(sink.process)


def test_the_procfiles_beat_and_worker_sync_the_depositary_and_record_a_failure_without_stopping(tmp_path):
    """Beat queues the depositary sync; the worker fetches a treaty's page from a real
    server on 127.0.0.1 and imports it, and records the other treaty's failed fetch (its
    address does not resolve here) without stopping, again at the next interval."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from signatories.models import Action
    from tracker.models import Treaty
    from tracker.services import save_valid
    from tracker.sync.models import DepositarySync

    page = (Path(__file__).parent / "tracker" / "depositary" / "pages" / "ottawa.html").read_bytes()

    class Depositary(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    require_redis()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Depositary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    processes: list[Process] = []
    try:
        seed()
        save_valid(Treaty(slug="ottawa", short_title="ottawa", title="ottawa", depositary_reference="XXVI-5",
                          depositary_url=f"http://127.0.0.1:{server.server_address[1]}/ottawa"), "test")
        app.control.purge()
        env = child_env(PATH=f"{Path(settings.BASE_DIR) / '.venv' / 'bin'}:{child_env()['PATH']}",
                        TRACKER_VAR_DIR=str(tmp_path / "var"), UNTC_SYNC_SECONDS="2", UNTC_RETRIES="0",
                        UNTC_REQUEST_INTERVAL_SECONDS="0", **INTERVALS)
        lines = procfile_lines()
        for name in ("worker", "beat"):
            processes.append(Process(tmp_path, name, ["sh", "-c", lines[name]], env))
        deadline = time.monotonic() + 90
        while succeeded(processes[0].log_text(), "tracker.sync.tasks.sync_depositary") < 2:
            for process in processes:
                assert process.process.poll() is None, f"the {process.label} exited with {process.process.returncode}"
            assert time.monotonic() < deadline, "waited 90 s for two depositary syncs in vain"
            time.sleep(0.5)
        reads = list(DepositarySync.objects.order_by("started_at").values_list("treaty__slug", "outcome"))
        assert ("ottawa", "changed") in reads and ("ottawa", "unchanged") in reads
        assert reads.count(("hanoi-convention", "fetch_failed")) >= 2
        assert Action.objects.filter(treaty__slug="ottawa", participant__name="Poland").count() == 2
    except BaseException:
        for process in processes:
            print(f"--- {process.label} ({process.pid}) ---\n{process.log_text()[-20000:]}")
        raise
    finally:
        for process in processes:
            process.stop()
        server.shutdown()
