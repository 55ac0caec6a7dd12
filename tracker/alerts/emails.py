"""Alert emails: subject, text and HTML from templates, with one-click unsubscribe.

One function builds every kind of message; the templates under templates/alerts/email/
say what each kind reads like. Links carry signed tokens, so no secret is stored.

An email says what is true when it is sent: the count, what remains and the date of
entry into force come from the treaty's status at send time (``SendTimeFacts``, computed
once per treaty per batch, not per email); what happened (the milestone, who deposited
since the previous alert, the deadline) comes from the alert's facts, recorded at the
check. Every alert email links to its preferences and to one-click unsubscribe, in its
text and its HTML.

The MIME form of an alert email is built once per alert per batch too (``Skeleton``):
Django's own message, flattened with stand-ins for what differs from one recipient to
the next (To, Date, Message-ID, List-Unsubscribe, the two links and the MIME boundary).
Each email is that skeleton with its recipient's values spliced in, folded and encoded
by the same functions Django's message would use, so that the bytes are those Django
would send; an email the skeleton cannot give exactly (a line the links would make too
long for 8bit) is built by Django whole. Flattening a message per email was most of the
CPU time of sending (the header folding, and a regular expression compiled per message
to choose its boundary).
"""

import functools
import random
import re
import sys
import time
from contextlib import contextmanager
from datetime import date
from email import message_from_bytes
from email import policy as email_policy

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail import message as django_message
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

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
    return token_url("alerts:unsubscribe", token)


def manage_url(token: str) -> str:
    """The preferences page; it takes the same token as unsubscribing."""
    return token_url("alerts:manage", token)


# What signing.dumps gives: URL-safe base64 and colons, which reverse() leaves as they are.
URL_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_\-:]+")
TOKEN_STANDIN = "tracker-token-stand-in"


def token_url(name: str, token: str) -> str:
    """The absolute URL of the page ``name`` for ``token``: reversed once per process
    around a stand-in, as reverse() on each email's token was a tenth of its CPU time."""
    if not URL_SAFE_TOKEN.fullmatch(token):
        return absolute(reverse(name, args=[token]))
    before, after = url_around_token(name, settings.SITE_URL, get_script_prefix(), get_urlconf())
    return before + token + after


@functools.lru_cache(maxsize=32)
def url_around_token(name: str, site_url: str, script_prefix: str, urlconf) -> tuple[str, str]:
    before, _, after = absolute(reverse(name, args=[TOKEN_STANDIN])).partition(TOKEN_STANDIN)
    return before, after


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
        self._skeletons: dict[int, tuple[tuple[str, str, str], "Skeleton | None"]] = {}

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

    def skeleton(self, alert) -> "Skeleton | None":
        """The alert's MIME skeleton on the parts of ``parts`` (None: each email is built whole)."""
        parts = self.parts(alert)
        found = self._skeletons.get(alert.pk)
        if found is None or found[0] is not parts:  # built on parts since rendered again
            found = (parts, Skeleton.build(*parts))
            self._skeletons[alert.pk] = found
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


def build_message(delivery, connection=None, now: SendTimeFacts | None = None) -> "AlertEmail":
    """The email of one delivery, with the same Message-ID on every attempt.

    The treaty's figures, the alert rendered on them and its MIME skeleton come from
    ``now``, else from the batch's connection (see ``smtp_connection``), else are
    computed for this email.
    """
    alert, subscription = delivery.alert, delivery.subscription
    now = now or getattr(connection, "send_time_facts", None) or SendTimeFacts()
    token = unsubscribe_token(subscription)
    unsubscribe, manage = unsubscribe_url(token), manage_url(token)
    subject, text, html = (
        part.replace(UNSUBSCRIBE_LINK, unsubscribe).replace(MANAGE_LINK, manage) for part in now.parts(alert)
    )
    message = AlertEmail(
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
    message.spliced_from = (now.skeleton(alert), unsubscribe, manage)
    return message


class AlertEmail(EmailMultiAlternatives):
    """An alert email: an EmailMultiAlternatives like any other (the outbox of the tests
    holds these), whose ``message()`` is spliced from the batch's skeleton of the alert
    rather than built and flattened afresh, when ``spliced_from`` is set."""

    spliced_from: "tuple[Skeleton | None, str, str] | None" = None

    def message(self):
        if self.spliced_from and self.spliced_from[0] and len(self.to) == 1 and not (self.cc or self.bcc):
            skeleton, unsubscribe, manage = self.spliced_from
            data = skeleton.render(
                self.to[0], self.extra_headers["Message-ID"], self.extra_headers["List-Unsubscribe"],
                unsubscribe, manage, encoding=self.encoding or settings.DEFAULT_CHARSET,
            )  # fmt: skip
            if data is not None:
                return SplicedMessage(data)
        return super().message()


class SplicedMessage:
    """The flattened MIME bytes of an alert email, with the two methods Django's backends
    call on a message; anything else is asked of the message parsed from them."""

    def __init__(self, data: bytes):
        self.data = data  # with CRLF line ends, as the SMTP backend asks for
        self._parsed = None

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        if unixfrom:
            return self.parsed.as_bytes(unixfrom=True, linesep=linesep)
        return self.data if linesep == "\r\n" else self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(unixfrom, linesep).decode("utf-8", "surrogateescape")

    @property
    def parsed(self):
        if self._parsed is None:
            self._parsed = message_from_bytes(self.data, policy=email_policy.compat32)
        return self._parsed

    def __getitem__(self, name):
        return self.parsed[name]

    def __getattr__(self, name):
        return getattr(self.parsed, name)


# How Django's SMTP backend flattens a message: compat32 headers, CRLF line ends.
SMTP_POLICY = email_policy.compat32.clone(linesep="\r\n")
# The generator's own boundaries have this form and length ("=" * 15, 19 digits, "=="),
# so a boundary spliced in makes the Content-Type header fold as the generator's does.
BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))
BOUNDARY_STANDIN = "=" * 15 + "0" * BOUNDARY_DIGITS + "=="
# Stand-ins for the recipient's headers in a skeleton; none is a real address or id.
TO_STANDIN = "recipient@tracker-stand-in.invalid"
MESSAGE_ID_STANDIN = "<message-id@tracker-stand-in.invalid>"
LIST_UNSUBSCRIBE_STANDIN = f"<{UNSUBSCRIBE_LINK}>"
# What Django's SafeMIMEText checks: a longer line makes the body quoted-printable.
LINE_LIMIT = django_message.RFC5322_EMAIL_LINE_LENGTH_LIMIT


