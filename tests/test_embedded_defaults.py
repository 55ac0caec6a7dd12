"""The embedded defaults, as `make run` starts them: SQLite, no Redis, the Procfile's web
line with two gunicorn workers. Every process must tell the same figures and share one
rate limit, whichever worker answers.

The ratifications imported here are made up for the test (ten seeded signatories,
dated in the past); the treaty and its signatories come from the seed.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
SIGNATURES = BASE / "fixtures" / "hanoi-convention-signatures.csv"
# Variables that point a process at the suite's PostgreSQL and Redis: the embedded
# defaults are what is left without them.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "EMAIL_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_command(name: str) -> str:
    for line in (BASE / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    pytest.fail(f"the Procfile has no {name} line")


class Site:
    """The Procfile's web process on the embedded defaults, in a folder of its own."""

    def __init__(self, folder: Path, **variables: str):
        self.port = free_port()
        self.log = folder / "web.log"
        self.env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES} | {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "TRACKER_VAR_DIR": str(folder / "var"),
            "DJANGO_DEBUG": "true",  # as `make run`: static files without collectstatic
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            # Which worker answered each request: its pid in the access log.
            "GUNICORN_CMD_ARGS": "--access-logformat 'pid=%(p)s status=%(s)s %(U)s' --keep-alive 0",
        } | variables
        self.process = None

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def start(self) -> None:
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                ["sh", "-c", procfile_command("web")], cwd=BASE, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}")
            if self.log.read_text().count("Booting worker") >= 2:
                try:
                    self.get("/healthz-not-a-page/")
                    return
                except OSError:
                    pass
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer on port {self.port}:\n{self.log.read_text()}")

    def get(self, path: str, **headers: str) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def pids_serving(self, path: str) -> set[str]:
        return set(re.findall(rf"pid=<?(\d+)>? status=\d+ {re.escape(path)}", self.log.read_text()))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One site for the tests below: each counts its own clients (addresses behind the
    proxy), so they do not disturb one another."""
    site = Site(tmp_path_factory.mktemp("site"), API_ANON_RATE="20/minute", DJANGO_BEHIND_PROXY="true")
    site.manage("migrate", "--no-input")
    site.manage("seed")
    site.start()
    try:
        yield site
    finally:
        site.stop()


STATUS = "/api/v1/treaties/hanoi-convention/status/"


def counted_on_pages(site: Site, client: str) -> set[str]:
    """The counted instruments as the home page, the treaty page and the API give them."""
    seen = set()
    for path in ("/", "/treaties/hanoi-convention/"):
        status, body = site.get(path)
        assert status == 200, body[:500]
        seen |= set(re.findall(r'data-stat="instruments_counted">(\d+)<', body))
    status, body = site.get(STATUS, **{"X-Forwarded-For": client})
    assert status == 200, body
    seen.add(re.search(r'"instruments_counted":(\d+)', body.replace(" ", ""))[1])
    return seen


def ten_made_up_ratifications(folder: Path) -> Path:
    names = [line.split(",")[0] for line in SIGNATURES.read_text().splitlines()[1:11]]
    table = folder / "ratifications.csv"
    table.write_text("participant,signature_date,action,action_date\n" + "".join(
        f"{name},,ratification,2026-11-20\n" for name in names))  # fmt: skip
    return table


def side_by_side(function, arguments: list) -> list:
    """``function`` on each argument, four at a time: a sync worker serves one request at
    a time, so requests at once are shared among the workers."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(function, arguments))


def test_two_web_workers_tell_the_same_count_after_a_write_from_the_command_line(site, tmp_path):
    # Warm both workers' caches with the figures from before the write.
    before = side_by_side(lambda n: counted_on_pages(site, f"198.51.100.{n}"), range(16))
    assert before == [{"0"}] * 16
    assert len(site.pids_serving("/")) == 2, "both workers answered"

    site.manage("import_status", "hanoi-convention", str(ten_made_up_ratifications(tmp_path)))
    time.sleep(1.2)  # a process reads the data version at most once a second

    lines_before = len(site.log.read_text().splitlines())
    after = side_by_side(lambda n: counted_on_pages(site, f"198.51.100.{100 + n}"), range(16))
    assert after == [{"10"}] * 16
    served_after = "\n".join(site.log.read_text().splitlines()[lines_before:])
    assert len(set(re.findall(r"pid=<?(\d+)>? status=200 /treaties/", served_after))) == 2, "both answered"
    status, body = site.get(STATUS, **{"Cache-Control": "no-cache", "X-Forwarded-For": "198.51.100.250"})
    assert status == 200 and '"instruments_counted":10' in body.replace(" ", "")


def test_the_anonymous_rate_limit_counts_the_requests_of_both_workers_together(site):
    answers = side_by_side(lambda _: site.get(STATUS, **{"X-Forwarded-For": "203.0.113.7"})[0], range(30))
    # 20 a minute: the sliding window may let one more through if a minute began during the loop.
    assert answers.count(200) in (20, 21), answers
    assert set(answers) == {200, 429}
    assert len(site.pids_serving(STATUS)) == 2, "both workers answered"
    assert site.get(STATUS, **{"X-Forwarded-For": "203.0.113.8"})[0] == 200, "another client is counted apart"

