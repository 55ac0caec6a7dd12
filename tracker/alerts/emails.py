"""Alert emails: subject, text and HTML from templates, with one-click unsubscribe.

One function builds every kind of message; the templates under templates/alerts/email/
say what each kind reads like. Links carry signed tokens, so no secret is stored.

An email says what is true when it is sent: the count, what remains and the date of
entry into force come from the treaty's status at send time (``SendTimeFacts``, computed
once per treaty per batch, not per email); what happened (the milestone, who deposited
since the previous alert, the deadline) comes from the alert's facts, recorded at the
check. Every alert email links to its preferences and to one-click unsubscribe, in its
text and its HTML.
"""

import time
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse

UNSUBSCRIBE_SALT = "tracker.alerts.unsubscribe"
CONFIRM_SALT = "tracker.alerts.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 60 * 60  # an unconfirmed subscription expires after a week


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_token(subscription) -> str:
    return signing.dumps({"s": subscription.pk, "e": subscription.email}, salt=UNSUBSCRIBE_SALT)


def confirm_token(subscription) -> str:
    return signing.dumps({"s": subscription.pk, "e": subscription.email}, salt=CONFIRM_SALT)


def read_token(token: str, salt: str, max_age: int | None = None) -> dict | None:
    """The token's content, or None if it was tampered with or is too old."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None


def unsubscribe_url(token: str) -> str:
    """The one-click unsubscribe page of the subscription ``token`` (unsubscribe_token) names."""
    return absolute(reverse("alerts:unsubscribe", args=[token]))


def manage_url(token: str) -> str:
    """The preferences page; it takes the same token as unsubscribing."""
    return absolute(reverse("alerts:manage", args=[token]))


# Stand-ins for a recipient's own links in an alert rendered once for a batch; none is
# changed by HTML escaping, and no alert's text can contain them.
UNSUBSCRIBE_LINK = "@@tracker-unsubscribe-url@@"
MANAGE_LINK = "@@tracker-manage-url@@"


class SendTimeFacts:
    """What a batch of emails shares, computed when they are sent and kept ``max_age``
    seconds: each treaty's figures (one status per treaty, not per email), and each
    alert's subject, text and HTML rendered from them, with the recipient's links left
    as stand-ins that ``build_message`` fills in."""

    def __init__(self, max_age: float = 60):
        self.max_age = max_age
        self._facts: dict[int, tuple[float, dict]] = {}
        self._parts: dict[int, tuple[dict, tuple[str, str, str]]] = {}

    def of(self, treaty) -> dict:
        from tracker.alerts.selectors import send_time_facts

        found = self._facts.get(treaty.pk)
        if found is None or time.monotonic() - found[0] > self.max_age:
            found = (time.monotonic(), send_time_facts(treaty))
            self._facts[treaty.pk] = found
        return found[1]

    def parts(self, alert) -> tuple[str, str, str]:
        """The alert's subject, text and HTML on the treaty's figures of ``of``."""
        current = self.of(alert.treaty)
        found = self._parts.get(alert.pk)
        if found is None or found[0] is not current:  # rendered on figures since renewed
            found = (current, render_parts(f"alert_{alert.kind}", alert_context(alert, current)))
            self._parts[alert.pk] = found
        return found[1]


def render_text(name: str, context: dict) -> str:
    """A plain-text template, not HTML-escaped: “Côte d'Ivoire” stays as it is."""
    return engines["django"].engine.get_template(name).render(Context(context, autoescape=False))


def render_parts(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of an email from its three templates."""
    subject = " ".join(render_text(f"alerts/email/{template}_subject.txt", context).split())
    text = render_text(f"alerts/email/{template}.txt", context)
    html = render_to_string(f"alerts/email/{template}.html", context)
    return subject, text, html


def build_message(delivery, connection=None, now: SendTimeFacts | None = None) -> EmailMultiAlternatives:
    """The email of one delivery, with the same Message-ID on every attempt.

    The treaty's figures, and the alert rendered on them, come from ``now``, else from
    the batch's connection (see ``smtp_connection``), else are computed for this email.
    """
    alert, subscription = delivery.alert, delivery.subscription
    now = now or getattr(connection, "send_time_facts", None) or SendTimeFacts()
    token = unsubscribe_token(subscription)
    unsubscribe, manage = unsubscribe_url(token), manage_url(token)
    subject, text, html = (
        part.replace(UNSUBSCRIBE_LINK, unsubscribe).replace(MANAGE_LINK, manage) for part in now.parts(alert)
    )
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[subscription.email],
        connection=connection,
        headers={
            "Message-ID": delivery.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def alert_context(alert, current: dict) -> dict:
    """The templates' context of an alert: the same for every recipient (their links are
    stand-ins), so that a batch renders each alert once."""
    return {
        "alert": alert,
        "facts": alert.facts,
        "now": current,
        "treaty": alert.treaty,
        "treaty_url": absolute(reverse("treaty", args=[alert.treaty.slug])),
        "unsubscribe_url": UNSUBSCRIBE_LINK,
        "manage_url": MANAGE_LINK,
    } | kind_context(alert, current)


def kind_context(alert, current: dict) -> dict:
    """What the templates of one kind need beyond the facts, as of the send."""
    facts = alert.facts
    if alert.kind == "entry_into_force":
        # The date as it stands now (a correction since the check wins), else the check's.
        day = current["entry_into_force_on"] or date.fromisoformat(facts["entry_into_force_on"])
        if current["entry_into_force_on"]:
            on_or_before = current["on_or_before"]
        else:
            on_or_before = facts.get("on_or_before", False)
        return {
            "in_force_alert": alert.key.endswith(":in-force"),
            "entry_into_force_on": day,
            "on_or_before": on_or_before,
            "days_since_entry_into_force": (current["as_of"] - day).days,
            "deposited_since": facts.get("deposited_since"),
        }
    if alert.kind == "threshold":
        return {"milestone": int(facts["milestone"]), "deposited_since": facts.get("deposited_since")}
    if alert.kind == "deadline":
        closes = date.fromisoformat(facts["closes_on"])
        return {"closes_on": closes, "days_left": (closes - current["as_of"]).days}
    return {}


def confirmation_message(subscription) -> EmailMultiAlternatives:
    """The double opt-in email: a link to confirm the subscription."""
    context = {
        "subscription": subscription,
        "treaty": subscription.treaty,
        "confirm_url": absolute(reverse("alerts:confirm", args=[confirm_token(subscription)])),
    }
    subject, text, html = render_parts("confirm", context)
    message = EmailMultiAlternatives(subject, text, to=[subscription.email])
    message.attach_alternative(html, "text/html")
    return message


@contextmanager
def smtp_connection():
    """One connection for a batch of emails, closed at the end whatever happens. It carries
    the batch's ``SendTimeFacts``, so that build_message computes each treaty's figures once."""
    connection = get_connection()
    connection.send_time_facts = SendTimeFacts()
    connection.open()
    try:
        yield connection
    finally:
        connection.close()
