"""The REST API under /api/v1/ (issue 5), on the seeded (real) signatures.

The seed has 68 signatures and no deposit; the clock is pinned to 2026-11-22 in New York.
Every deposit below is made up for the tests (recorded with ``record_action`` or sent to
the API), not taken from a source.
"""

import csv
import io
import json
import re
import time
from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date, parse_http_date
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from signatories.models import Action, DepositaryEntry, DomesticStep, Participant, RegionalGroup
from signatories.services import record_action
from tests.helpers import ensure_roles
from tracker.models import Confidence, ReportedFigure, Source, Treaty
from tracker.services import save_valid

pytestmark = pytest.mark.django_db

API = "/api/v1/"
HANOI = f"{API}treaties/hanoi-convention/"
UNTC = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"
# The treaty's address: its UNTC status page (migration 0008); the rows still cite the XML above.
STATUS_PAGE = (
    "https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no=XVIII-16&chapter=18&clang=_en"
)
SIGNATURES = 68  # 67 of the 72 Hanoi signatories, and Canada (New York, on or before 2026-07-31)
PARTICIPANTS = 199  # with the former Yugoslavia
STATUS_TABLE = "participant,signature_date,action,action_date\n"
# How every record names a participant (tracker.api.serializers.participant_ref), from the seed.
AUSTRIA = {"key": "AUT", "iso3": "AUT", "slug": "austria", "name": "Austria", "kind": "state"}
CZECH_REPUBLIC = {
    "key": "CZE", "iso3": "CZE", "slug": "czech-republic", "name": "Czech Republic", "kind": "state",
}  # fmt: skip


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def token_for(django_user_model):
    """``token_for("editor")``: an APIClient authenticated with the token of a new user in
    that group ("editor", "viewer") or, with "superuser", of a new superuser."""

    ensure_roles()

    def make(role: str) -> APIClient:
        if role == "superuser":
            user = django_user_model.objects.create_superuser(username="root", password="not-used")
        else:
            user = django_user_model.objects.create_user(username=role, password="not-used")
            user.groups.add(Group.objects.get(name=role))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return make


def body(response) -> bytes:
    """The content, streamed or not; a stream is read once and kept."""
    if not response.streaming:
        return response.content
    if not hasattr(response, "read_stream"):
        response.read_stream = b"".join(response.streaming_content)
    return response.read_stream


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response).decode())))


def csv_header(response) -> list[str]:
    return next(csv.reader(io.StringIO(body(response).decode())))


def errors(response) -> dict[str, list[str]]:
    """The ``errors`` of an error body, checked to be in the one shape {"detail", "errors"}."""
    data = response.json()
    assert set(data) == {"detail", "errors"}, data
    assert isinstance(data["detail"], str) and data["detail"], data
    return data["errors"]


def untc_source() -> dict:
    """The seeded UNTC status table as every record cites it: a page of the depositary."""
    return {"id": Source.objects.get(url=UNTC).pk, "title": None, "url": UNTC, "kind": "depositary"}


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def everything(api, url: str, **query) -> list[dict]:
    """All rows of a list, in one page; a list value repeats the parameter (``type=[a, b]``)."""
    response = api.get(url, {"page_size": 500} | query)
    data = response.json()
    assert response.status_code == 200, data
    assert data["next"] is None
    return data["results"]


