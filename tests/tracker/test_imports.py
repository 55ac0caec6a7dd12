"""Importing status tables: both formats, all or nothing, idempotent, with history.

The instrument dates in these tests are made up; the participants are the seeded ones.
"""

from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatories.models import Action, Participant
from tracker.imports import ImportRejected, import_status
from tracker.models import Source

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
HEADER = "participant,signature_date,action,action_date,cn_reference,source_url,confidence,note\n"


def action(name: str, deposit: bool = False) -> Action:
    kinds = ["ratification", "acceptance", "approval", "accession", "succession"]
    actions = Action.objects.filter(participant__name=name)
    return actions.filter(kind__in=kinds).get() if deposit else actions.exclude(kind__in=kinds).get()


def test_format_1_creates_signatures_and_deposits_with_their_details(seeded):
    text = HEADER + (
        "Canada,2026-07-15,,,,,,\n"
        "Austria,,ratification,2026-02-01,C.N.12.2026.TREATIES-XVIII.16,https://example.org/at,official,Deposited\n"
    )
    summary = import_status(seeded, "march.csv", text)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    assert action("Canada").date == date(2026, 7, 15)
    deposit = action("Austria", deposit=True)
    assert (deposit.kind, deposit.date, deposit.cn_reference) == ("ratification", date(2026, 2, 1), "C.N.12.2026.TREATIES-XVIII.16")
    assert (deposit.confidence, deposit.note) == ("official", "Deposited")
    assert [s.url for s in deposit.sources.all()] == ["https://example.org/at"]
    assert deposit.history.get().history_change_reason == "import of march.csv"


def test_importing_the_same_file_twice_changes_nothing(seeded, admin_user):
    text = HEADER + "Austria,2025-10-25,ratification,2026-02-01,,https://example.org/at,,\n"
    import_status(seeded, "a.csv", text, user=admin_user)
    history = Action.history.count()
    summary = import_status(seeded, "a.csv", text, user=admin_user)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    assert Action.history.count() == history


