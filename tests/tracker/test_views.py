"""The public pages: numbers from the records, time travel, the table, caching, queries."""

import re

import pytest

from signatories.models import Participant
from signatories.services import record_action
from tests.helpers import clear_caches
from tracker.rules import ActionKind


def stat(html: str, key: str) -> str:
    match = re.search(rf'data-stat="{key}"[^>]*>([^<]*)<', html)
    assert match, f"no data-stat={key!r} on the page"
    return match.group(1).strip()


def rows(html: str) -> list[str]:
    """The ISO codes of the participants table's rows, in order."""
    table = html[html.index('<table id="participants">') :]
    table = table[: table.index("</table>")]
    return re.findall(r'<tr data-iso3="([A-Z]*)"', table)


def deposit(treaty, name: str, day: str, kind=ActionKind.RATIFICATION):
    """Record a made-up deposit for a test."""
    from datetime import date

    return record_action(
        treaty=treaty, participant=Participant.objects.get(name=name), kind=kind, date=date.fromisoformat(day)
    )


def test_home_page_shows_the_status_of_each_treaty(client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        html = client.get("/").content.decode()
    assert "Hanoi Convention" in html
    assert stat(html, "signatories") == "68"
    assert stat(html, "instruments_counted") == "0"
    assert stat(html, "threshold") == "40"
    assert stat(html, "remaining") == "40"
    assert stat(html, "days_until_signature_closes") == "39"
    assert stat(html, "entry_into_force_on") == "the 90th day after the 40th instrument"


def test_home_page_says_where_a_source_reported_a_different_figure(client, seeded):
    html = " ".join(client.get("/").content.decode().split())
    assert "treaties.un.org reported 72 signatories on 27 Oct 2025" in html  # named by its site
    assert "68 are recorded here" in html


@pytest.mark.django_db(transaction=True)  # the cache moves on when a write commits
def test_home_page_shows_a_new_deposit_at_once(client, seeded):
    assert stat(client.get("/").content.decode(), "instruments_counted") == "0"  # now cached
    deposit(seeded, "Azerbaijan", "2026-11-20")
    html = client.get("/").content.decode()
    assert stat(html, "instruments_counted") == "1"
    assert stat(html, "remaining") == "39"


def test_home_page_without_treaties_says_how_to_seed(client, db):
    assert "manage.py seed" in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_pages_are_served_from_the_cache_until_the_data_changes(client, seeded):
    assert client.get("/treaties/hanoi-convention/")["X-Page-Cache"] == "miss"
    assert client.get("/treaties/hanoi-convention/")["X-Page-Cache"] == "hit"
    deposit(seeded, "Austria", "2026-02-01")
    assert client.get("/treaties/hanoi-convention/")["X-Page-Cache"] == "miss"
    clear_caches()


def test_the_treaty_page_renders_in_a_constant_number_of_queries(client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        client.get("/treaties/hanoi-convention/?sort=deposit")
    for name in ("Austria", "Belgium", "Brazil", "Chile", "China", "Cuba", "Egypt", "France"):
        deposit(seeded, name, "2026-02-01")
    clear_caches()
    with django_assert_max_num_queries(14):
        html = client.get("/treaties/hanoi-convention/?sort=deposit").content.decode()
    assert stat(html, "instruments_counted") == "8"


def test_the_treaty_page_has_the_map_timeline_and_table(client, seeded):
    html = client.get("/treaties/hanoi-convention/").content.decode()
    assert 'class="world-map"' in html and 'data-iso3="FRA"' in html
    assert 'class="timeline-chart"' in html
    assert len(rows(html)) == 68
    assert "European Union" in html  # off the map, listed beside it


def test_as_of_shows_the_state_of_that_day(client, seeded):
    deposit(seeded, "Austria", "2026-02-01")
    before = client.get("/treaties/hanoi-convention/?as_of=2026-01-31").content.decode()
    after = client.get("/treaties/hanoi-convention/?as_of=2026-02-01").content.decode()
    assert (stat(before, "instruments_counted"), stat(after, "instruments_counted")) == ("0", "1")
    opening = client.get("/treaties/hanoi-convention/?as_of=2025-10-25").content.decode()
    signed_first_day = seeded.actions.filter(date="2025-10-25").count()
    assert stat(opening, "signatories") == str(signed_first_day)
    assert "You are looking at the state of" in opening


@pytest.mark.parametrize("path", ["/", "/treaties/hanoi-convention/", "/participants/aut/"])
def test_a_bad_as_of_date_is_a_friendly_message(client, seeded, path):
    response = client.get(path + "?as_of=2026-02-30")
    assert response.status_code == 200
    assert "is not a date we can read; showing today" in response.content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("group=eastern_european", {"AZE", "BLR", "CZE", "POL", "RUS", "SVK", "SVN"}),
        ("q=viet", {"VNM"}),
        ("q=czechia", {"CZE"}),
        ("status=deposited", {"AUT"}),
        ("group=weog&status=deposited", {"AUT"}),
        ("group=african&q=zim", {"ZWE"}),
    ],
)
def test_the_participants_table_filters_by_group_status_and_name(client, seeded, query, expected):
    deposit(seeded, "Austria", "2026-02-01")
    if query == "group=eastern_european":  # the seeded signatories of that group, from the records
        signed = seeded.actions.filter(participant__un_regional_group="eastern_european")
        assert set(signed.values_list("participant__iso_alpha3", flat=True)) == expected
    assert set(rows(client.get(f"/treaties/hanoi-convention/?{query}").content.decode())) == expected


