"""Benchmark: requests per second of the REST API against a trivial view, on gunicorn.

    .venv/bin/python bench/api_bench.py [--duration 10] [--connections 16] [--threads 2] [--rounds 1]
                                        [--workers 2] [--conn-max-age SECONDS] [--check]

In one run (as bench/pages_bench.py does for the pages): drops and creates the PostgreSQL
database ``tracker_api_bench`` on 127.0.0.1 (user postgres), migrates and seeds it,
starts gunicorn (``config.wsgi``, 2 sync workers, as in the Procfile) on a free 127.0.0.1
port with production settings (DJANGO_DEBUG=false, a secret key, the cache in Redis
database 8, the throttle raised to API_ANON_RATE=API_USER_RATE=1000000/second so that it
measures the work, not the 429s), checks each URL once (and the X-API-Cache header that
says whether the API served a response from its cache), then runs wrk against:

- ``/healthz/``: a plain "ok", the cost of Django itself (the trivial view);
- ``/api/v1/treaties/hanoi-convention/status/``: the status JSON, served from the API's
  cache (``X-API-Cache: hit``) (goal: 0.6 of the trivial view);
- ``/api/v1/participants/?page_size=200``: every participant with aliases and memberships,
  computed on each request: ``Cache-Control: no-cache`` (``X-API-Cache: miss``) (goal: 0.3);
- the same list as any client gets it, from the API's cache (no goal: for comparison);
- the same list with ``If-None-Match: <its ETag>``, answered 304 Not Modified (goal: 0.8).

It prints requests per second, latency and the ratio to the trivial view of each, then
stops gunicorn, drops the database and empties Redis database 8. ``--check`` makes the
exit status 1 when a goal is missed. Needs wrk from Debian (``apt-get install -y wrk``).
All traffic stays on 127.0.0.1; every step has a time limit.
"""

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import _server

DATABASE = "tracker_api_bench"
REDIS_URL = "redis://127.0.0.1:6379/8"
STATUS = "/api/v1/treaties/hanoi-convention/status/"
LIST = "/api/v1/participants/?page_size=200"
# Makes the API compute the response afresh, though it has a copy in its cache.
NO_CACHE = {"Cache-Control": "no-cache"}
# What the URL column says after the path for the headers a target sends.
HEADER_NOTES = {"If-None-Match": " (If-None-Match)", "Cache-Control": " (no-cache)"}


class Target:
    def __init__(
        self, label: str, path: str, goal: float | None, expect: int = 200, headers: dict | None = None
    ):
        self.label, self.path, self.goal, self.expect, self.headers = label, path, goal, expect, headers or {}

    @property
    def shown(self) -> str:
        """The path, and which header wrk sends with it."""
        return self.path + "".join(HEADER_NOTES[name] for name in self.headers)


def check_list(base: str) -> str:
    """Check that the list holds the participants and that a request with its ETag is an
    empty 304; returns the ETag."""
    status, body, headers = _server.fetch(base + LIST)
    data = json.loads(body) if status == 200 else {}
    if status != 200 or len(data.get("results", [])) != min(200, data.get("count", 0)) or data["count"] < 190:
        _server.fail(f"{LIST} answered {status} without the participants: {body[:500]!r}")
    etag = headers.get("ETag")
    if not etag:
        _server.fail(f"{LIST} has no ETag")
    status, body, _ = _server.fetch(base + LIST, {"If-None-Match": etag})
    if status != 304 or body:
        _server.fail(f"{LIST} with If-None-Match: {etag} answered {status}, not an empty 304")
    return etag


def cache_state(base: str, path: str, what: str, headers: dict | None = None) -> str:
    """The X-API-Cache header of a request of ``path`` ("hit" or "miss"); fails when the API
    leaves it out. ``what`` names the response in that message."""
    status, body, response_headers = _server.fetch(base + path, headers)
    if status != 200:
        _server.fail(f"{path} answered {status}: {body[:500]!r}")
    state = response_headers.get("X-API-Cache")
    if state is None:
        _server.fail(f"the API does not say whether it served the {what} from its cache "
                     f"({path} has no X-API-Cache header)")  # fmt: skip
    return state


