"""Uploads are capped (settings.UPLOAD_MAX_BYTES, tracker.uploads), and so is the list of a
rejected file's problems (the first 100, then "… and N more rows")."""

import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from signatories.models import Action
from tracker import imports, uploads
from tracker.imports import ImportRejected, capped
from tracker.sync.services import PageRejected

pytestmark = pytest.mark.django_db

HEADER = "participant,signature_date,action,action_date\n"
IMPORT = "/api/v1/treaties/hanoi-convention/import/"
ADMIN_IMPORT = "/admin/tracker/treaty/{}/import/"
LIMIT = 10_000  # a small cap for the tests, so that "too large" is cheap to send


@pytest.fixture
def small_cap(settings):
    settings.UPLOAD_MAX_BYTES = LIMIT
    return LIMIT


@pytest.fixture
def editor_api(django_user_model):
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.helpers import ensure_roles

    ensure_roles()
    user = django_user_model.objects.create_user(username="editor")
    user.groups.add(Group.objects.get(name="editor"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def table_of(size: int) -> str:
    """A status table of about ``size`` bytes: known signatures, unchanged by an import."""
    row = "Austria,2025-10-25,,\n"
    return HEADER + row * (size // len(row) + 1)


def test_the_cap_is_five_megabytes_by_default():
    assert settings.UPLOAD_MAX_BYTES == 5 * 1024 * 1024
    assert settings.FILE_UPLOAD_HANDLERS[0] == "tracker.uploads.RefuseOversizedUploads"


# --- the API ---------------------------------------------------------------------------


def test_a_csv_body_past_the_cap_is_a_413_with_a_json_error_and_imports_nothing(seeded, editor_api, small_cap):
    before = Action.history.count()
    response = editor_api.post(IMPORT, table_of(LIMIT + 1), content_type="text/csv")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert "larger than the limit of 10,000 bytes" in detail and "UPLOAD_MAX_BYTES" in detail
    assert Action.history.count() == before


def test_a_body_within_the_cap_is_imported_as_before(seeded, editor_api, small_cap):
    body = "participant,signature_date,action,action_date,note\nAustria,2025-10-25,,," + "x" * (LIMIT - 150) + "\n"
    assert LIMIT - 100 < len(body.encode()) <= LIMIT
    response = editor_api.post(f"{IMPORT}?dry_run=true", body, content_type="text/csv")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "dry_run": True}


def test_the_declared_length_is_refused_before_a_byte_of_the_body_is_read(seeded, editor_api):
    # 50 MB declared, 30 bytes sent: reading past them would fail the test client's payload;
    # the answer comes from the Content-Length alone.
    response = editor_api.generic("POST", IMPORT, HEADER, content_type="text/csv", CONTENT_LENGTH=str(50 * 1024**2))
    assert response.status_code == 413
    assert "52,428,800 bytes (50 MB)" in response.json()["detail"]


def test_a_multipart_file_past_the_cap_is_a_413(seeded, editor_api, small_cap):
    upload = SimpleUploadedFile("big.csv", table_of(LIMIT + 1).encode(), content_type="text/csv")
    response = editor_api.post(IMPORT, {"file": upload}, format="multipart")
    assert response.status_code == 413
    assert "UPLOAD_MAX_BYTES" in response.json()["detail"]


def test_a_body_of_undeclared_length_is_read_at_most_one_byte_past_the_cap(small_cap):
    class Counting(io.BytesIO):
        asked = []

        def read(self, size=-1):
            self.asked.append(size)
            return super().read(size)

    stream = Counting(b"x" * (50 * LIMIT))
    with pytest.raises(uploads.UploadTooLarge):
        uploads.CSVBodyParser().parse(stream)
    assert stream.asked == [LIMIT + 1]
    assert uploads.CSVBodyParser().parse(io.BytesIO(HEADER.encode())) == {"text": HEADER}


# --- multipart bodies: the upload handler ------------------------------------------------


def parse_multipart(size: int) -> dict:
    """Django's own multipart parsing, with the project's upload handlers, of one file."""
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("t.csv", b"x" * size), "reason": "why"})
    request.upload_handlers  # noqa: B018 (builds them from FILE_UPLOAD_HANDLERS)
    parser = MultiPartParser(request.META, request, request.upload_handlers)
    post, files = parser.parse()
    return {"reason": post.get("reason"), "file": files["file"]}


