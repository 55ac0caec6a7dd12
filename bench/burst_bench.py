"""Benchmark: how many of a burst of concurrent requests after a write compute the response.

    .venv/bin/python bench/burst_bench.py [--rounds 5] [--crowd 50] [--workers 2] [--threads-per-worker 16]
                                          [--delay 0] [--conn-max-age SECONDS]

In one run: drops and creates the PostgreSQL database ``tracker_burst_bench`` on
127.0.0.1 (user postgres), migrates and seeds it, collects the static files into a
temporary TRACKER_VAR_DIR, and then, once with single flight off (PAGE_SINGLE_FLIGHT=false:
the old behaviour, every miss computes) and once with it on (the default), starts
gunicorn (``config.wsgi``, 2 gthread workers of 16 threads, so that a burst is served at
once rather than queued, production settings, the cache in Redis database 10), warms the
treaty page and the participants' API list, and for each round and each of
``/treaties/hanoi-convention/`` and ``/api/v1/participants/``: requests it once (stored
for the current version, as a page people read is), waits 1.5 s (so that each worker reads
the data version again at its next request), makes a write (what every
write does to the caches: a new data version, committed, from this process, so no worker
has seen it yet), waits ``--delay`` seconds (past 1 s, the stale second is over and the
crowd waits for the builder instead), fires ``--crowd`` concurrent GETs at it, and counts how many
computed (``X-Page-Cache``/``X-API-Cache: miss``), were served stale or a hit, their
latency median and maximum, and the load average after the burst. Then it prints both
modes side by side, stops gunicorn, drops the database and empties Redis database 10.

The figures depend on the machine's load (printed): the CPUs are shared by the client's
threads, gunicorn, PostgreSQL and Redis. All traffic stays on 127.0.0.1; every step has a
time limit.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _server

DATABASE = "tracker_burst_bench"
REDIS_URL = "redis://127.0.0.1:6379/10"
TARGETS = [("treaty page", "/treaties/hanoi-convention/", "X-Page-Cache"),
           ("API list", "/api/v1/participants/", "X-API-Cache")]  # fmt: skip
MODES = [("before (off)", "false"), ("single flight", "true")]
GAP_SECONDS = 1.5  # before a write: every worker's data version is then older than a second


def options():
    parser = _server.options(__doc__)
    parser.set_defaults(rounds=5)
    parser.add_argument("--crowd", type=int, default=50, help="concurrent requests per burst (default 50)")
    parser.add_argument("--threads-per-worker", dest="worker_threads", type=int, default=16,
                        help="gunicorn gthread threads per worker (default 16)")  # fmt: skip
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds between the write and the burst (default 0: within the stale second)")  # fmt: skip
    return parser.parse_args()


def start_gunicorn(python: str, env: dict, var_dir: Path, args) -> tuple[subprocess.Popen, str]:
    """gunicorn with gthread workers (bench/_server.py starts sync ones, which queue a burst)."""
    port = _server.free_port()
    log = var_dir / "gunicorn.log"
    command = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"{_server.HOST}:{port}",
               "--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.worker_threads),
               "--access-logfile", str(var_dir / "access.log"), "--error-logfile", str(log)]  # fmt: skip
    server = subprocess.Popen(command, cwd=_server.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://{_server.HOST}:{port}"
    try:
        _server.wait_until_up(base, server, log)
    except BaseException:
        _server.stop(server)
        raise
    return server, base


def write() -> None:
    """What every write does to the caches: a new data version, committed (tracker.writes)."""
    from django.db import transaction

    from tracker import writes

    with transaction.atomic():
        writes.data_changed()


def burst(url: str, header: str, crowd: int) -> dict:
    """``crowd`` GETs of ``url`` at once; how they were served, and their latencies (s)."""
    start = threading.Barrier(crowd, timeout=30)

    def one(_):
        start.wait()
        began = time.perf_counter()
        status, _body, headers = _server.fetch(url, timeout=60)
        return status, headers.get(header, "-"), time.perf_counter() - began

    with ThreadPoolExecutor(crowd) as pool:
        results = list(pool.map(one, range(crowd)))
    latencies = [latency for _status, _state, latency in results]
    states = [state for _status, state, _latency in results]
    return {
        "computed": states.count("miss"),
        "stale": states.count("stale"),
        "hit": states.count("hit"),
        "non_200": sum(status != 200 for status, _state, _latency in results),
        "median": statistics.median(latencies),
        "max": max(latencies),
        "load": os.getloadavg()[0],
    }


def measure(base: str, args, label: str) -> dict[str, list[dict]]:
    """The rounds of one mode: a write, then a burst at each target; printed as they come."""
    for _name, path, header in TARGETS:
        _server.fetch(base + path)  # stored for the current version
        burst(base + path, header, args.crowd)  # not counted: every thread and connection warm
    results: dict[str, list[dict]] = {name: [] for name, _path, _header in TARGETS}
    for number in range(1, args.rounds + 1):
        for name, path, header in TARGETS:
            _server.fetch(base + path)  # stored for the version before the write, as a read page is
            time.sleep(GAP_SECONDS)
            write()
            time.sleep(args.delay)
            result = burst(base + path, header, args.crowd)
            results[name].append(result)
            print(f"{label:<14} round {number}  {name:<12} computed {result['computed']:>3}  stale {result['stale']:>3}"
                  f"  hit {result['hit']:>3}  non-200 {result['non_200']:>2}  median {result['median'] * 1000:7.1f} ms"
                  f"  max {result['max'] * 1000:7.1f} ms  load {result['load']:.2f}", flush=True)  # fmt: skip
    return results


def summary(by_mode: dict[str, dict[str, list[dict]]], args) -> None:
    """Both modes side by side: per burst, computations (mean, most), latencies, load."""
    print(f"\n{args.rounds} rounds of {args.crowd} concurrent requests after a write, delay {args.delay} s; "
          f"gunicorn {args.workers} gthread workers x {args.worker_threads} threads; {os.cpu_count()} CPUs shared")  # fmt: skip
    print(f"{'':<13}{'mode':<15}{'computed/burst':>15}{'most':>6}{'stale':>7}{'median ms':>11}{'max ms':>9}{'load':>7}")
    for name, _path, _header in TARGETS:
        for label, _value in MODES:
            rounds = by_mode[label][name]
            print(f"{name:<13}{label:<15}{statistics.mean(r['computed'] for r in rounds):>15.1f}"
                  f"{max(r['computed'] for r in rounds):>6}{statistics.mean(r['stale'] for r in rounds):>7.1f}"
                  f"{statistics.median(r['median'] for r in rounds) * 1000:>11.1f}"
                  f"{max(r['max'] for r in rounds) * 1000:>9.1f}{statistics.mean(r['load'] for r in rounds):>7.2f}")  # fmt: skip


def main() -> int:
    args = options()
    var_dir = Path(tempfile.mkdtemp(prefix="burst_bench_"))
    env = _server.environment(DATABASE, REDIS_URL, var_dir, args.conn_max_age)
    env["API_ANON_RATE"] = "1000000/minute"  # the bursts come from one address
    python = sys.executable
    server = None
    by_mode, django_ready = {}, False
    try:
        print(f"database {DATABASE}: migrate, seed; static files into {var_dir}", flush=True)
        _server.prepare_database(python, env, DATABASE, REDIS_URL)
        _server.run([python, "manage.py", "collectstatic", "--no-input"], env, timeout=120)
        os.environ.update(env)  # this process makes the writes, on the same database
        sys.path.insert(0, str(_server.ROOT))
        import django

        django.setup()
        django_ready = True
        for label, value in MODES:
            server, base = start_gunicorn(python, env | {"PAGE_SINGLE_FLIGHT": value}, var_dir, args)
            by_mode[label] = measure(base, args, label)
            _server.stop(server)
            server = None
    finally:
        if django_ready:
            from django.db import connections

            connections.close_all()  # before the database is dropped
        _server.clean_up(server, DATABASE, REDIS_URL, var_dir)
    summary(by_mode, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
