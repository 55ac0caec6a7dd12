"""Alert emails through a real SMTP server process (aiosmtpd, tests/smtp_sink.py), sent
with the commands pipelined when it offers PIPELINING, and one at a time when it does not:
each email arrives once and whole, and a refusal or a dropped connection in the middle
of a batch is recorded against exactly the delivery it hit.

The deposits here are made up for the tests; the treaty and participants are seeded.
The batch is sent in this process (no worker), through Django's SMTP backend.
"""

import smtplib
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from signatories.models import Participant
from signatories.services import record_action
from tests import alert_harness
from tracker.alerts import services
from tracker.alerts.models import Delivery, DeliveryAttempt, Subscription
from tracker.alerts.smtp import Envelope, Transaction, envelope_of, sanitized
from tracker.rules import ActionKind

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
smtp_sink = alert_harness.smtp_sink  # the fixture

READERS = [f"reader{n}@example.org" for n in range(8)]


def both(**switches):
    """Against a server that offers PIPELINING, and one that does not (with ``switches``)."""
    servers = [switches | {"pipelining": True}, switches | {"pipelining": False}]
    return pytest.mark.parametrize("smtp_sink", servers, indirect=True, ids=["pipelining", "one command at a time"])


def readers_with_an_alert(treaty, readers=READERS) -> list[Delivery]:
    """Confirmed readers who want milestones only, and the "10 of 40" alert fanned out to them."""
    for address in readers:
        Subscription.objects.create(
            email=address, treaty=treaty, confirmed_at=timezone.now() - timedelta(days=1),
            wants_deadline=False, wants_entry_into_force=False, wants_participant=False,
        )  # fmt: skip
    for participant in Participant.objects.filter(actions__treaty=treaty, kind="state").order_by("name")[:10]:
        record_action(treaty=treaty, participant=participant, kind=ActionKind.RATIFICATION, date=date(2026, 11, 20))
    services.run_checks(lambda treaty: date(2026, 11, 22))
    return list(Delivery.objects.select_related("subscription").order_by("pk"))


def delivery_to(address: str) -> Delivery:
    return Delivery.objects.get(subscription__email=address)


def offers_pipelining(sink) -> bool:
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
        client.ehlo()
        return client.has_extn("pipelining")


@both()
def test_every_email_of_a_batch_arrives_once_and_whole(seeded, smtp_sink, request):
    deliveries = readers_with_an_alert(seeded)
    assert offers_pipelining(smtp_sink) is ("pipelining" in request.node.callspec.id)
    connections = len(smtp_sink.events("ehlo"))
    assert services.send_batch(services.claim_deliveries()) == {"sent": 8, "retry": 0, "failed": 0, "lost": 0}
    assert smtp_sink.stored_ids() == {d.message_id: 1 for d in deliveries}
    by_id = {message["Message-ID"]: message for message in smtp_sink.messages()}
    for delivery in deliveries:
        message = by_id[delivery.message_id]
        assert message["To"] == delivery.subscription.email
        assert message["Subject"] == "Hanoi Convention: 10 of 40 instruments deposited, 30 to go"
        assert "30 more are needed." in message.get_body(preferencelist=("plain",)).get_content()
    assert len(smtp_sink.events("ehlo")) == connections + 1, "one connection for the batch"
    assert set(Delivery.objects.values_list("status", "attempts", "error")) == {("sent", 1, "")}


def test_a_pipelined_transaction_delivers_the_bytes_smtplib_s_sendmail_delivers(smtp_sink):
    """Lines that begin with a dot are doubled on the wire and undone by the server, and a
    message without a final line end is ended; the server stores what sendmail stores."""
    data = b"Subject: dots\r\nMessage-ID: <m@example.org>\r\n\r\n.one dot\r\n..two\r\nno line end"
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=5) as client:
        client.sendmail("from@example.org", ["to@example.org"], data)
        transaction = Transaction(client, Envelope("from@example.org", ["to@example.org"], data))
        transaction.begin()
        assert transaction.finish() == {}
        assert transaction.pipelined
    first, second = sorted(smtp_sink.messages_dir.glob("*.eml"))
    assert first.read_bytes() == second.read_bytes()
    assert b"\n.one dot\r\n..two\r\n" in first.read_bytes()


