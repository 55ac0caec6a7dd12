"""The admin in a real Chromium at 1280 pixels, a laptop's width: every list shows its key
columns without scrolling sideways, with one treaty and with a second one imported from its
depositary page (which brings the depositary's end notes, entries and statements).

The clock is 2026-11-22 in New York (see conftest.py).
"""

from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone

from signatories.models import Participant
from signatories.services import record_action
from tracker.alerts.models import Alert, Delivery, Subscription
from tracker.sync.runs import import_source

pytestmark = pytest.mark.integration

PASSWORD = "a-long-test-password-1"
# A depositary status page cut by hand from the UN Treaty Collection (see tests/tracker/depositary).
CEDAW_PAGE = Path(__file__).resolve().parents[1] / "tracker" / "depositary" / "pages" / "cedaw.html"
ACTIONS = "/admin/signatories/action/"
KEY_COLUMNS = ["Participant", "Kind", "Date", "C.N. reference"]
CHANGELISTS = [
    "/admin/tracker/treaty/", "/admin/tracker/source/", "/admin/tracker/citation/",
    "/admin/tracker/reportedfigure/", "/admin/tracker/endnote/", "/admin/tracker/depositarysync/",
    "/admin/tracker/subscription/", "/admin/tracker/alert/", "/admin/tracker/delivery/",
    "/admin/signatories/participant/", "/admin/signatories/participantalias/",
    "/admin/signatories/membership/", ACTIONS, "/admin/signatories/domesticstep/",
    "/admin/signatories/depositaryentry/", "/admin/signatories/statement/",
]  # fmt: skip

# Where each column of the list ends, against the edge of what the list shows (its
# scrolling box, or the window if that is narrower).
COLUMNS = """() => {
  const box = document.querySelector('#changelist .results') || document.body;
  const edge = Math.min(box.getBoundingClientRect().right, window.innerWidth);
  return {
    edge: edge,
    pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
    columns: [...document.querySelectorAll('#result_list thead th')].map(th => ({
      name: (th.querySelector('.text') || th).innerText.trim().toLowerCase(),
      right: th.getBoundingClientRect().right,
    })),
  };
}"""


def log_in(page, django_user_model) -> None:
    django_user_model.objects.create_superuser(username="root", password=PASSWORD)
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.locator('input[type="submit"]').click()
    page.wait_for_url("**/admin/")


def hidden_columns(page) -> list[str]:
    """The columns of the list on ``page`` that end past what it shows."""
    seen = page.evaluate(COLUMNS)
    assert seen["columns"], f"{page.url} shows no list"
    hidden = [column["name"] for column in seen["columns"] if column["right"] > seen["edge"] + 0.5]
    return hidden + (["(the page scrolls sideways)"] if seen["pageScrolls"] else [])


def some_alerts(treaty) -> None:
    """A subscription, an alert and a failed delivery, made up for the lists to show a row."""
    bolivia = Participant.objects.get(name="Bolivia (Plurinational State of)")  # a long name
    reader = Subscription.objects.create(
        email="a.reader.with.a.long.address@example.org", treaty=treaty, participant=bolivia, confirmed_at=timezone.now()
    )
    alert = Alert.objects.create(treaty=treaty, key="threshold-20", kind="threshold", state="fanned_out")
    error = "550 5.1.1 The email account that you tried to reach does not exist. " * 3
    Delivery.objects.create(alert=alert, subscription=reader, status="failed", attempts=3, error=error)


def widest_action(treaty) -> None:
    """Made up for the tests: the longest name of all ratifies, with a C.N. reference as long
    as the depositary's, on a date known only as "on or before"."""
    record_action(
        treaty=treaty,
        participant=Participant.objects.get(name="United Kingdom of Great Britain and Northern Ireland"),
        kind="ratification",
        date=date(2026, 11, 2),
        date_precision="on_or_before",
        cn_reference="C.N.888.2026.TREATIES-XVIII.16",
    )


def test_the_key_columns_of_the_action_list_fit_a_1280_pixel_screen(page, site, django_user_model, snap):
    widest_action(site.treaty)
    log_in(page, django_user_model)
    assert page.goto(ACTIONS).ok
    headers = [column["name"] for column in page.evaluate(COLUMNS)["columns"]]
    assert all(name.lower() in headers for name in KEY_COLUMNS), headers
    assert hidden_columns(page) == []
    assert page.locator("#changelist-filter").is_visible()  # beside the filters, not instead of them
    snap("actions-one-treaty")


def test_the_action_list_still_fits_with_a_second_treaty_and_its_long_title(page, site, django_user_model):
    import_source(str(CEDAW_PAGE))
    widest_action(site.treaty)
    log_in(page, django_user_model)
    assert page.goto(ACTIONS).ok
    assert "treaty" in [column["name"] for column in page.evaluate(COLUMNS)["columns"]]
    assert hidden_columns(page) == []


def test_every_list_of_the_admin_fits_a_1280_pixel_screen(page, site, django_user_model):
    import_source(str(CEDAW_PAGE))
    widest_action(site.treaty)
    some_alerts(site.treaty)
    log_in(page, django_user_model)
    too_wide = {}
    for url in CHANGELISTS:
        assert page.goto(url).ok, url
        hidden = hidden_columns(page)
        if hidden:
            too_wide[url] = hidden
    assert too_wide == {}
