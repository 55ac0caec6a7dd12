"""Exporting a status table, and the commands that import, export and add treaties."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from tracker.exports import export_csv, export_json
from tracker.imports import import_status
from tracker.models import Treaty
from tracker.selectors import status_dict, treaty_status

pytestmark = pytest.mark.django_db
HEADER = "participant,signature_date,action,action_date,cn_reference,source_url,confidence,note\n"
# Made-up deposits for the tests, on top of the seeded (real) signatures.
DEPOSITS = HEADER + (
    "Austria,,ratification,2026-02-01,C.N.10.2026.TREATIES-XVIII.16,https://example.org/at,official,\n"
    "European Union,,approval,2026-03-01,,,,\n"
    "Bahamas,,accession,2026-04-01,,,,\n"
    "Saint Lucia,,definitive_signature,2026-05-01,,,,\n"
)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("as_of", ["2025-10-25", "2026-03-15", "2026-11-22"])
def test_export_and_reimport_into_an_empty_treaty_give_the_same_status(seeded, make_treaty, as_of):
    import_status(seeded, "deposits.csv", DEPOSITS)
    exported = export_csv(seeded, date.fromisoformat(as_of))
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", exported)
    for day in (date.fromisoformat(as_of), date(2026, 11, 22)):
        original = status_dict(seeded, treaty_status(seeded, min(day, date.fromisoformat(as_of))))
        again = status_dict(copy, treaty_status(copy, min(day, date.fromisoformat(as_of))))
        assert original | {"treaty": "copy"} == again


def test_export_writes_one_row_per_participant_with_its_deposit_details(seeded):
    import_status(seeded, "deposits.csv", DEPOSITS)
    rows = {row["participant"]: row for row in csv.DictReader(io.StringIO(export_csv(seeded, date(2026, 11, 22))))}
    assert len(rows) == 67 + 2  # the seeded signatories, Bahamas and Saint Lucia
    assert rows["Austria"] | {"note": ""} == {
        "participant": "Austria",
        "signature_date": "2025-10-25",
        "action": "ratification",
        "action_date": "2026-02-01",
        "cn_reference": "C.N.10.2026.TREATIES-XVIII.16",
        "source_url": "https://example.org/at",
        "confidence": "official",
        "note": "",
    }
    assert (rows["Saint Lucia"]["signature_date"], rows["Saint Lucia"]["action"]) == ("", "definitive_signature")


def test_export_as_of_a_date_leaves_out_what_came_later_and_what_was_withdrawn(seeded):
    import_status(seeded, "deposits.csv", DEPOSITS)
    seeded.actions.filter(participant__name="Austria", kind="ratification").update(withdrawn_on=date(2026, 6, 1))
    march = {r["participant"]: r for r in csv.DictReader(io.StringIO(export_csv(seeded, date(2026, 3, 15))))}
    assert march["Austria"]["action"] == "ratification"
    assert "Bahamas" not in march
    july = {r["participant"]: r for r in csv.DictReader(io.StringIO(export_csv(seeded, date(2026, 7, 1))))}
    assert july["Austria"]["action"] == ""


def test_export_json_carries_the_status_and_the_rows(seeded):
    data = json.loads(export_json(seeded, date(2026, 11, 22)))
    assert data["treaty"] == "hanoi-convention" and data["as_of"] == "2026-11-22"
    assert data["status"]["signatories"] == 67
    assert len(data["participants"]) == 67


def test_export_status_command_writes_csv_or_json(seeded):
    assert run("export_status", "hanoi-convention", "--as-of", "2026-11-22").startswith(HEADER)
    assert json.loads(run("export_status", "hanoi-convention", "--format", "json"))["as_of"] == "2026-11-22"


def test_import_status_command_prints_the_summary_and_its_dry_run_writes_nothing(seeded, tmp_path):
    path = tmp_path / "deposits.csv"
    path.write_text(DEPOSITS, encoding="utf-8")
    assert "4 created, 0 updated, 0 unchanged (dry run" in run("import_status", "hanoi-convention", str(path), "--dry-run")
    assert not seeded.actions.filter(kind="approval").exists()
    assert run("import_status", "hanoi-convention", str(path)).strip() == "deposits.csv: 4 created, 0 updated, 0 unchanged"


def test_import_status_command_lists_every_bad_row(seeded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "Atlantis,2025-10-25,,,,,,\nAustria,,ratification,1 Feb 2026,,,,\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run("import_status", "hanoi-convention", str(path))
    assert str(error.value) == (
        "bad.csv was rejected; nothing was written:\n"
        "  row 2: Unknown participant 'Atlantis'.\n"
        "  row 3: action_date '1 Feb 2026' is not a date of the form YYYY-MM-DD"
    )


def test_add_treaty_sets_up_another_treaty_with_its_rule(db, pinned_today):
    out = run(
        "add_treaty", "--slug", "test-convention", "--title", "Test Convention", "--threshold", "30",
        "--delay-days", "90", "--later-delay-days", "30", "--reio-not-additional",
        "--signature-opens", "2025-01-01", "--signature-closes", "2025-12-31",
    )
    treaty = Treaty.objects.get(slug="test-convention")
    assert (treaty.threshold, treaty.entry_into_force_delay_days, treaty.later_joiner_delay_days) == (30, 90, 30)
    assert treaty.reio_counts_as_additional is False
    assert treaty.signature_closes_on == date(2025, 12, 31)
    assert "Added Test Convention (test-convention)" in out
    assert treaty.history.get().history_change_reason == "add_treaty command"


def test_add_treaty_defaults_later_joiners_to_the_same_delay_and_counts_the_eu(db):
    run("add_treaty", "--slug", "t", "--title", "T", "--threshold", "3", "--delay-days", "60")
    treaty = Treaty.objects.get(slug="t")
    assert (treaty.later_joiner_delay_days, treaty.reio_counts_as_additional) == (60, True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--signature-opens", "2026-01-01", "--signature-closes", "2025-01-01"], "closes on 2025-01-01, before it opens"),
        (["--signature-closes", "31/12/2026"], "--signature-closes: '31/12/2026' is not a date"),
        (["--threshold", "0"], "threshold"),
        (["--slug", "hanoi-convention"], "a treaty with slug 'hanoi-convention' already exists"),
    ],
)
def test_add_treaty_explains_bad_input(seeded, args, message):
    base = {"--slug": "x", "--title": "X", "--threshold": "3", "--delay-days": "90"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    with pytest.raises(CommandError) as error:
        run("add_treaty", *[part for pair in base.items() for part in pair])
    assert message in str(error.value)
