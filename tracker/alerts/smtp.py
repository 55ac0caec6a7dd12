"""One email's SMTP transaction on an open smtplib connection, in two halves, with the
commands pipelined when the server offers PIPELINING (RFC 2920).

smtplib's ``sendmail`` waits for a reply to each of MAIL FROM, RCPT TO, DATA and the
final dot: four round trips per email, each the time the server takes to answer. Here
``begin`` writes MAIL FROM, RCPT TO and DATA at once (only MAIL FROM to a server without
PIPELINING) and returns without reading anything; ``send_message`` reads their replies
and sends the message; ``accepted`` reads the last reply: two round trips. Between them
the sender does its own work while the server answers (it records the email before this
one as sent, and builds the next one).

The outcome is smtplib's own: the same exceptions, raised on the same replies, with the
same cleanup (RSET after a refusal, the connection closed after a 421 or a hang-up), and
the bytes on the wire are those ``sendmail`` would write for the same message.
``SmtpBatch`` sends a batch of alert emails so, one overlapping the next.
"""

import functools
import re
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import message as django_message

from tracker.alerts.emails import build_message

CRLF = b"\r\n"
# RFC 5321 §3.3: a dot at the start of a line of the message is doubled (smtplib does it too).
LEADING_DOT = re.compile(rb"(?m)^\.")
# An address sanitize_address leaves as it is: a dot-atom local part and an ASCII domain of
# letters, digits and hyphens, no display name. Any other goes through Django's parser.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                           r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")  # fmt: skip


@dataclass
class Envelope:
    """What the server is told of one email: who sends it, to whom, and its bytes (CRLF)."""

    sender: str
    recipients: list[str]
    data: bytes


def envelope_of(email) -> Envelope:
    """The envelope Django's SMTP backend would send for ``email`` (an EmailMessage): the
    same sanitized addresses and the same flattened bytes."""
    encoding = email.encoding or settings.DEFAULT_CHARSET
    recipients = [sanitized(address, encoding) for address in email.recipients()]
    return Envelope(sanitized_sender(email.from_email, encoding), recipients, email.message().as_bytes(linesep="\r\n"))


@functools.lru_cache(maxsize=8)
def sanitized_sender(address: str, encoding: str) -> str:
    """The sender is the same for every email of a batch: parsed once."""
    return django_message.sanitize_address(address, encoding)


def sanitized(address: str, encoding: str) -> str:
    """``sanitize_address``'s answer; a plain address is its own answer, which spares the
    header parser (profiled, the two addresses of an email cost about as much CPU time as
    building the email itself)."""
    if isinstance(address, str) and PLAIN_ADDRESS.fullmatch(address):
        return address
    return django_message.sanitize_address(address, encoding)