def test_the_participants_table_sorts_by_any_column(client, seeded):
    deposit(seeded, "Chile", "2026-02-01")
    deposit(seeded, "Austria", "2026-03-01")
    by_deposit = rows(client.get("/treaties/hanoi-convention/?sort=deposit").content.decode())
    assert by_deposit[:2] == ["CHL", "AUT"]
    by_name_desc = rows(client.get("/treaties/hanoi-convention/?sort=name&order=desc").content.decode())
    assert by_name_desc[0] == "ZWE" and by_name_desc[-1] == "DZA"


def test_the_table_sorts_with_the_api_s_ordering_parameter_and_its_links_use_it(client, seeded):
    deposit(seeded, "Chile", "2026-02-01")
    deposit(seeded, "Austria", "2026-03-01")
    html = client.get("/treaties/hanoi-convention/?ordering=-deposit").content.decode()
    assert rows(html)[:2] == ["AUT", "CHL"]
    # The active column's link reverses the order; the others sort ascending; no old words.
    assert 'data-sort="deposit" href="?ordering=deposit"' in html
    assert 'data-sort="name" href="?ordering=name"' in html
    assert "order=" not in html.replace("ordering=", "")
    api = client.get("/api/v1/treaties/hanoi-convention/participants/?ordering=-deposit&page_size=2").json()
    assert [row["participant"]["iso3"] for row in api["results"]] == ["AUT", "CHL"]


def test_the_participant_page_shows_actions_steps_and_sources(client, seeded):
    html = client.get("/participants/aze/").content.decode()
    assert "<h1>Azerbaijan</h1>" in html
    assert "Signature" in html and "2025-10-25" in html
    assert "Legislature approved the ratification law" in html
    assert "https://www.trend.az/azerbaijan/politics/4151684.html" in html
    assert client.get("/participants/azerbaijan/").status_code == 200
    assert client.get("/participants/atlantis/").status_code == 404


def test_the_eu_page_lists_its_member_states(client, seeded):
    html = client.get("/participants/european-union/").content.decode()
    assert "Regional economic integration organization" in html
    assert "/participants/fra/" in html


def test_healthz_answers_without_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz/").content == b"ok"


def forty_deposits(treaty, last_on_or_before: bool) -> list:
    """Made up for the tests: 39 ratifications by signatories on 1 June 2026 and a 40th on
    15 June, exact or known only as "on or before" that day."""
    from datetime import date

    from tracker.models import DatePrecision

    signers = Participant.objects.filter(actions__treaty=treaty, kind="state").distinct().order_by("name")[:40]
    precision = DatePrecision.ON_OR_BEFORE if last_on_or_before else DatePrecision.EXACT
    return [
        record_action(
            treaty=treaty,
            participant=participant,
            kind=ActionKind.RATIFICATION,
            date=date(2026, 6, 15) if number == 39 else date(2026, 6, 1),
            date_precision=precision if number == 39 else DatePrecision.EXACT,
        )
        for number, participant in enumerate(signers)
    ]