def test_a_file_past_the_cap_is_dropped_as_it_arrives_and_only_its_size_is_kept(small_cap):
    parsed = parse_multipart(LIMIT * 5)
    assert isinstance(parsed["file"], uploads.OversizedUpload)
    assert parsed["file"].size == LIMIT * 5
    assert parsed["file"].read() == b""  # nothing of it was kept, in memory or on disk
    assert parsed["reason"] == "why"  # the form's other fields still arrive


def test_a_file_within_the_cap_is_uploaded_whole(small_cap):
    parsed = parse_multipart(LIMIT // 2)
    assert not isinstance(parsed["file"], uploads.OversizedUpload)
    assert parsed["file"].read() == b"x" * (LIMIT // 2)


def test_a_file_counted_past_the_cap_without_a_declared_length_is_dropped_too(small_cap):
    handler = uploads.RefuseOversizedUploads()
    handler.handle_raw_input(None, {}, None, "boundary")
    handler.new_file("file", "t.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"x" * LIMIT, 0) == b"x" * LIMIT
    assert handler.receive_data_chunk(b"x", LIMIT) is None
    assert handler.file_complete(LIMIT + 1).size == LIMIT + 1


# --- the admin ---------------------------------------------------------------------------


def test_the_admin_answers_a_file_past_the_cap_with_a_field_error_not_a_csrf_failure(
    seeded, django_user_model, small_cap, monkeypatch
):
    from django.contrib.auth.models import Group

    from tests.helpers import ensure_roles

    ensure_roles()
    calls = []
    monkeypatch.setattr(imports, "import_status", lambda *args, **kwargs: calls.append(args))
    user = django_user_model.objects.create_user(username="editor", password="not-used", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client = Client(enforce_csrf_checks=True)  # the token must still be read from the body
    client.force_login(user)
    url = ADMIN_IMPORT.format(seeded.pk)
    page = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    big = SimpleUploadedFile("big.csv", table_of(LIMIT * 3).encode(), content_type="text/csv")
    response = client.post(url, {"csrfmiddlewaretoken": token, "file": big})
    assert response.status_code == 200
    html = response.content.decode()
    assert escape("larger than the limit of 10,000 bytes") in html
    assert "UPLOAD_MAX_BYTES" in html
    assert calls == []


# --- other POSTs: Django's own limits ------------------------------------------------------


def test_the_subscribe_form_refuses_a_body_past_django_s_limit_before_reading_it(seeded, client):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse("alerts:subscribe"), {"email": "someone@example.org", "note": big})
    assert response.status_code == 400
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.UPLOAD_MAX_BYTES


# --- the problems of a rejected file --------------------------------------------------------


def bad_table(rows: int) -> str:
    return HEADER + "".join(f"Atlantis {n},2025-10-25,,\n" for n in range(rows))


def test_the_problem_list_is_capped_at_the_first_100_and_a_count():
    problems = [f"row {n}: bad" for n in range(2, 252)]
    shown = capped(problems)
    assert shown[:100] == problems[:100]
    assert shown[100:] == ["… and 150 more rows"]
    assert capped(problems[:100]) == problems[:100]  # 100 is shown whole
    error = ImportRejected(problems)
    assert (error.problems, error.shown, error.count) == (problems, shown, 250)
    assert str(error).splitlines() == shown
    page = PageRejected(problems)
    assert (page.shown, page.count, str(page).splitlines()) == (shown, 250, shown)


def test_a_rejected_api_import_answers_with_the_first_100_problems_and_the_count(seeded, editor_api):
    response = editor_api.post(IMPORT, bad_table(1000), content_type="text/csv")
    assert response.status_code == 400
    data = response.json()
    assert data["count"] == 1000
    assert len(data["rows"]) == 101
    assert data["rows"][0].startswith("row 2: ") and "Atlantis 0" in data["rows"][0]
    assert data["rows"][-1] == "… and 900 more rows"
    assert len(response.content) < 30_000


def test_a_rejected_admin_upload_lists_the_first_100_problems(seeded, client, staff_member):
    staff_member("editor")
    upload = SimpleUploadedFile("bad.csv", bad_table(300).encode(), content_type="text/csv")
    response = client.post(ADMIN_IMPORT.format(seeded.pk), {"file": upload})
    html = response.content.decode()
    items = re.findall(r"<li>(.*?)</li>", html.split('id="import-problems"', 1)[1].split("</ul>", 1)[0])
    assert len(items) == 101
    assert items[-1] == "… and 200 more rows"
