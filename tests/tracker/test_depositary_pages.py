"""The public pages show the depositary's record: its stated date beside the computed one,
withdrawals with their effective dates, each participant's statements and end notes, and
the time of the last read of the depositary page (and of a failed one).

The treaties, participants and depositary rows are made up in each test, written through
the ORM or the services: nothing here reads /work/shared.
"""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from signatories.models import DepositaryEntry, Statement
from signatories.services import record_action
from tests.conftest import NOON
from tracker import wording
from tracker.models import EndNote, Source, Treaty
from tracker.sync.models import DepositarySync
from tracker.sync.selectors import last_failure, last_sync, public_error, sync_state

pytestmark = pytest.mark.django_db
AS_AT = datetime(2026, 11, 1, 15, 16, tzinfo=UTC)


def text_of(html: str) -> str:
    """The page's words, without markup, on one line."""
    html = re.sub(r"<(svg|style|script)\b.*?</\1>", " ", html, flags=re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([.,:;)])", r"\1", words)  # the space a closing tag left before punctuation


def stat(html: str, key: str) -> str:
    match = re.search(rf'data-stat="{key}"[^>]*>([^<]*)<', html)
    assert match, f"no data-stat={key!r} on the page"
    return match.group(1).strip()


def table_row(html: str, iso3: str) -> str:
    table = html[html.index('<table id="participants">') :]
    start = table.index(f'<tr data-iso3="{iso3}"')
    return re.sub(r"</?time[^>]*>", "", table[start : table.index("</tr>", start)])  # the dates' markup aside


@pytest.fixture
def page_source(db):
    return Source.objects.create(url="https://treaties.un.org/test-status-page", publisher="UN Treaty Collection")


@pytest.fixture
def states(make_participant):
    """Three made-up parties with real ISO codes, so that they are drawn on the map."""
    return {
        "POL": make_participant("Poland", iso_alpha2="PL", iso_alpha3="POL", iso_numeric="616"),
        "FIN": make_participant("Finland", iso_alpha2="FI", iso_alpha3="FIN", iso_numeric="246"),
        "NOR": make_participant("Norway", iso_alpha2="NO", iso_alpha3="NOR", iso_numeric="578"),
    }


@pytest.fixture
def landmines(pinned_today, make_treaty, states):
    """A made-up treaty with an Ottawa-style rule: 2 instruments, in force on the first day
    of the sixth month after. Norway and Finland ratified in 2020 (in force 1 Jan 2021);
    Poland in 2021. Finland's withdrawal took effect on 10 Jan 2026; Poland's, notified on
    20 Aug 2026, takes effect on 20 Feb 2027, after the pinned today (22 Nov 2026)."""
    treaty = make_treaty(
        slug="landmines",
        short_title="Landmines Convention",
        adopted_on=date(2019, 9, 18),
        signature_opens_on=None,
        signature_closes_on=None,
        threshold=2,
        entry_into_force_delay="6m,first-of-month",
        later_joiner_delay="6m,first-of-month",
        entry_into_force_stated_on=date(2021, 1, 1),
        entry_into_force_stated_article="article 17(1)",
        depositary_as_at=AS_AT,
    )
    record_action(treaty=treaty, participant=states["NOR"], kind="ratification", date=date(2020, 7, 9))
    record_action(
        treaty=treaty, participant=states["FIN"], kind="accession", date=date(2020, 7, 10),
        withdrawn_on=date(2026, 1, 10), withdrawal_notified_on=date(2025, 7, 10), withdrawal_kind="withdrawal",
    )
    record_action(
        treaty=treaty, participant=states["POL"], kind="ratification", date=date(2021, 12, 27),
        withdrawn_on=date(2027, 2, 20), withdrawal_notified_on=date(2026, 8, 20), withdrawal_kind="withdrawal",
    )
    return treaty


def sync(treaty, outcome, started, error="", as_at=AS_AT):
    return DepositarySync.objects.create(
        treaty=treaty, source="https://treaties.un.org/test-status-page", started_at=started,
        finished_at=started, outcome=outcome, as_at=as_at, error=error,
    )


# The stated and the computed date ----------------------------------------------------


