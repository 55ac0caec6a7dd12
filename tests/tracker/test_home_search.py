"""The home page's list of treaties: found by name, reference or subject, filtered by status,
sorted by progress and by date, in a plain GET form, with strict parameters and the cache."""

import re
from datetime import date

import pytest

from signatories.models import Participant
from signatories.services import record_action
from tracker.rules import ActionKind


def listed(html: str) -> list[str]:
    """The slugs of the treaties' table rows, in order."""
    table = html[html.index('<table class="compact treaties') : html.index("</table>")]
    return re.findall(r'<tr data-treaty="([^"]+)"', table)


def ratify(treaty, names: list[str], day: date):
    """Made-up ratifications for the tests, by the participants ``names``."""
    for name in names:
        record_action(
            treaty=treaty,
            participant=Participant.objects.get(name=name),
            kind=ActionKind.RATIFICATION,
            date=day,
        )


@pytest.fixture
def treaties(seeded, make_treaty):
    """Beside the seeded Hanoi Convention (open for signature, 0 of 40): a treaty in force
    since spring (one instrument of one needed), one closed for signature with 2 of 4, and
    an old one with no deadline. All made up for the tests."""
    in_force = make_treaty(
        slug="in-force-treaty", short_title="Ocean Treaty", title="Agreement on the conservation of the high seas",
        depositary_reference="XXI-10", adopted_on=date(2023, 6, 19), threshold=1,
        signature_opens_on=date(2023, 9, 20),
        signature_closes_on=date(2025, 9, 20),
    )  # fmt: skip
    ratify(in_force, ["Austria"], date(2026, 1, 5))  # in force 90 days later, 5 April 2026
    halfway = make_treaty(
        slug="halfway-treaty", short_title="Halfway Protocol", title="Protocol on the prevention of marine pollution",
        depositary_reference="XXVII-4", adopted_on=date(2019, 3, 1), threshold=4,
        signature_opens_on=date(2019, 3, 1),
        signature_closes_on=date(2020, 3, 1),
    )  # fmt: skip
    ratify(halfway, ["Belgium", "Chile"], date(2026, 2, 1))
    old = make_treaty(
        slug="old-treaty", short_title="Old Convention", title="Convention on road traffic",
        depositary_reference="XI-B-19", adopted_on=date(1968, 11, 8), threshold=15,
        signature_opens_on=date(1968, 11, 8),
        signature_closes_on=None,
    )  # fmt: skip
    return {"hanoi": seeded, "in_force": in_force, "halfway": halfway, "old": old}


@pytest.mark.parametrize(
    "q, expected",
    [
        ("ocean", ["in-force-treaty"]),  # the short title, any case
        ("XXVII-4", ["halfway-treaty"]),  # the depositary's reference
        ("high seas", ["in-force-treaty"]),  # a subject, in the full title
        ("cybercrime", ["hanoi-convention"]),
        ("convention road", ["old-treaty"]),  # every word, anywhere
        ("whaling", []),
    ],
)
def test_the_list_finds_a_treaty_by_name_reference_or_subject(client, treaties, q, expected):
    html = client.get("/", {"q": q}).content.decode()
    if expected:
        assert listed(html) == expected
    else:
        assert "No treaty matches “whaling”" in html


@pytest.mark.parametrize(
    "status, expected",
    [
        ("open-for-signature", {"hanoi-convention"}),
        ("not-in-force", {"hanoi-convention", "halfway-treaty", "old-treaty"}),
        ("in-force", {"in-force-treaty"}),
    ],
)
def test_the_list_filters_by_status(client, treaties, status, expected):
    html = client.get("/", {"status": status}).content.decode()
    assert set(listed(html)) == expected
    assert f"Showing {len(expected)} of 4 treaties." in html


def test_the_open_treaty_with_no_deadline_is_not_called_open_for_signature_before_it_opens(
    client, treaties, make_treaty
):
    make_treaty(
        slug="future-treaty",
        short_title="Future Treaty",
        signature_opens_on=date(2027, 1, 1),
        signature_closes_on=date(2028, 1, 1),
    )
    assert "future-treaty" not in listed(client.get("/?status=open-for-signature").content.decode())


def test_the_list_sorts_by_progress_either_way(client, treaties):
    closest = listed(client.get("/?ordering=-progress").content.decode())
    # In force (all the way), then 2 of 4, then the two with no instrument, by name.
    assert closest == ["in-force-treaty", "halfway-treaty", "hanoi-convention", "old-treaty"]
    furthest = listed(client.get("/?ordering=progress").content.decode())
    assert furthest[-2:] == ["halfway-treaty", "in-force-treaty"]


