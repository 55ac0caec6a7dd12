"""What the gunicorn benchmarks (bench/pages_bench.py, bench/api_bench.py) share.

A scratch PostgreSQL database and Redis database, the production settings as environment
variables, gunicorn on a free 127.0.0.1 port, plain GET requests, wrk and the reading of
its output, and the clean-up. The scripts import it as ``_server``: run as
``.venv/bin/python bench/<name>.py``, their folder is on sys.path. Every step has a time
limit, and all traffic stays on 127.0.0.1.
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
import time
import urllib.error
import urllib.request
from http.client import HTTPMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_URL = f"postgres://postgres@{HOST}:5432"
# What the settings keep database connections for when DATABASE_URL does not say.
DEFAULT_CONN_MAX_AGE = "default (60 s)"


def fail(message: str) -> None:
    """Print ``message`` after the script's name on stderr and exit with status 2."""
    print(f"{Path(sys.argv[0]).stem}: {message}", file=sys.stderr)
    sys.exit(2)


def run(command: list[str], env: dict, timeout: int) -> None:
    """Run ``command`` in the project's folder; fail with its output when it fails."""
    result = subprocess.run(
        command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        fail(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def options(doc: str) -> argparse.ArgumentParser:
    """The command-line options both benchmarks take (the script adds ``--check``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
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
        "default: the settings' default, 60 s",
    )
    return parser


def environment(database: str, redis_url: str, var_dir: Path, conn_max_age: int | None) -> dict:
    """This process's environment with the production settings: DJANGO_DEBUG=false, a random
    secret key, the database ``database``, the cache at ``redis_url``, the runtime files in
    ``var_dir``, warnings only in the logs; ``conn_max_age`` None keeps the settings' default."""
    database_url = f"{SERVER_URL}/{database}"
    if conn_max_age is not None:
        database_url += f"?conn_max_age={conn_max_age}"
    # An inherited value would make the header's "default (60 s)" untrue.
    inherited = {name: value for name, value in os.environ.items() if name != "DATABASE_CONN_MAX_AGE"}
    return inherited | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Celery stays off Redis: nothing here runs a worker.
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_RESULT_BACKEND": f"file://{var_dir / 'celery' / 'results'}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "TRACKER_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }


def admin_connection():
    """A connection to the server's ``postgres`` database, to create and drop the others."""
    import psycopg

    # A time limit on each statement too: DROP ... WITH (FORCE) must not wait for ever.
    return psycopg.connect(
        f"{SERVER_URL}/postgres", autocommit=True, connect_timeout=5, options="-c statement_timeout=60s"
    )


def recreate_database(name: str) -> None:
    """Drop the database ``name`` if it is there, and create it empty."""
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    """Drop the database ``name`` if it is there, closing its connections."""
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_cache(url: str) -> None:
    """Empty the Redis database at ``url``."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def prepare_database(python: str, env: dict, database: str, redis_url: str) -> None:
    """A fresh database ``database``, migrated and seeded, and an empty Redis database."""
    recreate_database(database)
    flush_cache(redis_url)
    run([python, "manage.py", "migrate", "--no-input"], env, timeout=300)
    run([python, "manage.py", "seed"], env, timeout=300)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of asking."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def fetch(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes, HTTPMessage]:
    """GET ``url`` with only the given headers (as wrk sends them: no Accept); returns the
    status, the body and the headers (looked up without regard to case)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def start_gunicorn(python: str, env: dict, var_dir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    """Start gunicorn (``config.wsgi``, sync workers) on a free 127.0.0.1 port, its logs in
    ``var_dir``, and wait until it answers; returns the process and its base URL."""
    port = free_port()
    log = var_dir / "gunicorn.log"
    command = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"{HOST}:{port}",
               "--workers", str(workers), "--access-logfile", str(var_dir / "access.log"),
               "--error-logfile", str(log)]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        wait_until_up(base, server, log)
    except BaseException:
        # The caller never gets the process: stop it here.
        stop(server)
        raise
    return server, base


def wait_until_up(base: str, server: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Wait until ``base``/healthz/ answers 200; fail with the end of the log when gunicorn
    exits or does not answer within ``timeout`` seconds."""
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
    """Stop ``server`` with SIGTERM, killing it if it is still there after 15 seconds."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def clean_up(server: subprocess.Popen | None, database: str, redis_url: str, var_dir: Path) -> None:
    """Stop gunicorn (when started), drop the database, empty the Redis database and remove
    ``var_dir``: each step even when one before it fails."""
    try:
        if server is not None:
            stop(server)
    finally:
        try:
            drop_database(database)
            flush_cache(redis_url)
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)


def describe(args, base: str, kept: str = "best") -> str:
    """The header line of the results: server, CONN_MAX_AGE, wrk's settings, which round is
    kept and the CPUs."""
    conn_max_age = args.conn_max_age if args.conn_max_age is not None else DEFAULT_CONN_MAX_AGE
    return (
        f"gunicorn {args.workers} sync workers on {base}, CONN_MAX_AGE {conn_max_age}; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} round(s), "
        f"{kept} kept; {os.cpu_count()} CPUs shared by wrk, gunicorn, PostgreSQL and Redis; "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def seconds(value: str) -> float:
    """wrk's '1.23ms', '850.00us', '1.01s' as seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, headers: dict, args) -> dict:
    """Run wrk against ``url`` with ``headers`` (threads, connections and duration from
    ``args``); returns rps, latency and p99 (seconds), non_2xx and socket_errors."""
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


def keep_best(results: dict[str, dict], label: str, measured: dict) -> None:
    """Keep ``measured`` as the result of ``label`` when it has more requests per second."""
    if label not in results or measured["rps"] > results[label]["rps"]:
        results[label] = measured


def report_errors(var_dir: Path) -> None:
    """The status codes of the error responses by URL, from gunicorn's access log, and the
    end of its error log, on stderr."""
    counts: dict[tuple[str, str], int] = {}
    for line in (var_dir / "access.log").read_text().splitlines():
        found = re.search(r'"GET (\S+) HTTP/[\d.]+" (\d{3})', line)
        if found and found.group(2)[0] in "45":
            counts[found.groups()] = counts.get(found.groups(), 0) + 1
    for (path, code), count in sorted(counts.items()):
        print(f"  {count:>7} x {code} {path}", file=sys.stderr)
    print((var_dir / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
