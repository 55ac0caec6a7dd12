"""The MIME form of alert emails: spliced from one skeleton per alert per batch, yet byte
for byte the message Django would build and flatten for each recipient.

The deposits here are made up for the tests; the treaty and participants are seeded.
"""

import email
import re
from datetime import date
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.utils import timezone

from signatories.models import Participant
from signatories.services import record_action
from tracker.alerts import services
from tracker.alerts.emails import (
    LINE_LIMIT,
    MANAGE_LINK,
    UNSUBSCRIBE_LINK,
    SendTimeFacts,
    Skeleton,
    SplicedMessage,
    build_message,
)
from tracker.alerts.models import Alert, Delivery, Subscription
from tracker.rules import ActionKind

pytestmark = pytest.mark.django_db

# Addresses whose headers fold or encode differently: short, long enough to fold, an
# internationalised domain (sent as punycode) and a display-name-free plus address.
ADDRESSES = [
    "r@example.org",
    "a.reader.with.a.rather.long.address.that.makes.headers.long@subdomain.of.a.long.example.org",
    "leser@bücher.example",
    "reader+alerts@example.org",
]


def alerts_with_deliveries(treaty) -> list[Delivery]:
    """Deliveries of every alert of a check (a milestone and countdown notices) to each address."""
    signatories = Participant.objects.filter(actions__treaty=treaty, kind="state").order_by("name")[:10]
    for participant in signatories:
        record_action(treaty=treaty, participant=participant, kind=ActionKind.RATIFICATION, date=date(2026, 11, 20))
    services.check_treaty(treaty, date(2026, 11, 22))
    readers = [
        Subscription.objects.create(email=address, treaty=treaty, confirmed_at=timezone.now()) for address in ADDRESSES
    ]
    for alert in Alert.objects.all():
        Delivery.objects.bulk_create([Delivery(alert=alert, subscription=reader) for reader in readers])
    return list(Delivery.objects.select_related("alert__treaty", "subscription").order_by("pk"))


def django_bytes(message: EmailMultiAlternatives, boundary: str) -> bytes:
    """What Django's SMTP backend sends for ``message`` built by Django itself, with the
    boundary its generator would have drawn at random set to ``boundary``."""
    built = EmailMultiAlternatives.message(message)
    built.set_boundary(boundary)
    return built.as_bytes(linesep="\r\n")


def boundary_of(data: bytes) -> str:
    return email.message_from_bytes(data).get_boundary()


def test_a_spliced_alert_email_is_byte_for_byte_the_message_django_would_build(seeded):
    deliveries = alerts_with_deliveries(seeded)
    assert {d.alert.kind for d in deliveries} == {"threshold", "deadline"}
    batch = SendTimeFacts()
    with mock.patch("django.core.mail.message.formatdate", return_value="Sun, 22 Nov 2026 12:00:00 -0000"):
        for delivery in deliveries:
            message = build_message(delivery, now=batch)
            spliced = message.message()
            assert isinstance(spliced, SplicedMessage), "the skeleton was used"
            data = spliced.as_bytes(linesep="\r\n")
            assert data == django_bytes(message, boundary_of(data)), delivery.subscription.email


def test_each_recipient_gets_their_own_boundary_headers_and_links(seeded):
    deliveries = [d for d in alerts_with_deliveries(seeded) if d.alert.key == "threshold:10"]
    batch = SendTimeFacts()
    sent = [email.message_from_bytes(build_message(d, now=batch).message().as_bytes()) for d in deliveries]
    assert len({m.get_boundary() for m in sent}) == len(sent)
    for delivery, message in zip(deliveries, sent):
        assert message["Message-ID"] == delivery.message_id
        assert "@@" not in message.as_string()
        text, page = (part.get_payload(decode=True).decode() for part in message.get_payload())
        unsubscribe = re.fullmatch(r"<(\S+)>", "".join(message["List-Unsubscribe"].split()))[1]
        assert unsubscribe in text and f'href="{unsubscribe}"' in page
    assert len({m["List-Unsubscribe"] for m in sent}) == len(sent)


