"""Every writer goes through the services: the admin (forms, inlines, deletions, a revert
from the history), the API and the services themselves change the data version in the
write's transaction and, when actions changed, queue one alert check after the commit.
A write that fails validation writes nothing, and says nothing."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from signatories.models import Action, Participant, ParticipantAlias
from signatories.services import record_action
from tests.admin_forms import change_form_data
from tests.helpers import ensure_roles
from tracker import dataversion, writes
from tracker.models import Source

pytestmark = pytest.mark.django_db

ACTIONS = "/admin/signatories/action/"
API = "/api/v1/"


def checks(callbacks) -> int:
    """How many alert checks the captured after-commit callbacks queue."""
    return sum(1 for callback in callbacks if callback is writes.enqueue_check)


def azerbaijan_ratifies(treaty, **fields) -> Action:
    azerbaijan = Participant.objects.get(name="Azerbaijan")
    return record_action(treaty=treaty, participant=azerbaijan, kind="ratification", date=date(2026, 11, 2), **fields)


def new_action_data(treaty, **changes) -> dict:
    return {
        "treaty": treaty.pk,
        "participant": Participant.objects.get(name="Azerbaijan").pk,
        "kind": "ratification",
        "date": "2026-11-20",
        "date_precision": "exact",
        "confidence": "official",
    } | changes


@pytest.fixture
def editor_token(django_user_model):
    ensure_roles()
    user = django_user_model.objects.create_user(username="editor", password="not-used")
    user.groups.add(Group.objects.get(name="editor"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.user = user
    return client


# --- the admin -----------------------------------------------------------------------------


def test_an_action_added_in_the_admin_changes_the_data_version_and_queues_one_alert_check(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        # Saved without a source, as confirmed (the form asks: signatories.admin.ActionForm).
        response = admin_client.post(f"{ACTIONS}add/", new_action_data(seeded, save_without_source="on"))
    assert response.status_code == 302
    action = Action.objects.get(participant__name="Azerbaijan", kind="ratification")
    assert action.history.get().history_change_reason == "admin"  # no reason typed
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_an_action_s_sources_changed_in_the_admin_are_saved_once_and_change_the_data_version(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    action = azerbaijan_ratifies(seeded)
    source = Source.objects.create(url="https://example.org/azerbaijan-ratifies")
    url = f"{ACTIONS}{action.pk}/change/"
    data = change_form_data(admin_client.get(url), sources=[source.pk], change_reason="Cites the gazette")
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        assert admin_client.post(url, data).status_code == 302
    assert list(action.sources.all()) == [source]
    assert action.history.latest().history_change_reason == "Cites the gazette"
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_an_action_deleted_in_the_admin_changes_the_data_version_and_queues_one_alert_check(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    action = azerbaijan_ratifies(seeded)
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        assert admin_client.post(f"{ACTIONS}{action.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Action.objects.filter(pk=action.pk).exists()
    assert Action.history.get(id=action.pk, history_type="-").history_change_reason == "admin"
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_actions_deleted_together_from_the_admin_list_change_the_data_version_and_queue_one_check(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    chosen = list(Action.objects.filter(treaty=seeded).order_by("pk").values_list("pk", flat=True)[:3])
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            ACTIONS, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
        )
    assert response.status_code == 302
    assert not Action.objects.filter(pk__in=chosen).exists()
    assert Action.history.filter(id__in=chosen, history_type="-").count() == 3
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_an_alias_added_in_a_participant_s_inline_changes_the_data_version_without_an_alert_check(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    austria = Participant.objects.get(name="Austria")
    url = f"/admin/signatories/participant/{austria.pk}/change/"
    data = change_form_data(admin_client.get(url))
    row = int(data["aliases-TOTAL_FORMS"])
    data |= {"aliases-TOTAL_FORMS": str(row + 1), f"aliases-{row}-name": "Österreich", "change_reason": "Its own name"}
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        assert admin_client.post(url, data).status_code == 302
    alias = ParticipantAlias.objects.get(name="Österreich")
    assert alias.history.get().history_change_reason == "Its own name"
    assert dataversion.data_version() != before
    assert checks(callbacks) == 0  # no action changed


def test_a_revert_from_the_history_page_goes_through_the_service(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    action = azerbaijan_ratifies(seeded, note="first")
    action.note = "corrected"
    writes.save_valid(action, "correction")
    first = action.history.earliest()
    url = f"{ACTIONS}{action.pk}/history/{first.history_id}/"
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        assert admin_client.post(url, change_form_data(admin_client.get(url))).status_code == 302
    action.refresh_from_db()
    assert action.note == "first"
    assert action.history.latest().history_change_reason == "admin"
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_an_invalid_action_in_the_admin_writes_nothing_and_changes_no_data_version(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    before, count = dataversion.data_version(), Action.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(f"{ACTIONS}add/", new_action_data(seeded, date="2030-01-01"))
    assert response.status_code == 200  # the form again, with its error
    assert "is in the future" in response.content.decode()
    assert (Action.objects.count(), dataversion.data_version()) == (count, before)
    assert checks(callbacks) == 0


# --- the API -------------------------------------------------------------------------------


def test_an_action_created_through_the_api_changes_the_data_version_and_queues_one_alert_check(
    seeded, editor_token, django_capture_on_commit_callbacks
):
    source = Source.objects.create(url="https://example.org/azerbaijan")
    body = {"treaty": "hanoi-convention", "participant": "AZE", "kind": "ratification", "date": "2026-11-02",
            "sources": [source.pk]}  # fmt: skip
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        response = editor_token.post(f"{API}actions/", body, format="json")
    assert response.status_code == 201, response.json()
    action = Action.objects.get(pk=response.json()["id"])
    cited = {"id": source.pk, "title": None, "url": "https://example.org/azerbaijan", "kind": "web"}
    assert (list(action.sources.all()), response.json()["sources"]) == ([source], [cited])
    assert (action.history.get().history_user, action.history.get().history_change_reason) == (
        editor_token.user,
        "API",
    )
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_an_action_updated_through_the_api_changes_the_data_version_and_queues_one_alert_check(
    seeded, editor_token, django_capture_on_commit_callbacks
):
    action = azerbaijan_ratifies(seeded)
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        response = editor_token.patch(f"{API}actions/{action.pk}/", {"note": "per the gazette"}, format="json")
    assert response.status_code == 200, response.json()
    action.refresh_from_db()
    assert action.note == "per the gazette"
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_an_action_deleted_through_the_api_changes_the_data_version_and_queues_one_alert_check(
    seeded, editor_token, django_capture_on_commit_callbacks
):
    action = azerbaijan_ratifies(seeded)
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        assert editor_token.delete(f"{API}actions/{action.pk}/").status_code == 204
    assert not Action.objects.filter(pk=action.pk).exists()
    assert Action.history.get(id=action.pk, history_type="-").history_user == editor_token.user
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_a_domestic_step_created_through_the_api_changes_the_data_version_without_an_alert_check(
    seeded, editor_token, django_capture_on_commit_callbacks
):
    body = {"treaty": "hanoi-convention", "participant": "AZE", "date": "2026-11-01", "step": "Parliament voted"}
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        assert editor_token.post(f"{API}domestic-steps/", body, format="json").status_code == 201
    assert dataversion.data_version() != before
    assert checks(callbacks) == 0


def test_an_invalid_update_through_the_api_is_a_400_naming_the_field_and_writes_nothing(
    seeded, editor_token, django_capture_on_commit_callbacks
):
    action = azerbaijan_ratifies(seeded)
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        response = editor_token.patch(f"{API}actions/{action.pk}/", {"date": "2030-01-01"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert list(response.json()["errors"]) == ["date"]
    action.refresh_from_db()
    assert action.date == date(2026, 11, 2)
    assert (action.history.count(), dataversion.data_version()) == (1, before)
    assert checks(callbacks) == 0


def test_a_serializer_cannot_save_behind_the_services_back(seeded):
    from tracker.api.serializers import SourceSerializer

    serializer = SourceSerializer(data={"url": "https://example.org/x"})
    assert serializer.is_valid(), serializer.errors
    with pytest.raises(NotImplementedError):
        serializer.save()
    assert not Source.objects.filter(url="https://example.org/x").exists()


# --- the services --------------------------------------------------------------------------


def test_record_action_changes_the_data_version_and_queues_one_alert_check(
    seeded, django_capture_on_commit_callbacks
):
    before = dataversion.data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        azerbaijan_ratifies(seeded)
    assert dataversion.data_version() != before
    assert checks(callbacks) == 1


def test_a_save_that_fails_validation_writes_nothing_and_says_nothing(seeded, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    before, count = dataversion.data_version(), Action.objects.count()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        azerbaijan_ratifies(seeded, withdrawn_on=date(2026, 1, 1))  # before the action
    assert (Action.objects.count(), dataversion.data_version()) == (count, before)
    assert callbacks == []


def test_a_participant_with_actions_is_not_deleted_and_the_refusal_names_them(seeded):
    from django.db.models import ProtectedError

    from tracker.services import delete_valid

    austria = Participant.objects.get(name="Austria")
    with pytest.raises(ProtectedError, match="still refer to Austria"):
        delete_valid(austria, "test")
    assert Participant.objects.filter(pk=austria.pk).exists()
