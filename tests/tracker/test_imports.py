"""Importing status tables: both formats, all or nothing, idempotent, with history.

The instrument dates in these tests are made up; the participants are the seeded ones.
Japan, which has not signed, stands for a participant the seed gives no action.
"""

from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatories.models import Action, Participant
from tracker.imports import ImportRejected, import_status, plan_import
from tracker.models import Source
from tracker.selectors import treaty_status
from tracker.services import history_label
from tracker.status_tables import parse_table

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
HEADER = "participant,signature_date,action,action_date,cn_reference,source_url,confidence,note\n"


def action(name: str, deposit: bool = False) -> Action:
    kinds = ["ratification", "acceptance", "approval", "accession", "succession"]
    actions = Action.objects.filter(participant__name=name)
    return actions.filter(kind__in=kinds).get() if deposit else actions.exclude(kind__in=kinds).get()


def test_format_1_creates_signatures_and_deposits_with_their_details(seeded):
    text = HEADER + (
        "Japan,2026-07-15,,,,,,\n"
        "Austria,,ratification,2026-02-01,C.N.12.2026.TREATIES-XVIII.16,https://example.org/at,official,Deposited\n"
    )
    summary = import_status(seeded, "march.csv", text)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    assert action("Japan").date == date(2026, 7, 15)
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
        "Japan,2027-01-05,,,,,,\n"  # a new signature, in the future and after the deadline
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
        "row 7: Austria would have two instruments in effect, the ratification of 2026-02-01 on row 2 and "
        "the accession of 2026-03-01 on row 7; give withdrawn_on for the one that was withdrawn",
        "row 8: Signature on 2027-01-05 is in the future (today is 2026-11-22 in America/New_York). "
        "Signature on 2027-01-05 is after the signature deadline of 2026-12-31.",
        "row 9: source_url 'not a url' is not a URL",
        "row 10: confidence 'sure' is not one of depositary, official, press",
    ]
    assert (Action.objects.count(), Action.history.count(), Source.objects.count()) == before


def test_a_dry_run_reports_the_same_summary_and_writes_nothing(seeded):
    text = HEADER + "Austria,2025-10-25,ratification,2026-02-01,,,,\nJapan,2026-07-15,,,,,,\n"
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


PRECISE_HEADER = HEADER.rstrip("\n") + ",signature_date_precision,action_date_precision\n"
UNTC_HEADER = 'Participant,Signature,"Ratification, Acceptance(A), Approval(AA), Accession(a), Succession(d)"\n'

# (case, the file that deposited the instrument, the same instrument as a later file lists it)
WITHDRAWN_LISTED_CASES = [
    (
        "our own format",
        HEADER + "Austria,2025-10-25,ratification,2026-02-01,,,,\n",
        HEADER + "Austria,2025-10-25,ratification,2026-02-01,C.N.9.2026.TREATIES-XVIII.16,,,Listed again\n",
    ),
    (
        "the depositary's table",
        UNTC_HEADER + "Austria,25 Oct 2025,1 Feb 2026\n",
        UNTC_HEADER + "Austria,25 Oct 2025,1 Feb 2026\n",
    ),
]


@pytest.mark.parametrize(
    "first, again", [c[1:] for c in WITHDRAWN_LISTED_CASES], ids=[c[0] for c in WITHDRAWN_LISTED_CASES]
)
def test_a_row_listing_a_withdrawn_instrument_is_that_instrument_left_unchanged(seeded, first, again):
    from tracker.selectors import treaty_status

    import_status(seeded, "first.csv", first)
    # Made up for the test: Austria withdrew its (made-up) ratification.
    Action.objects.filter(participant__name="Austria", kind="ratification").update(withdrawn_on=date(2026, 3, 1))
    before = (Action.objects.count(), Action.history.count())
    summary = import_status(seeded, "again.csv", again)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    assert (Action.objects.count(), Action.history.count()) == before
    withdrawn = action("Austria", deposit=True)
    assert (withdrawn.withdrawn_on, withdrawn.cn_reference, withdrawn.note) == (date(2026, 3, 1), "", "")
    assert treaty_status(seeded).instruments_deposited == 0