def test_the_envelope_is_the_one_django_s_smtp_backend_sends(seeded):
    from django.core.mail.message import sanitize_address

    email = EmailMultiAlternatives("Subject", "Text", "Tracker <alerts@example.org>", ["leser@bücher.example"])
    envelope = envelope_of(email)
    assert envelope.sender == sanitize_address(email.from_email, "utf-8")
    assert envelope.recipients == ["leser@xn--bcher-kva.example"]
    odd = ["r@example.org", "R.Reader+tag@Sub.Example.ORG", "a!#$%&'*+/=?^_`{|}~-@x-y.example", '"quoted"@example.org',
           "Name <n@example.org>", "x@[127.0.0.1]"]  # fmt: skip
    assert [sanitized(address, "utf-8") for address in odd] == [sanitize_address(a, "utf-8") for a in odd]


@both(refuse="reader2@example.org=550,reader5@example.org=450")
def test_a_recipient_refused_in_the_middle_of_a_batch_fails_alone_and_the_rest_arrive(seeded, smtp_sink):
    deliveries = readers_with_an_alert(seeded)
    assert services.send_batch(services.claim_deliveries()) == {"sent": 6, "retry": 1, "failed": 1, "lost": 0}
    gone, greylisted = delivery_to("reader2@example.org"), delivery_to("reader5@example.org")
    assert gone.status == "failed" and "550" in gone.error and "No such user" in gone.error
    [final] = gone.failed_attempts.all()
    assert final.retry_at is None and final.number == 1
    assert greylisted.status == "pending" and greylisted.not_before > timezone.now() and "450" in greylisted.error
    [attempt] = greylisted.failed_attempts.all()
    assert attempt.retry_at == greylisted.not_before
    others = [d for d in deliveries if d.pk not in (gone.pk, greylisted.pk)]
    assert smtp_sink.stored_ids() == {d.message_id: 1 for d in others}
    assert {m["Message-ID"]: m["To"] for m in smtp_sink.messages()} == {d.message_id: d.subscription.email for d in others}
    assert len(smtp_sink.events("ehlo")) == 1, "a refusal keeps the connection"
    assert set(Delivery.objects.filter(pk__in=[d.pk for d in others]).values_list("status", "attempts")) == {("sent", 1)}


@both(refuse="bounce@example.org=550")
def test_a_refused_sender_fails_that_email_alone_and_the_next_ones_still_go(seeded, smtp_sink):
    """A refused MAIL FROM: pipelined, its RCPT TO and DATA are answered with errors too,
    and every reply is read, so the next email starts on a clean transaction."""
    readers_with_an_alert(seeded, READERS[:3])
    original = Transaction.begin

    def bounce_address_for_reader1(transaction):
        if transaction.envelope.recipients == ["reader1@example.org"]:
            transaction.envelope.sender = "bounce@example.org"
        original(transaction)

    with mock.patch.object(Transaction, "begin", bounce_address_for_reader1):
        assert services.send_batch(services.claim_deliveries()) == {"sent": 2, "retry": 0, "failed": 1, "lost": 0}
    refused = delivery_to("reader1@example.org")
    assert "SMTPSenderRefused" in refused.error and "5.7.1 Sender refused" in refused.error
    assert sorted(m["To"] for m in smtp_sink.messages()) == ["reader0@example.org", "reader2@example.org"]
    assert len(smtp_sink.events("ehlo")) == 1, "a refusal keeps the connection"


@both(hang_up="reader3@example.org=rcpt")
def test_a_connection_dropped_in_an_envelope_retries_that_delivery_and_records_the_one_before(seeded, smtp_sink):
    """The server hangs up at reader3's RCPT TO, while reader2's email (accepted just
    before) is being recorded: reader2 is sent, reader3 is retried later with the error,
    and the rest of the batch goes over a new connection."""
    deliveries = readers_with_an_alert(seeded)
    assert services.send_batch(services.claim_deliveries()) == {"sent": 7, "retry": 1, "failed": 0, "lost": 0}
    dropped = delivery_to("reader3@example.org")
    assert dropped.status == "pending" and "Connection unexpectedly closed" in dropped.error
    [attempt] = dropped.failed_attempts.all()
    assert attempt.number == 1 and attempt.retry_at == dropped.not_before
    assert delivery_to("reader2@example.org").status == "sent"
    assert smtp_sink.stored_ids() == {d.message_id: 1 for d in deliveries if d.pk != dropped.pk}
    assert len(smtp_sink.events("ehlo")) == 2, "one new connection for the rest of the batch"


