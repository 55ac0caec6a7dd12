"""What staff see of the depositary sync in the admin, and the rule as superusers edit it
(the same validation as `set_rule`)."""

from pathlib import Path

from django.utils import timezone

from tests.admin_forms import change_form_data
from tracker.models import Treaty
from tracker.sync.models import DepositarySync
from tracker.sync.services import import_page
from tracker.depositary import parse_status_page

PAGE = Path(__file__).resolve().parent.parent / "depositary" / "pages" / "ottawa.html"
CHANGE_URL = "/admin/tracker/treaty/{}/change/"


def test_a_superuser_gets_the_same_errors_for_a_bad_rule_as_set_rule_gives(admin_client, seeded):
    page = admin_client.get(CHANGE_URL.format(seeded.pk))
    response = admin_client.post(
        CHANGE_URL.format(seeded.pk),
        change_form_data(page, entry_into_force_delay="90 days", required_participants="FRA,XYZ"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "entry_into_force_delay" in errors and "XYZ" in " ".join(errors["required_participants"])
    assert Treaty.objects.get(pk=seeded.pk).entry_into_force_delay == "90d"


def test_a_superuser_sets_a_month_rule_in_the_admin(admin_client, seeded):
    page = admin_client.get(CHANGE_URL.format(seeded.pk))
    admin_client.post(CHANGE_URL.format(seeded.pk), change_form_data(page, entry_into_force_delay="6m,first-of-month"))
    assert Treaty.objects.get(pk=seeded.pk).entry_into_force_delay == "6m,first-of-month"


def test_staff_see_the_failed_reads_of_the_depositary(admin_client, seeded):
    DepositarySync.objects.create(treaty=seeded, source=seeded.depositary_url, started_at=timezone.now(),
                                  outcome="fetch_failed", error="HTTP 503 Service Unavailable from …")
    response = admin_client.get("/admin/tracker/depositarysync/?failed=yes")
    assert response.status_code == 200
    assert "HTTP 503 Service Unavailable" in response.content.decode()


def test_what_the_import_brought_is_shown_but_not_editable(admin_client, seeded):
    import_page(parse_status_page(PAGE.read_bytes()), slug="ottawa")
    for model in ("endnote", "depositaryentry", "depositarysync"):
        app = "signatories" if model == "depositaryentry" else "tracker"
        assert admin_client.get(f"/admin/{app}/{model}/").status_code == 200
        assert admin_client.get(f"/admin/{app}/{model}/add/").status_code == 403
    statements = admin_client.get("/admin/signatories/statement/?q=Poland")
    assert "Poland" in statements.content.decode()


def test_a_superuser_queues_a_sync_from_the_treaty_list(admin_client, seeded, monkeypatch):
    queued = []
    monkeypatch.setattr("tracker.sync.tasks.sync_depositary.apply_async", lambda **kw: queued.append(kw["args"]))
    response = admin_client.post("/admin/tracker/treaty/", {"action": "sync_now", "_selected_action": [seeded.pk]},
                                 follow=True)
    assert queued == [[["hanoi-convention"]]]
    assert "Sync queued for hanoi-convention" in response.content.decode()


def test_the_staff_digest_lists_the_failed_reads_of_the_depositary(seeded, settings, mailoutbox):
    from tracker.alerts.services import send_digest

    settings.ALERT_DIGEST_TO = ["staff@example.org"]
    now = timezone.now()
    for outcome, error in (("changed", ""), ("unreadable", "no participants table (…_tblgrid) found\nmore")):
        DepositarySync.objects.create(treaty=seeded, source=seeded.depositary_url, started_at=now, outcome=outcome,
                                      error=error)
    assert send_digest(now + timezone.timedelta(minutes=1))
    body = mailoutbox[0].body
    assert "Depositary reads since" in body and ": 2, 1 with changes, 1 failed" in body
    assert "failed: hanoi-convention at" in body and "Page not readable: no participants table (…_tblgrid) found" in body
    assert "more" not in body.split("Depositary reads")[1]
