"""Subscribing with double opt-in, managing preferences and one-click unsubscribe; what
alert emails say and where their links lead.

The confirmation email is a Celery task queued once the request commits: here it runs
eagerly, in this process, when the request's on-commit callbacks run.
"""

import html
import os
import re
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from signatories.models import Action, Participant
from signatories.services import record_action
from tests.conftest import NEW_YORK
from tracker.alerts import services
from tracker.alerts.emails import UNSUBSCRIBE_SALT, SendTimeFacts, build_message, read_token, unsubscribe_token
from tracker.alerts.models import Alert, Delivery, Subscription
from tracker.rules import ActionKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, django_capture_on_commit_callbacks, eager_tasks):
    """POST the subscribe form and run what its commit queues (the confirmation email)."""

    def send(data: dict, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/alerts/subscribe/", data, **headers)

    return send


def link(message, path: str) -> str:
    return re.search(rf"http://[^/\s]+(/alerts/{path}/[^/\s]+/)", message.body).group(1)


def test_subscribing_mails_a_confirmation_link_and_confirming_takes_a_post(client, post, seeded):
    response = post({"email": "Reader@Example.org", "treaty": "hanoi-convention"})
    assert "Check your inbox" in response.content.decode()
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.confirmed_at, subscription.kinds) == (
        "reader@example.org", None, ["threshold", "entry_into_force", "deadline", "participant"],
    )  # fmt: skip
    [message] = mail.outbox
    confirm = link(message, "confirm")
    assert "Confirm alerts for reader@example.org" in client.get(confirm).content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None  # a GET (a mail scanner) confirms nothing
    assert "Confirmed" in client.post(confirm).content.decode()
    subscription.refresh_from_db()
    assert subscription.active


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(post, seeded):
    first = post({"email": "known@example.org", "treaty": "hanoi-convention"})
    Subscription.objects.update(confirmed_at="2026-11-01T00:00:00Z")
    again = post({"email": "known@example.org", "treaty": "hanoi-convention"})
    other = post({"email": "other@example.org", "treaty": "hanoi-convention"})

    def strip(response):
        return response.content.decode().replace("known@example.org", "X").replace("other@example.org", "X")

    assert strip(first) == strip(again) == strip(other)
    assert [m.to for m in mail.outbox] == [["known@example.org"], ["other@example.org"]]  # not the confirmed one again


def test_choosing_kinds_and_following_a_participant(post, seeded):
    post({"email": "a@example.org", "treaty": "hanoi-convention", "participant": "AUT", "wants_participant": "on"})
    subscription = Subscription.objects.get()
    assert subscription.participant.name == "Austria"
    assert subscription.kinds == ["participant"]


def test_a_bad_request_shows_the_form_with_its_errors(post, seeded):
    response = post({"email": "not-an-address", "treaty": "no-such-treaty"})
    page = response.content.decode()
    assert "Enter a valid email address." in page and "No treaty is tracked under that name." in page
    assert not Subscription.objects.exists()


def test_a_misspelt_participant_is_a_field_error_that_names_the_nearest(post, seeded):
    response = post({"email": "a@example.org", "treaty": "hanoi-convention", "participant": "Germny"})
    assert response.status_code == 200
    assert response.context["form"].errors["participant"] == ["Unknown participant 'Germny'. Did you mean 'Germany'?"]
    assert "Did you mean 'Germany'?" in html.unescape(response.content.decode())
    assert not Subscription.objects.exists() and mail.outbox == []


def test_the_form_is_rate_limited_by_address_of_origin(post, seeded):
    for n in range(10):
        assert post({"email": f"a{n}@example.org", "treaty": "hanoi-convention"}).status_code == 200
    refused = post({"email": "late@example.org", "treaty": "hanoi-convention"})
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert 'option value="hanoi-convention"' in refused.content.decode()  # the form is still whole
    assert not Subscription.objects.filter(email="late@example.org").exists()


def test_a_confirmation_link_expires_after_seven_days(client, post, seeded, time_machine):
    post({"email": "late@example.org", "treaty": "hanoi-convention"})
    confirm = link(mail.outbox[0], "confirm")
    time_machine.move_to("2026-12-01T12:00:00+00:00")
    assert client.post(confirm).status_code == 404
    assert Subscription.objects.get().confirmed_at is None


