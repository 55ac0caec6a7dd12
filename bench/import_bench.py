"""Benchmark: import a 5,000-row status table and print the time and the number of queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/import_bench.py [--rows N]

Runs in a throwaway database (Django's test database for DATABASE_URL, created and
dropped here), after seeding, with synthetic participants so that every row is a
different participant. Each row has a signature and a deposit, so N rows write 2N
actions with their history. Goal: 5,000 rows in under 5 seconds, with a number of
queries that does not grow with the rows.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

from signatories.models import Participant  # noqa: E402
from tracker.imports import import_status  # noqa: E402
from tracker.models import Treaty  # noqa: E402
from tracker.services import seed  # noqa: E402

HEADER = "participant,signature_date,action,action_date,cn_reference,source_url,confidence,note\n"
SOURCE = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"


def name(n: int) -> str:
    """Synthetic participant names carry letters, not digits (digits read as footnotes)."""
    return "Benchland " + "".join(chr(ord("a") + int(d)) for d in f"{n:05}")


def table(rows: int, day: int) -> str:
    lines = [
        f"{name(n)},2025-10-25,ratification,2026-02-{day:02},C.N.{n}.2026.TREATIES-XVIII.16,{SOURCE},depositary,\n"
        for n in range(rows)
    ]
    return HEADER + "".join(lines)


def measure(label: str, treaty, text: str, **options) -> None:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        summary = import_status(treaty, f"{label}.csv", text, **options)
        seconds = time.perf_counter() - started
    rows = text.count("\n") - 1
    print(f"{label:<24} {rows:>6} rows  {seconds:6.2f} s  {rows / seconds:8.0f} rows/s  "
          f"{len(queries.captured_queries):>4} queries  ({summary})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    # A database of its own, apart from the test suite's.
    settings.DATABASES["default"]["TEST"]["NAME"] = "tracker_import_bench"
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        seed()
        treaty = Treaty.objects.get(slug="hanoi-convention")
        Participant.objects.bulk_create(
            [Participant(name=name(n), slug=f"benchland-{n}") for n in range(args.rows)]
        )
        print(f"database: {connection.vendor}, {connection.settings_dict['NAME']}")
        measure("small file (100 rows)", treaty, table(100, 1), dry_run=True)
        measure("dry run", treaty, table(args.rows, 1), dry_run=True)
        measure("import (all new)", treaty, table(args.rows, 1))
        measure("same file again", treaty, table(args.rows, 1))
        measure("every date changed", treaty, table(args.rows, 2))
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