def check_api_cache(base: str) -> None:
    """After a first request, the list and the status come from the API's cache, and the list
    asked with Cache-Control: no-cache is computed afresh (what wrk measures)."""
    for path, what in ((LIST, "list"), (STATUS, "status")):
        state = cache_state(base, path, what)
        if state != "hit":
            _server.fail(f"{path} was not served from the API's cache the second time (X-API-Cache: {state})")
    state = cache_state(base, LIST, "list", NO_CACHE)
    if state != "miss":
        _server.fail(f"{LIST} with Cache-Control: no-cache was not computed afresh (X-API-Cache: {state})")


def check_targets(base: str) -> list[Target]:
    """Request each URL once (warming the caches) and check that it is the real answer and
    what the API's cache does with it; returns the targets, the conditional one with the
    ETag of the list."""
    status, body, _ = _server.fetch(base + "/healthz/")
    if status != 200 or body != b"ok":
        _server.fail(f"/healthz/ answered {status}: {body[:200]!r}")
    status, body, _ = _server.fetch(base + STATUS)
    if status != 200 or json.loads(body).get("treaty") != "hanoi-convention":
        _server.fail(f"{STATUS} answered {status}: {body[:500]!r}")
    etag = check_list(base)
    check_api_cache(base)
    return [
        Target("trivial view", "/healthz/", None),
        Target("status", STATUS, 0.6),
        Target("200-row list", LIST, 0.3, headers=NO_CACHE),
        # No goal: what a client that does not send no-cache gets, for comparison.
        Target("list from cache", LIST, None),
        Target("304 of the list", LIST, 0.8, expect=304, headers={"If-None-Match": etag}),
    ]


def measure(base: str, targets: list[Target], args) -> dict[str, dict]:
    """wrk against each target, ``args.rounds`` times; the best round of each by label."""
    results: dict[str, dict] = {}
    for _ in range(args.rounds):
        for target in targets:
            # Let the workers finish what the previous wrk left queued (slow lists).
            time.sleep(2)
            _server.keep_best(results, target.label, _server.wrk(base + target.path, target.headers, args))
    return results


def print_results(targets: list[Target], results: dict[str, dict], args) -> int:
    """The table of the results; returns the exit status."""
    trivial = results["trivial view"]["rps"]
    print()
    if args.conn_max_age == 0:
        print(
            "note: CONN_MAX_AGE 0: every API request that reads the database opens a new PostgreSQL\n"
            "      connection (the trivial view and the 304 read none); the default keeps them 60 s."
        )
    print(f"{'':<17}{'URL':<53}{'req/s':>9}{'avg ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>7}  goal")
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
        print(f"{target.label:<17}{target.shown:<53}{result['rps']:>9.0f}{result['latency'] * 1000:>9.2f}"
              f"{result['p99'] * 1000:>9.2f}{result['non_2xx']:>8}{ratio:>7.2f}  {verdict}")  # fmt: skip
        if result["socket_errors"]:
            print(f"{'':<17}socket errors: {result['socket_errors']}")
    if any(result["non_2xx"] for result in results.values()):
        print(
            "some responses were errors (not 2xx or 3xx): the figures are not to be trusted", file=sys.stderr
        )
        return 1
    return 1 if args.check and missed else 0


def main() -> int:
    parser = _server.options(__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        _server.fail("wrk is missing: install Debian's with `apt-get install -y wrk`.")

    var_dir = Path(tempfile.mkdtemp(prefix="api_bench_"))
    env = _server.environment(DATABASE, REDIS_URL, var_dir, args.conn_max_age) | {
        # The benchmark lifts the throttle (anonymous and token holders' alike) so that it
        # measures the work, not the 429s.
        "API_ANON_RATE": "1000000/second",
        "API_USER_RATE": "1000000/second",
    }
    server = None
    try:
        print(f"database {DATABASE}: migrate, seed", flush=True)
        _server.prepare_database(sys.executable, env, DATABASE, REDIS_URL)
        server, base = _server.start_gunicorn(sys.executable, env, var_dir, args.workers)
        targets = check_targets(base)
        print(_server.describe(args, base), flush=True)
        results = measure(base, targets, args)
        # The 304s were 304s to the end: no write moved the data version during the run.
        if _server.fetch(base + targets[-1].path, targets[-1].headers)[0] != 304:
            _server.fail("the conditional request was no longer answered 304 after the run")
        if any(result["non_2xx"] for result in results.values()):
            _server.report_errors(var_dir)
    finally:
        _server.clean_up(server, DATABASE, REDIS_URL, var_dir)
    return print_results(targets, results, args)


if __name__ == "__main__":
    sys.exit(main())
