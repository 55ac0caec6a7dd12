"""A participant that people follow cannot be deleted: their subscriptions are not taken
with it, unrecorded (Subscription.participant is PROTECT, migration 0010)."""

import pytest
from django.db.models import ProtectedError

from signatories.models import Participant
from tracker.alerts.models import Subscription
from tracker.alerts.subscriptions import delete_subscriptions, subscribe
from tracker.services import delete_valid

pytestmark = pytest.mark.django_db

DELETE_URL = "/admin/signatories/participant/{}/delete/"


@pytest.fixture
def followed(seeded, make_participant):
    """A made-up participant with no actions, followed by one subscriber of the Hanoi Convention."""
    testland = make_participant("Testland")
    subscribe("follower@example.org", seeded, participant=testland)
    return testland


def test_the_delete_service_refuses_and_names_the_subscriptions(followed):
    with pytest.raises(ProtectedError) as refused:
        delete_valid(followed, "no longer needed")
    message = refused.value.args[0]
    assert "follower@example.org — Hanoi Convention / Testland" in message
    assert "nothing was deleted" in message
    assert Participant.objects.filter(pk=followed.pk).exists()
    assert Subscription.objects.filter(participant=followed).count() == 1


def test_the_admin_delete_page_names_the_subscriptions_and_deletes_nothing(followed, admin_client):
    page = admin_client.get(DELETE_URL.format(followed.pk)).content.decode()
    assert "would require deleting the following protected related objects" in page
    assert "follower@example.org — Hanoi Convention / Testland" in page
    response = admin_client.post(DELETE_URL.format(followed.pk), {"post": "yes"})
    assert response.status_code == 200  # the same refusal, not a redirect to the list
    assert Participant.objects.filter(pk=followed.pk).exists()
    assert Subscription.objects.filter(participant=followed).count() == 1


def test_once_its_subscriptions_are_deleted_the_participant_can_be_deleted(followed):
    pk = followed.pk
    delete_subscriptions(Subscription.objects.filter(participant=followed))
    delete_valid(followed, "no longer needed")
    assert not Participant.objects.filter(pk=pk).exists()
    # And its own deletion is in the audit history, as every deletion is.
    assert Participant.history.filter(id=pk, history_type="-").get().history_change_reason == "no longer needed"


def test_a_treaty_wide_subscription_does_not_hold_a_participant(seeded, make_participant):
    testland = make_participant("Testland")
    subscribe("everything@example.org", seeded)
    delete_valid(testland, "no longer needed")
    assert Subscription.objects.filter(email="everything@example.org").count() == 1
