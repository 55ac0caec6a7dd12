"""Benchmark: import a status table of N rows (default 50,000); print, for each phase, the
time, the peak RSS of the process and the number of queries, as medians over rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/import_bench.py \
        [--rows N] [--rounds R] [--compare REV|none] [--phases all-new,same-again,...] \
        [--unknown N] [--profile cprofile|tracemalloc --phase PHASE]

Runs in a throwaway database (Django's test database for DATABASE_URL, created and
dropped here), after seeding, with synthetic participants so that every row is a
different participant. Each row has a signature and a deposit, so N rows write 2N
actions with their history.

Each measurement runs in a process of its own, so that the memory one phase leaves behind
does not count as the next one's peak; the process works in one transaction that it rolls
back at the end (so the queued alert check never runs), leaving the database as seeded for
the next. ``--compare HEAD`` (the default) also measures the import as committed at that
revision (``git show REV:tracker/imports.py`` and its status_tables, copied to a temporary
directory; nothing is checked out), round by round beside the working tree's.

Goal: 50,000 rows in under 10 s and 300 MiB, with a number of queries that does not grow
with the rows; a rejected file of 20,000 unknown names in a few seconds.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from signatories.models import Participant  # noqa: E402
from tracker.models import Treaty  # noqa: E402
from tracker.services import seed  # noqa: E402

HEADER = "participant,signature_date,action,action_date,cn_reference,source_url,confidence,note\n"
SOURCE = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"
DATABASE = "tracker_import_bench"
PHASES = ["dry-run", "all-new", "same-again", "dates-changed", "unknown-names"]
MIB = 1024 * 1024


def name(n: int) -> str:
    """Synthetic participant names carry letters, not digits (digits read as footnotes)."""
    return "Benchland " + "".join(chr(ord("a") + int(d)) for d in f"{n:05}")


def table(rows: int, day: int) -> str:
    lines = [
        f"{name(n)},2025-10-25,ratification,2026-02-{day:02},C.N.{n}.2026.TREATIES-XVIII.16,{SOURCE},depositary,\n"
        for n in range(rows)
    ]
    return HEADER + "".join(lines)


def unknown_table(rows: int) -> str:
    """Names near real ones ("Frence 00017"), so that each costs a full nearest-name search."""
    return HEADER + "".join(f"Frence {n:05}x,2025-10-25,,,,,,\n" for n in range(rows))


# --- the implementations ------------------------------------------------------------------


def load_revision(revision: str):
    """tracker/imports.py as committed at ``revision``, with the status_tables of that
    revision, imported from a temporary directory (the working tree is not touched)."""
    directory = Path(tempfile.mkdtemp(prefix="import_bench_"))
    for module in ("imports", "status_tables"):
        text = subprocess.run(
            ["git", "show", f"{revision}:tracker/{module}.py"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        text = text.replace("from tracker.status_tables import", "from bench_rev_status_tables import")
        (directory / f"bench_rev_{module}.py").write_text(text)
    sys.path.insert(0, str(directory))
    spec = importlib.util.spec_from_file_location("bench_rev_imports", directory / "bench_rev_imports.py")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def implementation(label: str):
    if label == "working tree":
        from tracker import imports

        return imports
    return load_revision(label)


# --- one measurement, in a process of its own ---------------------------------------------


def rss_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak since the last reset) of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: writing 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def run_phase(module, phase: str, rows: int, unknown: int, treaty) -> dict:
    """Set up what ``phase`` needs with the working tree's import, then measure ``module``'s."""
    from tracker import imports as current

    if phase in ("same-again", "dates-changed"):
        current.import_status(treaty, "setup.csv", table(rows, 1))
    if phase == "unknown-names":
        # The real participants only: 50,000 synthetic ones would make each search 250 times longer.
        Participant.objects.filter(name__startswith="Benchland ")._raw_delete(connection.alias)
    text = unknown_table(unknown) if phase == "unknown-names" else table(rows, 2 if phase == "dates-changed" else 1)
    return measure(module, phase, treaty, text)


def count_copies(queries: list) -> None:
    """Count each COPY as a query too: it goes to psycopg around Django's execute wrappers."""
    import psycopg

    copy = psycopg.Cursor.copy

    def counted(self, *args, **kwargs):
        queries.append(1)
        return copy(self, *args, **kwargs)

    psycopg.Cursor.copy = counted


