"""The Atom feed of recorded actions and the iCalendar file of key dates."""

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from signatories.models import Participant
from signatories.services import record_action
from tracker.models import Confidence, DatePrecision

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
# Later on the day the suite is pinned to, for actions recorded after the seed.
LATER_THAT_DAY = datetime(2026, 11, 22, 18, 0, tzinfo=ZoneInfo("America/New_York"))


def atom_entries(client, slug="hanoi-convention") -> list[ET.Element]:
    response = client.get(reverse("actions-feed", args=[slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def ids(entries) -> list[str]:
    return [entry.findtext(f"{ATOM}id") for entry in entries]


def calendar(client, slug="hanoi-convention") -> str:
    response = client.get(reverse("key-dates-calendar", args=[slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content.decode("utf-8")


def unfold(text: str) -> list[str]:
    """The logical lines of an iCalendar text (RFC 5545 §3.1)."""
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")


def events(text: str) -> list[dict[str, str]]:
    """Each VEVENT as a dict of property (with its parameters) to value."""
    found, current = [], None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return found


def deposit_for_forty_signatories(treaty, first_day: date, last_day: date, last_precision="exact") -> list:
    """Made up for the tests: ratifications by 40 States that signed (not the EU, whose
    instrument would not count), 39 on ``first_day`` and the 40th on ``last_day``, dated
    with ``last_precision``."""
    signers = (
        Participant.objects.filter(actions__treaty=treaty, kind=Participant.Kind.STATE)
        .distinct()
        .order_by("name")[:40]
    )
    return [
        record_action(
            treaty=treaty,
            participant=p,
            kind="ratification",
            date=first_day if i < 39 else last_day,
            date_precision="exact" if i < 39 else last_precision,
        )
        for i, p in enumerate(signers)
    ]


# Atom ----------------------------------------------------------------------------------


def test_the_feed_is_atom_xml_titled_after_the_treaty_and_linking_to_its_page(seeded, client):
    response = client.get(reverse("actions-feed", args=["hanoi-convention"]))
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert "Hanoi Convention" in feed.findtext(f"{ATOM}title")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["alternate"].endswith(reverse("treaty", args=["hanoi-convention"]))


def test_the_feed_has_an_entry_per_action_up_to_fifty(seeded, client, make_treaty, make_participant):
    assert len(atom_entries(client)) == 50  # of the 67 seeded signatures
    small = make_treaty(slug="small-treaty")
    for name in ("Atlantis", "Borduria", "Carpania"):  # made-up participants and signatures
        record_action(
            treaty=small, participant=make_participant(name), kind="signature", date=date(2026, 1, 5)
        )
    titles = {entry.findtext(f"{ATOM}title") for entry in atom_entries(client, "small-treaty")}
    assert titles == {
        f"{name}: signature of the Test Treaty (2026-01-05)" for name in ("Atlantis", "Borduria", "Carpania")
    }


def test_a_newly_recorded_action_comes_first(seeded, client):
    austria = Participant.objects.get(name="Austria")
    with time_machine.travel(LATER_THAT_DAY, tick=False):
        # Made up for the test: Austria has deposited nothing.
        record_action(treaty=seeded, participant=austria, kind="ratification", date=date(2026, 2, 1))
    first = atom_entries(client)[0]
    assert first.findtext(f"{ATOM}title") == "Austria: ratification of the Hanoi Convention (2026-02-01)"
    assert first.find(f"{ATOM}link").get("href").endswith("/participants/aut/")


def test_actions_recorded_in_the_same_instant_are_listed_newest_first(seeded, client):
    # The clock is pinned, so both made-up deposits share a created_at: the later one wins.
    for name in ("Austria", "Albania"):
        record_action(
            treaty=seeded,
            participant=Participant.objects.get(name=name),
            kind="ratification",
            date=date(2026, 2, 1),
        )
    titles = [entry.findtext(f"{ATOM}title") for entry in atom_entries(client)[:2]]
    assert [title.split(":")[0] for title in titles] == ["Albania", "Austria"]


def test_entry_ids_are_unique_and_survive_new_actions_and_corrections(seeded, client):
    before = ids(atom_entries(client))
    assert len(set(before)) == len(before) and all(i.startswith("tag:") for i in before)
    assert ids(atom_entries(client)) == before
    austria = Participant.objects.get(name="Austria")
    # Made up for the test: a new deposit, then a correction of its date.
    deposit = record_action(treaty=seeded, participant=austria, kind="ratification", date=date(2026, 2, 1))
    after = ids(atom_entries(client))
    assert after[1:] == before[:-1]
    deposit.date = date(2026, 2, 3)
    deposit.save()
    assert ids(atom_entries(client)) == after


def test_an_entry_describes_the_date_confidence_reference_and_note(seeded, client):
    austria = Participant.objects.get(name="Austria")
    # Made up for the test.
    record_action(
        treaty=seeded,
        participant=austria,
        kind="acceptance",
        date=date(2026, 2, 1),
        date_precision=DatePrecision.ON_OR_BEFORE,
        confidence=Confidence.OFFICIAL,
        cn_reference="C.N.10.2026.TREATIES-XVIII.16",
        note="Reported by the foreign ministry",
    )
    entry = atom_entries(client)[0]
    summary = entry.findtext(f"{ATOM}summary")
    assert "on or before 2026-02-01" in summary
    assert "official statement" in summary
    assert "C.N.10.2026.TREATIES-XVIII.16" in summary
    assert "Reported by the foreign ministry" in summary
    assert entry.findtext(f"{ATOM}published").startswith("2026-11-22T")
    assert entry.findtext(f"{ATOM}updated").startswith("2026-11-22T")


def test_an_entry_titled_with_a_date_known_only_on_or_before_says_so(seeded, client):
    austria = Participant.objects.get(name="Austria")
    # Made up for the test.
    record_action(
        treaty=seeded, participant=austria, kind="ratification", date=date(2026, 2, 1),
        date_precision=DatePrecision.ON_OR_BEFORE,
    )  # fmt: skip
    title = atom_entries(client)[0].findtext(f"{ATOM}title")
    assert title == "Austria: ratification of the Hanoi Convention (on or before 2026-02-01)"


def test_a_note_that_looks_like_markup_is_escaped_as_html(seeded, client):
    austria = Participant.objects.get(name="Austria")
    # Made up for the test.
    record_action(
        treaty=seeded, participant=austria, kind="ratification", date=date(2026, 2, 1), note="<b>AT</b> & co"
    )
    summary = atom_entries(client)[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "Note: &lt;b&gt;AT&lt;/b&gt; &amp; co." in summary.text


def test_the_feed_of_an_unknown_treaty_is_a_404(seeded, client):
    assert client.get(reverse("actions-feed", args=["no-such-treaty"])).status_code == 404


# iCalendar -----------------------------------------------------------------------------


def test_the_calendar_has_the_signature_deadline_as_an_all_day_event(seeded, client):
    text = calendar(client)
    deadline = next(e for e in events(text) if e["SUMMARY"] == "Last day to sign the Hanoi Convention")
    assert deadline["DTSTART;VALUE=DATE"] == "20261231"
    assert deadline["DTEND;VALUE=DATE"] == "20270101"
    assert deadline["UID"] == "signature-closes-20261231-hanoi-convention@treaty-tracker"
    assert deadline["DTSTAMP"] == "20261122T170000Z"  # noon in New York, in UTC
    opening = next(e for e in events(text) if e["UID"].startswith("signature-opens-"))
    assert opening["DTSTART;VALUE=DATE"] == "20251025"


def test_the_calendar_has_the_header_rfc_5545_requires(seeded, client):
    lines = unfold(calendar(client))
    assert lines[:3] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Treaty Ratification Tracker//Key dates//EN",
    ]
    assert "X-WR-CALNAME:Hanoi Convention: key dates" in lines
    assert lines[-2:] == ["END:VCALENDAR", ""]


def test_every_calendar_line_ends_in_crlf_and_fits_in_75_octets(seeded, client):
    raw = calendar(client).encode("utf-8")
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75


def test_a_long_line_is_folded_and_unfolds_back_to_the_original(seeded, client):
    text = calendar(client)
    # The seeded signature venues are long, with commas and an en dash (RFC 5545 §3.3.11
    # escapes the commas).
    original = "DESCRIPTION:" + seeded.signature_venues.replace(",", "\\,").replace(";", "\\;")
    assert len(original.encode()) > 75
    assert original not in text.split("\r\n")  # folded
    assert original in unfold(text)


def test_folding_never_cuts_a_multi_octet_character(seeded, client, make_treaty):
    make_treaty(slug="accents", short_title="é–" * 60)
    raw = calendar(client, "accents").encode("utf-8")
    physical = raw.split(b"\r\n")
    assert all(len(part) <= 75 for part in physical)
    assert all(part.decode("utf-8") is not None for part in physical)  # each part decodes on its own
    assert "SUMMARY:Last day to sign the " + "é–" * 60 in unfold(raw.decode("utf-8"))


def test_calendar_text_is_escaped(seeded, client, make_treaty):
    make_treaty(
        slug="escaped", short_title="Pact, one; two \\ three", signature_venues="Paris, Rome;\nthen Oslo"
    )
    lines = unfold(calendar(client, "escaped"))
    assert "X-WR-CALNAME:Pact\\, one\\; two \\\\ three: key dates" in lines
    assert "DESCRIPTION:Paris\\, Rome\\;\\nthen Oslo" in lines
    assert "SUMMARY:Last day to sign the Pact\\, one\\; two \\\\ three" in lines


def test_the_calendar_has_no_entry_into_force_before_the_threshold(seeded, client):
    text = calendar(client)
    assert "entry-into-force" not in text
    assert len(events(text)) == 2


def test_the_calendar_has_entry_into_force_90_days_after_the_fortieth_deposit(seeded, client):
    deposit_for_forty_signatories(seeded, first_day=date(2026, 5, 4), last_day=date(2026, 6, 10))
    event = next(e for e in events(calendar(client)) if e["UID"].startswith("entry-into-force-"))
    in_force = date(2026, 6, 10) + timedelta(days=90)
    assert event["DTSTART;VALUE=DATE"] == in_force.strftime("%Y%m%d")
    assert event["UID"] == f"entry-into-force-{in_force:%Y%m%d}-hanoi-convention@treaty-tracker"
    assert "fixed: the 40th instrument was deposited on 2026-06-10" in event["DESCRIPTION"]


def test_an_entry_into_force_derived_from_an_on_or_before_date_says_on_or_before(seeded, client):
    deposit_for_forty_signatories(seeded, date(2026, 5, 4), date(2026, 6, 10), DatePrecision.ON_OR_BEFORE)
    text = calendar(client)
    event = next(e for e in events(text) if e["UID"].startswith("entry-into-force-"))
    # Still an all-day event, on the latest day it can be: 90 days after 2026-06-10.
    assert (event["DTSTART;VALUE=DATE"], event["DTEND;VALUE=DATE"]) == ("20260908", "20260909")
    assert event["SUMMARY"] == "Entry into force of the Hanoi Convention (on or before this day)"
    assert event["DESCRIPTION"].startswith("The Hanoi Convention enters into force on or before 2026-09-08: ")
    assert "deposited on or before 2026-06-10" in event["DESCRIPTION"]
    assert "fixed" not in event["DESCRIPTION"]
    assert max(len(line) for line in text.encode("utf-8").split(b"\r\n")) <= 75


def test_event_uids_are_stable_from_one_download_to_the_next(seeded, client):
    first = [e["UID"] for e in events(calendar(client))]
    with time_machine.travel(LATER_THAT_DAY, tick=False):
        assert [e["UID"] for e in events(calendar(client))] == first


def test_the_calendar_of_an_unknown_treaty_is_a_404(seeded, client):
    assert client.get(reverse("key-dates-calendar", args=["no-such-treaty"])).status_code == 404
