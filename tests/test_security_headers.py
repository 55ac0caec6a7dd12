"""The headers a browser enforces: CORS for the API's reads only, the Content-Security-Policy
and the other headers of a security review, on fresh and on cached responses alike."""

import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/treaties/hanoi-convention/status/"
ELSEWHERE = "https://elsewhere.example"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_an_anonymous_read_from_another_origin_is_allowed_to_anyone_without_credentials(seeded, client):
    response = client.get(STATUS, HTTP_ORIGIN=ELSEWHERE)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_a_read_served_from_the_cache_carries_the_same_cors_header_and_varies_on_origin(seeded, client):
    first = client.get(STATUS, HTTP_ORIGIN="https://one.example")
    second = client.get(STATUS, HTTP_ORIGIN="https://two.example")
    without = client.get(STATUS)
    assert (first["X-API-Cache"], second["X-API-Cache"], without["X-API-Cache"]) == ("miss", "hit", "hit")
    assert first["Access-Control-Allow-Origin"] == second["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in without  # nothing stored with the body
    for response in (first, second, without):
        vary = {name.strip().lower() for name in response["Vary"].split(",")}
        assert {"origin", "accept"} <= vary


def test_the_preflight_of_a_read_is_allowed_and_that_of_a_write_is_refused(seeded, client):
    read = client.options(STATUS, HTTP_ORIGIN=ELSEWHERE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert read.status_code == 200
    assert read["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in read["Access-Control-Allow-Methods"]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        write = client.options(
            "/api/v1/actions/", HTTP_ORIGIN=ELSEWHERE, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
        )  # fmt: skip
        assert "Access-Control-Allow-Origin" not in write, method
        assert "Access-Control-Allow-Methods" not in write, method


def test_a_preflight_asking_to_send_a_token_is_not_allowed_the_header(seeded, client):
    response = client.options(STATUS, HTTP_ORIGIN=ELSEWHERE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")  # fmt: skip
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert "authorization" not in allowed


def test_a_write_sent_from_another_origin_gets_no_cors_header(seeded, django_user_model):
    user = django_user_model.objects.create_superuser(username="writer", password="not-used")
    holder = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = holder.post("/api/v1/sources/", {"title": "x"}, format="json", HTTP_ORIGIN=ELSEWHERE)
    assert response.status_code < 500
    assert "Access-Control-Allow-Origin" not in response


def test_the_pages_and_the_admin_get_no_cors_header(seeded, client):
    for path in ("/", "/treaties/hanoi-convention/", "/admin/login/"):
        assert "Access-Control-Allow-Origin" not in client.get(path, HTTP_ORIGIN=ELSEWHERE), path


@pytest.mark.parametrize("path", ["/", "/treaties/hanoi-convention/", "/participants/fra/", "/admin/login/",
                                  "/api/docs/", STATUS])  # fmt: skip
def test_every_response_has_a_strict_content_security_policy(seeded, client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]


def test_a_page_from_the_cache_has_the_same_policy_as_when_it_was_rendered(seeded, client):
    first = client.get("/treaties/hanoi-convention/")
    second = client.get("/treaties/hanoi-convention/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]
    assert "nonce-" not in first["Content-Security-Policy"]  # a cached body cannot carry a fresh nonce


def test_the_map_s_inline_style_is_allowed_by_its_hash_and_nothing_else_inline_is(seeded, client):
    response = client.get("/treaties/hanoi-convention/")
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script on the treaty page"
    assert not re.search(r"<[^>]+\s(style|on[a-z]+)=", html), "an inline style or event handler attribute"
    hashes = [source for source in directives(response)["style-src"] if source.startswith("'sha256-")]
    from tracker.middleware import style_hash

    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert styles and all(style_hash(style) in hashes for style in styles)


def test_the_api_reference_has_nothing_inline_and_its_policy_no_nonce(seeded, client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200 and "API reference" in html
    assert "nonce-" not in response["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script on the API reference"
    assert "<style" not in html
    assert not re.search(r"<[^>]+\s(style|on[a-z]+)=", html), "an inline style or event handler attribute"


def test_a_view_can_replace_its_own_policy_to_be_framed(rf):
    from csp.decorators import csp_replace
    from django.http import HttpResponse

    from tracker.middleware import ContentSecurityPolicyMiddleware

    @csp_replace({"frame-ancestors": ["*"]})
    def badge(request):
        return HttpResponse("badge")

    middleware = ContentSecurityPolicyMiddleware(badge)
    response = middleware(rf.get("/badge/"))
    assert directives(response)["frame-ancestors"] == ["*"]
    assert directives(response)["default-src"] == ["'self'"]


def test_the_usual_headers_of_a_security_review_are_on_every_page(seeded, client):
    for path in ("/", "/admin/login/", STATUS):
        response = client.get(path)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_the_api_reference_is_answered_304_when_the_client_has_it_already(seeded, client):
    first = client.get("/api/docs/")
    assert first.status_code == 200 and first["ETag"]
    again = client.get("/api/docs/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