def test_a_changed_date_updates_the_record_and_the_history_names_the_file(seeded, admin_user):
    import_status(seeded, "first.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    summary = import_status(seeded, "corrected.csv", HEADER + "Austria,,ratification,2026-02-03,,,,\n", user=admin_user, reason="typo")
    assert (summary.created, summary.updated) == (0, 1)
    before, record = action("Austria", deposit=True).history.order_by("history_id")
    assert (before.date, record.date) == (date(2026, 2, 1), date(2026, 2, 3))
    assert record.history_change_reason == "import of corrected.csv: typo"
    assert record.history_user == admin_user


def test_an_empty_cell_deletes_nothing(seeded):
    import_status(seeded, "a.csv", HEADER + "Austria,,ratification,2026-02-01,C.N.1.2026.TREATIES-XVIII.16,,,Kept\n")
    summary = import_status(seeded, "b.csv", HEADER + "Austria,2025-10-25,,,,,,\n")
    assert summary.unchanged == 1
    deposit = action("Austria", deposit=True)
    assert (deposit.date, deposit.cn_reference, deposit.note) == (date(2026, 2, 1), "C.N.1.2026.TREATIES-XVIII.16", "Kept")


def test_a_depositary_table_with_footnotes_and_name_variants_is_read(seeded):
    text = (DATA / "untc-style-table-synthetic.csv").read_text(encoding="utf-8")
    summary = import_status(seeded, "untc.csv", text)
    kinds = {
        "Austria": ("ratification", date(2026, 1, 12)),
        "Bahamas": ("accession", date(2026, 3, 3)),
        "Czech Republic": ("approval", date(2026, 2, 4)),
        "European Union": ("acceptance", date(2026, 2, 5)),
        "Montenegro": ("succession", date(2026, 2, 6)),
    }
    for name, (kind, day) in kinds.items():
        deposit = action(name, deposit=True)
        assert (deposit.kind, deposit.date, deposit.confidence) == (kind, day, "depositary")
        assert seeded.depositary_url in [s.url for s in deposit.sources.all()]
    assert (action("Saint Lucia").kind, action("Saint Lucia").date) == ("definitive_signature", date(2026, 4, 10))
    assert summary.created == 6
    # Algeria, Austria, Czech Republic, EU and Türkiye were signatories already: unchanged or updated, never doubled.
    assert Action.objects.filter(participant__name="Türkiye").count() == 1


def test_a_bad_file_is_rejected_whole_with_every_bad_row_and_nothing_is_written(seeded):
    text = HEADER + (
        "Austria,,ratification,2026-02-01,,,,\n"
        "Austira,2025-10-25,,,,,,\n"
        "Belgium,,ratification,2026-02-30,,,,\n"
        "Brazil,,ratification,,,,,\n"
        "Chile,,ratification,2024-01-05,,,,\n"
        "Austria,,accession,2026-03-01,,,,\n"
        "Canada,2027-01-05,,,,,,\n"
        "Cuba,,,,,not a url,,\n"
        "Ghana,,ratification,2026-02-01,,,sure,\n"
    )
    before = (Action.objects.count(), Action.history.count(), Source.objects.count())
    with pytest.raises(ImportRejected) as error:
        import_status(seeded, "bad.csv", text)
    assert error.value.problems == [
        "row 3: Unknown participant 'Austira'. Did you mean 'Austria' or 'Australia'?",
        "row 4: action_date '2026-02-30' is not a date of the form YYYY-MM-DD",
        "row 5: action and action_date go together: give both or neither",
        "row 6: Ratification on 2024-01-05 is before the treaty's adoption on 2024-12-24.",
        "row 7: Austria is already on row 2",
        "row 8: Signature on 2027-01-05 is in the future (today is 2026-11-22 in America/New_York). "
        "Signature on 2027-01-05 is after the signature deadline of 2026-12-31.",
        "row 9: source_url 'not a url' is not a URL",
        "row 10: confidence 'sure' is not one of depositary, official, press",
    ]
    assert (Action.objects.count(), Action.history.count(), Source.objects.count()) == before


def test_a_dry_run_reports_the_same_summary_and_writes_nothing(seeded):
    text = HEADER + "Austria,2025-10-25,ratification,2026-02-01,,,,\nCanada,2026-07-15,,,,,,\n"
    before = Action.history.count()
    summary = import_status(seeded, "a.csv", text, dry_run=True)
    assert (summary.created, summary.unchanged, summary.dry_run) == (2, 1, True)
    assert "nothing was written" in str(summary)
    assert Action.history.count() == before
    assert str(import_status(seeded, "a.csv", text)) == "2 created, 0 updated, 1 unchanged"


@pytest.mark.parametrize(
    "header, problem",
    [
        ("name,date\n", "row 1: unrecognised header"),
        ("participant,signature_date,action\n", "row 1: missing column 'action_date'"),
        ("participant,signature_date,action,action_date,colour\n", "row 1: unknown column 'colour'"),
        ("", "row 1: the file is empty"),
    ],
)
def test_a_file_with_a_bad_header_is_rejected(seeded, header, problem):
    with pytest.raises(ImportRejected) as error:
        import_status(seeded, "x.csv", header + "Austria,2025-10-25,,\n" if header else "")
    assert error.value.problems[0].startswith(problem)


def test_a_new_deposit_after_a_withdrawn_one_is_created_not_merged(seeded):
    import_status(seeded, "a.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    Action.objects.filter(participant__name="Austria", kind="ratification").update(withdrawn_on=date(2026, 3, 1))
    summary = import_status(seeded, "b.csv", HEADER + "Austria,,ratification,2026-05-01,,,,\n")
    assert summary.created == 1
    assert Action.objects.filter(participant__name="Austria", kind="ratification").count() == 2


def letters(n: int) -> str:
    """A name suffix without digits, which would read as footnote numbers."""
    return "".join(chr(ord("a") + int(d)) for d in f"{n:03}")


def test_the_number_of_queries_does_not_grow_with_the_rows(seeded):
    Participant.objects.bulk_create(
        [Participant(name=f"Testland {letters(n)}", slug=f"testland-{letters(n)}") for n in range(260)]
    )

    def queries_for(numbers: range, name: str) -> int:
        rows = "".join(
            f"Testland {letters(n)},2025-10-25,ratification,2026-02-01,,https://example.org/{name}/{n},,\n"
            for n in numbers
        )
        with CaptureQueriesContext(connection) as captured:
            import_status(seeded, f"{name}.csv", HEADER + rows)
        return len(captured.captured_queries)

    # New records only, then the same participants again with new sources (updates).
    assert queries_for(range(0, 10), "small") == queries_for(range(10, 130), "large")
    assert queries_for(range(0, 10), "small-again") == queries_for(range(10, 130), "large-again")
    assert Action.objects.filter(participant__name__startswith="Testland").count() == 260