def test_treaty_page_shows_the_stated_and_computed_dates_side_by_side(client, landmines):
    html = client.get("/treaties/landmines/").content.decode()
    assert stat(html, "entry_into_force_stated_on") == "1 January 2021"
    assert stat(html, "entry_into_force_computed_on") == "1 January 2021"
    words = text_of(html)
    assert "Date stated by the depositary 1 January 2021 (article 17(1))" in words
    assert "Date computed from the records 1 January 2021" in words
    assert 'data-note="dates-differ"' not in html  # they agree: nothing to explain


def test_when_the_dates_differ_the_page_says_the_depositarys_date_stands_and_why(client, landmines):
    # As for the ICCPR: the depositary's date is earlier than the records give.
    Treaty.objects.filter(pk=landmines.pk).update(entry_into_force_stated_on=date(2020, 10, 1))
    EndNote.objects.create(
        treaty=landmines, number="1", text="Formerly listed under a predecessor State.", source=Source.objects.create(
            url="https://treaties.un.org/p"), as_at=AS_AT,
    )
    html = client.get("/treaties/landmines/").content.decode()
    assert stat(html, "entry_into_force_on") == "1 October 2020"  # the depositary's
    assert stat(html, "entry_into_force_computed_on") == "1 January 2021"
    words = text_of(html)
    assert "The depositary's date stands" in words
    assert "the instruments of predecessor States are listed under their successors" in words
    assert 'href="/treaties/landmines/#end-notes"' in html
    assert '<details id="end-notes" class="end-notes" open>' in html  # shown, never hidden
    assert "Formerly listed under a predecessor State." in words


def test_the_stated_date_is_not_shown_on_a_day_before_it_was_known(client, landmines):
    html = client.get("/treaties/landmines/?as_of=2020-07-09").content.decode()
    assert 'data-stat="entry_into_force_stated_on"' not in html
    assert "Not in force" in text_of(html)


def test_treaty_without_a_rule_says_why_no_date_is_computed(client, landmines):
    Treaty.objects.filter(pk=landmines.pk).update(threshold=None, entry_into_force_delay="", later_joiner_delay="")
    html = client.get("/treaties/landmines/").content.decode()
    words = text_of(html)
    assert "No rule of entry into force is recorded yet, so no date is computed." in words
    assert stat(html, "entry_into_force_stated_on") == "1 January 2021"
    assert stat(html, "entry_into_force_computed_on") == "None"
    assert "<progress" not in html and 'data-stat="remaining"' not in html and 'data-stat="threshold"' not in html
    assert 'class="timeline-chart"' in html and "Threshold:" not in html
    for path in ("/", "/treaties/landmines/participants.csv", "/treaties/landmines/participants.json",
                 "/treaties/landmines/calendar.ics", "/treaties/landmines/feed.atom"):
        assert client.get(path).status_code == 200, path
    assert client.get("/treaties/landmines/participants.json").json()["status"]["threshold"] is None


def test_a_condition_the_tracker_cannot_check_is_said_instead_of_a_date(client, landmines):
    Treaty.objects.filter(pk=landmines.pk).update(
        rule_out_of_scope="Parties must account for 55% of global greenhouse gas emissions."
    )
    words = text_of(client.get("/treaties/landmines/").content.decode())
    assert "The tracker computes no date of entry into force for this treaty: Parties must account for 55%" in words
    assert "No rule of entry into force is recorded yet" not in words


def test_a_treaty_that_is_not_in_force_says_so(client, landmines):
    # As for the CTBT: no rule recorded, no date stated by the depositary.
    Treaty.objects.filter(pk=landmines.pk).update(
        threshold=None, entry_into_force_delay="", later_joiner_delay="", entry_into_force_stated_on=None
    )
    html = client.get("/treaties/landmines/").content.decode()
    assert stat(html, "entry_into_force_on") == "Not in force"
    assert "the depositary states no date of entry into force" in text_of(html)


def test_a_treaty_whose_threshold_is_not_reached_says_when_it_would_enter_into_force(client, make_treaty, pinned_today):
    make_treaty(slug="pending", threshold=40, entry_into_force_delay="6m,first-of-month")
    html = client.get("/treaties/pending/").content.decode()
    assert stat(html, "entry_into_force_on") == "the first day of the month, 6 months after the 40th instrument"