def test_a_row_listing_a_withdrawn_instrument_leaves_the_later_one_as_it_is(seeded):
    import_status(seeded, "a.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    Action.objects.filter(participant__name="Austria", kind="ratification").update(withdrawn_on=date(2026, 3, 1))
    import_status(seeded, "b.csv", HEADER + "Austria,,ratification,2026-05-01,,,,\n")
    summary = import_status(seeded, "a.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    dates = Action.objects.filter(participant__name="Austria", kind="ratification").order_by("date")
    assert [(a.date, a.withdrawn_on) for a in dates] == [(date(2026, 2, 1), date(2026, 3, 1)), (date(2026, 5, 1), None)]


def test_a_row_listing_a_withdrawn_signature_is_that_signature_left_unchanged(seeded):
    # Made up for the test: Austria withdrew its (real) signature.
    Action.objects.filter(participant__name="Austria", kind="signature").update(withdrawn_on=date(2026, 1, 1))
    summary = import_status(seeded, "a.csv", HEADER + "Austria,2025-10-25,,,,,,A new note\n")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    signature = action("Austria")
    assert (signature.withdrawn_on, signature.note != "A new note") == (date(2026, 1, 1), True)


# (case, the rows imported one after the other, the deposit's precision after each)
PRECISION_IMPORT_CASES = [
    ("a new deposit takes the file's precision", ["Austria,,ratification,2026-02-01,,,,,,on_or_before"],
     ["on_or_before"]),
    ("a new deposit without one is exact", ["Austria,,ratification,2026-02-01,,,,,,"], ["exact"]),
    ("an empty precision keeps the recorded one",
     ["Austria,,ratification,2026-02-01,,,,,,on_or_before", "Austria,,ratification,2026-02-01,,,,,,"],
     ["on_or_before", "on_or_before"]),
    ("a precision given corrects the recorded one",
     ["Austria,,ratification,2026-02-01,,,,,,on_or_before", "Austria,,ratification,2026-02-01,,,,,,exact"],
     ["on_or_before", "exact"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "rows, precisions", [c[1:] for c in PRECISION_IMPORT_CASES], ids=[c[0] for c in PRECISION_IMPORT_CASES]
)
def test_the_precision_columns_set_each_dates_precision_and_an_empty_one_keeps_it(seeded, rows, precisions):
    for number, (row, expected) in enumerate(zip(rows, precisions, strict=True)):
        import_status(seeded, f"{number}.csv", PRECISE_HEADER + row + "\n")
        assert action("Austria", deposit=True).date_precision == expected


def test_a_definitive_signature_takes_the_action_dates_precision(seeded):
    import_status(seeded, "s.csv", PRECISE_HEADER + "Saint Lucia,,definitive_signature,2026-04-10,,,,,,on_or_before\n")
    signed = action("Saint Lucia")
    assert (signed.kind, signed.date_precision) == ("definitive_signature", "on_or_before")


@pytest.mark.parametrize(
    "row, problem",
    [
        ("Austria,,ratification,2026-02-01,,,,,,sometimes", "action_date_precision 'sometimes' is not one of exact, on_or_before"),
        ("Austria,,,,,,,,on_or_before,", "signature_date_precision 'on_or_before' is given without the date it qualifies"),
    ],
)
def test_a_bad_precision_is_rejected_with_its_row(seeded, row, problem):
    with pytest.raises(ImportRejected) as error:
        import_status(seeded, "x.csv", PRECISE_HEADER + row + "\n")
    assert error.value.problems == [f"row 2: {problem}"]


WITHDRAWAL_HEADER = PRECISE_HEADER.rstrip("\n") + ",withdrawn_on\n"


def deposits_of(name: str) -> list[tuple[str, date, date | None]]:
    actions = Action.objects.filter(participant__name=name).exclude(kind="signature").order_by("date")
    return [(a.kind, a.date, a.withdrawn_on) for a in actions]


def test_withdrawn_on_withdraws_the_rows_deposit_or_its_signature_when_it_has_none(seeded):
    # Made up for the test: Austria's ratification, withdrawn; Japan's signature, withdrawn.
    text = WITHDRAWAL_HEADER + (
        "Austria,2025-10-25,ratification,2026-02-01,,,,,,,2026-06-01\n"
        "Japan,2025-10-25,,,,,,,,,2026-07-15\n"
    )
    summary = import_status(seeded, "w.csv", text)
    assert (summary.created, summary.unchanged) == (2, 1)  # Austria's (seeded) signature is unchanged
    assert deposits_of("Austria") == [("ratification", date(2026, 2, 1), date(2026, 6, 1))]
    assert action("Austria").withdrawn_on is None
    assert action("Japan").withdrawn_on == date(2026, 7, 15)


def test_a_withdrawn_deposit_and_the_one_after_it_are_two_rows_and_two_records(seeded):
    import_status(seeded, "a.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    # Made up: the recorded ratification is withdrawn and an accession follows, in one file.
    text = WITHDRAWAL_HEADER + (
        "Austria,,accession,2026-09-01,,,,,,,\n"
        "Austria,2025-10-25,ratification,2026-02-01,,,,,,,2026-06-01\n"
    )
    summary = import_status(seeded, "b.csv", text)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    assert deposits_of("Austria") == [
        ("ratification", date(2026, 2, 1), date(2026, 6, 1)),
        ("accession", date(2026, 9, 1), None),
    ]
    assert import_status(seeded, "b.csv", text).unchanged == 3  # and again: nothing changes


def test_an_empty_withdrawn_on_leaves_a_recorded_withdrawal_in_place(seeded):
    import_status(seeded, "a.csv", WITHDRAWAL_HEADER + "Austria,,ratification,2026-02-01,,,,,,,2026-06-01\n")
    summary = import_status(seeded, "b.csv", WITHDRAWAL_HEADER + "Austria,,ratification,2026-02-01,,,,,,,\n")
    assert (summary.updated, summary.unchanged) == (0, 1)
    assert deposits_of("Austria") == [("ratification", date(2026, 2, 1), date(2026, 6, 1))]


def test_a_changed_withdrawal_date_updates_the_record(seeded):
    import_status(seeded, "a.csv", WITHDRAWAL_HEADER + "Austria,,ratification,2026-02-01,,,,,,,2026-06-01\n")
    import_status(seeded, "b.csv", WITHDRAWAL_HEADER + "Austria,,ratification,2026-02-01,,,,,,,2026-06-03\n")
    assert deposits_of("Austria") == [("ratification", date(2026, 2, 1), date(2026, 6, 3))]


@pytest.mark.parametrize(
    "rows, problems",
    [
        (["Austria,,ratification,2026-02-01,,,,,,,1 June 2026"],
         ["row 2: withdrawn_on '1 June 2026' is not a date of the form YYYY-MM-DD"]),
        (["Austria,,,,,,,,,,2026-06-01"],
         ["row 2: withdrawn_on is given without a signature or an action to withdraw"]),
        (["Austria,,ratification,2026-02-01,,,,,,,2026-01-31"],
         ["row 2: A signature or an instrument can only be withdrawn on or after its date."]),
        (["Austria,2025-10-25,,,,,,,,,", "Austria,2025-10-26,ratification,2026-02-01,,,,,,,"],
         ["row 3: the signature of Austria is already on row 2"]),
        (["Austria,,ratification,2026-02-01,,,,,,,2026-06-01", "Austria,,ratification,2026-02-01,,,,,,,"],
         ["row 3: this ratification of Austria is already on row 2"]),
    ],
    ids=["not a date", "nothing to withdraw", "before the deposit", "two signatures",
         "the same deposit twice"],
)  # fmt: skip
def test_a_bad_withdrawal_is_rejected_with_its_row_and_nothing_is_written(seeded, rows, problems):
    before = (Action.objects.count(), Action.history.count())
    with pytest.raises(ImportRejected) as error:
        import_status(seeded, "x.csv", WITHDRAWAL_HEADER + "\n".join(rows) + "\n")
    assert error.value.problems == problems
    assert (Action.objects.count(), Action.history.count()) == before


def test_a_withdrawal_taking_effect_in_the_future_is_accepted_and_counts_until_that_day(seeded):
    # withdrawn_on is the day the withdrawal takes effect: the depositary records one notified
    # today that takes effect later (made up: Austria's ratification, until 2026-12-01).
    text = WITHDRAWAL_HEADER + "Austria,,ratification,2026-02-01,,,,,,,2026-12-01\n"
    summary = import_status(seeded, "w.csv", text)
    assert (summary.created, summary.updated) == (1, 0)
    assert deposits_of("Austria") == [("ratification", date(2026, 2, 1), date(2026, 12, 1))]
    assert treaty_status(seeded, date(2026, 11, 22)).instruments_counted == 1  # today
    assert treaty_status(seeded, date(2026, 11, 30)).instruments_counted == 1  # the day before
    assert treaty_status(seeded, date(2026, 12, 1)).instruments_counted == 0  # the day it takes effect


def planned_problems(treaty, withdrawn_on: str, notified_on: date) -> list[str]:
    """The problems of a row withdrawing Austria's (made-up) ratification on ``withdrawn_on``,
    notified on ``notified_on``. Neither CSV format has a column for the notification (only
    the depositary import gives it), so it is set on the parsed row."""
    text = WITHDRAWAL_HEADER + f"Austria,,ratification,2026-02-01,,,,,,,{withdrawn_on}\n"
    [row], problems = parse_table(text)
    assert problems == []
    row.withdrawal_notified_on = notified_on
    return plan_import(treaty, [row]).problems


def test_a_withdrawal_notified_in_the_future_or_taking_effect_before_its_notification_is_refused(seeded):
    assert planned_problems(seeded, "2027-05-23", date(2026, 11, 22)) == []  # notified today: fine
    assert planned_problems(seeded, "2027-05-23", date(2026, 11, 23)) == [
        "row 2: The notification on 2026-11-23 is in the future."
    ]
    assert planned_problems(seeded, "2026-06-01", date(2026, 6, 2)) == [
        "row 2: The withdrawal cannot take effect before its notification on 2026-06-02."
    ]
    assert Action.objects.filter(participant__name="Austria").exclude(kind="signature").count() == 0


def test_a_second_deposit_in_effect_beside_a_recorded_one_is_rejected(seeded):
    import_status(seeded, "a.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    text = WITHDRAWAL_HEADER + "Austria,,ratification,2026-02-01,,,,,,,\nAustria,,accession,2026-09-01,,,,,,,\n"
    with pytest.raises(ImportRejected) as error:
        import_status(seeded, "b.csv", text)
    assert error.value.problems == [
        "row 3: Austria would have two instruments in effect, the ratification of 2026-02-01 on row 2 and "
        "the accession of 2026-09-01 on row 3; give withdrawn_on for the one that was withdrawn"
    ]
    assert deposits_of("Austria") == [("ratification", date(2026, 2, 1), None)]


# --- What a dry run lists, row by row -----------------------------------------------


def test_a_dry_run_lists_each_row_it_would_create_or_change_and_writes_nothing(seeded):
    import_status(seeded, "first.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    history = Action.history.count()
    text = HEADER + (
        "Japan,2026-07-15,,,,,,\n"
        "Austria,2025-10-25,,,,,,\n"  # as recorded: unchanged, not listed
        "Austria,,ratification,2026-02-03,,https://example.org/at,,\n"
    )
    summary = import_status(seeded, "corrected.csv", text, dry_run=True)
    assert [(row.line, row.participant, row.created) for row in summary.rows] == [
        (2, "Japan", True),
        (4, "Austria", False),
    ]
    assert summary.rows[0].changes == ["signature of 2026-07-15"]
    assert summary.rows[1].changes == ["date: 2026-02-01 → 2026-02-03", "source added: https://example.org/at"]
    assert summary.more_rows == 0
    assert Action.history.count() == history
    assert action("Austria", deposit=True).date == date(2026, 2, 1)


def test_a_new_actions_row_names_the_details_it_brings(seeded):
    text = HEADER + "Austria,,ratification,2026-02-01,C.N.12.2026.TREATIES-XVIII.16,,official,\n"
    (row,) = import_status(seeded, "march.csv", text, dry_run=True).rows
    assert row.changes == [
        "ratification of 2026-02-01",
        "C.N. reference: C.N.12.2026.TREATIES-XVIII.16",
        "confidence: official",
    ]


def test_a_dry_run_of_a_long_file_lists_the_first_rows_and_counts_the_rest(seeded, monkeypatch):
    from tracker import imports

    monkeypatch.setattr(imports, "SHOWN_CHANGES", 2)
    names = ["Japan", "India", "Germany"]  # none of them signed, in the seed
    assert not Action.objects.filter(participant__name__in=names).exists()
    text = HEADER + "".join(f"{name},2026-07-15,,,,,,\n" for name in names)
    summary = import_status(seeded, "signatures.csv", text, dry_run=True)
    assert [row.line for row in summary.rows] == [2, 3]
    assert (summary.created, summary.more_rows) == (3, 1)


def test_the_history_of_an_action_given_a_source_by_an_import_says_which(seeded):
    import_status(seeded, "first.csv", HEADER + "Austria,,ratification,2026-02-01,,,,\n")
    import_status(seeded, "cited.csv", HEADER + "Austria,,ratification,2026-02-01,,https://example.org/at,,\n")
    first, cited = action("Austria", deposit=True).history.order_by("history_id")
    source = Source.objects.get(url="https://example.org/at")
    assert cited.history_sources_change == f"added “{history_label(source)}”"
    assert first.history_sources_change == ""  # a file row without a source gives none
    unchanged = action("Austria").history.latest()  # the seeded signature, not in these files
    assert unchanged.history_sources_change == ""


def test_the_history_of_a_new_action_names_the_source_it_starts_with(seeded):
    import_status(seeded, "july.csv", HEADER + "Japan,2026-07-15,,,,https://example.org/jp,,\n")
    record = action("Japan").history.get()
    assert (record.history_type, record.history_sources_change) == (
        "+",
        f"added “{history_label(Source.objects.get(url='https://example.org/jp'))}”",
    )
