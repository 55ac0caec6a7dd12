"""The participants table as CSV and JSON downloads, on the seeded (real) signatures."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from signatories.models import Action, Participant
from signatories.services import record_action
from tracker.downloads import COLUMNS
from tracker.models import Confidence, DatePrecision, Source
from tracker.selectors import status_dict, treaty_status

pytestmark = pytest.mark.django_db
UNTC = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"
SEED_ARTICLE = "000_2bf9440d95628bcf.txt"


def get_csv(client, slug="hanoi-convention", **query) -> dict[str, dict[str, str]]:
    response = client.get(reverse("participants-csv", args=[slug]), query)
    assert response.status_code == 200
    return {row["participant"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}


def get_json(client, slug="hanoi-convention", **query) -> dict:
    response = client.get(reverse("participants-json", args=[slug]), query)
    assert response.status_code == 200
    return response.json()


def deposit_for_forty_signatories(treaty, day=date(2026, 6, 1)) -> list[Action]:
    """Made up for the tests: ratifications by the first 40 States that signed (not the
    EU, whose instrument would not count), all on ``day``."""
    signers = (
        Participant.objects.filter(actions__treaty=treaty, kind=Participant.Kind.STATE)
        .distinct()
        .order_by("name")[:40]
    )
    return [record_action(treaty=treaty, participant=p, kind="ratification", date=day) for p in signers]


def test_the_csv_header_names_the_columns_in_order(seeded, client):
    response = client.get(reverse("participants-csv", args=["hanoi-convention"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header = response.content.decode().split("\r\n")[0]
    assert header == (
        "participant,iso3,un_regional_group,status,signature_type,signature_date,instrument,"
        "instrument_date,date_precision,entry_into_force_for_it,entry_into_force_for_it_precision,confidence,"
        "cn_reference,sources,note,standing,withdrawal,withdrawal_notified_on,withdrawal_effective_on"
    )


def test_the_csv_is_an_attachment_named_after_the_treaty_and_the_day(seeded, client):
    response = client.get(reverse("participants-csv", args=["hanoi-convention"]), {"as_of": "2026-01-15"})
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="hanoi-convention-participants-2026-01-15.csv"'
    )
    today = client.get(reverse("participants-csv", args=["hanoi-convention"]))
    assert today["Content-Disposition"].endswith('participants-2026-11-22.csv"')


def test_the_csv_lists_austria_as_signed_in_hanoi_on_25_october_2025(seeded, client):
    austria = get_csv(client)["Austria"]
    assert austria == {
        "participant": "Austria",
        "iso3": "AUT",
        "un_regional_group": "Western European and other States",
        "status": "signed",
        "signature_type": "signature",
        "signature_date": "2025-10-25",
        "instrument": "",
        "instrument_date": "",
        "date_precision": "exact",
        "entry_into_force_for_it": "",
        "entry_into_force_for_it_precision": "",
        "confidence": "depositary",
        "cn_reference": "",
        "sources": UNTC,
        "note": austria["note"],  # the seed's wording, not this test's concern
        "standing": "signed",
        "withdrawal": "",
        "withdrawal_notified_on": "",
        "withdrawal_effective_on": "",
    }


def test_the_csv_lists_every_seeded_signatory_and_no_one_else(seeded, client):
    rows = get_csv(client)
    assert len(rows) == 68
    assert "Germany" not in rows  # did not sign by the seeded date
    assert set(rows) == set(Participant.objects.filter(actions__treaty=seeded).values_list("name", flat=True))


def test_the_csv_of_a_past_day_leaves_out_what_happened_later(seeded, client):
    rows = get_csv(client, as_of="2025-10-25")
    later = Action.objects.filter(treaty=seeded, date__gt=date(2025, 10, 25)).values_list(
        "participant__name", flat=True
    )
    assert later, "the seed has signatures after the first day"
    assert "Austria" in rows
    assert not set(rows) & set(later)
    assert len(rows) == Action.objects.filter(treaty=seeded, date__lte=date(2025, 10, 25)).count()


def test_a_past_day_shows_a_deposit_made_later_as_not_yet_made(seeded, client):
    austria = Participant.objects.get(name="Austria")
    # Made up for the test: Austria has deposited nothing.
    record_action(treaty=seeded, participant=austria, kind="ratification", date=date(2026, 2, 1))
    assert get_csv(client, as_of="2026-01-31")["Austria"]["instrument"] == ""
    assert get_csv(client, as_of="2026-02-01")["Austria"]["instrument"] == "ratification"


def test_an_instrument_gives_its_date_precision_reference_note_and_sources(seeded, client):
    austria = Participant.objects.get(name="Austria")
    # Made up for the test: a deposit known only "on or before", cited by a shipped article.
    record_action(
        treaty=seeded,
        participant=austria,
        kind="acceptance",
        date=date(2026, 2, 1),
        date_precision=DatePrecision.ON_OR_BEFORE,
        cn_reference="C.N.10.2026.TREATIES-XVIII.16",
        confidence=Confidence.PRESS,
        note="Made up, with a comma, for the test",
        sources=[Source.objects.get(seed_article=SEED_ARTICLE)],
    )
    row = get_csv(client)["Austria"]
    assert (row["status"], row["instrument"], row["instrument_date"]) == (
        "deposited",
        "acceptance",
        "2026-02-01",
    )
    assert (row["signature_type"], row["signature_date"]) == ("signature", "2025-10-25")
    assert row["date_precision"] == "on_or_before"
    assert row["cn_reference"] == "C.N.10.2026.TREATIES-XVIII.16"
    assert row["confidence"] == "press"  # the weaker of the signature's and the deposit's
    assert row["note"] == "Made up, with a comma, for the test"
    assert row["sources"].split(" ") == [UNTC, f"seed:{SEED_ARTICLE}"]


def test_participants_are_in_force_for_it_90_days_after_the_fortieth_deposit(seeded, client):
    deposits = deposit_for_forty_signatories(seeded, day=date(2026, 6, 1))
    row = get_csv(client)[deposits[0].participant.name]
    assert (row["status"], row["entry_into_force_for_it"]) == ("in_force", "2026-08-30")
    assert row["entry_into_force_for_it_precision"] == "exact"
    assert get_csv(client, as_of="2026-08-29")[deposits[0].participant.name]["status"] == "deposited"


def forty_deposits_the_last_on_or_before(treaty) -> list[Action]:
    """Made up for the tests: 39 ratifications on 1 June 2026 and a 40th known only as "on or
    before" 15 June, so that the threshold may have been reached on any day up to 15 June."""
    deposits = deposit_for_forty_signatories(treaty, day=date(2026, 6, 1))
    Action.objects.filter(pk=deposits[-1].pk).update(date=date(2026, 6, 15), date_precision=DatePrecision.ON_OR_BEFORE)
    return deposits