# Withdrawals -------------------------------------------------------------------------


def test_a_withdrawal_that_takes_effect_later_still_counts_until_then(client, landmines):
    today = client.get("/treaties/landmines/").content.decode()
    assert stat(today, "instruments_counted") == "2"  # Norway and Poland; Finland withdrew
    poland = table_row(today, "POL")
    assert 'data-status="in_force"' in poland
    assert "Ratification" in poland and "(withdrawal takes effect 2027-02-20)" in poland
    finland = table_row(today, "FIN")
    assert 'data-status="withdrawn"' in finland and "(withdrawn, effective 2026-01-10)" in finland
    later = client.get("/treaties/landmines/?as_of=2027-03-01").content.decode()
    assert "as_of" in later and stat(later, "instruments_counted") == "1"  # Poland no longer counted
    assert "(withdrawn, effective 2027-02-20)" in table_row(later, "POL")


def test_time_travel_before_a_withdrawal_was_notified_shows_none(client, landmines):
    html = client.get("/treaties/landmines/?as_of=2026-08-19").content.decode()
    assert "withdrawal" not in table_row(html, "POL")
    assert "(withdrawn, effective 2026-01-10)" in table_row(html, "FIN")


def test_the_status_filter_finds_the_withdrawn_participants(client, landmines):
    html = client.get("/treaties/landmines/?status=withdrawn").content.decode()
    table = html[html.index('<table id="participants">') :]
    assert re.findall(r'<tr data-iso3="([A-Z]*)"', table[: table.index("</table>")]) == ["FIN"]
    assert '<option value="withdrawn" selected>Withdrawn</option>' in html


def test_the_map_gives_withdrawn_participants_their_own_style_and_their_dates(client, landmines):
    html = client.get("/treaties/landmines/").content.decode()
    finland = re.search(r'<a href="[^"]*"><title>([^<]*)</title><path class="withdrawn" data-iso3="FIN"', html)
    assert finland and finland.group(1) == "Finland: withdrawn, effective 10 January 2026"
    poland = re.search(r'<a href="[^"]*"><title>([^<]*)</title><path class="in_force" data-iso3="POL"', html)
    assert poland and poland.group(1) == "Poland: in force for it; withdrawal takes effect 20 February 2027"
    assert "fill:url(#world-map-withdrawn)" in html and "Withdrawn</li>" in html
    assert "1 whose signature or instrument was withdrawn" in html