class Transaction:
    """One email's MAIL FROM … final dot on ``smtp`` (an smtplib.SMTP that is connected)."""

    def __init__(self, smtp: smtplib.SMTP, envelope: Envelope):
        self.smtp, self.envelope = smtp, envelope
        self.pipelined = False

    def begin(self) -> None:
        """Write the commands that may go before any reply is read; read nothing."""
        smtp, envelope = self.smtp, self.envelope
        if not envelope.recipients:
            raise smtplib.SMTPRecipientsRefused({})
        smtp.ehlo_or_helo_if_needed()
        options = f" size={len(envelope.data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
        commands = [f"mail FROM:{smtplib.quoteaddr(envelope.sender)}{options}"]
        self.pipelined = smtp.does_esmtp and smtp.has_extn("pipelining")
        if self.pipelined:
            commands += [f"rcpt TO:{smtplib.quoteaddr(to)}" for to in envelope.recipients] + ["data"]
        for command in commands:
            if "\r" in command or "\n" in command:  # as smtplib's putcmd refuses them
                raise ValueError(f"command and arguments contain prohibited newline characters: {command!r}")
        smtp.send("".join(f"{command}\r\n" for command in commands))

    def finish(self) -> dict:
        """Send the message and read the server's answer to it (``send_message`` then
        ``accepted``): the refused recipients, when some were accepted."""
        refused = self.send_message()
        self.accepted()
        return refused

    def send_message(self) -> dict:
        """Read the replies to the commands, then send the message; its own reply is left
        to ``accepted``. Returns the refused recipients (when some were accepted), or raises
        as smtplib's sendmail does."""
        smtp, envelope = self.smtp, self.envelope
        mail = smtp.getreply()
        if self.pipelined:
            rcpts = [smtp.getreply() for _ in envelope.recipients]
            data = smtp.getreply()
        else:
            rcpts, data = [], None
        if mail[0] != 250:
            self.abandon(data, mail[0] == 421 or any(code == 421 for code, _ in rcpts))
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], envelope.sender)
        refused = self.recipients(rcpts, data)
        if data is None:  # not pipelined: DATA once the recipients are known
            smtp.putcmd("data")
            data = smtp.getreply()
        if data[0] != 354:
            self.abandon(None, data[0] == 421)
            raise smtplib.SMTPDataError(*data)
        smtp.send(LEADING_DOT.sub(b"..", envelope.data) + (b"" if envelope.data.endswith(CRLF) else CRLF) + b".\r\n")
        return refused

    def accepted(self) -> None:
        """Read the reply to the message: it returns once the server accepted it."""
        code, reply = self.smtp.getreply()
        if code != 250:
            self.abandon(None, code == 421)
            raise smtplib.SMTPDataError(code, reply)

    def recipients(self, replies: list[tuple[int, bytes]], data) -> dict:
        """The refused recipients, read from the pipelined replies (or asked one at a time)."""
        smtp, refused = self.smtp, {}
        for number, to in enumerate(self.envelope.recipients):
            code, reply = replies[number] if self.pipelined else smtp.rcpt(to)
            if code not in (250, 251):
                refused[to] = (code, reply)
            if code == 421:
                self.abandon(data, closing=True)
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(self.envelope.recipients):
            self.abandon(data, closing=False)
            raise smtplib.SMTPRecipientsRefused(refused)
        return refused

    def abandon(self, data, closing: bool) -> None:
        """End a refused transaction as smtplib does: close after a 421, else RSET. A DATA
        the server accepted in spite of the refusal (pipelined, it came before the server
        knew) is ended first with an empty message of no recipient, as RFC 2920 says."""
        smtp = self.smtp
        if closing:
            smtp.close()
            return
        try:
            if data is not None and data[0] == 354:
                smtp.send(b".\r\n")
                smtp.getreply()
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass


class SmtpBatch:
    """The emails of a batch going over one SMTP connection (a Django SMTP backend), each
    overlapping the one before: an email is built while the server reads the previous
    message, and the previous one is recorded as sent while the server answers this one's
    envelope. ``record(delivery_id)`` records a delivery as sent (False: it was not this
    worker's any more); ``failed(delivery, error)`` records a failed attempt; both return
    nothing the batch needs but the outcome's name, counted in ``outcome``.

    The duplicate guarantee of tracker.alerts.services holds as before: an email is
    recorded as sent (committed) before the next email's final dot is written, so at most
    one email the server accepted is unrecorded at any moment; only the commands that
    start the next email (which the server discards if the worker dies) go out before it.
    """

    def __init__(self, connection, outcome: dict[str, int], record, failed):
        self.connection, self.outcome, self.record_sent, self.record_failed = connection, outcome, record, failed
        self.sending: tuple | None = None  # (delivery, transaction): message written, its reply not read
        self.accepted = None  # the delivery last accepted by the server, not yet recorded

    def send(self, delivery) -> None:
        try:
            envelope = envelope_of(build_message(delivery, self.connection))
        except ValueError as error:  # an address or header Django refuses
            return self.failed(delivery, error)
        self.conclude()
        try:
            transaction = self.begin(envelope)
        except OSError as error:
            self.record()
            return self.failed(delivery, error)
        self.record()  # while the server answers the envelope
        try:
            transaction.send_message()
        except OSError as error:
            return self.failed(delivery, error)
        self.sending = (delivery, transaction)

    def begin(self, envelope: Envelope) -> Transaction:
        """Write the commands that start an email (opening the connection again if an
        earlier attempt in the batch could not)."""
        if self.connection.connection is None:
            self.connection.open()
        transaction = Transaction(self.connection.connection, envelope)
        transaction.begin()
        return transaction

    def conclude(self) -> None:
        """Read the server's answer to the message sent last."""
        if self.sending:
            (delivery, transaction), self.sending = self.sending, None
            try:
                transaction.accepted()
                self.accepted = delivery
            except OSError as error:
                self.failed(delivery, error)

    def record(self) -> None:
        if self.accepted:
            delivery, self.accepted = self.accepted, None
            self.outcome["sent" if self.record_sent(delivery.pk) else "lost"] += 1

    def failed(self, delivery, error: Exception) -> None:
        self.outcome[self.record_failed(delivery, error)] += 1

    def close(self) -> None:
        """Read the last answer and record it, whatever stopped the batch."""
        try:
            self.conclude()
        finally:
            self.record()