def command_status(*args: str) -> dict:
    out = io.StringIO()
    call_command("treaty_status", "hanoi-convention", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def deposit(name: str, day: date = date(2026, 6, 1), kind: str = "ratification", **fields) -> Action:
    """A made-up deposit by the participant named ``name`` under the Hanoi Convention."""
    treaty = Treaty.objects.get(slug="hanoi-convention")
    return record_action(
        treaty=treaty, participant=Participant.objects.get(name=name), kind=kind, date=day, **fields
    )


def signatory_states() -> list[Participant]:
    return list(
        Participant.objects.filter(actions__isnull=False, kind=Participant.Kind.STATE)
        .distinct()
        .order_by("name")
    )


def forty_ratifications(day: date = date(2026, 6, 1)) -> None:
    """Made up: the first 40 States that signed (by name) ratify on ``day``."""
    for state in signatory_states()[:40]:
        deposit(state.name, day)


# --- treaties ----------------------------------------------------------------------------


def test_the_treaty_list_gives_the_hanoi_convention_with_its_rule(seeded, api):
    [treaty] = results(api.get(f"{API}treaties/"))
    assert treaty["slug"] == "hanoi-convention"
    assert (
        treaty["threshold"],
        treaty["entry_into_force_delay"],
        treaty["later_joiner_delay"],
    ) == (40, "90d", "30d")
    assert treaty["reio_counts_as_additional"] is False


def test_a_treaty_gives_its_definition_dates_and_rule(seeded, api):
    response = api.get(HANOI)
    assert response.status_code == 200
    treaty = response.json()
    assert treaty["short_title"] == "Hanoi Convention"
    assert treaty["depositary_reference"] == "XVIII-16"
    assert treaty["depositary_url"] == STATUS_PAGE
    assert (treaty["adopted_on"], treaty["signature_opens_on"], treaty["signature_closes_on"]) == (
        "2024-12-24",
        "2025-10-25",
        "2026-12-31",
    )
    assert treaty["threshold"] == 40
    assert treaty["time_zone"] == "America/New_York"


@pytest.mark.parametrize("path", ["", "status/", "participants/"])
def test_an_unknown_treaty_is_a_404_in_json(seeded, api, path):
    response = api.get(f"{API}treaties/no-such-treaty/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# --- status --------------------------------------------------------------------------------


def test_the_status_is_exactly_the_json_of_the_treaty_status_command(seeded, api):
    response = api.get(f"{HANOI}status/")
    assert response.status_code == 200
    assert list(response.json()) == list(command_status())  # same keys, same order
    assert response.json() == command_status()
    assert response.json()["signatories"] == SIGNATURES
    assert response.json()["as_of"] == "2026-11-22"


@pytest.mark.parametrize("as_of", ["2025-10-24", "2025-10-25", "2026-01-15", "2026-11-22", "2027-06-01"])
def test_the_status_on_a_date_is_the_command_s_status_on_that_date(seeded, api, as_of):
    forty_ratifications()  # made up: entry into force on 2026-08-30
    response = api.get(f"{HANOI}status/", {"as_of": as_of})
    assert response.status_code == 200
    assert response.json() == command_status("--as-of", as_of)


def test_the_status_after_forty_made_up_ratifications_shows_entry_into_force(seeded, api):
    forty_ratifications(date(2026, 6, 1))
    status = api.get(f"{HANOI}status/").json()
    assert status["instruments_counted"] == 40
    assert (status["threshold_reached_on"], status["entry_into_force_on"]) == ("2026-06-01", "2026-08-30")
    assert status["in_force"] is True
    assert status == command_status()


@pytest.mark.parametrize("value", ["xx", "2026-13-01", "22/11/2026", "2026-02-30"])
def test_a_malformed_as_of_is_a_400_naming_as_of(seeded, api, value):
    for path in ("status/", "participants/"):
        response = api.get(f"{HANOI}{path}", {"as_of": value})
        assert response.status_code == 400
        assert list(errors(response)) == ["as_of"]


# --- a treaty's participants ------------------------------------------------------------


def test_the_treaty_participants_are_the_68_signatories_with_their_standing(seeded, api):
    rows = everything(api, f"{HANOI}participants/")
    assert len(rows) == SIGNATURES
    assert {row["status"] for row in rows} == {"signed"}
    austria = next(row for row in rows if row["participant"]["key"] == "AUT")
    assert austria | {"note": None} == {
        "participant": AUSTRIA,
        "un_regional_group": "weog",
        "un_regional_group_label": "Western European and other States",
        "status": "signed",
        "standing": "signed",
        "signature_type": "signature",
        "signature_date": "2025-10-25",
        "instrument": None,
        "instrument_date": None,
        "date_precision": "exact",
        "entry_into_force_for_it": None,
        "entry_into_force_for_it_precision": None,
        "withdrawal": None,
        "withdrawal_notified_on": None,
        "withdrawal_effective_on": None,
        "confidence": "depositary",
        "cn_reference": None,
        "sources": [untc_source()],
        "end_notes": [],  # the seed has no depositary entries (end notes, extra columns)
        "extra_columns": [],
        "note": None,
    }


def test_the_treaty_participants_as_of_a_date_are_those_that_had_signed_by_then(seeded, api):
    signed_first_day = Action.objects.filter(date="2025-10-25").count()
    assert len(everything(api, f"{HANOI}participants/", as_of="2025-10-25")) == signed_first_day
    assert 0 < signed_first_day < SIGNATURES
    assert everything(api, f"{HANOI}participants/", as_of="2025-10-24") == []


def test_a_made_up_deposit_shows_as_deposited_then_in_force_for_it(seeded, api):
    forty_ratifications(date(2026, 6, 1))  # made up; entry into force on 2026-08-30
    later = signatory_states()[40].name
    made_up = deposit(later, date(2026, 9, 1), cn_reference="C.N.1.2026.TREATIES-XVIII.16")  # made up
    rows = {r["participant"]["name"]: r for r in everything(api, f"{HANOI}participants/", as_of="2026-09-15")}
    assert rows[later]["status"] == "deposited"
    assert (rows[later]["instrument"], rows[later]["instrument_date"]) == ("ratification", "2026-09-01")
    assert rows[later]["entry_into_force_for_it"] == "2026-10-01"  # 30 days after, as a later joiner
    assert rows[later]["cn_reference"] == made_up.cn_reference
    rows = {r["participant"]["name"]: r for r in everything(api, f"{HANOI}participants/", as_of="2026-11-22")}
    assert rows[later]["status"] == "in_force"
    assert rows["Algeria"]["entry_into_force_for_it"] == "2026-08-30"
    assert rows["Algeria"]["status"] == "in_force"


def test_the_treaty_participants_are_paginated_by_page_size(seeded, api):
    first = api.get(f"{HANOI}participants/", {"page_size": 10}).json()
    assert first["count"] == SIGNATURES
    assert len(first["results"]) == 10
    last = api.get(f"{HANOI}participants/", {"page_size": 10, "page": 7}).json()
    assert len(last["results"]) == 8 and last["next"] is None
    names = [r["participant"]["key"] for r in [*first["results"], *last["results"]]]
    assert len(set(names)) == 18


def test_the_treaty_participants_as_csv_have_the_header_and_austria_s_row(seeded, api):
    response = api.get(f"{HANOI}participants/", {"format": "csv", "as_of": "2026-01-15"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="hanoi-convention-participants-2026-01-15.csv"'
    )
    assert csv_header(response) == [
        "participant.key", "participant.iso3", "participant.slug", "participant.name", "participant.kind",
        "un_regional_group", "un_regional_group_label", "status", "standing", "signature_type",
        "signature_date", "instrument", "instrument_date", "date_precision", "entry_into_force_for_it",
        "entry_into_force_for_it_precision", "withdrawal", "withdrawal_notified_on",
        "withdrawal_effective_on", "confidence", "cn_reference", "sources.id", "sources.title", "sources.url",
        "sources.kind", "end_notes", "extra_columns", "note",
    ]  # fmt: skip
    rows = {row["participant.name"]: row for row in csv_rows(response)}
    assert len(rows) == SIGNATURES - 1  # Canada signed later, in July 2026
    austria = rows["Austria"]
    assert (austria["participant.key"], austria["participant.iso3"], austria["participant.slug"]) == (
        "AUT",
        "AUT",
        "austria",
    )
    assert (austria["status"], austria["signature_date"], austria["instrument"]) == (
        "signed",
        "2025-10-25",
        "",
    )
    assert (austria["un_regional_group"], austria["un_regional_group_label"]) == (
        "weog",
        "Western European and other States",
    )
    untc = Source.objects.get(url=UNTC)
    assert tuple(austria[f"sources.{key}"] for key in ("id", "title", "url", "kind")) == (
        str(untc.pk),
        "",
        UNTC,
        "depositary",
    )



def varied_records() -> list[Participant]:
    """Made up, for the tests below: forty ratifications on 2026-06-01 (in force from
    2026-08-30); the first State's withdrawn with effect on 2026-10-01 (notified on
    2026-07-01); the 41st signatory's signature withdrawn on 2026-04-01; the 42nd's
    accession on or before 2026-07-31, citing a second source; depositary entries (end
    notes, a column) for the first three. Returns the signatory States by name."""
    forty_ratifications()
    states = signatory_states()
    withdrawn = Action.objects.get(participant=states[0], kind="ratification")
    withdrawn.withdrawn_on, withdrawn.withdrawal_notified_on = date(2026, 10, 1), date(2026, 7, 1)
    save_valid(withdrawn, "made up")
    unsigned = Action.objects.get(participant=states[40], kind="signature")
    unsigned.withdrawn_on = date(2026, 4, 1)
    save_valid(unsigned, "made up")
    second = Source.objects.create(url="https://example.org/made-up", title="Made up")
    deposit(states[41].name, date(2026, 7, 31), kind="accession", date_precision="on_or_before", sources=[second])
    page = Source.objects.get(url=UNTC)
    for number, state in enumerate(states[:3]):
        DepositaryEntry.objects.create(
            treaty=Treaty.objects.get(slug="hanoi-convention"), participant=state, source=page,
            as_at="2026-11-01T00:00:00Z", footnotes=[number + 1, 9],
            extra_columns=[{"column": "Made-up column", "text": "yes", "on": "2026-06-02", "marker": "a"}],
        )  # fmt: skip
    return states


# The fields the API's rows and the participants download share, under the same name.
SHARED_FIELDS = (
    "status", "standing", "signature_type", "signature_date", "instrument", "instrument_date", "date_precision",
    "entry_into_force_for_it", "entry_into_force_for_it_precision", "confidence", "cn_reference", "note",
    "withdrawal", "withdrawal_notified_on", "withdrawal_effective_on",
)  # fmt: skip


@pytest.mark.parametrize("as_of", ["2026-03-01", "2026-06-15", "2026-09-15", "2026-11-22"])
def test_the_treaty_participants_agree_with_the_participants_download_field_by_field(seeded, api, client, as_of):
    varied_records()
    rows = {row["participant"]["name"]: row for row in everything(api, f"{HANOI}participants/", as_of=as_of)}
    table = client.get("/treaties/hanoi-convention/participants.json", {"as_of": as_of}).json()["participants"]
    assert set(rows) == {record["participant"] for record in table}
    for record in table:
        row = rows[record["participant"]]
        assert {key: row[key] for key in SHARED_FIELDS} == {key: record[key] for key in SHARED_FIELDS}
        assert (row["participant"]["iso3"], row["un_regional_group_label"]) == (record["iso3"], record["un_regional_group"])
        assert [source["url"] for source in row["sources"]] == record["sources"]


def test_a_withdrawn_ratification_and_a_withdrawn_signature_show_in_the_treaty_participants(seeded, api):
    states = varied_records()
    first, unsigned = states[0].name, states[40].name
    before = {r["participant"]["name"]: r for r in everything(api, f"{HANOI}participants/", as_of="2026-09-15")}
    assert (before[first]["status"], before[first]["standing"]) == ("in_force", "in_force")
    assert before[first]["withdrawal"] == "withdrawal takes effect 2026-10-01"
    assert before[first]["withdrawal_notified_on"] == "2026-07-01"
    after = {r["participant"]["name"]: r for r in everything(api, f"{HANOI}participants/")}
    assert (after[first]["status"], after[first]["standing"]) == ("signed", "withdrawn")
    assert after[first]["withdrawal"] == "withdrawn, effective 2026-10-01"
    # No signature in effect any more: the one withdrawn is the row's withdrawal.
    assert (after[unsigned]["standing"], after[unsigned]["signature_date"]) == ("withdrawn", None)
    assert after[unsigned]["withdrawal"] == "withdrawn, effective 2026-04-01"
    [withdrawn] = everything(api, f"{HANOI}participants/", status="withdrawn", q=unsigned)
    assert withdrawn["participant"]["name"] == unsigned


def test_the_treaty_participants_give_the_depositary_s_end_notes_and_columns(seeded, api):
    states = varied_records()
    rows = {r["participant"]["name"]: r for r in everything(api, f"{HANOI}participants/")}
    assert rows[states[1].name]["end_notes"] == ["2", "9"]
    assert rows[states[1].name]["extra_columns"] == [
        {"column": "Made-up column", "text": "yes", "on": "2026-06-02", "marker": "a"}
    ]
    assert (rows[states[3].name]["end_notes"], rows[states[3].name]["extra_columns"]) == ([], [])
    [accession] = [row for row in rows.values() if row["instrument"] == "accession"]
    assert (accession["participant"]["name"], accession["date_precision"]) == (states[41].name, "on_or_before")
    # Its signature's sources, then its accession's, each in Source's order, each once.
    cited = []
    for kind in ("signature", "accession"):
        action = Action.objects.get(participant=states[41], treaty=seeded, kind=kind)
        cited += [source.pk for source in action.sources.all() if source.pk not in cited]
    assert [source["id"] for source in accession["sources"]] == cited
    assert "Made up" in [source["title"] for source in accession["sources"]]


def queries_of_table(client, query: dict) -> int:
    """The queries of the Hanoi Convention's participants computed afresh, the body read."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{HANOI}participants/", query, **FRESH)
        assert response.status_code == 200
        body(response)
    return len(queries)


# The treaty, then its actions with their participants, depositary entries and sources.
TABLE_QUERIES = 2


@pytest.mark.parametrize(
    "query, most",
    [
        ({"page_size": 500}, TABLE_QUERIES),
        ({"q": "a"}, TABLE_QUERIES + 1),  # the aliases, read for a search
        ({"status": "not_signed"}, TABLE_QUERIES + 1),  # every participant, those without a record too
        ({"group": "weog", "ordering": "-deposit", "as_of": "2026-09-15"}, TABLE_QUERIES),
        ({"format": "csv"}, TABLE_QUERIES),
    ],
)
def test_the_treaty_participants_take_a_few_queries_whatever_their_number_and_records(
    seeded, api, django_assert_max_num_queries, query, most
):
    api.get(f"{HANOI}participants/")  # the data version, read from the database once
    few = queries_of_table(api, query)
    varied_records()  # 40 more actions, their sources, withdrawals, depositary entries
    api.get(f"{HANOI}participants/")
    with django_assert_max_num_queries(most):
        assert queries_of_table(api, query) == few


def test_the_treaty_participants_with_a_token_take_one_query_more_for_the_token(seeded, api, token_for):
    viewer = token_for("viewer")
    api.get(f"{HANOI}participants/")  # the data version, read once
    anonymous = queries_of_table(api, {"page_size": 500})
    varied_records()
    api.get(f"{HANOI}participants/")
    assert queries_of_table(viewer, {"page_size": 500}) == anonymous + 1

# --- participants -------------------------------------------------------------------------


def test_the_participant_list_gives_everyone_with_codes_groups_and_aliases(seeded, api):
    rows = everything(api, f"{API}participants/")
    assert len(rows) == PARTICIPANTS
    assert [row["name"] for row in rows] == sorted(row["name"] for row in rows)  # by name by default
    czech = next(row for row in rows if row["iso3"] == "CZE")
    assert (czech["key"], czech["slug"], czech["name"], czech["kind"]) == (
        "CZE",
        "czech-republic",
        "Czech Republic",
        "state",
    )
    assert czech["aliases"] == ["Czechia"]
    # Without an ISO code (the European Union), the key is the slug.
    eu = next(row for row in rows if row["slug"] == "european-union")
    assert (eu["key"], eu["iso3"], eu["kind"]) == ("european-union", None, "reio")


@pytest.mark.parametrize("q", ["czech", "Czechia", "cze", "CZE"])
def test_the_participant_search_finds_a_name_an_alias_or_an_iso_code(seeded, api, q):
    names = [row["name"] for row in everything(api, f"{API}participants/", q=q)]
    assert names == ["Czech Republic"]


def test_the_participant_list_filters_by_group_and_kind(seeded, api):
    eastern = everything(api, f"{API}participants/", group="eastern_european")
    assert (
        len(eastern) == Participant.objects.filter(un_regional_group=RegionalGroup.EASTERN_EUROPEAN).count()
    )
    assert {row["un_regional_group"] for row in eastern} == {"eastern_european"}
    # region: the deprecated alias of group, the same rows.
    assert everything(api, f"{API}participants/", region="eastern_european") == eastern
    two = everything(api, f"{API}participants/", group=["african", "grulac"])
    assert len(two) == Participant.objects.filter(un_regional_group__in=["african", "grulac"]).count()
    assert [row["name"] for row in everything(api, f"{API}participants/", kind="reio")] == ["European Union"]


def test_the_participant_list_orders_by_any_declared_field(seeded, api):
    assert results(api.get(f"{API}participants/", {"ordering": "-name"}))[0]["name"] == "Zimbabwe"
    codes = [row["iso3"] for row in everything(api, f"{API}participants/", ordering="iso3", kind="state")]
    # A State without a code (the former Yugoslavia) comes last, as PostgreSQL orders nulls.
    assert codes[-1] is None and None not in codes[:-1]
    assert codes[:-1] == sorted(codes[:-1])


@pytest.mark.parametrize(
    "query",
    [
        {"group": "atlantis"},
        {"region": "atlantis"},
        {"kind": "planet"},
        {"group": ["weog", "moon"]},
        {"ordering": "iso_alpha3"},  # the old name of iso3
    ],
)
def test_a_malformed_participant_filter_is_a_400_naming_it(seeded, api, query):
    response = api.get(f"{API}participants/", query)
    assert response.status_code == 400
    assert list(errors(response)) == list(query)


@pytest.mark.parametrize("key", ["cze", "CZE", "czech-republic"])
def test_a_participant_is_found_by_iso3_code_or_slug_with_aliases_and_memberships(seeded, api, key):
    response = api.get(f"{API}participants/{key}/")
    assert response.status_code == 200
    czech = response.json()
    assert tuple(czech[key] for key in ("key", "name", "slug", "iso_alpha2", "iso3", "iso_numeric")) == (
        "CZE",
        "Czech Republic",
        "czech-republic",
        "CZ",
        "CZE",
        "203",
    )
    assert czech["un_regional_group"] == "eastern_european"
    assert czech["un_regional_group_label"] == "Eastern European States"
    assert czech["aliases"] == ["Czechia"]
    assert czech["memberships"] == [
        {"organization": "european-union", "joined_on": "2004-05-01", "left_on": None}
    ]


def test_an_unknown_participant_is_a_404_in_json(seeded, api):
    for key in ("xyz", "atlantis"):
        response = api.get(f"{API}participants/{key}/")
        assert response.status_code == 404
        assert "detail" in response.json()


def test_the_participant_list_as_csv_streams_every_participant(seeded, api):
    response = api.get(f"{API}participants/", {"format": "csv", "group": "eastern_european"})
    assert isinstance(response, StreamingHttpResponse)
    assert csv_header(response)[:5] == ["key", "iso3", "slug", "name", "kind"]
    rows = csv_rows(response)
    assert len(rows) == Participant.objects.filter(un_regional_group="eastern_european").count()
    czech = next(row for row in rows if row["iso3"] == "CZE")
    assert (czech["key"], czech["slug"], czech["aliases"]) == ("CZE", "czech-republic", "Czechia")


# --- actions --------------------------------------------------------------------------------


def action_count(**filters) -> int:
    return Action.objects.filter(**filters).count()


def test_the_actions_are_the_68_seeded_signatures(seeded, api):
    response = api.get(f"{API}actions/")
    assert response.json()["count"] == SIGNATURES
    first = response.json()["results"][0]
    assert set(first) >= {"id", "treaty", "participant", "kind", "date", "confidence", "sources"}
    assert first["treaty"] == "hanoi-convention"
    assert set(first["participant"]) == {"key", "iso3", "slug", "name", "kind"}
    assert first["sources"]
    assert all(set(source) == {"id", "title", "url", "kind"} for source in first["sources"])


def test_the_actions_filter_by_treaty(seeded, api, make_treaty):
    make_treaty(slug="other-treaty")
    assert len(everything(api, f"{API}actions/", treaty="hanoi-convention")) == SIGNATURES
    assert everything(api, f"{API}actions/", treaty="other-treaty") == []


@pytest.mark.parametrize("key", ["cze", "CZE", "czech-republic"])
def test_the_actions_filter_by_participant_iso3_or_slug(seeded, api, key):
    [signature] = everything(api, f"{API}actions/", participant=key)
    assert (signature["participant"], signature["kind"], signature["date"]) == (
        CZECH_REPUBLIC,
        "signature",
        "2025-10-25",
    )


def test_the_actions_filter_by_one_or_several_types(seeded, api):
    deposit("Austria", date(2026, 6, 1))  # made up
    deposit("Algeria", date(2026, 7, 1), kind="acceptance")  # made up
    assert [a["participant"] for a in everything(api, f"{API}actions/", type="ratification")] == [AUSTRIA]
    assert len(everything(api, f"{API}actions/", type=["ratification", "acceptance"])) == 2
    assert len(everything(api, f"{API}actions/", type="signature")) == SIGNATURES


def test_the_actions_filter_by_dates_inclusive(seeded, api):
    after = everything(api, f"{API}actions/", date_after="2025-10-26")
    assert len(after) == action_count(date__gte="2025-10-26") > 0
    assert min(a["date"] for a in after) == "2025-10-26"
    before = everything(api, f"{API}actions/", date_before="2025-10-25")
    assert len(before) == action_count(date__lte="2025-10-25") > 0
    assert len(after) + len(before) == SIGNATURES
    assert everything(api, f"{API}actions/", date_after="2025-10-26", date_before="2025-10-25") == []


def test_the_actions_filter_by_confidence(seeded, api):
    press = everything(api, f"{API}actions/", confidence="press")
    assert len(press) == action_count(confidence=Confidence.PRESS) > 0
    assert {a["confidence"] for a in press} == {"press"}
    both = everything(api, f"{API}actions/", confidence=["press", "official"])
    assert len(both) == action_count(confidence__in=["press", "official"])


def test_the_actions_filter_by_regional_group(seeded, api):
    eastern = everything(api, f"{API}actions/", group="eastern_european")
    assert len(eastern) == action_count(participant__un_regional_group="eastern_european") > 0
    assert "CZE" in {a["participant"]["key"] for a in eastern}
    assert "AUT" not in {a["participant"]["key"] for a in eastern}
    # region: the deprecated alias of group, the same rows.
    assert everything(api, f"{API}actions/", region="eastern_european") == eastern


@pytest.mark.parametrize(
    "query",
    [
        {"date_after": "xx"},
        {"date_before": "2026-02-30"},
        {"type": "nonsense"},
        {"confidence": "rumour"},
        {"group": "atlantis"},
        {"region": "atlantis"},
        {"id": "one"},
        {"as_of": "2026-02-30"},
        {"withdrawn": "perhaps"},
    ],
)
def test_a_malformed_action_filter_is_a_400_naming_it_not_a_500(seeded, api, query):
    response = api.get(f"{API}actions/", query)
    assert response.status_code == 400
    assert list(errors(response)) == list(query)
    assert api.get(f"{API}actions/", query | {"format": "csv"}).status_code == 400


def test_the_actions_order_by_date_descending(seeded, api):
    deposit("Austria", date(2026, 9, 1))  # made up: the latest action (after Canada's of 2026-07-31)
    rows = everything(api, f"{API}actions/", ordering="-date")
    dates = [a["date"] for a in rows]
    assert dates == sorted(dates, reverse=True)
    assert (rows[0]["participant"], rows[0]["kind"]) == (AUSTRIA, "ratification")
    by_name = [
        a["participant"]["slug"] for a in everything(api, f"{API}actions/", ordering="participant__name")
    ]
    assert by_name[0] == "algeria"


def test_an_unknown_ordering_field_is_a_400_naming_it(seeded, api):
    response = api.get(f"{API}actions/", {"ordering": "password"})
    assert response.status_code == 400
    assert list(errors(response)) == ["ordering"]
    assert "'password'" in errors(response)["ordering"][0]


def test_the_actions_are_paginated(seeded, api):
    page = api.get(f"{API}actions/", {"page_size": 20, "page": 2}).json()
    assert page["count"] == SIGNATURES
    assert len(page["results"]) == 20
    assert "page=3" in page["next"] and page["previous"]
    assert len(api.get(f"{API}actions/", {"page_size": 20, "page": 4}).json()["results"]) == 8
    assert api.get(f"{API}actions/", {"page_size": 20, "page": 5}).status_code == 404
    default = api.get(f"{API}actions/").json()
    assert len(default["results"]) == 50


def test_the_actions_as_csv_are_streamed_with_a_header_and_every_filtered_row(seeded, api):
    response = api.get(f"{API}actions/", {"format": "csv"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_header(response) == [
        "id", "treaty", "participant.key", "participant.iso3", "participant.slug", "participant.name",
        "participant.kind", "kind", "date", "date_precision", "place", "cn_reference", "withdrawn_on",
        "confidence", "sources.id", "sources.title", "sources.url", "sources.kind", "note", "created_at",
        "updated_at", "withdrawal_notified_on", "withdrawal_kind",
    ]  # fmt: skip
    assert len(csv_rows(response)) == SIGNATURES  # unpaginated
    [czech] = csv_rows(api.get(f"{API}actions/", {"format": "csv", "participant": "cze"}))
    assert (czech["participant.key"], czech["participant.slug"], czech["participant.name"]) == (
        "CZE",
        "czech-republic",
        "Czech Republic",
    )
    assert (czech["kind"], czech["date"]) == ("signature", "2025-10-25")
    untc = Source.objects.get(url=UNTC)
    assert (czech["sources.id"], czech["sources.url"], czech["sources.kind"]) == (
        str(untc.pk),
        UNTC,
        "depositary",
    )


def test_the_sources_of_an_action_in_csv_are_joined_with_a_bar_in_the_same_order_in_every_column(seeded, api):
    [azerbaijan] = csv_rows(api.get(f"{API}actions/", {"format": "csv", "participant": "AZE"}))
    cited = Action.objects.get(participant__iso_alpha3="AZE").sources.all()
    assert len(cited) == 4  # the UNTC table and three press reports, in the seed
    ids, urls = azerbaijan["sources.id"].split(" | "), azerbaijan["sources.url"].split(" | ")
    assert sorted(ids) == sorted(str(source.pk) for source in cited)
    assert dict(zip(ids, urls)) == {str(source.pk): source.url for source in cited}
    assert sorted(azerbaijan["sources.kind"].split(" | ")) == ["depositary", "web", "web", "web"]


# --- domestic steps, sources, reported figures --------------------------------------------------


def test_the_domestic_steps_filter_by_participant_dates_and_confidence(seeded, api):
    assert len(everything(api, f"{API}domestic-steps/")) == DomesticStep.objects.count() == 5
    azerbaijan = everything(api, f"{API}domestic-steps/", participant="aze")
    assert [s["date"] for s in azerbaijan] == ["2026-02-10", "2026-02-23"]
    later = everything(api, f"{API}domestic-steps/", date_after="2026-02-01", ordering="participant__name")
    assert [s["participant"]["slug"] for s in later] == ["azerbaijan", "azerbaijan"]
    assert everything(api, f"{API}domestic-steps/", date_after="2026-05-01") == []
    # Inclusive: Azerbaijan's of 2026-02-10, Russia's, the Maldives' and the EU's.
    assert len(everything(api, f"{API}domestic-steps/", date_before="2026-02-10")) == 4
    assert len(everything(api, f"{API}domestic-steps/", confidence="press", treaty="hanoi-convention")) == 4
    [maldives] = everything(api, f"{API}domestic-steps/", group="asia_pacific")
    assert maldives["participant"]["key"] == "MDV"
    # region: the deprecated alias of group, the same rows.
    assert everything(api, f"{API}domestic-steps/", region="asia_pacific") == [maldives]
    assert api.get(f"{API}domestic-steps/", {"date_after": "soon"}).status_code == 400


def test_the_domestic_steps_as_csv(seeded, api):
    response = api.get(f"{API}domestic-steps/", {"format": "csv", "participant": "azerbaijan"})
    assert isinstance(response, StreamingHttpResponse)
    assert csv_header(response)[:9] == [
        "id", "treaty", "participant.key", "participant.iso3", "participant.slug", "participant.name",
        "participant.kind", "date", "date_precision",
    ]  # fmt: skip
    assert [row["step"] for row in csv_rows(response)] == [
        "Legislature approved the ratification law",
        "Head of state signed the ratification law",
    ]


def test_the_sources_filter_search_and_order(seeded, api):
    assert len(everything(api, f"{API}sources/")) == Source.objects.count()
    [untc] = everything(api, f"{API}sources/", q="XVIII-16.en.xml")
    assert untc["url"] == UNTC
    [article] = everything(api, f"{API}sources/", seed_article="000_2bf9440d95628bcf.txt")
    assert article["publisher"] == "Vietnam News Agency (VNA)"
    ids = [s["id"] for s in everything(api, f"{API}sources/", ordering="-id")]
    assert ids == sorted(ids, reverse=True)


def test_the_sources_as_csv(seeded, api):
    response = api.get(f"{API}sources/", {"format": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert csv_header(response) == ["id", "title", "url", "kind", "seed_article", "publisher", "published_on"]
    assert len(csv_rows(response)) == Source.objects.count()


def test_the_reported_figures_filter_by_figure_and_dates(seeded, api):
    assert (
        len(everything(api, f"{API}reported-figures/", treaty="hanoi-convention"))
        == ReportedFigure.objects.count()
    )
    signatories = everything(api, f"{API}reported-figures/", figure="signatories", ordering="reported_on")
    assert [(f["reported_on"], f["value"]) for f in signatories][-1] == ("2026-02-10", 74)
    assert len(signatories) == ReportedFigure.objects.filter(figure="signatories").count()
    late = everything(api, f"{API}reported-figures/", reported_after="2026-01-01")
    assert [f["value"] for f in late] == [74]
    assert len(everything(api, f"{API}reported-figures/", reported_before="2025-10-06")) == 1
    assert api.get(f"{API}reported-figures/", {"reported_after": "xx"}).status_code == 400
    assert api.get(f"{API}reported-figures/", {"qualifier": "roughly"}).status_code == 400


def test_the_reported_figures_as_csv(seeded, api):
    response = api.get(f"{API}reported-figures/", {"format": "csv", "figure": "signatories"})
    assert isinstance(response, StreamingHttpResponse)
    assert csv_header(response) == [
        "id",
        "treaty",
        "reported_on",
        "figure",
        "value",
        "qualifier",
        "source.id",
        "source.title",
        "source.url",
        "source.kind",
        "note",
    ]
    assert {row["value"] for row in csv_rows(response)} >= {"65", "69", "72", "74"}


# --- ETag, Last-Modified, 304 ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["treaties/", "treaties/hanoi-convention/status/", "participants/cze/", "actions/"]
)
def test_every_read_has_an_etag_and_a_last_modified(seeded, api, path):
    response = api.get(API + path)
    assert response.status_code == 200
    assert re.fullmatch(r'"[0-9a-f]+"', response["ETag"])
    assert parse_http_date(response["Last-Modified"])


def test_a_request_with_the_etag_is_answered_304_without_a_body(seeded, api):
    etag = api.get(f"{HANOI}status/")["ETag"]
    response = api.get(f"{HANOI}status/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert api.get(f"{HANOI}status/", HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_etag_differs_by_query_and_format(seeded, api):
    etags = {
        api.get(f"{HANOI}status/")["ETag"],
        api.get(f"{HANOI}status/", {"as_of": "2026-01-01"})["ETag"],
        api.get(f"{API}actions/")["ETag"],
        api.get(f"{API}actions/", {"format": "csv"})["ETag"],
    }
    assert len(etags) == 4
    as_of_etag = api.get(f"{HANOI}status/", {"as_of": "2026-01-01"})["ETag"]
    assert api.get(f"{HANOI}status/", HTTP_IF_NONE_MATCH=as_of_etag).status_code == 200


def test_a_304_needs_no_database_query(seeded, api, django_assert_num_queries):
    etag = api.get(f"{API}actions/")["ETag"]
    with django_assert_num_queries(0):
        assert api.get(f"{API}actions/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_if_modified_since_the_last_modification_is_a_304(seeded, api):
    last_modified = api.get(f"{API}actions/")["Last-Modified"]
    assert api.get(f"{API}actions/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    earlier = http_date(parse_http_date(last_modified) - 24 * 60 * 60)
    response = api.get(f"{API}actions/", HTTP_IF_MODIFIED_SINCE=earlier)
    assert response.status_code == 200
    assert response.json()["count"] == SIGNATURES


def test_a_write_is_not_a_conditional_read(seeded, api, token_for):
    editor = token_for("editor")
    etag = api.get(f"{API}actions/")["ETag"]
    response = editor.post(
        f"{API}actions/",
        {"treaty": "hanoi-convention", "participant": "AUT", "kind": "ratification", "date": "2026-06-01"},
        format="json",
        HTTP_IF_NONE_MATCH=etag,
    )
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)  # the data version moves when a write commits
def test_after_a_write_commits_the_old_etag_gives_the_new_data(seeded, api):
    etag = api.get(f"{HANOI}status/")["ETag"]
    assert api.get(f"{HANOI}status/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    deposit("Austria", date(2026, 6, 1))  # made up
    response = api.get(f"{HANOI}status/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["instruments_deposited"] == 1
    assert response["ETag"] != etag
    assert api.get(f"{HANOI}status/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.django_db(transaction=True)
def test_after_a_source_or_domestic_step_changes_the_old_etag_gives_the_new_data(seeded, api):
    sources_etag = api.get(f"{API}sources/")["ETag"]
    steps_etag = api.get(f"{API}domestic-steps/")["ETag"]
    figures_etag = api.get(f"{API}reported-figures/")["ETag"]
    save_valid(Source.objects.filter(url=UNTC).get(), "test")  # through the service, as the admin saves it
    assert api.get(f"{API}sources/", HTTP_IF_NONE_MATCH=sources_etag).status_code == 200
    save_valid(DomesticStep.objects.first(), "test")
    assert api.get(f"{API}domestic-steps/", HTTP_IF_NONE_MATCH=steps_etag).status_code == 200
    save_valid(ReportedFigure.objects.first(), "test")
    assert api.get(f"{API}reported-figures/", HTTP_IF_NONE_MATCH=figures_etag).status_code == 200


# --- throttling --------------------------------------------------------------------------------


def test_anonymous_reads_beyond_the_rate_get_429_with_retry_after(seeded, api, settings):
    settings.API_ANON_RATE = "3/minute"
    for path in ("treaties/", "participants/", "actions/"):
        assert api.get(API + path).status_code == 200
    response = api.get(f"{HANOI}status/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"]


def test_a_response_from_the_cache_still_counts_toward_the_rate(seeded, api, settings):
    settings.API_ANON_RATE = "3/minute"
    assert [api.get(f"{HANOI}status/").get("X-API-Cache") for _ in range(3)] == ["miss", "hit", "hit"]
    assert api.get(f"{HANOI}status/").status_code == 429


def test_a_conditional_request_answered_304_is_not_counted(seeded, api, settings):
    settings.API_ANON_RATE = "2/minute"
    etag = api.get(f"{HANOI}status/")["ETag"]
    for _ in range(5):
        assert api.get(f"{HANOI}status/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(f"{API}treaties/").status_code == 200
    assert api.get(f"{API}treaties/").status_code == 429


def test_a_client_that_waits_as_told_is_let_through(seeded, api, settings):
    settings.API_ANON_RATE = "3/minute"
    for _ in range(3):
        assert api.get(f"{API}treaties/").status_code == 200
    refused = api.get(f"{API}treaties/")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    with time_machine.travel(time.time() + wait - 1, tick=False):
        assert api.get(f"{API}treaties/").status_code == 429  # a second early
    with time_machine.travel(time.time() + wait, tick=False):
        assert api.get(f"{API}treaties/").status_code == 200


def test_token_holders_are_throttled_at_their_own_rate(seeded, api, token_for, settings):
    settings.API_ANON_RATE, settings.API_USER_RATE = "1/minute", "3/minute"
    viewer = token_for("viewer")
    for _ in range(3):
        assert viewer.get(f"{API}treaties/").status_code == 200
    assert viewer.get(f"{API}treaties/").status_code == 429
    # Anonymous readers at the same address have their own count.
    assert api.get(f"{API}treaties/").status_code == 200


def test_an_authorization_header_that_names_no_token_is_counted_as_anonymous(seeded, settings):
    settings.API_ANON_RATE = "2/minute"
    stranger = APIClient(HTTP_AUTHORIZATION="Basic c29tZW9uZTpzZWNyZXQ=")  # not a token: anonymous to DRF
    assert [stranger.get(f"{API}treaties/").status_code for _ in range(3)] == [200, 200, 429]


# --- writes ---------------------------------------------------------------------------------


def new_action(**fields) -> dict:
    return {
        "treaty": "hanoi-convention",
        "participant": "AUT",
        "kind": "ratification",
        "date": "2026-06-01",
        "confidence": "official",
    } | fields


def test_a_write_without_a_token_is_a_401(seeded, api):
    assert api.post(f"{API}actions/", new_action(), format="json").status_code == 401
    action = Action.objects.first()
    assert api.patch(f"{API}actions/{action.pk}/", {"note": "x"}, format="json").status_code == 401
    assert api.delete(f"{API}sources/{Source.objects.first().pk}/").status_code == 401
    assert api.post(f"{API}treaties/", {"slug": "x"}, format="json").status_code == 401
    response = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token").post(
        f"{API}actions/", new_action(), format="json"
    )
    assert response.status_code == 401
    assert Action.objects.count() == SIGNATURES


def test_a_viewer_s_token_cannot_write(seeded, token_for):
    viewer = token_for("viewer")
    assert viewer.get(f"{API}actions/").status_code == 200
    assert viewer.post(f"{API}actions/", new_action(), format="json").status_code == 403
    action = Action.objects.first()
    assert viewer.patch(f"{API}actions/{action.pk}/", {"note": "x"}, format="json").status_code == 403
    assert viewer.patch(HANOI, {"title": "x"}, format="json").status_code == 403
    assert Action.objects.count() == SIGNATURES


def test_an_editor_records_an_action_and_corrects_it_and_the_history_names_them(seeded, token_for):
    editor = token_for("editor")
    untc = Source.objects.get(url=UNTC)
    response = editor.post(f"{API}actions/", new_action(sources=[untc.pk]), format="json")  # made up
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["participant"], created["kind"], created["date"], created["sources"]) == (
        AUSTRIA,
        "ratification",
        "2026-06-01",
        [untc_source()],
    )
    action = Action.objects.get(pk=created["id"])
    assert (action.participant.iso_alpha3, action.confidence) == ("AUT", "official")

    response = editor.patch(f"{API}actions/{action.pk}/", {"date": "2026-06-02"}, format="json")
    assert response.status_code == 200, response.json()
    action.refresh_from_db()
    assert action.date == date(2026, 6, 2)
    assert [record.history_user for record in action.history.all()] == [editor.user, editor.user]
    assert [record.date for record in action.history.order_by("history_id")] == [
        date(2026, 6, 1),
        date(2026, 6, 2),
    ]
    assert api_status_deposited() == 1


def api_status_deposited() -> int:
    return APIClient().get(f"{HANOI}status/").json()["instruments_deposited"]


@pytest.mark.parametrize("written", ["CZE", "cze", "czech-republic", "Czech Republic", "Czechia"])
def test_a_participant_can_be_written_as_its_iso_code_slug_name_or_alias(seeded, token_for, written):
    response = token_for("editor").post(f"{API}actions/", new_action(participant=written), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["participant"] == CZECH_REPUBLIC
    assert Action.objects.get(pk=response.json()["id"]).participant.iso_alpha3 == "CZE"


def test_a_ratification_before_adoption_is_a_400_in_the_user_s_words(seeded, token_for):
    response = token_for("editor").post(f"{API}actions/", new_action(date="2024-01-05"), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid parameter or field: date.",
        "errors": {"date": ["Ratification on 2024-01-05 is before the treaty's adoption on 2024-12-24."]},
    }
    assert Action.objects.count() == SIGNATURES


def test_a_second_signature_is_a_400_in_the_user_s_words(seeded, token_for):
    response = token_for("editor").post(
        f"{API}actions/", new_action(kind="signature", date="2026-03-01"), format="json"
    )
    assert response.status_code == 400
    messages = [message for field in errors(response).values() for message in field]
    assert messages == ["This participant already has a signature under this treaty."]


def test_a_second_deposit_is_a_400_in_the_user_s_words(seeded, token_for):
    editor = token_for("editor")
    assert editor.post(f"{API}actions/", new_action(), format="json").status_code == 201
    response = editor.post(f"{API}actions/", new_action(kind="acceptance", date="2026-07-01"), format="json")
    assert response.status_code == 400
    assert "already has a deposited instrument" in json.dumps(response.json())


def test_a_date_in_the_future_is_a_400_in_the_user_s_words(seeded, token_for):
    response = token_for("editor").post(f"{API}actions/", new_action(date="2026-11-23"), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid parameter or field: date.",
        "errors": {
            "date": ["Ratification on 2026-11-23 is in the future (today is 2026-11-22 in America/New_York)."]
        },
    }


def test_a_correction_into_an_invalid_date_is_a_400_and_changes_nothing(seeded, token_for):
    action = Action.objects.get(participant__iso_alpha3="AUT")
    response = token_for("editor").patch(f"{API}actions/{action.pk}/", {"date": "2025-10-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid parameter or field: date.",
        "errors": {
            "date": ["Signature on 2025-10-01 is before the treaty opened for signature on 2025-10-25."]
        },
    }
    action.refresh_from_db()
    assert action.date == date(2025, 10, 25)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"participant": "XYZ"}, "participant"),
        ({"treaty": "no-such-treaty"}, "treaty"),
        ({"kind": "rumour"}, "kind"),
        ({"date": "June"}, "date"),
        ({"sources": [999999]}, "sources"),
    ],
)
def test_a_bad_field_in_a_write_is_a_400_naming_it(seeded, token_for, fields, field):
    response = token_for("editor").post(f"{API}actions/", new_action(**fields), format="json")
    assert response.status_code == 400
    assert list(errors(response)) == [field]
    assert field in response.json()["detail"]


TREATY = {
    "slug": "test-treaty",
    "short_title": "Test Treaty",
    "title": "A treaty made up for the tests",
    "threshold": 30,
    "entry_into_force_delay": "90d",
    "later_joiner_delay": "30d",
    "reio_counts_as_additional": True,
    "signature_opens_on": "2026-01-01",
    "signature_closes_on": "2027-12-31",
}


def test_only_a_superuser_creates_a_treaty(seeded, token_for):
    assert token_for("editor").post(f"{API}treaties/", TREATY, format="json").status_code == 403
    assert not Treaty.objects.filter(slug="test-treaty").exists()
    response = token_for("superuser").post(f"{API}treaties/", TREATY, format="json")
    assert response.status_code == 201, response.json()
    treaty = Treaty.objects.get(slug="test-treaty")
    assert (treaty.threshold, treaty.entry_into_force_delay, treaty.reio_counts_as_additional) == (
        30,
        "90d",
        True,
    )
    status = APIClient().get(f"{API}treaties/test-treaty/status/").json()
    assert (status["threshold"], status["signatories"], status["remaining"]) == (30, 0, 30)


def test_a_treaty_with_a_taken_slug_or_an_inverted_window_is_a_400(seeded, token_for):
    root = token_for("superuser")
    taken = root.post(f"{API}treaties/", TREATY | {"slug": "hanoi-convention"}, format="json")
    assert (taken.status_code, list(errors(taken))) == (400, ["slug"])
    response = root.post(f"{API}treaties/", TREATY | {"signature_opens_on": "2028-01-01"}, format="json")
    assert response.status_code == 400
    assert errors(response)


def test_an_editor_changes_a_treaty_s_title_but_not_its_rule(seeded, token_for):
    editor = token_for("editor")
    response = editor.patch(HANOI, {"threshold": 30}, format="json")
    assert response.status_code == 403
    assert "threshold" in response.json()["detail"]
    assert editor.patch(HANOI, {"signature_closes_on": "2027-12-31"}, format="json").status_code == 403
    assert Treaty.objects.get(slug="hanoi-convention").threshold == 40
    response = editor.patch(HANOI, {"short_title": "Hanoi Convention (UNCC)"}, format="json")
    assert response.status_code == 200
    assert Treaty.objects.get(slug="hanoi-convention").short_title == "Hanoi Convention (UNCC)"
    # Sending the rule unchanged along with the title is not a change of the rule.
    assert (
        editor.patch(HANOI, {"threshold": 40, "short_title": "Hanoi Convention"}, format="json").status_code
        == 200
    )


def test_a_superuser_changes_a_treaty_s_rule(seeded, token_for):
    response = token_for("superuser").patch(HANOI, {"threshold": 30}, format="json")
    assert response.status_code == 200
    assert APIClient().get(f"{HANOI}status/").json()["remaining"] == 30


def test_treaties_cannot_be_deleted_through_the_api(seeded, token_for):
    assert token_for("superuser").delete(HANOI).status_code == 405


def test_deleting_a_source_still_cited_is_a_409_not_a_500(seeded, token_for):
    cited = Source.objects.filter(reported_figures__isnull=False).first()
    response = token_for("editor").delete(f"{API}sources/{cited.pk}/")
    assert response.status_code == 409
    assert "refer to" in response.json()["detail"]
    assert Source.objects.filter(pk=cited.pk).exists()


def test_an_editor_deletes_a_source_nothing_refers_to(seeded, token_for):
    editor = token_for("editor")
    response = editor.post(f"{API}sources/", {"url": "https://example.org/made-up"}, format="json")
    assert response.status_code == 201, response.json()
    assert editor.delete(f"{API}sources/{response.json()['id']}/").status_code == 204


# --- import --------------------------------------------------------------------------------------

IMPORT = f"{HANOI}import/"
GOOD_TABLE = STATUS_TABLE + "Austria,2025-10-25,ratification,2026-06-01\nJapan,2026-07-15,,\n"  # made up
BAD_TABLE = STATUS_TABLE + (
    "Atlantis,2025-10-25,,\n"  # no such participant
    "Austria,,ratification,2024-01-05\n"  # before adoption
    "Belgium,,ratification,2026-06-01\n"  # fine
    "Japan,,ratification,someday\n"  # not a date
)


def test_an_import_as_a_csv_body_creates_the_rows_and_returns_a_summary(seeded, token_for):
    editor = token_for("editor")
    response = editor.post(IMPORT, GOOD_TABLE, content_type="text/csv")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 1, "dry_run": False}
    deposit = Action.objects.get(participant__name="Austria", kind="ratification")
    assert deposit.date == date(2026, 6, 1)
    record = deposit.history.get()
    assert record.history_user == editor.user
    assert record.history_change_reason == "import of API upload"
    # The same file again changes nothing.
    assert editor.post(IMPORT, GOOD_TABLE, content_type="text/csv").json() == {
        "created": 0, "updated": 0, "unchanged": 3, "dry_run": False,
    }  # fmt: skip


def test_an_import_as_a_file_upload_goes_through_the_same_service(seeded, token_for):
    upload = SimpleUploadedFile("june.csv", GOOD_TABLE.encode(), content_type="text/csv")
    response = token_for("editor").post(IMPORT, {"file": upload, "reason": "June update"}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 1, "dry_run": False}
    record = Action.objects.get(participant__name="Japan").history.get()
    assert record.history_change_reason == "import of june.csv: June update"


def test_a_bad_import_is_a_400_with_every_row_s_problem_and_writes_nothing(seeded, token_for):
    editor, history = token_for("editor"), Action.history.count()
    as_body = editor.post(IMPORT, BAD_TABLE, content_type="text/csv")
    upload = SimpleUploadedFile("bad.csv", BAD_TABLE.encode(), content_type="text/csv")
    as_file = editor.post(IMPORT, {"file": upload}, format="multipart")
    for response in (as_body, as_file):
        assert response.status_code == 400
        problems = response.json()["rows"]
        assert [problem.split(":")[0] for problem in problems] == ["row 2", "row 3", "row 5"]
        assert "Atlantis" in problems[0]
        assert "before the treaty's adoption on 2024-12-24" in problems[1]
    assert Action.objects.count() == SIGNATURES
    assert Action.history.count() == history


def test_an_import_dry_run_reports_but_writes_nothing(seeded, token_for):
    editor = token_for("editor")
    response = editor.post(f"{IMPORT}?dry_run=true", GOOD_TABLE, content_type="text/csv")
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 1, "dry_run": True}
    upload = SimpleUploadedFile("june.csv", GOOD_TABLE.encode())
    response = editor.post(IMPORT, {"file": upload, "dry_run": "true"}, format="multipart")
    assert response.json()["dry_run"] is True
    assert Action.objects.count() == SIGNATURES


def test_an_import_without_a_file_or_in_another_encoding_is_a_400(seeded, token_for):
    editor = token_for("editor")
    missing = editor.post(IMPORT, {}, format="multipart")
    assert (missing.status_code, list(errors(missing))) == (400, ["file"])
    response = editor.post(
        IMPORT, "participant,signature_date\nC\xf4te,\n".encode("latin-1"), content_type="text/csv"
    )
    assert response.status_code == 400
    assert list(errors(response)) == ["file"]


def test_an_import_needs_an_editor_s_token(seeded, api, token_for):
    assert api.post(IMPORT, GOOD_TABLE, content_type="text/csv").status_code == 401
    assert token_for("viewer").post(IMPORT, GOOD_TABLE, content_type="text/csv").status_code == 403
    assert Action.objects.count() == SIGNATURES


def test_an_import_into_an_unknown_treaty_is_a_404(seeded, token_for):
    response = token_for("editor").post(f"{API}treaties/nope/import/", GOOD_TABLE, content_type="text/csv")
    assert response.status_code == 404


# --- a constant number of queries ------------------------------------------------------------------


# Computed afresh, not answered from the response cache.
FRESH = {"HTTP_CACHE_CONTROL": "no-cache"}


def queries_for(api, url: str, **query) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, query, **FRESH)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url, small, large, most",
    [
        (f"{API}actions/", {"page_size": 5}, {"page_size": SIGNATURES + 40}, 5),
        # Western European first: the small page has EU members, so the same prefetches run.
        (f"{API}participants/", {"page_size": 5, "group": "weog"}, {"page_size": PARTICIPANTS}, 5),
        # The treaty, then its actions with their participants, depositary entries and sources.
        (f"{HANOI}participants/", {"page_size": 5}, {"page_size": SIGNATURES}, 2),
        (f"{API}domestic-steps/", {"page_size": 1}, {"page_size": 5}, 5),
        (f"{API}sources/", {"page_size": 1}, {"page_size": 100}, 5),
        (f"{API}reported-figures/", {"page_size": 1}, {"page_size": 19}, 5),
    ],
)
def test_a_list_takes_the_same_number_of_queries_whatever_the_page_size(
    seeded, api, django_assert_max_num_queries, url, small, large, most
):
    forty_ratifications()  # made up: rows with two actions, each with its sources
    api.get(url)  # the data version, read from the database once when the cache is empty
    with django_assert_max_num_queries(most):
        assert api.get(url, small, **FRESH)["X-API-Cache"] == "miss"
    with django_assert_max_num_queries(most):
        assert api.get(url, large, **FRESH)["X-API-Cache"] == "miss"
    assert queries_for(api, url, **small) == queries_for(api, url, **large)


def test_a_csv_list_takes_a_constant_number_of_queries(seeded, api):
    forty_ratifications()  # made up
    api.get(f"{API}actions/")  # the data version, read once
    counts = {}
    # One action; all of them. (Each filter looks its key up once.)
    for query in ({"participant": signatory_states()[-1].slug}, {"treaty": "hanoi-convention"}):
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(api.get(f"{API}actions/", {"format": "csv"} | query))
        counts[len(rows)] = len(queries)
    assert set(counts) == {1, SIGNATURES + 40}
    assert len(set(counts.values())) == 1, counts


# --- schema and docs -----------------------------------------------------------------------------


def test_the_schema_is_an_openapi_3_document_of_every_endpoint(seeded, api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Treaty Ratification Tracker API"
    for path in (
        "/api/v1/treaties/",
        "/api/v1/treaties/{slug}/",
        "/api/v1/treaties/{slug}/status/",
        "/api/v1/treaties/{slug}/participants/",
        "/api/v1/treaties/{slug}/import/",
        "/api/v1/participants/",
        "/api/v1/participants/{key}/",
        "/api/v1/actions/",
        "/api/v1/domestic-steps/",
        "/api/v1/sources/",
        "/api/v1/reported-figures/",
    ):
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/actions/"]["get"]["parameters"]}
    assert parameters >= {
        "treaty", "participant", "type", "date_after", "date_before", "as_of", "confidence", "group",
        "region", "ordering", "page", "page_size",
    }  # fmt: skip
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_schema_is_json_by_default_and_yaml_on_request(seeded, api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    assert json.loads(body(response))["openapi"].startswith("3.")
    yaml = api.get("/api/schema/", {"format": "yaml"})
    assert yaml.status_code == 200
    assert "openapi" in yaml["Content-Type"] and "json" not in yaml["Content-Type"]
    assert body(yaml).decode().startswith("openapi: 3.")


def test_the_docs_load_only_the_site_s_own_static_files(seeded, api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = body(response).decode()
    assert "<h1>API reference</h1>" in html
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert references, html
    assert all(not re.match(r"(?i)(https?:)?//", reference) for reference in references), references
    assert not re.search(r"(?i)https?://(?!testserver)[^\s\"']+\.(js|css)", html)
    static = [
        reference.removeprefix(settings.STATIC_URL)
        for reference in references
        if reference.startswith(settings.STATIC_URL)
    ]
    assert "tracker/api_docs.css" in static, references
    for name in static:  # shipped in the project's own static files (collectstatic serves them)
        assert finders.find(name), name


# --- a source that anything cites cannot be deleted ----------------------------------------------


def made_up_source() -> Source:
    """A source nothing cites yet (made up for the tests)."""
    return Source.objects.create(url="https://example.org/made-up-report", publisher="example.org")


def refusal(*records) -> dict:
    """The 409's body, naming ``records``."""
    return {"detail": "Other records still refer to this one: " + "; ".join(map(str, records)), "errors": {}}


@pytest.mark.parametrize(
    "citing",
    [
        lambda treaty: Action.objects.get(treaty=treaty, participant__name="Austria"),
        lambda treaty: DomesticStep.objects.filter(treaty=treaty).first(),
    ],
    ids=["an action", "a domestic step"],
)
def test_deleting_a_source_cited_only_by_one_record_is_a_409_and_keeps_the_link(seeded, token_for, citing):
    source, record = made_up_source(), citing(seeded)
    record.sources.add(source)
    response = token_for("editor").delete(f"{API}sources/{source.pk}/")
    assert (response.status_code, response.json()) == (409, refusal(record))
    assert record.sources.filter(pk=source.pk).exists()


def test_the_409_for_a_source_cited_by_many_records_names_five_of_them_and_unlinks_none(seeded, token_for):
    source = made_up_source()
    actions = list(Action.objects.filter(treaty=seeded)[:6])
    step = DomesticStep.objects.filter(treaty=seeded).first()
    source.actions.add(*actions)
    source.domestic_steps.add(step)
    response = token_for("editor").delete(f"{API}sources/{source.pk}/")
    assert response.status_code == 409
    named = response.json()["detail"].removeprefix("Other records still refer to this one: ").split("; ")
    assert len(named) == 5
    assert set(named) < {str(record) for record in [*actions, step]}
    assert (source.actions.count(), source.domestic_steps.count()) == (6, 1)


def test_a_source_no_longer_cited_is_deleted_and_the_history_names_the_editor(seeded, token_for):
    source = made_up_source()
    austria = Action.objects.get(treaty=seeded, participant__name="Austria")
    others = set(austria.sources.values_list("pk", flat=True))
    austria.sources.add(source)
    editor = token_for("editor")
    assert editor.delete(f"{API}sources/{source.pk}/").status_code == 409
    austria.sources.remove(source)
    assert editor.delete(f"{API}sources/{source.pk}/").status_code == 204
    assert not Source.objects.filter(pk=source.pk).exists()
    assert set(austria.sources.values_list("pk", flat=True)) == others
    assert Source.history.get(id=source.pk, history_type="-").history_user == editor.user


# --- boolean filters take a boolean or nothing ---------------------------------------------------


@pytest.mark.parametrize(
    "member, spellings", [(True, ["true", "True", "TRUE", "1"]), (False, ["false", "False", "fAlSe", "0"])]
)
def test_the_un_member_filter_takes_true_or_false_in_any_case_or_1_or_0(seeded, api, member, spellings):
    expected = Participant.objects.filter(un_member=member).count()
    assert 0 < expected < PARTICIPANTS  # members and non-members both exist, so the filter shows
    for spelling in spellings:
        rows = everything(api, f"{API}participants/", un_member=spelling)
        assert len(rows) == expected, spelling
        assert {row["un_member"] for row in rows} == {member}, spelling


def test_an_empty_un_member_filter_is_a_400_asking_to_leave_the_parameter_out(seeded, api):
    response = api.get(f"{API}participants/", {"un_member": ""})
    assert response.status_code == 400
    assert list(errors(response)) == ["un_member"]
    assert "leave the parameter out" in errors(response)["un_member"][0]


# "2" and "3" are the values of Django's yes/no/unknown select, which read them as true and false.
@pytest.mark.parametrize("value", ["perhaps", "yes", "2", "3", "truefalse"])
def test_a_un_member_filter_that_is_not_a_boolean_is_a_400_naming_it(seeded, api, value):
    response = api.get(f"{API}participants/", {"un_member": value})
    assert response.status_code == 400
    assert list(errors(response)) == ["un_member"]
    assert value in errors(response)["un_member"][0]


def test_every_boolean_filter_of_the_api_rejects_a_non_boolean(seeded, api):
    import django_filters

    from tracker.api.urls import router

    checked = []
    for prefix, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        for name, field in filterset.base_filters.items() if filterset else ():
            if isinstance(field, django_filters.BooleanFilter):
                response = api.get(f"{API}{prefix}/", {name: "perhaps"})
                assert (response.status_code, list(errors(response))) == (400, [name]), prefix
                checked.append(name)
    assert "un_member" in checked


def test_the_schema_still_documents_the_un_member_filter_as_a_boolean(seeded, api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/participants/"]["get"]["parameters"]
    [un_member] = [parameter for parameter in parameters if parameter["name"] == "un_member"]
    assert un_member["schema"] == {"type": "boolean"}


def test_a_list_asked_without_filters_skips_building_the_filterset(seeded, api, monkeypatch):
    from tracker.api.filtersets import ParticipantFilterSet

    built, original = [], ParticipantFilterSet.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ParticipantFilterSet, "__init__", counted)
    assert len(everything(api, f"{API}participants/")) == PARTICIPANTS
    assert built == []
    weog = everything(api, f"{API}participants/", region="weog")
    assert built and 0 < len(weog) < PARTICIPANTS


# --- one contract for every endpoint (issue 12) ---------------------------------------------------

LISTS = [
    f"{API}treaties/",
    f"{API}participants/",
    f"{API}actions/",
    f"{API}domestic-steps/",
    f"{API}sources/",
    f"{API}reported-figures/",
    f"{HANOI}participants/",
    f"{HANOI}statements/",
    f"{HANOI}end-notes/",
]


@pytest.mark.parametrize("url", [*LISTS, HANOI, f"{HANOI}status/", f"{API}participants/cze/"])
def test_an_unknown_query_parameter_is_a_400_naming_it(seeded, api, url):
    response = api.get(url, {"bogus": "1"})
    assert response.status_code == 400
    assert list(errors(response)) == ["bogus"]
    assert "bogus" in response.json()["detail"]


@pytest.mark.parametrize("ordering", ["nonsense", "-password"])
@pytest.mark.parametrize("url", LISTS)
def test_an_unknown_ordering_of_any_list_is_a_400_naming_it(seeded, api, url, ordering):
    for query in ({"ordering": ordering}, {"ordering": ordering, "format": "csv"}):
        response = api.get(url, query)
        assert response.status_code == 400, query
    response = api.get(url, {"ordering": ordering})
    assert list(errors(response)) == ["ordering"]
    assert repr(ordering) in errors(response)["ordering"][0]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "last"])
@pytest.mark.parametrize("url", [f"{API}actions/", f"{HANOI}participants/"])
def test_a_page_that_is_not_a_positive_whole_number_is_a_400_naming_page(seeded, api, url, page):
    response = api.get(url, {"page": page})
    assert response.status_code == 400
    assert list(errors(response)) == ["page"]
    assert api.get(url, {"page": page, "format": "csv"}).status_code == 400


@pytest.mark.parametrize("url", [f"{API}actions/", f"{HANOI}participants/"])
def test_a_page_past_the_last_is_a_404_in_the_error_shape(seeded, api, url):
    assert api.get(url, {"page_size": 50, "page": 2}).status_code == 200  # 68 rows: two pages
    response = api.get(url, {"page_size": 50, "page": 3})
    assert response.status_code == 404
    assert errors(response) == {}


@pytest.mark.parametrize(
    "url, name",
    [
        (f"{API}actions/", "as_of"),
        (f"{API}actions/", "type"),
        (f"{API}actions/", "withdrawn"),
        (f"{API}actions/", "group"),
        (f"{API}actions/", "id"),
        (f"{API}domestic-steps/", "date_after"),
        (f"{API}reported-figures/", "as_of"),
        (f"{HANOI}status/", "as_of"),
        (f"{HANOI}participants/", "as_of"),
        (f"{HANOI}participants/", "group"),
        (f"{HANOI}participants/", "status"),
    ],
)
def test_an_empty_value_of_a_filter_that_is_not_text_is_a_400_naming_it(seeded, api, url, name):
    response = api.get(url, {name: ""})
    assert response.status_code == 400
    assert list(errors(response)) == [name]
    assert "leave the parameter out" in errors(response)[name][0]


def test_the_actions_as_of_a_date_are_those_dated_on_or_before_it(seeded, api):
    deposit("Austria", date(2026, 9, 1))  # made up: after every seeded signature
    first_day = everything(api, f"{API}actions/", as_of="2025-10-25")
    assert len(first_day) == action_count(date__lte="2025-10-25")
    assert 0 < len(first_day) < SIGNATURES
    assert {a["date"] for a in first_day} == {"2025-10-25"}  # signature opened that day
    assert everything(api, f"{API}actions/", as_of="2025-10-24") == []
    assert len(everything(api, f"{API}actions/", as_of="2026-07-30")) == SIGNATURES - 1  # Canada: 2026-07-31
    assert len(everything(api, f"{API}actions/", as_of="2026-08-31")) == SIGNATURES
    assert len(everything(api, f"{API}actions/", as_of="2026-09-01")) == SIGNATURES + 1
    # With the other filters, and in CSV.
    assert len(everything(api, f"{API}actions/", as_of="2026-09-01", type="ratification")) == 1
    assert everything(api, f"{API}actions/", as_of="2026-08-31", type="ratification") == []
    as_csv = csv_rows(api.get(f"{API}actions/", {"as_of": "2025-10-25", "format": "csv"}))
    assert len(as_csv) == len(first_day)


def test_the_domestic_steps_and_reported_figures_as_of_a_date(seeded, api):
    # Inclusive, as date_before: Azerbaijan's of 2026-02-10, Russia's, the Maldives' and the EU's.
    assert len(everything(api, f"{API}domestic-steps/", as_of="2026-02-10")) == 4
    assert len(everything(api, f"{API}reported-figures/", as_of="2025-10-06")) == 1


def test_the_treaty_participants_filter_by_status_deposited(seeded, api):
    forty_ratifications(date(2026, 6, 1))  # made up: in force on 2026-08-30 for all forty
    later = signatory_states()[40]
    deposit(later.name, date(2026, 9, 1))  # made up: in force for it 30 days later, on 2026-10-01
    [deposited] = everything(api, f"{HANOI}participants/", as_of="2026-09-15", status="deposited")
    assert deposited["participant"]["slug"] == later.slug
    assert (deposited["status"], deposited["instrument_date"]) == ("deposited", "2026-09-01")
    in_force = everything(api, f"{HANOI}participants/", as_of="2026-09-15", status="in_force")
    assert len(in_force) == 40 and {row["status"] for row in in_force} == {"in_force"}
    signed = everything(api, f"{HANOI}participants/", as_of="2026-09-15", status="signed")
    assert len(signed) == SIGNATURES - 41 and {row["status"] for row in signed} == {"signed"}
    # On 2026-11-22 it is in force for it too: nothing is only deposited.
    assert everything(api, f"{HANOI}participants/", status="deposited") == []
    query = {"as_of": "2026-09-15", "status": "deposited", "format": "csv"}
    csv_deposited = csv_rows(api.get(f"{HANOI}participants/", query))
    assert [row["participant.slug"] for row in csv_deposited] == [later.slug]


def test_the_treaty_participants_filter_by_group_and_q_and_order_by_the_page_s_keys(seeded, api):
    eastern = everything(api, f"{HANOI}participants/", group="eastern_european")
    expected = Participant.objects.filter(
        un_regional_group="eastern_european", actions__isnull=False
    ).distinct()
    assert sorted(row["participant"]["slug"] for row in eastern) == sorted(p.slug for p in expected)
    assert len(eastern) > 1 and {row["un_regional_group"] for row in eastern} == {"eastern_european"}
    assert everything(api, f"{HANOI}participants/", region="eastern_european") == eastern  # deprecated alias
    [czech] = everything(api, f"{HANOI}participants/", q="Czechia")  # an alias
    assert czech["participant"] == CZECH_REPUBLIC
    names = [row["participant"]["name"] for row in everything(api, f"{HANOI}participants/", ordering="-name")]
    assert (names[0], names[-1]) == ("Zimbabwe", "Algeria")  # the last and first signatories by name
    by_name = [r["participant"]["name"] for r in everything(api, f"{HANOI}participants/", ordering="name")]
    assert by_name == names[::-1]
    by_signature = everything(api, f"{HANOI}participants/", ordering="-signature")
    assert by_signature[0]["participant"]["name"] == "Canada"  # the latest signature, 2026-07-31


@pytest.mark.parametrize("query", [{"status": "ratified"}, {"group": "atlantis"}, {"region": "moon"}])
def test_a_treaty_participants_filter_of_an_unknown_value_is_a_400_naming_it(seeded, api, query):
    response = api.get(f"{HANOI}participants/", query)
    assert response.status_code == 400
    assert list(errors(response)) == list(query)


@pytest.mark.parametrize(
    "url, keys, slug",
    [
        (f"{API}actions/", ["CZE", "cze", "czech-republic", "Czechia", "Czech Republic"], "czech-republic"),
        (
            f"{API}domestic-steps/",
            ["RUS", "russian-federation", "Russia", "Russian Federation"],
            "russian-federation",
        ),
        # Without an ISO code: the slug, the name and the aliases.
        (f"{API}domestic-steps/", ["european-union", "EU", "European Union"], "european-union"),
    ],
)
def test_a_participant_filter_takes_the_iso_code_slug_name_or_alias_and_gives_the_same_rows(
    seeded, api, url, keys, slug
):
    expected = {row["id"] for row in everything(api, url) if row["participant"]["slug"] == slug}
    assert expected  # the seed has such rows
    for key in keys:
        assert {row["id"] for row in everything(api, url, participant=key)} == expected, key


def test_a_source_is_the_same_object_in_actions_domestic_steps_and_the_treaty_participants(seeded, api):
    # A press report the seed cites for Azerbaijan's signature and for its domestic steps.
    trend = Source.objects.get(url="https://www.trend.az/azerbaijan/politics/4151684.html")
    expected = {
        "id": trend.pk,
        "title": None,
        "url": "https://www.trend.az/azerbaijan/politics/4151684.html",
        "kind": "web",
    }
    [signature] = everything(api, f"{API}actions/", participant="AZE")
    steps = everything(api, f"{API}domestic-steps/", participant="AZE")
    [row] = everything(api, f"{HANOI}participants/", q="Azerbaijan")
    cited = [
        *(s for s in signature["sources"] if s["id"] == trend.pk),
        *(s for step in steps for s in step["sources"] if s["id"] == trend.pk),
        *(s for s in row["sources"] if s["id"] == trend.pk),
    ]
    assert len(cited) >= 3
    assert all(source == expected for source in cited), cited
    untc = untc_source()
    assert untc in signature["sources"] and untc in row["sources"]


def test_the_sources_list_gives_a_source_s_title_url_and_kind_as_the_records_cite_it(seeded, api):
    listed = {source["id"]: source for source in everything(api, f"{API}sources/")}
    [signature] = everything(api, f"{API}actions/", participant="AZE")
    [figure] = everything(api, f"{API}reported-figures/", as_of="2025-10-06")  # cites a shipped article
    for cited in [*signature["sources"], figure["source"]]:
        one = listed[cited["id"]]
        assert {key: one[key] for key in ("id", "title", "url", "kind")} == cited, cited


@pytest.mark.parametrize("key, group", [("CZE", "eastern_european"), ("COK", None), ("european-union", None)])
def test_a_participant_reads_the_same_on_its_own_as_in_the_list(seeded, api, key, group):
    # The Cook Islands and the European Union are in no UN regional group: null, not "".
    [listed] = [row for row in everything(api, f"{API}participants/") if row["key"] == key]
    response = api.get(f"{API}participants/{key}/")
    assert response.status_code == 200
    assert response.json()["un_regional_group"] == listed["un_regional_group"] == group
    assert response.json() == listed


def test_a_429_is_in_the_one_error_shape_with_or_without_a_token(seeded, api, token_for, settings):
    settings.API_ANON_RATE = settings.API_USER_RATE = "1/minute"
    viewer = token_for("viewer")
    for client in (viewer, api):  # DRF throttles a token, the API's cache layer the anonymous
        assert client.get(f"{API}treaties/").status_code == 200
        refused = client.get(f"{API}treaties/")
        assert refused.status_code == 429
        assert errors(refused) == {}
        assert "throttled" in refused.json()["detail"]


def test_a_nul_byte_in_the_query_is_a_400_in_the_one_error_shape(seeded, api):
    response = api.get(f"{API}actions/?as_of=2026-11-22%00")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    errors(response)


@pytest.mark.parametrize(
    "path, param, value, near",
    [
        ("actions/", "participant", "Germny", "'Germany'"),
        ("domestic-steps/", "participant", "Azerbijan", "'Azerbaijan'"),
        ("actions/", "treaty", "hanoi-conventoin", "'hanoi-convention'"),
        ("reported-figures/", "treaty", "hanoi-convension", "'hanoi-convention'"),
    ],
)
def test_an_unknown_participant_or_treaty_is_a_400_naming_the_nearest(seeded, api, path, param, value, near):
    response = api.get(f"{API}{path}", {param: value})
    assert response.status_code == 400
    [message] = errors(response)[param]
    assert value in message and f"Did you mean {near}" in message


@pytest.mark.parametrize("path", ["actions/", "participants/", "treaties/hanoi-convention/participants/"])
def test_group_and_its_former_name_region_together_must_both_hold(seeded, api, path):
    both = api.get(f"{API}{path}", {"group": "weog", "region": "weog"}).json()
    alone = api.get(f"{API}{path}", {"group": "weog"}).json()
    assert both["count"] == alone["count"] > 0
    assert api.get(f"{API}{path}", {"group": "weog", "region": "african"}).json()["count"] == 0


def test_the_treaty_table_takes_one_value_of_each_parameter(seeded, api):
    response = api.get(f"{HANOI}participants/?group=weog&group=african")
    assert response.status_code == 400 and list(errors(response)) == ["group"]


def test_an_empty_ordering_is_a_400_asking_to_leave_it_out(seeded, api):
    response = api.get(f"{API}treaties/hanoi-convention/end-notes/", {"ordering": ""})
    assert response.status_code == 400 and "leave the parameter out" in errors(response)["ordering"][0]


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_a_method_a_list_does_not_have_is_a_405_even_without_a_token(seeded, api, method):
    response = getattr(api, method)(f"{API}participants/")
    assert response.status_code == 405
    errors(response)


@pytest.mark.parametrize("path", ["actions/1.5/", "sources/-1/", "no-such-resource/", "treaties/hanoi-convention/nope/"])
def test_an_api_address_no_route_matches_is_a_json_404(seeded, api, path):
    response = api.get(f"{API}{path}")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert errors(response) == {}


def test_the_schema_lists_the_participant_and_treaty_keys_the_filters_take(seeded, api):
    schema = api.get("/api/schema/").json()
    keys = schema["components"]["schemas"]["ParticipantKey"]["enum"]
    assert {"AUT", "CZE", "european-union"} <= set(keys) and "austria" not in keys
    assert schema["components"]["schemas"]["TreatyKey"]["enum"] == ["hanoi-convention"]
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/actions/"]["get"]["parameters"]}
    assert parameters["participant"]["schema"] == {"$ref": "#/components/schemas/ParticipantKey"}
    assert parameters["treaty"]["schema"] == {"$ref": "#/components/schemas/TreatyKey"}


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("domestic-steps/", {"treaty": "hanoi-convention", "participant": "AU\x00T", "date": "2026-01-01"}, "participant"),
        ("reported-figures/", {"treaty": "hanoi\x00", "figure": "ratifications", "value": 1}, "treaty"),
        ("actions/", {"treaty": "hanoi-convention", "sources": [1], "note": {"deep": ["fine", "no\x00"]}}, "note.deep.1"),
    ],
)
def test_a_nul_anywhere_in_a_body_is_a_400_naming_the_field(seeded, token_for, path, body, field):
    editor = token_for("editor")
    response = editor.post(f"{API}{path}", body, format="json")
    assert response.status_code == 400
    assert errors(response) == {field: ["A value may not contain a NUL character."]}
    assert editor.get(f"{API}{path}").status_code == 200  # no query failed: the transaction goes on