def test_one_click_unsubscribe_works_without_a_form(seeded):
    subscription = Subscription.objects.create(email="a@example.org", treaty=seeded, confirmed_at="2026-11-01T00:00:00Z")
    client = Client(enforce_csrf_checks=True)  # as a mail client would post it
    response = client.post(
        f"/alerts/unsubscribe/{unsubscribe_token(subscription)}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert not subscription.active


def test_a_tampered_link_is_refused(client, seeded):
    subscription = Subscription.objects.create(email="a@example.org", treaty=seeded, confirmed_at="2026-11-01T00:00:00Z")
    token = unsubscribe_token(subscription)
    assert client.post(f"/alerts/unsubscribe/{token[:-2]}xx/").status_code == 404
    subscription.refresh_from_db()
    assert subscription.active


def test_preferences_can_be_changed_from_the_emails_link(client, seeded):
    subscription = Subscription.objects.create(email="a@example.org", treaty=seeded, confirmed_at="2026-11-01T00:00:00Z")
    url = f"/alerts/manage/{unsubscribe_token(subscription)}/"
    assert "Threshold milestones (10, 20, 30, 35, 38, 39 and 40 of 40 instruments)" in client.get(url).content.decode()
    assert client.post(url, {"wants_deadline": "on"}).status_code == 200
    subscription.refresh_from_db()
    assert subscription.kinds == ["deadline"]


# --- Milestones in the form --------------------------------------------------------------


def test_with_one_treaty_the_form_names_its_milestones(client, seeded):
    page = client.get("/alerts/subscribe/").content.decode()
    assert "Threshold milestones (10, 20, 30, 35, 38, 39 and 40 of 40 instruments)" in page


def test_the_chosen_treatys_milestones_are_in_the_label_and_none_before_a_choice(client, seeded, make_treaty):
    make_treaty(slug="small-treaty", short_title="Small Treaty", threshold=8)
    assert "(2, 3, 4, 6, 7 and 8 of 8 instruments)" in client.get("/alerts/subscribe/?treaty=small-treaty").content.decode()
    unchosen = client.get("/alerts/subscribe/").content.decode()
    assert "Threshold milestones (each quarter of the threshold, and 5, 2 and 1 instruments before it)" in unchosen
    invalid = client.post("/alerts/subscribe/", {"email": "bad", "treaty": "hanoi-convention"}).content.decode()
    assert "(10, 20, 30, 35, 38, 39 and 40 of 40 instruments)" in invalid


def test_a_treaty_takes_its_own_milestones_and_refuses_a_bad_list(make_treaty):
    treaty = make_treaty(threshold=55)
    assert treaty.milestones == (14, 28, 42, 50, 53, 54, 55)
    treaty.alert_milestones = "10, 25"
    treaty.full_clean()
    assert treaty.milestones == (10, 25, 55)
    treaty.alert_milestones = "10, 60"
    with pytest.raises(ValidationError) as refused:
        treaty.full_clean()
    assert refused.value.message_dict == {
        "alert_milestones": ["60 is above the threshold (55): a milestone is at most the threshold."]
    }


# --- What alert emails say, and where their links lead ---------------------------------------


def deposit(treaty, name: str, day: date, **fields) -> Action:
    return record_action(treaty=treaty, participant=Participant.objects.get(name=name), kind=ActionKind.RATIFICATION,
                         date=day, **fields)  # fmt: skip


def signatories(treaty, count: int) -> list[str]:
    return list(
        Participant.objects.filter(actions__treaty=treaty, kind="state").order_by("name").values_list("name", flat=True)
    )[:count]


def message_of(alert_key: str, subscription: Subscription):
    alert = Alert.objects.get(key=alert_key)
    delivery = Delivery.objects.create(alert=alert, subscription=subscription)
    return build_message(Delivery.objects.select_related("alert__treaty", "subscription").get(pk=delivery.pk))


def test_a_threshold_alert_says_the_count_when_it_is_sent_and_who_deposited_since_the_last_one(seeded, time_machine):
    reader = Subscription.objects.create(email="r@example.org", treaty=seeded, confirmed_at=timezone.now())
    names = signatories(seeded, 21)
    for name in names[:10]:
        deposit(seeded, name, date(2026, 11, 20))
    services.check_treaty(seeded, date(2026, 11, 22))
    time_machine.move_to(datetime(2026, 11, 22, 13, tzinfo=NEW_YORK), tick=False)
    for name in names[10:20]:
        deposit(seeded, name, date(2026, 11, 21))
    services.check_treaty(seeded, date(2026, 11, 22))  # "20 of 40": the ten since "10"
    deposit(seeded, names[20], date(2026, 11, 22))  # after the check, before the send

    message = message_of("threshold:20", reader)
    assert message.subject == "Hanoi Convention: 21 of 40 instruments deposited, 19 to go"
    assert "21 of the 40 instruments" in message.body and "19 more are needed" in message.body
    assert "this alert was recorded when the count reached 20" in message.body
    since = re.findall(r"^- (.+): ratification, (\S+)$", message.body, re.MULTILINE)
    assert since == [(name, "2026-11-21") for name in sorted(names[10:20])]
    page, _ = message.alternatives[0]
    assert "<strong>21 of 40</strong>" in page and f"<li>{html.escape(names[10])}: ratification, 2026-11-21</li>" in page


def test_every_alert_email_links_to_its_preferences_and_to_unsubscribe_in_text_and_html(client, seeded):
    reader = Subscription.objects.create(email="r@example.org", treaty=seeded, confirmed_at=timezone.now())
    for name in signatories(seeded, 10):
        deposit(seeded, name, date(2026, 11, 20))
    services.check_treaty(seeded, date(2026, 11, 22))  # "10 of 40", and countdown notices (suppressed)
    assert {a.kind for a in Alert.objects.all()} == {"threshold", "deadline"}
    for alert in Alert.objects.all():
        message = message_of(alert.key, reader)
        page, _ = message.alternatives[0]
        for path in ("manage", "unsubscribe"):
            url = re.search(rf"{re.escape(settings.SITE_URL)}/alerts/{path}/[^/\s]+/", message.body).group(0)
            assert f'href="{url}"' in page
            assert client.get(url.removeprefix(settings.SITE_URL)).status_code == 200


def test_a_batch_renders_each_alert_once_yet_every_recipient_gets_their_own_links(seeded, django_assert_num_queries):
    readers = [Subscription.objects.create(email=f"r{n}@example.org", treaty=seeded, confirmed_at=timezone.now())
               for n in range(3)]  # fmt: skip
    names = signatories(seeded, 11)
    for name in names[:10]:
        deposit(seeded, name, date(2026, 11, 20))
    services.check_treaty(seeded, date(2026, 11, 22))
    alert = Alert.objects.get(key="threshold:10")
    deliveries = [Delivery.objects.create(alert=alert, subscription=reader) for reader in readers]
    batch = list(Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).select_related("alert__treaty", "subscription"))
    first = SendTimeFacts()
    with django_assert_num_queries(1):  # one status for the three, its actions in one query
        messages = [build_message(delivery, now=first) for delivery in batch]
    for reader, message in zip(readers, messages):
        token = re.fullmatch(r"<http\S+/alerts/unsubscribe/([^/]+)/>", message.extra_headers["List-Unsubscribe"])[1]
        assert read_token(token, UNSUBSCRIBE_SALT) == {"s": reader.pk, "e": reader.email}
        assert message.body.count(token) == 2 and message.alternatives[0][0].count(token) == 2  # manage, unsubscribe
        assert message.to == [reader.email] and "@@" not in message.body + message.alternatives[0][0]
    deposit(seeded, names[10], date(2026, 11, 22))
    assert "10 of 40" in build_message(batch[0], now=first).subject  # the batch's figures
    assert "11 of 40" in build_message(batch[0], now=SendTimeFacts(max_age=0)).subject  # figures renewed


