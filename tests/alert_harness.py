"""The harness of the tests that run the alerts' real processes: an SMTP server process
(aiosmtpd with the handler of tests/smtp_sink.py), Celery workers and beat on the real
Redis and the test database, and a private redis-server for a test that stops its broker.

Every process starts in a session (process group) of its own, so that stopping or
killing it takes its children (a prefork worker's pool) with it. Every wait is bounded;
inside ``Harness.logs_on_failure()`` a failure prints the logs of every process.
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
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from kombu.exceptions import OperationalError

from config.celery import app
from tests.helpers import child_env

# Short intervals for the processes of a fault test (seconds; see config/settings.py).
FAST = {
    "ALERT_CHECK_SECONDS": "2",
    "ALERT_SWEEP_SECONDS": "1",
    "ALERT_LEASE_SECONDS": "3",
    "ALERT_RETRY_BACKOFF": "1",
    "STATUS_REFRESH_SECONDS": "60",
    "ALERT_DIGEST_SECONDS": "3600",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop a process (and its group, if it leads one): SIGTERM, then SIGKILL after 30 s."""
    if process.poll() is not None:
        return
    signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        process.wait(timeout=10)
    # A prefork pool's children may outlive the main process for a moment.
    signal_group(process, signal.SIGKILL)


def signal_group(process: subprocess.Popen, signum: int) -> None:
    """Send ``signum`` to the process group the process leads (started with a new session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


class Process:
    """A child process in a session of its own, its output in a log file."""

    def __init__(self, folder: Path, label: str, argv: list[str], env: dict[str, str], shell: bool = False):
        self.label = label
        self.log = folder / f"{label}-{uuid.uuid4().hex[:8]}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                argv, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, shell=shell,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group (a prefork worker's pool included)."""
        signal_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop(self.process)


class Worker(Process):
    """A Celery worker process on the test database and Redis, sending through the sink."""

    def __init__(self, folder: Path, env: dict[str, str], *, pool: str = "solo", concurrency: int = 1):
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}", "--loglevel=INFO",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"e2e-{uuid.uuid4().hex}@%h"]  # fmt: skip
        if pool == "prefork":
            argv.append(f"--concurrency={concurrency}")
        self.concurrency = concurrency if pool == "prefork" else 1
        super().__init__(folder, "worker", argv, env)

    def succeeded(self, task_id: str) -> bool:
        return f"[{task_id}] succeeded" in self.log_text()

    def finished(self, task_name: str) -> int:
        """How many runs of the task succeeded."""
        return len(re.findall(rf"Task {re.escape(task_name)}\[[0-9a-f-]+\] succeeded", self.log_text()))


class Beat(Process):
    """Celery beat, its schedule file in the test's folder."""

    def __init__(self, folder: Path, env: dict[str, str]):
        schedule = folder / f"celerybeat-schedule-{uuid.uuid4().hex[:8]}"
        argv = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
        super().__init__(folder, "beat", argv, env)

    def sent(self, task_name: str) -> int:
        """How many times beat queued the task."""
        return len(re.findall(rf"Sending due task \S+ \({re.escape(task_name)}\)", self.log_text()))