def test_a_write_in_a_form_encoding_is_a_415_since_writes_take_json(seeded, token_for):
    body = "title=A+title&url=https%3A%2F%2Fexample.org%2F"
    response = token_for("editor").post(f"{API}sources/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and "application/x-www-form-urlencoded" in response.json()["detail"]


def test_a_number_where_the_schema_says_text_is_a_400_not_turned_into_text(seeded, token_for):
    step = DomesticStep.objects.first()
    response = token_for("editor").patch(f"{API}domestic-steps/{step.pk}/", {"note": 5}, format="json")
    assert response.status_code == 400 and errors(response) == {"note": ["Not a valid string."]}
    step.refresh_from_db()
    assert step.note != "5"


def test_a_treaty_s_slug_cannot_change_since_it_is_in_every_address(seeded, token_for):
    response = token_for("superuser").patch(f"{HANOI}", {"slug": "bahrain"}, format="json")
    assert response.status_code == 400 and list(errors(response)) == ["slug"]
    assert Treaty.objects.filter(slug="hanoi-convention").exists()


@pytest.mark.parametrize("sources", [{}, {"1": 1}, "1", 1])
def test_sources_that_are_not_a_list_are_a_400(seeded, token_for, sources):
    step = DomesticStep.objects.filter(sources__isnull=False).first()
    cited = set(step.sources.values_list("pk", flat=True))
    response = token_for("editor").patch(f"{API}domestic-steps/{step.pk}/", {"sources": sources}, format="json")
    assert response.status_code == 400 and list(errors(response)) == ["sources"]
    assert set(step.sources.values_list("pk", flat=True)) == cited
