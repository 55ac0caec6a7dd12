"""The admin for participants and actions: lists, search, validation, roles and the audit trail."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.html import escape

from signatories.models import Action, Participant
from signatories.services import record_action
from tests.admin_forms import change_form_data
from tracker import services
from tracker.admin_columns import only_treaty_id
from tracker.models import Source
from tracker.rules import ActionKind

pytestmark = pytest.mark.usefixtures("plain_static_files")

ACTIONS = "/admin/signatories/action/"
REASON = "Corrected per C.N.123.2026.TREATIES-XVIII.16"
CHANGELISTS = [
    "/admin/tracker/treaty/",
    "/admin/tracker/source/",
    "/admin/tracker/citation/",
    "/admin/tracker/reportedfigure/",
    "/admin/signatories/participant/",
    "/admin/signatories/participantalias/",
    "/admin/signatories/membership/",
    ACTIONS,
    "/admin/signatories/domesticstep/",
]


def later_that_day():
    """Move the pinned clock on, so that a change comes after the seed in the history."""
    return time_machine.travel(datetime(2026, 11, 22, 15, 0, tzinfo=ZoneInfo("America/New_York")), tick=False)


def signature_of(name: str) -> Action:
    return Action.objects.get(participant__name=name, kind=ActionKind.SIGNATURE)


def new_action_data(treaty, **changes) -> dict:
    """What an editor types into the add form to record Azerbaijan's ratification."""
    return {
        "treaty": treaty.pk,
        "participant": Participant.objects.get(name="Azerbaijan").pk,
        "kind": "ratification",
        "date": "2026-11-20",
        "date_precision": "exact",
        "confidence": "official",
    } | changes


def test_the_action_list_does_not_query_once_per_row(admin_client, seeded, django_assert_max_num_queries):
    assert Action.objects.count() == 68
    with django_assert_max_num_queries(12):
        response = admin_client.get(ACTIONS)
    assert response.context["cl"].result_count == 68


@pytest.mark.parametrize("url", CHANGELISTS)
def test_every_list_page_takes_a_few_queries_whatever_its_length(
    url, admin_client, seeded, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "term, found",
    [
        ("Czechia", "Czech Republic"),  # an alias
        ("CZE", "Czech Republic"),  # an ISO code
        ("austria", "Austria"),  # a name, in any case
        ("C.N.88.2026", "Azerbaijan"),  # a depositary notification
    ],
)
def test_searching_actions_finds_them_by_name_alias_iso_code_or_cn_reference(
    term, found, admin_client, seeded
):
    record_action(
        treaty=seeded,
        participant=Participant.objects.get(name="Azerbaijan"),
        kind=ActionKind.RATIFICATION,
        date=date(2026, 11, 2),
        cn_reference="C.N.88.2026.TREATIES-XVIII.16",
    )
    results = admin_client.get(ACTIONS, {"q": term}).context["cl"].result_list
    assert {action.participant.name for action in results} == {found}


def test_the_list_filters_narrow_actions_by_regional_group(admin_client, seeded):
    results = (
        admin_client.get(ACTIONS, {"participant__un_regional_group__exact": "grulac"})
        .context["cl"]
        .result_list
    )
    assert results and {action.participant.un_regional_group for action in results} == {"grulac"}


def test_the_participant_autocomplete_finds_a_participant_by_alias(client, seeded, staff_member):
    staff_member("editor")
    params = {
        "app_label": "signatories",
        "model_name": "action",
        "field_name": "participant",
        "term": "Ivory",
    }
    response = client.get("/admin/autocomplete/", params)
    assert [result["text"] for result in response.json()["results"]] == ["Côte d'Ivoire"]


def test_the_add_form_for_an_action_shows_the_models_message_and_writes_nothing(admin_client, seeded):
    before = (Action.objects.count(), Action.history.count())
    response = admin_client.post(f"{ACTIONS}add/", new_action_data(seeded, date="2024-01-05"))
    assert response.status_code == 200
    assert (
        "Ratification on 2024-01-05 is before the treaty&#x27;s adoption on 2024-12-24."
        in response.content.decode()
    )
    assert (Action.objects.count(), Action.history.count()) == before