def test_a_date_of_entry_into_force_derived_from_an_on_or_before_date_is_on_or_before(seeded, client):
    deposits = forty_deposits_the_last_on_or_before(seeded)
    # Made up: an exactly dated later joiner, a signatory that had not deposited.
    later = Participant.objects.filter(actions__treaty=seeded, kind=Participant.Kind.STATE).exclude(
        pk__in=[d.participant_id for d in deposits]
    ).order_by("name")[0]
    record_action(treaty=seeded, participant=later, kind="ratification", date=date(2026, 10, 1))
    rows = get_csv(client)
    first, last = rows[deposits[0].participant.name], rows[deposits[-1].participant.name]
    for row in (first, last):
        assert (row["entry_into_force_for_it"], row["entry_into_force_for_it_precision"]) == ("2026-09-13", "on_or_before")
    assert last["date_precision"] == "on_or_before" and first["date_precision"] == "exact"
    assert (rows[later.name]["entry_into_force_for_it"], rows[later.name]["entry_into_force_for_it_precision"]) == (
        "2026-10-31",
        "exact",  # 30 days after its own exact date, later than the general date however early that was
    )
    status = get_json(client)["status"]
    assert (status["entry_into_force_on"], status["entry_into_force_precision"]) == ("2026-09-13", "on_or_before")
    assert (status["threshold_reached_on"], status["threshold_reached_precision"]) == ("2026-06-15", "on_or_before")


