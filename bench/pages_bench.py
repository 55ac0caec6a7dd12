"""Benchmark: requests per second of the public pages against a trivial view, on gunicorn.

    .venv/bin/python bench/pages_bench.py [--duration 10] [--connections 16] [--threads 2] [--rounds 1]
                                          [--workers 2] [--conn-max-age SECONDS] [--check]

In one run: drops and creates the PostgreSQL database ``tracker_pages_bench`` on
127.0.0.1 (user postgres), migrates and seeds it, collects the static files into a
temporary TRACKER_VAR_DIR, starts gunicorn (``config.wsgi``, 2 sync workers, as in the
Procfile) on a free 127.0.0.1 port with production settings (DJANGO_DEBUG=false, a secret
key, the cache in Redis database 10), requests each URL once to warm the caches, then
runs wrk against ``/healthz/`` (a plain "ok", the cost of Django itself), ``/`` and
``/treaties/hanoi-convention/``, each asked with ``Accept-Encoding: gzip`` as browsers
ask, and the treaty page once more without it. Each round runs every URL once, side by
side; the round with the median requests per second is kept. It prints the load, requests
per second and latency for each, and each page's ratio to the trivial view (and whether
the page cache served it: the X-Page-Cache header of the request after the warm-up), then
stops gunicorn, drops the database and empties Redis database 10.

Goal: the cached pages serve at least 0.9 of the trivial view's requests per second.
``--check`` makes the exit status 1 when a page misses it. Needs wrk from Debian
(``apt-get install -y wrk``). All traffic stays on 127.0.0.1; every step has a time limit.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import _server

DATABASE = "tracker_pages_bench"
REDIS_URL = "redis://127.0.0.1:6379/10"
GOAL = 0.9
# What a browser sends: stored pages are kept gzipped too (tracker.pagecache).
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}
# (label, path, text the response must contain: proof that it is the real page, headers)
TARGETS = [
    ("trivial view", "/healthz/", "ok", BROWSER),
    ("home page", "/", 'data-treaty="hanoi-convention"', BROWSER),
    ("treaty page", "/treaties/hanoi-convention/", "world-map", BROWSER),
    ("  no gzip", "/treaties/hanoi-convention/", "world-map", {}),
]


def check_pages(base: str) -> dict[str, str]:
    """Request each URL (warming the caches) and check that it is the real page; returns by
    label the X-Page-Cache header of a second request, the one that wrk gets."""
    page_cache = {}
    for label, path, marker, _headers in TARGETS:
        status, body, _headers = _server.fetch(base + path)
        text = body.decode("utf-8", "replace")
        if status != 200 or marker not in text:
            _server.fail(f"{label} {path} answered {status} without {marker!r}:\n{text[:2000]}")
        page_cache[label] = _server.fetch(base + path)[2].get("X-Page-Cache", "-")
    return page_cache


def median_round(measured: list[dict]) -> dict:
    """The round with the median requests per second (the lower middle one of an even number)."""
    ordered = sorted(measured, key=lambda result: result["rps"])
    return ordered[(len(ordered) - 1) // 2]


def print_results(results: dict[str, dict], page_cache: dict[str, str], args) -> int:
    """The table of the results; returns the exit status."""
    trivial = results["trivial view"]["rps"]
    print()
    if args.conn_max_age == 0:
        print("note: CONN_MAX_AGE 0: each request that touches the database opens a new PostgreSQL\n"
              "      connection (compare with the default, 60 s).")  # fmt: skip
    print(f"{'':<14}{'URL':<30}{'cache':>6}{'req/s':>10}{'avg ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'ratio':>8}"
          f"  goal {GOAL}")  # fmt: skip
    missed = False
    for label, path, _marker, _headers in TARGETS:
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


def main() -> int:
    parser = _server.options(__doc__)
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when a page is below {GOAL} of the trivial view"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        _server.fail("wrk is missing: install Debian's with `apt-get install -y wrk`.")

    var_dir = Path(tempfile.mkdtemp(prefix="pages_bench_"))
    env = _server.environment(DATABASE, REDIS_URL, var_dir, args.conn_max_age)
    python = sys.executable
    server = None
    try:
        print(f"database {DATABASE}: migrate, seed; static files into {var_dir}", flush=True)
        _server.prepare_database(python, env, DATABASE, REDIS_URL)
        _server.run([python, "manage.py", "collectstatic", "--no-input"], env, timeout=120)
        server, base = _server.start_gunicorn(python, env, var_dir, args.workers)
        page_cache = check_pages(base)

        print(_server.describe(args, base, kept="median"), flush=True)
        results: dict[str, dict] = {}
        rounds: dict[str, list[dict]] = {label: [] for label, *_ in TARGETS}
        for _ in range(args.rounds):  # side by side: each round runs every URL once
            for label, path, _marker, headers in TARGETS:
                rounds[label].append(_server.wrk(base + path, headers, args))
        results = {label: median_round(measured) for label, measured in rounds.items()}
        if any(result["non_2xx"] for result in results.values()):
            _server.report_errors(var_dir)
    finally:
        _server.clean_up(server, DATABASE, REDIS_URL, var_dir)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return print_results(results, page_cache, args)


if __name__ == "__main__":
    sys.exit(main())
