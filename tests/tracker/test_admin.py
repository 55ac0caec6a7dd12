"""The treaty admin: its computed status, its actions, the rule only superusers change,
and the upload of status tables."""

import re
from datetime import date

import pytest
from django.apps import apps
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from signatories.models import Action, DomesticStep, Participant
from signatories.services import record_action
from tests.admin_forms import change_form_data
from tracker import imports
from tracker.admin import SourceAdmin
from tracker.models import ReportedFigure, Source, Treaty

CHANGE_URL = "/admin/tracker/treaty/{}/change/"
IMPORT_URL = "/admin/tracker/treaty/{}/import/"
REASON = "Corrected per C.N.123.2026.TREATIES-XVIII.16"

pytestmark = pytest.mark.usefixtures("plain_static_files")


def stat(html: str, key: str) -> str:
    start = html.index(f'data-stat="{key}">') + len(f'data-stat="{key}">')
    return html[start : html.index("<", start)]


def new_treaty_data(**changes) -> dict:
    """What a superuser types into the add form to set up another treaty."""
    return {
        "short_title": "Second Convention",
        "slug": "second-convention",
        "title": "A second convention, to track alongside the first",
        "adopted_on": "2025-01-10",
        "signature_opens_on": "2025-02-01",
        "signature_closes_on": "2026-02-01",
        "threshold": "20",
        "entry_into_force_delay": "30d",
        "later_joiner_delay": "30d",
        "time_zone": "Europe/Vienna",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    } | changes


def test_a_treatys_page_shows_the_status_the_rules_engine_computes(admin_client, seeded):
    html = admin_client.get(CHANGE_URL.format(seeded.pk)).content.decode()
    assert stat(html, "signatories") == "68"  # with Canada (New York, July 2026)
    assert stat(html, "instruments_counted") == "0"
    assert stat(html, "remaining") == "40"
    assert stat(html, "in_force") == "no"
    assert stat(html, "entry_into_force_on") == "—"
    assert stat(html, "days_until_signature_closes") == "39"


def stat_text(html: str, key: str) -> str:
    """The text of a status cell, markup left out."""
    start = html.index(f'data-stat="{key}">') + len(f'data-stat="{key}">')
    return re.sub(r"<[^>]+>", "", html[start : html.index("</td>", start)])


def forty_ratifications(treaty, last_day: date, precision: str) -> None:
    """Made up for the tests: 39 States that signed ratify on 2026-02-02, the 40th on ``last_day``."""
    states = Participant.objects.filter(actions__treaty=treaty, kind="state").distinct().order_by("name")[:40]
    for number, state in enumerate(states):
        last = number == 39
        record_action(
            treaty=treaty,
            participant=state,
            kind="ratification",
            date=last_day if last else date(2026, 2, 2),
            date_precision=precision if last else "exact",
        )


def test_a_treatys_page_gives_the_derived_dates_as_on_or_before_when_an_instrument_is(admin_client, seeded):
    forty_ratifications(seeded, date(2026, 10, 1), "on_or_before")
    html = admin_client.get(CHANGE_URL.format(seeded.pk)).content.decode()
    assert stat_text(html, "threshold_reached_on") == "on or before 2026-10-01"
    assert stat_text(html, "entry_into_force_on") == "on or before 2026-12-30"
    assert stat_text(html, "days_until_entry_into_force") == "at most 38"
    # Not in force by the latest date yet; it may be already.
    assert stat_text(html, "in_force") == "not known yet: by 2026-12-30 at the latest"
    assert 'class="upper-bound" title="An instrument it follows from is dated only' in html


def test_a_treatys_page_gives_exact_derived_dates_as_they_are(admin_client, seeded):
    forty_ratifications(seeded, date(2026, 10, 1), "exact")
    html = admin_client.get(CHANGE_URL.format(seeded.pk)).content.decode()
    assert stat_text(html, "entry_into_force_on") == "2026-12-30"
    assert (stat_text(html, "in_force"), stat_text(html, "days_until_entry_into_force")) == ("no", "38")
    assert "upper-bound" not in html.split('class="treaty-status"')[1].split("</table>")[0]


def test_a_treaty_in_force_by_its_latest_possible_date_is_in_force_on_its_page(admin_client, seeded):
    forty_ratifications(seeded, date(2026, 3, 2), "on_or_before")
    html = admin_client.get(CHANGE_URL.format(seeded.pk)).content.decode()
    assert stat_text(html, "entry_into_force_on") == "on or before 2026-05-31"
    assert stat_text(html, "in_force") == "yes"