def test_an_editor_can_add_an_action(client, seeded, staff_member):
    editor = staff_member("editor")
    source = Source.objects.filter(url__startswith="https://").first()
    data = new_action_data(seeded, sources=[source.pk], change_reason="Deposit notified today")
    response = client.post(f"{ACTIONS}add/", data)
    assert response.status_code == 302
    action = Action.objects.get(participant__name="Azerbaijan", kind="ratification")
    assert action.history.get().history_user == editor
    assert action.history.get().history_change_reason == "Deposit notified today"


def test_a_viewer_cannot_add_an_action(client, seeded, staff_member):
    staff_member("viewer")
    assert client.get(f"{ACTIONS}add/").status_code == 403
    assert client.post(f"{ACTIONS}add/", new_action_data(seeded)).status_code == 403
    assert not Action.objects.filter(participant__name="Azerbaijan", kind="ratification").exists()


@pytest.mark.parametrize("url", CHANGELISTS)
def test_a_viewer_can_see_the_changelists(url, client, seeded, staff_member):
    staff_member("viewer")
    assert client.get(url).status_code == 200


def test_a_viewer_cannot_change_an_action(client, seeded, staff_member):
    staff_member("viewer")
    austria = signature_of("Austria")
    url = f"{ACTIONS}{austria.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert client.post(url, change_form_data(page, date="2025-10-26")).status_code == 403
    assert signature_of("Austria").date == date(2025, 10, 25)


def test_an_editors_correction_is_recorded_with_who_and_why(client, seeded, staff_member):
    editor = staff_member("editor")
    austria = signature_of("Austria")
    url = f"{ACTIONS}{austria.pk}/change/"
    with later_that_day():
        response = client.post(
            url, change_form_data(client.get(url), date="2025-10-26", change_reason=REASON)
        )
    assert response.status_code == 302
    latest = austria.history.first()
    assert (latest.history_user, latest.history_change_reason) == (editor, REASON)
    assert (latest.date, latest.prev_record.date) == (date(2025, 10, 26), date(2025, 10, 25))


def test_the_history_page_of_an_action_lists_the_change(client, seeded, staff_member):
    staff_member("editor")
    austria = signature_of("Austria")
    url = f"{ACTIONS}{austria.pk}/change/"
    client.post(url, change_form_data(client.get(url), date="2025-10-26", change_reason=REASON))
    staff_member("viewer")
    response = client.get(f"{ACTIONS}{austria.pk}/history/")
    assert response.status_code == 200
    html = response.content.decode()
    assert REASON in html
    assert "editor" in html
    assert "seed: hanoi-convention-signatures.csv" in html


