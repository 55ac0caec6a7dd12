"""Benchmark: fan one alert out to 100,000 subscribers, then send it to a local SMTP server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/alerts_bench.py \\
        [--subscribers 100000] [--send N] [--workers 1]

Runs in a throwaway PostgreSQL database (Django's test database for DATABASE_URL, under a
name of its own, created and dropped here), after seeding. The subscribers are made up
(reader000000@bench.example, …), and so is the alert: the "10 of 40" threshold milestone is
recorded directly, as services.check_treaty would record it after ten deposits.

1. services.fan_out() creates one delivery per subscriber. Goal: under 30 seconds for 100,000.
2. A local SMTP server (aiosmtpd with tests/smtp_sink.py, in a process of its own, counting
   and discarding what it receives, offering PIPELINING) gets the emails, sent as the
   worker sends them: services.claim_deliveries() then services.send_batch(), one SMTP
   connection per batch, two round trips per email (tracker/alerts/smtp.py), each email
   recorded as sent while the server answers the next one's envelope.
   Goal: 300 emails per second or more (the issue "Fast when computed"). ``--send N``
   sends only the first N deliveries (default: all of them); the fan-out always covers
   every subscriber. ``--workers N``
   sends from N processes at once, as N Celery worker processes would (default 1).
   ``--compare REVISION [--rounds R]`` then sends N more with the sending code at a git
   revision (``git show``, no checkout) and N with the current code, alternately, R times
   (from ``--workers`` processes each), and prints each round's rate, CPU time and load
   average and the medians (the subscribers must cover (2R + 1) × N); ``--compare HEAD``
   measures the code before uncommitted changes. ``--profile N`` then profiles sending N
   more.

The peak RSS of this process is printed after each step (and of the largest sending
process with ``--workers``): it must stay flat, as neither step holds all the deliveries
in memory.
"""