class RedisServer(Process):
    """A redis-server of this test alone (no persistence), to stop and start again on its port."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port = folder, port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(folder)]  # fmt: skip
        super().__init__(folder, "redis", argv, os.environ.copy())

    def ping(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False

    def wait_ready(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.ping():
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not start on port {self.port}; its log:\n{self.log_text()}")


class SmtpSink:
    """The aiosmtpd process: what it stored, what it logged, and its switches (see
    tests/smtp_sink.py): ``refuse`` recipients, ``data_451_every``, ``delay``, ``hang_up``
    and ``pipelining`` (offered unless False); ``debug`` logs every SMTP command."""

    def __init__(self, folder: Path, refuse: str = "", data_451_every: int = 0, delay: float = 0, debug: bool = True,
                 hang_up: str = "", pipelining: bool = True):  # fmt: skip
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
            "SMTP_SINK_DATA_451_EVERY": str(data_451_every),
            "SMTP_SINK_DELAY": str(delay),
            "SMTP_SINK_HANG_UP": hang_up,
            "SMTP_SINK_PIPELINING": "1" if pipelining else "0",
        }
        with self.log.open("w") as out:
            # -d logs every SMTP command: too much for thousands of messages (debug=False).
            debug = ["-d"] if debug else []
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aiosmtpd", "-n", *debug, "-l", f"127.0.0.1:{self.port}", "-c",
                 "tests.smtp_sink.Sink"],
                cwd=settings.BASE_DIR, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

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
        lines = self.events_file.read_text().splitlines()
        events = [json.loads(line) for line in lines if line.strip() and line.endswith("}")]
        return [e for e in events if name is None or e["event"] == name]

    def stored_ids(self) -> Counter:
        """How many times each Message-ID was accepted (answered 250 and stored)."""
        return Counter(e.get("message_id") for e in self.events("stored"))

    def arrived(self) -> int:
        """Distinct messages accepted."""
        return len(self.stored_ids())

    def duplicates(self) -> int:
        """Messages accepted more than once, counted once per extra copy."""
        return sum(n - 1 for n in self.stored_ids().values())

    def stall(self, seconds: int) -> None:
        """Answer DATA only after ``seconds`` (or once unstall() is called)."""
        self.stall_file.write_text(str(seconds))

    def unstall(self) -> None:
        self.stall_file.unlink(missing_ok=True)

    def log_text(self, tail: int = 200) -> str:
        output = self.log.read_text(errors="replace") if self.log.exists() else ""
        events = self.events_file.read_text().splitlines() if self.events_file.exists() else []
        shown = "\n".join(events[-tail:])
        return f"--- aiosmtpd output ---\n{output[-20000:]}\n--- sink events (last {tail} of {len(events)}) ---\n{shown}"


class Harness:
    """The sink, workers, beat and private Redis servers of one test, all stopped after."""

    def __init__(self, folder: Path, refuse: str = "", **switches):
        self.folder = folder
        self.sink = SmtpSink(folder, refuse, **switches)
        self.workers: list[Worker] = []
        self.beats: list[Beat] = []
        self.redis_servers: list[RedisServer] = []
        self.killed: set[Process] = set()

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a worker or beat: test database, Redis, the sink as SMTP server."""
        return child_env(EMAIL_URL=self.sink.url, **extra)

    def start_worker(self, *, purge: bool = True, wait: bool = True, pool: str = "solo", concurrency: int = 1,
                     **env: str) -> Worker:  # fmt: skip
        """Empty the queue (the checks that recording the made-up deposits queued), then
        start a worker (with ``env`` added to its environment) and wait until it consumes."""
        if purge:
            app.control.purge()
        worker = Worker(self.folder, self.env(**env), pool=pool, concurrency=concurrency)
        self.workers.append(worker)
        if wait:
            self.wait_until(lambda: " ready." in worker.log_text(), 60, "the Celery worker to be ready")
        return worker

    def start_beat(self, **env: str) -> Beat:
        beat = Beat(self.folder, self.env(**env))
        self.beats.append(beat)
        self.wait_until(lambda: "beat: Starting..." in beat.log_text(), 60, "Celery beat to start")
        return beat

    def start_redis(self, port: int | None = None) -> RedisServer:
        server = RedisServer(self.folder, port)
        self.redis_servers.append(server)
        server.wait_ready()
        return server

    def kill(self, process: Process) -> None:
        self.killed.add(process)
        process.kill()

    def wait_until(self, condition, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := condition():
                return value
            for process in [*self.workers, *self.beats]:
                if process not in self.killed and process.process.poll() is not None:
                    pytest.fail(f"a {process.label} exited with {process.process.returncode} while waiting for {what}")
            time.sleep(0.2)
        pytest.fail(f"waited {timeout} s for {what} in vain")

    def logs(self) -> str:
        parts = [f"--- {p.label} {n} (pid {p.pid}) ---\n{p.log_text()[-30000:]}"
                 for n, p in enumerate([*self.workers, *self.beats, *self.redis_servers], 1)]  # fmt: skip
        return "\n".join([*parts, self.sink.log_text()])

    @contextlib.contextmanager
    def logs_on_failure(self):
        """Print the logs of every process if the test fails (pytest shows them)."""
        try:
            yield
        except BaseException:
            print(self.logs())
            raise

    def stop(self) -> None:
        self.sink.unstall()
        for worker in self.workers:
            # A cold shutdown: the test is over, nothing is left to finish (a warm one
            # waits for the task in hand, seconds per worker for no purpose).
            signal_group(worker.process, signal.SIGQUIT)
        for process in [*self.workers, *self.beats, *self.redis_servers]:
            process.stop()
        stop(self.sink.process)


def require_redis() -> None:
    """Fail (never skip) without aiosmtpd or the Redis broker."""
    if importlib.util.find_spec("aiosmtpd") is None:
        pytest.fail("aiosmtpd is not installed: pip install -r requirements-dev.txt")
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "the end-to-end tests run on Redis"
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
    except OperationalError as error:
        pytest.fail(f"Redis at {settings.CELERY_BROKER_URL} is not reachable: {error!r}")


@pytest.fixture
def harness(request, tmp_path):
    """An SMTP server process now; workers and beat when the test asks for them. All
    stopped after. ``@pytest.mark.parametrize("harness", ["a@x=450"], indirect=True)``
    makes the server refuse recipients; a dict parameter gives the sink's switches
    (``{"data_451_every": 5}``, ``{"delay": 0.3}``, ``{"debug": False}``; see SmtpSink)."""
    require_redis()
    param = getattr(request, "param", "")
    switches = param if isinstance(param, dict) else {"refuse": param}
    harness = Harness(tmp_path, **switches)
    try:
        harness.sink.wait_ready()
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def smtp_sink(request, tmp_path, settings):
    """The SMTP server process alone (no broker, no worker), as this process's email
    server: the test sends in-process through Django's SMTP backend. A dict parameter
    gives the sink's switches, as for ``harness``."""
    sink = SmtpSink(tmp_path, **getattr(request, "param", {}))
    try:
        sink.wait_ready()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink
    finally:
        stop(sink.process)