def test_deleting_an_action_leaves_a_deletion_record_with_the_user(client, seeded, staff_member):
    editor = staff_member("editor")
    austria = signature_of("Austria")
    response = client.post(f"{ACTIONS}{austria.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Action.objects.filter(pk=austria.pk).exists()
    deletion = Action.history.filter(id=austria.pk).first()
    assert (deletion.history_type, deletion.history_user) == ("-", editor)


def test_a_viewer_cannot_revert_an_action_to_an_earlier_version(client, seeded, staff_member):
    austria = signature_of("Austria")
    first_version = austria.history.get()
    austria.date = date(2025, 10, 26)
    austria.save()
    staff_member("viewer")
    url = f"{ACTIONS}{austria.pk}/history/{first_version.history_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, change_form_data(client.get(url))).status_code == 403
    assert signature_of("Austria").date == date(2025, 10, 26)


def test_a_participants_page_shows_what_it_did_under_every_treaty_and_its_aliases(
    admin_client, seeded, make_treaty
):
    azerbaijan = Participant.objects.get(name="Azerbaijan")
    other = make_treaty(slug="other-treaty", short_title="Other Treaty")
    for treaty in (seeded, other):
        record_action(
            treaty=treaty, participant=azerbaijan, kind=ActionKind.RATIFICATION, date=date(2026, 11, 2)
        )
    czech_republic = Participant.objects.get(name="Czech Republic")
    html = admin_client.get(f"/admin/signatories/participant/{azerbaijan.pk}/change/").content.decode()
    assert 'name="actions-TOTAL_FORMS" value="3"' in html  # the seeded signature, two ratifications
    assert 'name="domestic_steps-TOTAL_FORMS" value="2"' in html  # the seeded vote and law
    assert "Other Treaty</option>" in html
    html = admin_client.get(f"/admin/signatories/participant/{czech_republic.pk}/change/").content.decode()
    assert 'value="Czechia"' in html


def test_an_editor_sees_a_participants_page_but_cannot_change_it(client, seeded, staff_member):
    staff_member("editor")
    austria = Participant.objects.get(name="Austria")
    url = f"/admin/signatories/participant/{austria.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert client.post(url, change_form_data(page, note="changed")).status_code == 403


# --- An action without a source, the one treaty, the list's columns -------------------


def test_an_action_posted_without_a_source_asks_for_a_confirmation_and_writes_nothing(client, seeded, staff_member):
    staff_member("editor")
    before = (Action.objects.count(), Action.history.count())
    response = client.post(f"{ACTIONS}add/", new_action_data(seeded))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "No source is given for this action." in " ".join(form.errors["sources"])
    assert not form["save_without_source"].is_hidden  # the box to tick is shown now
    assert (Action.objects.count(), Action.history.count()) == before


def test_an_action_without_a_source_is_saved_once_confirmed(client, seeded, staff_member):
    staff_member("editor")
    response = client.post(f"{ACTIONS}add/", new_action_data(seeded, save_without_source="on"))
    assert response.status_code == 302
    action = Action.objects.get(participant__name="Azerbaijan", kind="ratification")
    assert not action.sources.exists()


def test_the_add_form_does_not_ask_about_sources_before_anything_is_posted(client, seeded, staff_member):
    staff_member("editor")
    form = client.get(f"{ACTIONS}add/").context["adminform"].form
    assert form["save_without_source"].is_hidden


def test_the_add_form_has_the_only_treaty_chosen_already(client, seeded, staff_member):
    staff_member("editor")
    form = client.get(f"{ACTIONS}add/").context["adminform"].form
    assert form["treaty"].value() == seeded.pk


def test_the_add_form_chooses_no_treaty_when_there_are_several(client, seeded, staff_member, make_treaty):
    make_treaty(slug="other-treaty", short_title="Other Treaty")
    staff_member("editor")
    form = client.get(f"{ACTIONS}add/").context["adminform"].form
    assert form["treaty"].value() is None


def test_a_domestic_steps_add_form_has_the_only_treaty_chosen_already(client, seeded, staff_member):
    staff_member("editor")
    form = client.get("/admin/signatories/domesticstep/add/").context["adminform"].form
    assert form["treaty"].value() == seeded.pk


def test_the_action_list_leaves_out_the_treaty_column_while_there_is_one_treaty(admin_client, seeded, make_treaty):
    assert "treaty" not in admin_client.get(ACTIONS).context["cl"].list_display
    make_treaty(slug="other-treaty", short_title="Other Treaty")
    assert "listed_treaty" in admin_client.get(ACTIONS).context["cl"].list_display


def test_the_action_list_gives_an_on_or_before_date_with_its_sign(admin_client, seeded):
    record_action(
        treaty=seeded,
        participant=Participant.objects.get(name="Azerbaijan"),
        kind=ActionKind.RATIFICATION,
        date=date(2026, 11, 2),
        date_precision="on_or_before",
    )
    html = admin_client.get(ACTIONS, {"q": "Azerbaijan"}).content.decode()
    assert '<span title="on or before">≤&nbsp;Nov. 2, 2026</span>' in html


def test_a_participants_page_links_to_recording_an_action_rather_than_adding_a_row(admin_client, seeded):
    azerbaijan = Participant.objects.get(name="Azerbaijan")
    html = admin_client.get(f"/admin/signatories/participant/{azerbaijan.pk}/change/").content.decode()
    assert f'href="/admin/signatories/action/add/?participant={azerbaijan.pk}"' in html
    # no empty row to add an action with neither its sources nor a confirmation
    assert 'name="actions-MAX_NUM_FORMS" value="0"' in html


def test_the_only_treaty_is_read_once_per_request(rf, seeded, django_assert_num_queries):
    request = rf.get("/")
    with django_assert_num_queries(1):
        assert only_treaty_id(request) == only_treaty_id(request) == seeded.pk


# --- Source changes in the history ------------------------------------------------------


def test_a_change_of_an_actions_sources_alone_shows_in_its_history(client, seeded, staff_member):
    staff_member("editor")
    austria = signature_of("Austria")
    old = list(austria.sources.all())
    new = Source.objects.exclude(pk__in=[source.pk for source in old]).first()
    url = f"{ACTIONS}{austria.pk}/change/"
    with later_that_day():
        response = client.post(url, change_form_data(client.get(url), sources=[new.pk]))
    assert response.status_code == 302
    removed = ", ".join(f"“{services.history_label(source)}”" for source in old)
    change = f"added “{services.history_label(new)}”; removed {removed}"
    assert austria.history.first().history_sources_change == change
    html = client.get(f"{ACTIONS}{austria.pk}/history/").content.decode()
    assert f'class="sources-change"><strong>Sources:</strong> {escape(change)}</li>' in html


def test_a_save_that_keeps_the_sources_records_no_source_change(client, seeded, staff_member):
    staff_member("editor")
    austria = signature_of("Austria")
    url = f"{ACTIONS}{austria.pk}/change/"
    with later_that_day():
        client.post(url, change_form_data(client.get(url), date="2025-10-26"))
    assert austria.history.first().history_sources_change == ""


def test_the_write_service_records_the_sources_a_new_action_starts_with(seeded):
    source = Source.objects.filter(url__startswith="https://").first()
    action = Action(
        treaty=seeded,
        participant=Participant.objects.get(name="Azerbaijan"),
        kind="ratification",
        date=date(2026, 11, 20),
    )
    services.save_valid(action, "API", relations={"sources": [source.pk]})
    record = action.history.get()
    assert (record.history_type, record.history_sources_change) == ("+", f"added “{services.history_label(source)}”")
    assert list(action.sources.all()) == [source]


def test_a_revert_of_an_action_without_a_source_does_not_ask_again(client, seeded, staff_member):
    staff_member("editor")
    azerbaijan = record_action(
        treaty=seeded,
        participant=Participant.objects.get(name="Azerbaijan"),
        kind=ActionKind.RATIFICATION,
        date=date(2026, 11, 2),
        note="first",
    )
    first = azerbaijan.history.get()
    azerbaijan.note = "corrected"
    with later_that_day():
        services.save_valid(azerbaijan, "correction")
    url = f"{ACTIONS}{azerbaijan.pk}/history/{first.history_id}/"
    response = client.post(url, change_form_data(client.get(url)))
    assert response.status_code == 302
    azerbaijan.refresh_from_db()
    assert azerbaijan.note == "first"


def test_the_history_names_a_source_with_its_address_when_its_name_leaves_it_out(db):
    page = Source(url="https://example.org/reports/ratification", publisher="Example News", title="It ratified")
    label = services.history_label(page)
    assert label.startswith(str(page)) and label.endswith("https://example.org/reports/ratification")
    article = Source(seed_article="000_example.txt", title="An article")
    assert services.history_label(article) == str(article)  # no address to add
