"""The pages' words are right on every day: the last day to sign, the day after, before
adoption and before the opening, a day after today, and the sources' figures and names."""

import re
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.html import strip_tags

from tests.conftest import TODAY
from tracker import wording
from tracker.models import ReportedFigure, Source

NEW_YORK = ZoneInfo("America/New_York")
TREATY = "/treaties/hanoi-convention/"
# The Hanoi Convention's dates, as fixtures/treaties/hanoi-convention.json gives them.
ADOPTED, OPENS, CLOSES = date(2024, 12, 24), date(2025, 10, 25), date(2026, 12, 31)


def hanoi(**changes) -> SimpleNamespace:
    values = {
        "adopted_on": ADOPTED, "signature_opens_on": OPENS, "signature_closes_on": CLOSES,
        "time_zone": "America/New_York",
    } | changes  # fmt: skip
    return SimpleNamespace(**values)


def words(html: str) -> str:
    return " ".join(strip_tags(html).split())


def signature_line(html: str) -> str:
    match = re.search(r"<dt>Signature</dt><dd>(.*?)</dd>", html, re.S)
    assert match, "no Signature line in the headline"
    return words(match.group(1))


# -- the signature, in words -------------------------------------------------------------


def test_the_last_day_to_sign_says_so_and_counts_no_zero_days():
    text = words(wording.signature_html(hanoi(), CLOSES))
    assert text == "Last day to sign (open until the end of 31 December 2026, New York)"
    assert "0 days" not in text


def test_the_day_before_the_last_counts_one_day_in_the_singular():
    assert words(wording.signature_html(hanoi(), date(2026, 12, 30))).startswith("1 day left to sign")


def test_the_day_after_the_deadline_says_signature_closed_and_accession_remains_open():
    text = words(wording.signature_html(hanoi(), date(2027, 1, 1)))
    assert text == "Closed on 31 December 2026; accession remains open"


def test_before_adoption_there_is_no_countdown():
    text = words(wording.signature_html(hanoi(), date(2020, 1, 1)))
    assert text == "Not yet adopted: adopted on 24 December 2024; it opens for signature on 25 October 2025"
    assert "left" not in text and "days" not in text  # not "2,556 days left to sign"


def test_after_adoption_and_before_the_opening_there_is_no_countdown():
    text = words(wording.signature_html(hanoi(), date(2025, 6, 1)))
    assert (
        text
        == "Not yet open for signature: it opens on 25 October 2025 and closes on 31 December 2026, New York"
    )


def test_a_treaty_without_a_deadline_counts_nothing():
    assert (
        words(wording.signature_html(hanoi(signature_closes_on=None), TODAY))
        == "Open for signature, with no deadline"
    )


def test_the_deadline_is_named_with_the_place_of_the_treaty_s_time_zone():
    assert wording.place_of("America/New_York") == "New York"
    assert wording.place_of("Europe/Vienna") == "Vienna"
    assert words(wording.signature_html(hanoi(time_zone="Europe/Vienna"), CLOSES)).endswith("Vienna)")


@pytest.mark.parametrize(
    ("day", "state"),
    [
        (date(2024, 12, 23), wording.NOT_ADOPTED),
        (ADOPTED, wording.NOT_OPEN),
        (OPENS, wording.OPEN),
        (CLOSES, wording.LAST_DAY),
        (date(2027, 1, 1), wording.CLOSED),
    ],
)
def test_the_state_of_signature_changes_on_the_very_days_of_the_treaty(day, state):
    assert wording.signature_state(ADOPTED, OPENS, CLOSES, day) == state


# -- a day after today -------------------------------------------------------------------------


def test_a_future_day_is_labelled_a_projection_from_today_s_records():
    text = wording.projection_words(date(2027, 6, 30), TODAY)
    assert text.startswith("Projected from the records as of 22 November 2026: the state on 30 June 2027")


def test_today_and_past_days_carry_no_projection_caveat():
    assert wording.projection_words(TODAY, TODAY) == ""
    assert wording.projection_words(date(2025, 10, 25), TODAY) == ""


# -- the pages, on those days ------------------------------------------------------------------


def page_at(client, moment: datetime, query: str = "") -> str:
    with time_machine.travel(moment, tick=False):
        return client.get(TREATY + query).content.decode()


def test_the_treaty_page_on_the_last_day_says_last_day_to_sign(client, seeded):
    html = page_at(client, datetime(2026, 12, 31, 9, 0, tzinfo=NEW_YORK))
    assert signature_line(html).startswith("Last day to sign")
    assert 'data-stat="days_until_signature_closes"' not in html


def test_the_last_day_lasts_until_midnight_in_new_york_not_in_utc(client, seeded):
    # 22:30 in New York is already 1 January in UTC: the treaty's calendar decides.
    html = page_at(client, datetime(2026, 12, 31, 22, 30, tzinfo=NEW_YORK))
    assert signature_line(html).startswith("Last day to sign")


def test_the_treaty_page_the_day_after_the_deadline_says_signature_closed(client, seeded):
    html = page_at(client, datetime(2027, 1, 1, 9, 0, tzinfo=NEW_YORK))
    assert signature_line(html) == "Closed on 31 December 2026; accession remains open"


def test_the_treaty_page_before_adoption_shows_no_countdown(client, seeded):
    html = client.get(TREATY + "?as_of=2020-01-01").content.decode()
    assert signature_line(html).startswith("Not yet adopted")
    assert 'data-stat="days_until_signature_closes"' not in html
    assert "2,556" not in html and "2556" not in html


