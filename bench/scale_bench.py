"""Benchmark: the pages computed afresh, with as many treaties as the UN collection holds.

    .venv/bin/python bench/scale_bench.py [--treaties 10,100,600] [--rounds 5] [--requests 1000]

In a scratch PostgreSQL database (``tracker_scale_bench`` on 127.0.0.1, migrated and
seeded, dropped at the end) it adds made-up treaties, each with the Hanoi Convention's
rule, 150 signatures and 0 to 150 deposits (treaty i has i mod 151), written in bulk. Then,
side by side in this process (Django's RequestFactory, the views without the page cache),
it prints the median of ``--rounds`` rounds and the number of queries of:

- the trivial view (``/healthz/``), the unit of every ratio;
- the home page, with 10, 100 and 600 made-up treaties (goal: under 300 ms and at most 20
  queries at 600, a number that does not grow with the treaties), computed three ways:
  from an empty cache (every treaty's actions read and computed), after a write to one
  treaty, and on each of the next days (the clock moved a day before each round, as
  visitors find it the morning after);
- a treaty page for a treaty of 200 participants and 400 actions, the size of the
  Convention on the Rights of the Child (goal: under 40 ms);
- ``rules.timeline`` for 400 and 4,000 actions (goal: ten times the actions costs at most
  twelve times the time).

Last, it starts gunicorn (one sync worker, production settings) and sends ``--requests``
mixed requests (the home page, treaty pages, the status API, the participants list) and
prints the worker's memory (goal: under 200 MiB). The load average is printed before and
after. Needs PostgreSQL and Redis (database 11, emptied) on 127.0.0.1.
"""

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import _server

DATABASE = "tracker_scale_bench"
REDIS_URL = "redis://127.0.0.1:6379/11"
SIGNED_ON = date(2025, 10, 25)
NEW_YORK = ZoneInfo("America/New_York")


def median_ms(run, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def add_treaties(first: int, last: int) -> None:
    """Made-up treaties ``first`` … ``last - 1``: 150 signatures, i mod 151 deposits each."""
    from simple_history.utils import bulk_create_with_history

    from signatories.models import Action, Participant
    from tracker.models import Treaty

    states = list(Participant.objects.filter(kind=Participant.Kind.STATE).order_by("pk")[:150])
    treaties = Treaty.objects.bulk_create(
        Treaty(
            slug=f"made-up-{number:03d}", short_title=f"Made-up treaty {number:03d}", title=f"Made-up treaty {number}",
            depositary_reference=f"X-{number}", adopted_on=date(2024, 12, 24), signature_opens_on=SIGNED_ON,
            signature_closes_on=date(2026, 12, 31), threshold=40, entry_into_force_delay="90d", later_joiner_delay="30d",
        )
        for number in range(first, last)
    )  # fmt: skip
    actions = []
    for treaty, number in zip(treaties, range(first, last), strict=True):
        for index, state in enumerate(states):
            actions.append(Action(treaty=treaty, participant=state, kind="signature", date=SIGNED_ON))
            if index < number % 151:
                actions.append(Action(treaty=treaty, participant=state, kind="ratification",
                                      date=date(2026, 1, 1) + timedelta(days=index)))  # fmt: skip
    # With their audit history, as every writer leaves it: the home page reads its last row.
    bulk_create_with_history(actions, Action, batch_size=5000, default_change_reason="scale bench")


def crc_sized_treaty() -> str:
    """A treaty of 200 participants, each with a signature and a ratification: 400 actions."""
    from signatories.models import Action, Participant
    from tracker.models import Treaty

    have = list(Participant.objects.order_by("pk"))
    extra = [Participant(name=f"Made-up State {n}", slug=f"made-up-state-{n}", kind="state") for n in range(200 - len(have))]
    participants = have + Participant.objects.bulk_create(extra)
    treaty = Treaty.objects.create(
        slug="crc-sized", short_title="A treaty the size of the CRC", title="A treaty the size of the CRC",
        adopted_on=date(2024, 12, 24), signature_opens_on=SIGNED_ON, threshold=20, entry_into_force_delay="30d",
        later_joiner_delay="30d",
    )  # fmt: skip
    Action.objects.bulk_create(
        [Action(treaty=treaty, participant=p, kind="signature", date=SIGNED_ON) for p in participants]
        + [Action(treaty=treaty, participant=p, kind="ratification", date=date(2026, 1, 1) + timedelta(days=i))
           for i, p in enumerate(participants)]  # fmt: skip
    )
    return treaty.slug


def measure_view(view, path: str, rounds: int, before=None, **kwargs) -> tuple[float, int]:
    """Median milliseconds of ``view`` on ``path`` without the page cache, and its queries.
    ``before`` runs before each round, untimed (a write, or emptying the cache)."""
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    factory = RequestFactory()
    raw = getattr(view, "__wrapped__", view)  # past @cached_page: computed every time
    before = before or (lambda: None)

    def run():
        response = raw(factory.get(path), **kwargs)
        assert response.status_code == 200, response.status_code

    run()  # warm up imports and templates
    before()
    with CaptureQueriesContext(connection) as queries:
        run()
    times = []
    for _ in range(rounds):
        before()
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries)


@contextlib.contextmanager
def next_days():
    """A function that moves the clock to the next day (noon in New York), each time it is
    called: the home page on a new day, with the cache of the days before."""
    import time_machine

    travels = []

    def new_day():
        if travels:
            travels[-1].stop()
        moved = time_machine.travel(datetime(2026, 12, 4, 12, tzinfo=NEW_YORK) + timedelta(days=len(travels)))
        moved.start()
        travels.append(moved)

    try:
        yield new_day
    finally:
        if travels:
            travels[-1].stop()