def test_the_downloads_give_the_withdrawals_with_their_dates(client, landmines):
    response = client.get("/treaties/landmines/participants.csv")
    rows = {row["participant"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert set(rows) == {"Finland", "Norway", "Poland"}
    finland, poland = rows["Finland"], rows["Poland"]
    assert (finland["status"], finland["standing"], finland["instrument"]) == ("not_signed", "withdrawn", "accession")
    assert (finland["withdrawal"], finland["withdrawal_effective_on"]) == ("withdrawn, effective 2026-01-10", "2026-01-10")
    assert (poland["standing"], poland["withdrawal"]) == ("in_force", "withdrawal takes effect 2027-02-20")
    assert poland["withdrawal_notified_on"] == "2026-08-20"
    assert rows["Norway"]["withdrawal"] == ""
    data = client.get("/treaties/landmines/participants.json", {"as_of": "2027-03-01"}).json()
    poland = next(row for row in data["participants"] if row["participant"] == "Poland")
    assert (poland["standing"], poland["withdrawal"]) == ("withdrawn", "withdrawn, effective 2027-02-20")


# The participant's page --------------------------------------------------------------


@pytest.fixture
def polish_record(landmines, states, page_source):
    poland = states["POL"]
    Statement.objects.create(
        treaty=landmines, participant=poland, section="Declarations", source=page_source, as_at=AS_AT,
        text="First paragraph <b>bold?</b>\n\nSecond paragraph.", dates=["2021-12-27"],
    )
    Statement.objects.create(
        treaty=landmines, participant=poland, section="Objections", source=page_source, as_at=AS_AT,
        text="A long objection. " * 60,
    )
    EndNote.objects.create(treaty=landmines, number="8", text="On 20 August 2026, Poland notified its withdrawal.",
                           source=page_source, as_at=AS_AT)
    EndNote.objects.create(treaty=landmines, number="9", text="A note about someone else.", source=page_source, as_at=AS_AT)
    DepositaryEntry.objects.create(
        treaty=landmines, participant=poland, source=page_source, as_at=AS_AT, footnotes=["8"],
        extra_columns=[{"column": "Declaration of provisional application", "text": "", "on": "1997-12-03", "marker": ""}],
    )
    return poland


def test_the_participant_page_shows_its_withdrawal_with_both_dates(client, polish_record):
    html = client.get("/participants/pol/").content.decode()
    words = text_of(html)
    assert "Withdrawal notified on 2026-08-20; takes effect on 2027-02-20 (counts until the day before)" in words
    after = text_of(client.get("/participants/pol/?as_of=2027-03-01").content.decode())
    assert "Withdrawal notified on 2026-08-20; took effect on 2027-02-20" in after
    before = client.get("/participants/pol/?as_of=2026-08-19").content.decode()
    assert "takes effect" not in text_of(before)


def test_the_participant_page_shows_its_statements_end_notes_and_extra_columns(client, polish_record):
    html = client.get("/participants/pol/").content.decode()
    words = text_of(html)
    assert "Declaration of provisional application: 3 Dec 1997" in words
    assert "Note 8. On 20 August 2026, Poland notified its withdrawal." in words
    assert "A note about someone else." not in words
    # Plain text from the depositary: escaped, its paragraphs kept.
    assert "<p>First paragraph &lt;b&gt;bold?&lt;/b&gt;</p>" in html and "<p>Second paragraph.</p>" in html
    assert "<b>bold?</b>" not in html
    objection = html[html.index('data-section="Objections"') :]
    assert objection.index("<details>") < objection.index("A long objection.")  # a long text folds


def test_the_participant_page_reads_the_depositary_rows_in_a_few_queries(client, polish_record, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        assert client.get("/participants/pol/").status_code == 200


# The last read of the depositary -----------------------------------------------------


def test_the_status_as_at_and_the_last_good_read_are_shown(client, landmines):
    sync(landmines, DepositarySync.Outcome.UNCHANGED, datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    words = text_of(client.get("/treaties/landmines/").content.decode())
    assert "Status as at 1 November 2026, 15:16 UTC (depositary), read on 21 November 2026, 06:00 UTC." in words
    assert "The last read of the depositary failed" not in words


def test_last_failed_sync_is_shown_with_its_date(client, landmines):
    sync(landmines, DepositarySync.Outcome.CHANGED, datetime(2026, 11, 20, 6, 0, tzinfo=UTC))
    error = 'Traceback (most recent call last):\n  File "x.py", line 1\nConnectionError: the server did not answer'
    sync(landmines, DepositarySync.Outcome.FETCH_FAILED, datetime(2026, 11, 21, 6, 0, tzinfo=UTC), error=error, as_at=None)
    html = client.get("/treaties/landmines/").content.decode()
    words = text_of(html)
    assert (
        "The last read of the depositary failed on 21 November 2026, 06:00 UTC: "
        "ConnectionError: the server did not answer"
    ) in words
    assert "Traceback" not in html and "x.py" not in html
    assert "read on 20 November 2026, 06:00 UTC" in words  # the last good read still stands


def test_a_successful_read_after_a_failure_clears_the_message(client, landmines):
    sync(landmines, DepositarySync.Outcome.FETCH_FAILED, datetime(2026, 11, 20, 6, 0, tzinfo=UTC), error="timeout")
    sync(landmines, DepositarySync.Outcome.NOT_MODIFIED, datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    assert last_failure(landmines) is None
    assert "failed" not in text_of(client.get("/treaties/landmines/").content.decode())


def test_the_sync_selectors_read_the_latest_rows(landmines):
    assert last_sync(landmines) is None and sync_state(landmines).success is None
    first = sync(landmines, DepositarySync.Outcome.CHANGED, datetime(2026, 11, 20, tzinfo=UTC))
    failed = sync(landmines, DepositarySync.Outcome.UNREADABLE, datetime(2026, 11, 21, tzinfo=UTC), error="x" * 500)
    state = sync_state(landmines)
    assert (state.success, state.failure, last_sync(landmines), last_failure(landmines)) == (first, failed, failed, failed)
    assert len(state.error) == 160 and state.error.endswith("…")


def test_a_failure_without_an_error_text_is_named_by_its_outcome(landmines):
    failed = sync(landmines, DepositarySync.Outcome.REJECTED, datetime(2026, 11, 21, tzinfo=UTC))
    assert public_error(failed) == "Rejected (bad rows)"


def test_the_treaty_page_with_depositary_rows_renders_in_a_constant_number_of_queries(
    client, polish_record, django_assert_max_num_queries
):
    sync(Treaty.objects.get(slug="landmines"), DepositarySync.Outcome.FETCH_FAILED, NOON, error="timeout")
    with django_assert_max_num_queries(17):
        assert client.get("/treaties/landmines/").status_code == 200


# The calendar and the feed -----------------------------------------------------------


def test_the_calendar_gives_the_stated_date_and_says_when_the_computed_one_differs(client, landmines):
    Treaty.objects.filter(pk=landmines.pk).update(entry_into_force_stated_on=date(2020, 10, 1))
    text = client.get("/treaties/landmines/calendar.ics").content.decode().replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20201001" in text
    assert "The depositary states that the Landmines Convention entered into force on 2020-10-01 under article 17(1)" in text
    assert "differs (2021-01-01)" in text


def test_the_feed_says_when_a_withdrawal_takes_effect(client, landmines):
    feed = client.get("/treaties/landmines/feed.atom").content.decode()
    assert "Withdrawal notified on 2026-08-20\\; takes effect on 2027-02-20" not in feed  # not iCalendar escaping
    assert "Withdrawal notified on 2026-08-20; takes effect on 2027-02-20" in feed
    assert "Withdrawal notified on 2025-07-10; took effect on 2026-01-10" in feed


# Wording -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, words",
    [
        ("90d", "the 90th day after"),
        ("30d", "the 30th day after"),
        ("1d", "the 1st day after"),
        ("0d", "the day of"),
        ("3m", "3 months after"),
        ("1m", "1 month after"),
        ("6m,first-of-month", "the first day of the month, 6 months after"),
        ("3m,first-of-next-month", "the first day of the month following 3 months after"),
    ],
)
def test_a_delay_spec_reads_in_words(spec, words):
    assert wording.delay_words(spec) == words


def test_a_rule_reads_in_words_and_no_rule_reads_as_nothing():
    assert wording.rule_words(40, "90d") == "the 90th day after the 40th instrument"
    assert wording.rule_words(None, "90d") == wording.rule_words(40, "") == ""


def test_a_withdrawal_reads_as_past_or_future_from_the_day_shown():
    assert wording.withdrawal_words(date(2026, 2, 20), date(2026, 3, 1)) == "withdrawn, effective 2026-02-20"
    assert wording.withdrawal_words(date(2026, 2, 20), date(2026, 2, 20)) == "withdrawn, effective 2026-02-20"
    assert wording.withdrawal_words(date(2026, 2, 20), date(2026, 2, 19)) == "withdrawal takes effect 2026-02-20"
    assert wording.withdrawal_words(None, date(2026, 2, 19)) == ""


def test_the_map_and_the_snapshot_agree_on_the_withdrawn_standing():
    from tracker import snapshots, worldmap

    assert snapshots.WITHDRAWN == worldmap.WITHDRAWN


def test_the_home_page_counts_a_treaty_without_a_rule(client, landmines):
    Treaty.objects.filter(pk=landmines.pk).update(threshold=None, entry_into_force_delay="", later_joiner_delay="")
    with time_machine.travel(NOON, tick=False):
        html = client.get("/").content.decode()
    row = html[html.index('data-treaty="landmines"') :]
    row = row[: row.index("</tr>")]
    # The depositary's date, said to be its own: the tracker has no rule to compute one.
    assert "1 Jan 2021" in text_of(row) and "stated by the depositary; no rule recorded" in text_of(row)