def measure(module, phase: str, treaty, text: str) -> dict:
    queries = []
    count_copies(queries)
    started_rss = rss_mib("VmRSS")
    reset_peak()
    with connection.execute_wrapper(lambda execute, sql, *args: (queries.append(1), execute(sql, *args))[1]):
        started = time.perf_counter()
        try:
            outcome = str(module.import_status(treaty, f"{phase}.csv", text, dry_run=phase == "dry-run"))
        except module.ImportRejected as rejected:
            outcome = f"rejected: {rejected.count} problems"
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds, "peak_mib": rss_mib("VmHWM"), "start_mib": started_rss,
        "queries": len(queries), "outcome": outcome,
    }  # fmt: skip


def child(label: str, phase: str, rows: int, unknown: int) -> None:
    settings.DATABASES["default"]["NAME"] = DATABASE
    module = implementation(label)
    treaty = Treaty.objects.get(slug="hanoi-convention")
    with transaction.atomic():
        result = run_phase(module, phase, rows, unknown, treaty)
        transaction.set_rollback(True)
    print(json.dumps(result))


def profile(label: str, phase: str, rows: int, unknown: int, how: str) -> None:
    """Print where ``phase`` spends its time (cProfile) or allocates its memory (tracemalloc)."""
    settings.DATABASES["default"]["NAME"] = DATABASE
    module, treaty = implementation(label), Treaty.objects.get(slug="hanoi-convention")
    with transaction.atomic():
        if how == "cprofile":
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(run_phase, module, phase, rows, unknown, treaty)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        else:
            import tracemalloc

            tracemalloc.start(8)
            print(run_phase(module, phase, rows, unknown, treaty))
            current, peak = tracemalloc.get_traced_memory()
            print(f"traced: now {current / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB")
            for stat in tracemalloc.take_snapshot().statistics("lineno")[:15]:
                print(stat)
        transaction.set_rollback(True)


# --- the driver ---------------------------------------------------------------------------


def spawn(args, label: str, phase: str) -> dict:
    command = [sys.executable, __file__, "--child", label, "--phase", phase, "--rows", str(args.rows)]
    command += ["--unknown", str(args.unknown)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results: dict, labels: list[str], phases: list[str], rows: int, unknown: int) -> None:
    print(f"\nmedians over {len(next(iter(results.values())))} rounds (seconds, peak RSS MiB, queries)")
    for phase in phases:
        size = unknown if phase == "unknown-names" else rows
        for label in labels:
            runs = results[(label, phase)]
            seconds = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mib"] for r in runs)
            start = statistics.median(r["start_mib"] for r in runs)
            print(f"{phase:<14} {size:>6} rows  {label:<13} {seconds:7.2f} s  peak {peak:6.0f} MiB "
                  f"(from {start:4.0f})  {runs[0]['queries']:>5} queries  {runs[0]['outcome']}")


def drive(args) -> None:
    labels = ["working tree"] + ([] if args.compare == "none" else [args.compare])
    phases = args.phases.split(",")
    settings.DATABASES["default"]["TEST"]["NAME"] = DATABASE  # a database of its own, apart from the tests'
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        seed()
        Participant.objects.bulk_create([Participant(name=name(n), slug=f"benchland-{n}") for n in range(args.rows)])
        print(f"database: {connection.vendor}, {DATABASE}; {args.rows} rows; {os.cpu_count()} CPUs")
        connection.close()  # the children connect on their own
        results = {(label, phase): [] for label in labels for phase in phases}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
            for phase in phases:
                for label in labels if round_number % 2 else reversed(labels):  # alternate who goes first
                    result = spawn(args, label, phase)
                    results[(label, phase)].append(result)
                    print(f"  {phase:<14} {label:<13} {result['seconds']:7.2f} s  {result['peak_mib']:6.0f} MiB  "
                          f"{result['queries']:>5} queries", flush=True)
        report(results, labels, phases, args.rows, args.unknown)
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        teardown_databases(databases, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50000)
    parser.add_argument("--unknown", type=int, default=20000, help="rows of the rejected file of unknown names")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", default="HEAD", help="a git revision to measure beside the working tree, or none")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--profile", choices=["cprofile", "tracemalloc"])
    parser.add_argument("--phase", default="all-new", choices=PHASES)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.phase, args.rows, args.unknown)
    elif args.profile:
        profile_in_database(args)
    else:
        drive(args)


def profile_in_database(args) -> None:
    """Set up the bench's database, profile one phase of the implementation --compare names
    (``none``: the working tree's), and drop the database."""
    settings.DATABASES["default"]["TEST"]["NAME"] = DATABASE
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        seed()
        Participant.objects.bulk_create([Participant(name=name(n), slug=f"benchland-{n}") for n in range(args.rows)])
        label = "working tree" if args.compare == "none" else args.compare
        profile(label, args.phase, args.rows, args.unknown, args.profile)
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