@pytest.mark.parametrize("on_or_before", [False, True], ids=["exact", "on or before"])
def test_entry_into_force_is_stated_on_or_before_when_a_record_is(seeded, time_machine, on_or_before):
    """39 instruments on 19 November, the 40th on (or on or before) the 20th."""
    reader = Subscription.objects.create(email="r@example.org", treaty=seeded, confirmed_at=timezone.now())
    *first, last = signatories(seeded, 40)
    for name in first:
        deposit(seeded, name, date(2026, 11, 19))
    deposit(seeded, last, date(2026, 11, 20), date_precision="on_or_before" if on_or_before else "exact")
    services.check_treaty(seeded, date(2026, 11, 22))
    fixed = message_of("entry-into-force:2027-02-18:fixed", reader)
    time_machine.move_to(datetime(2027, 2, 18, 12, tzinfo=NEW_YORK), tick=False)
    services.check_treaty(seeded, date(2027, 2, 18))
    day = message_of("entry-into-force:2027-02-18:in-force", reader)
    if on_or_before:
        assert fixed.subject == "Hanoi Convention will enter into force on or before 2027-02-18"
        assert "reached on or before 2026-11-20 (a record is dated “on or before”): the Hanoi Convention will enter " \
               "into force on or before 2027-02-18." in fixed.body
        assert f"- {last}: ratification, on or before 2026-11-20" in fixed.body
        assert day.subject == "Hanoi Convention is in force by 2027-02-18 at the latest"
        assert "may have entered into force earlier" in day.body and "today" not in day.body
        assert "in force by 2027-02-18 at the latest</strong>" in day.alternatives[0][0]
    else:
        assert fixed.subject == "Hanoi Convention will enter into force on 2027-02-18"
        assert "deposited on 2026-11-20: the Hanoi Convention will enter into force on 2027-02-18." in fixed.body
        assert day.subject == "Hanoi Convention enters into force today, 2027-02-18"