# (case, whether the 40th instrument is dated "on or before", how the pages give the date)
DERIVED_DATE_CASES = [
    ("an exact threshold day gives an exact date", False, "2026-09-13"),
    ("an on-or-before threshold day gives an on-or-before date", True, "on or before 2026-09-13"),
]


@pytest.mark.parametrize(
    "on_or_before, in_the_table", [c[1:] for c in DERIVED_DATE_CASES], ids=[c[0] for c in DERIVED_DATE_CASES]
)
def test_a_date_of_entry_into_force_is_shown_on_or_before_when_it_derives_from_such_a_date(
    client, seeded, on_or_before, in_the_table
):
    deposits = forty_deposits(seeded, last_on_or_before=on_or_before)
    for path in ("/", "/treaties/hanoi-convention/"):
        html = client.get(path).content.decode()
        assert stat(html, "entry_into_force_on") == "13 September 2026"
        assert ('data-stat="entry_into_force_precision"' in html) is on_or_before
        if on_or_before:
            assert stat(html, "entry_into_force_precision") == "on or before"
    html = client.get("/treaties/hanoi-convention/").content.decode()
    first = html[html.index(f'<tr data-iso3="{deposits[0].participant.iso_alpha3}"') :]
    row = re.sub(r"</?time[^>]*>", "", first[: first.index("</tr>")])  # the date's markup aside
    assert f'<td data-label="In force for it">{in_the_table}</td>' in row


def test_remaining_is_zero_after_a_withdrawal_once_the_treaty_is_in_force(client, seeded):
    from datetime import date

    deposits = forty_deposits(seeded, last_on_or_before=False)
    first = deposits[0]
    first.withdrawn_on = date(2026, 10, 1)  # made up: a withdrawal after entry into force
    first.save()
    html = client.get("/").content.decode()
    assert (stat(html, "instruments_counted"), stat(html, "remaining"), stat(html, "parties")) == ("39", "0", "39")


def standing(html: str, treaty: str) -> tuple[str, str]:
    """The participant page's summary for ``treaty``: its standing, and its steps in words."""
    item = re.search(rf'<li data-treaty="{treaty}" data-standing="(\w+)">(.*?)</li>', html, re.S)
    assert item, f"no summary for {treaty}"
    words = re.sub(r"<[^>]+>", "", item.group(2))
    return item.group(1), " ".join(words.split())


def test_the_participant_page_opens_with_where_it_stands_under_each_treaty(client, seeded):
    signed_on = seeded.actions.get(participant__iso_alpha3="AZE", kind="signature").date
    html = client.get("/participants/aze/").content.decode()
    assert html.index('class="standings"') < html.index("<h3>With the depositary</h3>")
    status, words = standing(html, "hanoi-convention")
    assert status == "signed"
    assert words == f"Hanoi Convention Signed signed {signed_on.day} {signed_on:%b %Y}; no instrument deposited yet"


def test_the_participant_summary_names_the_instrument_once_deposited(client, seeded):
    deposit(seeded, "Azerbaijan", "2026-11-20")
    status, words = standing(client.get("/participants/aze/").content.decode(), "hanoi-convention")
    assert status == "deposited"
    assert words.endswith("ratification deposited 20 Nov 2026")
    before, _ = standing(client.get("/participants/aze/?as_of=2026-11-19").content.decode(), "hanoi-convention")
    assert before == "signed"


def test_the_participant_page_shows_sources_by_title_and_dates_that_do_not_wrap(client, seeded):
    html = client.get("/participants/aze/").content.decode()
    table = html[html.index('<table class="compact actions') : html.index("</table>")]
    url = "https://www.trend.az/azerbaijan/politics/4151684.html"
    assert f">{url}<" not in html  # the link, not the address, is what a reader sees
    assert re.search(rf'<a href="{re.escape(url)}" title="[^"]*">[^<]{{1,60}}</a>', html)
    assert '<time class="date" datetime="2025-10-25">' in table
    cells = re.findall(r"<td( [^>]*)?>", table)
    assert cells and all("data-label=" in (attributes or "") for attributes in cells)