def test_a_treatys_page_lists_every_action_under_it_in_a_bounded_number_of_queries(
    admin_client, seeded, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        html = admin_client.get(CHANGE_URL.format(seeded.pk)).content.decode()
    assert 'name="actions-TOTAL_FORMS" value="68"' in html
    assert "Austria" in html
    austria = Action.objects.get(treaty=seeded, participant__name="Austria")
    assert f"/admin/signatories/action/{austria.pk}/change/" in html


def test_a_treatys_page_offers_to_record_an_action_for_that_treaty(client, seeded, staff_member):
    staff_member("editor")
    html = client.get(CHANGE_URL.format(seeded.pk)).content.decode()
    assert f"/admin/signatories/action/add/?treaty={seeded.pk}" in html
    staff_member("viewer")
    assert "/admin/signatories/action/add/" not in client.get(CHANGE_URL.format(seeded.pk)).content.decode()


def test_an_editor_cannot_change_a_treatys_rule(client, seeded, staff_member):
    staff_member("editor")
    page = client.get(CHANGE_URL.format(seeded.pk))
    assert 'name="threshold"' not in page.content.decode()
    response = client.post(CHANGE_URL.format(seeded.pk), change_form_data(page, threshold="39"))
    assert response.status_code == 302
    assert Treaty.objects.get(pk=seeded.pk).threshold == 40


def test_an_editor_can_change_a_treatys_title(client, seeded, staff_member):
    editor = staff_member("editor")
    page = client.get(CHANGE_URL.format(seeded.pk))
    data = change_form_data(page, short_title="Convention against Cybercrime", change_reason="Official name")
    assert client.post(CHANGE_URL.format(seeded.pk), data).status_code == 302
    seeded.refresh_from_db()
    assert seeded.short_title == "Convention against Cybercrime"
    assert seeded.threshold == 40
    latest = seeded.history.first()
    assert (latest.history_user, latest.history_change_reason) == (editor, "Official name")


def test_a_superuser_can_change_a_treatys_rule(admin_client, seeded):
    page = admin_client.get(CHANGE_URL.format(seeded.pk))
    admin_client.post(CHANGE_URL.format(seeded.pk), change_form_data(page, threshold="39"))
    assert Treaty.objects.get(pk=seeded.pk).threshold == 39


def test_an_editor_cannot_change_the_rule_by_reverting_to_an_older_version(client, seeded, staff_member):
    old_version = seeded.history.first()
    seeded.threshold = 39
    seeded.save()  # as a superuser might
    staff_member("editor")
    url = f"/admin/tracker/treaty/{seeded.pk}/history/{old_version.history_id}/"
    response = client.post(url, change_form_data(client.get(url)))
    assert response.status_code == 302
    assert Treaty.objects.get(pk=seeded.pk).threshold == 39


def test_a_superuser_sets_up_another_treaty_on_the_add_form(admin_client, pinned_today):
    response = admin_client.post("/admin/tracker/treaty/add/", new_treaty_data())
    assert response.status_code == 302
    treaty = Treaty.objects.get(slug="second-convention")
    assert (treaty.threshold, treaty.entry_into_force_delay, treaty.time_zone) == (
        20,
        "30d",
        "Europe/Vienna",
    )
    assert stat(admin_client.get(CHANGE_URL.format(treaty.pk)).content.decode(), "remaining") == "20"


def test_the_treaty_add_form_shows_the_models_message_and_writes_nothing(admin_client, pinned_today):
    data = new_treaty_data(signature_closes_on="2025-01-31")
    response = admin_client.post("/admin/tracker/treaty/add/", data)
    assert response.status_code == 200
    assert (
        "The signature window closes on 2025-01-31, before it opens on 2025-02-01."
        in response.content.decode()
    )
    assert not Treaty.objects.exists()


def test_an_editor_cannot_set_up_a_treaty(client, db, staff_member):
    staff_member("editor")
    assert client.get("/admin/tracker/treaty/add/").status_code == 403


# --- The upload of a status table ---------------------------------------------------


class FakeImport:
    """Stands in for ``tracker.imports.import_status``, remembering how it was called."""

    def __init__(self, outcome):
        self.outcome, self.calls = outcome, []

    def __call__(self, treaty, file_name, text, **options):
        self.calls.append((treaty, file_name, text, options))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def upload(content: bytes, name: str = "status.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_treaty_page_links_to_the_upload_for_an_editor_only(client, seeded, staff_member):
    staff_member("editor")
    assert "Import a status table" in client.get(CHANGE_URL.format(seeded.pk)).content.decode()
    staff_member("viewer")
    assert "Import a status table" not in client.get(CHANGE_URL.format(seeded.pk)).content.decode()


def test_an_upload_passes_the_file_to_the_import_service_and_shows_its_summary(
    client, seeded, staff_member, monkeypatch
):
    editor = staff_member("editor")
    fake = FakeImport(imports.ImportSummary(created=1, updated=2, unchanged=3))
    monkeypatch.setattr(imports, "import_status", fake)
    csv = "participant,signature_date\nCôte d'Ivoire,2025-10-25\n"
    data = {"file": upload(b"\xef\xbb\xbf" + csv.encode()), "reason": REASON}  # "Dry run" unticked
    response = client.post(IMPORT_URL.format(seeded.pk), data)
    assert response.status_code == 302
    assert response.url == CHANGE_URL.format(seeded.pk)
    assert fake.calls == [(seeded, "status.csv", csv, {"user": editor, "dry_run": False, "reason": REASON})]
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert shown == ["status.csv: 1 created, 2 updated, 3 unchanged"]


def test_the_upload_form_starts_as_a_dry_run(client, seeded, staff_member):
    staff_member("editor")
    form = client.get(IMPORT_URL.format(seeded.pk)).context["form"]
    assert form["dry_run"].value() is True


def test_a_dry_run_lists_each_row_it_would_change_and_offers_the_real_import(
    client, seeded, staff_member, monkeypatch
):
    staff_member("editor")
    rows = [
        imports.RowChange(2, "Côte d'Ivoire", False, ["date: 2025-10-25 → 2025-10-26"]),
        imports.RowChange(5, "Azerbaijan", True, ["ratification of 2026-11-20"]),
    ]
    fake = FakeImport(imports.ImportSummary(created=1, updated=4, unchanged=3, dry_run=True, rows=rows))
    monkeypatch.setattr(imports, "import_status", fake)
    data = {"file": upload(b"participant,signature_date\n"), "dry_run": "on", "reason": REASON}
    response = client.post(IMPORT_URL.format(seeded.pk), data)
    assert response.status_code == 200  # the preview, not a redirect
    assert fake.calls[0][3]["dry_run"] is True
    html = response.content.decode()
    assert "Dry run of status.csv: nothing was written" in html
    assert escape("date: 2025-10-25 → 2025-10-26") in html and "ratification of 2026-11-20" in html
    assert "… and 3 more rows to create or change" in html  # 5 changes, 2 listed
    again = response.context["form"]
    assert again["dry_run"].value() is False and again["reason"].value() == REASON


def test_a_rejected_upload_lists_every_problem(client, seeded, staff_member, monkeypatch):
    staff_member("editor")
    problems = [
        "row 5: Unknown participant 'Austira'. Did you mean 'Austria'?",
        "row 9: 'soon' is not a date",
    ]
    monkeypatch.setattr(imports, "import_status", FakeImport(imports.ImportRejected(problems)))
    response = client.post(IMPORT_URL.format(seeded.pk), {"file": upload(b"participant\nAustira\n")})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported: the file has 2 problems." in html
    assert all(f"<li>{escape(problem)}</li>" in html for problem in problems)


def test_only_staff_who_may_add_and_change_actions_may_upload(client, seeded, staff_member, monkeypatch):
    fake = FakeImport(imports.ImportSummary())
    monkeypatch.setattr(imports, "import_status", fake)
    staff_member("viewer")
    assert client.get(IMPORT_URL.format(seeded.pk)).status_code == 403
    assert client.post(IMPORT_URL.format(seeded.pk), {"file": upload(b"participant\n")}).status_code == 403
    assert fake.calls == []


def test_a_file_that_is_not_utf8_is_a_form_error(client, seeded, staff_member, monkeypatch):
    staff_member("editor")
    fake = FakeImport(imports.ImportSummary())
    monkeypatch.setattr(imports, "import_status", fake)
    latin1 = "participant\nCôte d'Ivoire\n".encode("latin-1")
    response = client.post(IMPORT_URL.format(seeded.pk), {"file": upload(latin1)})
    assert response.status_code == 200
    assert "The file is not UTF-8 text." in response.content.decode()
    assert fake.calls == []


# REAL IMPORT SERVICE: the one upload test that runs tracker.imports.import_status itself.
def test_real_import_service_an_upload_of_a_known_signature_leaves_it_unchanged(client, seeded, staff_member):
    staff_member("editor")
    csv = b"participant,signature_date,action,action_date\nAustria,2025-10-25,,\n"
    response = client.post(IMPORT_URL.format(seeded.pk), {"file": upload(csv)}, follow=True)
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1 and "unchanged" in shown[0]
    assert Participant.objects.get(name="Austria").actions.get().date == date(2025, 10, 25)


# REAL IMPORT SERVICE: a rejection as the service words it, end to end.
def test_real_import_service_a_file_with_an_unknown_participant_writes_nothing(client, seeded, staff_member):
    staff_member("editor")
    csv = b"participant,signature_date,action,action_date\nAustira,2025-10-25,,\n"
    before = Action.history.count()
    response = client.post(IMPORT_URL.format(seeded.pk), {"file": upload(csv)})
    assert response.status_code == 200
    assert "row 2" in " ".join(response.context["problems"])
    assert Action.history.count() == before


# --- Sources that records still cite cannot be deleted --------------------------------

SOURCE_DELETE_URL = "/admin/tracker/source/{}/delete/"
SOURCE_LIST_URL = "/admin/tracker/source/"


def made_up_source(name: str = "made-up-report") -> Source:
    """A source nothing cites yet (made up for the tests)."""
    return Source.objects.create(url=f"https://example.org/{name}", publisher="example.org")


def delete_selected(*sources, confirm: bool = True) -> dict:
    """The POST of the changelist's "Delete selected sources" action, confirmed or not."""
    data = {"action": "delete_selected", "_selected_action": [source.pk for source in sources]}
    return data | {"post": "yes"} if confirm else data


def test_the_delete_page_of_a_source_cited_only_by_an_action_refuses_and_links_the_action(
    client, seeded, staff_member
):
    staff_member("editor")
    source = made_up_source()
    austria = Action.objects.get(treaty=seeded, participant__name="Austria")
    austria.sources.add(source)
    html = client.get(SOURCE_DELETE_URL.format(source.pk)).content.decode()
    assert "Cannot delete source" in html
    assert "cannot be deleted: these records cite it" in html
    assert f'<a href="/admin/signatories/action/{austria.pk}/change/">{escape(austria)}</a>' in html
    response = client.post(SOURCE_DELETE_URL.format(source.pk), {"post": "yes"})
    assert response.status_code == 200  # the refusal again, not a redirect to the list
    assert austria.sources.filter(pk=source.pk).exists()


def test_deleting_selected_sources_refuses_if_one_is_cited_by_a_domestic_step_and_deletes_none(
    client, seeded, staff_member
):
    staff_member("editor")
    cited, uncited = made_up_source("cited"), made_up_source("uncited")
    step = DomesticStep.objects.filter(treaty=seeded).first()
    step.sources.add(cited)
    response = client.post(SOURCE_LIST_URL, delete_selected(cited, uncited))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cannot delete sources" in html
    assert "These sources cannot be deleted, and none was" in html
    assert f'<a href="/admin/signatories/domesticstep/{step.pk}/change/">{escape(step)}</a>' in html
    assert Source.objects.filter(pk__in=[cited.pk, uncited.pk]).count() == 2
    assert step.sources.filter(pk=cited.pk).exists()


def test_the_refusal_lists_each_citing_record_once_however_many_selected_sources_it_cites(
    client, seeded, staff_member
):
    staff_member("editor")
    first, second = made_up_source("first"), made_up_source("second")
    austria = Action.objects.get(treaty=seeded, participant__name="Austria")
    austria.sources.add(first, second)
    figure = ReportedFigure.objects.filter(treaty=seeded).first()  # Django itself protects its source
    response = client.post(SOURCE_LIST_URL, delete_selected(first, second, figure.source, confirm=False))
    protected = response.context["protected"]
    assert sum(f"/admin/signatories/action/{austria.pk}/change/" in entry for entry in protected) == 1
    assert sum(f"/admin/tracker/reportedfigure/{figure.pk}/change/" in entry for entry in protected) == 1


def test_an_editor_deletes_a_source_nothing_cites_and_the_history_names_them(client, db, staff_member):
    editor = staff_member("editor")
    source = made_up_source()
    assert client.get(SOURCE_DELETE_URL.format(source.pk)).context["protected"] == []
    response = client.post(SOURCE_DELETE_URL.format(source.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()
    assert Source.history.get(id=source.pk, history_type="-").history_user == editor


def test_deleting_selected_sources_that_nothing_cites_deletes_them_all(client, db, staff_member):
    staff_member("editor")
    sources = [made_up_source("one"), made_up_source("two")]
    response = client.post(SOURCE_LIST_URL, delete_selected(*sources))
    assert response.status_code == 302
    assert not Source.objects.filter(pk__in=[source.pk for source in sources]).exists()


def test_a_link_made_after_the_confirmation_page_still_stops_the_deletion(
    client, seeded, staff_member, monkeypatch
):
    # As if an action started citing the source between the check of the page and the
    # deletion: the deletion itself, through the service, still refuses, and says so.
    staff_member("editor")
    source = made_up_source()
    austria = Action.objects.get(treaty=seeded, participant__name="Austria")
    austria.sources.add(source)
    unchecked = lambda self, objs, request: ([], {}, set(), [])  # noqa: E731
    monkeypatch.setattr(SourceAdmin, "get_deleted_objects", unchecked)
    for url, data in [
        (SOURCE_DELETE_URL.format(source.pk), {"post": "yes"}),
        (SOURCE_LIST_URL, delete_selected(source)),
    ]:
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"] == url
        [message] = get_messages(response.wsgi_request)
        assert "Nothing was deleted" in str(message) and str(austria) in str(message)
        client.get(url)  # shows, and so uses up, the message
    assert austria.sources.filter(pk=source.pk).exists()
    assert not LogEntry.objects.filter(object_id=str(source.pk), action_flag=DELETION).exists()


# --- Names, lists and forms that staff read at a glance ---------------------------------


def test_every_model_whose_name_ends_in_a_consonant_and_y_is_named_with_ies_in_the_plural():
    models = [*apps.get_app_config("tracker").get_models(), *apps.get_app_config("signatories").get_models()]
    for model in models:
        singular, plural = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
        if re.search(r"[^aeiou]y$", singular):
            assert plural == singular[:-1] + "ies", model._meta.label
    assert "Deliveries" in [str(m._meta.verbose_name_plural).capitalize() for m in models]


def test_the_admin_home_lists_the_deliveries_by_their_plural(admin_client, db):
    html = admin_client.get("/admin/").content.decode()
    assert ">Deliveries</a>" in html and "Deliverys" not in html


@pytest.mark.parametrize(
    "url", ["/admin/tracker/citation/add/", "/admin/tracker/reportedfigure/add/", "/admin/tracker/subscription/add/"]
)
def test_every_add_form_that_asks_for_a_treaty_has_the_only_one_chosen(url, admin_client, seeded):
    assert admin_client.get(url).context["adminform"].form["treaty"].value() == seeded.pk


def test_the_treaty_given_in_the_address_wins_over_the_only_one(admin_client, seeded):
    form = admin_client.get("/admin/tracker/citation/add/", {"treaty": ""}).context["adminform"].form
    assert form["treaty"].value() in ("", None)


def test_a_citation_list_names_its_source_without_the_address(admin_client, seeded):
    html = admin_client.get("/admin/tracker/citation/").content.decode()
    citation = seeded.citations.select_related("source").filter(source__publisher__gt="").first()
    assert f'<td class="field-cited_source">{escape(citation.source.publisher)}' in html
    assert f'<td class="field-cited_source">{escape(str(citation.source.url))}' not in html


def test_a_deliverys_list_shows_the_first_line_of_its_error_cut_short(admin_client, seeded):
    from tracker.alerts.models import Alert, Delivery, Subscription

    subscription = Subscription.objects.create(email="reader@example.org", treaty=seeded)
    alert = Alert.objects.create(treaty=seeded, key="threshold-20", kind="threshold")
    error = "550 5.1.1 " + "no such mailbox " * 20 + "\nthe rest of the answer"
    Delivery.objects.create(alert=alert, subscription=subscription, status="failed", error=error)
    response = admin_client.get("/admin/tracker/delivery/")
    cell = re.search(r'<td class="field-short_error">(.*?)</td>', response.content.decode()).group(1)
    assert cell.startswith("550 5.1.1 no such mailbox") and cell.endswith("…") and len(cell) == 80
    assert "the rest of the answer" not in cell
