"""Exporting a status table, and the commands that import, export and add treaties."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from signatories.models import Participant
from signatories.services import record_action
from tracker.exports import export_csv, export_json
from tracker.imports import import_status
from tracker.models import Treaty
from tracker.selectors import status_dict, treaty_status

pytestmark = pytest.mark.django_db
HEADER = "participant,signature_date,action,action_date,cn_reference,source_url,confidence,note\n"
EXPORT_HEADER = HEADER.rstrip("\n") + ",signature_date_precision,action_date_precision\n"
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


# Made up for the tests: forty ratifications, the last of them known only "on or before"
# its date, so that the threshold day and the date of entry into force are only upper bounds.
def forty_deposits_the_last_on_or_before(treaty) -> str:
    names = list(treaty.actions.filter(participant__kind="state").order_by("participant__name")
                 .values_list("participant__name", flat=True)[:40])  # fmt: skip
    rows = [f"{name},,ratification,2026-02-02,,,,,," for name in names[:39]]
    rows.append(f"{names[39]},,ratification,2026-03-02,,,,,,on_or_before")
    return EXPORT_HEADER + "\n".join(rows) + "\n"


@pytest.mark.parametrize("as_of", ["2026-03-02", "2026-11-22"])
def test_export_and_reimport_keep_the_precision_of_the_derived_dates(seeded, make_treaty, as_of):
    import_status(seeded, "forty.csv", forty_deposits_the_last_on_or_before(seeded))
    day = date.fromisoformat(as_of)
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", export_csv(seeded, day))
    original = status_dict(seeded, treaty_status(seeded, day))
    assert (original["threshold_reached_on"], original["threshold_reached_precision"]) == ("2026-03-02", "on_or_before")
    assert (original["entry_into_force_on"], original["entry_into_force_precision"]) == ("2026-05-31", "on_or_before")
    assert status_dict(copy, treaty_status(copy, day)) == original | {"treaty": "copy"}


def test_export_json_gives_the_precision_of_the_derived_dates(seeded):
    import_status(seeded, "forty.csv", forty_deposits_the_last_on_or_before(seeded))
    status = json.loads(export_json(seeded, date(2026, 11, 22)))["status"]
    assert (status["entry_into_force_on"], status["entry_into_force_precision"]) == ("2026-05-31", "on_or_before")


def test_export_writes_one_row_per_participant_with_its_deposit_details(seeded):
    import_status(seeded, "deposits.csv", DEPOSITS)
    rows = {row["participant"]: row for row in csv.DictReader(io.StringIO(export_csv(seeded, date(2026, 11, 22))))}
    assert len(rows) == 68 + 2  # the seeded signatories, Bahamas and Saint Lucia
    assert rows["Austria"] | {"note": ""} == {
        "participant": "Austria",
        "signature_date": "2025-10-25",
        "action": "ratification",
        "action_date": "2026-02-01",
        "cn_reference": "C.N.10.2026.TREATIES-XVIII.16",
        "source_url": "https://example.org/at",
        "confidence": "official",
        "note": "",
        "signature_date_precision": "exact",
        "action_date_precision": "exact",
        "withdrawn_on": "",
    }
    assert (rows["Saint Lucia"]["signature_date"], rows["Saint Lucia"]["action"]) == ("", "definitive_signature")
    assert rows["Bahamas"]["signature_date_precision"] == ""  # no signature, no precision


def test_export_as_of_a_date_leaves_out_what_came_later_and_writes_the_withdrawals_made_by_then(seeded):
    import_status(seeded, "deposits.csv", DEPOSITS)
    seeded.actions.filter(participant__name="Austria", kind="ratification").update(withdrawn_on=date(2026, 6, 1))
    march = {r["participant"]: r for r in csv.DictReader(io.StringIO(export_csv(seeded, date(2026, 3, 15))))}
    assert (march["Austria"]["action"], march["Austria"]["withdrawn_on"]) == ("ratification", "")
    assert "Bahamas" not in march
    july = {r["participant"]: r for r in csv.DictReader(io.StringIO(export_csv(seeded, date(2026, 7, 1))))}
    assert (july["Austria"]["action"], july["Austria"]["withdrawn_on"]) == ("ratification", "2026-06-01")
    assert july["Austria"]["signature_date"] == "2025-10-25"  # the signature stands: it shares the row


def export_table(treaty, as_of: date) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export_csv(treaty, as_of))))


class Withdrawals:
    """Made up for the tests, on top of the seeded (real) signatures: forty ratifications
    (the threshold on 2026-03-02, in force on 2026-05-31); then the first ratifier withdraws
    on 2026-06-15 and accedes on 2026-09-01, the second withdraws on 2026-07-01 for good,
    and a signatory that never deposited withdraws its signature on 2026-04-01."""

    def __init__(self, treaty):
        import_status(treaty, "forty.csv", forty_deposits_exact(treaty))
        signatures = treaty.actions.filter(participant__kind="state", kind="signature")
        states = list(signatures.order_by("participant__name").values_list("participant__name", flat=True))
        self.redeposits, self.leaves, self.unsigns = states[0], states[1], states[-1]
        withdraw(treaty, self.redeposits, date(2026, 6, 15))
        withdraw(treaty, self.leaves, date(2026, 7, 1))
        treaty.actions.filter(participant__name=self.unsigns, kind="signature").update(withdrawn_on=date(2026, 4, 1))
        record_action(
            treaty=treaty, participant=Participant.objects.get(name=self.redeposits),
            kind="accession", date=date(2026, 9, 1),
        )  # fmt: skip


def forty_deposits_exact(treaty) -> str:
    return forty_deposits_the_last_on_or_before(treaty).replace(",on_or_before\n", ",\n")


def withdraw(treaty, name: str, day: date) -> None:
    treaty.actions.filter(participant__name=name, kind="ratification").update(withdrawn_on=day)


@pytest.mark.parametrize("as_of", ["2026-03-02", "2026-06-20", "2026-08-15", "2026-11-22"])
def test_withdrawals_after_the_threshold_and_a_redeposit_survive_export_and_reimport(seeded, make_treaty, as_of):
    Withdrawals(seeded)
    day = date.fromisoformat(as_of)
    original, original_dates = status_dict(seeded, treaty_status(seeded, day)), treaty_status(seeded, day)
    assert (original["threshold_reached_on"], original["entry_into_force_on"]) == ("2026-03-02", "2026-05-31")
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", export_csv(seeded, day))
    again = treaty_status(copy, day)
    assert status_dict(copy, again) == original | {"treaty": "copy"}
    assert again.entry_into_force_for == original_dates.entry_into_force_for


def test_the_status_after_withdrawals_and_a_redeposit_is_the_one_worked_out_by_hand(seeded, make_treaty):
    scenario = Withdrawals(seeded)
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", export_csv(seeded, date(2026, 11, 22)))
    for treaty in (seeded, copy):
        status = treaty_status(treaty, date(2026, 11, 22))
        # 40 ratified; one left for good, the other came back by accession: 39 in effect.
        assert (status.instruments_deposited, status.instruments_counted, status.remaining) == (39, 39, 0)
        assert status.threshold_reached_on == date(2026, 3, 2)  # fixed, withdrawals or not
        assert (status.signatories, status.parties) == (67, 39)  # a signature withdrawn
        back = Participant.objects.get(name=scenario.redeposits).slug
        assert status.entry_into_force_for[back] == date(2026, 10, 1)  # its accession + 30 days


def test_a_withdrawn_instrument_and_the_one_deposited_after_it_are_two_rows(seeded):
    scenario = Withdrawals(seeded)
    rows = export_table(seeded, date(2026, 11, 22))
    redeposits = [r for r in rows if r["participant"] == scenario.redeposits]
    assert [(r["action"], r["action_date"], r["withdrawn_on"]) for r in redeposits] == [
        ("ratification", "2026-02-02", "2026-06-15"),
        ("accession", "2026-09-01", ""),
    ]
    assert redeposits[0]["signature_date"] and not redeposits[1]["signature_date"]  # the signature once
    [unsigned] = [r for r in rows if r["participant"] == scenario.unsigns]
    assert (unsigned["action"], unsigned["withdrawn_on"]) == ("", "2026-04-01")


def test_a_withdrawn_signature_has_a_row_of_its_own_before_the_instrument_that_followed(seeded, make_treaty):
    # Made up for the test: Austria withdraws its (real) signature, then accedes.
    seeded.actions.filter(participant__name="Austria").update(withdrawn_on=date(2026, 1, 10))
    import_status(seeded, "a.csv", HEADER + "Austria,,accession,2026-03-01,,,,\n")
    rows = [r for r in export_table(seeded, date(2026, 11, 22)) if r["participant"] == "Austria"]
    assert [(r["signature_date"], r["action"], r["withdrawn_on"]) for r in rows] == [
        ("2025-10-25", "", "2026-01-10"),
        ("", "accession", ""),
    ]
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", export_csv(seeded, date(2026, 11, 22)))
    austria = copy.actions.filter(participant__name="Austria").order_by("date")
    assert [(a.kind, a.withdrawn_on) for a in austria] == [("signature", date(2026, 1, 10)), ("accession", None)]


def test_a_later_withdrawal_is_written_when_the_participant_redeposited_before_it(seeded, make_treaty):
    scenario = Withdrawals(seeded)
    # Made up: the first ratifier's withdrawal took effect only after its accession.
    withdraw(seeded, scenario.redeposits, date(2026, 9, 15))
    day = date(2026, 9, 10)
    rows = [r for r in export_table(seeded, day) if r["participant"] == scenario.redeposits]
    assert [r["withdrawn_on"] for r in rows] == ["2026-09-15", ""]  # else two would be in effect
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", export_csv(seeded, day))
    assert status_dict(copy, treaty_status(copy, day)) == status_dict(seeded, treaty_status(seeded, day)) | {
        "treaty": "copy"
    }


def test_importing_an_export_with_withdrawals_into_the_same_treaty_changes_nothing(seeded):
    Withdrawals(seeded)
    exported = export_csv(seeded, date(2026, 11, 22))
    history = seeded.actions.model.history.count()
    summary = import_status(seeded, "export.csv", exported)
    assert (summary.created, summary.updated) == (0, 0)
    assert seeded.actions.model.history.count() == history


def test_export_json_carries_the_status_and_the_rows(seeded):
    data = json.loads(export_json(seeded, date(2026, 11, 22)))
    assert data["treaty"] == "hanoi-convention" and data["as_of"] == "2026-11-22"
    assert data["status"]["signatories"] == 68
    assert len(data["participants"]) == 68


def test_export_status_command_writes_csv_or_json(seeded):
    header = EXPORT_HEADER.rstrip("\n") + ",withdrawn_on\n"
    assert run("export_status", "hanoi-convention", "--as-of", "2026-11-22").startswith(header)
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
    assert (treaty.threshold, treaty.entry_into_force_delay, treaty.later_joiner_delay) == (30, "90d", "30d")
    assert treaty.reio_counts_as_additional is False
    assert treaty.signature_closes_on == date(2025, 12, 31)
    assert "Added Test Convention (test-convention)" in out
    assert treaty.history.get().history_change_reason == "add_treaty command"


def test_add_treaty_defaults_later_joiners_to_the_same_delay_and_counts_the_eu(db):
    run("add_treaty", "--slug", "t", "--title", "T", "--threshold", "3", "--delay-days", "60")
    treaty = Treaty.objects.get(slug="t")
    # An empty later delay is the general one (tracker.rules.TreatyRule.joiner_delay).
    assert (treaty.entry_into_force_delay, treaty.later_joiner_delay, treaty.reio_counts_as_additional) == ("60d", "", True)
    assert treaty.rule.joiner_delay == treaty.rule.delay


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
