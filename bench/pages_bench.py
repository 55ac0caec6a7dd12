"""Benchmark: requests per second of the public pages against a trivial view, on gunicorn.

    .venv/bin/python bench/pages_bench.py [--duration 10] [--connections 16] [--threads 2] [--rounds 1]
                                          [--workers 2] [--conn-max-age SECONDS] [--check]

In one run: drops and creates the PostgreSQL database ``tracker_pages_bench`` on
127.0.0.1 (user postgres), migrates and seeds it, collects the static files into a
temporary TRACKER_VAR_DIR, starts gunicorn (``config.wsgi``, 2 sync workers, as in the
Procfile) on a free 127.0.0.1 port with production settings (DJANGO_DEBUG=false, a secret
key, the cache in Redis database 10), requests each URL once to warm the caches, then
runs wrk against ``/healthz/`` (a plain "ok", the cost of Django itself), ``/`` and
``/treaties/hanoi-convention/``. It prints requests per second and latency for each, and
each page's ratio to the trivial view (and whether the page cache served it: the
X-Page-Cache header of the request after the warm-up), then stops gunicorn, drops the database and
empties Redis database 10.

Goal: the cached pages serve at least 0.75 of the trivial view's requests per second.
``--check`` makes the exit status 1 when a page misses it. Needs wrk from Debian
(``apt-get install -y wrk``). All traffic stays on 127.0.0.1; every step has a time limit.
"""

import argparse
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
DATABASE = "tracker_pages_bench"
SERVER_URL = f"postgres://postgres@{HOST}:5432"
REDIS_URL = f"redis://{HOST}:6379/10"
GOAL = 0.75
# (label, path, text the response must contain: proof that it is the real page)
TARGETS = [
    ("trivial view", "/healthz/", "ok"),
    ("home page", "/", 'data-treaty="hanoi-convention"'),
    ("treaty page", "/treaties/hanoi-convention/", "world-map"),
]


def fail(message: str) -> None:
    print(f"pages_bench: {message}", file=sys.stderr)
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


def fetch(url: str, timeout: float = 10) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


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


def wrk(url: str, args) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", url]
    output = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=args.duration + 30
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
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when a page is below {GOAL} of the trivial view"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        fail("wrk is missing: install Debian's with `apt-get install -y wrk`.")

    var_dir = Path(tempfile.mkdtemp(prefix="pages_bench_"))
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
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    server = None
    try:
        print(f"database {DATABASE}: migrate, seed; static files into {var_dir}", flush=True)
        recreate_database()
        flush_cache()
        run([python, "manage.py", "migrate", "--no-input"], env, timeout=300)
        run([python, "manage.py", "seed"], env, timeout=300)
        run([python, "manage.py", "collectstatic", "--no-input"], env, timeout=120)

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

        page_cache = {}
        for label, path, marker in TARGETS:  # warm the caches, and check that each URL is the real page
            status, body, _headers = fetch(base + path)
            if status != 200 or marker not in body:
                fail(f"{label} {path} answered {status} without {marker!r}:\n{body[:2000]}")
            # The second request is what wrk gets: say whether the page cache served it.
            page_cache[label] = fetch(base + path)[2].get("X-Page-Cache", "-")

        print(f"gunicorn {args.workers} sync workers on {base}, CONN_MAX_AGE {args.conn_max_age or 0}; "
              f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} round(s), best kept; "
              f"{os.cpu_count()} CPUs shared by wrk, gunicorn, PostgreSQL and Redis", flush=True)  # fmt: skip
        results: dict[str, dict] = {}
        for _ in range(args.rounds):
            for label, path, _marker in TARGETS:
                measured = wrk(base + path, args)
                if label not in results or measured["rps"] > results[label]["rps"]:
                    results[label] = measured
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
        print("note: CONN_MAX_AGE 0: each request that touches the database opens a new PostgreSQL\n"
              "      connection (compare with --conn-max-age 600).")  # fmt: skip
    print(f"{'':<14}{'URL':<30}{'cache':>6}{'req/s':>10}{'avg ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'ratio':>8}"
          f"  goal {GOAL}")  # fmt: skip
    missed = False
    for label, path, _marker in TARGETS:
        result = results[label]
        ratio = result["rps"] / trivial
        verdict = "" if label == "trivial view" else ("met" if ratio >= GOAL else "MISSED")
        missed |= verdict == "MISSED"
        print(f"{label:<14}{path:<30}{page_cache[label]:>6}{result['rps']:>10.0f}{result['latency'] * 1000:>9.2f}"
              f"{result['p99'] * 1000:>9.2f}{result['non_2xx']:>9}{ratio:>8.2f}  {verdict}")  # fmt: skip
        if result["socket_errors"]:
            print(f"{'':<14}socket errors: {result['socket_errors']}")
    if any(result["non_2xx"] for result in results.values()):
        print("some responses were not 2xx: the figures are not to be trusted", file=sys.stderr)
        return 1
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