@pytest.mark.parametrize("smtp_sink", [{"hang_up": "reader4@example.org=data"}], indirect=True)
def test_a_connection_dropped_before_a_message_is_answered_retries_the_same_message_later(seeded, smtp_sink):
    """The server received reader4's message and hung up instead of answering: it did not
    accept it. The delivery is retried, as the same message, each attempt on record."""
    deliveries = readers_with_an_alert(seeded)
    assert services.send_batch(services.claim_deliveries()) == {"sent": 7, "retry": 1, "failed": 0, "lost": 0}
    dropped = delivery_to("reader4@example.org")
    Delivery.objects.filter(pk=dropped.pk).update(not_before=timezone.now() - timedelta(seconds=1))  # backoff over
    assert services.send_batch(services.claim_deliveries()) == {"sent": 0, "retry": 1, "failed": 0, "lost": 0}
    dropped.refresh_from_db()
    assert (dropped.status, dropped.attempts) == ("pending", 2)
    assert [a.number for a in dropped.failed_attempts.all()] == [1, 2]
    received = [e["message_id"] for e in smtp_sink.events("data") if e["to"] == ["reader4@example.org"]]
    assert received == [dropped.message_id, dropped.message_id]
    assert smtp_sink.stored_ids() == {d.message_id: 1 for d in deliveries if d.pk != dropped.pk}


@both(refuse="reader2@example.org=421")
def test_a_421_closing_the_connection_retries_that_delivery_and_the_rest_go_over_a_new_one(seeded, smtp_sink):
    deliveries = readers_with_an_alert(seeded)
    assert services.send_batch(services.claim_deliveries()) == {"sent": 7, "retry": 1, "failed": 0, "lost": 0}
    closing = delivery_to("reader2@example.org")
    assert closing.status == "pending" and "421" in closing.error
    assert smtp_sink.stored_ids() == {d.message_id: 1 for d in deliveries if d.pk != closing.pk}
    assert len(smtp_sink.events("ehlo")) == 2


def test_an_address_django_refuses_fails_alone_and_does_not_stop_the_batch(seeded, smtp_sink):
    deliveries = readers_with_an_alert(seeded, READERS[:3])
    Subscription.objects.filter(email="reader1@example.org").update(email="reader1@example.org\nBcc: x@example.org")
    assert services.send_batch(services.claim_deliveries()) == {"sent": 2, "retry": 0, "failed": 1, "lost": 0}
    refused = Delivery.objects.get(pk=deliveries[1].pk)
    assert refused.status == "failed" and "Invalid address" in refused.error
    assert sorted(m["To"] for m in smtp_sink.messages()) == ["reader0@example.org", "reader2@example.org"]


def test_each_email_is_recorded_as_sent_before_the_next_one_is_accepted(seeded, smtp_sink):
    """The duplicate guarantee: whenever an email is recorded as sent, the server has
    accepted no email of the batch beyond it, so a worker killed at any moment leaves at
    most one accepted email unrecorded."""
    deliveries = readers_with_an_alert(seeded)
    message_id = {d.pk: d.message_id for d in deliveries}
    seen: list[tuple[str, set[str]]] = []
    original = services.record_sent

    def record_sent(delivery_id, token):
        seen.append((message_id[delivery_id], set(smtp_sink.stored_ids())))
        return original(delivery_id, token)

    with mock.patch.object(services, "record_sent", record_sent):
        services.send_batch(services.claim_deliveries())
    assert [recorded for recorded, _ in seen] == [d.message_id for d in deliveries]
    for number, (recorded, accepted) in enumerate(seen):
        assert accepted == {d.message_id for d in deliveries[: number + 1]}, f"when {recorded} was recorded"


def test_a_batch_over_smtp_takes_one_update_per_email_and_a_few_queries_more(seeded, smtp_sink,
                                                                          django_assert_max_num_queries):  # fmt: skip
    readers_with_an_alert(seeded)
    claim = services.claim_deliveries()
    with django_assert_max_num_queries(len(claim.ids) + 4):  # the batch, the status (+ its actions), renew
        assert services.send_batch(claim)["sent"] == len(READERS)


def test_a_worker_whose_lease_ran_out_sends_over_smtp_only_what_it_still_holds(seeded, smtp_sink):
    deliveries = readers_with_an_alert(seeded, READERS[:4])
    slow = services.claim_deliveries()
    Delivery.objects.filter(pk__in=slow.ids[2:]).update(lease_until=timezone.now() - timedelta(seconds=1))
    fast = services.claim_deliveries()
    slow.until = timezone.now()  # the lease is as good as gone: the next message renews it first
    assert services.send_batch(slow) == {"sent": 2, "retry": 0, "failed": 0, "lost": 2}
    assert services.send_batch(fast) == {"sent": 2, "retry": 0, "failed": 0, "lost": 0}
    assert smtp_sink.stored_ids() == {d.message_id: 1 for d in deliveries}
    assert DeliveryAttempt.objects.count() == 0