import argparse
import multiprocessing
import os
import queue
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from _server import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The email settings are read when Django starts: point them at the sink started below.
SMTP_PORT = free_port()
os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{SMTP_PORT}"
# No task may reach a real broker (or the filesystem queue of `make run`) from here.
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from tracker.alerts import services  # noqa: E402
from tracker.alerts.models import Alert, Delivery, Subscription  # noqa: E402
from tracker.models import Treaty  # noqa: E402
from tracker.services import seed  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of another running process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class QueryCounter:
    """Counts queries without keeping them (CaptureQueriesContext would hold 100,000s)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def create_subscribers(treaty: Treaty, count: int, chunk: int = 10_000) -> None:
    """Confirmed subscribers, inserted a chunk at a time so that they are never all in memory."""
    confirmed = timezone.now() - timedelta(days=1)
    for start in range(0, count, chunk):
        Subscription.objects.bulk_create(
            [
                Subscription(email=f"reader{n:06}@bench.example", treaty=treaty, confirmed_at=confirmed)
                for n in range(start, min(start + chunk, count))
            ]
        )


def made_up_alert(treaty: Treaty) -> Alert:
    """The "10 of 40" milestone, as check_treaty records it (the deposits are not made)."""
    return Alert.objects.create(
        treaty=treaty,
        key="threshold:10",
        kind="threshold",
        facts={"milestone": "10", "threshold": str(treaty.threshold), "to_go": str(treaty.threshold - 10),
               "counted": "10"},
    )  # fmt: skip


class Sink:
    """aiosmtpd in a process of its own, with tests/smtp_sink.py counting what it accepts."""

    def __init__(self, port: int, folder: Path):
        self.count_file = folder / "count"
        self.log = folder / "sink.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "tests.smtp_sink.Sink"],
                cwd=ROOT,
                env=os.environ | {"SMTP_SINK_COUNT_FILE": str(self.count_file)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.process.poll() is None:
            with suppress(OSError), smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                probe.ehlo()
                self.extensions = sorted(probe.esmtp_features)  # what the sender sees
                return
            time.sleep(0.2)
        self.stop()
        sys.exit(f"the SMTP sink (aiosmtpd) did not start:\n{self.log.read_text()}")

    def accepted(self) -> int:
        with suppress(FileNotFoundError, ValueError):
            return int(self.count_file.read_text())
        return 0

    def stop(self) -> None:
        stop(self.process)


def send(limit: int, sender=services) -> dict:
    """Claim and send batches as the send_deliveries task does, until ``limit`` are handled
    (``sender``: the services module to send with, the current one unless --compare)."""
    totals = {"sent": 0, "retry": 0, "failed": 0, "lost": 0}
    batches = 0
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        while (done := sum(totals.values())) < limit:
            claim = sender.claim_deliveries(limit=min(sender.BATCH, limit - done))
            if not claim:
                break
            batches += 1
            for key, value in sender.send_batch(claim).items():
                totals[key] += value
    return {"totals": totals, "batches": batches, "queries": counter.count, "rss": peak_rss_mib()}


def send_in_child(limit: int, results, sender) -> None:
    try:
        results.put(send(limit, sender))
    finally:
        connections.close_all()


def send_from(workers: int, limit: int, sender=services) -> dict:
    """Send ``limit`` deliveries from this process, or from ``workers`` forked processes
    that claim batches side by side (each from its own database connection)."""
    if workers == 1:
        return send(limit, sender)
    connections.close_all()  # no child may share this process's connection
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    shares = [limit // workers + (1 if n < limit % workers else 0) for n in range(workers)]
    children = [context.Process(target=send_in_child, args=(share, results, sender)) for share in shares]
    for child in children:
        child.start()
    reports = []
    while len(reports) < len(children):
        with suppress(queue.Empty):
            reports.append(results.get(timeout=1))
            continue
        if any(child.exitcode not in (None, 0) for child in children):
            sys.exit(f"a sending process failed: exit codes {[child.exitcode for child in children]}")
    for child in children:
        child.join()
    return {
        "totals": {key: sum(r["totals"][key] for r in reports) for key in reports[0]["totals"]},
        "batches": sum(r["batches"] for r in reports),
        "queries": sum(r["queries"] for r in reports),
        "rss": max(r["rss"] for r in reports),
    }


def services_at(revision: str, folder: Path):
    """tracker/alerts/services.py and emails.py as they are at ``revision`` (git show, no
    checkout), imported as modules of their own so that both paths run in this process."""
    sources = {
        name: subprocess.run(["git", "show", f"{revision}:tracker/alerts/{name}.py"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        for name in ("emails", "services")
    }  # fmt: skip
    prefix = "alerts_at_" + "".join(c if c.isalnum() else "_" for c in revision)
    (folder / f"{prefix}_emails.py").write_text(sources["emails"])
    (folder / f"{prefix}_services.py").write_text(
        sources["services"].replace("from tracker.alerts.emails import", f"from {prefix}_emails import")
    )
    sys.path.insert(0, str(folder))
    import importlib

    return importlib.import_module(f"{prefix}_services")


def current_rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def compare(revision: str, rounds: int, per_round: int, sink: "Sink", workers: int = 1) -> None:
    """Send ``per_round`` deliveries with the code at ``revision`` and as many with the
    current code, alternately (the order swapped every round), ``rounds`` times; print
    each measurement with the load average seen, then the medians."""
    import statistics

    with tempfile.TemporaryDirectory(prefix="alerts-bench-old-") as folder:
        paths = {revision: services_at(revision, Path(folder)), "current": services}
        seen: dict[str, list[tuple[float, float, float]]] = {name: [] for name in paths}
        print(f"\n--compare: {rounds} rounds of {per_round:,} emails per path, alternately, from {workers} "
              f"sending process{'es' if workers > 1 else ''}")  # fmt: skip
        print(f"{'round':>5} {'path':<10} {'emails/s':>9} {'CPU ms/email':>13} {'sink ms/email':>14} "
              f"{'load (1 min)':>13} {'RSS MiB':>8}")  # fmt: skip
        for number in range(rounds):
            order = list(paths) if number % 2 == 0 else list(paths)[::-1]
            for name in order:
                cpu = cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN)
                sink_cpu = process_cpu_seconds(sink.process.pid)
                started = time.perf_counter()
                sent = send_from(workers, per_round, paths[name])["totals"]["sent"]
                seconds = time.perf_counter() - started
                load = os.getloadavg()[0]
                cpu = cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
                measured = (sent / seconds, cpu * 1000 / max(sent, 1),
                            (process_cpu_seconds(sink.process.pid) - sink_cpu) * 1000 / max(sent, 1))  # fmt: skip
                seen[name].append(measured)
                print(f"{number + 1:>5} {name:<10} {measured[0]:>9.0f} {measured[1]:>13.2f} {measured[2]:>14.2f} "
                      f"{load:>13.2f} {current_rss_mib():>8.0f}")  # fmt: skip
        print(f"medians of {rounds} rounds (peak RSS of this process {peak_rss_mib():.0f} MiB):")
        medians = {}
        for name, values in seen.items():
            medians[name] = [statistics.median(column) for column in zip(*values)]
            rate, cpu, sink_cpu = medians[name]
            goal = f"goal >= 300/s: {'ok' if rate >= 300 else 'MISSED'}"
            print(f"      {name:<10} {rate:>9.0f} {cpu:>13.2f} {sink_cpu:>14.2f}  {goal}")
        print(f"current / {revision}: {medians['current'][0] / medians[revision][0]:.2f} times the emails/s, "
              f"{medians['current'][1] / medians[revision][1]:.2f} times the CPU per email")


def profile_send(limit: int) -> None:
    """Send ``limit`` more deliveries under cProfile (to a sink of its own) and print where
    the time went; the timed figures above are measured without the profiler."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="alerts-bench-profile-") as folder:
        sink = Sink(SMTP_PORT, Path(folder))
        try:
            profiler = cProfile.Profile()
            profiler.enable()
            send(limit)
            profiler.disable()
        finally:
            sink.stop()
    print(f"\nProfile of sending {limit:,} more (cProfile, the 25 largest by own time, then by cumulative):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def row(step: str, count: int, seconds: float, queries: int | str, verdict: str = "") -> None:
    rate = f"{count / seconds:,.0f}/s" if seconds else "-"
    print(f"{step:<34} {count:>9,} {seconds:>9.2f} {rate:>11} {queries!s:>9} {peak_rss_mib():>9.0f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000, help="how many to fan the alert out to")
    parser.add_argument("--send", type=int, default=None, help="send only the first N deliveries (default: all)")
    parser.add_argument("--workers", type=int, default=1, help="sending processes side by side (default 1)")
    parser.add_argument("--compare", default=None, metavar="REVISION",
                        help="after the timed send, send with the code at REVISION and the current code alternately")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --compare (default 3)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="after the timed send, profile the sending of N more deliveries (cProfile)")
    args = parser.parse_args()
    to_send = args.subscribers if args.send is None else min(args.send, args.subscribers)
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")

    # A database of its own, apart from the test suite's.
    settings.DATABASES["default"]["TEST"]["NAME"] = "tracker_alerts_bench"
    databases = setup_databases(verbosity=0, interactive=False)
    sink = None
    try:
        seed()
        treaty = Treaty.objects.get(slug="hanoi-convention")
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
              f"email: {settings.EMAIL_BACKEND} to 127.0.0.1:{SMTP_PORT}; batch {services.BATCH}")  # fmt: skip
        print(f"{'step':<34} {'rows':>9} {'seconds':>9} {'rate':>11} {'queries':>9} {'peak MiB':>9}")
        row("seeded, Django loaded", 0, 0, "-")

        started = time.perf_counter()
        create_subscribers(treaty, args.subscribers)
        row("subscribers (setup)", args.subscribers, time.perf_counter() - started, "-")

        alert = made_up_alert(treaty)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            created = services.fan_out(alert.pk)
            seconds = time.perf_counter() - started
        goal = "ok" if seconds < 30 and created == args.subscribers else "MISSED"
        row("fan-out (deliveries)", created, seconds, counter.count, f"goal: {args.subscribers:,} in < 30 s: {goal}")

        with tempfile.TemporaryDirectory(prefix="alerts-bench-") as folder:
            sink = Sink(SMTP_PORT, Path(folder))
            print(f"SMTP server: aiosmtpd, ESMTP extensions {', '.join(sink.extensions)}")
            cpu_before = cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN), process_cpu_seconds(sink.process.pid)
            started = time.perf_counter()
            report = send_from(args.workers, to_send)
            seconds = time.perf_counter() - started
            totals, batches = report["totals"], report["batches"]
            # CPU time does not depend on what else the machine runs, unlike the rate.
            sender_cpu = cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before[0]
            sink_cpu = process_cpu_seconds(sink.process.pid) - cpu_before[1]
            deadline = time.monotonic() + 10
            while sink.accepted() < totals["sent"] and time.monotonic() < deadline:
                time.sleep(0.1)
            accepted = sink.accepted()
            if args.compare:
                compare(args.compare, args.rounds, to_send, sink, args.workers)
            sink.stop()
            sink = None
        rate = totals["sent"] / seconds if seconds else 0
        label = "send (all" if to_send == args.subscribers else f"send (first {to_send:,}"
        label += f", {args.workers} processes)" if args.workers > 1 else ")"
        row(label, totals["sent"], seconds, report["queries"], f"goal: >= 300/s: {'ok' if rate >= 300 else 'MISSED'}")

        if args.compare:
            print("(the deliveries and the SMTP server's count below include the --compare rounds)")
        statuses = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        print(f"\nSMTP server accepted {accepted:,} emails over {batches} connections "
              f"({totals['sent'] / max(batches, 1):.0f} per connection); outcomes {totals}; "
              f"deliveries now {statuses}")  # fmt: skip
        per_email = 1000 / max(totals["sent"], 1)
        print(f"CPU per email: {sender_cpu * per_email:.2f} ms in the sender(s), {sink_cpu * per_email:.2f} ms in "
              f"the SMTP server; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
        if to_send < args.subscribers:
            print(f"Sent a sample: the first {to_send:,} of {args.subscribers:,} deliveries (--send).")
        print(f"Peak RSS of this process: {peak_rss_mib():.0f} MiB (ru_maxrss)")
        if args.workers > 1:
            print(f"Peak RSS of the largest sending process: {report['rss']:.0f} MiB")
        if args.profile:
            profile_send(args.profile)
        if accepted != totals["sent"]:
            sys.exit(f"the SMTP server accepted {accepted}, but {totals['sent']} were recorded as sent")
    finally:
        if sink:
            sink.stop()
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