def test_an_in_force_alert_sent_late_does_not_say_today(seeded, time_machine):
    reader = Subscription.objects.create(email="r@example.org", treaty=seeded, confirmed_at=timezone.now())
    for name in signatories(seeded, 40):
        deposit(seeded, name, date(2026, 11, 20))
    time_machine.move_to(datetime(2027, 2, 18, 12, tzinfo=NEW_YORK), tick=False)
    services.check_treaty(seeded, date(2027, 2, 18))
    time_machine.move_to(datetime(2027, 2, 20, 12, tzinfo=NEW_YORK), tick=False)  # the queue was stuck two days
    message = message_of("entry-into-force:2027-02-18:in-force", reader)
    assert message.subject == "Hanoi Convention entered into force on 2027-02-18"


# --- SITE_URL follows HOST and PORT ------------------------------------------------------------

ROOT = Path(settings.BASE_DIR)
SHOW_SITE_URL = (
    "import os, time, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
    "from django.conf import settings; print('{0}', os.environ['PORT'], settings.SITE_URL, flush=True); time.sleep(4)"
)


def clean_environment(tmp_path) -> dict[str, str]:
    drop = {"SITE_URL", "HOST", "PORT", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_BROKER_URL",
            "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}  # fmt: skip
    return {k: v for k, v in os.environ.items() if k not in drop} | {"TRACKER_VAR_DIR": str(tmp_path)}


def site_url_with(tmp_path, **variables) -> str:
    code = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); " \
           "from django.conf import settings; print(settings.SITE_URL)"  # fmt: skip
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_environment(tmp_path) | variables,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert found.returncode == 0, found.stderr
    return found.stdout.strip().splitlines()[-1]


def test_site_url_defaults_to_the_host_and_port_the_web_process_binds(tmp_path):
    assert site_url_with(tmp_path) == "http://127.0.0.1:8000"
    assert site_url_with(tmp_path, PORT="8101") == "http://127.0.0.1:8101"
    assert site_url_with(tmp_path, HOST="tracker.lan", PORT="9000") == "http://tracker.lan:9000"
    assert site_url_with(tmp_path, PORT="8101", SITE_URL="https://tracker.example.org") == "https://tracker.example.org"


@pytest.mark.integration
def test_make_run_gives_the_worker_links_to_the_port_the_web_process_serves(tmp_path):
    """`PORT=8101 make run`: honcho gives the worker PORT=8201, yet its emails link to 8101.
    The Makefile's honcho command runs here on a Procfile whose processes print what they see."""
    dry = subprocess.run(["make", "--no-print-directory", "-n", "run"], cwd=ROOT, env=clean_environment(tmp_path) | {"PORT": "8101"},
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    command = dry.stdout[dry.stdout.rindex("DJANGO_DEBUG="):].replace("\\\n", " ").strip()
    assert command.endswith("-f Procfile"), command
    procfile = tmp_path / "Procfile"
    procfile.write_text("".join(f'{name}: {sys.executable} -c "{SHOW_SITE_URL.format(name)}"\n' for name in ("web", "worker")))
    command = command.removesuffix("-f Procfile") + f"-f {procfile} -d {ROOT}"
    started = time.monotonic()
    ran = subprocess.run(["sh", "-c", command], cwd=ROOT, env=clean_environment(tmp_path) | {"PORT": "8101"},
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    seen = dict(re.findall(r"\| (web|worker) (\d+ http://\S+)", ran.stdout))
    assert seen == {"web": "8101 http://127.0.0.1:8101", "worker": "8201 http://127.0.0.1:8101"}, (ran.stdout, ran.stderr)
    assert time.monotonic() - started < 60
