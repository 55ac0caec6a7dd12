"""The admin's login locks out a username from an address after too many wrong passwords
(django-axes, config/settings.py "Admin lockout"), records it, and a superuser unlocks it."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
HERE, THERE = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="editor", password="right-password-1", is_staff=True)


def log_in(username: str, password: str, address: str = HERE):
    client = Client(REMOTE_ADDR=address)
    return client, client.post(LOGIN, {"username": username, "password": password})


def fail(times: int, username: str = "editor", address: str = HERE):
    for _ in range(times):
        _, response = log_in(username, "wrong", address)
    return response


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_four_wrong_passwords_still_let_the_right_one_in(staff):
    assert fail(4).status_code == 200  # the form again, with its error
    client, response = log_in("editor", "right-password-1")
    assert response.status_code == 302 and logged_in(client)


def test_five_wrong_passwords_lock_the_user_out_from_that_address_even_with_the_right_one(staff):
    locked = fail(5)
    assert locked.status_code == 429
    assert "Login locked" in locked.content.decode() and "editor" in locked.content.decode()
    client, response = log_in("editor", "right-password-1")
    assert response.status_code == 429
    assert not logged_in(client)


def test_the_lockout_leaves_another_user_and_the_same_user_elsewhere_alone(staff, django_user_model):
    django_user_model.objects.create_user(username="viewer", password="right-password-2", is_staff=True)
    fail(5)
    client, response = log_in("viewer", "right-password-2")
    assert response.status_code == 302 and logged_in(client)
    client, response = log_in("editor", "right-password-1", address=THERE)
    assert response.status_code == 302 and logged_in(client)


def test_behind_a_proxy_the_address_is_the_last_of_x_forwarded_for(staff, settings):
    settings.BEHIND_PROXY = True
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, {HERE}")
        client.post(LOGIN, {"username": "editor", "password": "wrong"})
    assert AccessAttempt.objects.get().ip_address == HERE
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"9.9.9.9, {HERE}")
    assert client.post(LOGIN, {"username": "editor", "password": "right-password-1"}).status_code == 429
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=THERE)
    assert client.post(LOGIN, {"username": "editor", "password": "right-password-1"}).status_code == 302


def test_every_failure_and_the_lockout_are_recorded_for_the_audit(staff):
    fail(5)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == ("editor", HERE, 5)
    assert AccessFailureLog.objects.filter(username="editor", ip_address=HERE).count() == 5
    log_in("editor", "right-password-1")
    assert not AccessLog.objects.filter(username="editor").exists()  # the locked-out login did not happen


def test_a_superuser_unlocks_by_deleting_the_attempt_in_the_admin(staff, django_user_model):
    fail(5)
    attempt = AccessAttempt.objects.get()
    superuser = django_user_model.objects.create_superuser(username="root", password="not-used")
    admin = Client(REMOTE_ADDR=THERE)
    admin.force_login(superuser)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "editor" in listing.content.decode()
    response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    client, response = log_in("editor", "right-password-1")
    assert response.status_code == 302 and logged_in(client)
    assert AccessLog.objects.filter(username="editor", ip_address=HERE).exists()


def test_the_axes_reset_username_command_unlocks_a_user(staff):
    fail(5)
    call_command("axes_reset_username", "editor")
    _, response = log_in("editor", "right-password-1")
    assert response.status_code == 302


def test_a_token_and_force_login_are_not_subject_to_the_lockout(staff):
    fail(5)
    api = APIClient(REMOTE_ADDR=HERE, HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    assert api.get("/api/v1/treaties/").status_code == 200
    client = Client(REMOTE_ADDR=HERE)
    client.force_login(staff)
    assert logged_in(client)