def test_a_definitive_signature_is_a_signature_and_an_instrument(seeded, client):
    deposit_for_forty_signatories(seeded, day=date(2026, 6, 1))
    germany = Participant.objects.get(name="Germany")  # made up: Germany has not signed
    record_action(treaty=seeded, participant=germany, kind="definitive_signature", date=date(2026, 7, 1))
    row = get_json(client)["participants"]
    row = next(r for r in row if r["participant"] == "Germany")
    assert (row["signature_type"], row["signature_date"]) == ("definitive_signature", "2026-07-01")
    assert (row["instrument"], row["instrument_date"]) == ("definitive_signature", "2026-07-01")
    assert (row["status"], row["entry_into_force_for_it"]) == ("in_force", "2026-08-30")


def test_the_european_union_has_empty_codes_and_group(seeded, client):
    row = get_csv(client)["European Union"]
    assert (row["iso3"], row["un_regional_group"]) == ("", "")


@pytest.mark.parametrize("name", ["participants-csv", "participants-json"])
@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "22/11/2026"])
def test_a_malformed_as_of_is_a_one_line_400_in_plain_text(seeded, client, name, bad):
    response = client.get(reverse(name, args=["hanoi-convention"]), {"as_of": bad})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert "YYYY-MM-DD" in text


@pytest.mark.parametrize("name", ["participants-csv", "participants-json"])
def test_an_unknown_treaty_is_a_404(seeded, client, name):
    assert client.get(reverse(name, args=["no-such-treaty"])).status_code == 404


def test_the_json_status_is_the_status_dict_of_the_same_day(seeded, client):
    austria = Participant.objects.get(name="Austria")
    # Made up for the test: one deposit, so that the counts are not all zero.
    record_action(treaty=seeded, participant=austria, kind="ratification", date=date(2026, 2, 1))
    for as_of in (date(2025, 10, 25), date(2026, 3, 1), date(2026, 11, 22)):
        data = get_json(client, as_of=as_of.isoformat())
        assert (data["treaty"], data["as_of"]) == ("hanoi-convention", as_of.isoformat())
        assert data["status"] == status_dict(seeded, treaty_status(seeded, as_of))


def test_the_json_rows_have_the_csv_columns_with_nulls_for_what_is_missing(seeded, client):
    data = get_json(client)
    assert len(data["participants"]) == 68
    austria = next(row for row in data["participants"] if row["participant"] == "Austria")
    assert list(austria) == list(COLUMNS)
    assert austria["signature_date"] == "2025-10-25"
    assert austria["instrument"] is None and austria["instrument_date"] is None
    assert austria["entry_into_force_for_it"] is None and austria["cn_reference"] is None
    assert austria["sources"] == [UNTC]
    eu = next(row for row in data["participants"] if row["participant"] == "European Union")
    assert eu["iso3"] is None and eu["un_regional_group"] is None


@pytest.mark.parametrize("name", ["participants-csv", "participants-json"])
def test_the_downloads_take_the_same_few_queries_whatever_the_number_of_rows(
    seeded, client, django_assert_max_num_queries, name
):
    url = reverse(name, args=["hanoi-convention"])
    # The savepoints of the request's transaction, the treaty, participants (and their
    # aliases), actions and their sources: a few queries, none per row.
    with django_assert_max_num_queries(8) as before:
        client.get(url, {"as_of": "2025-10-24"})  # the day before signature opened: no rows
    deposits = deposit_for_forty_signatories(seeded)
    for deposit in deposits:  # made up: a source per deposit, so each row has sources to read
        deposit.sources.add(Source.objects.get(url=UNTC))
    with django_assert_max_num_queries(len(before)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b"2026-06-01") >= 40