def test_the_outbox_holds_the_same_email_as_before(seeded):
    """The tests' backend (locmem) keeps the EmailMultiAlternatives: subject, body, HTML,
    recipient and headers are what build_message gave, whether or not it was spliced."""
    [delivery] = [d for d in alerts_with_deliveries(seeded) if d.alert.key == "threshold:10"][:1]
    build_message(delivery, now=SendTimeFacts()).send()
    [sent] = mail.outbox
    assert sent.to == [delivery.subscription.email] and sent.extra_headers["Message-ID"] == delivery.message_id
    assert sent.subject == "Hanoi Convention: 10 of 40 instruments deposited, 30 to go"
    assert isinstance(sent.message(), SplicedMessage)


def test_links_that_would_make_a_line_too_long_for_8bit_leave_the_email_to_django():
    """Django encodes a body quoted-printable when a line is longer than the limit: an
    email whose links make a line that long is built by Django whole."""
    line = "x" * (LINE_LIMIT - len(UNSUBSCRIBE_LINK) - 10) + UNSUBSCRIBE_LINK
    skeleton = Skeleton.build("Subject", f"{line}\n{MANAGE_LINK}\n", f"<a href='{MANAGE_LINK}'>m</a>")
    assert skeleton is not None
    short, long = "https://t.example/u/1/", "https://t.example/u/" + "1" * 40 + "/"
    common = ("r@example.org", "<m@example.org>", "<https://t.example/u/1/>")
    assert skeleton.render(*common, short, "https://t.example/m/1/", encoding="utf-8") is not None
    assert skeleton.render(*common, long, "https://t.example/m/1/", encoding="utf-8") is None
    too_long_already = "y" * (LINE_LIMIT + 1)
    assert Skeleton.build("Subject", f"{too_long_already}\n{UNSUBSCRIBE_LINK}\n", "<p></p>") is None


def test_sending_a_batch_takes_one_update_per_email_and_a_few_queries_more(seeded, django_assert_max_num_queries):
    """One conditional UPDATE per email records it as sent before the next is sent (the
    duplicate guarantee); the rest of the batch's queries do not grow with its size."""
    alerts_with_deliveries(seeded)
    Delivery.objects.exclude(alert__key="threshold:10").delete()
    claim = services.claim_deliveries()
    assert len(claim.ids) == len(ADDRESSES)
    with django_assert_max_num_queries(len(claim.ids) + 4):  # the batch, the status (+ its actions), renew
        assert services.send_batch(claim)["sent"] == len(claim.ids)
    assert Delivery.objects.filter(status="sent", lease_until__isnull=True).count() == len(ADDRESSES)


def test_a_recipient_s_address_with_a_newline_is_refused_as_django_refuses_it(seeded):
    [delivery] = [d for d in alerts_with_deliveries(seeded) if d.alert.key == "threshold:10"][:1]
    delivery.subscription.email = "r@example.org\nBcc: x@example.org"
    with pytest.raises(BadHeaderError):
        build_message(delivery, now=SendTimeFacts()).message()


def test_an_email_s_links_are_the_urls_reverse_gives_for_its_token(seeded):
    from django.urls import reverse

    from tracker.alerts.emails import absolute, manage_url, unsubscribe_token, unsubscribe_url

    reader = Subscription.objects.create(email="r@example.org", treaty=seeded, confirmed_at=timezone.now())
    token = unsubscribe_token(reader)
    assert unsubscribe_url(token) == absolute(reverse("alerts:unsubscribe", args=[token]))
    assert manage_url(token) == absolute(reverse("alerts:manage", args=[token]))
    odd = "not a signed token"  # never made by signing (a space), still the URL reverse() gives
    assert unsubscribe_url(odd) == absolute(reverse("alerts:unsubscribe", args=[odd]))
