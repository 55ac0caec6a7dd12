"""Benchmark: the cost of one anonymous rate-limit check, the tracker's against DRF's.

    .venv/bin/python bench/throttle_bench.py [--clients 50] [--requests 100] [--rounds 5]

Both count against the same Redis (REDIS_URL, default database 9 of 127.0.0.1), at the
default anonymous rate (API_ANON_RATE, 120/minute), for the same requests: ``--clients``
addresses making ``--requests`` requests each, all allowed (under the rate):

- ``tracker``: tracker.api.throttling.hit, a sliding-window counter (one round trip to
  Redis, fewer at high rates);
- ``drf``: DRF's AnonRateThrottle on Django's Redis cache (its list of timestamps: a
  read and a write of the list each request).

It prints the load, each round's microseconds per check, and the medians. The reason the
tracker keeps its own is not only this figure: a response served from the API's cache
(tracker.api.caching) never reaches a DRF view, and must still be counted, which DRF's
throttles, run by a view's ``initial()``, cannot do without building the view.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import RequestFactory
    from rest_framework.request import Request
    from rest_framework.throttling import AnonRateThrottle

    from tracker.api import throttling

    rate = throttling.Rate.parse(settings.API_ANON_RATE)

    class DRFAnon(AnonRateThrottle):
        THROTTLE_RATES = {"anon": settings.API_ANON_RATE}

    factory = RequestFactory()
    requests = [
        Request(factory.get("/api/v1/actions/", REMOTE_ADDR=f"10.0.{client // 250}.{client % 250}"))
        for client in range(args.clients)
    ]

    def tracker_round() -> float:
        throttling.leases.clear()
        start = time.perf_counter()
        for _ in range(args.requests):
            for request in requests:
                assert throttling.hit("bench", request._request.META["REMOTE_ADDR"], rate) is None
        return time.perf_counter() - start

    def drf_round() -> float:
        throttle = DRFAnon()
        start = time.perf_counter()
        for _ in range(args.requests):
            for request in requests:
                assert throttle.allow_request(request, None)
        return time.perf_counter() - start

    checks = args.clients * args.requests
    print(f"load before: {os.getloadavg()[0]:.2f}; {args.clients} clients x {args.requests} requests, rate {settings.API_ANON_RATE}")
    if args.requests > rate.count:
        sys.exit(f"--requests must be at most the rate's {rate.count}, so that every check is allowed")
    times = {"tracker": [], "drf": []}
    for number in range(1, args.rounds + 1):
        for name, run in (("tracker", tracker_round), ("drf", drf_round)):  # side by side, alternating
            cache.clear()
            times[name].append(run() / checks * 1e6)
        print(f"round {number}: tracker {times['tracker'][-1]:.1f} µs, drf {times['drf'][-1]:.1f} µs per check")
    tracker, drf = (statistics.median(times[name]) for name in ("tracker", "drf"))
    print(f"median: tracker {tracker:.1f} µs, drf {drf:.1f} µs per check; drf costs {drf / tracker:.2f} times as much")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    cache.clear()


if __name__ == "__main__":
    main()
