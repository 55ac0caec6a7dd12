"""Alert emails: subject, text and HTML from templates, with one-click unsubscribe.

One function builds every kind of message; the templates under templates/alerts/email/
say what each kind reads like. Links carry signed tokens, so no secret is stored.
"""

from contextlib import contextmanager

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
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


def unsubscribe_url(subscription) -> str:
    return absolute(reverse("alerts:unsubscribe", args=[unsubscribe_token(subscription)]))


def render_parts(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of an email from its three templates."""
    subject = " ".join(render_to_string(f"alerts/email/{template}_subject.txt", context).split())
    text = render_to_string(f"alerts/email/{template}.txt", context)
    html = render_to_string(f"alerts/email/{template}.html", context)
    return subject, text, html


def build_message(delivery, connection=None) -> EmailMultiAlternatives:
    """The email of one delivery, with the same Message-ID on every attempt."""
    alert, subscription = delivery.alert, delivery.subscription
    context = {
        "alert": alert,
        "facts": alert.facts,
        "treaty": alert.treaty,
        "treaty_url": absolute(reverse("treaty", args=[alert.treaty.slug])),
        "unsubscribe_url": unsubscribe_url(subscription),
        "subscription": subscription,
    }
    subject, text, html = render_parts(f"alert_{alert.kind}", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[subscription.email],
        connection=connection,
        headers={
            "Message-ID": delivery.message_id,
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


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
    """One connection for a batch of emails, closed at the end whatever happens."""
    connection = get_connection()
    connection.open()
    try:
        yield connection
    finally:
        connection.close()