def header_line(name: str, value: str, encoding: str) -> bytes:
    """The header as Django's message stores it (checked for newlines, encoded if need
    be) and as the SMTP backend's flattening folds it."""
    name, value = django_message.forbid_multi_line_headers(name, value, encoding)
    return SMTP_POLICY.fold_binary(name, value)


@functools.lru_cache(maxsize=4)
def date_line(value: str, encoding: str) -> bytes:
    """The Date header, the same for every email sent within one second."""
    return header_line("Date", value, encoding)


class Skeleton:
    """An alert's email flattened once, with stand-ins for each recipient's values.

    ``head`` is the top-level headers; ``body`` the rest, MIME parts included, where only
    the links and the boundary differ between recipients. ``long_lines`` are, for each
    line of the text and HTML that holds a link, its length in bytes and how many of each
    link it holds: with a recipient's links, a line over LINE_LIMIT would have made Django
    encode that body quoted-printable, which the skeleton's 8bit body is not.
    """

    def __init__(self, head: bytes, body: bytes, standins: dict[str, bytes], lines: list[tuple[int, int, int]]):
        self.head, self.body, self.standins, self.lines = head, body, standins, lines

    @classmethod
    def build(cls, subject: str, text: str, html: str) -> "Skeleton | None":
        """The skeleton of an email of these parts (still holding UNSUBSCRIBE_LINK and
        MANAGE_LINK), or None if it cannot stand for every recipient's email."""
        encoding = settings.DEFAULT_CHARSET
        email = EmailMultiAlternatives(
            subject, text, to=[TO_STANDIN],
            headers={"Message-ID": MESSAGE_ID_STANDIN, "List-Unsubscribe": LIST_UNSUBSCRIBE_STANDIN,
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )  # fmt: skip
        email.attach_alternative(html, "text/html")
        message = email.message()
        if any(part.get("Content-Transfer-Encoding") not in ("7bit", "8bit") for part in message.get_payload()):
            return None  # quoted-printable already: a link's length changes its encoding
        message.set_boundary(BOUNDARY_STANDIN)
        data = message.as_bytes(linesep="\r\n")
        standins = {
            "To": header_line("To", TO_STANDIN, encoding),
            "Date": header_line("Date", message["Date"], encoding),
            "Message-ID": header_line("Message-ID", MESSAGE_ID_STANDIN, encoding),
            "List-Unsubscribe": header_line("List-Unsubscribe", LIST_UNSUBSCRIBE_STANDIN, encoding),
        }
        head, blank, body = data.partition(b"\r\n\r\n")
        head += b"\r\n"
        found_once = all(head.count(line) == 1 for line in standins.values())
        links = (UNSUBSCRIBE_LINK.encode(), MANAGE_LINK.encode(), BOUNDARY_STANDIN.encode())
        other_headers = head.replace(standins["List-Unsubscribe"], b"")
        if not blank or not found_once or any(link in other_headers for link in links[:2]) or data.count(links[2]) != 4:
            return None  # not the shape this splicing knows: build every email whole
        lines = [
            (len(line.encode(errors="surrogateescape")), line.count(UNSUBSCRIBE_LINK), line.count(MANAGE_LINK))
            for part in (text, html)
            for line in part.splitlines()
            if UNSUBSCRIBE_LINK in line or MANAGE_LINK in line
        ]
        return cls(head, b"\r\n" + body, standins, lines)

    def render(self, to: str, message_id: str, list_unsubscribe: str, unsubscribe: str, manage: str,
               encoding: str) -> bytes | None:  # fmt: skip
        """The bytes of one recipient's email, or None if Django would encode it otherwise."""
        grow_u, grow_m = len(unsubscribe) - len(UNSUBSCRIBE_LINK), len(manage) - len(MANAGE_LINK)
        if any(size + u * grow_u + m * grow_m > LINE_LIMIT for size, u, m in self.lines):
            return None
        day = django_message.formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        head = self.head.replace(self.standins["Date"], date_line(day, encoding))
        for name, value in (("To", to), ("Message-ID", message_id), ("List-Unsubscribe", list_unsubscribe)):
            head = head.replace(self.standins[name], header_line(name, value, encoding))
        body = self.body.replace(UNSUBSCRIBE_LINK.encode(), unsubscribe.encode()).replace(
            MANAGE_LINK.encode(), manage.encode()
        )
        return (head + body).replace(BOUNDARY_STANDIN.encode(), new_boundary(body).encode())


def new_boundary(body: bytes) -> str:
    """A boundary as the email generator makes one, absent from the body (the generator
    checks only whole lines; any occurrence is refused here)."""
    while True:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{BOUNDARY_DIGITS}d}" + "=="
        if boundary.encode() not in body:
            return boundary


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