WRITES = {"count": 0}


def write_one(size: int):
    """A write before each round: a made-up treaty gains a deposit, through the services."""
    from signatories.models import Participant
    from signatories.services import record_action
    from tracker.models import Treaty

    made = WRITES  # shared by every size: no treaty gets the same newcomer twice
    # States past the 150 that signed every made-up treaty: none has an instrument yet.
    newcomers = list(Participant.objects.filter(kind=Participant.Kind.STATE).order_by("pk")[150:])

    def write():
        treaty = Treaty.objects.get(slug=f"made-up-{made['count'] % size:03d}")
        participant = newcomers[made["count"] // 10]  # at most 10 writes to one treaty per newcomer
        made["count"] += 1
        record_action(treaty=treaty, participant=participant, kind="accession", date=date(2026, 6, 1))

    return write


def timeline_ratio(rounds: int) -> tuple[float, float]:
    """Milliseconds of rules.timeline for 400 and for 4,000 actions (made-up records)."""
    from tracker import rules

    rule = rules.TreatyRule(threshold=40, delay=rules.Delay.parse("90d"), later_delay=rules.Delay.parse("30d"))
    times = []
    for count in (400, 4000):
        records = [
            rules.ActionRecord(participant=f"p{n // 2}", kind=rules.ActionKind.SIGNATURE if n % 2 == 0
                               else rules.ActionKind.RATIFICATION, on=SIGNED_ON + timedelta(days=n % 700))
            for n in range(count)
        ]  # fmt: skip
        times.append(median_ms(lambda records=records: rules.timeline(rule, records, date(2027, 12, 31)), rounds))
    return times[0], times[1]


def worker_memory(env: dict, var_dir: Path, requests: int, slugs: list[str]) -> tuple[float, float, int]:
    """A gunicorn worker's RSS (MiB) before and after ``requests`` mixed requests, and how
    many answered 200: the home page, treaty pages, the status API and the participants list."""
    server, base = _server.start_gunicorn(sys.executable, env, var_dir, workers=1)
    try:
        worker = next(int(pid) for pid in os.listdir("/proc") if pid.isdigit()
                      and f"{server.pid}" == open(f"/proc/{pid}/stat").read().split(") ")[1].split()[1])  # fmt: skip
        _server.fetch(f"{base}/")
        before = rss_mib(worker)
        chooser, ok = random.Random(20261203), 0
        paths = ["/", "/api/v1/participants/?page_size=200", "/treaties/hanoi-convention/"]
        for number in range(requests):
            slug = chooser.choice(slugs)
            path = [paths[number % 3], f"/treaties/{slug}/", f"/api/v1/treaties/{slug}/status/"][number % 3 and chooser.randrange(3)]
            status, _, _ = _server.fetch(f"{base}{path}", {"Cache-Control": "no-cache"}, timeout=60)
            ok += status == 200
        return before, rss_mib(worker), ok
    finally:
        _server.stop(server)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--treaties", default="10,100,600", help="comma-separated numbers of made-up treaties")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.treaties.split(","))
    var_dir = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    # The throttle raised, so that the mixed requests measure the work, not the 429s.
    env = _server.environment(DATABASE, REDIS_URL, var_dir, None) | {
        "API_ANON_RATE": "1000000/second", "API_USER_RATE": "1000000/second",
    }  # fmt: skip
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    _server.prepare_database(sys.executable, env, DATABASE, REDIS_URL)
    _server.run([sys.executable, "manage.py", "collectstatic", "--no-input"], env, timeout=120)
    os.environ.update(env)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.cache import cache

    from tracker import views

    try:
        trivial, _ = measure_view(views.healthz, "/healthz/", args.rounds * 20)
        print(f"trivial view: {trivial:.3f} ms")
        made = 0
        for size in sizes:
            add_treaties(made, size)
            made = size
            cold, queries = measure_view(views.home, "/", args.rounds, before=cache.clear)
            after_write, write_queries = measure_view(views.home, "/", args.rounds, before=write_one(size))
            with next_days() as new_day:
                next_day, day_queries = measure_view(views.home, "/", args.rounds, before=new_day)
            print(f"home page, {size} made-up treaties: {cold:8.1f} ms from an empty cache, {queries} queries; "
                  f"{after_write:8.1f} ms after a write to one treaty, {write_queries} queries; "
                  f"{next_day:8.1f} ms on a new day, {day_queries} queries")
        slug = crc_sized_treaty()
        took, queries = measure_view(views.treaty_page, f"/treaties/{slug}/", args.rounds, slug=slug)
        print(f"treaty page, 200 participants and 400 actions: {took:.1f} ms, {queries} queries")
        small, large = timeline_ratio(args.rounds)
        print(f"rules.timeline: {small:.2f} ms for 400 actions, {large:.2f} ms for 4,000: x{large / small:.1f} for x10")
        from django.db import connections

        connections.close_all()
        _server.flush_cache(REDIS_URL)
        before, after, ok = worker_memory(env, var_dir, args.requests, [f"made-up-{n:03d}" for n in range(made)])
        print(f"gunicorn worker: {before:.0f} MiB warmed up, {after:.0f} MiB after {args.requests} mixed requests ({ok} answered 200)")
    finally:
        print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        from django.db import connections

        connections.close_all()
        _server.drop_database(DATABASE)
        _server.flush_cache(REDIS_URL)


if __name__ == "__main__":
    main()
