"""Import the 15 saved depositary pages, give each treaty its rule, and compare.

For every page under ../shared/untc/ (or --pages DIR) this runs the pinned commands on a
scratch SQLite database: `seed` (the participants), `import_untc FILE --slug SLUG`,
`set_rule SLUG …` with the rule of bench/untc_rules.csv (from the pages' README and each
treaty's article), then `treaty_status SLUG --json --as-of 2026-02-03`. It prints, per
treaty, the depositary's stated date of entry into force beside the computed one, and its
"Parties" beside the tracker's instruments in effect; then Ottawa on 2026-03-01, after
Poland's withdrawal. Exit status 1 if a figure differs where the table allows it to agree.

    .venv/bin/python bench/untc_check.py [--pages DIR]
"""

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = Path(__file__).with_name("untc_rules.csv")
AS_OF = "2026-02-03"
# The table gives another 20th or 35th instrument than history did: predecessor States'
# instruments appear under their successors (the pages' README).
PREDECESSOR_STATES = {"iccpr", "cedaw", "enmod-convention"}


def setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def command(*args: str) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def rule_arguments(row: dict) -> list[str]:
    args = [row["slug"], "--threshold", row["threshold"], "--delay", row["delay"]]
    for option, column in (("--later-delay", "later_delay"), ("--not-before", "not_before"),
                           ("--subject-to", "subject_to"), ("--withdrawal-delay", "withdrawal_delay")):
        if row[column]:
            args += [option, row[column]]
    if row["later_after_eif"] == "yes":
        args.append("--later-after-entry-into-force")
    if row["requires"]:
        args += ["--requires", ",".join(row["requires"].split())]
    args.append("--reio-additional" if row["reio"] == "additional" else "--reio-not-additional")
    return args


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=ROOT.parent / "shared" / "untc")
    pages = parser.parse_args().pages
    if not pages.is_dir():
        print(f"untc_check: no pages at {pages}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        setup(Path(scratch) / "untc.sqlite3")
        command("migrate", "--no-input", "--verbosity", "0")
        command("seed")
        return compare(pages)


def compare(pages: Path) -> int:
    from tracker.depositary import parse_status_page

    rows = list(csv.DictReader(RULES.open(encoding="utf-8")))
    print(f"{'treaty':<38} {'ref':<9} {'stated':<10} {'computed':<10} {'parties':>7} {'here':>5} "
          f"{'signed':>6} {'here':>5}  result")
    bad, started = 0, time.perf_counter()
    for row in rows:  # conventions before their protocols: the file's order
        path = pages / row["file"]
        command("import_untc", str(path), "--slug", row["slug"])
        command("set_rule", *rule_arguments(row))
        status = json.loads(command("treaty_status", row["slug"], "--json", "--as-of", AS_OF))
        header = parse_status_page(path.read_bytes()).header
        verdict = judge(row["slug"], status, header)
        bad += not verdict.startswith(("ok", "differs as expected"))
        stated = status["entry_into_force_stated_on"] or "-"
        computed = status["entry_into_force_computed_on"] or "-"
        print(f"{row['slug']:<38} {row['reference']:<9} {stated:<10} {computed:<10} "
              f"{dash(header.parties):>7} {status['instruments_deposited']:>5} "
              f"{dash(header.signatories):>6} {status['signatories']:>5}  {verdict}")
    march = json.loads(command("treaty_status", "ottawa-convention", "--json", "--as-of", "2026-03-01"))
    print(f"\nottawa-convention on 2026-03-01: {march['instruments_deposited']} in effect (162 on {AS_OF}; "
          "Poland's withdrawal takes effect on 20 Feb 2026)")
    bad += march["instruments_deposited"] != 161
    print(f"{len(rows)} pages imported and compared in {time.perf_counter() - started:.1f} s; {bad} unexpected differences")
    return 1 if bad else 0


def dash(value) -> str:
    return "-" if value is None else str(value)


def judge(slug: str, status: dict, header) -> str:
    """ok, or what differs; the computed date may differ only where predecessor States'
    instruments appear under their successors."""
    problems = []
    if header.signatories is not None and status["signatories"] != header.signatories:
        problems.append(f"signatories {status['signatories']} != {header.signatories}")
    if header.parties is not None and status["instruments_deposited"] != header.parties:
        problems.append(f"parties {status['instruments_deposited']} != {header.parties}")
    stated = header.entry_into_force_on.isoformat() if header.entry_into_force_on else None
    if status["entry_into_force_on"] != stated:
        problems.append(f"entry into force {status['entry_into_force_on']} != stated {stated}")
    if status["entry_into_force_computed_on"] != stated:
        if slug in PREDECESSOR_STATES:
            return "differs as expected (predecessor States)" if not problems else "; ".join(problems)
        problems.append(f"computed {status['entry_into_force_computed_on']} != stated {stated}")
    return "; ".join(problems) or "ok"


if __name__ == "__main__":
    sys.exit(main())
