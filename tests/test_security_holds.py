"""What a security review found holding, kept so: anonymous and viewer writes refused, an
editor never changes a rule, CSRF on the forms, forged tokens refused, and the
depositary's texts, which anyone at the depositary's end could have written, escaped."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from signatories.models import Participant, Statement
from tests.helpers import ensure_roles
from tracker.models import Source, Treaty
from tracker.services import save_valid

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def api_client(django_user_model, role: str | None) -> APIClient:
    client = APIClient()
    if role:
        ensure_roles()
        user = django_user_model.objects.create_user(username=role, password="not-used")
        user.groups.add(Group.objects.get(name=role))
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("viewer", 403)])
def test_a_write_without_the_right_role_is_refused(seeded, django_user_model, role, status):
    client = api_client(django_user_model, role)
    response = client.patch("/api/v1/treaties/hanoi-convention/", {"short_title": "Changed"}, format="json")
    assert response.status_code == status
    assert Treaty.objects.get(slug="hanoi-convention").short_title == "Hanoi Convention"


def test_an_editor_cannot_change_a_rule_through_the_api(seeded, django_user_model):
    client = api_client(django_user_model, "editor")
    response = client.patch("/api/v1/treaties/hanoi-convention/", {"threshold": 2}, format="json")
    assert response.status_code == 403
    assert Treaty.objects.get(slug="hanoi-convention").threshold == 40


def test_a_forged_token_is_refused(seeded):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.patch("/api/v1/treaties/hanoi-convention/", {"short_title": "x"}, format="json").status_code == 401


def test_the_admin_login_refuses_a_post_without_its_csrf_token(db, django_user_model):
    django_user_model.objects.create_superuser(username="root", password="right-password")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "root", "password": "right-password"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_depositarys_texts_are_escaped_on_the_pages(seeded, client):
    poland = Participant.objects.get(name="Poland")
    source = save_valid(Source(url="https://treaties.un.org/Pages/ViewDetails.aspx?mtdsg_no=XVIII-16"), "test")
    Statement.objects.create(treaty=seeded, participant=poland, section=f"Declarations {HOSTILE}", text=HOSTILE,
                             source=source, as_at="2026-02-03T10:16:18Z")
    save_valid(Participant(name=f"Hostile {HOSTILE}"[:200], slug="hostile", un_member=False), "test")
    for url in ("/participants/poland/", "/treaties/hanoi-convention/", "/participants/hostile/"):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url
        if url != "/treaties/hanoi-convention/":
            assert "&lt;script&gt;alert" in body, f"{url} shows the text, escaped"