def test_the_home_page_before_the_opening_shows_no_countdown(client, seeded):
    html = client.get("/?as_of=2025-06-01").content.decode()
    assert signature_line(html).startswith("Not yet open for signature")
    assert 'data-stat="days_until_signature_closes"' not in html


def test_a_future_as_of_is_labelled_a_projection_on_the_treaty_and_home_pages(client, seeded):
    expected = wording.projection_words(date(2027, 6, 30), TODAY)
    for path in (TREATY, "/"):
        html = client.get(path + "?as_of=2027-06-30").content.decode()
        note = re.search(r'data-note="projection">([^<]*)<', html)
        assert note and note.group(1) == expected, path
        assert expected in words(html)  # and the chart says so too, in its description


def test_today_s_page_carries_no_projection_note(client, seeded):
    assert 'data-note="projection"' not in client.get(TREATY).content.decode()


def test_today_s_countdown_is_still_a_number(client, seeded):
    html = client.get(TREATY).content.decode()
    count = re.search(r'data-stat="days_until_signature_closes">(\d+)<', html)
    assert count and int(count.group(1)) == (CLOSES - TODAY).days


# -- sources and what they reported ------------------------------------------------------------


def test_a_reported_figure_reads_publisher_reported_value_figure_on_date():
    source = Source(url="https://news.un.org/en/story/1", publisher="UN News")
    figure = ReportedFigure(source=source, figure="signatories", value=72, reported_on=date(2025, 10, 26))
    assert wording.reported_figure_words(figure) == "UN News reported 72 signatories on 26 Oct 2025"


def test_a_qualified_figure_keeps_its_qualifier_and_exactly_goes_unsaid():
    source = Source(url="https://en.nhandan.vn/a", publisher="Nhan Dan Online (NDO)")
    nearly = ReportedFigure(
        source=source, figure="signatories", value=70, qualifier="nearly", reported_on=date(2025, 10, 27)
    )
    more = ReportedFigure(
        source=source, figure="delegations", value=110, qualifier="more_than", reported_on=date(2025, 10, 26)
    )
    assert (
        wording.reported_figure_words(nearly)
        == "Nhan Dan Online (NDO) reported nearly 70 signatories on 27 Oct 2025"
    )
    assert (
        wording.reported_figure_words(more)
        == "Nhan Dan Online (NDO) reported more than 110 delegations on 26 Oct 2025"
    )


def test_a_source_without_publisher_is_named_by_its_site():
    source = Source(url="https://www.trend.az/azerbaijan/politics/4151684.html")
    assert wording.source_name(source) == "trend.az"
    assert str(source) == "trend.az"


def test_a_source_is_shown_by_its_full_title_and_never_by_its_file_name():
    long_title = "Status of treaty XVIII-16: " + "United Nations Convention against Cybercrime; " * 8
    article = Source(
        seed_article="003_5b4bc4d1596cd23d.txt", publisher="Nhan Dan Online (NDO)", title=long_title
    )
    assert str(article) == f"{long_title} (Nhan Dan Online (NDO))"
    assert "…" not in str(article) and ".txt" not in str(article)
    untitled = Source(seed_article="001_86185b8279e6290b.txt", publisher="Vietnam Investment Review (VIR)")
    assert str(untitled) == "Vietnam Investment Review (VIR)"
    assert ".txt" not in str(Source(seed_article="005_0000000000000000.txt"))


def test_the_headline_and_the_facts_word_every_reported_figure_the_same_way(client, seeded):
    html = client.get(TREATY).content.decode()
    reported = [words(p) for p in re.findall(r'<p class="reported">(.*?)</p>', html, re.S)]
    assert "treaties.un.org reported 72 signatories on 27 Oct 2025; 68 are recorded here." in reported
    listed = [words(item) for item in re.findall(r"<li data-reported-on=[^>]*>(.*?)</li>", html, re.S)]
    assert len(listed) == seeded.reported_figures.count()
    for figure in seeded.reported_figures.select_related("source"):
        assert any(item.startswith(wording.reported_figure_words(figure)) for item in listed), figure
    assert all(" reported " in item for item in listed)


def test_no_page_names_a_source_by_a_file_name_or_cuts_a_title(client, seeded):
    for path in (TREATY, "/", "/participants/aze/", "/participants/fra/"):
        text = words(client.get(path).content.decode())
        assert ".txt" not in text and "seed article" not in text, path
    html = client.get(TREATY).content.decode()
    sources = re.findall(r'<ul class="(?:citations|reported-figures)">(.*?)</ul>', html, re.S)
    assert len(sources) == 2 and "…" not in words(" ".join(sources))
    assert seeded.title in words(html)


def test_a_long_imported_title_is_named_by_its_first_clause_never_cut():
    from tracker.sync.services import short_title

    title = (
        "United Nations Convention against Cybercrime; Strengthening International Cooperation for Combating "
        "Certain Crimes Committed by Means of Information and Communications Technology Systems and for the "
        "Sharing of Evidence in Electronic Form of Serious Crimes"
    )
    assert short_title(title) == "United Nations Convention against Cybercrime"
    assert short_title("Convention on Road Traffic") == "Convention on Road Traffic"
    assert short_title("word " * 60).endswith("…")  # no clause to name it by: cut, and said so
