"""Benchmark: requests per second of the REST API against a trivial view, on gunicorn.

    .venv/bin/python bench/api_bench.py [--duration 10] [--connections 16] [--threads 2] [--rounds 1]
                                        [--workers 2] [--conn-max-age SECONDS] [--check]

In one run (as bench/pages_bench.py does for the pages): drops and creates the PostgreSQL
database ``tracker_api_bench`` on 127.0.0.1 (user postgres), migrates and seeds it,
starts gunicorn (``config.wsgi``, 2 sync workers, as in the Procfile) on a free 127.0.0.1
port with production settings (DJANGO_DEBUG=false, a secret key, the cache in Redis
database 8, the throttle raised to API_ANON_RATE=API_USER_RATE=1000000/second so that it
does not cut the benchmark), checks each URL once, then runs wrk against:

- ``/healthz/``: a plain "ok", the cost of Django itself (the trivial view);
- ``/api/v1/treaties/hanoi-convention/status/``: the status JSON (goal: 0.6 of the trivial view);
- ``/api/v1/participants/?page_size=200``: every participant with aliases and memberships,
  computed on each request, nothing cached (goal: 0.3);
- the same list with ``If-None-Match: <its ETag>``, answered 304 Not Modified (goal: 0.8).

It prints requests per second, latency and the ratio to the trivial view of each, then
stops gunicorn, drops the database and empties Redis database 8. ``--check`` makes the
exit status 1 when a goal is missed. Needs wrk from Debian (``apt-get install -y wrk``).
All traffic stays on 127.0.0.1; every step has a time limit.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DATABASE = "tracker_api_bench"
SERVER_URL = f"postgres://postgres@{HOST}:5432"
REDIS_URL = f"redis://{HOST}:6379/8"
STATUS = "/api/v1/treaties/hanoi-convention/status/"
LIST = "/api/v1/participants/?page_size=200"


class Target:
    def __init__(
        self, label: str, path: str, goal: float | None, expect: int = 200, headers: dict | None = None
    ):
        self.label, self.path, self.goal, self.expect, self.headers = label, path, goal, expect, headers or {}


def fail(message: str) -> None:
    print(f"api_bench: {message}", file=sys.stderr)
    sys.exit(2)


def run(command: list[str], env: dict, timeout: int) -> None:
    result = subprocess.run(
        command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        fail(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def admin_connection():
    import psycopg

    return psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True, connect_timeout=5)


def recreate_database() -> None:
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def flush_cache() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def fetch(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes, dict]:
    """GET ``url`` with only the given headers (as wrk sends them: no Accept)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def wait_until_up(base: str, server: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if fetch(base + "/healthz/", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    fail(f"gunicorn did not answer on {base}/healthz/ within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def seconds(value: str) -> float:
    """wrk's '1.23ms', '850.00us', '1.01s' as seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, headers: dict, args) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], check=False, capture_output=True, text=True, timeout=args.duration + 30
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rate:
        fail(f"could not read wrk's output for {url}:\n{output}")
    latency = re.search(r"Latency\s+([\d.]+\w+)", output)
    p99 = re.search(r"99%\s+([\d.]+\w+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:\s+(.*)", output)
    return {
        "rps": float(rate.group(1)),
        "latency": seconds(latency.group(1)) if latency else float("nan"),
        "p99": seconds(p99.group(1)) if p99 else float("nan"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def check_targets(base: str) -> list[Target]:
    """Request each URL once (warming the caches) and check that it is the real answer;
    returns the targets, the conditional one with the ETag of the list."""
    status, body, _ = fetch(base + "/healthz/")
    if status != 200 or body != b"ok":
        fail(f"/healthz/ answered {status}: {body[:200]!r}")
    status, body, _ = fetch(base + STATUS)
    if status != 200 or json.loads(body).get("treaty") != "hanoi-convention":
        fail(f"{STATUS} answered {status}: {body[:500]!r}")
    status, body, headers = fetch(base + LIST)
    data = json.loads(body) if status == 200 else {}
    if status != 200 or len(data.get("results", [])) != min(200, data.get("count", 0)) or data["count"] < 190:
        fail(f"{LIST} answered {status} without the participants: {body[:500]!r}")
    etag = headers.get("ETag")
    if not etag:
        fail(f"{LIST} has no ETag")
    conditional = {"If-None-Match": etag}
    status, body, _ = fetch(base + LIST, conditional)
    if status != 304 or body:
        fail(f"{LIST} with If-None-Match: {etag} answered {status}, not an empty 304")
    return [
        Target("trivial view", "/healthz/", None),
        Target("status", STATUS, 0.6),
        Target("200-row list", LIST, 0.3),
        Target("304 of the list", LIST, 0.8, expect=304, headers=conditional),
    ]


def report_errors(var_dir: Path) -> None:
    """The status codes of the error responses by URL, from gunicorn's access log, and the
    end of its error log."""
    counts: dict[tuple[str, str], int] = {}
    for line in (var_dir / "access.log").read_text().splitlines():
        found = re.search(r'"GET (\S+) HTTP/[\d.]+" (\d{3})', line)
        if found and found.group(2)[0] in "45":
            counts[found.groups()] = counts.get(found.groups(), 0) + 1
    for (path, code), count in sorted(counts.items()):
        print(f"  {count:>7} x {code} {path}", file=sys.stderr)
    print((var_dir / "gunicorn.log").read_text()[-3000:], file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of wrk per URL and round (default 10)"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers (default 2, as in the Procfile)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each URL this many times, keep the best"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="keep database connections this many seconds (CONN_MAX_AGE, through DATABASE_URL); "
        "default: as the README's production DATABASE_URL, a new connection per request",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        fail("wrk is missing: install Debian's with `apt-get install -y wrk`.")

    var_dir = Path(tempfile.mkdtemp(prefix="api_bench_"))
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{SERVER_URL}/{DATABASE}"
        + (f"?conn_max_age={args.conn_max_age}" if args.conn_max_age is not None else ""),
        "REDIS_URL": REDIS_URL,
        # Celery stays off Redis: nothing here runs a worker.
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_RESULT_BACKEND": f"file://{var_dir / 'celery' / 'results'}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "TRACKER_VAR_DIR": str(var_dir),
        # DRF's UserRateThrottle also counts anonymous requests (by address) at the user
        # rate, so both rates are raised.
        "API_ANON_RATE": "1000000/second",
        "API_USER_RATE": "1000000/second",
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    server = None
    try:
        print(f"database {DATABASE}: migrate, seed", flush=True)
        recreate_database()
        flush_cache()
        run([python, "manage.py", "migrate", "--no-input"], env, timeout=300)
        run([python, "manage.py", "seed"], env, timeout=300)

        port = free_port()
        base = f"http://{HOST}:{port}"
        log = var_dir / "gunicorn.log"
        command = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"{HOST}:{port}",
                   "--workers", str(args.workers), "--access-logfile", str(var_dir / "access.log"),
                   "--error-logfile", str(log)]  # fmt: skip
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_until_up(base, server, log)
        targets = check_targets(base)

        print(
            f"gunicorn {args.workers} sync workers on {base}, CONN_MAX_AGE {args.conn_max_age or 0}; "
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} round(s), "
            f"best kept; {os.cpu_count()} CPUs shared by wrk, gunicorn, PostgreSQL and Redis",
            flush=True,
        )
        results: dict[str, dict] = {}
        for _ in range(args.rounds):
            for target in targets:
                # Let the workers finish what the previous wrk left queued (slow lists).
                time.sleep(2)
                measured = wrk(base + target.path, target.headers, args)
                if target.label not in results or measured["rps"] > results[target.label]["rps"]:
                    results[target.label] = measured
        # The 304s were 304s to the end: no write moved the data version during the run.
        if fetch(base + targets[-1].path, targets[-1].headers)[0] != 304:
            fail("the conditional request was no longer answered 304 after the run")
        if any(result["non_2xx"] for result in results.values()):
            report_errors(var_dir)
    finally:
        if server is not None:
            stop(server)
        try:
            drop_database()
            flush_cache()
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)

    trivial = results["trivial view"]["rps"]
    print()
    if not args.conn_max_age:
        print(
            "note: CONN_MAX_AGE 0: every API request that reads the database opens a new PostgreSQL\n"
            "      connection (the trivial view and the 304 read none); --conn-max-age 600 keeps them."
        )
    print(f"{'':<17}{'URL':<44}{'req/s':>9}{'avg ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>7}  goal")
    missed = False
    for target in targets:
        result = results[target.label]
        ratio = result["rps"] / trivial
        if target.goal is None:
            verdict = ""
        else:
            met = ratio >= target.goal
            missed |= not met
            verdict = f"{target.goal:<4} {'met' if met else 'MISSED'}"
        shown = target.path + (" (If-None-Match)" if target.headers else "")
        print(f"{target.label:<17}{shown:<44}{result['rps']:>9.0f}{result['latency'] * 1000:>9.2f}"
              f"{result['p99'] * 1000:>9.2f}{result['non_2xx']:>8}{ratio:>7.2f}  {verdict}")  # fmt: skip
        if result["socket_errors"]:
            print(f"{'':<17}socket errors: {result['socket_errors']}")
    if any(result["non_2xx"] for result in results.values()):
        print(
            "some responses were errors (not 2xx or 3xx): the figures are not to be trusted", file=sys.stderr
        )
        return 1
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