def test_the_list_sorts_by_date_of_adoption_and_of_entry_into_force(client, treaties):
    adopted = [t.slug for t in sorted(treaties.values(), key=lambda t: t.adopted_on, reverse=True)]
    assert listed(client.get("/?ordering=-adopted").content.decode()) == adopted
    in_force_first = listed(client.get("/?ordering=-entry_into_force").content.decode())
    assert in_force_first[0] == "in-force-treaty"  # the only one with a date; the rest as listed
    default = listed(client.get("/").content.decode())
    assert in_force_first[1:] == [slug for slug in default if slug != "in-force-treaty"]


def test_search_filter_and_order_combine_and_the_form_keeps_them(client, treaties):
    html = client.get("/?q=protocol+treaty&status=not-in-force&ordering=-progress").content.decode()
    assert listed(html) == ["halfway-treaty"]
    form = html[html.index('<form id="treaty-filters"') :]
    form = form[: form.index("</form>")]
    assert 'method="get"' in form and 'value="protocol treaty"' in form
    assert '<option value="not-in-force" selected>' in form
    assert '<option value="-progress" selected>' in form


def test_a_search_shows_the_results_first_without_the_featured_headline(client, treaties):
    assert 'data-stat="remaining"' in client.get("/").content.decode()
    assert 'data-stat="remaining"' not in client.get("/?q=ocean").content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ("status=ratified", "“ratified” is not a status the list filters by"),
        ("ordering=popularity", "“popularity” is not an order the list knows"),
    ],
)
def test_an_unknown_status_or_order_is_a_clear_message_and_the_whole_list(client, treaties, query, message):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert set(listed(html)) == {t.slug for t in treaties.values()}
    assert "X-Page-Cache" not in response  # an unknown value is served, never stored


@pytest.mark.django_db(transaction=True)
def test_each_filter_and_order_is_its_own_cached_page(client, treaties):
    in_force = client.get("/?status=in-force")
    open_now = client.get("/?status=open-for-signature")
    assert (in_force["X-Page-Cache"], open_now["X-Page-Cache"]) == ("miss", "miss")
    assert listed(in_force.content.decode()) != listed(open_now.content.decode())
    again = client.get("/?status=IN-FORCE")  # the canonical form of the same page
    assert again["X-Page-Cache"] == "hit"
    assert listed(again.content.decode()) == ["in-force-treaty"]
    assert client.get("/?ordering=-progress")["X-Page-Cache"] == "miss"


def test_searching_filtering_and_sorting_cost_no_query_more(
    client, treaties, make_treaty, django_assert_max_num_queries
):
    for number in range(10):
        make_treaty(slug=f"extra-{number}", short_title=f"Extra Treaty {number}")
    with django_assert_max_num_queries(12) as plain:
        client.get("/")
    with django_assert_max_num_queries(len(plain.captured_queries)):
        html = client.get("/?q=extra&status=not-in-force&ordering=-adopted").content.decode()
    assert len(listed(html)) == 10


def test_before_it_opens_a_treaty_s_row_says_when_signature_opens_not_until_when_it_is_open(client, seeded):
    html = client.get("/?as_of=2025-06-01").content.decode()
    row = html[html.index('<tr data-treaty="hanoi-convention"') :]
    row = row[: row.index("</tr>")]
    assert 'opens <time class="date" datetime="2025-10-25">25 Oct 2025</time>' in row
    assert "open until" not in row


def test_a_treaty_imported_from_the_depositary_is_found_by_its_chapter_s_subject(client, seeded):
    from django.core.management import call_command

    from tests.tracker.sync.test_import_page import PAGES
    from tracker.models import Treaty

    call_command("import_untc", str(PAGES / "ottawa.html"), "--slug", "ottawa")
    call_command("import_untc", str(PAGES / "crpd.html"), "--slug", "crpd")
    assert Treaty.objects.get(slug="ottawa").subject == "DISARMAMENT"  # the page's chapter heading
    html = client.get("/?q=disarmament").content.decode()
    assert '<tr data-treaty="ottawa"' in html
    assert '<tr data-treaty="crpd"' not in html and '<tr data-treaty="hanoi-convention"' not in html
    html = client.get("/?q=human+rights").content.decode()
    assert '<tr data-treaty="crpd"' in html and '<tr data-treaty="ottawa"' not in html
